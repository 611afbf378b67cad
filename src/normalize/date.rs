//! Lenient parsing of the dates feeds and blogs actually publish.
//!
//! Owns the list of accepted date forms: RFC 3339 and RFC 2822 first, then the
//! non-English forms feedparser reads ([`intl`]), then the broken variants
//! seen in the wild and the human forms blogs print. It does not guess at
//! relative dates ("3 hours ago"), which would need a clock.

mod intl;

use std::sync::OnceLock;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use regex::Regex;

/// Forms with an explicit UTC offset.
const WITH_OFFSET: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f%:z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f %z",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M%:z",
    "%d %b %Y %H:%M:%S %z",
    // ISO 8601's basic format ("20250106T100000Z", the Z made +0000).
    "%Y%m%dT%H%M%S %z",
    "%Y%m%dT%H%M%S%z",
];

/// Forms without an offset, read as UTC: nothing better is known and a few
/// hours' error matters less than losing the date.
const NAIVE: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%B %d, %Y %H:%M",
    "%B %d, %Y at %I:%M %p",
    "%B %d, %Y %I:%M %p",
    "%d %B %Y %H:%M",
    "%d %b %Y %H:%M:%S",
    // asctime ("Mon Jan  6 10:00:00 2025", the weekday gone), which has no
    // zone; HTTP requires it to be GMT.
    "%b %d %H:%M:%S %Y",
];

const DATE_ONLY: &[&str] = &["%Y-%m-%d", "%Y/%m/%d", "%B %d, %Y", "%d %B %Y", "%d.%m.%Y"];

/// Parse a date leniently; `None` when no known form fits. Placeholder dates
/// at the Unix epoch mean "unknown" and are rejected too.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    strict(s)
        .or_else(|| intl::parse(s))
        .or_else(|| strict(&repair(s)))
        .or_else(|| lenient(&repair(s)))
        .filter(|d| d.timestamp() > 86_400)
}

fn strict(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_rfc2822(s))
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn lenient(s: &str) -> Option<DateTime<Utc>> {
    let with_offset = WITH_OFFSET
        .iter()
        .find_map(|f| DateTime::parse_from_str(s, f).ok())
        .map(|d| d.with_timezone(&Utc));
    with_offset
        .or_else(|| {
            NAIVE
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                .map(|d| Utc.from_utc_datetime(&d))
        })
        .or_else(|| {
            DATE_ONLY
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| Utc.from_utc_datetime(&d))
        })
}

/// Zone names feedparser reads beyond RFC 2822's (which chrono knows): the
/// Atlantic zones, the US names without daylight saving, and Central
/// European time, which feedparser calls MET.
const ZONES: &[(&str, &str)] = &[
    ("UTC", "+0000"),
    ("GMT", "+0000"),
    ("AT", "-0400"),
    ("AST", "-0400"),
    ("ADT", "-0300"),
    ("ET", "-0500"),
    ("CT", "-0600"),
    ("MT", "-0700"),
    ("PT", "-0800"),
    ("MET", "+0100"),
    ("MEST", "+0200"),
    ("CET", "+0100"),
    ("CEST", "+0200"),
];

/// A trailing zone name of [`ZONES`], or `GMT-05:00` / `UTC+2`, as an
/// RFC 2822 offset. A name nobody defines is left alone, so the date fails
/// rather than being read as UTC (feedparser's choice).
fn named_zone(s: &str) -> String {
    static OFFSET: OnceLock<Regex> = OnceLock::new();
    let offset = OFFSET.get_or_init(|| {
        Regex::new(r"\s(?:GMT|UTC)([+-])(\d{1,2})(?::?(\d{2}))?$").expect("static regex")
    });
    if let Some(c) = offset.captures(s) {
        let minutes = c.get(3).map_or("00", |m| m.as_str());
        let at = c.get(0).expect("group 0").start();
        return format!("{} {}{:0>2}{minutes}", &s[..at], &c[1], &c[2]);
    }
    let Some((head, zone)) = s.rsplit_once(' ') else {
        return s.to_string();
    };
    match ZONES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(zone))
    {
        Some((_, offset)) => format!("{head} {offset}"),
        None => s.to_string(),
    }
}

/// Rewrites the usual mistakes into something the formats above accept.
fn repair(s: &str) -> String {
    static FIXES: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    let fixes = FIXES.get_or_init(|| {
        [
            // The weekday is redundant and often wrong or misspelt ("Thurs").
            (r"^[A-Za-z]+,\s*(\d)", "$1"),
            (r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+([A-Z])", "$1"),
            // Full month names where only abbreviations are allowed; the
            // human formats accept abbreviations too.
            (
                r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b",
                "$1",
            ),
            // RFC 850 ("Monday, 06-Jan-25 10:00:00 GMT", the weekday gone by
            // now) spells RFC 822's date with dashes; a two-digit year then
            // reads as RFC 2822 says (00-49 is 2000-2049).
            (r"^(\d{1,2})-([A-Z][a-z]{2})-(\d{2}|\d{4})\s", "$1 $2 $3 "),
            // Month before day ("Jan 06 2025 10:00:00 GMT", the weekday
            // gone), which feedparser reads; asctime puts the time before
            // the year and is left alone.
            (
                r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{1,2}) (\d{4}) (\d)",
                "$2 $1 $3 $4",
            ),
            // Ordinals: "March 5th, 2024".
            (r"(\d)(?:st|nd|rd|th)\b", "$1"),
            // "UTC", a bare "Z" after a space, and "-0000" mean +0000.
            (r"\s*(?:UTC|Z)$", " +0000"),
            (r"-0000$", "+0000"),
            // Single-digit hours.
            (r"\s(\d):(\d\d)", " 0$1:$2"),
            // Hour 24 on the right day means midnight.
            (r"\s24:(\d\d)", " 00:$1"),
        ]
        .into_iter()
        .map(|(re, with)| (Regex::new(re).expect("static regex"), with))
        .collect()
    });
    let mut out = s.split_whitespace().collect::<Vec<_>>().join(" ");
    // tz database names of fixed zones ("Etc/GMT"), as feedparser strips.
    if let Some(at) = out.rfind(" Etc/") {
        out.replace_range(at + 1..at + 5, "");
    }
    for (re, with) in fixes {
        out = re.replace(&out, *with).into_owned();
    }
    named_zone(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
    }

    #[test]
    fn standard_forms() {
        assert_eq!(
            parse_date("Tue, 05 Mar 2024 09:30:00 +0100"),
            utc("2024-03-05T08:30:00Z")
        );
        assert_eq!(
            parse_date("2024-03-05T09:30:00-05:00"),
            utc("2024-03-05T14:30:00Z")
        );
        assert_eq!(
            parse_date("Tue, 05 Mar 2024 09:30:00 GMT"),
            utc("2024-03-05T09:30:00Z")
        );
    }

    #[test]
    fn broken_feed_forms() {
        let want = utc("2024-03-07T09:30:00Z");
        assert_eq!(parse_date("Thurs, 7 March 2024 9:30:00 UTC"), want);
        assert_eq!(
            parse_date("Fri, 07 Mar 2024 09:30:00 -0000"),
            want,
            "wrong weekday"
        );
        assert_eq!(parse_date("07 Mar 2024 09:30:00 Z"), want);
        assert_eq!(parse_date("2024-03-07 09:30:00"), want);
        assert_eq!(parse_date("2024-03-07 09:30:00+0000"), want);
    }

    #[test]
    fn rfc_850_and_asctime() {
        let want = utc("2025-01-06T10:00:00Z");
        assert_eq!(parse_date("Monday, 06-Jan-25 10:00:00 GMT"), want);
        assert_eq!(parse_date("Monday, 06-Jan-2025 10:00:00 GMT"), want);
        assert_eq!(parse_date("Mon, 06-Jan-25 11:00:00 +0100"), want);
        assert_eq!(parse_date("Mon Jan  6 10:00:00 2025"), want);
        assert_eq!(
            parse_date("Mon Jan 16 10:00:00 2025"),
            utc("2025-01-16T10:00:00Z")
        );
        // Half a form is no date; nothing is filled in.
        assert_eq!(parse_date("Monday, 06-Jan-25"), None);
        assert_eq!(parse_date("Mon Jan  6 2025"), None);
        assert_eq!(parse_date("Monday, 32-Jan-25 10:00:00 GMT"), None);
    }

    #[test]
    fn zone_names_feedparser_knows_and_gmt_offsets() {
        let want = utc("2025-01-06T18:00:00Z");
        assert_eq!(parse_date("Mon, 06 Jan 2025 10:00:00 PT"), want);
        assert_eq!(parse_date("Mon, 06 Jan 2025 10:00:00 pst"), want);
        assert_eq!(parse_date("Mon, 06 Jan 2025 13:00:00 GMT-05:00"), want);
        assert_eq!(parse_date("Mon, 06 Jan 2025 19:00:00 MET"), want);
        assert_eq!(parse_date("Mon, 06 Jan 2025 19:00:00 UTC+1"), want);
        assert_eq!(parse_date("Mon, 06 Jan 2025 20:00:00 CEST"), want);
        assert_eq!(
            parse_date("Mon, 06 Jan 2025 18:00:00 Etc/GMT"),
            utc("2025-01-06T18:00:00Z")
        );
        assert_eq!(
            parse_date("Mon, 06 Jan 2025 18:00:00 Etc/UTC"),
            utc("2025-01-06T18:00:00Z")
        );
        // An unknown zone is no zone: the date is not read as UTC.
        assert_eq!(parse_date("Mon, 06 Jan 2025 10:00:00 XYZ"), None);
    }

    #[test]
    fn month_before_day_and_the_basic_iso_format() {
        let want = utc("2025-01-06T10:00:00Z");
        assert_eq!(parse_date("Mon, Jan 06 2025 10:00:00 GMT"), want);
        assert_eq!(parse_date("Jan 6 2025 11:00:00 +0100"), want);
        assert_eq!(parse_date("20250106T100000Z"), want);
        assert_eq!(parse_date("20250106T110000+0100"), want);
        // Reduced precision is no date: a month or a year alone names no day.
        assert_eq!(parse_date("2025-01"), None);
        assert_eq!(parse_date("2025"), None);
        assert_eq!(parse_date("20250106"), None);
    }

    #[test]
    fn human_forms_blogs_print() {
        assert_eq!(parse_date("March 7th, 2024"), utc("2024-03-07T00:00:00Z"));
        assert_eq!(parse_date("7 March 2024"), utc("2024-03-07T00:00:00Z"));
        assert_eq!(
            parse_date("March 7, 2024 at 9:30 PM"),
            utc("2024-03-07T21:30:00Z")
        );
        assert_eq!(parse_date("2024-03-07"), utc("2024-03-07T00:00:00Z"));
    }

    #[test]
    fn garbage_and_placeholders_are_none() {
        assert_eq!(parse_date("not a date"), None);
        assert_eq!(parse_date("Tue, 32 Foo 2024 99:99"), None);
        assert_eq!(parse_date(""), None);
        assert_eq!(parse_date("Thu, 01 Jan 1970 00:00:00 +0000"), None);
    }
}
