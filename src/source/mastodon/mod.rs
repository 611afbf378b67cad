//! mastodon: being written.

use super::social::{Fetch, Polled};
use super::SourceError;
use crate::config::social::MastodonSource;

pub async fn poll(_cfg: &MastodonSource, _fetch: &Fetch<'_>) -> Result<Polled, SourceError> {
    Err(SourceError::Unsupported("mastodon: not built yet".into()))
}

pub async fn subscribe(
    _cfg: &MastodonSource,
    _client: &crate::source::http::HttpClient,
    _cursor: Option<&str>,
) -> Result<crate::source::social::FrameStream, SourceError> {
    Err(SourceError::Unsupported("mastodon: not built yet".into()))
}
