//! reddit: being written.

use super::social::{Fetch, Polled};
use super::SourceError;
use crate::config::social::RedditSource;

pub async fn poll(_cfg: &RedditSource, _fetch: &Fetch<'_>) -> Result<Polled, SourceError> {
    Err(SourceError::Unsupported("reddit: not built yet".into()))
}
