//! A depth limit for HTML, applied before html5ever sees it.
//!
//! html5ever follows the HTML standard, and the standard's tree builder
//! scans the stack of open elements for many start tags ("has a `p` element
//! in button scope"): work proportional to the depth, for every tag. A page
//! of 200,000 nested `<div>`s is therefore quadratic, seconds to minutes of
//! CPU for one megabyte. Real pages nest a few dozen levels. So one linear
//! pass estimates the nesting, and only when it passes [`MAX_DEPTH`] is the
//! document rewritten with the tags below that depth dropped and their text
//! kept. A page within the limit is passed on untouched (borrowed). The
//! streaming HTML-to-text reader scans its stack of open elements the same
//! way, so it reads the limited document too.
//!
//! The estimate reads tags the way a tokenizer does (quoted attribute values,
//! comments, raw-text elements such as `<script>`), and does not count void
//! elements or elements whose end tag may be left out (`<p>`, `<li>`, table
//! cells), which close themselves and so never nest deeply in the tree.

use std::borrow::Cow;

/// Deeper nesting than this is flattened to its text.
pub const MAX_DEPTH: usize = 512;

/// Elements that take no end tag, or whose end tag may be omitted.
const UNCOUNTED: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th",
    "tbody", "thead", "tfoot", "colgroup", "caption", "rb", "rt", "rtc", "rp", "html", "head",
    "body",
];

/// Elements whose content is text up to their own end tag.
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
];

/// One piece of markup found by [`next_tag`].
struct Tag<'a> {
    start: usize,
    end: usize,
    name: &'a str,
    closing: bool,
    self_closing: bool,
}

/// The next tag at or after `from`, skipping comments, doctypes and
/// processing instructions. `None` when there is none.
fn next_tag(html: &str, mut from: usize) -> Option<Tag<'_>> {
    let b = html.as_bytes();
    loop {
        let lt = from + memchr(b'<', &b[from..])?;
        let rest = &html[lt..];
        if rest.starts_with("<!--") {
            from = rest[4..].find("-->").map_or(b.len(), |i| lt + 4 + i + 3);
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            from = rest.find('>').map_or(b.len(), |i| lt + i + 1);
            continue;
        }
        let closing = rest.starts_with("</");
        let name_at = lt + if closing { 2 } else { 1 };
        if !b.get(name_at).is_some_and(u8::is_ascii_alphabetic) {
            from = lt + 1;
            continue;
        }
        let name_end = b[name_at..]
            .iter()
            .position(|c| c.is_ascii_whitespace() || *c == b'/' || *c == b'>')
            .map_or(b.len(), |i| name_at + i);
        // The tag ends at the first `>` outside a quoted attribute value.
        let mut quote = None;
        let mut end = b.len();
        for (i, &c) in b.iter().enumerate().skip(name_end) {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, b'"' | b'\'') => quote = Some(c),
                (None, b'>') => {
                    end = i + 1;
                    break;
                }
                _ => {}
            }
        }
        return Some(Tag {
            start: lt,
            end,
            name: &html[name_at..name_end],
            closing,
            self_closing: end >= 2 && b[end - 2] == b'/',
        });
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| c == needle)
}

fn counted(name: &str) -> bool {
    !UNCOUNTED.iter().any(|u| u.eq_ignore_ascii_case(name))
}

/// Where the raw text of a `<script>`-like element ends: at its end tag.
fn raw_text_end(html: &str, from: usize, name: &str) -> usize {
    let lower = name.to_ascii_lowercase();
    let close = format!("</{lower}");
    let hay = &html[from..];
    // ASCII case-insensitive search without lowercasing the whole rest.
    hay.as_bytes()
        .windows(close.len())
        .position(|w| w.eq_ignore_ascii_case(close.as_bytes()))
        .map_or(html.len(), |i| from + i)
}

/// Walks the tags of `html`, calling `visit(tag, depth_before)` for each
/// start and end tag that counts towards nesting.
fn walk(html: &str, mut visit: impl FnMut(&Tag<'_>, usize)) {
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(tag) = next_tag(html, at) {
        at = tag.end;
        if !tag.closing && RAW_TEXT.iter().any(|r| r.eq_ignore_ascii_case(tag.name)) {
            let close = raw_text_end(html, at, tag.name);
            // Past its end tag too, which was never counted as opened.
            at = html[close..]
                .find('>')
                .map_or(html.len(), |i| close + i + 1);
            continue;
        }
        if !counted(tag.name) || tag.self_closing && !tag.closing {
            continue;
        }
        visit(&tag, depth);
        if tag.closing {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
        }
    }
}

/// The deepest nesting of counted elements, as estimated.
pub fn estimated_depth(html: &str) -> usize {
    let mut max = 0;
    walk(html, |tag, depth| {
        if !tag.closing {
            max = max.max(depth + 1);
        }
    });
    max
}

/// `html` with every counted tag deeper than `limit` removed (text kept);
/// `html` itself when nothing is that deep.
pub fn limit_depth(html: &str, limit: usize) -> Cow<'_, str> {
    // Every counted element starts with `<`: with few of them (most feed
    // items) the nesting cannot pass the limit, and counting is cheap.
    if html.bytes().filter(|&b| b == b'<').count() <= limit || estimated_depth(html) <= limit {
        return Cow::Borrowed(html);
    }
    let mut out = String::with_capacity(html.len());
    let mut copied = 0;
    walk(html, |tag, depth| {
        // An end tag at depth d closes the element opened at depth d - 1.
        let level = if tag.closing { depth } else { depth + 1 };
        if level > limit {
            out.push_str(&html[copied..tag.start]);
            copied = tag.end;
        }
    });
    out.push_str(&html[copied..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_pass_untouched() {
        let html = "<html><body><div class=\"a>b\"><p>one<p>two<br><img src=x>\
                    <ul><li>a<li>b</ul><script>if (a<b) {'<div>'}</script></div></body></html>";
        assert_eq!(estimated_depth(html), 2);
        assert!(matches!(limit_depth(html, 8), Cow::Borrowed(_)));
    }

    #[test]
    fn comments_and_raw_text_do_not_count() {
        let html = "<!-- <div><div> --><style><div><div></style><div>x</div>";
        assert_eq!(estimated_depth(html), 1);
        assert_eq!(estimated_depth("<SCRIPT>'<div>'</SCRIPT><b>x</b>"), 1);
    }

    #[test]
    fn deep_nesting_is_flattened_to_its_text() {
        let html = format!("{}deep{}", "<div>".repeat(10), "</div>".repeat(10));
        let limited = limit_depth(&html, 3);
        assert_eq!(
            limited, "<div><div><div>deep</div></div></div>",
            "tags below the limit go, text stays"
        );
        assert_eq!(estimated_depth(&limited), 3);
    }

    #[test]
    fn unclosed_deep_nesting_is_flattened_too() {
        let html = format!("<body>{}x</body>", "<div><span>".repeat(1000));
        let limited = limit_depth(&html, MAX_DEPTH);
        assert_eq!(estimated_depth(&limited), MAX_DEPTH);
        assert!(limited.ends_with("x</body>"));
    }

    #[test]
    fn a_tag_cut_off_by_the_end_of_the_document_is_read_to_the_end() {
        assert_eq!(estimated_depth("<div><a href=\"x"), 2);
        assert_eq!(estimated_depth("<"), 0);
        assert_eq!(estimated_depth("a < b and <3"), 0);
    }
}
