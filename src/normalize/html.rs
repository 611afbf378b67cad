//! HTML to readable plain text, and the test for whether a string is HTML.
//!
//! Owns the rules for which elements break lines, which are dropped (scripts,
//! styles, navigation) and how whitespace collapses. It does not pick the part
//! of a page that holds a post (the page source does that with selectors) and
//! does not sanitize HTML for display: the output is text only.

use std::sync::OnceLock;

use regex::Regex;
use scraper::{ElementRef, Node};

/// Elements whose content is never something a person wrote for readers.
const DROPPED: &[&str] = &[
    "script", "style", "nav", "noscript", "template", "head", "title", "iframe", "object", "embed",
    "svg", "canvas", "select", "button", "textarea", "form",
];

/// Blocks that end a paragraph: a blank line separates them from what follows.
const PARAGRAPHS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "ul",
    "ol",
    "dl",
    "table",
    "figure",
    "hr",
    "article",
    "section",
    "header",
    "footer",
    "aside",
    "main",
    "details",
];

/// Blocks that only start a new line.
const LINES: &[&str] = &[
    "div",
    "li",
    "dt",
    "dd",
    "tr",
    "figcaption",
    "address",
    "summary",
    "fieldset",
    "caption",
    "center",
];

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
/// decoded, whitespace collapsed, trimmed.
pub fn html_to_text(html: &str) -> String {
    let is_document = document_re().is_match(html);
    let parsed = if is_document {
        super::parse_document(html)
    } else {
        super::parse_fragment(html)
    };
    let root = parsed.root_element();
    let start = if is_document {
        let body = scraper::Selector::parse("body").expect("static selector");
        root.select(&body).next().unwrap_or(root)
    } else {
        root
    };
    let mut out = TextWriter::default();
    walk(start, &mut out, 0);
    super::tidy(&out.finish())
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

fn document_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"(?i)<!doctype|<html[\s>]|<body[\s>]").expect("static regex"))
}

fn walk(element: ElementRef<'_>, out: &mut TextWriter, depth: usize) {
    let name = element.value().name();
    if DROPPED.contains(&name) {
        return;
    }
    if depth > MAX_DEPTH {
        out.text(&element.text().collect::<String>());
        return;
    }
    let brk = block_break(name);
    out.block(brk);
    match name {
        "br" => out.line_break(),
        "li" => out.text("- "),
        "img" => image_alt(element, out),
        _ => {}
    }
    let pre = name == "pre";
    out.pre_depth += usize::from(pre);
    for child in element.children() {
        match child.value() {
            Node::Text(text) => out.text(text),
            Node::Element(_) => {
                if let Some(el) = ElementRef::wrap(child) {
                    walk(el, out, depth + 1);
                }
            }
            _ => {}
        }
    }
    out.pre_depth -= usize::from(pre);
    if matches!(name, "td" | "th") {
        out.text(" ");
    }
    out.block(brk);
}

/// Emoji and smileys are often images (WordPress turns `:)` into one); their
/// alt text carries sentiment. Descriptive alt text ("screenshot") does not
/// belong in the prose, so only alt text without letters or digits is kept.
fn image_alt(element: ElementRef<'_>, out: &mut TextWriter) {
    if let Some(alt) = element.value().attr("alt") {
        if !alt.trim().is_empty() && !alt.chars().any(char::is_alphanumeric) {
            out.text(alt);
        }
    }
}

fn block_break(name: &str) -> u8 {
    if PARAGRAPHS.contains(&name) {
        2
    } else if LINES.contains(&name) {
        1
    } else {
        0
    }
}

/// Accumulates text, collapsing whitespace and deferring line breaks until
/// the next visible character so that empty blocks leave no blank lines.
#[derive(Default)]
struct TextWriter {
    out: String,
    /// Newlines owed before the next character (at most 2: one blank line).
    pending: u8,
    space: bool,
    pre_depth: usize,
}

impl TextWriter {
    fn block(&mut self, newlines: u8) {
        if newlines > 0 {
            self.pending = self.pending.max(newlines);
            self.space = false;
        }
    }

    fn line_break(&mut self) {
        self.pending = (self.pending + 1).min(2);
        self.space = false;
    }

    fn text(&mut self, text: &str) {
        for c in text.chars() {
            if self.pre_depth > 0 && c == '\n' {
                self.line_break();
            } else if self.pre_depth == 0 && c.is_whitespace() {
                self.space = true;
            } else {
                self.push(c);
            }
        }
    }

    fn push(&mut self, c: char) {
        if !self.out.is_empty() {
            if self.pending > 0 {
                for _ in 0..self.pending {
                    self.out.push('\n');
                }
            } else if self.space {
                self.out.push(' ');
            }
        }
        self.pending = 0;
        self.space = false;
        self.out.push(c);
    }

    fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_become_lines_and_paragraphs() {
        let html = "<p>Acme Cloud was down <b>again</b>.</p><p>Second<br>line</p>\
                    <ul><li>one</li><li>two</li></ul><div>tail</div>";
        assert_eq!(
            html_to_text(html),
            "Acme Cloud was down again.\n\nSecond\nline\n\n- one\n- two\n\ntail"
        );
    }

    #[test]
    fn scripts_styles_and_navigation_are_dropped() {
        let html = "<nav><a href='/'>Home</a></nav><style>p{color:red}</style>\
                    <form><label>Name</label><textarea>Your reply</textarea></form>\
                    <p>Real text</p><script>alert('x')</script>";
        assert_eq!(html_to_text(html), "Real text");
    }

    #[test]
    fn entities_are_decoded_and_whitespace_collapsed() {
        let html = "  <p>Acme&nbsp;Phone &amp; Globex\n\n   are   &quot;fine&quot; &#8212; ok</p> ";
        assert_eq!(
            html_to_text(html),
            "Acme Phone & Globex are \"fine\" \u{2014} ok"
        );
    }

    #[test]
    fn whole_documents_yield_only_the_body() {
        let html = "<!DOCTYPE html><html><head><title>Blog</title></head>\
                    <body><h1>Hello</h1><p>World</p></body></html>";
        assert_eq!(html_to_text(html), "Hello\n\nWorld");
    }

    #[test]
    fn preformatted_text_keeps_its_lines() {
        let html = "<pre>line one\n  indented</pre><p>after</p>";
        assert_eq!(html_to_text(html), "line one\n  indented\n\nafter");
    }

    #[test]
    fn emoji_images_keep_their_alt_text() {
        let html = "<p>Love it <img class='wp-smiley' alt='😍'> <img alt='screenshot of app'></p>";
        assert_eq!(html_to_text(html), "Love it 😍");
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let html = format!("{}deep{}", "<div>".repeat(5000), "</div>".repeat(5000));
        assert_eq!(html_to_text(&html), "deep");
    }

    #[test]
    fn html_is_told_apart_from_plain_text() {
        assert!(looks_like_html("<p>hello</p>"));
        assert!(looks_like_html("Line<br/>break"));
        assert!(looks_like_html("Fish &amp; chips"));
        assert!(looks_like_html("<a href=\"x\">link</a>"));
        assert!(!looks_like_html("I <3 Acme Phone"));
        assert!(!looks_like_html("a < b and c > d"));
        assert!(!looks_like_html("Use Vec<T> here"));
        assert!(!looks_like_html("R&D budget; Q&A"));
    }
}
