//! The pipeline file as written: plain serde structs, nothing compiled yet.
//!
//! Every struct denies unknown keys, so a typo is an error rather than a
//! silently ignored setting. The `///` line on each field is the user
//! documentation of that key. Validation and compilation live in
//! [`super::validate`].

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::source::page::Selectors;

/// Top level of a pipeline file. `sources`, `brands` and `sink` are kept as
/// raw TOML here so that each entry can be checked on its own and every error
/// reported at once.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPipeline {
    /// Name of the pipeline: used in logs, metrics, record sources and the Kafka client id.
    pub name: String,
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
}

/// Settings of the shared HTTP client.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    /// User-Agent header; a descriptive default names earshot and its version.
    pub user_agent: Option<String>,
    /// Timeout of one whole request, body included (e.g. "30s").
    #[serde(default, with = "humantime_serde")]
    pub timeout: Option<Duration>,
    /// Largest response body accepted, in bytes.
    pub max_body_bytes: Option<u64>,
    /// Requests in flight at once to one host.
    pub per_host_concurrency: Option<usize>,
    /// Attempts for a request that failed in a way worth retrying (429, 503, timeouts).
    pub max_attempts: Option<u32>,
    /// Longest `Retry-After` honoured; a longer one is treated as an error for this round.
    #[serde(default, with = "humantime_serde")]
    pub max_retry_after: Option<Duration>,
    /// Time for one document across all attempts and redirects (e.g. "2m").
    #[serde(default, with = "humantime_serde")]
    pub deadline: Option<Duration>,
    /// Internal hosts earshot may connect to, which the SSRF guard refuses
    /// otherwise: a host name ("intranet.example"), host and port
    /// ("intranet.example:8443"), an address ("127.0.0.1:8080") or a CIDR
    /// block ("10.1.0.0/16").
    #[serde(default)]
    pub allow_hosts: Vec<String>,
    /// Follow redirects from https to http (off: a downgrade is refused).
    pub allow_insecure_redirects: Option<bool>,
}

/// Polling schedule of `run` mode.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    /// Default poll interval of a source (e.g. "15m").
    #[serde(default, with = "humantime_serde")]
    pub interval: Option<Duration>,
    /// Adapt the interval to how often a source publishes (one week divided by entries per week).
    pub adaptive: Option<bool>,
    /// Shortest interval, whatever the source publishes or asks for.
    #[serde(default, with = "humantime_serde")]
    pub min_interval: Option<Duration>,
    /// Longest interval, also the cap of the backoff after errors.
    #[serde(default, with = "humantime_serde")]
    pub max_interval: Option<Duration>,
    /// Sources fetched at the same time.
    pub concurrency: Option<usize>,
}

/// One source; `type` selects the kind.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeed {
    /// Unique id of the source within the pipeline (used in state, metrics and records).
    pub id: String,
    /// `http(s)://` URL, or `file://` path (relative paths are relative to the pipeline file).
    pub url: String,
    /// Poll interval of this source, overriding the schedule's.
    #[serde(default, with = "humantime_serde")]
    pub interval: Option<Duration>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPage {
    /// Unique id of the source within the pipeline.
    pub id: String,
    /// `http(s)://` URL or `file://` path of the page.
    pub url: String,
    /// Poll interval of this source, overriding the schedule's.
    #[serde(default, with = "humantime_serde")]
    pub interval: Option<Duration>,
    /// CSS selectors that extract posts (and comments) from the page. Without
    /// them, the page's `<link rel="alternate">` feeds are read instead.
    pub selectors: Option<Selectors>,
}

/// A brand: a Boolean query and its products.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBrand {
    /// Name as it appears in records ("Acme").
    pub name: String,
    /// Boolean query that finds a mention of the brand.
    pub query: String,
    /// Products of the brand, each with its own query.
    #[serde(default)]
    pub products: Vec<RawProduct>,
    /// Texts the query must match; `earshot validate` checks them.
    #[serde(default)]
    pub should_match: Vec<String>,
    /// Texts the query must not match; `earshot validate` checks them.
    #[serde(default)]
    pub should_not_match: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProduct {
    /// Name as it appears in records ("Acme Cloud").
    pub name: String,
    /// Boolean query that finds a mention of the product.
    pub query: String,
}

/// Where records go; `type` selects the kind.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum RawSink {
    /// JSON lines to a file, or to stdout with `path = "-"`.
    Jsonl(RawJsonl),
    /// Kafka topics through librdkafka.
    Kafka(RawKafka),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJsonl {
    /// File to append records to (relative to the pipeline file), or "-" for stdout.
    pub path: String,
    /// JSON-lines file for records that can never be delivered (default: `dead-letter.jsonl` in `state_dir`).
    pub dead_letter_path: Option<String>,
    /// `/healthz` answers 503 once records have waited this long with no successful delivery (default "5m").
    #[serde(default, with = "humantime_serde")]
    pub stuck_after: Option<Duration>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKafka {
    /// `bootstrap.servers`, e.g. "${KAFKA_BROKERS}".
    pub brokers: String,
    /// Topic of feedback records.
    pub feedback_topic: Option<String>,
    /// Topic of influencer records (should be compacted: keyed by influencer id).
    pub influencer_topic: Option<String>,
    /// Any librdkafka producer property, passed as is (e.g. "sasl.username").
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// How long a backfill waits for a broker to acknowledge before it gives up and exits non-zero, marking nothing seen (default "2m"); `run` keeps trying.
    #[serde(default, with = "humantime_serde")]
    pub broker_wait: Option<Duration>,
    /// Topic for records the broker refuses for good (too large, unknown topic, not authorized), e.g. "earshot.dead-letter".
    pub dead_letter_topic: Option<String>,
    /// JSON-lines file for refused records, without a topic or when the topic refuses too (default: `dead-letter.jsonl` in `state_dir`).
    pub dead_letter_path: Option<String>,
    /// `/healthz` answers 503 once records have waited this long with no successful delivery (default "5m").
    #[serde(default, with = "humantime_serde")]
    pub stuck_after: Option<Duration>,
}
