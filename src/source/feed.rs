//! The pure half of the feed source: feed bytes in, [`Item`]s out.
//!
//! Owns reading RSS 0.9x/1.0/2.0, Atom 0.3 and 1.0 and JSON Feed documents (through
//! feed-rs) into normalized items with stable keys, and deciding which parts
//! of a damaged document can still be used, and saying what was wrong with
//! it. It does not fetch, honour cache headers or schedule polls; the caller
//! passes the body it fetched and what the response said about it
//! ([`ResponseMeta`]).

mod atom03;
mod base;
mod cap;
pub mod config;
mod entities;
mod format;
mod repair;
mod salvage;

pub use format::FeedFormat;

use std::collections::HashSet;
use std::time::Duration;

use feed_rs::model::{Entry, Feed, Link, Person, Text};
use feed_rs::parser::{Builder, ParseFeedError, Parser};
use url::Url;

use crate::model::{Author, Item};
use crate::normalize;

/// Entries read from one feed document; the rest are reported, not read.
/// Feeds carry tens of entries, archives a few thousand; past this a feed
/// costs more memory than it is worth (feed-rs holds the whole document).
pub const MAX_ENTRIES: usize = 10_000;

const TRUNCATED: &str =
    "the document is cut off here; the entries after the last complete one are lost";

/// What the response said about a feed document, beside its bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ResponseMeta<'a> {
    /// Where the document was fetched from.
    pub url: &'a str,
    /// The `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The `Content-Location` header: where the server says this document
    /// lives, which relative links resolve against before the fetch URL
    /// (and after the document's own `xml:base`).
    pub content_location: Option<&'a str>,
}

impl<'a> ResponseMeta<'a> {
    /// A document known only by its URL (a file, a test).
    pub fn url(url: &'a str) -> Self {
        ResponseMeta {
            url,
            ..ResponseMeta::default()
        }
    }

    /// The URL relative links resolve against when the document names no
    /// `xml:base`: the Content-Location (itself relative to the fetch URL),
    /// else the fetch URL.
    fn base(&self) -> Option<Url> {
        let fetched = Url::parse(self.url).ok();
        let located = self
            .content_location
            .map(str::trim)
            .and_then(|loc| match &fetched {
                Some(f) => f.join(loc).ok(),
                None => Url::parse(loc).ok(),
            });
        // A `file://` path says where a copy of the feed is stored, not
        // where readers find its posts: links then resolve against the
        // feed's own address (see `own_address`), never against the path.
        located.or(fetched).filter(is_web)
    }
}

/// What a feed document yielded.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFeed {
    pub title: Option<String>,
    /// The feed's own page (its alternate link), resolved.
    pub link: Option<String>,
    pub format: FeedFormat,
    /// The character encoding the document was decoded with.
    pub encoding: String,
    /// How long the publisher asks readers to cache the feed (RSS `<ttl>`).
    pub ttl: Option<Duration>,
    pub items: Vec<Item>,
    /// Entries that were skipped, and a note when the document was cut off.
    /// Every entry of the document is either an item or one of these, in
    /// document order, so `index` places an error among the items.
    pub errors: Vec<EntryError>,
    /// What was wrong with the document as a whole and had to be worked
    /// around (feedparser's `bozo`): empty when it was well formed.
    pub warnings: Vec<String>,
}

impl ParsedFeed {
    /// Whether the document was read as written, without repair.
    pub fn well_formed(&self) -> bool {
        self.warnings.is_empty()
    }
}

/// The whole document is unusable.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("{url}: not a feed (no RSS, Atom or JSON Feed root found)")]
    NotAFeed { url: String },
    #[error("{url}: malformed feed: {message}")]
    Malformed { url: String, message: String },
}

/// One entry that could not be turned into an item; the others still count.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("entry {} of the feed{}: {message}", index + 1, key.as_ref().map(|k| format!(" ({k})")).unwrap_or_default())]
pub struct EntryError {
    /// Position of the entry in the document, from 0.
    pub index: usize,
    /// The entry's key, when it got as far as having one.
    pub key: Option<String>,
    pub message: String,
}

/// Parses a fetched feed. Relative links resolve against the document's
/// `xml:base`, then `meta.content_location`, then `meta.url`. Reads at most
/// [`MAX_ENTRIES`] entries.
pub fn parse_feed(bytes: &[u8], meta: &ResponseMeta<'_>) -> Result<ParsedFeed, FeedError> {
    parse_feed_capped(bytes, meta, MAX_ENTRIES)
}

fn parse_feed_capped(
    bytes: &[u8],
    meta: &ResponseMeta<'_>,
    max_entries: usize,
) -> Result<ParsedFeed, FeedError> {
    // Decoding here rather than in feed-rs lets a wrong charset header or a
    // declaration-less legacy body come out right; see `normalize::decode`.
    let decoded = normalize::decode_report(bytes, meta.content_type);
    let mut doc = Doc {
        url: meta.url,
        base: meta.base(),
        encoding: decoded.encoding,
        warnings: decoded.warnings,
        format_hint: String::new(),
    };
    doc.warnings
        .extend(format::media_type_warning(meta.content_type));
    let text = repair::declare_utf8(decoded.text);
    doc.format_hint = format_hint(&text);
    let text = repair::label_rss_version(text, &mut doc.warnings);
    let text = entities::html_entities_to_xml(text, &mut doc.warnings);
    let text = atom03::to_atom_10(text);
    match cap::cap_entries(&text, max_entries) {
        Some(capped) => {
            drop(text);
            tracing::warn!(
                url = %meta.url,
                entries = capped.total,
                cap = max_entries,
                "Feed has more entries than the cap; only the first are read."
            );
            let mut parsed = parse_text(&capped.text, doc)?;
            parsed.errors.push(EntryError {
                index: max_entries,
                key: None,
                message: format!(
                    "the feed has {} entries, more than the cap of {max_entries}; \
                     this one and the {} after it are skipped",
                    capped.total,
                    capped.total - max_entries - 1
                ),
            });
            Ok(parsed)
        }
        None => parse_text(&text, doc),
    }
}

/// What is known of the document besides its text.
struct Doc<'a> {
    url: &'a str,
    /// Content-Location or fetch URL; the root's `xml:base` comes on top.
    base: Option<Url>,
    encoding: String,
    warnings: Vec<String>,
    /// The head of the document before repairs, which names its format.
    format_hint: String,
}

/// The first 4 KiB of the document, before repairs: where its root's start
/// tag and the namespaces it binds are, which name the format once the
/// repairs have relabelled it. (A root past a longer preamble falls back to
/// what feed-rs read it as.)
fn format_hint(text: &str) -> String {
    const HEAD: usize = 4096;
    let mut end = text.len().min(HEAD);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

fn parse_text(text: &str, mut doc: Doc<'_>) -> Result<ParsedFeed, FeedError> {
    // The links feed-rs resolves honour the root's xml:base; the author
    // URIs we resolve ourselves must too.
    let base = match (base::root_xml_base(text), &doc.base) {
        (Some(b), Some(f)) => f.join(&b).ok().or(doc.base.clone()),
        (Some(b), None) => Url::parse(&b).ok(),
        (None, _) => doc.base.clone(),
    };
    let parser = parser(doc.base.as_ref());
    if let Some(closed) = repair::close_truncated(text) {
        if let Ok(feed) = parser.parse(closed.as_bytes()) {
            doc.warnings
                .push("the document is cut off; it was read up to its last complete entry".into());
            let mut parsed = convert(feed, &closed, base.as_ref(), doc);
            parsed.errors.push(EntryError {
                index: parsed.items.len() + parsed.errors.len(),
                key: None,
                message: TRUNCATED.into(),
            });
            return Ok(parsed);
        }
    }
    let message = match parser.parse(text.as_bytes()) {
        Ok(feed) => return Ok(convert(feed, text, base.as_ref(), doc)),
        Err(e) => match feed_error(doc.url, e) {
            FeedError::Malformed { message, .. } => message,
            other => return Err(other),
        },
    };
    let Some(salvaged) = salvage::entries_one_by_one(&parser, text) else {
        return Err(FeedError::Malformed {
            url: doc.url.to_string(),
            message,
        });
    };
    doc.warnings.push(format!(
        "the document is not well-formed XML ({message}); its entries were read one by one"
    ));
    let mut parsed = convert(salvaged.feed, text, base.as_ref(), doc);
    // Back to document positions, the broken entries among the others.
    for error in &mut parsed.errors {
        error.index = salvaged.positions[error.index];
    }
    parsed.errors.extend(
        salvaged
            .broken
            .into_iter()
            .map(|(index, message)| EntryError {
                index,
                key: None,
                message,
            }),
    );
    parsed.errors.sort_by_key(|e| e.index);
    Ok(parsed)
}

fn parser(url: Option<&Url>) -> Parser {
    Builder::new()
        .base_uri(url.map(Url::as_str))
        // feed-rs would otherwise invent ids (random ones when an entry has
        // no link); an empty id tells a missing guid from a real one.
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(normalize::parse_date)
        .build()
}

fn feed_error(url: &str, e: ParseFeedError) -> FeedError {
    match e {
        ParseFeedError::ParseError(feed_rs::parser::ParseErrorKind::NoFeedRoot) => {
            FeedError::NotAFeed {
                url: url.to_string(),
            }
        }
        other => FeedError::Malformed {
            url: url.to_string(),
            message: other.to_string(),
        },
    }
}

fn convert(feed: Feed, text: &str, base: Option<&Url>, doc: Doc<'_>) -> ParsedFeed {
    let own = base.is_none().then(|| own_address(&feed)).flatten();
    let base = base.or(own.as_ref());
    let source_title = feed.title.as_ref().map(one_line).filter(|t| !t.is_empty());
    let mut out = ParsedFeed {
        title: source_title.clone(),
        link: pick_link(&feed.links).and_then(|href| resolve(href, base)),
        format: format::detect(&feed.feed_type, &doc.format_hint),
        encoding: doc.encoding,
        ttl: feed
            .ttl
            .filter(|m| *m > 0)
            .map(|m| Duration::from_secs(u64::from(m) * 60)),
        items: Vec::new(),
        errors: Vec::new(),
        warnings: doc.warnings,
    };
    let mut seen = HashSet::new();
    let entry_bases = base::entry_bases(text, feed.entries.len()).unwrap_or_default();
    for (index, entry) in feed.entries.iter().enumerate() {
        let own_base = entry_bases
            .get(index)
            .cloned()
            .flatten()
            .and_then(|b| match base {
                Some(base) => base.join(&b).ok(),
                None => Url::parse(&b).ok(),
            });
        let mut item = match to_item(entry, &feed, own_base.as_ref().or(base)) {
            Ok(item) => item,
            Err(message) => {
                out.errors.push(EntryError {
                    index,
                    key: None,
                    message,
                });
                continue;
            }
        };
        if !seen.insert(item.key.clone()) {
            let message = "another entry earlier in the feed has the same key; skipped".into();
            out.errors.push(EntryError {
                index,
                key: Some(item.key),
                message,
            });
            continue;
        }
        item.source_title.clone_from(&source_title);
        out.items.push(item);
    }
    out
}

fn to_item(entry: &Entry, feed: &Feed, base: Option<&Url>) -> Result<Item, String> {
    let url = pick_link(&entry.links).and_then(|href| resolve(href, base));
    let title = entry.title.as_ref().map(one_line).filter(|t| !t.is_empty());
    let text = body_text(entry);
    // An id alone still names a post (a reply count, a later edit can
    // attach to it), as feedparser keeps it; only an entry with nothing at
    // all is skipped, and reported.
    let guid = Some(entry.id.as_str()).filter(|g| !g.trim().is_empty());
    if title.is_none() && text.is_empty() && url.is_none() && guid.is_none() {
        return Err("no id, title, text or link".into());
    }
    let key = normalize::item_key(guid, url.as_deref(), title.as_deref(), &text);
    let author = entry
        .authors
        .first()
        .or(feed.authors.first())
        .and_then(|p| author(p, base));
    Ok(Item {
        key,
        content_hash: normalize::content_hash(title.as_deref(), &text),
        url,
        title,
        text,
        published: entry.published,
        // feed-rs copies the RSS pubDate into `updated`; an equal value says
        // nothing about an edit.
        updated: entry.updated.filter(|u| Some(*u) != entry.published),
        author,
        platform: "web".into(),
        lang: entry.language.clone().or_else(|| feed.language.clone()),
        ..Item::default()
    })
}

/// The entry's own page: an alternate link, else any link that is not an
/// attachment or a feed-management link.
fn pick_link(links: &[Link]) -> Option<&str> {
    let is = |l: &&Link, rel: &str| l.rel.as_deref().unwrap_or("alternate") == rel;
    links
        .iter()
        .find(|l| is(l, "alternate"))
        .or_else(|| {
            links.iter().find(|l| {
                !["enclosure", "self", "edit", "replies"]
                    .iter()
                    .any(|r| is(l, r))
            })
        })
        .map(|l| l.href.trim())
        .filter(|h| !h.is_empty())
}

/// `href` made absolute; a relative one with no base to resolve it against
/// is dropped rather than kept as something that is not a link.
fn resolve(href: &str, base: Option<&Url>) -> Option<String> {
    let joined = match base {
        Some(base) => base.join(href),
        None => Url::parse(href),
    };
    joined.ok().map(String::from)
}

fn is_web(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

/// Where the feed says it lives: its `self` link, else the site it belongs
/// to (RSS `<link>`, Atom `alternate`, JSON Feed `home_page_url`). Only web
/// addresses count.
fn own_address(feed: &Feed) -> Option<Url> {
    let web = |l: &Link| Url::parse(l.href.trim()).ok().filter(is_web);
    let rel = |l: &Link| l.rel.as_deref().unwrap_or("alternate").to_string();
    let links = || feed.links.iter();
    links()
        .filter(|l| rel(l) == "self")
        .find_map(web)
        .or_else(|| links().filter(|l| rel(l) == "alternate").find_map(web))
}

/// Content when it has text, else the summary.
fn body_text(entry: &Entry) -> String {
    let content = entry.content.as_ref().and_then(|c| {
        let body = c.body.as_deref()?;
        Some(to_text(body, c.content_type.as_ref()))
    });
    content
        .filter(|t| !t.is_empty())
        .or_else(|| {
            entry
                .summary
                .as_ref()
                .map(|s| to_text(&s.content, s.content_type.as_ref()))
        })
        .unwrap_or_default()
}

/// HTML becomes text; text declared plain stays as written (a literal `<b>`
/// in a plain-text title is text).
fn to_text(content: &str, media_type: &str) -> String {
    if media_type.contains("html") && normalize::looks_like_html(content) {
        normalize::html_to_text(content)
    } else {
        normalize::plain_text(content)
    }
}

fn one_line(text: &Text) -> String {
    let text = to_text(&text.content, text.content_type.as_ref());
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn author(person: &Person, base: Option<&Url>) -> Option<Author> {
    let author = Author {
        name: person_name(person),
        // A profile is a web page; a `mailto:` or a path is no profile.
        url: person
            .uri
            .as_deref()
            .and_then(|u| resolve(u.trim(), base))
            .filter(|u| u.starts_with("http://") || u.starts_with("https://")),
        ..Author::default()
    };
    (!author.is_empty()).then_some(author)
}

/// feed-rs reads RSS `<author>` as a person named "author" whose email is the
/// element's text, conventionally `address (Name)`.
fn person_name(person: &Person) -> Option<String> {
    let name = person.name.trim();
    let raw = match (name, person.email.as_deref()) {
        ("author", Some(email)) => {
            let email = email.trim();
            match (email.find('('), email.rfind(')')) {
                (Some(open), Some(close)) if open < close => &email[open + 1..close],
                _ => email,
            }
        }
        _ => name,
    };
    let raw = normalize::plain_text(raw);
    (!raw.is_empty()).then_some(raw)
}

#[cfg(test)]
mod encoding_tests;
#[cfg(test)]
mod links_tests;
#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod report_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod wild_tests;
