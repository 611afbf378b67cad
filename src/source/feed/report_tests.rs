//! Tests of what a feed says about itself as a whole: its format, the
//! encoding it was read in, and what had to be repaired.

use super::tests::{fixture, parse_with};
use super::*;

fn report(name: &str) -> (FeedFormat, String, Vec<String>) {
    let feed = parse_with(&fixture(name), "https://feeds.example.com/f", None).unwrap();
    assert_eq!(feed.well_formed(), feed.warnings.is_empty());
    (feed.format, feed.encoding, feed.warnings)
}

#[test]
fn each_fixture_names_its_format_and_encoding() {
    let cases = [
        ("rss2.xml", FeedFormat::Rss2, "utf-8"),
        ("rss1.rdf", FeedFormat::Rss1, "utf-8"),
        ("atom.xml", FeedFormat::Atom1, "utf-8"),
        ("atom03.xml", FeedFormat::Atom03, "utf-8"),
        ("feed.json", FeedFormat::JsonFeed, "utf-8"),
        ("koi8r.xml", FeedFormat::Rss2, "koi8-r"),
        ("cp1251.xml", FeedFormat::Rss2, "windows-1251"),
        ("big5.xml", FeedFormat::Rss2, "big5"),
        ("utf16le-bom.xml", FeedFormat::Atom1, "utf-16le"),
        ("utf16be.xml", FeedFormat::Atom1, "utf-16be"),
        ("utf32le.xml", FeedFormat::Atom1, "utf-32le"),
        ("utf32be-bom.xml", FeedFormat::Atom1, "utf-32be"),
        ("latin1-cp1252.xml", FeedFormat::Rss2, "windows-1252"),
        ("rss-noversion-bom.xml", FeedFormat::Rss, "utf-8"),
    ];
    for (name, format, encoding) in cases {
        let (f, e, _) = report(name);
        assert_eq!((f, e.as_str()), (format, encoding), "{name}");
    }
}

#[test]
fn well_formed_fixtures_have_no_warnings() {
    for name in [
        "rss2.xml",
        "rss1.rdf",
        "atom.xml",
        "atom03.xml",
        "feed.json",
        "koi8r.xml",
    ] {
        assert_eq!(report(name).2, Vec::<String>::new(), "{name}");
    }
}

#[test]
fn repairs_are_reported_as_warnings() {
    assert_eq!(
        report("rss-noversion-bom.xml").2,
        ["the <rss> root has no version attribute; read as RSS 2.0"]
    );
    let entities = report("html-entities.xml").2;
    assert_eq!(entities.len(), 1, "{entities:?}");
    assert!(
        entities[0].starts_with("HTML entities that XML does not define (&eacute;"),
        "{entities:?}"
    );
    let malformed = parse_with(&fixture("malformed.xml"), "https://m.example/", None).unwrap();
    assert!(!malformed.well_formed());
    assert!(
        malformed.warnings.iter().any(|w| w.contains("cut off")),
        "{:?}",
        malformed.warnings
    );
}

#[test]
fn the_feed_link_is_its_alternate_page() {
    let feed = parse_with(
        &fixture("rss2.xml"),
        "https://rants.example.net/feed.xml",
        None,
    )
    .unwrap();
    assert_eq!(feed.link.as_deref(), Some("https://rants.example.net/"));
}

#[test]
fn a_feed_served_as_html_is_read_and_flagged() {
    let bytes = fixture("rss2.xml");
    let feed = parse_with(
        &bytes,
        "https://r.example/",
        Some("text/html; charset=utf-8"),
    )
    .unwrap();
    assert_eq!(feed.items.len(), 6);
    assert_eq!(
        feed.warnings,
        ["served as text/html, which is not an XML or JSON media type"]
    );
}
