//! Bluesky: posts from the Jetstream firehose in `run`, from `searchPosts`
//! (or a Jetstream replay) in `backfill`, with authors' reach from the
//! public AppView.
//!
//! This is the async half: how long to read, where to resume, sessions and
//! profile lookups. The shapes live in `parse` (records, pages, profiles)
//! and `jetstream` (events, and the websocket itself).
//!
//! The cursor saved between polls is the `time_us` of the last Jetstream
//! event read, in decimal microseconds since the Unix epoch. Jetstream
//! only roughly orders events by that time, so a poll resumes a little
//! before it ([`REWIND`]); the repeats are dropped by key downstream.

pub mod config;
pub mod jetstream;
pub mod parse;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock};

use chrono::{DateTime, SecondsFormat, Utc};
use futures::StreamExt;

pub use jetstream::{parse_event, subscribe, subscribe_url};
pub use parse::{parse_profiles, parse_search, parse_session, Session, PLATFORM};

use super::api::ApiRequest;
use super::http::{FetchError, HttpClient};
use super::social::{apply_profile, Fetch, Frame, Polled, Profile, Profiles};
use super::{SourceError, Window};
use crate::config::social::BlueskySource;
use crate::model::Item;

/// How far before the saved cursor a `run` poll resumes, in µs.
pub const REWIND: i64 = 2_000_000;
/// Most events one `run` poll reads before handing over what it kept.
pub const RUN_EVENTS: usize = 10_000;
/// `getProfiles` takes at most this many actors per call.
const PROFILES_PER_CALL: usize = 25;
/// A connection that drops is resumed from its cursor at most this often.
const RECONNECTS: usize = 3;

/// One poll. `run` reads Jetstream forward from the saved cursor (or the
/// newest event) until it has caught up with the time the poll started or
/// read [`RUN_EVENTS`] events. `backfill` pages `searchPosts` over the
/// window when there is a query, else replays Jetstream over it. Posts
/// pass the brand prefilter before anything else is done with them.
pub async fn poll(cfg: &BlueskySource, fetch: &Fetch<'_>) -> Result<Polled, SourceError> {
    let now = Utc::now().timestamp_micros();
    let mut out = match (fetch.window, cfg.query.as_deref()) {
        (Some(w), Some(q)) => search(cfg, fetch, q, w).await?,
        (Some(w), None) => {
            // Jetstream keeps about a day; an open start means its oldest.
            let from = w.since.map_or(1, |t| t.timestamp_micros().max(1));
            let stop = w.until.map_or(now, |t| t.timestamp_micros().min(now));
            let limit = cfg.max_pages * 100;
            let mut out = read(cfg, fetch, Some(from), stop, limit, false).await?;
            out.cursor = None;
            out
        }
        (None, _) => {
            let saved = fetch.cursor.map(|c| c.trim().parse::<i64>());
            let from = match saved {
                Some(Ok(t)) => Some(t.saturating_sub(REWIND).max(1)),
                Some(Err(_)) | None => None,
            };
            let mut out = read(cfg, fetch, from, now, RUN_EVENTS, true).await?;
            if let (Some(Err(_)), Some(c)) = (&saved, fetch.cursor) {
                out.errors
                    .push(format!("saved cursor `{c}` is not a time in µs: read live"));
            }
            // Never hand back a cursor behind the one already saved.
            if let (Some(Ok(t)), Some(c)) = (saved, &out.cursor) {
                if c.parse::<i64>().is_ok_and(|c| c < t) {
                    out.cursor = fetch.cursor.map(str::to_string);
                }
            }
            out
        }
    };
    enrich(cfg, fetch.client, &mut out.items, fetch.profiles).await;
    Ok(out)
}

/// Reads Jetstream from `from` (µs; live without) until an event at or
/// past `stop`, `limit` events, or the server's close. A dropped connection
/// is resumed from the last cursor. In `run` the event at `stop` is read
/// too, and when resuming fails the poll returns what it read (its cursor
/// keeps the place); a backfill stops short of `stop` and fails whole.
async fn read(
    cfg: &BlueskySource,
    fetch: &Fetch<'_>,
    from: Option<i64>,
    stop: i64,
    limit: usize,
    run: bool,
) -> Result<Polled, SourceError> {
    let mut out = Polled::default();
    let mut keys = HashMap::new();
    let mut last: Option<String> = from.map(|t| t.to_string());
    let (mut events, mut drops) = (0, 0);
    'connect: loop {
        let mut stream = match subscribe(cfg, fetch.client, last.as_deref()).await {
            Ok(s) => s,
            Err(e) if run && events > 0 => {
                out.errors.push(e.to_string());
                break;
            }
            Err(e) => return Err(e),
        };
        out.pages += 1;
        while events < limit {
            let frame = match stream.next().await {
                None => break 'connect,
                Some(Ok(f)) => f,
                Some(Err(e)) if drops < RECONNECTS => {
                    drops += 1;
                    tracing::debug!(error = %e, cursor = ?last, "Jetstream dropped; resuming.");
                    continue 'connect;
                }
                Some(Err(e)) if run && events > 0 => {
                    out.errors.push(e.to_string());
                    break 'connect;
                }
                Some(Err(e)) => return Err(e),
            };
            events += 1;
            let at = match &frame {
                Frame::Post { cursor, .. } | Frame::Skip { cursor } => cursor.parse().ok(),
                Frame::Bad { cursor, .. } => cursor.as_deref().and_then(|c| c.parse().ok()),
            };
            let past = at.is_some_and(|t: i64| t >= stop);
            if past && !run {
                break 'connect;
            }
            match frame {
                Frame::Post { cursor, item } => {
                    out.seen += 1;
                    keep(&mut out, &mut keys, fetch, item);
                    last = Some(cursor);
                }
                Frame::Skip { cursor } => last = Some(cursor),
                Frame::Bad { cursor, error } => {
                    out.seen += 1;
                    let at = cursor.as_deref().unwrap_or("?");
                    out.errors.push(format!("jetstream event {at}: {error}"));
                    last = cursor.or(last);
                }
            }
            if past {
                break 'connect;
            }
        }
        break;
    }
    out.cursor = last;
    Ok(out)
}

/// The brand prefilter, first of all. A post met twice in one poll (an
/// edit, a resumed connection, shifted search pages) is kept once, as last
/// met: an edit comes after what it edits.
fn keep(out: &mut Polled, keys: &mut HashMap<String, usize>, fetch: &Fetch<'_>, item: Item) {
    if !(fetch.keep)(&item) {
        return;
    }
    match keys.get(&item.key) {
        Some(&i) => out.items[i] = item,
        None => {
            keys.insert(item.key.clone(), out.items.len());
            out.items.push(item);
        }
    }
}

/// `GET {base}/xrpc/{nsid}`, keeping any path `base` has.
fn xrpc(base: &url::Url, nsid: &str) -> url::Url {
    let mut url = base.clone();
    let path = format!("{}/xrpc/{nsid}", base.path().trim_end_matches('/'));
    url.set_path(&path);
    url.set_query(None);
    url
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

async fn search(
    cfg: &BlueskySource,
    fetch: &Fetch<'_>,
    query: &str,
    window: Window,
) -> Result<Polled, SourceError> {
    let mut out = Polled::default();
    let mut keys = HashMap::new();
    let mut cursor: Option<String> = None;
    while out.pages < cfg.max_pages {
        let mut url = xrpc(&cfg.service, "app.bsky.feed.searchPosts");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("q", query).append_pair("sort", "latest");
            if let Some(t) = window.since {
                q.append_pair("since", &rfc3339(t));
            }
            if let Some(t) = window.until {
                q.append_pair("until", &rfc3339(t));
            }
            q.append_pair("limit", "100");
            if let Some(c) = &cursor {
                q.append_pair("cursor", c);
            }
        }
        let body = authed(cfg, fetch.client, ApiRequest::get(url.clone())).await?;
        let page = parse_search(&body, url.as_str())?;
        out.pages += 1;
        out.seen += page.seen;
        out.errors.extend(page.errors);
        for item in page.items {
            keep(&mut out, &mut keys, fetch, item);
        }
        match page.cursor {
            Some(c) if page.seen > 0 && cursor.as_ref() != Some(&c) => cursor = Some(c),
            _ => break,
        }
    }
    Ok(out)
}

/// Sessions by service and handle, shared by every poll of the process:
/// `createSession` has a tight budget of its own.
fn sessions() -> &'static Mutex<HashMap<String, Session>> {
    static SESSIONS: OnceLock<Mutex<HashMap<String, Session>>> = OnceLock::new();
    SESSIONS.get_or_init(Mutex::default)
}

async fn session(
    cfg: &BlueskySource,
    client: &HttpClient,
    renew: bool,
) -> Result<Session, SourceError> {
    let (Some(handle), Some(password)) = (&cfg.handle, &cfg.app_password) else {
        return Err(SourceError::Unsupported(
            "bluesky: searchPosts needs a session: set `handle` and `app_password`".into(),
        ));
    };
    let key = format!("{}\u{1f}{handle}", cfg.service);
    if !renew {
        if let Some(s) = sessions().lock().expect("sessions poisoned").get(&key) {
            return Ok(s.clone());
        }
    }
    let url = xrpc(&cfg.service, "com.atproto.server.createSession");
    let mut req = ApiRequest::post(url.clone());
    req.json = Some(serde_json::json!({ "identifier": handle, "password": password.expose() }));
    let resp = client.call(&req).await?;
    let s = parse_session(&resp.body, url.as_str())?;
    sessions()
        .lock()
        .expect("sessions poisoned")
        .insert(key, s.clone());
    Ok(s)
}

/// Calls with the session's token; an expired token gets one new session.
async fn authed(
    cfg: &BlueskySource,
    client: &HttpClient,
    req: ApiRequest,
) -> Result<bytes::Bytes, SourceError> {
    let s = session(cfg, client, false).await?;
    match client.call(&req.clone().bearer(Some(&s.access_jwt))).await {
        Ok(r) => Ok(r.body),
        Err(e) if expired(&e) => {
            tracing::debug!(url = %req.url, "Bluesky session expired; creating a new one.");
            let s = session(cfg, client, true).await?;
            Ok(client.call(&req.bearer(Some(&s.access_jwt))).await?.body)
        }
        Err(e) => Err(e.into()),
    }
}

/// A token the service no longer takes: expired (400 `ExpiredToken`), or
/// refused outright (401), which a new session may cure.
fn expired(e: &FetchError) -> bool {
    match e {
        FetchError::Api { status: 401, .. } => true,
        FetchError::Api {
            status: 400,
            message,
            ..
        } => message.starts_with("ExpiredToken") || message.starts_with("InvalidToken"),
        _ => false,
    }
}

/// Fills the authors of `items` from `getProfiles` (followers, profile
/// links), 25 accounts a call, through the `profiles` cache. A failed
/// lookup leaves the items as they are.
pub async fn enrich(
    cfg: &BlueskySource,
    client: &HttpClient,
    items: &mut [Item],
    profiles: &Profiles,
) {
    let did = |i: &Item| i.author.as_ref().and_then(|a| a.id.clone());
    let mut found: HashMap<String, Profile> = HashMap::new();
    let mut wanted: Vec<String> = Vec::new();
    let mut met = HashSet::new();
    for d in items.iter().filter_map(did) {
        if !met.insert(d.clone()) {
            continue;
        }
        match profiles.get(PLATFORM, &d) {
            Some(p) => drop(found.insert(d, p)),
            None => wanted.push(d),
        }
    }
    for batch in wanted.chunks(PROFILES_PER_CALL) {
        let mut url = xrpc(&cfg.appview, "app.bsky.actor.getProfiles");
        url.query_pairs_mut()
            .extend_pairs(batch.iter().map(|d| ("actors", d)));
        let answer = match client.call(&ApiRequest::get(url.clone())).await {
            Ok(r) => parse_profiles(&r.body, url.as_str()),
            Err(e) => Err(e.into()),
        };
        match answer {
            Ok(list) => {
                let mut list: HashMap<String, Profile> = list.into_iter().collect();
                for d in batch {
                    // An account gone or suspended is remembered as empty,
                    // so that it is not asked for again at every post.
                    let p = list.remove(d).unwrap_or_default();
                    profiles.put(PLATFORM, d, p.clone());
                    found.insert(d.clone(), p);
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, accounts = batch.len(), "Bluesky profiles not looked up; posts keep what they said.");
            }
        }
    }
    for item in items.iter_mut() {
        if let Some(p) = did(item).and_then(|d| found.get(&d)) {
            apply_profile(item, p);
        }
    }
}
