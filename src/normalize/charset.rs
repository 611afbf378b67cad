//! Decoding fetched HTML and XML bodies to UTF-8.
//!
//! Owns the choice of character encoding for a body given its bytes and its
//! `Content-Type` header. It does not fetch and does not parse the document
//! beyond sniffing its encoding declaration.
//!
//! The order of evidence, strongest first:
//!
//! 1. A byte-order mark, UTF-32's before UTF-16's (`FF FE 00 00` starts
//!    both).
//! 2. For a body that is not ASCII-compatible, the byte pattern of its first
//!    `<` (UTF-16 and UTF-32, either order; the XML specification's
//!    appendix F), or a UTF-16 header charset.
//! 3. Bytes that are valid UTF-8: legacy-encoded text with any non-ASCII byte
//!    is almost never valid UTF-8 by accident, while servers labelling UTF-8
//!    files `iso-8859-1` is a common misconfiguration.
//! 4. The header's charset, except that a header saying `iso-8859-1`,
//!    `us-ascii` or `windows-1252` (which all mean windows-1252) loses to a
//!    different encoding declared in the document: those are the values a
//!    server sends by default without looking at the file, while the
//!    document's author knew what they wrote. Any other header charset was
//!    set on purpose and wins.
//! 5. `<meta charset>`, `<meta http-equiv="Content-Type">` or the XML
//!    declaration's `encoding`, within the first 4 KiB.
//! 6. UTF-8 with invalid sequences replaced by U+FFFD.

use std::sync::OnceLock;

use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use regex::bytes::Regex;

/// How far into the body an in-document declaration is looked for.
const SNIFF_LEN: usize = 4096;

/// Decode an HTML or XML body to UTF-8; see the module documentation for
/// which declaration wins.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    if let Some((wide, bom_len)) = utf32(bytes) {
        return wide.decode(&bytes[bom_len..]);
    }
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return encoding
            .decode_without_bom_handling(&bytes[bom_len..])
            .0
            .into_owned();
    }
    if let Some(encoding) = utf16_pattern(bytes) {
        return encoding.decode_without_bom_handling(bytes).0.into_owned();
    }
    let header = content_type.and_then(header_charset);
    // UTF-16 is not ASCII-compatible, so "valid UTF-8" says nothing about it.
    if let Some(enc) = header.filter(|e| !e.is_ascii_compatible()) {
        return enc.decode_without_bom_handling(bytes).0.into_owned();
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_string();
    }
    let legacy = |e: &&'static Encoding| *e != UTF_8 && e.is_ascii_compatible();
    let header = header.filter(legacy);
    let declared = declared_charset(bytes).filter(legacy);
    let chosen = match (header, declared) {
        (Some(h), Some(d)) if h == WINDOWS_1252 && d != h => d,
        (Some(h), _) => h,
        (None, Some(d)) => d,
        (None, None) => UTF_8,
    };
    chosen.decode_without_bom_handling(bytes).0.into_owned()
}

/// UTF-32, which encoding_rs does not decode (the WHATWG standard leaves it
/// out), but feeds exported from some Windows tools use.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Utf32 {
    Le,
    Be,
}

impl Utf32 {
    /// Decodes, replacing code units that are no scalar value and a cut-off
    /// last unit by U+FFFD.
    fn decode(self, bytes: &[u8]) -> String {
        let mut units = bytes.chunks_exact(4);
        let mut out: String = units
            .by_ref()
            .map(|u| {
                let u = [u[0], u[1], u[2], u[3]];
                let n = match self {
                    Utf32::Le => u32::from_le_bytes(u),
                    Utf32::Be => u32::from_be_bytes(u),
                };
                char::from_u32(n).unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect();
        if !units.remainder().is_empty() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
        out
    }
}

/// UTF-32 told by its byte-order mark (and its length), or by the pattern of
/// a leading `<` without one.
fn utf32(bytes: &[u8]) -> Option<(Utf32, usize)> {
    match bytes.get(..4)? {
        [0xFF, 0xFE, 0, 0] => Some((Utf32::Le, 4)),
        [0, 0, 0xFE, 0xFF] => Some((Utf32::Be, 4)),
        [b'<', 0, 0, 0] => Some((Utf32::Le, 0)),
        [0, 0, 0, b'<'] => Some((Utf32::Be, 0)),
        _ => None,
    }
}

/// UTF-16 without a byte-order mark, told by a leading `<` followed by
/// another ASCII character (`<?xml`, `<rss`).
fn utf16_pattern(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes.get(..4)? {
        [b'<', 0, c, 0] if *c != 0 => Some(encoding_rs::UTF_16LE),
        [0, b'<', 0, c] if *c != 0 => Some(encoding_rs::UTF_16BE),
        _ => None,
    }
}

/// The encoding named by the `charset` parameter of a `Content-Type` value.
fn header_charset(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        label_encoding(value.trim().trim_matches(['"', '\'']).as_bytes())
    })
}

/// The encoding an HTML `<meta>` or the XML declaration names.
fn declared_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r#"(?i-u)^\s*<\?xml[^>]*?\sencoding\s*=\s*["']([a-z0-9._:-]+)|<meta\s[^>]*?charset\s*=\s*["']?\s*([a-z0-9._:-]+)"#,
        )
        .expect("static regex")
    });
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    let caps = re.captures(head)?;
    let label = caps.get(1).or_else(|| caps.get(2))?;
    label_encoding(label.as_bytes())
}

/// Encodings encoding_rs maps to its "replacement" decoder are ones we
/// cannot decode; treating them as undeclared is the honest fallback.
fn label_encoding(label: &[u8]) -> Option<&'static Encoding> {
    Encoding::for_label(label).filter(|e| *e != encoding_rs::REPLACEMENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUSSIAN: &str = "Облако Acme снова упало, а Globex работает.";

    fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
        encoding.encode(text).0.into_owned()
    }

    fn xml(encoding: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"{encoding}\"?>\n<rss><title>{RUSSIAN}</title></rss>"
        )
    }

    #[test]
    fn koi8r_declared_in_the_xml_declaration() {
        let bytes = encode(encoding_rs::KOI8_R, &xml("KOI8-R"));
        assert_eq!(decode(&bytes, Some("application/rss+xml")), xml("KOI8-R"));
    }

    #[test]
    fn windows1251_declared_in_a_meta_tag() {
        let html = format!(
            "<html><head><meta charset=\"windows-1251\"></head><body>{RUSSIAN}</body></html>"
        );
        let bytes = encode(encoding_rs::WINDOWS_1251, &html);
        assert_eq!(decode(&bytes, None), html);
    }

    #[test]
    fn http_equiv_meta_is_understood() {
        let html = format!(
            "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=koi8-r\"><p>{RUSSIAN}</p>"
        );
        let bytes = encode(encoding_rs::KOI8_R, &html);
        assert_eq!(decode(&bytes, Some("text/html")), html);
    }

    #[test]
    fn utf8_body_survives_a_wrong_latin1_header() {
        let body = xml("utf-8");
        assert_eq!(
            decode(body.as_bytes(), Some("text/xml; charset=iso-8859-1")),
            body
        );
    }

    #[test]
    fn header_charset_decodes_an_undeclared_body() {
        let html = format!("<p>{RUSSIAN}</p>");
        let bytes = encode(encoding_rs::WINDOWS_1251, &html);
        assert_eq!(
            decode(&bytes, Some("text/html; charset=\"windows-1251\"")),
            html
        );
    }

    #[test]
    fn document_declaration_beats_a_default_latin1_header() {
        let bytes = encode(encoding_rs::WINDOWS_1251, &xml("windows-1251"));
        assert_eq!(
            decode(&bytes, Some("text/xml; charset=ISO-8859-1")),
            xml("windows-1251")
        );
    }

    #[test]
    fn a_deliberate_header_beats_the_document() {
        // A proxy transcoded the body to KOI8-R and said so; the stale
        // declaration still names windows-1251.
        let bytes = encode(encoding_rs::KOI8_R, &xml("windows-1251"));
        assert_eq!(
            decode(&bytes, Some("text/xml; charset=koi8-r")),
            xml("windows-1251")
        );
    }

    #[test]
    fn latin1_body_with_latin1_header() {
        let bytes = encode(encoding_rs::WINDOWS_1252, "<p>Café Globex</p>");
        assert_eq!(
            decode(&bytes, Some("text/html; charset=iso-8859-1")),
            "<p>Café Globex</p>"
        );
    }

    #[test]
    fn byte_order_mark_wins() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend("<p>Acme</p>".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(
            decode(&bytes, Some("text/html; charset=windows-1251")),
            "<p>Acme</p>"
        );
        assert_eq!(decode(b"\xEF\xBB\xBF<p>x</p>", None), "<p>x</p>");
    }

    fn wide(text: &str, le: bool, bytes_per_unit: usize) -> Vec<u8> {
        match bytes_per_unit {
            2 => text
                .encode_utf16()
                .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
                .collect(),
            _ => text
                .chars()
                .flat_map(|c| {
                    let c = c as u32;
                    if le {
                        c.to_le_bytes()
                    } else {
                        c.to_be_bytes()
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn utf16_and_utf32_without_a_bom_are_told_by_the_first_bytes() {
        let doc = "<?xml version=\"1.0\"?><rss><title>Zoé 🔥</title></rss>";
        for (le, unit) in [(true, 2), (false, 2), (true, 4), (false, 4)] {
            let bytes = wide(doc, le, unit);
            assert_eq!(decode(&bytes, None), doc, "le={le} unit={unit}");
            let bare = wide("<rss/>", le, unit);
            assert_eq!(decode(&bare, Some("text/xml")), "<rss/>");
        }
    }

    #[test]
    fn utf32_boms_are_not_mistaken_for_utf16() {
        let mut le = vec![0xFF, 0xFE, 0, 0];
        le.extend(wide("<p>Zoé</p>", true, 4));
        assert_eq!(decode(&le, None), "<p>Zoé</p>");
        let mut be = vec![0, 0, 0xFE, 0xFF];
        be.extend(wide("<p>Zoé</p>", false, 4));
        be.push(0);
        assert_eq!(decode(&be, None), "<p>Zoé</p>\u{FFFD}");
    }

    #[test]
    fn undeclared_invalid_utf8_is_decoded_lossily() {
        assert_eq!(decode(b"Acme \xFF Cloud", None), "Acme \u{FFFD} Cloud");
    }
}
