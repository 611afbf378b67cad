//! A server of hostile responses on 127.0.0.1:0, and beside it an
//! "internal" server that nothing may reach.
//!
//! Routes of the hostile server:
//! - `/feed.xml`: a healthy RSS feed that mentions Acme.
//! - `/loop/a`, `/loop/b`: redirect to each other.
//! - `/endless/N`: redirects to `/endless/N+1`, for ever.
//! - `/moved`: 301 to `/feed.xml`.
//! - `/to?u=URL`: 302 to `URL` (for SSRF redirects).
//! - `/retry-after/V`: 429 with `Retry-After: V`.
//! - `/reset/V`: 429 with `X-RateLimit-Reset: V` and no `Retry-After`.
//! - `/forbidden-limited/N`: the first N requests get 403 with rate-limit
//!   headers and `Retry-After: 1`, then the feed.
//! - `/gzip-bomb`, `/deflate-bomb`: 16 MiB of zeros, compressed to about
//!   16 KiB, with the matching `Content-Encoding`.
//! - `/slowloris`: headers at once, then a byte every 500 ms (at most 240).
//! - `/truncated`: claims 100,000 bytes, sends 1,000 and hangs up.
//! - `/many-headers`: 10,000 response headers.
//! - `/claims-huge`: a small feed that claims a Content-Length of 10^17.
//! - `/deep.html`: a 1 MB page of nested `<div>`s that links `/feed.xml`.
//! - `/links.html`: a page that links a `file:` feed, an internal feed and
//!   `/feed.xml`.
//! - `/delay/MS/feed.xml`: the feed after MS milliseconds; the start and end
//!   of each answer are logged in `events`, as is every request.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Healthy</title><link>http://healthy.example/</link>
<item><title>Acme Cloud is down again</title><guid>healthy-1</guid>
<description>Acme Cloud lost my files, third outage this month. Terrible.</description>
<pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>
"#;

/// What the server saw, in order: `"GET /path"` for each request and
/// `"END /path"` when a delayed answer was sent.
#[derive(Clone, Default)]
pub struct Events(Arc<Mutex<Vec<String>>>);

impl Events {
    fn push(&self, e: String) {
        self.0.lock().unwrap().push(e);
    }

    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// Requests whose path starts with `prefix`.
    pub fn hits(&self, prefix: &str) -> usize {
        let want = format!("GET {prefix}");
        self.all().iter().filter(|e| e.starts_with(&want)).count()
    }

    pub fn position(&self, event: &str) -> Option<usize> {
        self.all().iter().position(|e| e == event)
    }
}

pub struct Hostile {
    pub addr: SocketAddr,
    pub events: Events,
    /// The internal server: its requests, which must stay at zero.
    pub internal: SocketAddr,
    pub internal_hits: Events,
}

impl Hostile {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn feed_response() -> Response {
    ([(header::CONTENT_TYPE, "application/rss+xml")], FEED).into_response()
}

fn redirect(status: StatusCode, to: &str) -> Response {
    (status, [(header::LOCATION, to.to_string())]).into_response()
}

async fn endless(Path(n): Path<u64>) -> Response {
    redirect(StatusCode::FOUND, &format!("/endless/{}", n + 1))
}

async fn to(Query(q): Query<HashMap<String, String>>) -> Response {
    redirect(StatusCode::FOUND, &q["u"])
}

async fn retry_after(Path(v): Path<String>) -> Response {
    (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, v)]).into_response()
}

async fn reset(Path(v): Path<String>) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [
            ("x-ratelimit-remaining", "0".to_string()),
            ("x-ratelimit-reset", v),
        ],
    )
        .into_response()
}

async fn forbidden_limited(Path(n): Path<usize>, State(e): State<Events>) -> Response {
    if e.hits(&format!("/forbidden-limited/{n}")) <= n {
        return (
            StatusCode::FORBIDDEN,
            [("retry-after", "1"), ("x-ratelimit-remaining", "0")],
        )
            .into_response();
    }
    feed_response()
}

/// 16 MiB of zeros, compressed (about 16 KiB): sixteen times the body cap
/// the tests set.
fn zeros_compressed(gzip: bool) -> Vec<u8> {
    let zeros = vec![0u8; 1 << 20];
    let level = flate2::Compression::fast();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), level);
    let mut zl = flate2::write::ZlibEncoder::new(Vec::new(), level);
    for _ in 0..16 {
        match gzip {
            true => gz.write_all(&zeros).unwrap(),
            false => zl.write_all(&zeros).unwrap(),
        }
    }
    match gzip {
        true => gz.finish().unwrap(),
        false => zl.finish().unwrap(),
    }
}

async fn bomb(gzip: bool, body: Vec<u8>) -> Response {
    let encoding = if gzip { "gzip" } else { "deflate" };
    (
        [
            (header::CONTENT_TYPE, "application/rss+xml"),
            (header::CONTENT_ENCODING, encoding),
        ],
        body,
    )
        .into_response()
}

async fn slowloris() -> Response {
    let stream = futures::stream::unfold(0u32, |i| async move {
        if i >= 240 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        Some((Ok::<_, std::io::Error>(b"<".to_vec()), i + 1))
    });
    (
        [(header::CONTENT_TYPE, "application/rss+xml")],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn truncated() -> Response {
    let stream =
        futures::stream::iter([Ok(vec![b' '; 1000]), Err(std::io::Error::other("hang up"))]);
    let mut r = Body::from_stream(stream).into_response();
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from_static("100000"));
    r
}

async fn claims_huge() -> Response {
    // A stream that never ends, so the server sends the headers and does
    // not check the claim against the body.
    use futures::StreamExt;
    let stream = futures::stream::iter([Ok::<_, std::io::Error>(FEED.as_bytes().to_vec())])
        .chain(futures::stream::pending());
    let mut r = Body::from_stream(stream).into_response();
    r.headers_mut().insert(
        header::CONTENT_LENGTH,
        HeaderValue::from_static("99999999999999999"),
    );
    r
}

async fn many_headers() -> Response {
    let mut r = feed_response();
    for i in 0..10_000 {
        let name = HeaderName::from_bytes(format!("x-junk-{i}").as_bytes()).unwrap();
        r.headers_mut().insert(name, HeaderValue::from_static("x"));
    }
    r
}

fn html(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
}

async fn deep() -> Response {
    let nest = 1_000_000 / 5;
    html(format!(
        "<html><head><link rel=\"alternate\" type=\"application/rss+xml\" href=\"/feed.xml\">\
         </head><body>{}Acme{}</body></html>",
        "<div>".repeat(nest),
        "</div>".repeat(nest)
    ))
}

async fn links(State(internal): State<SocketAddr>) -> Response {
    let alt = |href: &str| {
        format!("<link rel=\"alternate\" type=\"application/rss+xml\" href=\"{href}\">")
    };
    html(format!(
        "<html><head>{}{}{}</head><body>links</body></html>",
        alt("file:///etc/passwd"),
        alt(&format!("http://{internal}/feed.xml")),
        alt("/feed.xml"),
    ))
}

async fn delay(Path(ms): Path<u64>, State(e): State<Events>) -> Response {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    e.push(format!("END /delay/{ms}/feed.xml"));
    feed_response()
}

async fn log(State(e): State<Events>, req: Request, next: Next) -> Response {
    e.push(format!("GET {}", req.uri()));
    next.run(req).await
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

pub async fn start() -> Hostile {
    let internal_hits = Events::default();
    let internal = serve(
        Router::new()
            .fallback(|| async { "internal secrets" })
            .layer(middleware::from_fn_with_state(internal_hits.clone(), log)),
    )
    .await;
    let events = Events::default();
    let (gzip, deflate) = (zeros_compressed(true), zeros_compressed(false));
    let app = Router::new()
        .route("/feed.xml", get(|| async { feed_response() }))
        .route(
            "/loop/a",
            get(|| async { redirect(StatusCode::FOUND, "/loop/b") }),
        )
        .route(
            "/loop/b",
            get(|| async { redirect(StatusCode::FOUND, "/loop/a") }),
        )
        .route("/endless/{n}", get(endless))
        .route(
            "/moved",
            get(|| async { redirect(StatusCode::MOVED_PERMANENTLY, "/feed.xml") }),
        )
        .route("/to", get(to))
        .route("/retry-after/{v}", get(retry_after))
        .route("/reset/{v}", get(reset))
        .route(
            "/forbidden-limited/{n}",
            get(forbidden_limited).with_state(events.clone()),
        )
        .route("/gzip-bomb", get(move || bomb(true, gzip)))
        .route("/deflate-bomb", get(move || bomb(false, deflate)))
        .route("/slowloris", get(slowloris))
        .route("/truncated", get(truncated))
        .route("/many-headers", get(many_headers))
        .route("/claims-huge", get(claims_huge))
        .route("/deep.html", get(deep))
        .route("/links.html", get(links).with_state(internal))
        .route(
            "/delay/{ms}/feed.xml",
            get(delay).with_state(events.clone()),
        )
        .layer(middleware::from_fn_with_state(events.clone(), log));
    let addr = serve(app).await;
    Hostile {
        addr,
        events,
        internal,
        internal_hits,
    }
}
