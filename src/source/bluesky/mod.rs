//! bluesky: being written.

use super::social::{Fetch, Polled};
use super::SourceError;
use crate::config::social::BlueskySource;

pub async fn poll(_cfg: &BlueskySource, _fetch: &Fetch<'_>) -> Result<Polled, SourceError> {
    Err(SourceError::Unsupported("bluesky: not built yet".into()))
}

pub async fn subscribe(
    _cfg: &BlueskySource,
    _client: &crate::source::http::HttpClient,
    _cursor: Option<&str>,
) -> Result<crate::source::social::FrameStream, SourceError> {
    Err(SourceError::Unsupported("bluesky: not built yet".into()))
}

pub async fn enrich(
    _cfg: &BlueskySource,
    _client: &crate::source::http::HttpClient,
    _items: &mut [crate::model::Item],
    _profiles: &crate::source::social::Profiles,
) {
}
