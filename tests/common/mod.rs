//! Shared test harness: a real HTTP server on 127.0.0.1:0 serving `fixtures/`,
//! with routes that misbehave the ways real feed hosts do.
//!
//! Routes (PATH is relative to `fixtures/`):
//! - `/static/PATH`: the file, with an ETag and Last-Modified; a matching
//!   `If-None-Match` gets 304.
//! - `/ratelimit/N/PATH`: the first N requests for PATH get 429 with
//!   `Retry-After: 1`, then the file.
//! - `/unavailable/PATH`: 503 with `Retry-After: 1` once, then the file.
//! - `/status/CODE`: that status, always.
//! - `/slow/PATH`: headers at once, then the body a few bytes a second.
//! - `/delay/MS/PATH`: the file after MS milliseconds.
//! - `/huge`: an endless-looking body of 64 MiB with no Content-Length, made
//!   a 64 KiB chunk at a time as it is read (counted as `/huge chunks`).
//! - `/wrong-charset/PATH`: the file with `charset=iso-8859-1` in its header.
//! - `/located/PATH`: the file as `application/atom+xml` with
//!   `Content-Location: /mirror/PATH`, as a CDN or content negotiation
//!   answers for a document that lives elsewhere.
//! - `/broken-xml`: an RSS document whose tags do not nest, whole (not cut
//!   off), so no repair can save it.
//!
//! Every request is counted per path in `hits`, and `in_flight` keeps the
//! most requests the server was answering at once.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The demo pipeline's brands, as pipeline-file TOML.
pub const DEMO_BRANDS: &str = r#"
[[brands]]
name = "Acme"
query = 'acme OR "acme corp" OR #acme'

[[brands.products]]
name = "Acme Cloud"
query = '"acme cloud" OR (acme NEAR/3 (storage OR sync OR backup))'

[[brands.products]]
name = "Acme Phone"
query = '"acme phone" OR (acme NEAR/2 (phone OR handset))'

[[brands]]
name = "Globex"
query = "globex NOT (globex NEAR/2 corporation)"
"#;

/// Selectors that read posts and comments of `fixtures/blog/post.html`,
/// as the body of a `[sources.selectors]` table.
pub const POST_SELECTORS: &str = r#"
post = "article.post"
title = "h1"
author = ".byline .author"
date = "time"
body = ".entry-content"
comment = ".comment"
comment_author = ".comment-author"
comment_date = "time"
comment_body = ".comment-body"
"#;

/// Waits until `fact` holds; the deadline only keeps a broken build from
/// hanging.
pub async fn until(what: &str, mut fact: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !fact() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

#[derive(Clone, Default)]
pub struct Hits(Arc<Mutex<HashMap<String, usize>>>);

impl Hits {
    fn hit(&self, path: &str) -> usize {
        let mut m = self.0.lock().unwrap();
        let n = m.entry(path.to_string()).or_default();
        *n += 1;
        *n
    }

    /// Requests seen for a full request path ("/static/feeds/rss2.xml").
    pub fn get(&self, path: &str) -> usize {
        self.0.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

/// Requests being answered right now, and the most there ever were.
#[derive(Clone, Default)]
pub struct InFlight(Arc<(AtomicUsize, AtomicUsize)>);

impl InFlight {
    fn enter(&self) {
        let now = self.0 .0.fetch_add(1, Ordering::SeqCst) + 1;
        self.0 .1.fetch_max(now, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.0 .0.fetch_sub(1, Ordering::SeqCst);
    }

    /// The most requests in flight at once since the server started, counted
    /// until each handler returned its response (headers, not body).
    pub fn high_water(&self) -> usize {
        self.0 .1.load(Ordering::SeqCst)
    }
}

pub struct FixtureServer {
    pub addr: SocketAddr,
    pub hits: Hits,
    pub in_flight: InFlight,
}

impl FixtureServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("xml") | Some("rdf") => "application/xml",
        Some("json") => "application/feed+json",
        Some("html") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn read(path: &str) -> Option<Vec<u8>> {
    if path.contains("..") {
        return None;
    }
    std::fs::read(fixtures_dir().join(path)).ok()
}

fn file_response(path: &str, headers: &HeaderMap) -> Response {
    let Some(bytes) = read(path) else {
        return (StatusCode::NOT_FOUND, "no such fixture").into_response();
    };
    let etag = format!(
        "\"{}\"",
        blake3::hash(&bytes).to_hex().as_str().get(..16).unwrap()
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (header::CONTENT_TYPE, content_type(path).to_string()),
            (header::ETAG, etag),
            (
                header::LAST_MODIFIED,
                "Mon, 02 Nov 2026 10:00:00 GMT".to_string(),
            ),
        ],
        bytes,
    )
        .into_response()
}

async fn static_file(
    Path(path): Path<String>,
    headers: HeaderMap,
    State(h): State<Hits>,
) -> Response {
    h.hit(&format!("/static/{path}"));
    file_response(&path, &headers)
}

async fn ratelimit(
    Path((n, path)): Path<(usize, String)>,
    headers: HeaderMap,
    State(h): State<Hits>,
) -> Response {
    if h.hit(&format!("/ratelimit/{n}/{path}")) <= n {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            "slow down",
        )
            .into_response();
    }
    file_response(&path, &headers)
}

async fn unavailable(
    Path(path): Path<String>,
    headers: HeaderMap,
    State(h): State<Hits>,
) -> Response {
    if h.hit(&format!("/unavailable/{path}")) == 1 {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            "maintenance",
        )
            .into_response();
    }
    file_response(&path, &headers)
}

async fn status(Path(code): Path<u16>, State(h): State<Hits>) -> Response {
    h.hit(&format!("/status/{code}"));
    StatusCode::from_u16(code).unwrap().into_response()
}

async fn slow(Path(path): Path<String>, State(h): State<Hits>) -> Response {
    h.hit(&format!("/slow/{path}"));
    let bytes = read(&path).unwrap_or_default();
    let stream = futures::stream::unfold(0usize, move |i| {
        let bytes = bytes.clone();
        async move {
            if i >= bytes.len() {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            let end = (i + 16).min(bytes.len());
            Some((Ok::<_, std::io::Error>(bytes[i..end].to_vec()), end))
        }
    });
    (
        [(header::CONTENT_TYPE, content_type(&path))],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn delay(
    Path((ms, path)): Path<(u64, String)>,
    headers: HeaderMap,
    State(h): State<Hits>,
) -> Response {
    h.hit(&format!("/delay/{ms}/{path}"));
    tokio::time::sleep(Duration::from_millis(ms)).await;
    file_response(&path, &headers)
}

async fn huge(State(h): State<Hits>) -> Response {
    h.hit("/huge");
    let chunk = vec![b'x'; 64 * 1024];
    // Chunks are made as the client reads; "/huge chunks" counts them.
    let stream = futures::stream::iter((0..1024).map(move |_| {
        h.hit("/huge chunks");
        Ok::<_, std::io::Error>(chunk.clone())
    }));
    (
        [(header::CONTENT_TYPE, "application/xml")],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn wrong_charset(Path(path): Path<String>, State(h): State<Hits>) -> Response {
    h.hit(&format!("/wrong-charset/{path}"));
    match read(&path) {
        Some(bytes) => (
            [(header::CONTENT_TYPE, "application/xml; charset=iso-8859-1")],
            bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn located(Path(path): Path<String>, State(h): State<Hits>) -> Response {
    h.hit(&format!("/located/{path}"));
    match read(&path) {
        Some(bytes) => (
            [
                (header::CONTENT_LOCATION, format!("/mirror/{path}")),
                (header::CONTENT_TYPE, "application/atom+xml".to_string()),
            ],
            bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Mismatched tags in a document that is otherwise complete.
const BROKEN_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Broken</title>
    <item><title>One</title><description>first</item>
  </channel>
</rss>
"#;

async fn broken_xml(State(h): State<Hits>) -> Response {
    h.hit("/broken-xml");
    ([(header::CONTENT_TYPE, "application/rss+xml")], BROKEN_XML).into_response()
}

/// Leaves on drop, so a request whose client hung up still counts out.
struct Entered(InFlight);

impl Drop for Entered {
    fn drop(&mut self) {
        self.0.leave();
    }
}

async fn track(State(f): State<InFlight>, req: Request, next: Next) -> Response {
    f.enter();
    let _entered = Entered(f);
    next.run(req).await
}

/// Starts the fixture server on a free port of 127.0.0.1, in the background
/// of the current runtime.
pub async fn start_server() -> FixtureServer {
    let hits = Hits::default();
    let in_flight = InFlight::default();
    let app = Router::new()
        .route("/static/{*path}", get(static_file))
        .route("/ratelimit/{n}/{*path}", get(ratelimit))
        .route("/unavailable/{*path}", get(unavailable))
        .route("/status/{code}", get(status))
        .route("/slow/{*path}", get(slow))
        .route("/delay/{ms}/{*path}", get(delay))
        .route("/huge", get(huge))
        .route("/wrong-charset/{*path}", get(wrong_charset))
        .route("/located/{*path}", get(located))
        .route("/broken-xml", get(broken_xml))
        .with_state(hits.clone())
        .layer(middleware::from_fn_with_state(in_flight.clone(), track));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    FixtureServer {
        addr,
        hits,
        in_flight,
    }
}

/// Starts the fixture server on its own runtime thread, for tests that run
/// the earshot binary as a child process.
pub fn start_server_thread() -> FixtureServer {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let server = start_server().await;
            tx.send(server).unwrap();
            std::future::pending::<()>().await;
        });
    });
    rx.recv().unwrap()
}
