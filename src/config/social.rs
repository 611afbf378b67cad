//! Settings of the social sources: Mastodon, Bluesky, Hacker News, Reddit.
//!
//! The raw structs are what a pipeline file says (`///` lines are the user
//! documentation of each key); the validated ones hold parsed URLs and
//! secrets read from the environment. Secrets never show in `Debug` output,
//! so a logged config cannot leak a token.

use std::fmt;

use serde::Deserialize;

/// A credential: shown as `***` in debug output and logs.
#[derive(Clone, PartialEq)]
pub struct Secret(pub String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// `type = "mastodon"`: hashtag timelines (no token needed), search and
/// streaming (a token needed) on one instance.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMastodon {
    /// Unique id of the source within the pipeline.
    pub id: String,
    /// Base URL of the instance, e.g. "https://mastodon.social".
    pub instance: String,
    /// Hashtags to follow (without `#`); statuses with any of them are read.
    #[serde(default)]
    pub hashtags: Vec<String>,
    /// Full-text search of statuses (`/api/v2/search`); needs `token`.
    pub query: Option<String>,
    /// Access token, e.g. "${MASTODON_TOKEN}"; needed by `query` and `stream`.
    pub token: Option<String>,
    /// In `run`, follow the hashtags over the streaming API instead of polling; needs `token`.
    #[serde(default)]
    pub stream: bool,
    /// Poll interval of this source, overriding the schedule's.
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    pub interval: Option<std::time::Duration>,
    /// Most pages (of 40 statuses) read in one poll.
    pub max_pages: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct MastodonSource {
    pub instance: url::Url,
    pub hashtags: Vec<String>,
    pub query: Option<String>,
    pub token: Option<Secret>,
    pub stream: bool,
    pub max_pages: usize,
}

/// `type = "bluesky"`: the Jetstream firehose in `run`, `searchPosts` in
/// `backfill` (which needs a session: `handle` and `app_password`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBluesky {
    /// Unique id of the source within the pipeline.
    pub id: String,
    /// Jetstream endpoint; default "wss://jetstream2.us-east.bsky.network/subscribe".
    pub jetstream: Option<String>,
    /// PDS or entryway that authenticates the session and serves `searchPosts`; default "https://bsky.social".
    pub service: Option<String>,
    /// Public AppView for `getProfiles` (follower counts); default "https://public.api.bsky.app".
    pub appview: Option<String>,
    /// `searchPosts` query used by `backfill`, e.g. "acme".
    pub query: Option<String>,
    /// Account handle for the session, e.g. "${BSKY_HANDLE}".
    pub handle: Option<String>,
    /// App password for the session, e.g. "${BSKY_APP_PASSWORD}".
    pub app_password: Option<String>,
    /// Only posts declaring one of these languages (e.g. ["en", "de"]).
    #[serde(default)]
    pub langs: Vec<String>,
    /// Most pages (of 100 posts) one backfill reads.
    pub max_pages: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct BlueskySource {
    pub jetstream: url::Url,
    pub service: url::Url,
    pub appview: url::Url,
    pub query: Option<String>,
    pub handle: Option<String>,
    pub app_password: Option<Secret>,
    pub langs: Vec<String>,
    pub max_pages: usize,
}

/// `type = "hackernews"`: stories and comments through Algolia's HN search.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHackerNews {
    /// Unique id of the source within the pipeline.
    pub id: String,
    /// Search query, e.g. "acme".
    pub query: String,
    /// What to read: "story", "comment" or both (the default).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Algolia HN search API; default "https://hn.algolia.com/api/v1".
    pub algolia: Option<String>,
    /// Firebase HN API, for authors' karma; default "https://hacker-news.firebaseio.com/v0".
    pub firebase: Option<String>,
    /// Poll interval of this source, overriding the schedule's.
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    pub interval: Option<std::time::Duration>,
    /// Most pages (of 100 hits) read in one poll.
    pub max_pages: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct HackerNewsSource {
    pub query: String,
    pub tags: Vec<String>,
    pub algolia: url::Url,
    pub firebase: url::Url,
    pub max_pages: usize,
}

/// `type = "reddit"`: subreddit listings and search with an OAuth app.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReddit {
    /// Unique id of the source within the pipeline.
    pub id: String,
    /// Subreddits to read (without `r/`).
    #[serde(default)]
    pub subreddits: Vec<String>,
    /// Search query; searched within `subreddits`, or all of Reddit without them.
    pub query: Option<String>,
    /// OAuth application id, e.g. "${REDDIT_CLIENT_ID}".
    pub client_id: String,
    /// OAuth application secret, e.g. "${REDDIT_CLIENT_SECRET}".
    pub client_secret: String,
    /// API host for OAuth apps; default "https://oauth.reddit.com".
    pub api: Option<String>,
    /// Token endpoint host; default "https://www.reddit.com".
    pub auth: Option<String>,
    /// Poll interval of this source, overriding the schedule's.
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    pub interval: Option<std::time::Duration>,
    /// Most pages (of 100 posts) read per listing in one poll.
    pub max_pages: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct RedditSource {
    pub subreddits: Vec<String>,
    pub query: Option<String>,
    pub client_id: String,
    pub client_secret: Secret,
    pub api: url::Url,
    pub auth: url::Url,
    pub max_pages: usize,
}

/// Parses an API base URL; the key names where it came from.
pub fn api_url(s: &str, default: &str) -> Result<url::Url, String> {
    let s = if s.is_empty() { default } else { s };
    let u = url::Url::parse(s).map_err(|e| format!("`{s}` is not a valid URL ({e})"))?;
    match u.scheme() {
        "http" | "https" | "ws" | "wss" => Ok(u),
        other => Err(format!(
            "unsupported scheme `{other}`: use http(s):// (or ws(s):// for jetstream)"
        )),
    }
}
