//! The `type = "feed"` entry of `[[sources]]`: its keys as written (the
//! `///` line on each is the user documentation) and [`RawFeed::build`],
//! which checks them and returns the source ready to poll.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::config::check::Errors;
use crate::config::{SourceConfig, SourceKind};

/// An RSS, Atom or JSON feed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeed {
    /// Unique id of the source within the pipeline (used in state, metrics and records).
    pub id: String,
    /// `http(s)://` URL, or `file://` path (relative paths are relative to the pipeline file).
    pub url: String,
    /// Poll interval of this source, overriding the schedule's.
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    pub interval: Option<Duration>,
}

impl RawFeed {
    /// The source, or `None` (with the problem in `errors`) when its URL is
    /// not one; `base_dir` anchors relative paths.
    pub fn build(&self, key: &str, base_dir: &Path, errors: &mut Errors) -> Option<SourceConfig> {
        Some(SourceConfig {
            id: self.id.clone(),
            location: errors.location(&format!("{key}.url"), &self.url, base_dir)?,
            interval: self.interval,
            kind: SourceKind::Feed,
        })
    }
}
