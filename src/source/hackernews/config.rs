//! The `type = "hackernews"` entry of `[[sources]]`: its keys as written (the
//! `///` line on each is the user documentation), and [`RawHackerNews::build`],
//! which checks them and returns the compiled [`HackerNewsSource`] the source runs
//! with. Secrets are wrapped in [`Secret`] so they never show in `Debug`.

use serde::Deserialize;

use crate::config::check::Errors;
use crate::config::{Location, SourceConfig, SourceKind};

pub const DEFAULT_ALGOLIA: &str = "https://hn.algolia.com/api/v1";
pub const DEFAULT_FIREBASE: &str = "https://hacker-news.firebaseio.com/v0";

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

impl RawHackerNews {
    /// The source, ready to poll: its settings checked (problems go to
    /// `errors` under `key`, the entry such as `sources[2]`) and compiled.
    pub fn build(&self, key: &str, errors: &mut Errors) -> SourceConfig {
        let settings = self.compile(key, errors);
        SourceConfig {
            id: self.id.clone(),
            location: Location::Http(settings.algolia.clone()),
            interval: self.interval,
            kind: SourceKind::HackerNews(Box::new(settings)),
        }
    }

    fn compile(&self, key: &str, errors: &mut Errors) -> HackerNewsSource {
        let h = self;
        let algolia = errors.api_url(
            format!("{key}.algolia"),
            h.algolia.as_deref(),
            DEFAULT_ALGOLIA,
        );
        let firebase = errors.api_url(
            format!("{key}.firebase"),
            h.firebase.as_deref(),
            DEFAULT_FIREBASE,
        );
        if h.query.trim().is_empty() {
            errors.err(format!("{key}.query"), "must not be empty");
        }
        let mut tags = h.tags.clone();
        if tags.is_empty() {
            tags = vec!["story".into(), "comment".into()];
        }
        for t in &tags {
            if t != "story" && t != "comment" {
                errors.err(
                    format!("{key}.tags"),
                    format!("`{t}`: use \"story\" or \"comment\""),
                );
            }
        }
        HackerNewsSource {
            query: h.query.clone(),
            tags,
            algolia,
            firebase,
            max_pages: errors.at_least_one(format!("{key}.max_pages"), h.max_pages, 10),
        }
    }
}
