//! The non-English date forms feedparser reads, and one more odd one.
//!
//! Owns the forms feedparser has handlers for beyond RFC 822, W3C-DTF,
//! ISO 8601 and asctime: Greek day and month names (`Κυρ, 11 Ιούλ 2004
//! 12:00:00 EST`), Hungarian month names (`2004-július-13T9:15-05:00`), the
//! two Korean forms of OnBlog (`2004년 05월 28일 01:31:15`) and Nate
//! (`2004-05-25 오후 11:23:17`), both in Korean time, and Perforce's
//! `Fri, 2006/09/15 08:19:53 EDT`. Each form must be whole: a date without
//! its time or zone is no date, since filling them in would invent one.

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone, Utc};
use regex::Regex;

/// Greek abbreviations as feedparser lists them, accented and not.
const GREEK_MONTHS: &[(&str, &str)] = &[
    ("Ιαν", "Jan"),
    ("Φεβ", "Feb"),
    ("Μάώ", "Mar"),
    ("Μαώ", "Mar"),
    ("Μάρ", "Mar"),
    ("Μαρ", "Mar"),
    ("Απρ", "Apr"),
    ("Μάι", "May"),
    ("Μαϊ", "May"),
    ("Μαι", "May"),
    ("Ιούν", "Jun"),
    ("Ιον", "Jun"),
    ("Ιουν", "Jun"),
    ("Ιούλ", "Jul"),
    ("Ιολ", "Jul"),
    ("Ιουλ", "Jul"),
    ("Αύγ", "Aug"),
    ("Αυγ", "Aug"),
    ("Σεπ", "Sep"),
    ("Οκτ", "Oct"),
    ("Νοέ", "Nov"),
    ("Νοε", "Nov"),
    ("Δεκ", "Dec"),
];

const GREEK_DAYS: &[&str] = &["Κυρ", "Δευ", "Τρι", "Τετ", "Πεμ", "Παρ", "Σαβ"];

/// Hungarian month names: the correct spellings, and the two misspelt ones
/// feedparser's table has ("februári", "máujus"), which feeds written
/// against it may carry.
const HUNGARIAN_MONTHS: &[(&str, u32)] = &[
    ("január", 1),
    ("február", 2),
    ("februári", 2),
    ("március", 3),
    ("április", 4),
    ("május", 5),
    ("máujus", 5),
    ("június", 6),
    ("július", 7),
    ("augusztus", 8),
    ("szeptember", 9),
    ("október", 10),
    ("november", 11),
    ("december", 12),
];

const ENGLISH_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A date in one of this module's forms; `None` for anything else.
pub(super) fn parse(s: &str) -> Option<DateTime<Utc>> {
    greek(s)
        .or_else(|| hungarian(s))
        .or_else(|| onblog(s))
        .or_else(|| nate(s))
        .or_else(|| perforce(s))
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("static regex"))
}

fn rfc2822(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// A wall-clock time in Korea (UTC+9, no daylight saving since 1988).
fn korean(y: &str, mo: &str, d: &str, h: u32, mi: &str, s: &str) -> Option<DateTime<Utc>> {
    let date = NaiveDate::from_ymd_opt(y.parse().ok()?, mo.parse().ok()?, d.parse().ok()?)?;
    let time = date.and_hms_opt(h, mi.parse().ok()?, s.parse().ok()?)?;
    let kst = FixedOffset::east_opt(9 * 3600).expect("valid offset");
    Some(kst.from_local_datetime(&time).single()?.with_timezone(&Utc))
}

fn greek(s: &str) -> Option<DateTime<Utc>> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let c = re(
        &RE,
        r"^([^,\s]+),\s+(\d{1,2})\s+(\S+)\s+(\d{4})\s+(\d{1,2}:\d{2}:\d{2})\s+(\S+)$",
    )
    .captures(s)?;
    if !GREEK_DAYS.contains(&&c[1]) {
        return None;
    }
    let month = GREEK_MONTHS.iter().find(|(g, _)| *g == &c[3])?.1;
    rfc2822(&format!("{} {month} {} {} {}", &c[2], &c[4], &c[5], &c[6]))
}

fn hungarian(s: &str) -> Option<DateTime<Utc>> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let c = re(
        &RE,
        r"^(\d{4})-([^-\d]+)-(\d{1,2})T(\d{1,2}):(\d{2})([+-])(\d{1,2}):(\d{2})$",
    )
    .captures(s)?;
    let month = HUNGARIAN_MONTHS.iter().find(|(h, _)| *h == &c[2])?.1;
    let date = NaiveDate::from_ymd_opt(c[1].parse().ok()?, month, c[3].parse().ok()?)?;
    let time = date.and_hms_opt(c[4].parse().ok()?, c[5].parse().ok()?, 0)?;
    let minutes: i32 = c[7].parse::<i32>().ok()? * 60 + c[8].parse::<i32>().ok()?;
    let sign = if &c[6] == "-" { -1 } else { 1 };
    let zone = FixedOffset::east_opt(sign * minutes * 60)?;
    Some(
        zone.from_local_datetime(&time)
            .single()?
            .with_timezone(&Utc),
    )
}

fn onblog(s: &str) -> Option<DateTime<Utc>> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let c = re(
        &RE,
        r"^(\d{4})년\s*(\d{1,2})월\s*(\d{1,2})일\s+(\d{1,2}):(\d{2}):(\d{2})$",
    )
    .captures(s)?;
    korean(&c[1], &c[2], &c[3], c[4].parse().ok()?, &c[5], &c[6])
}

/// Nate's 12-hour clock: 오전 is a.m., 오후 p.m.; 12 오전 is midnight and
/// 12 오후 noon (feedparser adds 12 to every p.m. hour, so it loses the
/// dates between noon and one).
fn nate(s: &str) -> Option<DateTime<Utc>> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let c = re(
        &RE,
        r"^(\d{4})-(\d{2})-(\d{2})\s+(오전|오후)\s+(\d{1,2}):(\d{1,2}):(\d{1,2})$",
    )
    .captures(s)?;
    let hour: u32 = c[5].parse().ok()?;
    if !(1..=12).contains(&hour) {
        return None;
    }
    let hour = match (&c[4], hour) {
        ("오전", 12) => 0,
        ("오전", h) => h,
        (_, 12) => 12,
        (_, h) => h + 12,
    };
    korean(&c[1], &c[2], &c[3], hour, &c[6], &c[7])
}

fn perforce(s: &str) -> Option<DateTime<Utc>> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let c = re(
        &RE,
        r"^([A-Za-z]{3}),\s+(\d{4})/(\d{1,2})/(\d{1,2})\s+(\d{1,2}:\d{2}:\d{2})\s+([A-Za-z]{1,3})$",
    )
    .captures(s)?;
    let month = ENGLISH_MONTHS.get(c[3].parse::<usize>().ok()?.checked_sub(1)?)?;
    // The weekday is left out: RFC 2822 parsing would reject a wrong one,
    // and it says nothing the date does not.
    rfc2822(&format!("{} {month} {} {} {}", &c[4], &c[2], &c[5], &c[6]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
    }

    #[test]
    fn greek_day_and_month_names() {
        assert_eq!(
            parse("Κυρ, 11 Ιούλ 2004 12:00:00 EST"),
            utc("2004-07-11T17:00:00Z")
        );
        assert_eq!(
            parse("Τρι, 05 Μαρ 2024 09:30:00 +0200"),
            utc("2024-03-05T07:30:00Z")
        );
        // An unknown name, a missing time or zone: no date.
        assert_eq!(parse("Κυρ, 11 Xyz 2004 12:00:00 EST"), None);
        assert_eq!(parse("Κυρ, 11 Ιούλ 2004"), None);
        assert_eq!(parse("Κυρ, 11 Ιούλ 2004 12:00:00"), None);
    }

    #[test]
    fn hungarian_month_names() {
        assert_eq!(
            parse("2004-július-13T9:15-05:00"),
            utc("2004-07-13T14:15:00Z")
        );
        assert_eq!(
            parse("2025-május-6T10:00+01:00"),
            utc("2025-05-06T09:00:00Z")
        );
        assert_eq!(
            parse("2025-máujus-6T10:00+01:00"),
            parse("2025-május-6T10:00+01:00")
        );
        assert_eq!(parse("2004-július-13"), None);
        assert_eq!(parse("2004-július-32T9:15-05:00"), None);
    }

    #[test]
    fn korean_onblog_and_nate_forms_are_korean_time() {
        assert_eq!(
            parse("2004년 05월 28일 01:31:15"),
            utc("2004-05-27T16:31:15Z")
        );
        assert_eq!(
            parse("2004-05-25 오후 11:23:17"),
            utc("2004-05-25T14:23:17Z")
        );
        assert_eq!(
            parse("2004-05-25 오전 11:23:17"),
            utc("2004-05-25T02:23:17Z")
        );
        assert_eq!(
            parse("2004-05-25 오후 12:05:00"),
            utc("2004-05-25T03:05:00Z"),
            "noon"
        );
        assert_eq!(
            parse("2004-05-25 오전 12:05:00"),
            utc("2004-05-24T15:05:00Z"),
            "midnight"
        );
        assert_eq!(parse("2004년 05월 28일"), None);
        assert_eq!(parse("2004-05-25 오후 13:00:00"), None);
    }

    #[test]
    fn perforce_form() {
        assert_eq!(
            parse("Fri, 2006/09/15 08:19:53 EDT"),
            utc("2006-09-15T12:19:53Z")
        );
        assert_eq!(parse("Fri, 2006/13/15 08:19:53 EDT"), None);
        assert_eq!(parse("Fri, 2006/09/15"), None);
    }
}
