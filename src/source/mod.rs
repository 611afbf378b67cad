//! Sources: where items come from.
//!
//! One module per kind of source. Each kind has a pure half (bytes in, items
//! out: [`feed::parse_feed`], [`page::extract_posts`]) and this module's
//! async half, which fetches through the shared [`http::HttpClient`] and
//! hands the bytes over. Sources know nothing of classification, records,
//! sinks or state: the validators they return are saved by the driver only
//! once the sink has acknowledged what came with them.

pub mod api;
pub mod feed;
pub mod http;
pub mod page;

use std::time::Duration;

use crate::config::{Location, SourceConfig, SourceKind};
use crate::model::Item;
use http::{FetchError, Fetched, HttpClient, Validators};

/// What one poll of one source produced.
#[derive(Debug, Default)]
pub struct Poll {
    pub items: Vec<Item>,
    /// Entries that could not be read; the rest of the document still counts.
    pub errors: Vec<String>,
    /// New validators per document URL, to save once the items are delivered.
    pub validators: Vec<(String, Validators)>,
    /// Documents that answered 304.
    pub not_modified: usize,
    /// The longest interval the source asked for (`<ttl>`, `max-age`).
    pub min_interval: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Feed(#[from] feed::FeedError),
    #[error("{url}: no posts matched the selectors and no feed is linked")]
    EmptyPage { url: String },
}

impl SourceError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, SourceError::Fetch(e) if e.is_retryable())
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SourceError::Fetch(e) => e.retry_after(),
            _ => None,
        }
    }
}

/// Looks up saved validators of a document URL.
pub type ValidatorLookup<'a> = &'a (dyn Fn(&str) -> Option<Validators> + Sync);

/// Polls a source once. `validators` is `None` when caches are to be ignored
/// (backfill).
pub async fn poll(
    client: &HttpClient,
    source: &SourceConfig,
    validators: Option<ValidatorLookup<'_>>,
) -> Result<Poll, SourceError> {
    let mut out = Poll::default();
    match &source.kind {
        SourceKind::Feed => {
            poll_feed(client, &source.location, validators, &mut out).await?;
        }
        SourceKind::Page(selectors) => {
            let loc = &source.location;
            let saved = validators.and_then(|v| v(&loc.to_string()));
            let body = match client.fetch(loc, saved.as_ref()).await? {
                Fetched::NotModified => {
                    out.not_modified += 1;
                    return Ok(out);
                }
                Fetched::Body(b) => b,
            };
            let html = crate::normalize::decode(&body.bytes, body.content_type.as_deref());
            let base = loc.base_url();
            match selectors {
                Some(sel) => {
                    let page = page::extract_posts(&html, &base, sel);
                    out.items = page.items;
                    out.errors = page.errors;
                    out.validators.push((loc.to_string(), body.validators));
                    out.min_interval = body.max_age;
                }
                None => {
                    let feeds = page::discover_feeds(&html, &base);
                    if feeds.is_empty() {
                        return Err(SourceError::EmptyPage {
                            url: loc.to_string(),
                        });
                    }
                    for url in feeds {
                        let loc = feed_location(&url);
                        // One dead feed among several must not lose the others.
                        if let Err(e) = poll_feed(client, &loc, validators, &mut out).await {
                            out.errors.push(e.to_string());
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

fn feed_location(url: &url::Url) -> Location {
    match url.to_file_path() {
        Ok(p) if url.scheme() == "file" => Location::File(p),
        _ => Location::Http(url.clone()),
    }
}

async fn poll_feed(
    client: &HttpClient,
    loc: &Location,
    validators: Option<ValidatorLookup<'_>>,
    out: &mut Poll,
) -> Result<(), SourceError> {
    let key = loc.to_string();
    let saved = validators.and_then(|v| v(&key));
    let body = match client.fetch(loc, saved.as_ref()).await? {
        Fetched::NotModified => {
            out.not_modified += 1;
            return Ok(());
        }
        Fetched::Body(b) => b,
    };
    let parsed = feed::parse_feed(
        &body.bytes,
        &loc.base_url().to_string(),
        body.content_type.as_deref(),
    )?;
    out.items.extend(parsed.items);
    out.errors
        .extend(parsed.errors.into_iter().map(|e| format!("{key}: {e}")));
    out.validators.push((key, body.validators));
    out.min_interval = out.min_interval.max(parsed.ttl.max(body.max_age));
    Ok(())
}
