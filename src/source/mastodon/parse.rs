//! Mastodon's JSON bodies in, items out: statuses, `Link` headers and this
//! source's cursor. No I/O; the event stream's framing is in `sse`.
//!
//! A status is read field by field rather than through one derived struct so
//! that a bad status says which field was wrong, and only the fields this
//! pipeline relies on (identity, time, text, author) can make it bad: a
//! counter of the wrong type is dropped, not the post. Which pages to ask
//! for, and when to stop, is the async half's business.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{Author, Engagement, Item};
use crate::normalize::{content_hash, html_to_text, parse_date};

/// Why a whole body is not a page of statuses.
#[derive(Debug, thiserror::Error)]
pub enum BadBody {
    #[error("not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("expected {expected}, got {found}")]
    Shape {
        expected: &'static str,
        found: String,
    },
}

/// Why one status cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BadStatus {
    #[error("`{0}` is missing")]
    Missing(&'static str),
    #[error("`{field}` is {found}, expected {expected}")]
    WrongType {
        field: &'static str,
        found: String,
        expected: &'static str,
    },
    #[error("`created_at` is not a date: {0:?}")]
    BadDate(String),
    #[error("account: {0}")]
    Account(Box<BadStatus>),
}

/// One page of statuses.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Readable statuses, page order (newest first). A boost is its original.
    pub items: Vec<Item>,
    /// One line per unreadable status, naming its id (or index) and field.
    pub errors: Vec<String>,
    /// Ids of the page's statuses as the timeline lists them (a boost's own
    /// id, not its original's), bad ones included: what paging follows.
    pub ids: Vec<String>,
    /// The oldest listing time on the page, for stopping a backfill.
    pub oldest: Option<DateTime<Utc>>,
    /// Statuses on the page, readable or not.
    pub read: usize,
}

/// A hashtag timeline body: a JSON array of statuses. `host` completes the
/// handles of the instance's own accounts. `Err` when the body is not an
/// array at all.
pub fn parse_statuses(body: &[u8], host: &str) -> Result<Parsed, BadBody> {
    match serde_json::from_slice::<Value>(body)? {
        Value::Array(list) => Ok(parse_list(&list, host)),
        other => Err(BadBody::Shape {
            expected: "an array of statuses",
            found: kind(&other),
        }),
    }
}

/// A `/api/v2/search` body: `{"statuses": [...], "accounts": .., "hashtags": ..}`.
pub fn parse_search(body: &[u8], host: &str) -> Result<Parsed, BadBody> {
    let v: Value = serde_json::from_slice(body)?;
    match v.get("statuses") {
        Some(Value::Array(list)) => Ok(parse_list(list, host)),
        other => Err(BadBody::Shape {
            expected: "an object with a `statuses` array",
            found: match other {
                Some(s) => format!("`statuses` as {}", kind(s)),
                None => kind(&v),
            },
        }),
    }
}

fn parse_list(list: &[Value], host: &str) -> Parsed {
    let mut out = Parsed {
        read: list.len(),
        ..Parsed::default()
    };
    let mut replies = Vec::new();
    for (i, v) in list.iter().enumerate() {
        let id = v.get("id").and_then(Value::as_str);
        out.ids.extend(id.map(str::to_string));
        if let Some(t) = v
            .get("created_at")
            .and_then(Value::as_str)
            .and_then(parse_date)
        {
            out.oldest = Some(out.oldest.map_or(t, |o| o.min(t)));
        }
        match status(v, host) {
            Ok(s) => {
                replies.push(s.reply_to);
                out.items.push(s.item);
            }
            Err(e) => out.errors.push(match id {
                Some(id) => format!("status {id}: {e}"),
                None => format!("status #{i}: {e}"),
            }),
        }
    }
    // `in_reply_to_id` is an id on this instance, not a key: it can be
    // turned into one only when the parent is on the same page.
    let keys: HashMap<&str, &str> = list
        .iter()
        .filter_map(|v| Some((v.get("id")?.as_str()?, v.get("uri")?.as_str()?)))
        .collect();
    let parents: Vec<Option<String>> = replies
        .iter()
        .map(|r| {
            r.as_deref()
                .and_then(|r| keys.get(r))
                .map(|k| k.to_string())
        })
        .collect();
    for (item, parent) in out.items.iter_mut().zip(parents) {
        item.parent = parent;
    }
    out
}

/// A readable status and the id it answers, if any.
pub struct Status {
    pub id: String,
    pub item: Item,
    pub reply_to: Option<String>,
}

/// One status as an item; a boost becomes the status it boosts.
pub fn status(v: &Value, host: &str) -> Result<Status, BadStatus> {
    if !v.is_object() {
        return Err(BadStatus::WrongType {
            field: "status",
            found: kind(v),
            expected: "an object",
        });
    }
    let id = req_str(v, "id")?.to_string();
    let s = match v.get("reblog") {
        Some(r @ Value::Object(_)) => r,
        _ => v,
    };
    let uri = req_str(s, "uri")?;
    let created = req_str(s, "created_at")?;
    let published = parse_date(created).ok_or_else(|| BadStatus::BadDate(created.to_string()))?;
    let content = html_to_text(req_str(s, "content")?);
    let account = match s.get("account") {
        Some(a @ Value::Object(_)) => a,
        Some(Value::Null) | None => return Err(BadStatus::Missing("account")),
        Some(other) => {
            return Err(BadStatus::WrongType {
                field: "account",
                found: kind(other),
                expected: "an object",
            })
        }
    };
    let author = author(account, host).map_err(|e| BadStatus::Account(Box::new(e)))?;
    let spoiler = opt_str(s, "spoiler_text").map(html_to_text);
    let text = [spoiler.unwrap_or_default(), content]
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    let count = |k: &str| s.get(k).and_then(Value::as_u64);
    let item = Item {
        key: uri.to_string(),
        url: Some(opt_str(s, "url").unwrap_or(uri).to_string()),
        title: None,
        content_hash: content_hash(None, &text),
        text,
        published: Some(published),
        updated: opt_str(s, "edited_at").and_then(parse_date),
        author: Some(author),
        source_title: None,
        platform: "mastodon".into(),
        lang: opt_str(s, "language").map(str::to_string),
        parent: None,
        engagement: Some(Engagement {
            likes: count("favourites_count"),
            reposts: count("reblogs_count"),
            replies: count("replies_count"),
            score: None,
        }),
    };
    Ok(Status {
        id,
        item,
        reply_to: opt_str(s, "in_reply_to_id").map(str::to_string),
    })
}

fn author(a: &Value, host: &str) -> Result<Author, BadStatus> {
    let acct = req_str(a, "acct")?;
    // A local account's `acct` has no domain: it is the instance's own.
    let handle = if acct.contains('@') {
        acct.to_string()
    } else {
        format!("{acct}@{host}")
    };
    let username = opt_str(a, "username").unwrap_or(acct.split('@').next().unwrap_or(acct));
    let name = opt_str(a, "display_name")
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(username);
    let mut links = Vec::new();
    let fields = a.get("fields").and_then(Value::as_array);
    for value in fields
        .into_iter()
        .flatten()
        .filter_map(|f| opt_str(f, "value"))
    {
        links.extend(hrefs(value));
    }
    links.extend(opt_str(a, "note").map(hrefs).unwrap_or_default());
    let mut seen = std::collections::HashSet::new();
    links.retain(|l| seen.insert(l.clone()));
    Ok(Author {
        id: opt_str(a, "uri").or(opt_str(a, "url")).map(str::to_string),
        name: Some(name.to_string()),
        handle: Some(handle),
        url: opt_str(a, "url").map(str::to_string),
        followers: a.get("followers_count").and_then(Value::as_u64),
        links,
        description: None,
    })
}

/// Web addresses an account names in its profile. Hashtag and mention links
/// are left out: they point at topics and at other people, and would join
/// this account with accounts that are not its owner's.
fn hrefs(html: &str) -> Vec<String> {
    let doc = crate::normalize::parse_fragment(html);
    let sel = scraper::Selector::parse("a[href]").expect("static selector");
    doc.select(&sel)
        .filter(|a| {
            let el = a.value();
            !el.classes().any(|c| c == "mention" || c == "hashtag")
                && !el
                    .attr("rel")
                    .is_some_and(|r| r.split_whitespace().any(|r| r == "tag"))
        })
        .filter_map(|a| a.value().attr("href"))
        .filter(|h| h.starts_with("https://") || h.starts_with("http://"))
        .map(str::to_string)
        .collect()
}

fn req_str<'a>(v: &'a Value, key: &'static str) -> Result<&'a str, BadStatus> {
    match v.get(key) {
        Some(Value::String(s)) => Ok(s),
        None | Some(Value::Null) => Err(BadStatus::Missing(key)),
        Some(other) => Err(BadStatus::WrongType {
            field: key,
            found: kind(other),
            expected: "a string",
        }),
    }
}

/// An optional string: absent, null or of another type reads as none.
fn opt_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::Number(n) => format!("a number ({n})"),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The `rel="next"` (older) and `rel="prev"` (newer) addresses of a `Link`
/// header.
#[derive(Debug, Default, PartialEq)]
pub struct Links {
    pub next: Option<String>,
    pub prev: Option<String>,
}

pub fn parse_link_header(header: &str) -> Links {
    let mut links = Links::default();
    let mut rest = header;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else {
            break;
        };
        let target = &rest[start + 1..start + len];
        rest = &rest[start + len + 1..];
        // The parameters run up to the next link.
        let params = &rest[..rest.find('<').unwrap_or(rest.len())];
        let rels = params.split(';').filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("rel")
                .then(|| v.trim().trim_end_matches(',').trim().trim_matches('"'))
        });
        for rel in rels.flat_map(str::split_whitespace) {
            let slot = match rel.to_ascii_lowercase().as_str() {
                "next" => &mut links.next,
                "prev" | "previous" => &mut links.prev,
                _ => continue,
            };
            slot.get_or_insert_with(|| target.to_string());
        }
    }
    links
}

/// Where the last poll stopped, per endpoint: the id of the newest status
/// read from the hashtag timeline (`tag`) and from search (`search`).
/// Written as JSON, `{"tag":"..","search":".."}`; a bare id (what a stream
/// frame carries) reads as the hashtag timeline's.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<String>,
}

impl Cursor {
    pub fn decode(s: &str) -> Cursor {
        let s = s.trim();
        if s.starts_with('{') {
            return serde_json::from_str(s).unwrap_or_default();
        }
        Cursor {
            tag: (!s.is_empty()).then(|| s.to_string()),
            search: None,
        }
    }

    pub fn encode(&self) -> String {
        serde_json::to_string(self).expect("a cursor serializes")
    }
}
