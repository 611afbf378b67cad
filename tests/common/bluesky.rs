//! Bluesky's APIs as a test server, serving `fixtures/social/bluesky/`.
//!
//! Routes, at the real paths:
//! - `/subscribe` (websocket): Jetstream. Plays the events whose `time_us`
//!   is at or after `cursor` (without one, only the newest event, as if
//!   live), honouring `wantedCollections` for commits. Where the real one
//!   would wait for more at the end, this one closes with code 1000, so
//!   tests need not wait out an idle timeout. It can be told to drop a
//!   connection after N events without a close frame, and to ping.
//! - `/xrpc/app.bsky.feed.searchPosts`: three pages (cursors "3" and "6"),
//!   a Bearer token from `createSession` required; tokens can be expired,
//!   answers can be rate limited (429, `Retry-After: 1`) or malformed.
//! - `/xrpc/com.atproto.server.createSession`: issues `access-1`,
//!   `access-2`, ... for this server's [`BlueskyState::handle`] and
//!   [`APP_PASSWORD`]. Each server has its own handle, so sessions a
//!   client keeps for one server are never offered to another.
//! - `/xrpc/app.bsky.actor.getProfiles`: the profiles asked for (by DID or
//!   handle, at most 25), each call's actors logged; can be made to fail.
//!
//! [`firehose`] builds the same events as `gen_jetstream.py`, for tests
//! and benchmarks that want thousands of them.
#![allow(dead_code)]

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

pub const APP_PASSWORD: &str = "k2mq-7vxd-4pta-9hwe";

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/social/bluesky")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The events of `jetstream.jsonl`, one string a line.
pub fn fixture_events() -> Vec<String> {
    String::from_utf8(fixture("jetstream.jsonl"))
        .expect("utf-8 fixture")
        .lines()
        .map(str::to_string)
        .collect()
}

/// One request the server answered.
#[derive(Debug, Clone)]
pub struct Hit {
    pub at: Instant,
    pub query: Vec<(String, String)>,
    pub bearer: Option<String>,
    pub status: u16,
}

impl Hit {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Inner {
    handle: String,
    /// (time_us, message) in the order played; a message whose `time_us`
    /// cannot be read takes the time of the one before it.
    events: Mutex<Vec<(u64, String)>>,
    drops: Mutex<VecDeque<usize>>,
    ping_after: Mutex<Option<usize>>,
    pongs: AtomicUsize,
    subscriptions: Mutex<Vec<Vec<(String, String)>>>,
    sessions: AtomicUsize,
    tokens: Mutex<HashSet<String>>,
    expired: Mutex<HashSet<String>>,
    expire_all: AtomicBool,
    limited: AtomicUsize,
    malformed: AtomicBool,
    searches: Mutex<Vec<Hit>>,
    profile_calls: Mutex<Vec<Vec<String>>>,
    profiles_fail: AtomicBool,
}

/// The server's state: what to play, what to refuse, what was asked.
#[derive(Clone)]
pub struct BlueskyState(Arc<Inner>);

impl BlueskyState {
    /// Serves the fixture events.
    pub fn new() -> BlueskyState {
        BlueskyState::with_events(fixture_events())
    }

    pub fn with_events(events: Vec<String>) -> BlueskyState {
        static SERVERS: AtomicUsize = AtomicUsize::new(0);
        let n = SERVERS.fetch_add(1, Ordering::SeqCst);
        let s = BlueskyState(Arc::new(Inner {
            handle: format!("acme-watch-{n}.bsky.social"),
            ..Inner::default()
        }));
        s.push_events(events);
        s
    }

    /// The account this server knows.
    pub fn handle(&self) -> String {
        self.0.handle.clone()
    }

    /// Adds events after the others, as new traffic.
    pub fn push_events(&self, events: impl IntoIterator<Item = String>) {
        let mut all = self.0.events.lock().unwrap();
        for e in events {
            let prev = all.last().map_or(0, |(t, _)| *t);
            let t = serde_json::from_str::<serde_json::Value>(&e)
                .ok()
                .and_then(|v| v.get("time_us").and_then(|t| t.as_u64()))
                .unwrap_or(prev);
            all.push((t, e));
        }
    }

    /// The next connection is dropped (no close frame) after `n` events;
    /// each call queues one more such connection.
    pub fn drop_after(&self, n: usize) {
        self.0.drops.lock().unwrap().push_back(n);
    }

    /// Every connection pings after `n` events and waits for the pong.
    pub fn ping_after(&self, n: usize) {
        *self.0.ping_after.lock().unwrap() = Some(n);
    }

    pub fn pongs(&self) -> usize {
        self.0.pongs.load(Ordering::SeqCst)
    }

    /// Query parameters of each websocket connection, in order.
    pub fn subscriptions(&self) -> Vec<Vec<(String, String)>> {
        self.0.subscriptions.lock().unwrap().clone()
    }

    /// `createSession` calls that succeeded.
    pub fn sessions(&self) -> usize {
        self.0.sessions.load(Ordering::SeqCst)
    }

    /// This token answers `ExpiredToken` from now on.
    pub fn expire(&self, token: &str) {
        self.0.expired.lock().unwrap().insert(token.to_string());
    }

    /// Every token answers `ExpiredToken`.
    pub fn expire_all(&self) {
        self.0.expire_all.store(true, Ordering::SeqCst);
    }

    /// The next `n` searches answer 429 with `Retry-After: 1`.
    pub fn rate_limit(&self, n: usize) {
        self.0.limited.store(n, Ordering::SeqCst);
    }

    /// Searches answer 200 with a body that is not a search result.
    pub fn malformed_search(&self) {
        self.0.malformed.store(true, Ordering::SeqCst);
    }

    pub fn searches(&self) -> Vec<Hit> {
        self.0.searches.lock().unwrap().clone()
    }

    /// `getProfiles` answers 502 from now on.
    pub fn fail_profiles(&self) {
        self.0.profiles_fail.store(true, Ordering::SeqCst);
    }

    /// The actors of each `getProfiles` call, in order.
    pub fn profile_calls(&self) -> Vec<Vec<String>> {
        self.0.profile_calls.lock().unwrap().clone()
    }
}

pub fn router(state: BlueskyState) -> Router {
    Router::new()
        .route("/subscribe", get(subscribe))
        .route("/xrpc/app.bsky.feed.searchPosts", get(search_posts))
        .route(
            "/xrpc/com.atproto.server.createSession",
            post(create_session),
        )
        .route("/xrpc/app.bsky.actor.getProfiles", get(get_profiles))
        .with_state(state)
}

fn pairs(q: Option<String>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn json(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The collection of a commit event, if it is one.
fn collection(event: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(event).ok()?;
    Some(v.get("commit")?.get("collection")?.as_str()?.to_string())
}

async fn subscribe(
    State(s): State<BlueskyState>,
    RawQuery(q): RawQuery,
    ws: WebSocketUpgrade,
) -> Response {
    let params = pairs(q);
    s.0.subscriptions.lock().unwrap().push(params.clone());
    let wanted: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "wantedCollections")
        .map(|(_, v)| v.clone())
        .collect();
    let cursor = params.iter().find(|(k, _)| k == "cursor");
    let cursor = match cursor.map(|(_, v)| v.parse::<u64>()) {
        Some(Ok(c)) => Some(c),
        Some(Err(_)) => return (StatusCode::BAD_REQUEST, "invalid cursor").into_response(),
        None => None,
    };
    let all = s.0.events.lock().unwrap().clone();
    let from = match cursor {
        Some(c) => all.iter().position(|(t, _)| *t >= c).unwrap_or(all.len()),
        None => all.len().saturating_sub(1),
    };
    let play: Vec<String> = all[from..]
        .iter()
        .map(|(_, e)| e.clone())
        .filter(|e| match collection(e) {
            Some(c) if !wanted.is_empty() => wanted.contains(&c),
            _ => true,
        })
        .collect();
    let drop_after = s.0.drops.lock().unwrap().pop_front();
    let ping_after = *s.0.ping_after.lock().unwrap();
    ws.on_upgrade(move |socket| play_events(socket, s, play, drop_after, ping_after))
}

async fn play_events(
    mut socket: WebSocket,
    s: BlueskyState,
    events: Vec<String>,
    drop_after: Option<usize>,
    ping_after: Option<usize>,
) {
    for (i, e) in events.into_iter().enumerate() {
        if drop_after == Some(i) {
            return; // dropped: no close frame
        }
        if ping_after == Some(i) {
            if socket
                .send(Message::Ping(Bytes::from_static(b"ka")))
                .await
                .is_err()
            {
                return;
            }
            let wait = tokio::time::timeout(Duration::from_secs(5), socket.recv());
            if let Ok(Some(Ok(Message::Pong(_)))) = wait.await {
                s.0.pongs.fetch_add(1, Ordering::SeqCst);
            }
        }
        if socket.send(Message::Text(e.into())).await.is_err() {
            return;
        }
    }
    let close = CloseFrame {
        code: 1000,
        reason: "caught up".into(),
    };
    let _ = socket.send(Message::Close(Some(close))).await;
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    Some(v.strip_prefix("Bearer ")?.to_string())
}

async fn search_posts(
    State(s): State<BlueskyState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let query = pairs(q);
    let token = bearer(&headers);
    let answer = answer_search(&s, &query, token.as_deref());
    s.0.searches.lock().unwrap().push(Hit {
        at: Instant::now(),
        query,
        bearer: token,
        status: answer.status().as_u16(),
    });
    answer
}

fn answer_search(s: &BlueskyState, query: &[(String, String)], token: Option<&str>) -> Response {
    let reset = (chrono::Utc::now().timestamp() + 300).to_string();
    let limited = s.0.limited.load(Ordering::SeqCst);
    if limited > 0 {
        s.0.limited.store(limited - 1, Ordering::SeqCst);
        let mut r = json(StatusCode::TOO_MANY_REQUESTS, fixture("rate_limited.json"));
        let h = r.headers_mut();
        h.insert("retry-after", "1".parse().unwrap());
        h.insert("ratelimit-limit", "3000".parse().unwrap());
        h.insert("ratelimit-remaining", "0".parse().unwrap());
        h.insert("ratelimit-reset", reset.parse().unwrap());
        return r;
    }
    let known = token.is_some_and(|t| s.0.tokens.lock().unwrap().contains(t));
    if !known {
        return json(StatusCode::UNAUTHORIZED, fixture("auth_required.json"));
    }
    let token = token.unwrap_or_default();
    if s.0.expire_all.load(Ordering::SeqCst) || s.0.expired.lock().unwrap().contains(token) {
        return json(StatusCode::BAD_REQUEST, fixture("expired_token.json"));
    }
    let param = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if param("q").is_none_or(str::is_empty) {
        let body =
            br#"{"error":"InvalidRequest","message":"Error: Params must have the property \"q\""}"#;
        return json(StatusCode::BAD_REQUEST, body.to_vec());
    }
    if s.0.malformed.load(Ordering::SeqCst) {
        return json(StatusCode::OK, br#"{"hits":"soon"}"#.to_vec());
    }
    let page = match param("cursor") {
        None => 1,
        Some("3") => 2,
        Some("6") => 3,
        Some(_) => {
            let body = br#"{"error":"InvalidRequest","message":"malformed cursor"}"#;
            return json(StatusCode::BAD_REQUEST, body.to_vec());
        }
    };
    let mut r = json(
        StatusCode::OK,
        fixture(&format!("search_posts.{page}.json")),
    );
    let h = r.headers_mut();
    h.insert("ratelimit-limit", "3000".parse().unwrap());
    h.insert("ratelimit-remaining", "2990".parse().unwrap());
    h.insert("ratelimit-reset", reset.parse().unwrap());
    h.insert("ratelimit-policy", "3000;w=300".parse().unwrap());
    r
}

async fn create_session(State(s): State<BlueskyState>, body: Bytes) -> Response {
    let login: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    if login["identifier"] != s.0.handle.as_str() || login["password"] != APP_PASSWORD {
        return json(StatusCode::UNAUTHORIZED, fixture("invalid_login.json"));
    }
    let n = s.0.sessions.fetch_add(1, Ordering::SeqCst) + 1;
    let access = format!("access-{n}");
    s.0.tokens.lock().unwrap().insert(access.clone());
    let mut v: serde_json::Value = serde_json::from_slice(&fixture("create_session.json")).unwrap();
    v["accessJwt"] = access.into();
    v["refreshJwt"] = format!("refresh-{n}").into();
    json(StatusCode::OK, serde_json::to_vec(&v).unwrap())
}

async fn get_profiles(State(s): State<BlueskyState>, RawQuery(q): RawQuery) -> Response {
    let actors: Vec<String> = pairs(q)
        .into_iter()
        .filter(|(k, _)| k == "actors")
        .map(|(_, v)| v)
        .collect();
    s.0.profile_calls.lock().unwrap().push(actors.clone());
    if actors.len() > 25 {
        return json(StatusCode::BAD_REQUEST, fixture("too_many_actors.json"));
    }
    if s.0.profiles_fail.load(Ordering::SeqCst) {
        let page = "<html><body><h1>502 Bad Gateway</h1></body></html>";
        return (StatusCode::BAD_GATEWAY, page).into_response();
    }
    let all: serde_json::Value = serde_json::from_slice(&fixture("get_profiles.json")).unwrap();
    let known = all["profiles"].as_array().unwrap();
    let found: Vec<&serde_json::Value> = actors
        .iter()
        .filter_map(|a| known.iter().find(|p| p["did"] == *a || p["handle"] == *a))
        .collect();
    let body = serde_json::json!({ "profiles": found });
    json(StatusCode::OK, serde_json::to_vec(&body).unwrap())
}

/// Synthetic Jetstream traffic, the same bytes as `gen_jetstream.py`.
pub struct Firehose {
    pub lines: Vec<String>,
    /// Events that create or edit a post.
    pub posts: usize,
    /// Keys of posts with a version that mentions Acme.
    pub acme: BTreeSet<String>,
    /// Authors of those posts.
    pub acme_authors: BTreeSet<String>,
}

const B32: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
const SORTABLE: &[u8] = b"234567abcdefghijklmnopqrstuvwxyz";
const EN: &str = "the a coffee morning train late again today weekend finally new old my our \
this that rain sun walk dog cat garden bread soup book film game music \
team work meeting deadline code bug release deploy laptop phone battery \
screen update photo camera trip beach city bike run gym sleep tired happy \
great terrible honestly really maybe never always quick slow long short \
week month year friends family kids school lunch dinner recipe tea cake";
const DE: &str =
    "der die das heute Kaffee Regen schön müde Arbeit Wochenende endlich wieder Brot Straße";
const PT: &str = "hoje café chuva trabalho fim de semana finalmente cansado praia cidade ótimo";
const JA: &[&str] = &[
    "今日は",
    "コーヒー",
    "雨",
    "仕事",
    "週末",
    "やっと",
    "疲れた",
    "写真",
    "散歩",
    "電車",
];
const ACME: &[&str] = &[
    "Acme Cloud sync is down again",
    "my acme phone battery lasts two days",
    "#acme support fixed it in ten minutes",
    "switching away from Acme Cloud backup after this outage",
    "Acme storage pricing went up and nobody told us",
    "the new Acme Phone camera is honestly great",
];
const GLOBEX: &[&str] = &[
    "Globex shipped a new router",
    "globex support never answered",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 32
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn b32(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| B32[self.below(32) as usize] as char)
            .collect()
    }
}

fn tid(time_us: u64, clock: u64) -> String {
    let v = (time_us << 10) | clock;
    (0..13)
        .map(|i| SORTABLE[((v >> (5 * (12 - i))) & 31) as usize] as char)
        .collect()
}

fn iso(time_us: u64) -> String {
    let t = chrono::DateTime::from_timestamp_micros(time_us as i64).unwrap();
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `count` events of synthetic traffic; see `gen_jetstream.py`.
pub fn firehose(count: usize) -> Firehose {
    let en: Vec<&str> = EN.split_whitespace().collect();
    let de: Vec<&str> = DE.split_whitespace().collect();
    let pt: Vec<&str> = PT.split_whitespace().collect();
    let langs: [(&str, &[&str], u64); 5] = [
        ("en", &en, 70),
        ("de", &de, 8),
        ("pt", &pt, 7),
        ("ja", JA, 8),
        ("", &en, 7),
    ];
    let mut rng = Rng(20261120);
    let authors: Vec<String> = (0..2000)
        .map(|_| format!("did:plc:{}", rng.b32(24)))
        .collect();
    let mut posts: VecDeque<(String, String)> = VecDeque::new();
    let mut out = Firehose {
        lines: Vec::with_capacity(count),
        posts: 0,
        acme: BTreeSet::new(),
        acme_authors: BTreeSet::new(),
    };
    let mut t: u64 = 1795165200000000;
    for _ in 0..count {
        t += 100 + rng.below(3900);
        let mut did = authors[rng.below(authors.len() as u64) as usize].clone();
        let kind = rng.below(1000);
        let rev = tid(t, rng.below(1024));
        if kind < 960 || posts.is_empty() {
            let update = kind >= 930 && !posts.is_empty();
            let rkey;
            if update {
                let (d, r) = posts[rng.below(posts.len() as u64) as usize].clone();
                (did, rkey) = (d, r);
            } else {
                let back = rng.below(2_000_000);
                rkey = tid(t - back, rng.below(1024));
                posts.push_back((did.clone(), rkey.clone()));
                if posts.len() > 500 {
                    posts.pop_front();
                }
            }
            let mut roll = rng.below(100);
            let (mut lang, mut words) = (langs[0].0, langs[0].1);
            for (code, ws, weight) in langs {
                if roll < weight {
                    (lang, words) = (code, ws);
                    break;
                }
                roll -= weight;
            }
            let langs_json = if lang.is_empty() {
                "[]".to_string()
            } else {
                format!("[\"{lang}\"]")
            };
            let mut reply = String::new();
            if rng.below(10) == 0 && posts.len() > 1 {
                let (pd, pr) = posts[rng.below(posts.len() as u64) as usize].clone();
                let r = format!(
                    "{{\"cid\":\"bafyrei{}\",\"uri\":\"at://{pd}/app.bsky.feed.post/{pr}\"}}",
                    rng.b32(52)
                );
                reply = format!(",\"reply\":{{\"parent\":{r},\"root\":{r}}}");
            }
            let created = iso(t - rng.below(3_000_000));
            let n = 6 + rng.below(25);
            let joiner = if lang == "ja" { "" } else { " " };
            let body: Vec<&str> = (0..n)
                .map(|_| words[rng.below(words.len() as u64) as usize])
                .collect();
            let body = body.join(joiner);
            let roll = rng.below(100);
            let text = if roll < 2 {
                format!("{}. {body}", ACME[rng.below(ACME.len() as u64) as usize])
            } else if roll < 3 {
                format!("{body} {}", GLOBEX[rng.below(GLOBEX.len() as u64) as usize])
            } else {
                body
            };
            out.posts += 1;
            if text.to_lowercase().contains("acme") {
                out.acme
                    .insert(format!("at://{did}/app.bsky.feed.post/{rkey}"));
                out.acme_authors.insert(did.clone());
            }
            let op = if update { "update" } else { "create" };
            out.lines.push(format!(
                "{{\"did\":\"{did}\",\"time_us\":{t},\"kind\":\"commit\",\"commit\":{{\"rev\":\"{rev}\",\
\"operation\":\"{op}\",\"collection\":\"app.bsky.feed.post\",\"rkey\":\"{rkey}\",\
\"record\":{{\"$type\":\"app.bsky.feed.post\",\"createdAt\":\"{created}\",\"langs\":{langs_json}{reply},\
\"text\":\"{text}\"}},\"cid\":\"bafyrei{}\"}}}}",
                rng.b32(52)
            ));
        } else if kind < 985 {
            let (d, r) = posts[rng.below(posts.len() as u64) as usize].clone();
            out.lines.push(format!(
                "{{\"did\":\"{d}\",\"time_us\":{t},\"kind\":\"commit\",\"commit\":{{\"rev\":\"{rev}\",\
\"operation\":\"delete\",\"collection\":\"app.bsky.feed.post\",\"rkey\":\"{r}\"}}}}"
            ));
        } else if kind < 995 {
            let handle = format!("{}.bsky.social", rng.b32(8));
            out.lines.push(format!(
                "{{\"did\":\"{did}\",\"time_us\":{t},\"kind\":\"identity\",\"identity\":{{\"did\":\"{did}\",\
\"handle\":\"{handle}\",\"seq\":{},\"time\":\"{}\"}}}}",
                t / 1000,
                iso(t)
            ));
        } else {
            out.lines.push(format!(
                "{{\"did\":\"{did}\",\"time_us\":{t},\"kind\":\"account\",\"account\":{{\"active\":true,\
\"did\":\"{did}\",\"seq\":{},\"time\":\"{}\"}}}}",
                t / 1000,
                iso(t)
            ));
        }
    }
    out
}
