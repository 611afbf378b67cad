//! The pure half of the Hacker News source: Algolia search pages and
//! Firebase users in, items and profiles out, plus the URLs to ask for and
//! the slicing of a time range into pieces Algolia will serve whole.
//!
//! Owns the mapping of a hit to an [`Item`] and the rule that one bad hit
//! is an error naming it while the rest of the page still counts. It does no
//! I/O and knows nothing of cursors, budgets or the profile cache.

use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::DateTime;
use regex::Regex;
use serde_json::Value;
use url::Url;

use crate::model::{Author, Engagement, Item};
use crate::normalize::{content_hash, html_to_text, parse_date};
use crate::source::json::{endpoint, int, kind, str};
use crate::source::social::Profile;

/// Hits per page asked of Algolia (its maximum is 1,000, but a page of 100
/// keeps a failed request cheap).
pub const HITS_PER_PAGE: u64 = 100;
/// Algolia serves at most this many hits of one query, whatever nbHits says.
pub const MAX_REACHABLE: u64 = 1000;

pub fn item_url(id: &str) -> String {
    format!("https://news.ycombinator.com/item?id={id}")
}

pub fn user_url(name: &str) -> String {
    format!("https://news.ycombinator.com/user?id={name}")
}

/// A half-open range of `created_at_i` seconds: `since <= t < until`.
/// An open end reaches as far as the index does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub since: Option<i64>,
    pub until: Option<i64>,
}

impl Slice {
    /// The two halves of a slice, older first; `None` once it is one second
    /// wide (or its open end is unknown), since Algolia filters on whole
    /// seconds. `newest` bounds an open `until`.
    pub fn halves(self, newest: Option<i64>) -> Option<(Slice, Slice)> {
        let lo = self.since.unwrap_or(0);
        let hi = self.until.or(newest.map(|n| n + 1))?;
        if hi - lo <= 1 {
            return None;
        }
        let mid = lo + (hi - lo) / 2;
        Some((
            Slice {
                since: Some(lo),
                until: Some(mid),
            },
            Slice {
                since: Some(mid),
                until: Some(hi),
            },
        ))
    }
}

/// The slices of a range still to read, in reading order: a slice found to
/// hold more than Algolia serves is replaced by its halves, read next.
#[derive(Debug)]
pub struct Slicer {
    stack: Vec<Slice>,
    oldest_first: bool,
}

impl Slicer {
    pub fn new(range: Slice, oldest_first: bool) -> Slicer {
        Slicer {
            stack: vec![range],
            oldest_first,
        }
    }

    pub fn pop(&mut self) -> Option<Slice> {
        self.stack.pop()
    }

    /// Puts a slice to be read before everything queued.
    pub fn push(&mut self, slice: Slice) {
        self.stack.push(slice);
    }

    /// Queues the halves of `slice` in its place; false when it cannot be
    /// split any further.
    pub fn split(&mut self, slice: Slice, newest: Option<i64>) -> bool {
        let Some((older, newer)) = slice.halves(newest) else {
            return false;
        };
        // A stack: what is pushed last is read first.
        match self.oldest_first {
            true => self.stack.extend([newer, older]),
            false => self.stack.extend([older, newer]),
        }
        true
    }
}

/// Where a run goes on: every hit before `from` was read. `until` is set
/// when the last poll ran out of pages while narrowing down a crowded
/// stretch: `[from, until)` is read first, so that the narrowing resumes
/// rather than starts over (which with a small budget could repeat the
/// same probes poll after poll). Written as `from` or `from..until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub from: i64,
    pub until: Option<i64>,
}

impl std::str::FromStr for Cursor {
    type Err = String;

    fn from_str(s: &str) -> Result<Cursor, String> {
        let bad = || format!("cursor `{s}` is not `<unix seconds>` or `<from>..<until>`");
        let num = |x: &str| x.trim().parse::<i64>().map_err(|_| bad());
        match s.split_once("..") {
            None => Ok(Cursor {
                from: num(s)?,
                until: None,
            }),
            Some((a, b)) => {
                let (from, until) = (num(a)?, num(b)?);
                match until > from {
                    true => Ok(Cursor {
                        from,
                        until: Some(until),
                    }),
                    false => Err(bad()),
                }
            }
        }
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.until {
            Some(u) => write!(f, "{}..{u}", self.from),
            None => write!(f, "{}", self.from),
        }
    }
}

/// `search_by_date` for one page of one slice, newest first.
pub fn search_url(algolia: &Url, query: &str, tags: &[String], slice: Slice, page: u64) -> Url {
    let mut url = endpoint(algolia, &["search_by_date"]);
    let tags = match tags {
        [one] => one.clone(),
        many => format!("({})", many.join(",")),
    };
    let mut filters = Vec::new();
    filters.extend(slice.since.map(|s| format!("created_at_i>={s}")));
    filters.extend(slice.until.map(|u| format!("created_at_i<{u}")));
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("query", query).append_pair("tags", &tags);
        if !filters.is_empty() {
            q.append_pair("numericFilters", &filters.join(","));
        }
        q.append_pair("hitsPerPage", &HITS_PER_PAGE.to_string())
            .append_pair("page", &page.to_string());
    }
    url
}

/// Firebase's `user/<name>.json`.
pub fn user_api_url(firebase: &Url, name: &str) -> Url {
    endpoint(firebase, &["user", &format!("{name}.json")])
}

/// One readable hit.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub item: Item,
    pub id: String,
    pub created: i64,
}

/// One page of search results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchPage {
    pub hits: Vec<Hit>,
    /// Hits that could not be read, each naming the hit.
    pub errors: Vec<String>,
    /// Hits on the page, readable or not.
    pub seen: usize,
    /// Matches of the query, including those beyond the 1,000 served.
    pub nb_hits: u64,
    pub nb_pages: u64,
}

impl SearchPage {
    /// The newest hit's second (pages come newest first).
    pub fn newest(&self) -> Option<i64> {
        self.hits.iter().map(|h| h.created).max()
    }
}

/// Reads a `search_by_date` answer. `Err` when the answer as a whole is
/// not a search result; a bad hit is only an entry in `errors`.
pub fn parse_search(body: &[u8]) -> Result<SearchPage, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON ({e})"))?;
    let o = v.as_object().ok_or("not a JSON object")?;
    let hits = o
        .get("hits")
        .and_then(Value::as_array)
        .ok_or("no `hits` array")?;
    let count = |k: &str| {
        o.get(k)
            .and_then(Value::as_u64)
            .ok_or(format!("no `{k}` count"))
    };
    let mut page = SearchPage {
        nb_hits: count("nbHits")?,
        nb_pages: count("nbPages")?,
        seen: hits.len(),
        ..SearchPage::default()
    };
    for (i, h) in hits.iter().enumerate() {
        match hit(h, i) {
            Ok(h) => page.hits.push(h),
            Err(e) => page.errors.push(e),
        }
    }
    Ok(page)
}

fn hit(v: &Value, index: usize) -> Result<Hit, String> {
    let o = v
        .as_object()
        .ok_or_else(|| format!("hit #{index}: a {}, not an object", kind(v)))?;
    let id = match o.get("objectID") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(format!("hit #{index}: no objectID")),
    };
    let at = |e: String| format!("hit {id}: {e}");
    let created = match int(o, "created_at_i").map_err(at)? {
        Some(t) => t,
        None => str(o, "created_at")
            .map_err(at)?
            .and_then(parse_date)
            .map(|d| d.timestamp())
            .ok_or_else(|| at("no created_at_i or created_at".into()))?,
    };
    let tags = o.get("_tags").and_then(Value::as_array);
    let tagged = |t: &str| tags.is_some_and(|a| a.iter().any(|x| x.as_str() == Some(t)));
    let comment_text = str(o, "comment_text").map_err(at)?;
    let is_comment = tagged("comment") || (!tagged("story") && comment_text.is_some());
    let url = item_url(&id);
    let (title, text, parent) = if is_comment {
        let text = comment_text.ok_or_else(|| at("a comment without comment_text".into()))?;
        let story = match int(o, "story_id").map_err(at)? {
            Some(s) => Some(s),
            None => int(o, "parent_id").map_err(at)?,
        };
        (
            None,
            html_to_text(text),
            story.map(|s| item_url(&s.to_string())),
        )
    } else {
        let title = str(o, "title")
            .map_err(at)?
            .ok_or_else(|| at("a story without title".into()))?;
        let mut text = str(o, "story_text")
            .map_err(at)?
            .map(html_to_text)
            .unwrap_or_default();
        // The link is what a link story says: a brand named only in the
        // address (acme.example/blog/...) is still a mention.
        if let Some(link) = str(o, "url").map_err(at)?.filter(|l| !l.is_empty()) {
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(link);
        }
        (Some(title.trim().to_string()), text, None)
    };
    let points = int(o, "points").map_err(at)?;
    let comments = int(o, "num_comments").map_err(at)?;
    let author = str(o, "author").map_err(at)?.map(|name| Author {
        id: Some(name.to_string()),
        handle: Some(name.to_string()),
        url: Some(user_url(name)),
        ..Author::default()
    });
    Ok(Hit {
        item: Item {
            key: url.clone(),
            url: Some(url),
            content_hash: content_hash(title.as_deref(), &text),
            title,
            text,
            published: DateTime::from_timestamp(created, 0),
            author,
            source_title: Some("Hacker News".into()),
            platform: "hackernews".into(),
            parent,
            engagement: (points.is_some() || comments.is_some()).then(|| Engagement {
                score: points,
                replies: comments.map(|c| c.max(0) as u64),
                ..Engagement::default()
            }),
            ..Item::default()
        },
        id,
        created,
    })
}

/// Reads Firebase's `user/<name>.json`: `None` for `null`, which is how it
/// answers for a name it does not know.
pub fn parse_user(body: &[u8]) -> Result<Option<Profile>, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("not JSON ({e})"))?;
    let o = match &v {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        other => return Err(format!("a {}, not a user object", kind(other))),
    };
    let name = str(o, "id")?.ok_or("no `id`")?;
    let karma = int(o, "karma")?;
    Ok(Some(Profile {
        handle: Some(name.to_string()),
        url: Some(user_url(name)),
        followers: karma.map(|k| k.max(0) as u64),
        links: str(o, "about")?.map(links_in).unwrap_or_default(),
        ..Profile::default()
    }))
}

/// Web addresses in an HTML bio: link targets first, then bare URLs in its
/// text (HN shortens long link texts, so the target is the better copy).
pub fn links_in(html: &str) -> Vec<String> {
    static BARE: OnceLock<Regex> = OnceLock::new();
    let bare = BARE.get_or_init(|| Regex::new(r#"https?://[^\s<>"')\]]+"#).expect("static regex"));
    let doc = crate::normalize::parse_fragment(html);
    let anchors = scraper::Selector::parse("a[href]").expect("static selector");
    let hrefs = doc
        .select(&anchors)
        .filter_map(|a| a.value().attr("href"))
        .map(str::to_string);
    let text = html_to_text(html);
    let found = bare.find_iter(&text).map(|m| {
        m.as_str()
            .trim_end_matches(['.', ',', ';', ':'])
            .to_string()
    });
    let mut seen = HashSet::new();
    hrefs
        .chain(found)
        .filter(|l| l.starts_with("http://") || l.starts_with("https://"))
        .filter(|l| !l.ends_with("..."))
        .filter(|l| seen.insert(l.clone()))
        .collect()
}
