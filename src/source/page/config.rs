//! The `type = "page"` entry of `[[sources]]`: its keys as written (the
//! `///` line on each is the user documentation) and [`RawPage::build`],
//! which checks them, compiles the CSS selectors and returns the source
//! ready to poll.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::Selectors;
use crate::config::check::Errors;
use crate::config::{SourceConfig, SourceKind};

/// A blog's HTML page: discover its feeds, or extract posts with CSS selectors.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPage {
    /// Unique id of the source within the pipeline.
    pub id: String,
    /// `http(s)://` URL or `file://` path of the page.
    pub url: String,
    /// Poll interval of this source, overriding the schedule's.
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    pub interval: Option<Duration>,
    /// CSS selectors that extract posts (and comments) from the page. Without
    /// them, the page's `<link rel="alternate">` feeds are read instead.
    pub selectors: Option<Selectors>,
}

impl RawPage {
    /// The source, or `None` (with the problems in `errors`) when its URL
    /// is not one; every selector that does not parse is reported under
    /// its own key (`sources[3].selectors.post`).
    pub fn build(&self, key: &str, base_dir: &Path, errors: &mut Errors) -> Option<SourceConfig> {
        let selectors = match self.selectors.as_ref().map(|s| s.compile()) {
            Some(Ok(c)) => Some(c),
            Some(Err(errs)) => {
                for e in errs {
                    errors.err(format!("{key}.selectors.{}", e.field), e.to_string());
                }
                None
            }
            None => None,
        };
        Some(SourceConfig {
            id: self.id.clone(),
            location: errors.location(&format!("{key}.url"), &self.url, base_dir)?,
            interval: self.interval,
            kind: SourceKind::Page(selectors.map(Box::new)),
        })
    }
}
