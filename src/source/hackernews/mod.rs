//! hackernews: being written.

use super::social::{Fetch, Polled};
use super::SourceError;
use crate::config::social::HackerNewsSource;

pub async fn poll(_cfg: &HackerNewsSource, _fetch: &Fetch<'_>) -> Result<Polled, SourceError> {
    Err(SourceError::Unsupported("hackernews: not built yet".into()))
}
