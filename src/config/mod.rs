//! Pipeline files: one file, many sections, each owned by its component.
//!
//! Loading happens in two phases (as ripgrep does with its arguments): raw
//! serde structs that deny unknown keys, then a validated [`Pipeline`] that
//! holds compiled things (the brands' [`Classifier`](crate::classify::Classifier),
//! CSS selectors, parsed URLs). Each component owns its part, as Vector's
//! do: its raw struct (the `///` line on each key is the user documentation)
//! and a `build` that checks it and returns the component's settings ready
//! to use: `[http]` in `source::http::config`, `[schedule]` in
//! `pipeline::schedule::config`, each source kind in `source::<kind>::config`,
//! `[[brands]]` in `classify::config`, `[sink]` in `sink::config`, `[route]`
//! in `route::config`. This module only aggregates ([`validate`]) and
//! reports: every problem at once, each with its key path, its line, what
//! was found and what would be right ([`check`]).
//!
//! A new section (say `[serve]`) plugs in with three lines: a field
//! `serve: Option<toml::Value>` in [`raw::RawPipeline`], a field in
//! [`Pipeline`], and `raw.serve.and_then(|v| crate::serve::config::build(v,
//! &mut self.errors))` in the aggregator, where `build` reads the table with
//! `errors.section::<RawServe>("serve", v)` and adds its own checks with
//! `errors.err("serve.key", "...")`. `${VAR}` expansion, unknown-key and
//! type errors in the user's terms, and line numbers come with it.

pub mod check;
mod lines;
pub mod raw;
pub mod social;
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::source::page::CompiledSelectors;

pub use crate::classify::config::{BrandConfig, ProductConfig};
pub use crate::pipeline::schedule::config::Schedule;
pub use crate::sink::config::{KafkaConfig, SinkConfig};
pub use crate::source::http::config::HttpSettings;
pub use validate::{expand_env, load, load_brands, load_str, parse, validate_file, Checks};

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
    /// The brands' queries, compiled once when the file was validated.
    pub classifier: std::sync::Arc<crate::classify::Classifier>,
    pub sink: SinkConfig,
    /// Dead letters and the stuck bound of `[sink]`, whatever its type.
    pub delivery: crate::sink::Delivery,
    /// The `[route]` section, for `earshot route` and `earshot queue`.
    pub route: Option<crate::route::config::RouteConfig>,
    /// The `[serve]` section, for `earshot serve`.
    pub serve: Option<crate::serve::config::ServeConfig>,
    /// The `[notify]` section: channels for alerts.
    pub notify: Option<crate::notify::NotifyConfig>,
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
            return match url::Url::parse(s) {
                Ok(u) if u.host_str().is_some_and(|h| !h.is_empty()) => Ok(Location::Http(u)),
                Ok(_) => Err(format!("found \"{}\", a URL without a host; expected one such as https://example.com/feed.xml", check::shown(s))),
                Err(e) => Err(format!("found \"{}\", which is not a valid URL ({e}); expected one such as https://example.com/feed.xml", check::shown(s))),
            };
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
        // `htp:/bad url` is a mistyped URL, not a file to look for at run
        // time; a plain path with a colon is fine when the file is there.
        let looks_like_url = s.contains(':') || s.starts_with("//");
        if !s.starts_with("file://") && looks_like_url && !base_dir.join(path).exists() {
            return Err(format!(
                "found \"{}\", which is neither an http(s) URL nor an existing file; expected a URL such as https://example.com/feed.xml or a file path",
                check::shown(s)
            ));
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

/// What kind of source, with its settings. The settings are boxed: a
/// pipeline may hold thousands of sources, most of them plain feeds, and
/// each would otherwise take the room of the largest kind.
#[derive(Debug, Clone)]
pub enum SourceKind {
    Feed,
    /// A page read with selectors; `None` means "discover its feeds".
    Page(Option<Box<CompiledSelectors>>),
    Mastodon(Box<social::MastodonSource>),
    Bluesky(Box<social::BlueskySource>),
    HackerNews(Box<social::HackerNewsSource>),
    Reddit(Box<social::RedditSource>),
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
    /// Line of the key in the file, where it is written there.
    pub line: Option<usize>,
}

impl ConfigError {
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            key: key.into(),
            message: message.into(),
            line: None,
        }
    }
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
            match e.line {
                Some(line) => write!(f, "\n  {} (line {line}): {}", e.key, e.message)?,
                None => write!(f, "\n  {}: {}", e.key, e.message)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
