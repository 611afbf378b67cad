//! Tests of where relative links resolve: the document's `xml:base`, then
//! the response's `Content-Location`, then the URL it was fetched from.

use super::tests::{assert_golden, fixture};
use super::*;

const FETCHED: &str = "https://cdn.example.com/cache/7f3a/atom.xml";

fn parse(name: &str, content_location: Option<&str>) -> ParsedFeed {
    let meta = ResponseMeta {
        url: FETCHED,
        content_type: Some("application/atom+xml"),
        content_location,
    };
    parse_feed(&fixture(name), &meta).unwrap()
}

fn links(feed: &ParsedFeed) -> Vec<(Option<&str>, Option<&str>)> {
    feed.items
        .iter()
        .map(|i| {
            let author = i.author.as_ref().and_then(|a| a.url.as_deref());
            (i.url.as_deref(), author)
        })
        .collect()
}

#[test]
fn content_location_is_the_base_when_the_document_names_none() {
    let feed = parse("relative-links.xml", Some("/mirror/gripes/atom.xml"));
    assert_golden("relative-links", &feed.items);
    assert_eq!(
        feed.link.as_deref(),
        Some("https://cdn.example.com/mirror/gripes/")
    );
    assert_eq!(
        links(&feed)[0],
        (
            Some("https://cdn.example.com/mirror/gripes/posts/acme-cloud"),
            Some("https://cdn.example.com/mirror/people/rant112")
        )
    );
    // An entry's own xml:base wins for its links, the author's too.
    assert_eq!(
        links(&feed)[1],
        (
            Some("https://globex-fans.example.org/blog/kettle"),
            Some("https://globex-fans.example.org/about")
        )
    );
}

#[test]
fn the_fetch_url_is_the_base_without_content_location() {
    let feed = parse("relative-links.xml", None);
    assert_eq!(
        links(&feed)[0].0,
        Some("https://cdn.example.com/cache/7f3a/posts/acme-cloud")
    );
}

#[test]
fn the_root_xml_base_beats_content_location() {
    let feed = parse("relative-links-base.xml", Some("/mirror/gripes/atom.xml"));
    assert_golden("relative-links-base", &feed.items);
    assert_eq!(
        links(&feed)[0],
        (
            Some("https://gripes.example.net/archive/posts/acme-cloud"),
            Some("https://gripes.example.net/people/rant112")
        )
    );
}

#[test]
fn the_base_is_content_location_resolved_against_the_fetch_url() {
    let base = |url, content_location| {
        ResponseMeta {
            url,
            content_type: None,
            content_location,
        }
        .base()
        .map(String::from)
    };
    assert_eq!(
        base(FETCHED, Some("../../feeds/a.xml")).as_deref(),
        Some("https://cdn.example.com/feeds/a.xml")
    );
    assert_eq!(
        base(FETCHED, Some("https://origin.example.org/a.xml")).as_deref(),
        Some("https://origin.example.org/a.xml")
    );
    assert_eq!(base(FETCHED, None).as_deref(), Some(FETCHED));
    // Nothing to resolve against and nothing absolute: no base at all.
    assert_eq!(base("not a url", Some("a.xml")), None);
    assert_eq!(
        base("not a url", Some("https://o.example/a")).as_deref(),
        Some("https://o.example/a")
    );
}
