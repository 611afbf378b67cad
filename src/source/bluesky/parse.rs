//! Bluesky's pure half: post records, `searchPosts` pages, `getProfiles`
//! answers and sessions, from JSON to items and profiles.
//!
//! Owns the mapping of the AT Protocol's shapes onto [`Item`] and
//! [`Profile`]: the at-uri as key, a `bsky.app` address built on the DID
//! (never the handle, which its owner may change), the declared languages,
//! and the addresses a profile names. It does no I/O and knows nothing of
//! Jetstream framing (see `jetstream`) or of sessions' lifetimes (`mod`).

use std::fmt;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use regex::Regex;
use serde::Deserialize;
use serde_json::Value;

use crate::model::{Author, Engagement, Item};
use crate::normalize::{content_hash, parse_date, tidy};
use crate::source::social::Profile;
use crate::source::SourceError;

pub const PLATFORM: &str = "bluesky";
/// The collection of posts; every other collection is of no use here.
pub const POST_COLLECTION: &str = "app.bsky.feed.post";
const SOURCE_TITLE: &str = "Bluesky";

/// A post record (`app.bsky.feed.post`), as a commit or a PostView holds it.
/// Fields are optional here so that a missing one is reported by name.
#[derive(Debug, Default, Deserialize)]
pub struct PostRecord {
    pub text: Option<String>,
    #[serde(rename = "createdAt")]
    pub created_at: Option<String>,
    pub langs: Option<Vec<String>>,
    pub reply: Option<Reply>,
}

#[derive(Debug, Deserialize)]
pub struct Reply {
    pub parent: Option<StrongRef>,
}

#[derive(Debug, Deserialize)]
pub struct StrongRef {
    pub uri: String,
}

/// `at://<did>/app.bsky.feed.post/<rkey>`: the post's key.
pub fn at_uri(did: &str, rkey: &str) -> String {
    format!("at://{did}/{POST_COLLECTION}/{rkey}")
}

/// The DID and record key of a post's at-uri; `None` for other records.
pub fn split_post_uri(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.strip_prefix("at://")?;
    let (did, rest) = rest.split_once('/')?;
    let rkey = rest.strip_prefix(POST_COLLECTION)?.strip_prefix('/')?;
    (!did.is_empty() && !rkey.is_empty() && !rkey.contains('/')).then_some((did, rkey))
}

/// True when the post declares a language among `wanted` (all pass when
/// `wanted` is empty). Compared on the primary subtag, so "en" takes "en-GB".
pub fn lang_wanted(langs: &[String], wanted: &[String]) -> bool {
    fn primary(tag: &str) -> &str {
        tag.split(['-', '_']).next().unwrap_or(tag)
    }
    wanted.is_empty()
        || langs.iter().any(|l| {
            wanted
                .iter()
                .any(|w| primary(l).eq_ignore_ascii_case(primary(w)))
        })
}

/// An item from a post record. `edited` is when an edit was seen (a
/// Jetstream `update`); the record itself does not say.
pub fn post_item(
    did: &str,
    rkey: &str,
    record: PostRecord,
    edited: Option<DateTime<Utc>>,
) -> Result<Item, String> {
    let text = record.text.ok_or("record has no `text`")?;
    let text = tidy(&text);
    let langs = record.langs.unwrap_or_default();
    Ok(Item {
        key: at_uri(did, rkey),
        url: Some(format!("https://bsky.app/profile/{did}/post/{rkey}")),
        title: None,
        content_hash: content_hash(None, &text),
        text,
        published: record.created_at.as_deref().and_then(parse_date),
        updated: edited,
        author: Some(Author {
            id: Some(did.to_string()),
            url: Some(profile_url(None, did)),
            ..Author::default()
        }),
        source_title: Some(SOURCE_TITLE.to_string()),
        platform: PLATFORM.to_string(),
        lang: langs.into_iter().next().filter(|l| !l.is_empty()),
        parent: record.reply.and_then(|r| r.parent).map(|p| p.uri),
        engagement: None,
    })
}

/// The profile page: by handle when one is known and valid, else by DID.
pub fn profile_url(handle: Option<&str>, did: &str) -> String {
    let id = handle.filter(|h| usable_handle(h)).unwrap_or(did);
    format!("https://bsky.app/profile/{id}")
}

fn usable_handle(h: &str) -> bool {
    h.contains('.') && h != "handle.invalid"
}

/// A handle on one's own domain proves control of it: that is how a
/// blogger's account is tied to their blog. Handles on shared hosts
/// (`*.bsky.social`, bridged `*.brid.gy`) prove nothing of the kind.
pub fn handle_site(handle: &str) -> Option<String> {
    let h = handle.trim().to_ascii_lowercase();
    let shared = [".bsky.social", ".brid.gy"];
    (usable_handle(&h) && !shared.iter().any(|s| h.ends_with(s))).then(|| format!("https://{h}/"))
}

/// The http(s) addresses in a profile's description.
pub fn description_links(text: &str) -> Vec<String> {
    static URL: OnceLock<Regex> = OnceLock::new();
    let re = URL.get_or_init(|| Regex::new(r#"https?://[^\s<>"'()\[\]]+"#).expect("static regex"));
    let mut out: Vec<String> = Vec::new();
    for m in re.find_iter(text) {
        // Sentence punctuation after an address is not part of it.
        let url = m.as_str().trim_end_matches(['.', ',', ';', ':', '!', '?']);
        if url.len() > "https://".len() && !out.iter().any(|u| u == url) {
            out.push(url.to_string());
        }
    }
    out
}

/// One page of `app.bsky.feed.searchPosts`.
#[derive(Debug, Default)]
pub struct SearchPage {
    pub items: Vec<Item>,
    /// Posts that could not be read, each named by index and uri.
    pub errors: Vec<String>,
    /// Where the next page starts; `None` on the last page.
    pub cursor: Option<String>,
    /// Posts on the page, read or not.
    pub seen: usize,
}

#[derive(Deserialize)]
struct RawSearch {
    cursor: Option<String>,
    posts: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PostView {
    uri: String,
    author: BasicProfile,
    record: PostRecord,
    reply_count: Option<u64>,
    repost_count: Option<u64>,
    like_count: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BasicProfile {
    did: String,
    handle: Option<String>,
    display_name: Option<String>,
}

fn payload(url: &str, message: impl fmt::Display) -> SourceError {
    SourceError::Payload {
        url: url.to_string(),
        message: message.to_string(),
    }
}

/// Reads a `searchPosts` answer; `url` names it in errors.
pub fn parse_search(body: &[u8], url: &str) -> Result<SearchPage, SourceError> {
    let raw: RawSearch = serde_json::from_slice(body).map_err(|e| payload(url, e))?;
    let mut page = SearchPage {
        cursor: raw.cursor.filter(|c| !c.is_empty()),
        seen: raw.posts.len(),
        ..SearchPage::default()
    };
    for (i, v) in raw.posts.into_iter().enumerate() {
        let uri = v
            .get("uri")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string();
        match search_item(v) {
            Ok(item) => page.items.push(item),
            Err(e) => page.errors.push(format!("{url}: post {i} ({uri}): {e}")),
        }
    }
    Ok(page)
}

fn search_item(v: Value) -> Result<Item, String> {
    let post: PostView = serde_json::from_value(v).map_err(|e| e.to_string())?;
    let (did, rkey) = split_post_uri(&post.uri).ok_or("`uri` is not a post's at-uri")?;
    if did != post.author.did {
        return Err(format!(
            "author {} did not write {}",
            post.author.did, post.uri
        ));
    }
    let mut item = post_item(did, rkey, post.record, None)?;
    let handle = post.author.handle.filter(|h| usable_handle(h));
    let author = item.author.get_or_insert_with(Author::default);
    author.url = Some(profile_url(handle.as_deref(), did));
    author.links = handle
        .as_deref()
        .and_then(handle_site)
        .into_iter()
        .collect();
    author.handle = handle;
    author.name = post.author.display_name.filter(|n| !n.trim().is_empty());
    item.engagement = Some(Engagement {
        likes: post.like_count,
        reposts: post.repost_count,
        replies: post.reply_count,
        score: None,
    });
    Ok(item)
}

#[derive(Deserialize)]
struct RawProfiles {
    profiles: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DetailedProfile {
    did: String,
    handle: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    followers_count: Option<u64>,
}

/// Reads a `getProfiles` answer into (DID, profile) pairs. A profile that
/// cannot be read is left out, as if the account were gone.
pub fn parse_profiles(body: &[u8], url: &str) -> Result<Vec<(String, Profile)>, SourceError> {
    let raw: RawProfiles = serde_json::from_slice(body).map_err(|e| payload(url, e))?;
    Ok(raw
        .profiles
        .into_iter()
        .filter_map(|v| serde_json::from_value::<DetailedProfile>(v).ok())
        .map(|p| {
            let handle = p.handle.filter(|h| usable_handle(h));
            let mut links = p
                .description
                .as_deref()
                .map(description_links)
                .unwrap_or_default();
            if let Some(site) = handle.as_deref().and_then(handle_site) {
                if !links.contains(&site) {
                    links.push(site);
                }
            }
            let profile = Profile {
                url: Some(profile_url(handle.as_deref(), &p.did)),
                handle,
                name: p.display_name.filter(|n| !n.trim().is_empty()),
                followers: p.followers_count,
                links,
            };
            (p.did, profile)
        })
        .collect())
}

/// A session of `com.atproto.server.createSession`. Tokens stay out of
/// debug output.
#[derive(Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub access_jwt: String,
    pub refresh_jwt: String,
    pub handle: String,
    pub did: String,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("handle", &self.handle)
            .field("did", &self.did)
            .finish_non_exhaustive()
    }
}

/// Reads a `createSession` answer.
pub fn parse_session(body: &[u8], url: &str) -> Result<Session, SourceError> {
    let s: Session = serde_json::from_slice(body).map_err(|e| payload(url, e))?;
    if s.access_jwt.is_empty() {
        return Err(payload(url, "empty `accessJwt`"));
    }
    Ok(s)
}
