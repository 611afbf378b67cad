//! Reading the entries of a document that is not well-formed XML one by
//! one, so that one broken entry does not lose the others.
//!
//! feedparser falls back to a forgiving parser for such documents; feed-rs
//! has none. This module owns the next best thing: cut the document into
//! its frame (everything but the entries) and its entries, and parse the
//! frame with each entry alone. Entries that still fail are reported. It
//! does not repair the broken entries, and gives up when the frame itself
//! is broken or no entry can be read.

use std::sync::OnceLock;

use feed_rs::model::{Entry, Feed};
use feed_rs::parser::Parser;
use regex::Regex;

/// A feed rebuilt from the entries that parse on their own.
pub(super) struct Salvaged {
    /// The frame's feed, holding the entries that were read.
    pub feed: Feed,
    /// The position in the document of each entry of `feed`.
    pub positions: Vec<usize>,
    /// The position of each entry that could not be read, and why.
    pub broken: Vec<(usize, String)>,
}

/// `text`'s entries read one by one, or `None` when its frame does not
/// parse or no entry does.
pub(super) fn entries_one_by_one(parser: &Parser, text: &str) -> Option<Salvaged> {
    if !text.trim_start().starts_with('<') {
        return None;
    }
    let spans = entry_spans(text);
    let first = spans.first()?.start;
    let mut tail = String::new();
    let mut last = first;
    for span in &spans {
        tail.push_str(&text[last..span.start]);
        last = span.end;
    }
    tail.push_str(&text[last..]);
    let head = &text[..first];
    let mut feed = parser.parse(format!("{head}{tail}").as_bytes()).ok()?;
    let mut entries: Vec<Entry> = Vec::new();
    let mut positions = Vec::new();
    let mut broken = Vec::new();
    for (index, span) in spans.iter().enumerate() {
        let alone = format!("{head}{}{tail}", &text[span.clone()]);
        match parser.parse(alone.as_bytes()) {
            Ok(mut one) if one.entries.len() == 1 => {
                entries.append(&mut one.entries);
                positions.push(index);
            }
            Ok(_) => broken.push((index, "not read as one entry".to_string())),
            Err(e) => broken.push((index, format!("not well-formed XML: {e}"))),
        }
    }
    if entries.is_empty() {
        return None;
    }
    feed.entries = entries;
    Some(Salvaged {
        feed,
        positions,
        broken,
    })
}

/// The byte ranges of the `<item>` and `<entry>` elements (any prefix),
/// each from its start tag to the next matching end tag. A broken entry
/// cannot be told by nesting, which is what is broken.
fn entry_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    static START: OnceLock<Regex> = OnceLock::new();
    static END: OnceLock<Regex> = OnceLock::new();
    let start = START.get_or_init(|| {
        Regex::new(r"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)(?:\s[^>]*)?>").expect("static regex")
    });
    let end = END.get_or_init(|| {
        Regex::new(r"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>").expect("static regex")
    });
    let mut spans = Vec::new();
    let mut from = 0;
    while let Some(open) = start.find_at(text, from) {
        let Some(close) = end.find_at(text, open.end()) else {
            break;
        };
        spans.push(open.start()..close.end());
        from = close.end();
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_found_from_start_tag_to_end_tag() {
        let text =
            "<rss><channel><item><title>a</item><items/><item a='1'>b</item></channel></rss>";
        let spans: Vec<&str> = entry_spans(text).into_iter().map(|s| &text[s]).collect();
        assert_eq!(spans, ["<item><title>a</item>", "<item a='1'>b</item>"]);
    }
}
