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
//!    `<`, past any leading whitespace (UTF-16 and UTF-32, either order; the
//!    XML specification's appendix F), or a UTF-16 or ISO-2022-JP header
//!    charset; then an ISO-2022-JP declaration (a seven-bit encoding, whose
//!    bytes are valid UTF-8 too).
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
//! 6. For a body that declares nothing and holds no UTF-8 sequence beyond
//!    ASCII, Windows-1252 (as browsers and feedparser fall back); else UTF-8
//!    with invalid sequences replaced by U+FFFD.
//!
//! [`decode_report`] also names the encoding used and what a strict reader
//! would object to, as feedparser's `bozo` flag does: a header and a
//! document that disagree, a `text/xml` without charset on a non-ASCII body
//! (RFC 3023 says US-ASCII), bytes invalid in the chosen encoding. Where
//! feedparser takes RFC 3023 literally and we do not: a header charset
//! `iso-8859-1`/`us-ascii`/`windows-1252` does not beat the document's own
//! declaration, and bytes that are valid UTF-8 are read as UTF-8 whatever
//! is declared (feedparser would decode both as Latin-1, giving mojibake).

use std::sync::OnceLock;

use encoding_rs::{Encoding, ISO_2022_JP, UTF_8, WINDOWS_1252};
use regex::bytes::Regex;

/// How far into the body an in-document declaration is looked for.
const SNIFF_LEN: usize = 4096;

/// How many whitespace characters may precede the first `<` of a UTF-16 or
/// UTF-32 body without a byte-order mark for its pattern to be recognized.
const WIDE_LEADING_SPACE: usize = 256;

/// A body decoded to UTF-8, and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub text: String,
    /// The encoding used, by its WHATWG name in lower case (`utf-8`,
    /// `shift_jis`, `windows-1252`) as feedparser prints them, or `utf-32le`
    /// / `utf-32be`.
    pub encoding: String,
    /// Why the reading may differ from what a strict reader would do:
    /// declarations that disagree, bytes that were not valid.
    pub warnings: Vec<String>,
}

/// Decode an HTML or XML body to UTF-8; see the module documentation for
/// which declaration wins.
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    decode_report(bytes, content_type).text
}

/// [`decode`], also saying which encoding was used and what was odd.
pub fn decode_report(bytes: &[u8], content_type: Option<&str>) -> Decoded {
    let mut warnings = Vec::new();
    let (choice, skip) = choose(bytes, content_type, &mut warnings);
    let body = &bytes[skip..];
    let (text, had_errors) = match choice {
        Choice::Utf32(wide) => wide.decode(body),
        // Valid UTF-8 was checked while choosing; copying it is all that is left.
        Choice::Encoding(enc) if enc == UTF_8 => match std::str::from_utf8(body) {
            Ok(text) => (text.to_string(), false),
            Err(_) => lossy(enc, body),
        },
        Choice::Encoding(enc) => lossy(enc, body),
    };
    if had_errors {
        warnings.push(format!(
            "some bytes are not valid {}; they were replaced by U+FFFD",
            choice.name()
        ));
    }
    Decoded {
        text,
        encoding: choice.name(),
        warnings,
    }
}

fn lossy(enc: &'static Encoding, bytes: &[u8]) -> (String, bool) {
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    (text.into_owned(), had_errors)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Choice {
    Utf32(Utf32),
    Encoding(&'static Encoding),
}

impl Choice {
    fn name(self) -> String {
        match self {
            Choice::Utf32(Utf32::Le) => "utf-32le".into(),
            Choice::Utf32(Utf32::Be) => "utf-32be".into(),
            Choice::Encoding(e) => e.name().to_ascii_lowercase(),
        }
    }
}

/// The encoding to read `bytes` with, and the length of the byte-order mark
/// to skip. Notes what a strict reader would object to in `warnings`.
fn choose(bytes: &[u8], content_type: Option<&str>, warnings: &mut Vec<String>) -> (Choice, usize) {
    let header = content_type.and_then(header_charset);
    let bom = utf32_bom(bytes)
        .map(|(wide, len)| (Choice::Utf32(wide), len))
        .or_else(|| Encoding::for_bom(bytes).map(|(e, len)| (Choice::Encoding(e), len)));
    if let Some((choice, bom_len)) = bom {
        // A byte-order mark cannot be there by accident; a header can be
        // stale. feedparser believes the header here and decodes garbage.
        // (`charset=utf-16` names no byte order: either mark agrees with it.)
        let utf16 = |c: Choice| {
            c == Choice::Encoding(encoding_rs::UTF_16LE)
                || c == Choice::Encoding(encoding_rs::UTF_16BE)
        };
        let agrees = |h: &&'static Encoding| {
            choice == Choice::Encoding(h) || (utf16(choice) && utf16(Choice::Encoding(h)))
        };
        if let Some(h) = header.filter(|h| !agrees(h)) {
            warnings.push(format!(
                "the Content-Type header says {}, but the document starts with a {} \
                 byte-order mark; read as {}",
                lower(h),
                choice.name(),
                choice.name()
            ));
        }
        return (choice, bom_len);
    }
    if let Some(wide) = wide_pattern(bytes) {
        return (wide, 0);
    }
    // UTF-16 and ISO-2022-JP are not ASCII-compatible, so "valid UTF-8"
    // says nothing about them.
    if let Some(enc) = header.filter(|e| !e.is_ascii_compatible()) {
        return (Choice::Encoding(enc), 0);
    }
    let declared = declared_charset(bytes);
    // ISO-2022-JP is written in seven bits, so its text is valid UTF-8 as
    // well: its declaration has to be believed before the bytes are tried.
    // (A declared UTF-16 that an ASCII pattern could read is no UTF-16.)
    if header.is_none() && declared == Some(ISO_2022_JP) {
        return (Choice::Encoding(ISO_2022_JP), 0);
    }
    let chosen = if std::str::from_utf8(bytes).is_ok() {
        if let Some(other) = header
            .or(declared)
            .filter(|e| *e != UTF_8 && !bytes.is_ascii())
        {
            warnings.push(format!(
                "the feed is declared {}, but its bytes are valid UTF-8; read as UTF-8",
                lower(other)
            ));
        }
        UTF_8
    } else {
        let undeclared = header.is_none() && declared.is_none();
        let legacy = |e: &&'static Encoding| *e != UTF_8 && e.is_ascii_compatible();
        let header = header.filter(legacy);
        let declared = declared.filter(legacy);
        let chosen = match (header, declared) {
            (Some(h), Some(d)) if h == WINDOWS_1252 && d != h => d,
            (Some(h), _) => h,
            (None, Some(d)) => d,
            (None, None) if undeclared && !has_utf8_beyond_ascii(bytes) => {
                warnings.push(
                    "the document declares no encoding and is not UTF-8; \
                     read as windows-1252"
                        .into(),
                );
                WINDOWS_1252
            }
            (None, None) => UTF_8,
        };
        if let (Some(h), Some(d)) = (header, declared) {
            if h != d {
                warnings.push(format!(
                    "the Content-Type header says {} but the document declares {}; read as {}",
                    lower(h),
                    lower(d),
                    lower(chosen)
                ));
            }
        }
        chosen
    };
    if let Some(mime) = content_type.and_then(xml_text_without_charset) {
        if !bytes.is_ascii() {
            warnings.push(format!(
                "served as {mime} without a charset, which RFC 3023 reads as US-ASCII, \
                 but the body is not ASCII; read as {}",
                lower(chosen)
            ));
        }
    }
    (Choice::Encoding(chosen), 0)
}

/// Whether `bytes` hold any valid UTF-8 sequence beyond ASCII. An
/// undeclared body with none is legacy text (Windows-1252 bytes almost
/// never form UTF-8 sequences), which browsers and feedparser read as
/// Windows-1252; one with some is UTF-8 with a few damaged bytes, better
/// read as UTF-8 with those replaced than as mojibake throughout.
fn has_utf8_beyond_ascii(bytes: &[u8]) -> bool {
    bytes.utf8_chunks().any(|chunk| !chunk.valid().is_ascii())
}

fn lower(enc: &'static Encoding) -> String {
    enc.name().to_ascii_lowercase()
}

/// The media type of a `text/xml` (or `text/*+xml`) value that names no
/// charset. RFC 3023 says such a body is US-ASCII whatever its XML
/// declaration says; feedparser takes that reading, finds it fails on a
/// non-ASCII body, falls back to the declaration and flags the feed. We go
/// to the declaration directly (the same text comes out) and flag it too.
fn xml_text_without_charset(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';');
    let mime = parts.next()?.trim().to_ascii_lowercase();
    let xml_text = mime == "text/xml"
        || mime == "text/xml-external-parsed-entity"
        || (mime.starts_with("text/") && mime.ends_with("+xml"));
    let has_charset = parts.any(|p| {
        p.split_once('=')
            .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
    });
    (xml_text && !has_charset).then_some(mime)
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
    /// last unit by U+FFFD; says whether it had to.
    fn decode(self, bytes: &[u8]) -> (String, bool) {
        let mut bad = false;
        let mut units = bytes.chunks_exact(4);
        let mut out: String = units
            .by_ref()
            .map(|u| {
                char::from_u32(self.unit(u)).unwrap_or_else(|| {
                    bad = true;
                    char::REPLACEMENT_CHARACTER
                })
            })
            .collect();
        if !units.remainder().is_empty() {
            bad = true;
            out.push(char::REPLACEMENT_CHARACTER);
        }
        (out, bad)
    }

    fn unit(self, u: &[u8]) -> u32 {
        let u = [u[0], u[1], u[2], u[3]];
        match self {
            Utf32::Le => u32::from_le_bytes(u),
            Utf32::Be => u32::from_be_bytes(u),
        }
    }
}

/// UTF-32 told by its byte-order mark.
fn utf32_bom(bytes: &[u8]) -> Option<(Utf32, usize)> {
    match bytes.get(..4)? {
        [0xFF, 0xFE, 0, 0] => Some((Utf32::Le, 4)),
        [0, 0, 0xFE, 0xFF] => Some((Utf32::Be, 4)),
        _ => None,
    }
}

/// UTF-32 or UTF-16 without a byte-order mark, told by the pattern of the
/// first `<` (the XML specification's appendix F) followed by another ASCII
/// character (`<?xml`, `<rss`). Whitespace may come before it: files
/// written by hand or by templates often start with a blank line, which
/// breaks no XML reader once decoded.
fn wide_pattern(bytes: &[u8]) -> Option<Choice> {
    let layouts = [
        (4, false, Choice::Utf32(Utf32::Le)),
        (4, true, Choice::Utf32(Utf32::Be)),
        (2, false, Choice::Encoding(encoding_rs::UTF_16LE)),
        (2, true, Choice::Encoding(encoding_rs::UTF_16BE)),
    ];
    layouts.into_iter().find_map(|(width, big_endian, choice)| {
        let mut units = bytes.chunks_exact(width).map(|u| {
            let n = u.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b));
            match (big_endian, width) {
                (true, _) => n,
                (false, 2) => (n as u16).swap_bytes().into(),
                (false, _) => n.swap_bytes(),
            }
        });
        let first = units
            .by_ref()
            .take(WIDE_LEADING_SPACE + 1)
            .find(|u| !matches!(u, 0x20 | 0x09 | 0x0A | 0x0D))?;
        let next = units.next()?;
        (first == u32::from(b'<') && (0x21..0x7F).contains(&next)).then_some(choice)
    })
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
mod tests;
