//! What the social sources share: the context of one poll, what a poll
//! yields, and a cache of authors' profiles.
//!
//! A social source pages through an API rather than reading one document,
//! and remembers where it stopped with a cursor (a status id, a timestamp).
//! The cursor a poll returns is saved by the driver only once the sink has
//! acknowledged every item before it, so a crash repeats work and never
//! skips it. Posts that match no brand query are dropped (`keep`) before any
//! further call is spent on them, such as looking up their author's reach.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::stream::BoxStream;

use super::http::HttpClient;
use super::SourceError;
use super::Window;
use crate::model::Item;

/// Everything one poll of a social source may use.
pub struct Fetch<'a> {
    pub client: &'a HttpClient,
    /// Where the last acknowledged poll stopped, as this source wrote it.
    pub cursor: Option<&'a str>,
    /// `backfill`: the window to page back over. `None` in `run`, where a
    /// source reads forward from its cursor.
    pub window: Option<Window>,
    /// The pipeline's brand queries: false for a post that mentions no brand.
    pub keep: &'a (dyn Fn(&Item) -> bool + Sync),
    /// Authors' profiles already looked up, shared across polls.
    pub profiles: &'a Profiles,
}

/// What one poll of a social source produced.
#[derive(Debug, Default)]
pub struct Polled {
    /// Posts that passed `keep`, with their authors' reach filled in.
    pub items: Vec<Item>,
    /// Posts or pages that could not be read; the others still count.
    pub errors: Vec<String>,
    /// The cursor to save once `items` are delivered; `None` keeps the old one.
    pub cursor: Option<String>,
    /// Posts read, kept or not.
    pub seen: usize,
    /// API pages read.
    pub pages: usize,
}

/// One event read from a streaming source (Jetstream, Mastodon streaming).
/// Every frame that can say where it is carries its cursor, so the stream
/// can resume after it once what came before is delivered.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A post created or edited.
    Post { cursor: String, item: Item },
    /// An event read and of no use here (a delete, an account event,
    /// another collection).
    Skip { cursor: String },
    /// An event that could not be read: counted and skipped.
    Bad {
        cursor: Option<String>,
        error: String,
    },
}

/// A live connection: frames until the server closes it (`None`) or it
/// fails (`Err`, after which the caller reconnects from its cursor).
pub type FrameStream = BoxStream<'static, Result<Frame, SourceError>>;

/// An author's profile as a platform reports it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    pub handle: Option<String>,
    pub name: Option<String>,
    pub url: Option<String>,
    /// Followers, or karma where that is the platform's measure of reach.
    pub followers: Option<u64>,
    /// Addresses the profile names (its website, its bio's links).
    pub links: Vec<String>,
}

/// Profiles looked up recently, keyed by platform and account id. Bounded:
/// past `capacity` the oldest half is forgotten; entries older than `ttl`
/// are looked up again, since follower counts move.
pub struct Profiles {
    map: Mutex<HashMap<String, (Instant, Profile)>>,
    capacity: usize,
    ttl: Duration,
}

impl Default for Profiles {
    fn default() -> Self {
        Profiles::new(50_000, Duration::from_secs(6 * 3600))
    }
}

impl Profiles {
    pub fn new(capacity: usize, ttl: Duration) -> Profiles {
        Profiles {
            map: Mutex::default(),
            capacity: capacity.max(2),
            ttl,
        }
    }

    fn key(platform: &str, account: &str) -> String {
        format!("{platform}\u{1f}{account}")
    }

    pub fn get(&self, platform: &str, account: &str) -> Option<Profile> {
        let map = self.map.lock().expect("profile cache poisoned");
        map.get(&Self::key(platform, account))
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, p)| p.clone())
    }

    pub fn put(&self, platform: &str, account: &str, profile: Profile) {
        let mut map = self.map.lock().expect("profile cache poisoned");
        if map.len() >= self.capacity {
            let mut ages: Vec<Instant> = map.values().map(|(at, _)| *at).collect();
            ages.sort_unstable();
            let cut = ages[ages.len() / 2];
            map.retain(|_, (at, _)| *at > cut);
        }
        map.insert(Self::key(platform, account), (Instant::now(), profile));
    }

    pub fn len(&self) -> usize {
        self.map.lock().expect("profile cache poisoned").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Fills an item's author from a profile, keeping what the post said where
/// the profile is silent.
pub fn apply_profile(item: &mut Item, p: &Profile) {
    let a = item.author.get_or_insert_with(Default::default);
    a.handle = p.handle.clone().or(a.handle.take());
    a.name = p.name.clone().or(a.name.take());
    a.url = p.url.clone().or(a.url.take());
    a.followers = p.followers.or(a.followers);
    for l in &p.links {
        if !a.links.contains(l) {
            a.links.push(l.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(followers: u64) -> Profile {
        Profile {
            followers: Some(followers),
            ..Profile::default()
        }
    }

    #[test]
    fn the_cache_forgets_the_oldest_half_when_full() {
        let cache = Profiles::new(4, Duration::from_secs(60));
        for i in 0..4u64 {
            cache.put("bluesky", &format!("did:{i}"), profile(i));
            std::thread::sleep(Duration::from_millis(2));
        }
        cache.put("bluesky", "did:new", profile(9));
        assert!(cache.len() <= 3, "cache grew to {}", cache.len());
        assert_eq!(cache.get("bluesky", "did:new"), Some(profile(9)));
        assert_eq!(cache.get("bluesky", "did:0"), None);
        assert_eq!(cache.get("mastodon", "did:new"), None, "keyed by platform");
    }

    #[test]
    fn stale_profiles_are_looked_up_again() {
        let cache = Profiles::new(10, Duration::ZERO);
        cache.put("hackernews", "pg", profile(1));
        assert_eq!(cache.get("hackernews", "pg"), None);
    }

    #[test]
    fn a_profile_fills_in_without_erasing_the_post() {
        let mut item = Item {
            author: Some(crate::model::Author {
                id: Some("did:plc:x".into()),
                name: Some("From the post".into()),
                links: vec!["https://a.example/".into()],
                ..Default::default()
            }),
            ..Item::default()
        };
        apply_profile(
            &mut item,
            &Profile {
                handle: Some("rant112.bsky.social".into()),
                followers: Some(12_000),
                links: vec!["https://a.example/".into(), "https://rant112.blog/".into()],
                ..Profile::default()
            },
        );
        let a = item.author.unwrap();
        assert_eq!(a.id.as_deref(), Some("did:plc:x"));
        assert_eq!(a.name.as_deref(), Some("From the post"));
        assert_eq!(a.handle.as_deref(), Some("rant112.bsky.social"));
        assert_eq!(a.followers, Some(12_000));
        assert_eq!(a.links.len(), 2);
    }
}
