//! Validation of the social sources' settings: API URLs, credentials from
//! the environment, and the combinations that cannot work (a Mastodon
//! search without a token, a Bluesky backfill without a session).

use super::Validator;
use crate::config::social::*;
use crate::config::SourceKind;

pub const DEFAULT_JETSTREAM: &str = "wss://jetstream2.us-east.bsky.network/subscribe";
pub const DEFAULT_BSKY_SERVICE: &str = "https://bsky.social";
pub const DEFAULT_APPVIEW: &str = "https://public.api.bsky.app";
pub const DEFAULT_ALGOLIA: &str = "https://hn.algolia.com/api/v1";
pub const DEFAULT_FIREBASE: &str = "https://hacker-news.firebaseio.com/v0";
pub const DEFAULT_REDDIT_API: &str = "https://oauth.reddit.com";
pub const DEFAULT_REDDIT_AUTH: &str = "https://www.reddit.com";

impl Validator<'_> {
    fn api(&mut self, key: String, value: Option<&str>, default: &str) -> url::Url {
        api_url(value.unwrap_or_default(), default).unwrap_or_else(|e| {
            self.err(key, e);
            url::Url::parse(default).expect("default URLs are valid")
        })
    }

    /// An optional string that may name environment variables; empty is none.
    fn opt(value: Option<&str>) -> Option<String> {
        value.filter(|v| !v.trim().is_empty()).map(str::to_string)
    }

    fn pages(&mut self, key: String, value: Option<usize>, default: usize) -> usize {
        let n = value.unwrap_or(default);
        if n == 0 {
            self.err(key, "must be at least 1");
        }
        n
    }

    pub(super) fn mastodon(&mut self, key: &str, m: &RawMastodon) -> SourceKind {
        let instance = self.api(format!("{key}.instance"), Some(&m.instance), "");
        let token = Self::opt(m.token.as_deref());
        let hashtags: Vec<String> = m
            .hashtags
            .iter()
            .map(|h| h.trim().trim_start_matches('#').to_string())
            .collect();
        if hashtags
            .iter()
            .any(|h| h.is_empty() || h.contains(char::is_whitespace))
        {
            self.err(
                format!("{key}.hashtags"),
                "a hashtag must be one word, e.g. \"acme\"",
            );
        }
        if hashtags.is_empty() && m.query.is_none() {
            self.err(
                key.to_string(),
                "set `hashtags`, `query` or both: there is nothing to read",
            );
        }
        if token.is_none() && (m.query.is_some() || m.stream) {
            let what = if m.stream { "stream" } else { "query" };
            self.err(
                format!("{key}.token"),
                format!("`{what}` needs an access token (Mastodon allows search and streaming only to signed-in apps)"),
            );
        }
        if m.stream && hashtags.is_empty() {
            self.err(
                format!("{key}.stream"),
                "streaming follows `hashtags`: name at least one",
            );
        }
        SourceKind::Mastodon(MastodonSource {
            instance,
            hashtags,
            query: m.query.clone(),
            token: token.map(Secret),
            stream: m.stream,
            max_pages: self.pages(format!("{key}.max_pages"), m.max_pages, 10),
        })
    }

    pub(super) fn bluesky(&mut self, key: &str, b: &RawBluesky) -> SourceKind {
        let jetstream = self.api(
            format!("{key}.jetstream"),
            b.jetstream.as_deref(),
            DEFAULT_JETSTREAM,
        );
        let service = self.api(
            format!("{key}.service"),
            b.service.as_deref(),
            DEFAULT_BSKY_SERVICE,
        );
        let appview = self.api(
            format!("{key}.appview"),
            b.appview.as_deref(),
            DEFAULT_APPVIEW,
        );
        let handle = Self::opt(b.handle.as_deref());
        let password = Self::opt(b.app_password.as_deref());
        if handle.is_some() != password.is_some() {
            self.err(
                key.to_string(),
                "a session needs both `handle` and `app_password`",
            );
        }
        if b.query.is_some() && password.is_none() {
            self.err(
                format!("{key}.query"),
                "searchPosts needs a session: set `handle` and `app_password`",
            );
        }
        SourceKind::Bluesky(BlueskySource {
            jetstream,
            service,
            appview,
            query: b.query.clone(),
            handle,
            app_password: password.map(Secret),
            langs: b.langs.clone(),
            max_pages: self.pages(format!("{key}.max_pages"), b.max_pages, 100),
        })
    }

    pub(super) fn hackernews(&mut self, key: &str, h: &RawHackerNews) -> SourceKind {
        let algolia = self.api(
            format!("{key}.algolia"),
            h.algolia.as_deref(),
            DEFAULT_ALGOLIA,
        );
        let firebase = self.api(
            format!("{key}.firebase"),
            h.firebase.as_deref(),
            DEFAULT_FIREBASE,
        );
        if h.query.trim().is_empty() {
            self.err(format!("{key}.query"), "must not be empty");
        }
        let mut tags = h.tags.clone();
        if tags.is_empty() {
            tags = vec!["story".into(), "comment".into()];
        }
        for t in &tags {
            if t != "story" && t != "comment" {
                self.err(
                    format!("{key}.tags"),
                    format!("`{t}`: use \"story\" or \"comment\""),
                );
            }
        }
        SourceKind::HackerNews(HackerNewsSource {
            query: h.query.clone(),
            tags,
            algolia,
            firebase,
            max_pages: self.pages(format!("{key}.max_pages"), h.max_pages, 10),
        })
    }

    pub(super) fn reddit(&mut self, key: &str, r: &RawReddit) -> SourceKind {
        let api = self.api(format!("{key}.api"), r.api.as_deref(), DEFAULT_REDDIT_API);
        let auth = self.api(
            format!("{key}.auth"),
            r.auth.as_deref(),
            DEFAULT_REDDIT_AUTH,
        );
        let client_id = r.client_id.clone();
        let secret = r.client_secret.clone();
        if r.subreddits.is_empty() && r.query.is_none() {
            self.err(
                key.to_string(),
                "set `subreddits`, `query` or both: there is nothing to read",
            );
        }
        let subreddits: Vec<String> = r
            .subreddits
            .iter()
            .map(|s| s.trim().trim_start_matches("r/").to_string())
            .collect();
        if subreddits
            .iter()
            .any(|s| s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        {
            self.err(
                format!("{key}.subreddits"),
                "a subreddit name has letters, digits and `_` only",
            );
        }
        SourceKind::Reddit(RedditSource {
            subreddits,
            query: r.query.clone(),
            client_id,
            client_secret: Secret(secret),
            api,
            auth,
            max_pages: self.pages(format!("{key}.max_pages"), r.max_pages, 10),
        })
    }
}
