//! Reddit: subreddits' newest posts, or search within them or everywhere,
//! through the OAuth API as an app (client credentials), with authors'
//! karma as their reach.
//!
//! Owns the token (fetched once, reused until it expires, fetched again
//! once on a 401), walking each listing with `after`, when a walk stops,
//! and looking up karma only for kept items. Reading the answers is
//! [`parse`]'s; waiting out the budget (`X-Ratelimit-*`, and the 403 Reddit
//! sends where it means 429) is the shared client's.
//!
//! A listing is newest first and goes about 1,000 posts deep. A run walks
//! each listing back until it meets a post older than that listing's
//! cursor; a backfill walks until it meets a post older than the window.
//!
//! Cursor: a JSON object from listing label (`r/acme/new`, `r/acme/search`,
//! `search`) to the newest `created_utc` read from it, e.g.
//! `{"r/acme/new":1773140400.0}`. Posts of that very second come again and
//! the driver drops them.

pub mod config;
mod parse;
#[cfg(test)]
mod tests;

pub use parse::{
    about_url, feeds, parse_listing, parse_token, parse_user, step, token_url, user_url, Cursor,
    Feed, Listing, Post, Token, LIMIT,
};

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use super::api::{ApiRequest, ApiResponse};
use super::http::FetchError;
use super::social::{apply_profile, Fetch, Polled, Profile};
use super::SourceError;
use crate::config::social::RedditSource;
use crate::model::Item;

const PLATFORM: &str = "reddit";
/// How deep Reddit lists: a walk that ends after this many posts (less
/// some removed ones) ended at the limit, not at the subreddit's start.
const DEPTH: usize = 1000;
const DEPTH_SLACK: usize = 100;

/// Tokens by token endpoint and client id: a token lives a day, and every
/// poll asking for a new one would spend the budget for nothing.
static TOKENS: LazyLock<Mutex<HashMap<String, (String, Instant)>>> =
    LazyLock::new(Default::default);

pub async fn poll(cfg: &RedditSource, fetch: &Fetch<'_>) -> Result<Polled, SourceError> {
    let mut s = Session {
        cfg,
        fetch,
        out: Polled::default(),
        ids: HashSet::new(),
    };
    let mut cursor = match fetch.cursor.map(Cursor::parse) {
        Some(Ok(c)) => c,
        Some(Err(e)) => {
            s.out.errors.push(format!("{e}: reading the newest page"));
            Cursor::default()
        }
        None => Cursor::default(),
    };
    let feeds = feeds(&cfg.subreddits, cfg.query.as_deref());
    // Listings no longer configured are forgotten.
    cursor
        .0
        .retain(|label, _| feeds.iter().any(|f| f.label() == *label));
    let (mut read, mut first_error) = (0, None);
    for feed in &feeds {
        match s.listing(feed, &mut cursor).await {
            Ok(()) => read += 1,
            // The host is refusing: the others would only queue behind it.
            Err(e) if e.is_retryable() => return Err(e),
            // A banned subreddit or a bad answer must not cost the others.
            Err(e) => {
                s.out.errors.push(format!("{}: {e}", feed.label()));
                first_error.get_or_insert(e);
            }
        }
    }
    if let (0, Some(e)) = (read, first_error) {
        return Err(e);
    }
    if fetch.window.is_none() && !cursor.0.is_empty() {
        s.out.cursor = Some(cursor.to_string());
    }
    s.karma().await;
    Ok(s.out)
}

fn secs(t: chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

struct Session<'a, 'f> {
    cfg: &'a RedditSource,
    fetch: &'a Fetch<'f>,
    out: Polled,
    /// Posts already taken: search and pages may repeat one.
    ids: HashSet<String>,
}

impl Session<'_, '_> {
    /// Reads one listing: the window in a backfill, else forward from the
    /// listing's cursor, which moves to the newest post read.
    async fn listing(&mut self, feed: &Feed, cursor: &mut Cursor) -> Result<(), SourceError> {
        let max = self.cfg.max_pages;
        if let Some(w) = self.fetch.window {
            let (since, until) = (w.since.map(secs), w.until.map(secs));
            self.walk(feed, since, until, max).await?;
            return Ok(());
        }
        let label = feed.label();
        let floor = cursor.0.get(&label).copied();
        // Without a cursor the newest page is where the run starts.
        let pages = if floor.is_some() { max } else { 1 };
        let newest = self.walk(feed, floor, None, pages).await?;
        // Never back: the newest post of last time may be gone.
        if let Some(t) = newest.map(|t| floor.map_or(t, |f| t.max(f))) {
            cursor.0.insert(label, t);
        }
        Ok(())
    }

    /// Walks one listing back from its newest post, taking posts in
    /// `[floor, until)`, until a post older than `floor`, the end of the
    /// listing or `max_pages`. Returns the newest post's time.
    async fn walk(
        &mut self,
        feed: &Feed,
        floor: Option<f64>,
        until: Option<f64>,
        max_pages: usize,
    ) -> Result<Option<f64>, SourceError> {
        let (mut after, mut newest, mut oldest, mut read) = (None, None::<f64>, None::<f64>, 0);
        for _ in 0..max_pages {
            let url = feed.url(&self.cfg.api, after.as_deref());
            let resp = self.get(url).await?;
            self.out.pages += 1;
            let page = parse_listing(&resp.body).map_err(|message| SourceError::Payload {
                url: resp.url.to_string(),
                message,
            })?;
            self.out.seen += page.seen;
            read += page.seen;
            let label = feed.label();
            self.out
                .errors
                .extend(page.errors.into_iter().map(|e| format!("{label}: {e}")));
            for p in &page.posts {
                newest = Some(newest.map_or(p.created, |n| n.max(p.created)));
                oldest = Some(oldest.map_or(p.created, |o| o.min(p.created)));
            }
            let (taken, reached) = step(page.posts, floor, until);
            for p in taken {
                self.take(p.item);
            }
            if reached {
                return Ok(newest);
            }
            after = page.after;
            if after.is_none() {
                // The end of the listing: the start of the subreddit, or
                // as deep as Reddit lists, short of where the walk was to go.
                if floor.is_some() && read + DEPTH_SLACK >= DEPTH {
                    self.out.errors.push(format!(
                        "{label}: Reddit lists only about {DEPTH} posts; posts between {} and {} were out of reach",
                        show(floor),
                        show(oldest)
                    ));
                }
                return Ok(newest);
            }
        }
        if floor.is_some() && after.is_some() {
            self.out.errors.push(format!(
                "{}: max_pages ({max_pages}) read before reaching {}; posts between then and {} were not read",
                feed.label(),
                show(floor),
                show(oldest),
            ));
        }
        Ok(newest)
    }

    fn take(&mut self, item: Item) {
        if self.ids.insert(item.key.clone()) && (self.fetch.keep)(&item) {
            self.out.items.push(item);
        }
    }

    /// A GET with the app's token; a 401 (the token expired early or was
    /// revoked) gets a new token and one more try.
    async fn get(&self, url: url::Url) -> Result<ApiResponse, SourceError> {
        let mut fresh = false;
        loop {
            let token = self.token(fresh).await?;
            let req = ApiRequest {
                forbidden_is_limit: true,
                ..ApiRequest::get(url.clone()).bearer(Some(&token))
            };
            match self.fetch.client.call(&req).await {
                Err(FetchError::Api { status: 401, .. }) if !fresh => fresh = true,
                other => return Ok(other?),
            }
        }
    }

    async fn token(&self, renew: bool) -> Result<String, SourceError> {
        let cfg = self.cfg;
        let url = token_url(&cfg.auth);
        let key = format!("{url} {}", cfg.client_id);
        if !renew {
            let cached = TOKENS
                .lock()
                .expect("token cache poisoned")
                .get(&key)
                .cloned();
            if let Some((token, _)) = cached.filter(|(_, until)| Instant::now() < *until) {
                return Ok(token);
            }
        }
        let mut req = ApiRequest::post(url);
        req.basic = Some((
            cfg.client_id.clone(),
            cfg.client_secret.expose().to_string(),
        ));
        req.form = Some(vec![("grant_type".into(), "client_credentials".into())]);
        req.forbidden_is_limit = true;
        let resp = self.fetch.client.call(&req).await?;
        let token = parse_token(&resp.body).map_err(|message| SourceError::Payload {
            url: resp.url.to_string(),
            message,
        })?;
        // Renewed a minute early, so a long walk does not outlive it.
        let now = Instant::now();
        let until = now
            .checked_add(token.expires_in.saturating_sub(Duration::from_secs(60)))
            .unwrap_or(now);
        TOKENS
            .lock()
            .expect("token cache poisoned")
            .insert(key, (token.access_token.clone(), until));
        Ok(token.access_token)
    }

    /// Fills in kept items' authors' karma, each looked up once while the
    /// cache remembers it. A failed lookup costs the item its karma, never
    /// the item; after one failure the rest wait for the next poll.
    async fn karma(&mut self) {
        let mut items = std::mem::take(&mut self.out.items);
        let mut failing = false;
        for item in &mut items {
            let Some(name) = item.author.as_ref().and_then(|a| a.handle.clone()) else {
                continue;
            };
            let profile = match self.fetch.profiles.get(PLATFORM, &name) {
                Some(p) => p,
                None if failing => continue,
                None => match self.user(&name).await {
                    Ok(p) => {
                        self.fetch.profiles.put(PLATFORM, &name, p.clone());
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
        self.out.items = items;
    }

    async fn user(&self, name: &str) -> Result<Profile, SourceError> {
        match self.get(about_url(&self.cfg.api, name)).await {
            Ok(resp) => parse_user(&resp.body).map_err(|message| SourceError::Payload {
                url: resp.url.to_string(),
                message,
            }),
            // Deleted and suspended accounts: remembered, not asked again.
            Err(SourceError::Fetch(FetchError::Api { status: 404, .. })) => Ok(Profile {
                handle: Some(name.to_string()),
                url: Some(user_url(name)),
                ..Profile::default()
            }),
            Err(e) => Err(e),
        }
    }
}

fn show(t: Option<f64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t as i64, 0))
        .map_or("the start".into(), |t| t.to_rfc3339())
}
