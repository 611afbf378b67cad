//! The `type = "mastodon"` entry of `[[sources]]`: its keys as written (the
//! `///` line on each is the user documentation), and [`RawMastodon::build`],
//! which checks them and returns the compiled [`MastodonSource`] the source runs
//! with. Secrets are wrapped in [`Secret`] so they never show in `Debug`.

use serde::Deserialize;

use crate::config::check::{non_empty, Errors};
use crate::config::social::Secret;
use crate::config::{Location, SourceConfig, SourceKind};

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

impl RawMastodon {
    /// The source, ready to poll: its settings checked (problems go to
    /// `errors` under `key`, the entry such as `sources[2]`) and compiled.
    pub fn build(&self, key: &str, errors: &mut Errors) -> SourceConfig {
        let settings = self.compile(key, errors);
        SourceConfig {
            id: self.id.clone(),
            location: Location::Http(settings.instance.clone()),
            interval: self.interval,
            kind: SourceKind::Mastodon(Box::new(settings)),
        }
    }

    fn compile(&self, key: &str, errors: &mut Errors) -> MastodonSource {
        let m = self;
        let instance = errors.api_url(format!("{key}.instance"), Some(&m.instance), "");
        let token = non_empty(m.token.as_deref());
        let hashtags: Vec<String> = m
            .hashtags
            .iter()
            .map(|h| h.trim().trim_start_matches('#').to_string())
            .collect();
        if hashtags
            .iter()
            .any(|h| h.is_empty() || h.contains(char::is_whitespace))
        {
            errors.err(
                format!("{key}.hashtags"),
                "a hashtag must be one word, e.g. \"acme\"",
            );
        }
        if hashtags.is_empty() && m.query.is_none() {
            errors.err(
                key.to_string(),
                "set `hashtags`, `query` or both: there is nothing to read",
            );
        }
        if token.is_none() && (m.query.is_some() || m.stream) {
            let what = if m.stream { "stream" } else { "query" };
            errors.err(
                format!("{key}.token"),
                format!("`{what}` needs an access token (Mastodon allows search and streaming only to signed-in apps)"),
            );
        }
        if m.stream && hashtags.is_empty() {
            errors.err(
                format!("{key}.stream"),
                "streaming follows `hashtags`: name at least one",
            );
        }
        MastodonSource {
            instance,
            hashtags,
            query: m.query.clone(),
            token: token.map(Secret),
            stream: m.stream,
            max_pages: errors.at_least_one(format!("{key}.max_pages"), m.max_pages, 10),
        }
    }
}
