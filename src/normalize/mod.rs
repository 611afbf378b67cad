//! Turning what sources fetch into comparable text and identities.
//!
//! Owns character decoding of fetched bodies, HTML-to-text conversion,
//! lenient date parsing, and the two values that make deduplication work: the
//! stable item key and the content hash. It does not fetch, parse feed or page
//! structure (the sources do that) or judge what the text says.

mod charset;
mod date;
pub mod depth;
mod html;

pub use charset::{decode, decode_report, Decoded};
pub use date::parse_date;
pub use html::{html_to_text, looks_like_html};

/// Parses an HTML document, its nesting bounded first ([`depth`]), so that
/// a hostile page costs time linear in its size.
pub fn parse_document(html: &str) -> scraper::Html {
    scraper::Html::parse_document(&depth::limit_depth(html, depth::MAX_DEPTH))
}

/// Parses an HTML fragment (a feed entry's content, a post's body), its
/// nesting bounded first.
pub fn parse_fragment(html: &str) -> scraper::Html {
    scraper::Html::parse_fragment(&depth::limit_depth(html, depth::MAX_DEPTH))
}

use std::borrow::Cow;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Stable item key: guid if present and non-empty, else the link, else
/// `"h:"` + hash of title and text. Whitespace around guid and link is
/// ignored.
pub fn item_key(guid: Option<&str>, link: Option<&str>, title: Option<&str>, text: &str) -> String {
    fn present(s: Option<&str>) -> Option<&str> {
        s.map(str::trim).filter(|s| !s.is_empty())
    }
    match present(guid).or_else(|| present(link)) {
        Some(key) => key.to_string(),
        None => format!("h:{}", content_hash(title, text)),
    }
}

/// Hex content hash (blake3, first 16 bytes) over title and text, so an edit
/// of a known item is detectable. A missing title hashes like an empty one.
pub fn content_hash(title: Option<&str>, text: &str) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(title.unwrap_or("").as_bytes());
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    hasher.update(&[0]);
    hasher.update(text.as_bytes());
    hasher.finalize().as_bytes()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Readable text from a value that may or may not be HTML: HTML goes through
/// [`html_to_text`], plain text is only tidied.
pub fn plain_text(s: &str) -> String {
    if looks_like_html(s) {
        html_to_text(s)
    } else {
        tidy(s)
    }
}

/// Unicode NFC, no invisible or control characters, no trailing spaces on a
/// line, at most one blank line in a row, trimmed. Composed form matters
/// because the same word typed on two systems must match the same query.
pub(crate) fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut newlines = 0;
    // Most text is ASCII or composed already: the quick check skips the copy.
    let composed: Cow<str> = if s.is_ascii() || is_nfc_quick(s.chars()) == IsNormalized::Yes {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.nfc().collect())
    };
    let unix: Cow<str> = if composed.contains('\r') {
        Cow::Owned(composed.replace("\r\n", "\n"))
    } else {
        composed
    };
    let keep = |c: char| {
        !matches!(c, '\u{200b}' | '\u{feff}' | '\u{ad}') && (c == '\t' || !c.is_control())
    };
    for line in unix.split(['\n', '\r']) {
        // Most lines have nothing to remove: borrow them.
        let clean = if line.is_ascii() {
            line.bytes()
                .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
        } else {
            line.chars().all(keep)
        };
        let line: Cow<str> = if clean {
            Cow::Borrowed(line)
        } else {
            Cow::Owned(line.chars().filter(|c| keep(*c)).collect())
        };
        let line = line.trim_end();
        if line.trim().is_empty() {
            newlines += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if newlines > 1 { "\n\n" } else { "\n" });
        }
        newlines = 1;
        out.push_str(line);
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_prefers_guid_then_link_then_hash() {
        let link = Some("https://blog.example/acme");
        assert_eq!(item_key(Some(" urn:x:1 "), link, None, "t"), "urn:x:1");
        assert_eq!(
            item_key(Some("  "), link, None, "t"),
            "https://blog.example/acme"
        );
        assert_eq!(
            item_key(None, Some(""), Some("T"), "t"),
            format!("h:{}", content_hash(Some("T"), "t"))
        );
    }

    #[test]
    fn hashed_key_is_stable_and_follows_content() {
        let a = item_key(None, None, Some("Acme Cloud"), "down again");
        assert_eq!(a, item_key(None, None, Some("Acme Cloud"), "down again"));
        assert_ne!(a, item_key(None, None, Some("Acme Cloud"), "down again!"));
        assert_eq!(a.len(), 2 + 32);
    }

    #[test]
    fn hash_separates_title_from_text() {
        assert_ne!(content_hash(Some("ab"), "c"), content_hash(Some("a"), "bc"));
        assert_eq!(content_hash(None, "x"), content_hash(Some(""), "x"));
        assert!(content_hash(None, "x")
            .chars()
            .all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn tidy_normalizes_and_trims() {
        // "e" + combining acute accent composes to a single "é".
        assert_eq!(
            tidy("  Caf\u{65}\u{301}\u{200b} \r\n\r\n\r\n\tnext  \n"),
            "Caf\u{e9}\n\n\tnext"
        );
    }

    #[test]
    fn tidy_composes_text_that_mixes_composed_and_decomposed_accents() {
        // The first "é" is composed, the second decomposed: the quick check
        // must not wave the text through.
        assert_eq!(
            tidy("Caf\u{e9} cafe\u{301}\r\nok"),
            "Caf\u{e9} caf\u{e9}\nok"
        );
        assert_eq!(tidy("plain\rold mac"), "plain\nold mac");
    }

    #[test]
    fn plain_text_leaves_plain_text_alone() {
        assert_eq!(
            plain_text("I <3 Acme\nsecond line"),
            "I <3 Acme\nsecond line"
        );
        assert_eq!(plain_text("<p>I &lt;3 Acme</p>"), "I <3 Acme");
    }
}
