//! The `type = "reddit"` entry of `[[sources]]`: its keys as written (the
//! `///` line on each is the user documentation), and [`RawReddit::build`],
//! which checks them and returns the compiled [`RedditSource`] the source runs
//! with. Secrets are wrapped in [`Secret`] so they never show in `Debug`.

use serde::Deserialize;

use crate::config::check::Errors;
use crate::config::social::Secret;
use crate::config::{Location, SourceConfig, SourceKind};

pub const DEFAULT_REDDIT_API: &str = "https://oauth.reddit.com";
pub const DEFAULT_REDDIT_AUTH: &str = "https://www.reddit.com";

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

impl RawReddit {
    /// The source, ready to poll: its settings checked (problems go to
    /// `errors` under `key`, the entry such as `sources[2]`) and compiled.
    pub fn build(&self, key: &str, errors: &mut Errors) -> SourceConfig {
        let settings = self.compile(key, errors);
        SourceConfig {
            id: self.id.clone(),
            location: Location::Http(settings.api.clone()),
            interval: self.interval,
            kind: SourceKind::Reddit(Box::new(settings)),
        }
    }

    fn compile(&self, key: &str, errors: &mut Errors) -> RedditSource {
        let r = self;
        let api = errors.api_url(format!("{key}.api"), r.api.as_deref(), DEFAULT_REDDIT_API);
        let auth = errors.api_url(
            format!("{key}.auth"),
            r.auth.as_deref(),
            DEFAULT_REDDIT_AUTH,
        );
        let client_id = r.client_id.clone();
        let secret = r.client_secret.clone();
        if r.subreddits.is_empty() && r.query.is_none() {
            errors.err(
                key.to_string(),
                "set `subreddits`, `query` or both: there is nothing to read",
            );
        }
        let subreddits: Vec<String> = r
            .subreddits
            .iter()
            .map(|s| s.trim().trim_start_matches("r/").to_string())
            .collect();
        if subreddits
            .iter()
            .any(|s| s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            errors.err(
                format!("{key}.subreddits"),
                "a subreddit name has letters, digits and `_` only",
            );
        }
        RedditSource {
            subreddits,
            query: r.query.clone(),
            client_id,
            client_secret: Secret(secret),
            api,
            auth,
            max_pages: errors.at_least_one(format!("{key}.max_pages"), r.max_pages, 10),
        }
    }
}
