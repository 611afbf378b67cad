//! The pure half of the Reddit source: token, listing and user answers in,
//! items and profiles out, plus the URLs to ask for, the cursor, and which
//! posts of a page a walk takes.
//!
//! Owns the mapping of a `t3` post to an [`Item`] and the rule that one
//! bad post is an error naming it while the rest of the page still counts.
//! It does no I/O and knows nothing of tokens' lifetimes or the budget.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;
use std::time::Duration;

use chrono::DateTime;
use regex::Regex;
use serde_json::Value;
use url::Url;

use crate::model::{Author, Engagement, Item};
use crate::normalize::{content_hash, tidy};
use crate::source::http::headers::{clamp_secs, MAX_WAIT};
use crate::source::json::{endpoint, num, object, str};
use crate::source::social::Profile;

/// Posts asked per page: Reddit's maximum.
pub const LIMIT: u32 = 100;

pub fn user_url(name: &str) -> String {
    format!("https://www.reddit.com/user/{name}")
}

/// An app-only OAuth token.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub access_token: String,
    pub expires_in: Duration,
}

/// Reads the token endpoint's answer. Reddit reports some refusals (an
/// unknown grant type) as a 200 with an `error` field.
pub fn parse_token(body: &[u8]) -> Result<Token, String> {
    let o = object(body)?;
    if let Some(e) = o.get("error") {
        return Err(format!(
            "token refused: {}",
            e.as_str().map_or(e.to_string(), str::to_string)
        ));
    }
    let token = str(&o, "access_token")?.ok_or("no `access_token`")?;
    match str(&o, "token_type")? {
        Some(t) if !t.eq_ignore_ascii_case("bearer") => {
            return Err(format!("token_type `{t}`, expected bearer"))
        }
        _ => {}
    }
    // A hostile or broken answer may say `1e300`: clamped, never a panic.
    let secs = num(&o, "expires_in")?.unwrap_or(3600.0);
    Ok(Token {
        access_token: token.to_string(),
        expires_in: clamp_secs(secs, MAX_WAIT).unwrap_or(Duration::ZERO),
    })
}

/// One listing a source reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feed {
    /// A subreddit's newest posts.
    New(String),
    /// Search, newest first, within a subreddit or (`None`) all of Reddit.
    Search { sub: Option<String>, query: String },
}

impl Feed {
    /// What the listing is called in cursors and messages.
    pub fn label(&self) -> String {
        match self {
            Feed::New(sub) => format!("r/{sub}/new"),
            Feed::Search { sub: Some(sub), .. } => format!("r/{sub}/search"),
            Feed::Search { sub: None, .. } => "search".into(),
        }
    }

    pub fn url(&self, api: &Url, after: Option<&str>) -> Url {
        let (mut url, query) = match self {
            Feed::New(sub) => (endpoint(api, &["r", sub, "new.json"]), None),
            Feed::Search {
                sub: Some(sub),
                query,
            } => (endpoint(api, &["r", sub, "search.json"]), Some(query)),
            Feed::Search { sub: None, query } => (endpoint(api, &["search.json"]), Some(query)),
        };
        {
            let mut q = url.query_pairs_mut();
            if let Some(query) = query {
                q.append_pair("q", query).append_pair("sort", "new");
                if matches!(self, Feed::Search { sub: Some(_), .. }) {
                    q.append_pair("restrict_sr", "1");
                }
            }
            q.append_pair("limit", &LIMIT.to_string());
            if let Some(a) = after {
                q.append_pair("after", a);
            }
            // Text as written: without it `&` comes back as `&amp;`.
            q.append_pair("raw_json", "1");
        }
        url
    }
}

/// The listings of a source: search where there is a query (within each
/// subreddit, else everywhere), else each subreddit's newest.
pub fn feeds(subreddits: &[String], query: Option<&str>) -> Vec<Feed> {
    match query.map(str::trim).filter(|q| !q.is_empty()) {
        Some(q) if subreddits.is_empty() => vec![Feed::Search {
            sub: None,
            query: q.into(),
        }],
        Some(q) => subreddits
            .iter()
            .map(|s| Feed::Search {
                sub: Some(s.clone()),
                query: q.into(),
            })
            .collect(),
        None => subreddits.iter().cloned().map(Feed::New).collect(),
    }
}

pub fn token_url(auth: &Url) -> Url {
    endpoint(auth, &["api", "v1", "access_token"])
}

pub fn about_url(api: &Url, name: &str) -> Url {
    let mut url = endpoint(api, &["user", name, "about.json"]);
    url.query_pairs_mut().append_pair("raw_json", "1");
    url
}

/// Where each listing stopped: the newest `created_utc` read from it, keyed
/// by [`Feed::label`], written as a JSON object. Times rather than
/// fullnames, because a deleted post is no anchor for `before`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cursor(pub BTreeMap<String, f64>);

impl Cursor {
    pub fn parse(s: &str) -> Result<Cursor, String> {
        serde_json::from_str(s)
            .map(Cursor)
            .map_err(|e| format!("cursor `{s}` is not a JSON object of times ({e})"))
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let json = serde_json::to_string(&self.0).map_err(|_| std::fmt::Error)?;
        f.write_str(&json)
    }
}

/// One readable post.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub item: Item,
    /// Seconds since the epoch, as Reddit gives them.
    pub created: f64,
}

/// One page of a listing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listing {
    pub posts: Vec<Post>,
    /// Posts that could not be read, each naming the post.
    pub errors: Vec<String>,
    /// Children on the page, readable or not.
    pub seen: usize,
    /// The fullname to ask `after` for the next page; `None` at the end.
    pub after: Option<String>,
}

/// Reads a listing. `Err` when the answer is not a listing at all.
pub fn parse_listing(body: &[u8]) -> Result<Listing, String> {
    let o = object(body)?;
    if str(&o, "kind")? != Some("Listing") {
        return Err("not a Listing".into());
    }
    let data = o
        .get("data")
        .and_then(Value::as_object)
        .ok_or("no `data`")?;
    let children = data
        .get("children")
        .and_then(Value::as_array)
        .ok_or("no `data.children` array")?;
    let mut out = Listing {
        seen: children.len(),
        after: str(data, "after")?
            .filter(|a| !a.is_empty())
            .map(str::to_string),
        ..Listing::default()
    };
    for (i, child) in children.iter().enumerate() {
        match post(child, i) {
            Ok(p) => out.posts.push(p),
            Err(e) => out.errors.push(e),
        }
    }
    Ok(out)
}

fn post(child: &Value, index: usize) -> Result<Post, String> {
    let kind = child.get("kind").and_then(Value::as_str).unwrap_or("?");
    let d = child.get("data").and_then(Value::as_object);
    let name = d.and_then(|d| d.get("name")).and_then(Value::as_str);
    let label = name.map_or(format!("post #{index}"), |n| format!("post {n}"));
    let at = |e: String| format!("{label}: {e}");
    if kind != "t3" {
        return Err(at(format!("kind `{kind}` is not a post")));
    }
    let d = d.ok_or_else(|| at("no `data`".into()))?;
    let name = name.ok_or_else(|| at("no `name`".into()))?;
    let created = num(d, "created_utc")
        .map_err(at)?
        .ok_or_else(|| at("no `created_utc`".into()))?;
    let permalink = str(d, "permalink")
        .map_err(at)?
        .ok_or_else(|| at("no `permalink`".into()))?;
    let title = str(d, "title")
        .map_err(at)?
        .unwrap_or("")
        .trim()
        .to_string();
    // Markdown, kept as written (`raw_json=1` spares us HTML entities).
    // Removed and deleted posts keep their title; their body is a marker.
    let mut text = match str(d, "selftext").map_err(at)?.unwrap_or("") {
        "[removed]" | "[deleted]" => String::new(),
        body => tidy(body),
    };
    let url = format!("https://www.reddit.com{permalink}");
    if let Some(link) = str(d, "url").map_err(at)? {
        let is_self = d.get("is_self").and_then(Value::as_bool).unwrap_or(false);
        // As for Hacker News: the address a link post points at is part
        // of what it says.
        if !is_self && link.starts_with("http") && link != url {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(link);
        }
    }
    let score = num(d, "score").map_err(at)?;
    let comments = num(d, "num_comments").map_err(at)?;
    let edited = match d.get("edited") {
        Some(Value::Number(n)) => n.as_f64(),
        _ => None,
    };
    let author = str(d, "author")
        .map_err(at)?
        .filter(|a| !matches!(*a, "[deleted]" | ""))
        .map(|a| {
            Ok::<_, String>(Author {
                id: Some(str(d, "author_fullname")?.unwrap_or(a).to_string()),
                handle: Some(a.to_string()),
                url: Some(user_url(a)),
                ..Author::default()
            })
        })
        .transpose()
        .map_err(at)?;
    let sub = str(d, "subreddit").map_err(at)?;
    let title = (!title.is_empty()).then_some(title);
    Ok(Post {
        item: Item {
            key: name.to_string(),
            url: Some(url),
            content_hash: content_hash(title.as_deref(), &text),
            title,
            text,
            published: time(created),
            updated: edited.and_then(time),
            author,
            source_title: sub.map(|s| format!("r/{s}")),
            platform: "reddit".into(),
            engagement: Some(Engagement {
                score: score.map(|s| s as i64),
                replies: comments.map(|c| c.max(0.0) as u64),
                ..Engagement::default()
            }),
            ..Item::default()
        },
        created,
    })
}

/// What one page of a walk gives: the posts in `[floor, until)`, and
/// whether a post older than `floor` showed the walk has gone far enough
/// (listings are newest first).
pub fn step(posts: Vec<Post>, floor: Option<f64>, until: Option<f64>) -> (Vec<Post>, bool) {
    let reached = floor.is_some_and(|f| posts.iter().any(|p| p.created < f));
    let taken = posts
        .into_iter()
        .filter(|p| floor.is_none_or(|f| p.created >= f) && until.is_none_or(|u| p.created < u))
        .collect();
    (taken, reached)
}

/// Reads `user/<name>/about.json`: karma as reach, the profile's title as
/// display name, and the links of its description.
pub fn parse_user(body: &[u8]) -> Result<Profile, String> {
    let o = object(body)?;
    let d = o
        .get("data")
        .and_then(Value::as_object)
        .ok_or("no `data`")?;
    let name = str(d, "name")?.ok_or("no `name`")?;
    let karma = match num(d, "total_karma")? {
        Some(k) => Some(k),
        None => match (num(d, "link_karma")?, num(d, "comment_karma")?) {
            (None, None) => None,
            (l, c) => Some(l.unwrap_or(0.0) + c.unwrap_or(0.0)),
        },
    };
    let profile = d.get("subreddit").and_then(Value::as_object);
    let field = |k| profile.and_then(|p| p.get(k)).and_then(Value::as_str);
    Ok(Profile {
        handle: Some(name.to_string()),
        name: field("title")
            .filter(|t| !t.trim().is_empty())
            .map(str::to_string),
        url: Some(user_url(name)),
        followers: karma.map(|k| k.max(0.0) as u64),
        links: field("public_description")
            .map(links_in)
            .unwrap_or_default(),
    })
}

/// Web addresses in a plain-text or markdown profile description.
fn links_in(text: &str) -> Vec<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| Regex::new(r#"https?://[^\s<>"')\]]+"#).expect("static regex"));
    let mut seen = HashSet::new();
    re.find_iter(text)
        .map(|m| {
            m.as_str()
                .trim_end_matches(['.', ',', ';', ':'])
                .to_string()
        })
        .filter(|l| seen.insert(l.clone()))
        .collect()
}

fn time(secs: f64) -> Option<DateTime<chrono::Utc>> {
    DateTime::from_timestamp_millis((secs * 1000.0).round() as i64)
}
