//! The top level of a pipeline file as written, and the raw structs of the
//! sections, named here from the modules that own them.
//!
//! Every struct denies unknown keys, so a typo is an error rather than a
//! silently ignored setting. The `///` line on each field is the user
//! documentation of that key. Sections are kept as raw TOML at this level
//! so that each is read on its own and every error reported at once.

use serde::Deserialize;

pub use crate::classify::config::{RawBrand, RawProduct};
pub use crate::pipeline::schedule::config::RawSchedule;
pub use crate::sink::config::{RawJsonl, RawKafka, RawSink};
pub use crate::source::feed::config::RawFeed;
pub use crate::source::http::config::RawHttp;
pub use crate::source::page::config::RawPage;

/// Top level of a pipeline file. `sources`, `brands` and `sink` are kept as
/// raw TOML here so that each entry can be checked on its own and every error
/// reported at once.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPipeline {
    /// Name of the pipeline: used in logs, metrics, record sources and the Kafka client id.
    pub name: Option<String>,
    /// Directory holding seen items, HTTP validators and cursors; relative to the pipeline file.
    #[serde(default)]
    pub state_dir: Option<String>,
    /// Settings of the shared HTTP client.
    #[serde(default)]
    pub http: Option<toml::Value>,
    /// How often `run` polls sources.
    #[serde(default)]
    pub schedule: Option<toml::Value>,
    /// Address for `/healthz` and `/metrics` in `run` mode, e.g. "127.0.0.1:9187".
    #[serde(default)]
    pub listen: Option<String>,
    /// How much `/metrics` says per source.
    #[serde(default)]
    pub metrics: Option<toml::Value>,
    /// The feeds, pages and social sources to listen to.
    #[serde(default)]
    pub sources: Vec<toml::Value>,
    /// The brands to listen for, each with a Boolean query and products.
    #[serde(default)]
    pub brands: Vec<toml::Value>,
    /// Where records go.
    pub sink: Option<toml::Value>,
    /// What `earshot route` does with the feedback topic: queues, rules, escalation, spikes.
    #[serde(default)]
    pub route: Option<toml::Value>,
    /// The workspace of `earshot serve`: users, queue access, the public form.
    pub serve: Option<toml::Value>,
    /// Where alerts are sent: Slack and signed webhooks, with filters and intervals.
    pub notify: Option<toml::Value>,
}

/// One source; `type` selects the kind (the aggregator reads it, then the
/// kind's struct from the other keys, so errors keep their key paths).
#[derive(Debug)]
pub enum RawSource {
    /// An RSS, Atom or JSON feed.
    Feed(RawFeed),
    /// A blog's HTML page: discover its feeds, or extract posts with CSS selectors.
    Page(RawPage),
    /// Statuses on a Mastodon instance: hashtags, search, streaming.
    Mastodon(super::social::RawMastodon),
    /// Bluesky posts: Jetstream live, `searchPosts` for backfill.
    Bluesky(super::social::RawBluesky),
    /// Hacker News stories and comments (Algolia search).
    Hackernews(super::social::RawHackerNews),
    /// Reddit posts from subreddits and search.
    Reddit(super::social::RawReddit),
}

impl RawSource {
    /// The source's `id`, whatever its kind.
    pub fn id(&self) -> &str {
        match self {
            RawSource::Feed(f) => &f.id,
            RawSource::Page(p) => &p.id,
            RawSource::Mastodon(m) => &m.id,
            RawSource::Bluesky(b) => &b.id,
            RawSource::Hackernews(h) => &h.id,
            RawSource::Reddit(r) => &r.id,
        }
    }
}
