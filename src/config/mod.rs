//! Pipeline files: loading, `${VAR}` expansion, validation and compilation.
//!
//! Loading happens in two phases (as ripgrep does with its arguments): the
//! TOML is deserialized into the raw structs of [`raw`], then [`validate`]
//! checks them all and builds a [`Pipeline`] holding compiled things (brand
//! queries, CSS selectors, resolved URLs). Every problem found is reported at
//! once, each naming the file, the key and what would be right.

pub mod raw;
pub mod social;
mod validate;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::source::page::CompiledSelectors;

pub use validate::{expand_env, load, load_brands, load_str};

/// A validated pipeline, ready to run.
#[derive(Debug)]
pub struct Pipeline {
    pub name: String,
    pub file: PathBuf,
    pub state_dir: PathBuf,
    pub http: HttpSettings,
    pub schedule: Schedule,
    pub listen: Option<String>,
    /// The `[metrics]` section.
    pub metrics: crate::pipeline::metrics::MetricsConfig,
    pub sources: Vec<SourceConfig>,
    pub brands: Vec<BrandConfig>,
    pub sink: SinkConfig,
    /// Dead letters and the stuck bound of `[sink]`, whatever its type.
    pub delivery: crate::sink::Delivery,
    /// The `[route]` section, for `earshot route` and `earshot queue`.
    pub route: Option<crate::route::config::RouteConfig>,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub user_agent: String,
    pub timeout: Duration,
    pub max_body_bytes: u64,
    pub per_host_concurrency: usize,
    pub max_attempts: u32,
    pub max_retry_after: Duration,
    /// Time for one document across all attempts and redirects.
    pub deadline: Duration,
    /// Hosts, addresses and blocks the SSRF guard lets through.
    pub allow_hosts: Vec<crate::source::http::guard::Allow>,
    /// Follow redirects from https to http.
    pub allow_insecure_redirects: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            user_agent: format!(
                "earshot/{} (social listening; +https://github.com/earshot-dev/earshot)",
                env!("CARGO_PKG_VERSION")
            ),
            timeout: Duration::from_secs(30),
            max_body_bytes: 10 * 1024 * 1024,
            per_host_concurrency: 2,
            max_attempts: 3,
            max_retry_after: Duration::from_secs(300),
            deadline: Duration::from_secs(120),
            allow_hosts: Vec::new(),
            allow_insecure_redirects: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub interval: Duration,
    pub adaptive: bool,
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub concurrency: usize,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            interval: Duration::from_secs(15 * 60),
            adaptive: true,
            min_interval: Duration::from_secs(5 * 60),
            max_interval: Duration::from_secs(24 * 3600),
            concurrency: 8,
        }
    }
}

/// Where a source's document lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    Http(url::Url),
    File(PathBuf),
}

impl Location {
    /// Parses `http(s)://...`, `file://...` or a plain path; relative file
    /// paths are taken relative to `base_dir`.
    pub fn parse(s: &str, base_dir: &Path) -> Result<Location, String> {
        if s.starts_with("http://") || s.starts_with("https://") {
            return url::Url::parse(s)
                .map(Location::Http)
                .map_err(|e| format!("not a valid URL ({e})"));
        }
        if let Some((scheme, _)) = s.split_once("://") {
            if scheme != "file" {
                return Err(format!(
                    "unsupported scheme `{scheme}`: use http://, https:// or file://"
                ));
            }
        }
        let path = Path::new(s.strip_prefix("file://").unwrap_or(s));
        if path.as_os_str().is_empty() {
            return Err("empty path".into());
        }
        Ok(Location::File(if path.is_absolute() {
            path.to_path_buf()
        } else {
            base_dir.join(path)
        }))
    }

    /// A `url::Url` for resolving relative links in the document.
    pub fn base_url(&self) -> url::Url {
        match self {
            Location::Http(u) => u.clone(),
            Location::File(p) => {
                let abs = std::path::absolute(p).unwrap_or_else(|_| p.clone());
                url::Url::from_file_path(&abs)
                    .unwrap_or_else(|_| url::Url::parse("file:///").expect("static URL"))
            }
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Http(u) => write!(f, "{u}"),
            Location::File(p) => write!(f, "file://{}", p.display()),
        }
    }
}

#[derive(Debug, Clone)]
pub enum SourceKind {
    Feed,
    /// A page read with selectors; `None` means "discover its feeds".
    Page(Option<CompiledSelectors>),
    Mastodon(social::MastodonSource),
    Bluesky(social::BlueskySource),
    HackerNews(social::HackerNewsSource),
    Reddit(social::RedditSource),
}

impl SourceKind {
    /// The platform the source's items are published on.
    pub fn platform(&self) -> &'static str {
        match self {
            SourceKind::Feed | SourceKind::Page(_) => "web",
            SourceKind::Mastodon(_) => "mastodon",
            SourceKind::Bluesky(_) => "bluesky",
            SourceKind::HackerNews(_) => "hackernews",
            SourceKind::Reddit(_) => "reddit",
        }
    }
}

#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub id: String,
    /// The document, or for a social source the API it calls.
    pub location: Location,
    pub interval: Option<Duration>,
    pub kind: SourceKind,
}

#[derive(Debug, Clone)]
pub struct ProductConfig {
    pub name: String,
    pub query: String,
}

#[derive(Debug, Clone)]
pub struct BrandConfig {
    pub name: String,
    pub query: String,
    pub products: Vec<ProductConfig>,
    pub should_match: Vec<String>,
    pub should_not_match: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum SinkConfig {
    /// `None` is stdout.
    Jsonl(Option<PathBuf>),
    Kafka(KafkaConfig),
}

#[derive(Debug, Clone)]
pub struct KafkaConfig {
    pub brokers: String,
    pub feedback_topic: String,
    pub influencer_topic: String,
    pub properties: BTreeMap<String, String>,
    /// How long a backfill waits for a broker to acknowledge before it
    /// gives up.
    pub broker_wait: Duration,
}

impl KafkaConfig {
    pub const DEFAULT_BROKER_WAIT: Duration = Duration::from_secs(120);
}

/// Everything wrong with a pipeline file, reported together.
#[derive(Debug, thiserror::Error)]
pub struct ConfigErrors {
    pub file: PathBuf,
    pub errors: Vec<ConfigError>,
}

/// One problem: the key it concerns and what is wrong or would be right.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "{}: {n} error{}",
            self.file.display(),
            if n == 1 { "" } else { "s" }
        )?;
        for e in &self.errors {
            write!(f, "\n  {}: {}", e.key, e.message)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
