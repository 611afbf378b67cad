//! The `type = "bluesky"` entry of `[[sources]]`: its keys as written (the
//! `///` line on each is the user documentation), and [`RawBluesky::build`],
//! which checks them and returns the compiled [`BlueskySource`] the source runs
//! with. Secrets are wrapped in [`Secret`] so they never show in `Debug`.

use serde::Deserialize;

use crate::config::check::{non_empty, Errors};
use crate::config::social::Secret;
use crate::config::{Location, SourceConfig, SourceKind};

pub const DEFAULT_JETSTREAM: &str = "wss://jetstream2.us-east.bsky.network/subscribe";
pub const DEFAULT_BSKY_SERVICE: &str = "https://bsky.social";
pub const DEFAULT_APPVIEW: &str = "https://public.api.bsky.app";

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

impl RawBluesky {
    /// The source, ready to poll: its settings checked (problems go to
    /// `errors` under `key`, the entry such as `sources[2]`) and compiled.
    pub fn build(&self, key: &str, errors: &mut Errors) -> SourceConfig {
        let settings = self.compile(key, errors);
        SourceConfig {
            id: self.id.clone(),
            location: Location::Http(settings.jetstream.clone()),
            interval: None,
            kind: SourceKind::Bluesky(Box::new(settings)),
        }
    }

    fn compile(&self, key: &str, errors: &mut Errors) -> BlueskySource {
        let b = self;
        let jetstream = errors.api_url(
            format!("{key}.jetstream"),
            b.jetstream.as_deref(),
            DEFAULT_JETSTREAM,
        );
        let service = errors.api_url(
            format!("{key}.service"),
            b.service.as_deref(),
            DEFAULT_BSKY_SERVICE,
        );
        let appview = errors.api_url(
            format!("{key}.appview"),
            b.appview.as_deref(),
            DEFAULT_APPVIEW,
        );
        let handle = non_empty(b.handle.as_deref());
        let password = non_empty(b.app_password.as_deref());
        if handle.is_some() != password.is_some() {
            errors.err(
                key.to_string(),
                "a session needs both `handle` and `app_password`",
            );
        }
        if b.query.is_some() && password.is_none() {
            errors.err(
                format!("{key}.query"),
                "searchPosts needs a session: set `handle` and `app_password`",
            );
        }
        BlueskySource {
            jetstream,
            service,
            appview,
            query: b.query.clone(),
            handle,
            app_password: password.map(Secret),
            langs: b.langs.clone(),
            max_pages: errors.at_least_one(format!("{key}.max_pages"), b.max_pages, 100),
        }
    }
}
