//! Property tests: whatever bytes a server sends, parsing ends in a feed
//! or a clear error, never a panic; a feed cut off anywhere still yields
//! every entry that was complete before the cut, unchanged; and an entry
//! whose tags do not nest loses only itself.

use proptest::prelude::*;

use super::*;

const URL: &str = "https://props.example.com/feed";

/// Pieces of feeds, prologs and damage, so that random documents get past
/// the first byte and into the parser's and the repairs' corners.
const TOKENS: &[&str] = &[
    "<?xml version=\"1.0\"?>",
    "<?xml version='1.0' encoding='shift_jis'?>",
    "<?xml version=\"1.0\" encoding=\"utf-16\"?>",
    "<rss>",
    "<rss version=\"2.0\">",
    "</rss>",
    "<channel>",
    "</channel>",
    "<item>",
    "</item>",
    "<title>",
    "</title>",
    "<guid>",
    "</guid>",
    "<link>",
    "</link>",
    "<description>",
    "</description>",
    "<pubDate>Mon, 06 Jan 2025 10:00:00 GMT</pubDate>",
    "<feed xmlns=\"http://www.w3.org/2005/Atom\">",
    "<feed xmlns=\"http://purl.org/atom/ns#\">",
    "<a03:feed xmlns:a03=\"http://purl.org/atom/ns#\">",
    "<entry>",
    "</entry>",
    "</feed>",
    "<content type=\"text/html\" mode=\"base64\">",
    "<content type=\"html\">",
    "</content>",
    "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<!DOCTYPE rss [<!ENTITY e \"x\">]>",
    "&eacute;",
    "&#146;",
    "&#x110000;",
    "&bogus;",
    "&",
    "<",
    ">",
    "\"",
    "xml:base=\"../\"",
    "{\"version\": \"https://jsonfeed.org/version/1.1\", \"items\": [",
    "{\"id\": \"1\", \"content_text\": \"x\"}",
    "]}",
    "Acme",
    "Zoé 🔥",
    " ",
    "\n",
    "\u{FEFF}",
    "\u{0}",
];

fn token_document() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => prop::sample::select(TOKENS).prop_map(|t| t.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..8),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop::sample::select(vec![
        None,
        Some("application/rss+xml"),
        Some("text/xml"),
        Some("text/xml; charset=utf-16"),
        Some("application/xml; charset=iso-2022-jp"),
        Some("application/feed+json"),
        Some("text/html; charset=bogus"),
    ])
}

/// Parsing ended well, or in an error that names the document and says
/// what is wrong.
fn assert_clear(result: Result<ParsedFeed, FeedError>) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        let message = e.to_string();
        prop_assert!(message.starts_with(URL), "{message}");
        prop_assert!(message.len() > URL.len() + 2, "{message}");
    }
    Ok(())
}

/// Words for entry text: markup-significant characters (escaped), and
/// characters of several byte lengths in UTF-8, so that a cut can fall
/// inside a character or a reference.
const WORDS: &[&str] = &[
    "Acme",
    "Globex",
    "cloud",
    "&amp;",
    "&lt;b&gt;",
    "é",
    "雲",
    "🔥",
    "&eacute;",
];

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 1..6).prop_map(|w| w.join(" "))
}

/// A valid RSS or Atom feed of one to six entries.
fn feed_document() -> impl Strategy<Value = String> {
    let entries = prop::collection::vec((text(), text()), 1..6);
    (any::<bool>(), entries).prop_map(|(atom, entries)| {
        let mut doc = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        match atom {
            true => doc.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>P</title>\n"),
            false => doc.push_str("<rss version=\"2.0\"><channel><title>P</title>\n"),
        }
        for (i, (title, body)) in entries.iter().enumerate() {
            doc.push_str(&match atom {
                true => format!(
                    "<entry><id>urn:p:{i}</id><title>{title}</title><content type=\"html\">{body}</content></entry>\n"
                ),
                false => format!(
                    "<item><guid>urn:p:{i}</guid><title>{title}</title><description>{body}</description></item>\n"
                ),
            });
        }
        doc.push_str(if atom { "</feed>\n" } else { "</channel></rss>\n" });
        doc
    })
}

/// `doc` with the title of its `nth` entry broken: a `<b>` opened inside
/// it and closed after it, so the tags no longer nest.
fn break_entry(doc: &str, nth: usize) -> String {
    // The feed's own title comes first.
    let at = doc
        .match_indices("<title>")
        .nth(nth + 1)
        .expect("entry title")
        .0;
    let end = at + doc[at..].find("</title>").expect("title end") + "</title>".len();
    format!(
        "{}<title><b>{}</b>{}",
        &doc[..at],
        &doc[at + 7..end],
        &doc[end..]
    )
}

/// How many entries end (their closing tag whole) within `head`.
fn complete_entries(head: &[u8]) -> usize {
    let head = String::from_utf8_lossy(head);
    head.matches("</item>").count() + head.matches("</entry>").count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_bytes_parse_or_fail_clearly(bytes in prop::collection::vec(any::<u8>(), 0..512), ct in content_type()) {
        assert_clear(parse_feed(&bytes, &ResponseMeta { url: URL, content_type: ct, content_location: None }))?;
    }

    #[test]
    fn feed_shaped_junk_parses_or_fails_clearly(bytes in token_document(), ct in content_type()) {
        assert_clear(parse_feed(&bytes, &ResponseMeta { url: URL, content_type: ct, content_location: Some("../x/") }))?;
    }

    #[test]
    fn junk_spliced_into_a_feed_parses_or_fails_clearly(
        doc in feed_document(),
        at in any::<prop::sample::Index>(),
        junk in token_document(),
    ) {
        let mut bytes = doc.into_bytes();
        let at = at.index(bytes.len() + 1);
        bytes.splice(at..at, junk);
        assert_clear(parse_feed(&bytes, &ResponseMeta::url(URL)))?;
    }

    #[test]
    fn an_entry_whose_tags_do_not_nest_loses_only_itself(
        doc in feed_document(),
        nth in any::<prop::sample::Index>(),
    ) {
        let whole = parse_feed(doc.as_bytes(), &ResponseMeta::url(URL)).unwrap();
        let nth = nth.index(whole.items.len());
        let broken = break_entry(&doc, nth);
        let feed = parse_feed(broken.as_bytes(), &ResponseMeta::url(URL));
        let mut expected = whole.items.clone();
        expected.remove(nth);
        match feed {
            Ok(feed) => {
                prop_assert_eq!(&feed.items, &expected);
                prop_assert_eq!(feed.errors.len(), 1);
                prop_assert_eq!(feed.errors[0].index, nth);
                prop_assert!(!feed.well_formed());
            }
            // A feed of one entry has nothing left to read.
            Err(e) => prop_assert!(expected.is_empty(), "{}", e),
        }
    }

    #[test]
    fn a_feed_cut_anywhere_yields_every_entry_complete_before_the_cut(
        doc in feed_document(),
        cut in any::<prop::sample::Index>(),
    ) {
        let whole = parse_feed(doc.as_bytes(), &ResponseMeta::url(URL)).unwrap();
        prop_assert_eq!(whole.items.len(), complete_entries(doc.as_bytes()));
        let bytes = &doc.as_bytes()[..cut.index(doc.len() + 1)];
        let complete = complete_entries(bytes);
        match parse_feed(bytes, &ResponseMeta::url(URL)) {
            Ok(cut_feed) => prop_assert_eq!(&cut_feed.items[..], &whole.items[..complete]),
            Err(e) => prop_assert_eq!(complete, 0, "{}", e),
        }
    }
}
