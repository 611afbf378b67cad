//! A stand-in for Algolia's HN search and the Firebase HN API, on the real
//! paths (`/api/v1/search_by_date`, `/v0/user/<name>.json`).
//!
//! Search behaves as Algolia documents it: hits newest first, filtered by
//! `query` words, `tags` and `numericFilters` on `created_at_i`, paged by
//! `hitsPerPage` and `page`, with `nbHits` counting every match while only
//! the first 1,000 can be paged to. Hits are generated from a seed (a test
//! may hold thousands) or loaded from a fixture page. Every request is
//! logged with its time; user lookups are counted per name; a test can make
//! the next searches fail (429 with `Retry-After: 1`, a 400, a body that is
//! not a search result).
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

/// Algolia's cap on hits reachable by paging.
pub const REACHABLE: usize = 1000;

/// How the next search request fails.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 429 with `Retry-After: 1`.
    TooMany,
    /// 400 with Algolia's error body.
    BadRequest,
    /// 200 with a body that is not a search result.
    Garbage,
}

#[derive(Default)]
struct Inner {
    hits: Mutex<Vec<Value>>,
    users: Mutex<HashMap<String, Value>>,
    lookups: Mutex<HashMap<String, usize>>,
    log: Mutex<Vec<(Instant, String)>>,
    faults: Mutex<VecDeque<Fault>>,
}

/// The emulated API's data and what it saw. Cheap to clone.
#[derive(Clone, Default)]
pub struct HnApi(Arc<Inner>);

/// A small deterministic generator, so a seed always gives the same hits.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const AUTHORS: &[&str] = &[
    "mkrause",
    "tinkerlab",
    "dvorakfan",
    "sjwhite",
    "quietpine",
    "ledgerline",
    "ohmcircuit",
    "paperkite",
    "rustacean42",
    "nightowl",
    "fennel",
    "grepper",
];

impl HnApi {
    pub fn new() -> HnApi {
        HnApi::default()
    }

    /// Adds `n` hits mentioning Acme with times drawn from `[from, to)`, and
    /// a Firebase user for each author. Returns their objectIDs.
    pub fn generate(&self, seed: u64, n: usize, from: i64, to: i64) -> Vec<String> {
        let mut rng = Rng::new(seed);
        let mut hits = self.0.hits.lock().unwrap();
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            let id = (40_000_000 + hits.len() as u64 * 7 + rng.below(7)).to_string();
            let t = from + rng.below((to - from) as u64) as i64;
            let author = AUTHORS[rng.below(AUTHORS.len() as u64) as usize];
            let topic =
                ["Acme Cloud sync", "Acme Phone battery", "Acme pricing"][rng.below(3) as usize];
            let hit = if rng.below(3) == 0 {
                json!({
                    "_tags": ["story", format!("author_{author}"), format!("story_{id}")],
                    "author": author, "children": [], "created_at": iso(t), "created_at_i": t,
                    "num_comments": rng.below(200), "objectID": id, "points": rng.below(500),
                    "story_id": id.parse::<u64>().unwrap(), "story_text": null,
                    "title": format!("{topic}: notes from {id}"),
                    "url": format!("https://blog.example/{id}"), "updated_at": iso(t + 60),
                })
            } else {
                let story = 39_000_000 + rng.below(1000);
                json!({
                    "_tags": ["comment", format!("author_{author}"), format!("story_{story}")],
                    "author": author, "children": [], "created_at": iso(t), "created_at_i": t,
                    "comment_text": format!("<p>{topic} is what we use; comment {id}.</p>"),
                    "objectID": id, "parent_id": story, "points": null, "story_id": story,
                    "story_title": format!("{topic} thread"), "updated_at": iso(t),
                })
            };
            ids.push(id);
            hits.push(hit);
        }
        drop(hits);
        let mut users = self.0.users.lock().unwrap();
        for (i, a) in AUTHORS.iter().enumerate() {
            users
                .entry(a.to_string())
                .or_insert_with(|| user(a, 100 * (i as u64 + 1)));
        }
        ids
    }

    /// Adds the hits of a fixture page as they are, bad ones included.
    pub fn load_fixture(&self, path: &std::path::Path) {
        let page: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let hits = page["hits"].as_array().unwrap().clone();
        self.0.hits.lock().unwrap().extend(hits);
    }

    pub fn add_user(&self, name: &str, karma: u64, about: &str) {
        let mut u = user(name, karma);
        u["about"] = json!(about);
        self.0.users.lock().unwrap().insert(name.into(), u);
    }

    pub fn fail_next(&self, fault: Fault) {
        self.0.faults.lock().unwrap().push_back(fault);
    }

    /// Every request so far: when it came and its path and query.
    pub fn log(&self) -> Vec<(Instant, String)> {
        self.0.log.lock().unwrap().clone()
    }

    /// Search requests so far.
    pub fn searches(&self) -> usize {
        self.log()
            .iter()
            .filter(|(_, u)| u.contains("search_by_date"))
            .count()
    }

    /// Firebase lookups of one user so far.
    pub fn lookups(&self, name: &str) -> usize {
        self.0
            .lookups
            .lock()
            .unwrap()
            .get(name)
            .copied()
            .unwrap_or(0)
    }

    pub fn total_lookups(&self) -> usize {
        self.0.lookups.lock().unwrap().values().sum()
    }
}

fn user(name: &str, karma: u64) -> Value {
    json!({"id": name, "created": 1_300_000_000, "karma": karma, "submitted": [1, 2, 3]})
}

fn iso(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn router(api: HnApi) -> Router {
    Router::new()
        .route("/api/v1/search_by_date", get(search))
        .route("/v0/user/{file}", get(firebase_user))
        .layer(middleware::from_fn_with_state(api.clone(), log))
        .with_state(api)
}

async fn log(State(api): State<HnApi>, req: Request, next: Next) -> Response {
    let uri = req.uri().to_string();
    api.0.log.lock().unwrap().push((Instant::now(), uri));
    next.run(req).await
}

fn created(hit: &Value) -> i64 {
    hit["created_at_i"].as_i64().unwrap_or(0)
}

/// One `created_at_i` comparison of `numericFilters`.
fn numeric(filter: &str) -> Result<Box<dyn Fn(i64) -> bool>, String> {
    let f = filter.trim();
    let rest = f
        .strip_prefix("created_at_i")
        .ok_or(format!("invalid numeric filter: {f}"))?;
    let (op, n) = [">=", "<=", ">", "<", "="]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|n| (*op, n)))
        .ok_or(format!("invalid numeric filter: {f}"))?;
    let n: i64 = n
        .trim()
        .parse()
        .map_err(|_| format!("invalid numeric filter: {f}"))?;
    Ok(match op {
        ">=" => Box::new(move |t| t >= n),
        "<=" => Box::new(move |t| t <= n),
        ">" => Box::new(move |t| t > n),
        "<" => Box::new(move |t| t < n),
        _ => Box::new(move |t| t == n),
    })
}

fn text_of(hit: &Value) -> String {
    ["title", "story_text", "comment_text", "url"]
        .iter()
        .filter_map(|k| hit[k].as_str())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

async fn search(State(api): State<HnApi>, Query(q): Query<HashMap<String, String>>) -> Response {
    let fault = api.0.faults.lock().unwrap().pop_front();
    match fault {
        Some(Fault::TooMany) => {
            let body = json!({"message": "Too many requests", "status": 429}).to_string();
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, "1")],
                body,
            )
                .into_response();
        }
        Some(Fault::BadRequest) => {
            let body = json!({"message": "invalid parameters", "status": 400}).to_string();
            return (StatusCode::BAD_REQUEST, body).into_response();
        }
        Some(Fault::Garbage) => {
            return (
                StatusCode::OK,
                "<html><body>Down for maintenance</body></html>",
            )
                .into_response()
        }
        None => {}
    }
    let filters: Result<Vec<_>, String> = q
        .get("numericFilters")
        .map(|f| f.split(',').map(numeric).collect())
        .unwrap_or(Ok(Vec::new()));
    let filters = match filters {
        Ok(f) => f,
        Err(message) => {
            let body = json!({"message": message, "status": 400}).to_string();
            return (StatusCode::BAD_REQUEST, body).into_response();
        }
    };
    let tags: Vec<String> = q
        .get("tags")
        .map(|t| {
            t.trim_matches(['(', ')'])
                .split(',')
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let words: Vec<String> = q
        .get("query")
        .map(|s| s.split_whitespace().map(str::to_lowercase).collect())
        .unwrap_or_default();
    let per_page: usize = q
        .get("hitsPerPage")
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
        .clamp(1, 1000);
    let page: usize = q.get("page").and_then(|v| v.parse().ok()).unwrap_or(0);

    let mut matched: Vec<Value> = api
        .0
        .hits
        .lock()
        .unwrap()
        .iter()
        .filter(|h| filters.iter().all(|f| f(created(h))))
        .filter(|h| {
            tags.is_empty()
                || tags.iter().any(|t| {
                    h["_tags"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|x| x == t.as_str()))
                })
        })
        .filter(|h| {
            let text = text_of(h);
            words.iter().all(|w| text.contains(w.as_str()))
        })
        .cloned()
        .collect();
    matched.sort_by_key(|h| std::cmp::Reverse(created(h)));
    let reachable = matched.len().min(REACHABLE);
    let start = (page * per_page).min(reachable);
    let end = (start + per_page).min(reachable);
    let body = json!({
        "exhaustive": {"nbHits": true, "typo": true},
        "exhaustiveNbHits": true,
        "hits": matched[start..end],
        "hitsPerPage": per_page,
        "nbHits": matched.len(),
        "nbPages": reachable.div_ceil(per_page),
        "page": page,
        "params": q.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&"),
        "processingTimeMS": 1,
        "query": q.get("query").cloned().unwrap_or_default(),
    });
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

async fn firebase_user(State(api): State<HnApi>, Path(file): Path<String>) -> Response {
    let Some(name) = file.strip_suffix(".json") else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    *api.0
        .lookups
        .lock()
        .unwrap()
        .entry(name.to_string())
        .or_default() += 1;
    let found = api.0.users.lock().unwrap().get(name).cloned();
    let body = found.unwrap_or(Value::Null).to_string();
    (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}
