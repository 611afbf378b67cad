//! bluesky: being written.

use super::social::{Fetch, Polled};
use super::SourceError;
use crate::config::social::BlueskySource;

pub async fn poll(_cfg: &BlueskySource, _fetch: &Fetch<'_>) -> Result<Polled, SourceError> {
    Err(SourceError::Unsupported("bluesky: not built yet".into()))
}
