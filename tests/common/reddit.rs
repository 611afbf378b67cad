//! A stand-in for Reddit's OAuth API, on the real paths: the token
//! endpoint (`POST /api/v1/access_token`, client credentials with HTTP
//! basic auth), `/r/<sub>/new.json`, `/r/<sub>/search.json`,
//! `/search.json` and `/user/<name>/about.json`.
//!
//! Listings behave as Reddit's do: newest first, `limit` up to 100, paged
//! with `after=<fullname>`, about 1,000 posts deep and no deeper. Every API
//! answer carries `X-Ratelimit-Used/Remaining/Reset` from a budget a test
//! can shrink; a call over budget is counted as a violation and refused.
//! Only a token the endpoint issued is accepted. A test can make the next
//! API call fail: a 403 with `Retry-After: 1` (Reddit's 429), an expired
//! token (401), a body that is not a listing. Posts are generated from a
//! seed or loaded from a fixture listing; every request is logged.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

/// How deep a listing goes.
pub const DEPTH: usize = 1000;

/// How the next API call (not a token request) fails.
#[derive(Debug, Clone)]
pub enum Fault {
    /// 403 with `Retry-After: 1`: Reddit's way of saying 429.
    Forbidden,
    /// Every token issued so far stops working.
    ExpireTokens,
    /// 200 with an HTML page.
    Garbage,
}

struct Budget {
    per_window: usize,
    window: Duration,
    started: Instant,
    used: usize,
    violations: usize,
}

struct Inner {
    client_id: String,
    client_secret: String,
    tokens: Mutex<(usize, HashSet<String>)>,
    posts: Mutex<HashMap<String, Vec<Value>>>,
    users: Mutex<HashMap<String, Value>>,
    lookups: Mutex<HashMap<String, usize>>,
    log: Mutex<Vec<(Instant, String)>>,
    faults: Mutex<VecDeque<Fault>>,
    budget: Mutex<Budget>,
    next_id: Mutex<u64>,
}

/// The emulated API's data and what it saw. Cheap to clone.
#[derive(Clone)]
pub struct RedditApi(Arc<Inner>);

const AUTHORS: &[&str] = &[
    "byte_farmer",
    "northwind_ops",
    "quiet_pixel",
    "tallgrass",
    "ledger_and_line",
    "mossy_keys",
    "dune_walker",
    "kettle_logic",
    "[deleted]",
];

impl RedditApi {
    pub fn new(client_id: &str, client_secret: &str) -> RedditApi {
        RedditApi(Arc::new(Inner {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            tokens: Mutex::default(),
            posts: Mutex::default(),
            users: Mutex::default(),
            lookups: Mutex::default(),
            log: Mutex::default(),
            faults: Mutex::default(),
            budget: Mutex::new(Budget {
                per_window: 600,
                window: Duration::from_secs(600),
                started: Instant::now(),
                used: 0,
                violations: 0,
            }),
            next_id: Mutex::new(1_600_000_000),
        }))
    }

    /// Adds `n` posts to `sub` with times drawn from `[from, to)` seconds,
    /// and an account for each author. Returns their fullnames.
    pub fn generate(&self, sub: &str, seed: u64, n: usize, from: i64, to: i64) -> Vec<String> {
        let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        let mut names = Vec::with_capacity(n);
        let mut posts = self.0.posts.lock().unwrap();
        let list = posts.entry(sub.to_lowercase()).or_default();
        for _ in 0..n {
            let id = {
                let mut counter = self.0.next_id.lock().unwrap();
                *counter += 1 + next() % 5;
                base36(*counter)
            };
            let created = (from + (next() % (to - from) as u64) as i64) as f64;
            let author = AUTHORS[(next() % AUTHORS.len() as u64) as usize];
            let topic =
                ["Acme Cloud sync", "Acme Phone battery", "Acme pricing"][(next() % 3) as usize];
            let permalink = format!("/r/{sub}/comments/{id}/post_{id}/");
            let mut data = json!({
                "subreddit": sub, "selftext": format!("{topic}: what happened to us ({id})."),
                "title": format!("{topic} thread {id}"), "name": format!("t3_{id}"), "id": id,
                "author": author, "created": created, "created_utc": created,
                "score": (next() % 900) as i64 - 20, "num_comments": next() % 300,
                "permalink": permalink, "url": format!("https://www.reddit.com{permalink}"),
                "is_self": true, "over_18": false, "edited": false, "stickied": false,
                "subreddit_name_prefixed": format!("r/{sub}"), "domain": format!("self.{sub}"),
            });
            if author != "[deleted]" {
                data["author_fullname"] =
                    json!(format!("t2_{}", base36(author.len() as u64 * 7919)));
            }
            names.push(format!("t3_{id}"));
            list.push(json!({"kind": "t3", "data": data}));
        }
        drop(posts);
        let mut users = self.0.users.lock().unwrap();
        for (i, a) in AUTHORS
            .iter()
            .enumerate()
            .filter(|(_, a)| **a != "[deleted]")
        {
            users
                .entry(a.to_string())
                .or_insert_with(|| account(a, 1000 * (i as u64 + 1), ""));
        }
        names
    }

    /// Adds the children of a fixture listing to `sub`, bad ones included.
    pub fn load_fixture(&self, sub: &str, path: &std::path::Path) {
        let page: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let children = page["data"]["children"].as_array().unwrap().clone();
        self.0
            .posts
            .lock()
            .unwrap()
            .entry(sub.to_lowercase())
            .or_default()
            .extend(children);
    }

    pub fn add_user(&self, name: &str, karma: u64, description: &str) {
        self.0
            .users
            .lock()
            .unwrap()
            .insert(name.into(), account(name, karma, description));
    }

    pub fn fail_next(&self, fault: Fault) {
        self.0.faults.lock().unwrap().push_back(fault);
    }

    /// `per_window` API calls allowed per `window`, from now.
    pub fn set_budget(&self, per_window: usize, window: Duration) {
        let mut b = self.0.budget.lock().unwrap();
        (b.per_window, b.window, b.started, b.used) = (per_window, window, Instant::now(), 0);
    }

    /// API calls that came while the budget was spent.
    pub fn violations(&self) -> usize {
        self.0.budget.lock().unwrap().violations
    }

    pub fn tokens_issued(&self) -> usize {
        self.0.tokens.lock().unwrap().0
    }

    pub fn log(&self) -> Vec<(Instant, String)> {
        self.0.log.lock().unwrap().clone()
    }

    /// Listing requests so far (new and search).
    pub fn listings(&self) -> Vec<(Instant, String)> {
        self.log()
            .into_iter()
            .filter(|(_, u)| u.contains("/new.json") || u.contains("search.json"))
            .collect()
    }

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

fn account(name: &str, karma: u64, description: &str) -> Value {
    json!({"kind": "t2", "data": {
        "name": name, "id": base36(karma + 11), "created_utc": 1_400_000_000.0,
        "link_karma": karma / 4, "comment_karma": karma - karma / 4, "total_karma": karma,
        "is_suspended": false, "verified": true,
        "subreddit": {"title": "", "public_description": description, "display_name_prefixed": format!("u/{name}")},
    }})
}

fn base36(mut n: u64) -> String {
    let digits = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(digits[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

fn base64(bytes: &[u8]) -> String {
    let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(table[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub fn router(api: RedditApi) -> Router {
    Router::new()
        .route("/api/v1/access_token", post(token))
        .route("/r/{sub}/new.json", get(new))
        .route("/r/{sub}/search.json", get(search_sub))
        .route("/search.json", get(search_all))
        .route("/user/{name}/about.json", get(about))
        .layer(middleware::from_fn_with_state(api.clone(), log))
        .with_state(api)
}

async fn log(State(api): State<RedditApi>, req: Request, next: Next) -> Response {
    let line = format!("{} {}", req.method(), req.uri());
    api.0.log.lock().unwrap().push((Instant::now(), line));
    next.run(req).await
}

fn error(status: StatusCode, message: &str) -> Response {
    let body = json!({"message": message, "error": status.as_u16()}).to_string();
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        body,
    )
        .into_response()
}

async fn token(State(api): State<RedditApi>, headers: HeaderMap, body: String) -> Response {
    let want = format!(
        "Basic {}",
        base64(format!("{}:{}", api.0.client_id, api.0.client_secret).as_bytes())
    );
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(want.as_str())
    {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    let grant = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.into_owned());
    if grant.as_deref() != Some("client_credentials") {
        // Reddit answers this one with a 200.
        return json!({"error": "unsupported_grant_type"})
            .to_string()
            .into_response();
    }
    let mut tokens = api.0.tokens.lock().unwrap();
    tokens.0 += 1;
    let t = format!("tok-{}", tokens.0);
    tokens.1.insert(t.clone());
    json!({"access_token": t, "token_type": "bearer", "expires_in": 86400, "scope": "*"})
        .to_string()
        .into_response()
}

/// The gate every API call passes: faults, the token, the budget. The
/// headers are the rate-limit headers to answer with.
fn gate(
    api: &RedditApi,
    headers: &HeaderMap,
) -> Result<[(&'static str, String); 3], Box<Response>> {
    let fault = api.0.faults.lock().unwrap().pop_front();
    match fault {
        Some(Fault::ExpireTokens) => api.0.tokens.lock().unwrap().1.clear(),
        Some(Fault::Forbidden) => {
            let mut r = error(StatusCode::FORBIDDEN, "Forbidden");
            r.headers_mut()
                .insert(header::RETRY_AFTER, "1".parse().unwrap());
            return Err(Box::new(r));
        }
        Some(Fault::Garbage) => {
            let page = "<html><body>Our CDN was unable to reach our servers</body></html>";
            return Err(Box::new((StatusCode::OK, page).into_response()));
        }
        None => {}
    }
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or(v.strip_prefix("bearer ")));
    if !bearer.is_some_and(|t| api.0.tokens.lock().unwrap().1.contains(t)) {
        return Err(Box::new(error(StatusCode::UNAUTHORIZED, "Unauthorized")));
    }
    let mut b = api.0.budget.lock().unwrap();
    if b.started.elapsed() >= b.window {
        (b.started, b.used) = (Instant::now(), 0);
    }
    let reset = (b.window - b.started.elapsed()).as_secs_f64().ceil() as u64;
    if b.used >= b.per_window {
        b.violations += 1;
        let mut r = error(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
        r.headers_mut()
            .insert("x-ratelimit-reset", reset.to_string().parse().unwrap());
        return Err(Box::new(r));
    }
    b.used += 1;
    Ok([
        ("x-ratelimit-used", b.used.to_string()),
        (
            "x-ratelimit-remaining",
            format!("{:.1}", (b.per_window - b.used) as f64),
        ),
        ("x-ratelimit-reset", reset.to_string()),
    ])
}

fn created(child: &Value) -> f64 {
    let c = &child["data"]["created_utc"];
    c.as_f64()
        .or_else(|| c.as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(0.0)
}

fn listing(
    api: &RedditApi,
    subs: Option<&str>,
    q: &HashMap<String, String>,
    search: bool,
) -> Value {
    let words: Vec<String> = match search {
        true => q
            .get("q")
            .map(|s| s.split_whitespace().map(str::to_lowercase).collect())
            .unwrap_or_default(),
        false => Vec::new(),
    };
    let posts = api.0.posts.lock().unwrap();
    let mut all: Vec<Value> = posts
        .iter()
        .filter(|(sub, _)| subs.is_none_or(|s| s.eq_ignore_ascii_case(sub)))
        .flat_map(|(_, list)| list.iter())
        .filter(|c| {
            let d = &c["data"];
            let text = format!(
                "{} {}",
                d["title"].as_str().unwrap_or(""),
                d["selftext"].as_str().unwrap_or("")
            )
            .to_lowercase();
            words.iter().all(|w| text.contains(w.as_str()))
        })
        .cloned()
        .collect();
    all.sort_by(|a, b| created(b).total_cmp(&created(a)));
    all.truncate(DEPTH);
    let limit: usize = q
        .get("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(25)
        .clamp(1, 100);
    let start = match q.get("after") {
        None => 0,
        // An anchor that is gone (or past the depth) gives nothing.
        Some(a) => all
            .iter()
            .position(|c| c["data"]["name"] == a.as_str())
            .map_or(all.len(), |i| i + 1),
    };
    let end = (start + limit).min(all.len());
    let page = &all[start..end];
    let after = match end < all.len() {
        true => page
            .last()
            .map(|c| c["data"]["name"].clone())
            .unwrap_or(Value::Null),
        false => Value::Null,
    };
    json!({"kind": "Listing", "data": {
        "after": after, "dist": page.len(), "modhash": "", "geo_filter": "",
        "children": page, "before": null,
    }})
}

fn answer(api: &RedditApi, headers: &HeaderMap, make: impl FnOnce() -> Value) -> Response {
    let limits = match gate(api, headers) {
        Ok(l) => l,
        Err(r) => return *r,
    };
    let mut r = (
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        make().to_string(),
    )
        .into_response();
    for (k, v) in limits {
        r.headers_mut().insert(k, v.parse().unwrap());
    }
    r
}

async fn new(
    State(api): State<RedditApi>,
    Path(sub): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    answer(&api, &headers, || listing(&api, Some(&sub), &q, false))
}

async fn search_sub(
    State(api): State<RedditApi>,
    Path(sub): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let restrict = q
        .get("restrict_sr")
        .is_some_and(|v| v == "1" || v == "true");
    answer(&api, &headers, || {
        listing(&api, restrict.then_some(sub.as_str()), &q, true)
    })
}

async fn search_all(
    State(api): State<RedditApi>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    answer(&api, &headers, || listing(&api, None, &q, true))
}

async fn about(
    State(api): State<RedditApi>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    *api.0
        .lookups
        .lock()
        .unwrap()
        .entry(name.clone())
        .or_default() += 1;
    let found = api.0.users.lock().unwrap().get(&name).cloned();
    match found {
        Some(user) => answer(&api, &headers, || user),
        None => match gate(&api, &headers) {
            Ok(_) => error(StatusCode::NOT_FOUND, "Not Found"),
            Err(r) => *r,
        },
    }
}
