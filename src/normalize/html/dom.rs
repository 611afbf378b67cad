//! The DOM walk that HTML to text was first written as: html5ever builds
//! the tree (implicit closes, misnesting, foster parenting), then the tree
//! is walked. The streaming reader in [`super::tree`] must give the same
//! text; the tests compare the two on every fixture and on generated markup.

use scraper::{ElementRef, Node};

use super::writer::TextWriter;
use super::{block_break, is_dropped, MAX_DEPTH};

/// Text of `html` the DOM way, before [`crate::normalize::tidy`].
pub(super) fn raw_text(html: &str) -> String {
    let is_document = super::is_document(html);
    let parsed = if is_document {
        crate::normalize::parse_document(html)
    } else {
        crate::normalize::parse_fragment(html)
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
    out.finish()
}

fn walk(element: ElementRef<'_>, out: &mut TextWriter, depth: usize) {
    let name = element.value().name();
    if is_dropped(name.as_bytes()) {
        return;
    }
    if depth > MAX_DEPTH {
        out.text(&element.text().collect::<String>());
        return;
    }
    let brk = block_break(name.as_bytes());
    out.block(brk);
    match name {
        "br" => out.line_break(),
        "li" => out.text("- "),
        "img" => {
            if let Some(alt) = element.value().attr("alt") {
                super::image_alt(alt, out);
            }
        }
        _ => {}
    }
    let outer_pre = out.pre;
    out.pre |= name == "pre";
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
    out.pre = outer_pre;
    if matches!(name, "td" | "th") {
        out.text(" ");
    }
    out.block(brk);
}
