//! Sources: where items come from.
//!
//! One module per kind of source. Each kind has a pure half (bytes in, items
//! out: [`feed::parse_feed`], [`page::extract_posts`]) and this module's
//! async half, which fetches through the shared [`http::HttpClient`] and
//! hands the bytes over. Sources know nothing of classification, records,
//! sinks or state: the validators they return are saved by the driver only
//! once the sink has acknowledged what came with them.

pub mod ahead;
pub mod api;
pub mod bluesky;
pub mod feed;
pub mod hackernews;
pub mod http;
pub mod json;
pub mod mastodon;
pub mod page;
pub mod reddit;
pub mod social;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::{Location, SourceConfig, SourceKind};
use crate::model::Item;
use http::{FetchError, Fetched, HttpClient, Validators};
use social::{Fetch, Polled, Profiles};

/// Time window of a backfill; items without a date are let through.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Window {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Window {
    pub fn contains(&self, item: &Item) -> bool {
        let Some(t) = item.time() else { return true };
        self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u)
    }
}

/// What a poll may know beyond the source's settings.
pub struct PollCtx<'a> {
    /// Saved validators of documents; `None` ignores caches (backfill).
    pub validators: Option<ValidatorLookup<'a>>,
    /// Where the source's last acknowledged poll stopped.
    pub cursor: Option<&'a str>,
    /// `backfill`'s window, which API sources page back over.
    pub window: Option<Window>,
    /// The brand queries, which API sources apply before looking up authors.
    pub keep: &'a (dyn Fn(&Item) -> bool + Sync),
    pub profiles: Option<&'a Profiles>,
}

impl PollCtx<'_> {
    /// A poll with nothing known: every item kept, caches ignored.
    pub fn fresh() -> PollCtx<'static> {
        PollCtx {
            validators: None,
            cursor: None,
            window: None,
            keep: &|_| true,
            profiles: None,
        }
    }
}

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
    /// API sources: the cursor to save once the items are delivered.
    pub cursor: Option<String>,
    /// Where the source's own document moved for good (every redirect to
    /// it permanent), to poll there from now on.
    pub moved: Option<Moved>,
    /// The fetched documents' share of the read-ahead bound, kept until the
    /// poll is delivered: parsed items and the records made of them wait
    /// for the sink and the state commit, and without this a backfill of
    /// many sources kept hundreds of polls' worth of them in memory.
    pub held: Vec<ahead::Held>,
}

/// A document that answered with permanent redirects only.
#[derive(Debug, Clone, PartialEq)]
pub struct Moved {
    /// The URL that was polled.
    pub from: String,
    /// Where the redirects ended.
    pub to: url::Url,
}

impl From<Polled> for Poll {
    fn from(p: Polled) -> Poll {
        Poll {
            items: p.items,
            errors: p.errors,
            cursor: p.cursor,
            ..Poll::default()
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Feed(#[from] feed::FeedError),
    #[error("{url}: no posts matched the selectors and no feed is linked")]
    EmptyPage { url: String },
    /// An API answered with something that is not what it documents.
    #[error("{url}: unexpected response: {message}")]
    Payload { url: String, message: String },
    /// The source cannot do what was asked (a search without credentials).
    #[error("{0}")]
    Unsupported(String),
    /// A streaming connection failed (websocket, server-sent events).
    #[error("{url}: stream: {message}")]
    Stream { url: String, message: String },
}

impl SourceError {
    pub fn is_retryable(&self) -> bool {
        match self {
            SourceError::Fetch(e) => e.is_retryable(),
            SourceError::Stream { .. } => true,
            _ => false,
        }
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
    ctx: &PollCtx<'_>,
) -> Result<Poll, SourceError> {
    let validators = ctx.validators;
    let own_profiles;
    let fetch = Fetch {
        client,
        cursor: ctx.cursor,
        window: ctx.window,
        keep: ctx.keep,
        profiles: match ctx.profiles {
            Some(p) => p,
            None => {
                own_profiles = Profiles::default();
                &own_profiles
            }
        },
    };
    let mut out = Poll::default();
    match &source.kind {
        // Boxed, so that this future is only as large as the one arm that
        // runs: polls queued behind the request slots or the read-ahead
        // bound then hold little memory each, however many sources wait.
        SourceKind::Mastodon(m) => return Ok(Box::pin(mastodon::poll(m, &fetch)).await?.into()),
        SourceKind::Bluesky(b) => return Ok(Box::pin(bluesky::poll(b, &fetch)).await?.into()),
        SourceKind::HackerNews(h) => {
            return Ok(Box::pin(hackernews::poll(h, &fetch)).await?.into())
        }
        SourceKind::Reddit(r) => return Ok(Box::pin(reddit::poll(r, &fetch)).await?.into()),
        SourceKind::Feed => {
            let loc = &source.location;
            out.moved = poll_feed(client, loc, validators, &mut out)
                .await?
                .map(|to| Moved {
                    from: loc.to_string(),
                    to,
                });
        }
        SourceKind::Page(selectors) => {
            let loc = &source.location;
            let saved = validators.and_then(|v| v(&loc.to_string()));
            let ticket = client.read_ahead().admit().await;
            // Boxed once admitted (see above).
            let body = match Box::pin(client.fetch(loc, saved.as_ref())).await? {
                Fetched::NotModified => {
                    out.not_modified += 1;
                    return Ok(out);
                }
                Fetched::Body(b) => b,
            };
            let held = ticket.hold(body.bytes.len());
            out.moved = body.moved_to.clone().map(|to| Moved {
                from: loc.to_string(),
                to,
            });
            let base = loc.base_url();
            let (bytes, content_type) = (body.bytes, body.content_type);
            let html = move || crate::normalize::decode(&bytes, content_type.as_deref());
            match selectors {
                Some(sel) => {
                    let sel = sel.clone();
                    let page = blocking(move || page::extract_posts(&html(), &base, &sel)).await?;
                    out.held.push(held);
                    out.items = page.items;
                    out.errors = page.errors;
                    out.validators.push((loc.to_string(), body.validators));
                    out.min_interval = body.max_age;
                }
                None => {
                    let feeds = blocking(move || {
                        let _held = held;
                        page::discover_feeds(&html(), &base)
                    })
                    .await?;
                    if feeds.is_empty() {
                        return Err(SourceError::EmptyPage {
                            url: loc.to_string(),
                        });
                    }
                    for url in feeds {
                        // One dead or refused feed among several must not
                        // lose the others.
                        let polled = match feed_location(&url, loc) {
                            Ok(feed) => poll_feed(client, &feed, validators, &mut out)
                                .await
                                .map(drop),
                            Err(e) => Err(e),
                        };
                        // The next feed's read waits for the bound; were
                        // this one's share kept, polls of such pages could
                        // together hold all of it and wait on each other.
                        out.held.clear();
                        if let Err(e) = polled {
                            out.errors.push(e.to_string());
                        }
                    }
                }
            }
        }
    }
    Ok(out)
}

/// Whether `run` follows the source live over a stream rather than polling.
pub fn streams(source: &SourceConfig) -> bool {
    match &source.kind {
        SourceKind::Bluesky(_) => true,
        SourceKind::Mastodon(m) => m.stream,
        _ => false,
    }
}

/// Opens the live stream of a source for which [`streams`] is true, from
/// `cursor` where the platform can resume.
pub async fn subscribe(
    client: &HttpClient,
    source: &SourceConfig,
    cursor: Option<&str>,
) -> Result<social::FrameStream, SourceError> {
    match &source.kind {
        SourceKind::Bluesky(b) => bluesky::subscribe(b, client, cursor).await,
        SourceKind::Mastodon(m) => mastodon::subscribe(m, client, cursor).await,
        _ => Err(SourceError::Unsupported(format!(
            "{}: this kind of source has no stream",
            source.id
        ))),
    }
}

/// Fills in what a stream's frames lack (Jetstream posts carry no author
/// profile); a no-op for sources whose frames are complete.
pub async fn enrich(
    client: &HttpClient,
    source: &SourceConfig,
    items: &mut [Item],
    profiles: &Profiles,
) {
    if let SourceKind::Bluesky(b) = &source.kind {
        bluesky::enrich(b, client, items, profiles).await;
    }
}

/// Where a feed linked from `page` lives. A page on the web may link only
/// to http(s) feeds: a `file:` link there would read this machine's files.
/// (Where those feeds may point is the guard's business, when fetched.)
fn feed_location(url: &url::Url, page: &Location) -> Result<Location, SourceError> {
    match (url.scheme(), page) {
        ("http" | "https", _) => Ok(Location::Http(url.clone())),
        ("file", Location::File(_)) => url
            .to_file_path()
            .map(Location::File)
            .map_err(|()| SourceError::Unsupported(format!("{url}: not a file path"))),
        (scheme, _) => Err(SourceError::Fetch(FetchError::Refused {
            url: url.to_string(),
            refusal: http::guard::Refusal::Scheme(scheme.to_string()),
        })),
    }
}

/// Runs a parser on the blocking pool: html5ever and XML parsing of a large
/// or hostile document take CPU time that must not stall the async workers
/// every other source shares. One parse per core at a time (see
/// [`crate::cores`]). A panic in the parser stays a panic.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, SourceError> {
    match crate::cores::run(crate::cores::Stage::Parse, f).await {
        Ok(t) => Ok(t),
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => Err(SourceError::Unsupported(format!("parser task: {e}"))),
        },
    }
}

async fn poll_feed(
    client: &HttpClient,
    loc: &Location,
    validators: Option<ValidatorLookup<'_>>,
    out: &mut Poll,
) -> Result<Option<url::Url>, SourceError> {
    let key = loc.to_string();
    let saved = validators.and_then(|v| v(&key));
    let Some(read) = read_feed(client, loc, saved.as_ref()).await? else {
        out.not_modified += 1;
        return Ok(None);
    };
    let parsed = read.feed;
    out.items.extend(parsed.items);
    out.errors
        .extend(parsed.errors.into_iter().map(|e| format!("{key}: {e}")));
    out.validators.push((key, read.validators));
    out.min_interval = out.min_interval.max(parsed.ttl.max(read.max_age));
    out.held.push(read.held);
    Ok(read.moved_to)
}

/// One feed document, fetched and parsed.
#[derive(Debug)]
pub struct ReadFeed {
    pub feed: feed::ParsedFeed,
    pub validators: Validators,
    /// `Cache-Control: max-age`.
    pub max_age: Option<Duration>,
    /// Where the document lives now, when every redirect was permanent.
    pub moved_to: Option<url::Url>,
    /// The document's share of the read-ahead bound; see [`Poll::held`].
    pub held: ahead::Held,
}

/// Fetches the feed at `loc` and parses it; `None` when it answered 304 to
/// `saved` validators.
pub async fn read_feed(
    client: &HttpClient,
    loc: &Location,
    saved: Option<&Validators>,
) -> Result<Option<ReadFeed>, SourceError> {
    let ticket = client.read_ahead().admit().await;
    // Boxed once admitted: a read waiting for the read-ahead bound holds
    // only this small future, not the request's.
    let body = match Box::pin(client.fetch(loc, saved)).await? {
        Fetched::NotModified => return Ok(None),
        Fetched::Body(b) => b,
    };
    let held = ticket.hold(body.bytes.len());
    let base = loc.base_url().to_string();
    let (bytes, content_type, content_location) =
        (body.bytes, body.content_type, body.content_location);
    let feed = blocking(move || {
        let meta = feed::ResponseMeta {
            url: &base,
            content_type: content_type.as_deref(),
            content_location: content_location.as_deref(),
        };
        feed::parse_feed(&bytes, &meta)
    })
    .await??;
    Ok(Some(ReadFeed {
        feed,
        validators: body.validators,
        max_age: body.max_age,
        moved_to: body.moved_to,
        held,
    }))
}
