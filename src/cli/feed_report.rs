//! `earshot items SOURCE --feed`: the whole feed document as one JSON
//! object, for a person working out why a feed yields what it yields.
//!
//! Owns the report's shape: the feed's title, link, detected format, the
//! encoding it was decoded with, whether it was well formed and the
//! warnings that say why not, and every entry in document order, either as
//! the item `earshot items` prints or as `{"skipped", "index", "key"}`. It
//! applies to feeds only: a page may link several feeds, and describing a
//! page as if it were one feed document would hide which one went wrong, so
//! for a page the command names the feeds it links instead.

use std::io::Write;

use serde::Serialize;

use crate::config::{SourceConfig, SourceKind};
use crate::model::Item;
use crate::source::feed::{FeedFormat, ParsedFeed};
use crate::source::http::{Fetched, HttpClient};
use crate::source::{self, SourceError};

/// One feed document, as `--feed` prints it.
#[derive(Debug, Serialize)]
pub struct FeedReport<'a> {
    pub title: Option<&'a str>,
    pub link: Option<&'a str>,
    pub format: FeedFormat,
    pub encoding: &'a str,
    pub well_formed: bool,
    pub warnings: &'a [String],
    pub items: Vec<Entry<'a>>,
}

/// An entry of the document: an item, or the reason it yields none.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Entry<'a> {
    Item(&'a Item),
    Skipped {
        skipped: &'a str,
        index: usize,
        key: Option<&'a str>,
    },
}

impl<'a> FeedReport<'a> {
    /// The report of `feed`, its items and skipped entries merged back into
    /// document order (every entry is one or the other; see
    /// [`ParsedFeed::errors`]).
    pub fn of(feed: &'a ParsedFeed) -> Self {
        let skipped = |e: &'a crate::source::feed::EntryError| Entry::Skipped {
            skipped: &e.message,
            index: e.index,
            key: e.key.as_deref(),
        };
        let mut items = Vec::with_capacity(feed.items.len() + feed.errors.len());
        let mut kept = feed.items.iter();
        let mut errors = feed.errors.iter().peekable();
        loop {
            let position = items.len();
            let next = errors
                .next_if(|e| e.index <= position)
                .map(skipped)
                .or_else(|| kept.next().map(Entry::Item))
                .or_else(|| errors.next().map(skipped));
            match next {
                Some(entry) => items.push(entry),
                None => break,
            }
        }
        FeedReport {
            title: feed.title.as_deref(),
            link: feed.link.as_deref(),
            format: feed.format,
            encoding: &feed.encoding,
            well_formed: feed.well_formed(),
            warnings: &feed.warnings,
            items,
        }
    }
}

/// Fetches the feed `source` names and prints its report as one pretty
/// JSON document; returns how many items it holds.
pub async fn print_feed_report(
    source: &SourceConfig,
    client: &HttpClient,
    out: &mut dyn Write,
) -> Result<usize, SourceError> {
    match &source.kind {
        SourceKind::Feed => {}
        SourceKind::Page(_) => return Err(not_a_feed_but_a_page(source, client).await),
        _ => {
            return Err(SourceError::Unsupported(format!(
                "{}: --feed applies to feeds; this is a {} source",
                source.id,
                source.kind.platform()
            )))
        }
    }
    let read = source::read_feed(client, &source.location, None)
        .await?
        .ok_or_else(|| SourceError::Unsupported(format!("{}: answered 304", source.id)))?;
    let report = FeedReport::of(&read.feed);
    serde_json::to_writer_pretty(&mut *out, &report).expect("reports serialize");
    writeln!(out).ok();
    Ok(read.feed.items.len())
}

/// The error for a page, naming the feeds it links so the user can ask
/// about one of them.
async fn not_a_feed_but_a_page(source: &SourceConfig, client: &HttpClient) -> SourceError {
    let feeds = match client.fetch(&source.location, None).await {
        Ok(Fetched::Body(body)) => {
            let html = crate::normalize::decode(&body.bytes, body.content_type.as_deref());
            source::page::discover_feeds(&html, &source.location.base_url())
        }
        _ => Vec::new(),
    };
    let hint = match feeds.as_slice() {
        [] => "it links no feed".to_string(),
        feeds => format!(
            "the feeds it links: {}",
            feeds
                .iter()
                .map(|u| u.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    SourceError::Unsupported(format!(
        "{}: --feed reads one feed document, and this is an HTML page; {hint}",
        source.location
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::feed::EntryError;

    fn item(key: &str) -> Item {
        Item {
            key: key.into(),
            ..Item::default()
        }
    }

    fn skipped(index: usize, message: &str) -> EntryError {
        EntryError {
            index,
            key: None,
            message: message.into(),
        }
    }

    #[test]
    fn skipped_entries_sit_where_they_were_in_the_document() {
        let feed = ParsedFeed {
            title: Some("T".into()),
            link: None,
            format: FeedFormat::Rss2,
            encoding: "utf-8".into(),
            ttl: None,
            items: vec![item("a"), item("b")],
            errors: vec![skipped(1, "empty"), skipped(3, "cut off")],
            warnings: vec!["the document is cut off".into()],
        };
        let json = serde_json::to_value(FeedReport::of(&feed)).unwrap();
        assert_eq!(json["well_formed"], false);
        assert_eq!(json["format"], "rss2");
        let items = json["items"].as_array().unwrap();
        let order: Vec<String> = items
            .iter()
            .map(|e| match e.get("skipped") {
                Some(reason) => format!("skip {} {}", e["index"], reason.as_str().unwrap()),
                None => e["key"].as_str().unwrap().to_string(),
            })
            .collect();
        assert_eq!(order, ["a", "skip 1 empty", "b", "skip 3 cut off"]);
        assert_eq!(items[1]["key"], serde_json::Value::Null);
    }
}
