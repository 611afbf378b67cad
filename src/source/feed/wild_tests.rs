//! Tests of feeds as they are found in the wild: documents our own fixtures
//! do not exercise (no version, other Unicode encodings, HTML entities,
//! Atom 0.3, odd dates), each against a golden beside its fixture.

use super::tests::{assert_golden, fixture, parse_with};
use super::*;

fn parse(name: &str, url: &str) -> ParsedFeed {
    parse_with(&fixture(name), url, None).unwrap()
}

#[test]
fn rss_without_a_version_and_with_a_utf8_bom_matches_golden() {
    let feed = parse("rss-noversion-bom.xml", "https://oldnotes.example.com/rss");
    assert_golden("rss-noversion-bom", &feed.items);
    assert_eq!(feed.title.as_deref(), Some("Old Gadget Notes"));
    assert_eq!(feed.items.len(), 1);
    assert!(feed.errors.is_empty(), "{:?}", feed.errors);
}

#[test]
fn utf16_and_utf32_feeds_with_and_without_a_bom_match_their_goldens() {
    for name in ["utf16le-bom", "utf16be", "utf32le", "utf32be-bom"] {
        let feed = parse(&format!("{name}.xml"), "https://cafe.example.fr/atom");
        assert_golden(name, &feed.items);
        assert_eq!(feed.title.as_deref(), Some("Café des Gadgets"), "{name}");
        assert_eq!(
            feed.items[0].title.as_deref(),
            Some("L’Acme Phone 5 chauffe 🔥 trop"),
            "{name}"
        );
    }
}

#[test]
fn html_named_entities_without_a_dtd_match_golden() {
    let feed = parse("html-entities.xml", "https://cafetech.example.com/rss");
    assert_golden("html-entities", &feed.items);
    assert_eq!(feed.title.as_deref(), Some("Café Tech — Reviews"));
    let titles: Vec<_> = feed
        .items
        .iter()
        .filter_map(|i| i.title.as_deref())
        .collect();
    assert_eq!(
        titles,
        [
            "Acme Phone 5: the résumé of a bad year…",
            "Globex Cloud is «fine» & cheap"
        ]
    );
}

#[test]
fn windows_1252_bytes_in_a_feed_declared_latin1_are_read_as_windows_1252() {
    let url = "https://gripes.example.be/rss";
    let feed = parse("latin1-cp1252.xml", url);
    assert_golden("latin1-cp1252", &feed.items);
    let title = feed.items[0].title.as_deref().unwrap();
    assert_eq!(
        title,
        "Don’t buy the Acme Toaster – it costs 99 € and burns bread"
    );
    // A numeric reference to a C1 control means the Windows-1252 character.
    assert_eq!(
        feed.items[1].title.as_deref(),
        Some("Globex’s kettle – a review")
    );
    // A server's default Latin-1 header does not change the reading.
    let bytes = fixture("latin1-cp1252.xml");
    let with_header = parse_with(&bytes, url, Some("text/xml; charset=ISO-8859-1")).unwrap();
    assert_eq!(with_header.items, feed.items);
}

#[test]
fn atom_03_entries_are_read_like_atom_10() {
    let feed = parse("atom03.xml", "https://blinken.example.org/atom.xml");
    assert_golden("atom03", &feed.items);
    assert_eq!(feed.title.as_deref(), Some("Blinkenlights Diary"));
    let texts: Vec<_> = feed.items.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "The Acme mesh drops every evening.",
            "The Globex router resets itself & the lights blink.",
            "Inline markup about Acme."
        ]
    );
    // `issued` is the publication date, `modified` the edit.
    let first = &feed.items[0];
    assert_eq!(
        first.published.unwrap().to_rfc3339(),
        "2005-01-09T19:00:00+00:00"
    );
    assert_eq!(
        first.updated.unwrap().to_rfc3339(),
        "2005-01-10T08:00:00+00:00"
    );
}

#[test]
fn escaped_markup_meant_as_text_is_kept_in_titles() {
    let feed = parse("escaped-markup.xml", "https://webhist.example.net/atom");
    assert_golden("escaped-markup", &feed.items);
    let titles: Vec<_> = feed
        .items
        .iter()
        .filter_map(|i| i.title.as_deref())
        .collect();
    assert_eq!(titles, ["Why <marquee> died", "Why <blink> really died"]);
    assert_eq!(feed.title.as_deref(), Some("Web <history> notes"));
    assert_eq!(
        feed.items[0].text,
        "Acme's browser still renders <blink> & nobody asked."
    );
    assert_eq!(feed.items[1].text, "Globex kept <blink> alive.");

    let rss = parse("escaped-markup-rss.xml", "https://webhist.example.net/rss");
    assert_golden("escaped-markup-rss", &rss.items);
    assert_eq!(rss.items[0].title.as_deref(), Some("Why <marquee> died"));
    assert_eq!(
        rss.items[0].text,
        "The tag <marquee> scrolled. Acme loved it."
    );
}

#[test]
fn an_entry_with_only_an_id_or_only_a_link_still_yields_an_item() {
    let feed = parse("bare-entries.xml", "https://pings.example.com/rss");
    assert_golden("bare-entries", &feed.items);
    let keys: Vec<_> = feed.items.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "ping-2025-01-06-1000",
            "https://pings.example.com/2025/01/06/1100"
        ]
    );
    // The one with nothing (a blank guid is none) is reported, not lost.
    assert_eq!(feed.errors.len(), 1, "{:?}", feed.errors);
    assert_eq!(
        feed.errors[0].to_string(),
        "entry 3 of the feed: no id, title, text or link"
    );
}

#[test]
fn rfc_850_and_asctime_dates_are_read_and_no_date_is_invented() {
    let feed = parse("old-dates.xml", "https://olddates.example.com/rss");
    assert_golden("old-dates", &feed.items);
    let dates: Vec<_> = feed
        .items
        .iter()
        .map(|i| i.published.map(|d| d.to_rfc3339()))
        .collect();
    assert_eq!(
        dates,
        [
            Some("2025-01-06T10:00:00+00:00".to_string()),
            Some("2025-01-05T09:30:00+00:00".to_string()),
            None
        ]
    );
}

#[test]
fn big5_declared_in_the_prolog_matches_golden() {
    let feed = parse("big5.xml", "https://tsukue.example.tw/rss");
    assert_golden("big5", &feed.items);
    assert_eq!(feed.title.as_deref(), Some("科技抱怨筆記"));
    assert_eq!(feed.items[0].title.as_deref(), Some("Acme 雲端又當機了"));
}

#[test]
fn greek_hungarian_korean_and_perforce_dates_are_read_and_half_dates_are_none() {
    let feed = parse("intl-dates.xml", "https://intl.example.org/rss");
    assert_golden("intl-dates", &feed.items);
    let dates: Vec<_> = feed
        .items
        .iter()
        .map(|i| i.published.map(|d| d.to_rfc3339()))
        .collect();
    let want = [
        Some("2004-07-11T17:00:00+00:00"),
        Some("2004-07-13T14:15:00+00:00"),
        Some("2004-05-27T16:31:15+00:00"),
        Some("2004-05-25T14:23:17+00:00"),
        Some("2006-09-15T12:19:53+00:00"),
        None,
    ];
    assert_eq!(dates, want.map(|d| d.map(String::from)));
}

#[test]
fn atom_03_under_prefixes_of_its_own_is_read_like_the_default_namespace() {
    let feed = parse("atom03-prefixed.xml", "https://prefixed.example.org/atom");
    assert_golden("atom03-prefixed", &feed.items);
    assert_eq!(feed.format, FeedFormat::Atom03);
    assert_eq!(feed.title.as_deref(), Some("Prefixed Gripes"));
    let read: Vec<_> = feed
        .items
        .iter()
        .map(|i| (i.text.as_str(), i.published.map(|d| d.to_rfc3339())))
        .collect();
    assert_eq!(
        read,
        [
            (
                "The Acme router resets nightly.",
                Some("2005-02-09T19:00:00+00:00".to_string())
            ),
            (
                "The Globex switch is fine & quiet.",
                Some("2005-02-08T10:00:00+00:00".to_string())
            ),
        ]
    );
}

#[test]
fn an_entry_that_is_not_well_formed_loses_only_itself() {
    let feed = parse("broken-entry.xml", "https://handedit.example.com/rss");
    assert_golden("broken-entry", &feed.items);
    let keys: Vec<_> = feed.items.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "https://handedit.example.com/?p=31",
            "https://handedit.example.com/?p=29"
        ]
    );
    assert_eq!(feed.title.as_deref(), Some("Hand-edited Gripes"));
    assert_eq!(feed.errors.len(), 1, "{:?}", feed.errors);
    assert_eq!(feed.errors[0].index, 1);
    assert!(
        feed.errors[0].message.starts_with("not well-formed XML"),
        "{}",
        feed.errors[0]
    );
    assert!(!feed.well_formed());
    assert!(
        feed.warnings[0].starts_with("the document is not well-formed XML"),
        "{:?}",
        feed.warnings
    );
}
