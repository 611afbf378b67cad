//! What the social sources' settings share: [`Secret`], a credential that
//! never shows in `Debug` output, so a logged config cannot leak a token.
//!
//! Each source's own settings live with it (`source::mastodon::config` and
//! so on) and are re-exported here.

use std::fmt;

/// A credential: shown as `***` in debug output and logs.
#[derive(Clone, PartialEq)]
pub struct Secret(pub String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

// Each social source owns its settings (`source::<kind>::config`); they are
// named here too, where the rest of the code has always found them.
pub use crate::source::bluesky::config::{BlueskySource, RawBluesky};
pub use crate::source::hackernews::config::{HackerNewsSource, RawHackerNews};
pub use crate::source::mastodon::config::{MastodonSource, RawMastodon};
pub use crate::source::reddit::config::{RawReddit, RedditSource};
