//! The open web can't hurt it: earshot's HTTP client and sources against a
//! server of hostile answers (`hostile/server.rs`). No panic, bounded
//! memory and time, every internal address refused, and the healthy
//! sources unaffected.

#[path = "hostile/server.rs"]
mod server;

use std::time::Duration;

use earshot::config::{HttpSettings, Location, SourceConfig, SourceKind};
use earshot::source::api::ApiRequest;
use earshot::source::http::headers::MAX_WAIT;
use earshot::source::http::{FetchError, Fetched, HttpClient};
use earshot::source::{self, PollCtx, SourceError};
use server::Hostile;

/// Only the hostile server's own port is allowed: the internal server,
/// on another port of the same loopback address, stands for everything
/// behind a firewall.
fn settings(h: &Hostile) -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_secs(2),
        max_attempts: 3,
        max_body_bytes: 1 << 20,
        allow_hosts: vec![h.addr.to_string().parse().unwrap()],
        ..HttpSettings::default()
    }
}

fn client(h: &Hostile) -> HttpClient {
    HttpClient::new(&settings(h)).unwrap()
}

fn location(url: &str) -> Location {
    Location::Http(url.parse().unwrap())
}

async fn fetch(h: &Hostile, path: &str) -> Result<Fetched, FetchError> {
    fetch_with(settings(h), &h.url(path)).await
}

async fn fetch_with(s: HttpSettings, url: &str) -> Result<Fetched, FetchError> {
    HttpClient::new(&s)
        .unwrap()
        .fetch(&location(url), None)
        .await
}

#[tokio::test]
async fn redirects_into_internal_addresses_are_refused_before_connecting() {
    let h = server::start().await;
    let port = h.internal.port();
    for target in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://2130706433:{port}/"),
        format!("http://0x7f.1:{port}/"),
        format!("http://0177.0.0.1:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://localhost:{port}/"),
    ] {
        let path = format!("/to?u={}", urlencode(&target));
        match fetch(&h, &path).await {
            Err(FetchError::Refused { refusal, .. }) => {
                let msg = refusal.to_string();
                assert!(msg.contains("allow_hosts"), "{target}: {msg}");
            }
            other => panic!("{target}: expected a refusal, got {other:?}"),
        }
    }
    assert_eq!(h.internal_hits.all(), Vec::<String>::new());
    // Refusals are permanent: each redirect was asked once, never retried.
    assert_eq!(h.events.hits("/to"), 7);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_redirect_loop_is_one_permanent_error_with_its_chain() {
    let h = server::start().await;
    let err = fetch(&h, "/loop/a").await.unwrap_err();
    let FetchError::Redirect { chain, reason, .. } = &err else {
        panic!("{err:?}");
    };
    assert!(reason.contains("loop"), "{reason}");
    assert_eq!(chain.len(), 3, "{chain:?}");
    assert!(!err.is_retryable());
    assert_eq!(h.events.hits("/loop/a"), 1, "not retried");
}

#[tokio::test]
async fn endless_redirects_stop_after_five_hops() {
    let h = server::start().await;
    let err = fetch(&h, "/endless/0").await.unwrap_err();
    assert!(err.to_string().contains("more than 5 redirects"), "{err}");
    assert_eq!(h.events.hits("/endless/"), 6);
}

#[tokio::test]
async fn a_permanent_redirect_says_where_the_document_lives_now() {
    let h = server::start().await;
    let Fetched::Body(body) = fetch(&h, "/moved").await.unwrap() else {
        panic!("a body")
    };
    assert_eq!(body.moved_to.unwrap().as_str(), h.url("/feed.xml"));
}

#[tokio::test]
async fn an_absurd_retry_after_is_clamped_and_left_to_the_schedule() {
    let h = server::start().await;
    let err = fetch(&h, "/retry-after/99999999999999999999")
        .await
        .unwrap_err();
    assert_eq!(err.retry_after(), Some(MAX_WAIT));
    assert_eq!(
        h.events.hits("/retry-after/"),
        1,
        "a wait past max_retry_after is not slept here, nor skipped"
    );
}

#[tokio::test]
async fn a_garbage_retry_after_falls_back_to_backoff() {
    let h = server::start().await;
    let s = HttpSettings {
        max_attempts: 2,
        ..settings(&h)
    };
    let err = fetch_with(s, &h.url("/retry-after/1e20"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert_eq!(h.events.hits("/retry-after/"), 2);
}

#[tokio::test]
async fn a_403_with_rate_limit_headers_is_waited_out_like_a_429() {
    let h = server::start().await;
    let fetched = fetch(&h, "/forbidden-limited/1").await.unwrap();
    assert!(matches!(fetched, Fetched::Body(_)));
    assert_eq!(h.events.hits("/forbidden-limited/1"), 2);
}

#[tokio::test]
async fn absurd_rate_limit_resets_neither_panic_nor_park_the_caller() {
    let h = server::start().await;
    for v in ["inf", "1e20", "-1e20", "NaN", "99999999999999999999999"] {
        // A fresh client each time: a reset honoured holds the host back.
        let c = client(&h);
        let req = ApiRequest::get(h.url(&format!("/reset/{v}")).parse().unwrap());
        let err = tokio::time::timeout(Duration::from_secs(30), c.call(&req))
            .await
            .unwrap_or_else(|_| panic!("{v}: the call hung"));
        let err = err.unwrap_err();
        assert_eq!(err.status(), Some(429), "{v}: {err}");
    }
}

#[tokio::test]
async fn compression_bombs_stop_at_the_body_cap() {
    let h = server::start().await;
    for path in ["/gzip-bomb", "/deflate-bomb"] {
        let err = fetch(&h, path).await.unwrap_err();
        assert!(
            matches!(err, FetchError::TooLarge { limit, .. } if limit == 1 << 20),
            "{path}: {err:?}"
        );
    }
}

#[tokio::test]
async fn a_slowloris_body_is_cut_by_the_timeout() {
    let h = server::start().await;
    let s = HttpSettings {
        max_attempts: 1,
        ..settings(&h)
    };
    let err = fetch_with(s, &h.url("/slowloris")).await.unwrap_err();
    assert!(matches!(err, FetchError::Timeout { .. }), "{err:?}");
}

#[tokio::test]
async fn a_slowloris_is_also_cut_by_the_deadline_across_attempts() {
    let h = server::start().await;
    let s = HttpSettings {
        timeout: Duration::from_secs(60),
        deadline: Duration::from_secs(2),
        ..settings(&h)
    };
    let err = fetch_with(s, &h.url("/slowloris")).await.unwrap_err();
    assert!(matches!(err, FetchError::Deadline { .. }), "{err:?}");
    assert!(err.to_string().contains("http.deadline"), "{err}");
}

#[tokio::test]
async fn a_truncated_transfer_and_a_flood_of_headers_are_errors_not_panics() {
    let h = server::start().await;
    let err = fetch(&h, "/truncated").await.unwrap_err();
    assert!(matches!(err, FetchError::Network { .. }), "{err:?}");
    let err = fetch(&h, "/many-headers").await.unwrap_err();
    assert!(matches!(err, FetchError::Network { .. }), "{err:?}");
    // A body claiming more than the cap is refused before it is read.
    let err = fetch(&h, "/claims-huge").await.unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err:?}");
}

fn page(h: &Hostile, id: &str, path: &str) -> SourceConfig {
    SourceConfig {
        id: id.into(),
        location: location(&h.url(path)),
        kind: SourceKind::Page(None),
        interval: None,
    }
}

#[tokio::test]
async fn a_deeply_nested_page_is_parsed_and_its_feed_read() {
    let h = server::start().await;
    let c = HttpClient::new(&HttpSettings {
        max_body_bytes: 4 << 20,
        ..settings(&h)
    })
    .unwrap();
    let poll = source::poll(&c, &page(&h, "deep", "/deep.html"), &PollCtx::fresh())
        .await
        .unwrap();
    assert_eq!(poll.items.len(), 1);
    assert_eq!(
        poll.items[0].title.as_deref(),
        Some("Acme Cloud is down again")
    );
}

#[tokio::test]
async fn a_page_cannot_point_earshot_at_files_or_internal_hosts() {
    let h = server::start().await;
    let poll = source::poll(
        &client(&h),
        &page(&h, "links", "/links.html"),
        &PollCtx::fresh(),
    )
    .await
    .unwrap();
    assert_eq!(poll.items.len(), 1, "the public feed is still read");
    assert_eq!(poll.errors.len(), 2, "{:?}", poll.errors);
    assert!(
        poll.errors[0].contains("`file` scheme"),
        "{:?}",
        poll.errors
    );
    assert!(poll.errors[1].contains("allow_hosts"), "{:?}", poll.errors);
    assert_eq!(h.internal_hits.all(), Vec::<String>::new());
}

#[tokio::test]
async fn a_refused_source_fails_with_a_permanent_error_naming_the_setting() {
    let h = server::start().await;
    let src = SourceConfig {
        id: "inside".into(),
        location: location(&format!("http://{}/feed.xml", h.internal)),
        kind: SourceKind::Feed,
        interval: None,
    };
    let err = source::poll(&client(&h), &src, &PollCtx::fresh())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, SourceError::Fetch(FetchError::Refused { .. })),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert!(
        err.to_string()
            .contains("to [http] allow_hosts (or pass --allow-host 127.0.0.1)"),
        "{err}"
    );
    assert_eq!(h.internal_hits.all(), Vec::<String>::new());
}

/// A pipeline file for a backfill of `sources` (id, URL) to a JSONL file.
fn pipeline(dir: &std::path::Path, h: &Hostile, sources: &[(String, String)]) -> String {
    let mut t = format!(
        "name = \"hostile\"\nstate_dir = \"state\"\n\n[http]\nmax_attempts = 1\ntimeout = \"5s\"\n\
         per_host_concurrency = 1\nallow_hosts = [\"{}\", \"localhost:{}\"]\n\n\
         [schedule]\nconcurrency = 2\n",
        h.addr,
        h.addr.port()
    );
    for (id, url) in sources {
        t += &format!("\n[[sources]]\nid = \"{id}\"\ntype = \"feed\"\nurl = \"{url}\"\n");
    }
    t += "\n[[brands]]\nname = \"Acme\"\nquery = \"acme\"\n\n[sink]\ntype = \"jsonl\"\npath = \"out.jsonl\"\n";
    let file = dir.join("pipeline.toml");
    std::fs::write(&file, &t).unwrap();
    file.display().to_string()
}

#[tokio::test]
async fn sources_queued_behind_a_slow_host_hold_no_slot_a_healthy_host_needs() {
    let h = server::start().await;
    let dir = tempfile::tempdir().unwrap();
    // Three sources on a slow host ("localhost", one request at a time),
    // then a healthy one on another host (the address) listed last.
    let slow = |i: u64| {
        (
            format!("slow-{i}"),
            format!(
                "http://localhost:{}/delay/{}/feed.xml",
                h.addr.port(),
                1500 + i
            ),
        )
    };
    let healthy = ("healthy".to_string(), h.url("/feed.xml"));
    let file = pipeline(dir.path(), &h, &[slow(0), slow(1), slow(2), healthy]);
    let p = earshot::config::load(std::path::Path::new(&file)).unwrap();
    let engine = std::sync::Arc::new(earshot::pipeline::Engine::open(p).unwrap());
    let summary = earshot::pipeline::backfill::backfill(engine, Default::default(), false).await;
    assert_eq!(summary.failed(), 0, "{}", summary.render());
    assert_eq!(summary.totals().matched, 4, "{}", summary.render());
    // The healthy feed was asked for while the first slow answer was still
    // being waited for: the queued slow sources held no global slot.
    let asked = h.events.position("GET /feed.xml").expect("healthy fetched");
    let first_slow_done = h.events.position("END /delay/1500/feed.xml").unwrap();
    assert!(asked < first_slow_done, "{:?}", h.events.all());
    // And the slow host was asked one request at a time.
    let ends: Vec<usize> = (0..3)
        .map(|i| {
            h.events
                .position(&format!("END /delay/{}/feed.xml", 1500 + i))
                .unwrap()
        })
        .collect();
    let starts: Vec<usize> = (0..3)
        .map(|i| {
            h.events
                .position(&format!("GET /delay/{}/feed.xml", 1500 + i))
                .unwrap()
        })
        .collect();
    let mut order: Vec<(usize, usize)> = starts.into_iter().zip(ends).collect();
    order.sort();
    for w in order.windows(2) {
        assert!(
            w[0].1 < w[1].0,
            "overlapping requests to one host: {:?}",
            h.events.all()
        );
    }
}

#[tokio::test]
async fn a_feed_that_moved_for_good_is_polled_at_its_new_address() {
    let h = server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = pipeline(dir.path(), &h, &[("moving".into(), h.url("/moved"))]);
    let p = earshot::config::load(std::path::Path::new(&file)).unwrap();
    let engine = earshot::pipeline::Engine::open(p).unwrap();
    let source = engine.pipeline.sources[0].clone();
    let first = engine.poll_source(&source, true, Default::default()).await;
    assert_eq!(first.unwrap().items, 1);
    let second = engine.poll_source(&source, true, Default::default()).await;
    assert_eq!(second.unwrap().unchanged, 1);
    assert_eq!(h.events.hits("/moved"), 1, "{:?}", h.events.all());
    assert_eq!(h.events.hits("/feed.xml"), 2, "{:?}", h.events.all());
}
