//! A Mastodon instance in miniature, serving `fixtures/social/mastodon/`.
//!
//! Routes, at the real API's paths:
//! - `GET /api/v1/timelines/tag/{tag}`: the fixture statuses carrying the
//!   tag or any `any[]` tag, newest first, with `limit` (20, at most 40),
//!   `max_id`, `since_id` and `min_id` as Mastodon reads them, a `Link`
//!   header and `X-RateLimit-*` headers. Public.
//! - `GET /api/v2/search?q=..&type=statuses`: statuses whose content holds
//!   `q`, paged the same way; needs `Authorization: Bearer TOKEN`.
//! - `GET /api/v2/instance`: the instance document, naming this server as
//!   the streaming host.
//! - `GET /api/v1/streaming/hashtag?tag=acme`: server-sent events from
//!   `stream_acme.sse`, a few bytes at a time, then the connection drops.
//!   Other tags get heartbeats only, for ten seconds. Needs the token.
//!
//! A test may hide the newest statuses (not posted yet) and release them,
//! queue failures for the next API calls, and read every request made.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::StreamExt as _;
use serde_json::{json, Value};

pub const TOKEN: &str = "test-token-8f3a";

/// Heartbeats, 100 ms apart, that a tag without a script gets before the
/// connection ends.
pub const HEARTBEATS: usize = 100;

/// A failure the next API call (timeline, search or stream) answers with.
#[derive(Debug, Clone)]
pub enum Failure {
    /// 429 with `Retry-After: secs`.
    RateLimited { secs: u64 },
    /// A normal answer saying the budget is spent until `secs` from now.
    Exhausted { secs: i64 },
    /// This status and a Mastodon error body.
    Status { code: u16, error: &'static str },
    /// 200 with a proxy's HTML page instead of JSON.
    Garbage,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub at: Instant,
    pub path: String,
    /// Query pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    pub bearer: Option<String>,
}

impl Hit {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone)]
pub struct MastodonState {
    inner: Arc<Inner>,
}

struct Inner {
    /// All statuses, newest first.
    statuses: Vec<Value>,
    /// How many of the newest statuses are not posted yet.
    hidden: AtomicUsize,
    /// What the next API calls answer: `None` for a normal answer.
    failures: Mutex<VecDeque<Option<Failure>>>,
    hits: Mutex<Vec<Hit>>,
    calls: AtomicUsize,
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/social/mastodon")
}

impl Default for MastodonState {
    fn default() -> Self {
        Self::new()
    }
}

impl MastodonState {
    pub fn new() -> MastodonState {
        let text = std::fs::read_to_string(fixtures().join("tag_timeline.json")).unwrap();
        MastodonState {
            inner: Arc::new(Inner {
                statuses: serde_json::from_str(&text).unwrap(),
                hidden: AtomicUsize::new(0),
                failures: Mutex::default(),
                hits: Mutex::default(),
                calls: AtomicUsize::new(0),
            }),
        }
    }

    /// Every fixture status, newest first, hidden ones included.
    pub fn statuses(&self) -> &[Value] {
        &self.inner.statuses
    }

    /// Pretends the newest `n` statuses are not posted yet (0 posts them).
    pub fn hide_newest(&self, n: usize) {
        self.inner.hidden.store(n, Ordering::SeqCst);
    }

    /// Queues a failure for the next API call not yet spoken for.
    pub fn fail_next(&self, f: Failure) {
        self.inner.failures.lock().unwrap().push_back(Some(f));
    }

    /// Lets the next API call not yet spoken for answer normally.
    pub fn pass_next(&self) {
        self.inner.failures.lock().unwrap().push_back(None);
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.inner.hits.lock().unwrap().clone()
    }

    /// Requests for one path, in order.
    pub fn hits_on(&self, path: &str) -> Vec<Hit> {
        self.hits().into_iter().filter(|h| h.path == path).collect()
    }

    fn visible(&self) -> &[Value] {
        let hidden = self.inner.hidden.load(Ordering::SeqCst);
        &self.inner.statuses[hidden.min(self.inner.statuses.len())..]
    }

    /// Logs an API call and takes the failure queued for it.
    fn record(
        &self,
        path: &str,
        query: &[(String, String)],
        headers: &HeaderMap,
    ) -> Option<Failure> {
        self.log(path, query, headers);
        self.inner.failures.lock().unwrap().pop_front().flatten()
    }

    fn log(&self, path: &str, query: &[(String, String)], headers: &HeaderMap) {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string);
        self.inner.hits.lock().unwrap().push(Hit {
            at: Instant::now(),
            path: path.to_string(),
            query: query.to_vec(),
            bearer,
        });
    }
}

pub fn router(state: MastodonState) -> Router {
    Router::new()
        .route("/api/v1/timelines/tag/{tag}", get(tag_timeline))
        .route("/api/v2/search", get(search))
        .route("/api/v2/instance", get(instance))
        .route("/api/v1/streaming/hashtag", get(stream_hashtag))
        .with_state(state)
}

fn pairs(q: &Option<String>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(q.as_deref().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

fn id_of(s: &Value) -> u128 {
    s["id"].as_str().and_then(|i| i.parse().ok()).unwrap_or(0)
}

fn error(code: u16, message: &str) -> Response {
    let status = StatusCode::from_u16(code).unwrap();
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        json!({ "error": message }).to_string(),
    )
        .into_response()
}

/// The 401 Mastodon answers a call without the right token with.
fn refused(headers: &HeaderMap) -> Option<Response> {
    match headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        None => Some(error(401, "This API requires an authenticated user")),
        Some(v) if v == format!("Bearer {TOKEN}") => None,
        Some(_) => Some(error(401, "The access token is invalid")),
    }
}

/// What a queued failure answers instead, or the rate-limit headers of a
/// normal answer.
fn failure_or_budget(
    state: &MastodonState,
    f: Option<Failure>,
) -> Result<Vec<(String, String)>, Box<Response>> {
    let n = state.inner.calls.fetch_add(1, Ordering::SeqCst);
    let reset = |secs: i64| {
        (chrono::Utc::now() + chrono::Duration::seconds(secs))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    let mut budget = vec![
        ("x-ratelimit-limit".to_string(), "300".to_string()),
        (
            "x-ratelimit-remaining".to_string(),
            (299 - n.min(298)).to_string(),
        ),
        ("x-ratelimit-reset".to_string(), reset(300)),
    ];
    match f {
        None => Ok(budget),
        Some(Failure::Exhausted { secs }) => {
            budget[1].1 = "0".into();
            budget[2].1 = reset(secs);
            Ok(budget)
        }
        Some(Failure::RateLimited { secs }) => {
            let mut r = error(429, "Too many requests");
            r.headers_mut()
                .insert(header::RETRY_AFTER, secs.to_string().parse().unwrap());
            Err(Box::new(r))
        }
        Some(Failure::Status { code, error: e }) => Err(Box::new(error(code, e))),
        Some(Failure::Garbage) => Err(Box::new(
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html")],
                "<html><body><h1>We'll be right back</h1></body></html>",
            )
                .into_response(),
        )),
    }
}

/// Mastodon's paging over a newest-first list.
fn page<'a>(list: Vec<&'a Value>, query: &[(String, String)]) -> Vec<&'a Value> {
    let param = |k: &str| {
        query
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.parse::<u128>().ok())
    };
    let limit = param("limit").unwrap_or(20).clamp(1, 40) as usize;
    let mut list: Vec<&Value> = list
        .into_iter()
        .filter(|s| param("max_id").is_none_or(|m| id_of(s) < m))
        .filter(|s| param("since_id").is_none_or(|m| id_of(s) > m))
        .collect();
    match param("min_id") {
        // The page just newer than min_id: the oldest `limit` of the newer.
        Some(min) => {
            list.retain(|s| id_of(s) > min);
            let skip = list.len().saturating_sub(limit);
            list.split_off(skip)
        }
        None => {
            list.truncate(limit);
            list
        }
    }
}

fn link_header(
    host: &str,
    path: &str,
    query: &[(String, String)],
    page: &[&Value],
) -> Option<String> {
    let (first, last) = (page.first()?, page.last()?);
    let keep: Vec<(String, String)> = query
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "max_id" | "min_id" | "since_id"))
        .cloned()
        .collect();
    let link = |k: &str, id: &Value| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.extend_pairs(&keep)
            .append_pair(k, id["id"].as_str().unwrap_or(""));
        format!("<http://{host}{path}?{}>", q.finish())
    };
    Some(format!(
        "{}; rel=\"next\", {}; rel=\"prev\"",
        link("max_id", last),
        link("min_id", first)
    ))
}

fn tags_of(s: &Value) -> Vec<String> {
    let own = s["tags"].as_array().filter(|t| !t.is_empty());
    own.or(s["reblog"]["tags"].as_array())
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str().map(str::to_lowercase))
        .collect()
}

fn host_of(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string()
}

fn json_page(headers: Vec<(String, String)>, body: String, link: Option<String>) -> Response {
    let mut r = (
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response();
    for (k, v) in headers
        .into_iter()
        .chain(link.map(|l| ("link".to_string(), l)))
    {
        r.headers_mut().insert(
            header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    r
}

async fn tag_timeline(
    State(s): State<MastodonState>,
    Path(tag): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let path = format!("/api/v1/timelines/tag/{tag}");
    let query = pairs(&q);
    let failure = s.record(&path, &query, &headers);
    let budget = match failure_or_budget(&s, failure) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let mut wanted = vec![tag.to_lowercase()];
    wanted.extend(
        query
            .iter()
            .filter(|(k, _)| k == "any[]")
            .map(|(_, v)| v.to_lowercase()),
    );
    let matching: Vec<&Value> = s
        .visible()
        .iter()
        .filter(|st| tags_of(st).iter().any(|t| wanted.contains(t)))
        .collect();
    let found = page(matching, &query);
    let link = link_header(&host_of(&headers), &path, &query, &found);
    json_page(budget, serde_json::to_string(&found).unwrap(), link)
}

async fn search(
    State(s): State<MastodonState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = pairs(&q);
    let failure = s.record("/api/v2/search", &query, &headers);
    if let Some(r) = refused(&headers) {
        return r;
    }
    let budget = match failure_or_budget(&s, failure) {
        Ok(b) => b,
        Err(r) => return *r,
    };
    let text = query
        .iter()
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.to_lowercase())
        .unwrap_or_default();
    // Search finds statuses, never boosts of them.
    let matching: Vec<&Value> = s
        .visible()
        .iter()
        .filter(|st| {
            st["reblog"].is_null()
                && st["content"]
                    .as_str()
                    .is_some_and(|c| c.to_lowercase().contains(&text))
        })
        .collect();
    let found = page(matching, &query);
    let body = json!({ "accounts": [], "statuses": found, "hashtags": [] });
    json_page(budget, body.to_string(), None)
}

async fn instance(State(s): State<MastodonState>, headers: HeaderMap) -> Response {
    s.log("/api/v2/instance", &[], &headers);
    let text = std::fs::read_to_string(fixtures().join("instance.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["configuration"]["urls"]["streaming"] = json!(format!("ws://{}", host_of(&headers)));
    json_page(Vec::new(), v.to_string(), None)
}

async fn stream_hashtag(
    State(s): State<MastodonState>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = pairs(&q);
    let failure = s.record("/api/v1/streaming/hashtag", &query, &headers);
    if let Some(r) = refused(&headers) {
        return r;
    }
    if let Err(r) = failure_or_budget(&s, failure) {
        return *r;
    }
    let tag = query
        .iter()
        .find(|(k, _)| k == "tag")
        .map(|(_, v)| v.to_lowercase())
        .unwrap_or_default();
    let script = tag
        .chars()
        .all(char::is_alphanumeric)
        .then(|| std::fs::read(fixtures().join(format!("stream_{tag}.sse"))).ok())
        .flatten();
    let (chunks, pause): (Vec<Bytes>, _) = match script {
        // Small pieces, so that lines and characters arrive cut.
        Some(bytes) => (
            bytes.chunks(23).map(Bytes::copy_from_slice).collect(),
            Duration::from_millis(1),
        ),
        None => (
            vec![Bytes::from_static(b":thump\n\n"); HEARTBEATS],
            Duration::from_millis(100),
        ),
    };
    let body = futures::stream::iter(chunks).then(move |c| async move {
        tokio::time::sleep(pause).await;
        Ok::<_, Infallible>(c)
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}
