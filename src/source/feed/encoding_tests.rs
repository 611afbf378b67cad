//! Tests of feeds in the East Asian encodings and of the charset evidence
//! that disagrees, each against a golden beside its fixture
//! (`fixtures/feeds/make-cjk-encodings.py` writes the fixtures).

use super::tests::{assert_golden, fixture, parse_with};
use super::*;

const KOREAN: &str = "Acme 클라우드가 또 다운됐다";
const JAPANESE: &str = "Acme クラウドがまた落ちた";
const CHINESE: &str = "Acme 云服务又宕机了";

fn parse(name: &str, content_type: Option<&str>) -> ParsedFeed {
    let bytes = fixture(&format!("{name}.xml"));
    parse_with(&bytes, "https://cjk.example.com/rss", content_type).unwrap()
}

fn title(feed: &ParsedFeed) -> &str {
    feed.items[0].title.as_deref().unwrap_or_default()
}

#[test]
fn encodings_declared_in_the_prolog_match_their_goldens() {
    let cases = [
        ("euc-kr", "euc-kr", KOREAN.to_string()),
        ("euc-jp", "euc-jp", JAPANESE.to_string()),
        ("shift_jis", "shift_jis", JAPANESE.to_string()),
        ("iso-2022-jp", "iso-2022-jp", JAPANESE.to_string()),
        // gb2312, as most Chinese feeds label themselves, is read as GBK.
        ("gbk", "gbk", CHINESE.to_string()),
        ("gb18030", "gb18030", format!("{CHINESE} 🔥")),
    ];
    for (name, encoding, expected) in cases {
        let feed = parse(name, Some("application/rss+xml"));
        assert_golden(name, &feed.items);
        assert_eq!(title(&feed), expected, "{name}");
        assert_eq!(feed.encoding, encoding, "{name}");
        assert!(feed.well_formed(), "{name}: {:?}", feed.warnings);
    }
}

#[test]
fn an_encoding_given_only_by_the_header_is_used() {
    for header in [
        "application/rss+xml; charset=Shift_JIS",
        "text/xml; charset=\"shift_jis\"",
    ] {
        let feed = parse("shift_jis-undeclared", Some(header));
        assert_golden("shift_jis-undeclared", &feed.items);
        assert_eq!(title(&feed), JAPANESE, "{header}");
        assert_eq!(feed.encoding, "shift_jis");
        assert!(feed.well_formed(), "{header}: {:?}", feed.warnings);
    }
}

#[test]
fn an_application_xml_header_beats_a_wrong_prolog_and_says_so() {
    // RFC 3023: for application/xml the header's charset wins over the
    // XML declaration, as feedparser reads it.
    let feed = parse(
        "euc-jp-declared-shift_jis",
        Some("application/xml; charset=EUC-JP"),
    );
    assert_golden("euc-jp-declared-shift_jis", &feed.items);
    assert_eq!(title(&feed), JAPANESE);
    assert_eq!(feed.encoding, "euc-jp");
    assert_eq!(
        feed.warnings,
        ["the Content-Type header says euc-jp but the document declares shift_jis; read as euc-jp"]
    );
    // Without the header the wrong prolog is all there is, and EUC-JP
    // bytes happen to be valid Shift_JIS: it is believed, as feedparser
    // believes it (no encoding guessing from byte statistics).
    let unheaded = parse("euc-jp-declared-shift_jis", None);
    assert_eq!(unheaded.encoding, "shift_jis");
    assert_ne!(title(&unheaded), JAPANESE);
}

#[test]
fn text_xml_without_a_charset_reads_the_prolog_and_is_flagged() {
    let feed = parse("euc-kr", Some("text/xml"));
    assert_eq!(title(&feed), KOREAN);
    assert_eq!(feed.encoding, "euc-kr");
    assert_eq!(
        feed.warnings,
        [
            "served as text/xml without a charset, which RFC 3023 reads as US-ASCII, \
          but the body is not ASCII; read as euc-kr"
        ]
    );
    // An ASCII body served so is what RFC 3023 expects: nothing to say.
    let ascii = parse_with(
        b"<rss version=\"2.0\"><channel><title>A</title></channel></rss>",
        "https://cjk.example.com/rss",
        Some("text/xml"),
    )
    .unwrap();
    assert!(ascii.well_formed(), "{:?}", ascii.warnings);
}

#[test]
fn bomless_wide_documents_that_start_with_whitespace_match_their_goldens() {
    for (name, encoding) in [("utf16le-space", "utf-16le"), ("utf32be-space", "utf-32be")] {
        let feed = parse(name, None);
        assert_golden(name, &feed.items);
        assert_eq!(title(&feed), JAPANESE, "{name}");
        assert_eq!(feed.encoding, encoding, "{name}");
        assert_eq!(feed.title.as_deref(), Some("ガジェット愚痴帳"), "{name}");
    }
}

#[test]
fn an_undeclared_windows_1252_feed_is_read_as_windows_1252_and_flagged() {
    let feed = parse("cp1252-undeclared", None);
    assert_golden("cp1252-undeclared", &feed.items);
    assert_eq!(
        title(&feed),
        "Don’t buy the Acme Toaster – it costs 99 € and burns bread"
    );
    assert_eq!(feed.encoding, "windows-1252");
    assert_eq!(
        feed.warnings,
        [
            "the document declares no encoding and is not UTF-8; read as windows-1252",
            "references to C1 control characters (&#146;, &#150;) were read as Windows-1252"
        ]
    );
}
