//! Mastodon: the hashtag timeline and full-text search of one instance,
//! polled a page of 40 statuses at a time; the live stream is in [`stream`]
//! and the reading of bodies in [`parse`] and [`sse`].
//!
//! Several hashtags are one request (the first in the path, the others as
//! `any[]`), not one per tag, since an instance's budget is counted in
//! requests. `run` reads forward from its cursor with `min_id`, which asks
//! for the page just newer than an id, so pages arrive oldest first and a
//! poll cut short by `max_pages` or a failure leaves no hole: the next one
//! continues where it stopped. `backfill` pages back with `max_id` until the
//! window's start. Ids are compared by no one here: they are opaque strings
//! that only the server orders. Two things the timeline cannot show: a late
//! edit of a status already read (only the stream announces edits), and a
//! status federated so late that it is listed behind the cursor.
//! Rate limits, retries and error bodies are the shared client's business.

use std::collections::HashSet;

use url::Url;

use super::api::ApiRequest;
use super::social::{Fetch, Polled};
use super::SourceError;
use crate::config::social::MastodonSource;

pub mod config;
pub mod parse;
pub mod sse;
pub mod stream;
#[cfg(test)]
mod tests;

pub use parse::{
    parse_link_header, parse_search, parse_statuses, BadBody, BadStatus, Cursor, Links, Parsed,
};
pub use stream::subscribe;

/// Statuses per page: the most Mastodon serves.
const LIMIT: &str = "40";

/// One poll: the hashtag timeline if `hashtags` are set, then search if
/// `query` is. The cursor is a [`Cursor`], one id per endpoint.
pub async fn poll(cfg: &MastodonSource, fetch: &Fetch<'_>) -> Result<Polled, SourceError> {
    let old = fetch.cursor.map(Cursor::decode).unwrap_or_default();
    let mut run = Run {
        cfg,
        fetch,
        out: Polled::default(),
        keys: HashSet::new(),
    };
    let mut new = Cursor::default();
    if !cfg.hashtags.is_empty() {
        new.tag = run
            .read(Endpoint::Tags(&cfg.hashtags), old.tag.as_deref())
            .await?;
    }
    if let Some(q) = &cfg.query {
        new.search = run.read(Endpoint::Search(q), old.search.as_deref()).await?;
    }
    let mut out = run.out;
    // A backfill leaves the live cursor alone.
    if fetch.window.is_none() {
        let next = Cursor {
            tag: new.tag.or(old.tag),
            search: new.search.or(old.search),
        };
        out.cursor = (next != Cursor::default()).then(|| next.encode());
    }
    Ok(out)
}

/// The instance's host, which completes the handles of its own accounts.
pub fn instance_host(instance: &Url) -> String {
    instance.host_str().unwrap_or_default().to_string()
}

/// `path` under the instance's base URL (which may itself have a path).
pub(crate) fn api_url(instance: &Url, path: &[&str]) -> Url {
    let mut url = instance.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().extend(path);
    }
    url
}

enum Endpoint<'a> {
    Tags(&'a [String]),
    Search(&'a str),
}

/// Which page to ask for.
enum Page {
    Newest,
    /// `max_id`: the page just older than the id.
    Older(String),
    /// `min_id`: the page just newer than the id.
    Newer(String),
}

impl Endpoint<'_> {
    fn url(&self, instance: &Url, page: &Page) -> Url {
        let mut url = match self {
            Endpoint::Tags(tags) => api_url(instance, &["api", "v1", "timelines", "tag", &tags[0]]),
            Endpoint::Search(_) => api_url(instance, &["api", "v2", "search"]),
        };
        let mut q = url.query_pairs_mut();
        match self {
            Endpoint::Tags(tags) => {
                for t in &tags[1..] {
                    q.append_pair("any[]", t);
                }
            }
            Endpoint::Search(text) => {
                q.append_pair("q", text)
                    .append_pair("type", "statuses")
                    .append_pair("resolve", "false");
            }
        }
        q.append_pair("limit", LIMIT);
        match page {
            Page::Newest => {}
            Page::Older(id) => {
                q.append_pair("max_id", id);
            }
            Page::Newer(id) => {
                q.append_pair("min_id", id);
            }
        }
        drop(q);
        url
    }

    fn parse(&self, body: &[u8], host: &str) -> Result<Parsed, parse::BadBody> {
        match self {
            Endpoint::Tags(_) => parse_statuses(body, host),
            Endpoint::Search(_) => parse_search(body, host),
        }
    }

    fn title(&self, host: &str) -> String {
        match self {
            Endpoint::Tags(tags) => {
                let tags: Vec<String> = tags.iter().map(|t| format!("#{t}")).collect();
                format!("{} on {host}", tags.join(" "))
            }
            Endpoint::Search(q) => format!("search \"{q}\" on {host}"),
        }
    }
}

/// One poll in progress: what was read so far, and the keys already taken
/// (the same status may be in the timeline and in search).
struct Run<'a, 'f> {
    cfg: &'a MastodonSource,
    fetch: &'a Fetch<'f>,
    out: Polled,
    keys: HashSet<String>,
}

impl Run<'_, '_> {
    /// Reads one endpoint; returns the id of the newest status read in
    /// `run`, which is where its next poll starts.
    async fn read(
        &mut self,
        ep: Endpoint<'_>,
        cursor: Option<&str>,
    ) -> Result<Option<String>, SourceError> {
        let (cfg, fetch) = (self.cfg, self.fetch);
        let host = instance_host(&cfg.instance);
        let title = ep.title(&host);
        let token = cfg.token.as_ref().map(|t| t.expose());
        let mut page = match (fetch.window, cursor) {
            (None, Some(c)) => Page::Newer(c.to_string()),
            _ => Page::Newest,
        };
        let mut newest = None;
        for n in 0..cfg.max_pages {
            let url = ep.url(&cfg.instance, &page);
            let got = match fetch
                .client
                .call(&ApiRequest::get(url.clone()).bearer(token))
                .await
            {
                Ok(resp) => ep.parse(&resp.body, &host).map(|p| (p, resp)).map_err(|e| {
                    SourceError::Payload {
                        url: url.to_string(),
                        message: e.to_string(),
                    }
                }),
                Err(e) => Err(e.into()),
            };
            let (parsed, resp) = match got {
                Ok(got) => got,
                Err(e) if n == 0 => return Err(e),
                // Earlier pages still count; the cursor stays before this one.
                Err(e) => {
                    self.out.errors.push(e.to_string());
                    break;
                }
            };
            self.out.pages += 1;
            self.out.seen += parsed.read;
            self.out.errors.extend(parsed.errors);
            for mut item in parsed.items {
                if fetch.window.is_some_and(|w| !w.contains(&item)) || self.keys.contains(&item.key)
                {
                    continue;
                }
                item.source_title = Some(title.clone());
                if (fetch.keep)(&item) {
                    self.keys.insert(item.key.clone());
                    self.out.items.push(item);
                }
            }
            let (Some(first), Some(last)) = (parsed.ids.first(), parsed.ids.last()) else {
                break;
            };
            let links = resp
                .header("link")
                .map(parse_link_header)
                .unwrap_or_default();
            page = match fetch.window {
                None => {
                    newest = Some(first.clone());
                    if cursor.is_none() {
                        break; // a first poll starts from now, not from the beginning
                    }
                    // Asked for as `min_id` even where an older server's link
                    // says `since_id`, which would jump to the newest page.
                    let id = link_id(links.prev.as_deref(), &["min_id", "since_id"]);
                    Page::Newer(id.unwrap_or_else(|| first.clone()))
                }
                Some(w) => {
                    if w.since.zip(parsed.oldest).is_some_and(|(s, o)| o < s) {
                        break;
                    }
                    let id = link_id(links.next.as_deref(), &["max_id"]);
                    Page::Older(id.unwrap_or_else(|| last.clone()))
                }
            };
        }
        Ok(newest)
    }
}

/// The id a `Link` address pages from. Only the id is taken, and the next
/// address built from the instance's own URL: the token goes nowhere else.
fn link_id(link: Option<&str>, names: &[&str]) -> Option<String> {
    let url = Url::parse(link?).ok()?;
    let id = url
        .query_pairs()
        .find(|(k, _)| names.contains(&k.as_ref()))
        .map(|(_, v)| v.into_owned());
    id.filter(|v| !v.is_empty())
}
