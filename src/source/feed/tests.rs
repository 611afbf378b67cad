//! Tests of the feed source against the fixtures and their goldens.

use super::*;

/// [`parse_feed`] of a response that said only its URL and content type.
pub(super) fn parse_with(
    bytes: &[u8],
    url: &str,
    content_type: Option<&str>,
) -> Result<ParsedFeed, FeedError> {
    let meta = ResponseMeta {
        url,
        content_type,
        content_location: None,
    };
    parse_feed(bytes, &meta)
}

pub(super) fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/fixtures/feeds/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Compares with `NAME.expected.json`; `UPDATE_GOLDENS=1` rewrites it,
/// after which the diff must be read by a person.
pub(super) fn assert_golden(name: &str, items: &[Item]) {
    let path = format!(
        "{}/fixtures/feeds/{name}.expected.json",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("UPDATE_GOLDENS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(items).unwrap() + "\n").unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let expected: Vec<Item> = serde_json::from_str(&golden).unwrap();
    assert_eq!(items, expected, "{name} differs from its golden");
}

fn parse(name: &str, url: &str) -> ParsedFeed {
    parse_with(&fixture(name), url, Some("application/xml")).unwrap()
}

#[test]
fn rss2_matches_golden() {
    let feed = parse("rss2.xml", "https://rants.example.net/feed.xml");
    assert_golden("rss2", &feed.items);
    assert_eq!(
        feed.title.as_deref(),
        Some("Rant112 & Friends: Tech Gripes")
    );
    assert_eq!(feed.ttl, Some(Duration::from_secs(3600)));
    let errors: Vec<_> = feed
        .errors
        .iter()
        .map(|e| (e.index, e.message.as_str()))
        .collect();
    assert_eq!(errors, [(6, "no id, title, text or link")]);
}

#[test]
fn rss2_entry_with_a_broken_date_keeps_its_other_fields() {
    let feed = parse("rss2.xml", "https://rants.example.net/feed.xml");
    let item = feed
        .items
        .iter()
        .find(|i| i.key == "https://rants.example.net/?p=1038")
        .unwrap();
    assert_eq!(item.published, None);
    assert_eq!(
        item.title.as_deref(),
        Some("Acme Cloud status page is a work of fiction")
    );
}

#[test]
fn keys_never_come_from_generated_ids() {
    let bytes = fixture("rss2.xml");
    let once = parse_with(&bytes, "https://rants.example.net/feed.xml", None).unwrap();
    let again = parse_with(&bytes, "https://rants.example.net/feed.xml", None).unwrap();
    let keys: Vec<_> = once.items.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(
        keys,
        again
            .items
            .iter()
            .map(|i| i.key.as_str())
            .collect::<Vec<_>>()
    );
    let poll = &once.items[2];
    assert_eq!(
        poll.key,
        normalize::item_key(None, None, poll.title.as_deref(), &poll.text)
    );
    assert_eq!(
        once.items[1].key,
        "https://rants.example.net/2024/03/acme-phone-5-review"
    );
}

#[test]
fn rss1_matches_golden() {
    let feed = parse("rss1.rdf", "https://news.globex.example.com/rss.rdf");
    assert_golden("rss1", &feed.items);
    assert!(feed.errors.is_empty());
}

#[test]
fn atom_matches_golden() {
    let feed = parse("atom.xml", "https://grumbles.example.org/atom.xml");
    assert_golden("atom", &feed.items);
    assert_eq!(feed.ttl, None);
}

#[test]
fn json_feed_matches_golden() {
    let bytes = fixture("feed.json");
    let feed = parse_with(
        &bytes,
        "https://community.example.com/digest.json",
        Some("application/feed+json"),
    )
    .unwrap();
    assert_golden("feed", &feed.items);
}

#[test]
fn koi8r_declared_in_xml_matches_golden() {
    let feed = parse("koi8r.xml", "https://zametki.example.ru/feed/");
    assert_golden("koi8r", &feed.items);
    assert_eq!(feed.title.as_deref(), Some("Заметки о технике"));
}

#[test]
fn cp1251_declared_in_xml_matches_golden() {
    let feed = parse("cp1251.xml", "https://forum.example.ru/rss");
    assert_golden("cp1251", &feed.items);
}

#[test]
fn a_default_latin1_header_does_not_override_the_declaration() {
    let bytes = fixture("koi8r.xml");
    let url = "https://zametki.example.ru/feed/";
    let feed = parse_with(&bytes, url, Some("text/xml; charset=iso-8859-1")).unwrap();
    assert_eq!(feed.items, parse("koi8r.xml", url).items);
}

#[test]
fn utf8_body_with_a_wrong_latin1_header() {
    let bytes = fixture("cp1251.xml");
    let (text, _, _) = encoding_rs::WINDOWS_1251.decode(&bytes);
    let utf8 = text.replace("encoding=\"windows-1251\"", "encoding=\"UTF-8\"");
    let url = "https://forum.example.ru/rss";
    let feed = parse_with(
        utf8.as_bytes(),
        url,
        Some("application/rss+xml; charset=iso-8859-1"),
    )
    .unwrap();
    assert_eq!(feed.items, parse("cp1251.xml", url).items);
    assert!(feed.items[0]
        .title
        .as_deref()
        .unwrap()
        .starts_with("Переезд с Acme Cloud"));
}

#[test]
fn truncated_feed_keeps_its_complete_entries() {
    let feed = parse("malformed.xml", "https://outages.example.com/rss");
    assert_golden("malformed", &feed.items);
    assert_eq!(feed.items.len(), 2);
    assert_eq!(feed.errors.len(), 1);
    assert!(
        feed.errors[0].message.contains("cut off"),
        "{}",
        feed.errors[0]
    );
    assert_eq!(feed.errors[0].index, 2);
}

#[test]
fn unusable_documents_name_the_url() {
    let url = "https://example.com/feed";
    let err = parse_with(b"<html><body>Not a feed</body></html>", url, None).unwrap_err();
    assert!(matches!(err, FeedError::NotAFeed { .. }), "{err:?}");
    assert!(err.to_string().contains(url));

    let err = parse_with(
        b"{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": [",
        url,
        None,
    )
    .unwrap_err();
    assert!(matches!(err, FeedError::Malformed { .. }), "{err:?}");
    assert!(err.to_string().contains("line 1"), "{err}");
}

#[test]
fn duplicate_keys_keep_the_first_entry() {
    let xml = r#"<rss version="2.0"><channel><title>D</title>
        <item><guid>g1</guid><title>first</title></item>
        <item><guid>g1</guid><title>second</title></item></channel></rss>"#;
    let feed = parse_with(xml.as_bytes(), "https://example.com/rss", None).unwrap();
    assert_eq!(feed.items.len(), 1);
    assert_eq!(feed.items[0].title.as_deref(), Some("first"));
    assert_eq!(feed.errors[0].key.as_deref(), Some("g1"));
    assert_eq!(
        feed.errors[0].to_string(),
        "entry 2 of the feed (g1): another entry earlier in the feed has the same key; skipped"
    );
}

/// Captures what `f` logs, as text.
fn logs_of<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Buf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    (out, text)
}

fn rss_of(entries: usize) -> String {
    let items: String = (0..entries)
        .map(|i| format!("<item><guid>g{i}</guid><title>Post {i}</title></item>"))
        .collect();
    format!("<rss version=\"2.0\"><channel><title>Many</title>{items}</channel></rss>")
}

#[test]
fn a_feed_over_the_entry_cap_keeps_the_first_entries_and_reports_the_rest() {
    let url = "https://many.example.org/feed.xml";
    let (feed, logs) =
        logs_of(|| parse_feed_capped(rss_of(5).as_bytes(), &ResponseMeta::url(url), 3).unwrap());
    let titles: Vec<_> = feed.items.iter().filter_map(|i| i.title.clone()).collect();
    assert_eq!(titles, ["Post 0", "Post 1", "Post 2"]);
    assert_eq!(
        feed.errors,
        [EntryError {
            index: 3,
            key: None,
            message: "the feed has 5 entries, more than the cap of 3; \
                      this one and the 1 after it are skipped"
                .into(),
        }]
    );
    assert!(
        logs.contains("WARN") && logs.contains(url) && logs.contains("entries=5 cap=3"),
        "{logs}"
    );
}

#[test]
fn a_feed_at_the_entry_cap_is_read_whole() {
    let (feed, logs) =
        logs_of(|| parse_feed_capped(rss_of(3).as_bytes(), &ResponseMeta::url("https://x/"), 3));
    let feed = feed.unwrap();
    assert_eq!((feed.items.len(), feed.errors.len()), (3, 0));
    assert!(!logs.contains("cap"), "{logs}");
}

#[test]
fn a_json_feed_over_the_entry_cap_keeps_the_first_entries() {
    let items: Vec<String> = (0..4)
        .map(|i| format!(r#"{{"id": "j{i}", "content_text": "text {i}"}}"#))
        .collect();
    let json = format!(
        r#"{{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [{}]}}"#,
        items.join(",")
    );
    // Logged under a subscriber too: a test without one that reaches the
    // warning at the same moment could leave tracing's per-callsite cache
    // saying "nobody listens" while the other test captures.
    let (feed, logs) = logs_of(|| {
        parse_feed_capped(
            json.as_bytes(),
            &ResponseMeta::url("https://j.example/feed.json"),
            2,
        )
    });
    let feed = feed.unwrap();
    assert!(logs.contains("entries=4 cap=2"), "{logs}");
    let texts: Vec<_> = feed.items.iter().map(|i| i.text.as_str()).collect();
    assert_eq!(texts, ["text 0", "text 1"]);
    assert_eq!(feed.title.as_deref(), Some("J"));
    assert_eq!(feed.errors.len(), 1);
    assert!(
        feed.errors[0].message.contains("4 entries"),
        "{:?}",
        feed.errors
    );
}

#[test]
fn a_feed_read_from_a_file_resolves_links_against_its_own_address() {
    // rss2.xml names itself https://rants.example.net/feed.xml; its second
    // entry links `/2024/03/acme-phone-5-review`.
    let feed = parse("rss2.xml", "file:///srv/mirror/feeds/rss2.xml");
    let urls: Vec<_> = feed.items.iter().filter_map(|i| i.url.as_deref()).collect();
    assert!(
        urls.contains(&"https://rants.example.net/2024/03/acme-phone-5-review"),
        "{urls:?}"
    );
    assert!(urls.iter().all(|u| u.starts_with("https://")), "{urls:?}");
    // Read from the web, the same document gives the same items.
    let web = parse("rss2.xml", "https://rants.example.net/feed.xml");
    assert_eq!(feed.items, web.items);
}

#[test]
fn keys_of_entries_with_a_guid_do_not_change_when_the_feed_moves() {
    let keys = |url: &str| -> Vec<String> {
        parse("atom.xml", url)
            .items
            .into_iter()
            .map(|i| i.key)
            .collect()
    };
    let here = keys("https://grumbles.example.org/feed.atom");
    assert!(!here.is_empty());
    assert_eq!(here, keys("https://feeds.example.com/grumbles/atom.xml"));
    assert_eq!(here, keys("file:///srv/mirror/atom.xml"));
}

#[test]
fn a_relative_author_link_with_nothing_to_resolve_it_against_is_dropped() {
    let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
      <entry><id>tag:x,2024:1</id><title>Acme</title>
      <author><name>A</name><uri>/about</uri></author></entry></feed>"#;
    let feed = parse_with(xml.as_bytes(), "file:///tmp/x.atom", None).unwrap();
    let author = feed.items[0].author.as_ref().unwrap();
    assert_eq!(author.name.as_deref(), Some("A"));
    assert_eq!(author.url, None, "not file:///about");
}
