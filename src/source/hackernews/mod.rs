//! Hacker News: stories and comments matching a query, read from Algolia's
//! HN search (`search_by_date`), with authors' karma from the Firebase API.
//!
//! Owns the order of calls: which time slices and pages to ask for, when
//! the page budget stops a poll, and looking up karma only for kept items.
//! Reading the answers is [`parse`]'s; waiting out rate limits is the
//! shared client's.
//!
//! Algolia serves at most 1,000 hits of one query, so a range holding more
//! is cut in halves by time until every piece fits. A backfill reads its
//! window newest piece first. A run reads forward, oldest piece first, so
//! that when the budget runs out what is left is newer than the cursor and
//! the next poll picks it up.
//!
//! Cursor: the newest `created_at_i` (Unix seconds, in decimal) among the
//! hits of the pieces read in full. A run asks for `created_at_i >=
//! cursor`; the hits of that second come again and the driver drops them.

pub mod config;
mod parse;
#[cfg(test)]
mod tests;

pub use parse::{
    item_url, links_in, parse_search, parse_user, search_url, user_api_url, user_url, Cursor, Hit,
    SearchPage, Slice, Slicer, HITS_PER_PAGE, MAX_REACHABLE,
};

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::api::ApiRequest;
use super::http::HttpClient;
use super::social::{apply_profile, Fetch, Polled, Profile};
use super::{SourceError, Window};
use crate::config::social::HackerNewsSource;

const PLATFORM: &str = "hackernews";

pub async fn poll(cfg: &HackerNewsSource, fetch: &Fetch<'_>) -> Result<Polled, SourceError> {
    let mut r = Reader {
        cfg,
        fetch,
        out: Polled::default(),
        ids: HashSet::new(),
    };
    match (fetch.window, fetch.cursor) {
        (Some(w), _) => r.backfill(w).await?,
        (None, Some(c)) => r.forward(c).await?,
        (None, None) => r.newest().await?,
    }
    karma(cfg, fetch, &mut r.out.items).await;
    Ok(r.out)
}

/// How reading one slice ended.
enum Read {
    /// Too big for one query: its halves are queued instead.
    Split,
    /// Every page read; the newest second seen.
    Whole(Option<i64>),
    /// The page budget ran out first.
    Partial,
}

struct Reader<'a, 'f> {
    cfg: &'a HackerNewsSource,
    fetch: &'a Fetch<'f>,
    out: Polled,
    /// Hits already taken: pages shift while new posts arrive.
    ids: HashSet<String>,
}

impl Reader<'_, '_> {
    async fn newest(&mut self) -> Result<(), SourceError> {
        let open = Slice {
            since: None,
            until: None,
        };
        let page = self.page(open, 0).await?;
        self.out.cursor = page.newest().map(|t| t.to_string());
        self.take(page);
        Ok(())
    }

    async fn forward(&mut self, cursor: &str) -> Result<(), SourceError> {
        let at: Cursor = match cursor.parse() {
            Ok(c) => c,
            Err(e) => {
                self.out
                    .errors
                    .push(format!("{e}: reading the newest page"));
                return self.newest().await;
            }
        };
        let open = |since| Slice {
            since: Some(since),
            until: None,
        };
        let mut slicer = Slicer::new(open(at.until.unwrap_or(at.from)), true);
        if let Some(until) = at.until {
            slicer.push(Slice {
                since: Some(at.from),
                until: Some(until),
            });
        }
        let mut reached = None;
        let mut stopped = None;
        while let Some(slice) = slicer.pop() {
            let left = self.cfg.max_pages.saturating_sub(self.out.pages) as u64;
            if left == 0 {
                stopped = Some(slice);
                break;
            }
            // A slice must fit in the pages left, or no poll gets past it.
            let cap = (left * HITS_PER_PAGE).min(MAX_REACHABLE);
            match self.slice(&mut slicer, slice, cap).await? {
                Read::Split => {}
                Read::Whole(newest) => reached = reached.max(newest),
                Read::Partial => {
                    stopped = Some(slice);
                    break;
                }
            }
        }
        self.out.cursor = match stopped {
            // Everything before the slice it stopped at was read whole.
            Some(s) => Some(
                Cursor {
                    from: s.since.unwrap_or(at.from),
                    until: s.until,
                }
                .to_string(),
            ),
            None => reached.map(|t| t.to_string()),
        };
        Ok(())
    }

    async fn backfill(&mut self, w: Window) -> Result<(), SourceError> {
        let range = Slice {
            since: w.since.map(ceil_secs),
            until: w.until.map(ceil_secs),
        };
        let mut slicer = Slicer::new(range, false);
        while let Some(slice) = slicer.pop() {
            let read = match self.out.pages < self.cfg.max_pages {
                true => self.slice(&mut slicer, slice, MAX_REACHABLE).await?,
                false => Read::Partial,
            };
            if let Read::Partial = read {
                self.out.errors.push(format!(
                    "max_pages ({}) read: hits of the window before {} are missing",
                    self.cfg.max_pages,
                    slice.until.map_or("now".into(), show),
                ));
                break;
            }
        }
        Ok(())
    }

    /// Reads one slice whole, unless it holds more than `cap` hits and can
    /// still be split.
    async fn slice(
        &mut self,
        slicer: &mut Slicer,
        slice: Slice,
        cap: u64,
    ) -> Result<Read, SourceError> {
        let first = self.page(slice, 0).await?;
        // A probe's hits are left for its halves to read: taken now, they
        // would come again next poll, after the cursor.
        if first.nb_hits > cap && slicer.split(slice, first.newest()) {
            return Ok(Read::Split);
        }
        // Hits past the cap in one second cannot be had: say so, move on.
        let lost = (first.nb_hits > cap).then(|| {
            format!(
                "{} hits in the second from {}: only {cap} could be read",
                first.nb_hits,
                first.newest().map_or("?".into(), show)
            )
        });
        // Later pages stop at the first page's newest hit, so that posts
        // indexed meanwhile cannot push older ones off the last page.
        let bounded = Slice {
            until: slice.until.or(first.newest().map(|n| n + 1)),
            ..slice
        };
        let mut newest = first.newest();
        let mut pages = first.nb_pages.min(MAX_REACHABLE / HITS_PER_PAGE);
        self.take(first);
        let mut n = 1;
        while n < pages {
            if self.out.pages >= self.cfg.max_pages {
                if lost.is_none() {
                    return Ok(Read::Partial);
                }
                break;
            }
            let next = self.page(bounded, n).await?;
            if next.seen == 0 {
                break;
            }
            newest = newest.max(next.newest());
            pages = next.nb_pages.min(MAX_REACHABLE / HITS_PER_PAGE);
            self.take(next);
            n += 1;
        }
        self.out.errors.extend(lost);
        Ok(Read::Whole(newest))
    }

    async fn page(&mut self, slice: Slice, page: u64) -> Result<SearchPage, SourceError> {
        let cfg = self.cfg;
        let url = search_url(&cfg.algolia, &cfg.query, &cfg.tags, slice, page);
        let resp = self.fetch.client.call(&ApiRequest::get(url)).await?;
        self.out.pages += 1;
        parse_search(&resp.body).map_err(|message| SourceError::Payload {
            url: resp.url.to_string(),
            message,
        })
    }

    fn take(&mut self, page: SearchPage) {
        self.out.seen += page.seen;
        self.out.errors.extend(page.errors);
        for hit in page.hits {
            if !self.ids.insert(hit.id) {
                self.out.seen -= 1;
            } else if (self.fetch.keep)(&hit.item) {
                self.out.items.push(hit.item);
            }
        }
    }
}

/// Fills in the karma of kept items' authors, each looked up once while
/// the cache remembers it. A failed lookup costs the item its karma, never
/// the item; after one failure the rest wait for the next poll, since the
/// host is likely refusing.
async fn karma(cfg: &HackerNewsSource, fetch: &Fetch<'_>, items: &mut [crate::model::Item]) {
    let mut failing = false;
    for item in items {
        let Some(name) = item.author.as_ref().and_then(|a| a.handle.clone()) else {
            continue;
        };
        let profile = match fetch.profiles.get(PLATFORM, &name) {
            Some(p) => p,
            None if failing => continue,
            None => match user(fetch.client, cfg, &name).await {
                Ok(p) => {
                    fetch.profiles.put(PLATFORM, &name, p.clone());
                    p
                }
                Err(e) => {
                    tracing::warn!(user = %name, error = %e, "Karma lookup failed.");
                    failing = true;
                    continue;
                }
            },
        };
        apply_profile(item, &profile);
    }
}

async fn user(
    client: &HttpClient,
    cfg: &HackerNewsSource,
    name: &str,
) -> Result<Profile, SourceError> {
    let url = user_api_url(&cfg.firebase, name);
    let resp = client.call(&ApiRequest::get(url)).await?;
    let found = parse_user(&resp.body).map_err(|message| SourceError::Payload {
        url: resp.url.to_string(),
        message,
    })?;
    // An unknown name is remembered too, so it is not asked again.
    Ok(found.unwrap_or_else(|| Profile {
        handle: Some(name.to_string()),
        url: Some(user_url(name)),
        ..Profile::default()
    }))
}

/// The first whole second at or after `t`.
fn ceil_secs(t: DateTime<Utc>) -> i64 {
    t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)
}

fn show(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0).map_or(secs.to_string(), |t| t.to_rfc3339())
}
