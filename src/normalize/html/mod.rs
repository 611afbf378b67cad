//! HTML to readable plain text, and the test for whether a string is HTML.
//!
//! Owns the rules for which elements break lines, which are dropped (scripts,
//! styles, navigation) and how whitespace collapses. It does not pick the part
//! of a page that holds a post (the page source does that with selectors) and
//! does not sanitize HTML for display: the output is text only.

use std::sync::OnceLock;

use regex::Regex;

#[cfg(test)]
mod dom;
mod stack;
#[cfg(test)]
mod tests;
mod tree;
mod writer;

/// Elements whose content is never something a person wrote for readers.
fn is_dropped(name: &[u8]) -> bool {
    matches!(
        name,
        b"script"
            | b"style"
            | b"nav"
            | b"noscript"
            | b"template"
            | b"head"
            | b"title"
            | b"iframe"
            | b"object"
            | b"embed"
            | b"svg"
            | b"canvas"
            | b"select"
            | b"button"
            | b"textarea"
            | b"form"
    )
}

/// Newlines an element owes before and after itself: 2 for blocks that end
/// a paragraph (a blank line), 1 for blocks that only start a new line.
fn block_break(name: &[u8]) -> u8 {
    match name {
        b"p" | b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" | b"blockquote" | b"pre" | b"ul"
        | b"ol" | b"dl" | b"table" | b"figure" | b"hr" | b"article" | b"section" | b"header"
        | b"footer" | b"aside" | b"main" | b"details" => 2,
        b"div" | b"li" | b"dt" | b"dd" | b"tr" | b"figcaption" | b"address" | b"summary"
        | b"fieldset" | b"caption" | b"center" => 1,
        _ => 0,
    }
}

/// Names recognised by [`looks_like_html`]: a known name keeps `Vec<T>` or
/// `<3` in plain text from counting as markup.
const KNOWN_TAGS: &str = "a|abbr|article|aside|b|blockquote|br|code|dd|del|div|dl|dt|em|\
    figcaption|figure|footer|h[1-6]|header|hr|i|iframe|img|ins|li|main|mark|nav|ol|p|pre|q|s|\
    script|section|small|span|strong|style|sub|sup|table|tbody|td|th|thead|tr|u|ul|video";

/// Deeper nesting than this is flattened to its text, so a hostile document
/// cannot exhaust the stack.
const MAX_DEPTH: usize = 256;

/// Readable plain text from an HTML fragment or document: block elements
/// become line breaks, `<br>` a newline, scripts/styles/nav dropped, entities
/// decoded, whitespace collapsed, trimmed. A document yields its body only.
///
/// Read in one pass over the tokens, without building a tree; the text is
/// the same as a walk over html5ever's DOM would give, but for two moves of
/// misplaced content described in `tree`.
pub fn html_to_text(html: &str) -> String {
    let limited = super::depth::limit_depth(html, super::depth::MAX_DEPTH);
    super::tidy(&tree::raw_text(&limited, is_document(html)))
}

/// Whether a string looks like HTML (so plain-text feeds are left alone): it
/// holds a known tag, a comment or a character reference.
pub fn looks_like_html(s: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        let pattern = format!(
            r"(?i)</?(?:{KNOWN_TAGS})(?:\s[^<>]*)?/?>|<!--|&(?:#[0-9]+|#x[0-9a-f]+|[a-z][a-z0-9]*);"
        );
        Regex::new(&pattern).expect("static regex")
    });
    re.is_match(s)
}

/// Whether `html` is a whole document (read for its body) rather than a
/// fragment.
fn is_document(html: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?i)<!doctype|<html[\s>]|<body[\s>]").expect("static regex"))
        .is_match(html)
}

/// Emoji and smileys are often images (WordPress turns `:)` into one); their
/// alt text carries sentiment. Descriptive alt text ("screenshot") does not
/// belong in the prose, so only alt text without letters or digits is kept.
fn image_alt(alt: &str, out: &mut writer::TextWriter) {
    if !alt.trim().is_empty() && !alt.chars().any(char::is_alphanumeric) {
        out.text(alt);
    }
}
