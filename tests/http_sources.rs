//! Sources through real HTTP: the shared client against the fixture server
//! on 127.0.0.1, which answers with ETags, rate limits, outages, slow and
//! endless bodies and wrong charsets. Each test starts its own server, so
//! request counts belong to that test alone.

mod common;

use std::time::{Duration, Instant};

use common::{fixtures_dir, start_server, FixtureServer, POST_SELECTORS};
use earshot::config::{HttpSettings, Location, SourceConfig, SourceKind};
use earshot::model::Item;
use earshot::source::feed::FeedError;
use earshot::source::http::{FetchError, HttpClient, Validators};
use earshot::source::page::Selectors;
use earshot::source::{poll, Poll, PollCtx, SourceError, ValidatorLookup};

fn settings() -> HttpSettings {
    HttpSettings {
        timeout: Duration::from_secs(5),
        // The fixture servers listen on loopback, which the SSRF guard refuses.
        allow_hosts: vec!["127.0.0.1".parse().unwrap()],
        ..HttpSettings::default()
    }
}

fn client(settings: &HttpSettings) -> HttpClient {
    HttpClient::new(settings).expect("HTTP client")
}

fn http(server: &FixtureServer, path: &str) -> Location {
    Location::Http(server.url(path).parse().unwrap())
}

fn file(path: &str) -> Location {
    Location::File(fixtures_dir().join(path))
}

fn feed(location: Location) -> SourceConfig {
    SourceConfig {
        id: "test".into(),
        location,
        interval: None,
        kind: SourceKind::Feed,
    }
}

fn page(location: Location, selectors: Option<&str>) -> SourceConfig {
    let compiled = selectors.map(|s| {
        let raw: Selectors = toml::from_str(s).expect("selectors parse");
        raw.compile().expect("selectors compile")
    });
    SourceConfig {
        id: "test".into(),
        location,
        interval: None,
        kind: SourceKind::Page(compiled.map(Box::new)),
    }
}

async fn fetch(settings: &HttpSettings, source: &SourceConfig) -> Result<Poll, SourceError> {
    poll(&client(settings), source, &PollCtx::fresh()).await
}

fn golden(path: &str) -> Vec<Item> {
    let text = std::fs::read_to_string(fixtures_dir().join(path)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// An item read from a file, its relative links as they resolve over HTTP.
/// Read from a file, they resolve against the feed's own address (its self
/// link or site), never against the path; over HTTP, against the fetch URL.
/// `served` is the same item over HTTP, which says which links were relative.
fn as_if_served(mut item: Item, served: &Item, server: &FixtureServer) -> Item {
    let root = server.url("/");
    let rebase = |s: &mut String, there: Option<&String>| {
        let Some(path) = there.and_then(|t| t.strip_prefix(root.as_str())) else {
            return;
        };
        assert!(
            s.starts_with("https://") && s.ends_with(path),
            "read from a file, {s} should be the feed's own address for {path}"
        );
        *s = format!("{root}{path}");
    };
    rebase(&mut item.key, Some(&served.key));
    if let Some(u) = item.url.as_mut() {
        rebase(u, served.url.as_ref());
    }
    let served_author = served.author.as_ref().and_then(|a| a.url.as_ref());
    if let Some(u) = item.author.as_mut().and_then(|a| a.url.as_mut()) {
        rebase(u, served_author);
    }
    item
}

#[tokio::test]
async fn a_feed_over_http_yields_what_the_same_file_yields() {
    let server = start_server().await;
    for name in ["rss2.xml", "atom.xml", "feed.json", "rss1.rdf"] {
        let path = format!("feeds/{name}");
        let over_http = fetch(
            &settings(),
            &feed(http(&server, &format!("/static/{path}"))),
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let from_file = fetch(&settings(), &feed(file(&path))).await.unwrap();
        assert!(!over_http.items.is_empty(), "{name}: no items");
        assert_eq!(from_file.items.len(), over_http.items.len(), "{name}");
        let expected: Vec<Item> = from_file
            .items
            .into_iter()
            .zip(&over_http.items)
            .map(|(i, served)| as_if_served(i, served, &server))
            .collect();
        assert_eq!(over_http.items, expected, "{name}");
        for item in &over_http.items {
            if let Some(url) = &item.url {
                assert!(url.starts_with("http"), "{name}: unresolved url {url}");
            }
        }
    }
}

#[tokio::test]
async fn a_relative_entry_link_resolves_against_the_feed_url() {
    let server = start_server().await;
    let got = fetch(&settings(), &feed(http(&server, "/static/feeds/rss2.xml")))
        .await
        .unwrap();
    let review = got
        .items
        .iter()
        .find(|i| i.title.as_deref() == Some("Acme Phone 5 review: the battery finally lasts"))
        .unwrap();
    let expected = server.url("/2024/03/acme-phone-5-review");
    assert_eq!(review.url.as_deref(), Some(expected.as_str()));
}

#[tokio::test]
async fn atom_author_uris_honour_xml_base() {
    let server = start_server().await;
    let got = fetch(&settings(), &feed(http(&server, "/static/feeds/atom.xml")))
        .await
        .unwrap();
    let mina = got
        .items
        .iter()
        .filter_map(|i| i.author.as_ref())
        .find(|a| a.name.as_deref() == Some("Mina Okafor"))
        .unwrap();
    assert_eq!(
        mina.url.as_deref(),
        Some("https://grumbles.example.org/about")
    );
}

#[tokio::test]
async fn a_second_poll_with_the_validators_costs_a_304() {
    let server = start_server().await;
    let c = client(&settings());
    let src = feed(http(&server, "/static/feeds/rss2.xml"));
    let first = poll(&c, &src, &PollCtx::fresh()).await.unwrap();
    assert_eq!(first.items.len(), 6);
    assert_eq!(first.validators.len(), 1);
    let (url, v) = &first.validators[0];
    assert_eq!(url, &server.url("/static/feeds/rss2.xml"));
    assert!(v.etag.is_some(), "no ETag kept");
    assert_eq!(
        v.last_modified.as_deref(),
        Some("Mon, 02 Nov 2026 10:00:00 GMT")
    );

    let saved = first.validators.clone();
    let lookup = move |u: &str| saved.iter().find(|(k, _)| k == u).map(|(_, v)| v.clone());
    let second = poll(
        &c,
        &src,
        &PollCtx {
            validators: Some(&lookup as ValidatorLookup),
            ..PollCtx::fresh()
        },
    )
    .await
    .unwrap();
    assert_eq!(second.not_modified, 1);
    assert!(second.items.is_empty());
    assert!(second.validators.is_empty());
    assert_eq!(server.hits.get("/static/feeds/rss2.xml"), 2);

    // The 304 came from the ETag the client sent: a stale one gets the body.
    let stale = |_: &str| {
        Some(Validators {
            etag: Some("\"stale\"".into()),
            last_modified: None,
        })
    };
    let third = poll(
        &c,
        &src,
        &PollCtx {
            validators: Some(&stale as ValidatorLookup),
            ..PollCtx::fresh()
        },
    )
    .await
    .unwrap();
    assert_eq!(third.not_modified, 0);
    assert_eq!(third.items.len(), 6);
    assert_eq!(server.hits.get("/static/feeds/rss2.xml"), 3);
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out() {
    let server = start_server().await;
    let started = Instant::now();
    let got = fetch(
        &settings(),
        &feed(http(&server, "/ratelimit/1/feeds/rss2.xml")),
    )
    .await
    .unwrap();
    assert_eq!(got.items.len(), 6);
    assert_eq!(server.hits.get("/ratelimit/1/feeds/rss2.xml"), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 not honoured"
    );
}

#[tokio::test]
async fn a_503_with_retry_after_is_waited_out() {
    let server = start_server().await;
    let started = Instant::now();
    let got = fetch(
        &settings(),
        &feed(http(&server, "/unavailable/feeds/atom.xml")),
    )
    .await
    .unwrap();
    assert_eq!(got.items.len(), 3);
    assert_eq!(server.hits.get("/unavailable/feeds/atom.xml"), 2);
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[tokio::test]
async fn a_500_every_time_is_tried_max_attempts_times_then_named() {
    let server = start_server().await;
    let s = HttpSettings {
        max_attempts: 2,
        ..settings()
    };
    let err = fetch(&s, &feed(http(&server, "/status/500")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SourceError::Fetch(FetchError::Status { status: 500, .. })
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains(&server.url("/status/500")), "{msg}");
    assert!(msg.contains("500"), "{msg}");
    assert_eq!(server.hits.get("/status/500"), 2);
}

#[tokio::test]
async fn a_404_is_not_retried() {
    let server = start_server().await;
    let err = fetch(&settings(), &feed(http(&server, "/status/404")))
        .await
        .unwrap_err();
    assert!(!err.is_retryable());
    assert!(
        err.to_string().contains(&server.url("/status/404")),
        "{err}"
    );
    assert_eq!(server.hits.get("/status/404"), 1);
}

#[tokio::test]
async fn a_slow_body_times_out_naming_the_url() {
    let server = start_server().await;
    let s = HttpSettings {
        timeout: Duration::from_secs(1),
        max_attempts: 1,
        ..settings()
    };
    let started = Instant::now();
    let err = fetch(&s, &feed(http(&server, "/slow/feeds/rss2.xml")))
        .await
        .unwrap_err();
    let url = server.url("/slow/feeds/rss2.xml");
    assert!(
        matches!(&err, SourceError::Fetch(FetchError::Timeout { url: u }) if *u == url),
        "{err:?}"
    );
    assert!(err.to_string().contains(&url));
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn an_oversized_body_stops_at_the_cap() {
    let server = start_server().await;
    let cap = 1024 * 1024;
    let s = HttpSettings {
        max_body_bytes: cap,
        ..settings()
    };
    let started = Instant::now();
    let err = fetch(&s, &feed(http(&server, "/huge"))).await.unwrap_err();
    assert!(
        matches!(&err, SourceError::Fetch(FetchError::TooLarge { limit, .. }) if *limit == cap),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(msg.contains("1048576"), "{msg}");
    assert!(msg.contains(&server.url("/huge")), "{msg}");
    assert_eq!(
        server.hits.get("/huge"),
        1,
        "a too-large body is not retried"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // The server made at most what fits in the cap plus socket buffers, not
    // the 1024 chunks of 64 KiB it would have sent to a reader that kept on.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let chunks = server.hits.get("/huge chunks");
    assert!(
        chunks < 256,
        "the client kept reading: {chunks} chunks sent"
    );
}

#[tokio::test]
async fn malformed_xml_is_a_feed_error_naming_the_url() {
    let server = start_server().await;
    let err = fetch(&settings(), &feed(http(&server, "/broken-xml")))
        .await
        .unwrap_err();
    assert!(
        matches!(err, SourceError::Feed(FeedError::Malformed { .. })),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&server.url("/broken-xml")),
        "{err}"
    );

    // An HTML page is not a feed either.
    let err = fetch(&settings(), &feed(http(&server, "/static/blog/post.html")))
        .await
        .unwrap_err();
    assert!(matches!(err, SourceError::Feed(_)), "{err:?}");
    assert!(err
        .to_string()
        .contains(&server.url("/static/blog/post.html")));
}

#[tokio::test]
async fn a_truncated_feed_keeps_the_entries_before_the_cut() {
    let server = start_server().await;
    let got = fetch(
        &settings(),
        &feed(http(&server, "/static/feeds/malformed.xml")),
    )
    .await
    .unwrap();
    assert_eq!(got.items, golden("feeds/malformed.expected.json"));
    assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
    let e = &got.errors[0];
    assert!(
        e.contains(&server.url("/static/feeds/malformed.xml")),
        "{e}"
    );
    assert!(e.contains("cut off"), "{e}");
}

#[tokio::test]
async fn legacy_cyrillic_encodings_decode_over_http() {
    let server = start_server().await;
    for name in ["koi8r", "cp1251"] {
        let got = fetch(
            &settings(),
            &feed(http(&server, &format!("/static/feeds/{name}.xml"))),
        )
        .await
        .unwrap();
        assert_eq!(
            got.items,
            golden(&format!("feeds/{name}.expected.json")),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_utf8_body_with_a_latin1_header_reads_right() {
    let server = start_server().await;
    let wrong = fetch(
        &settings(),
        &feed(http(&server, "/wrong-charset/feeds/rss2.xml")),
    )
    .await
    .unwrap();
    let right = fetch(&settings(), &feed(http(&server, "/static/feeds/rss2.xml")))
        .await
        .unwrap();
    assert_eq!(wrong.items, right.items);
    let first = &wrong.items[0];
    assert!(
        first.text.contains("“try again later”"),
        "mojibake: {}",
        first.text
    );
}

#[tokio::test]
async fn a_page_read_with_selectors_over_http() {
    let server = start_server().await;
    let got = fetch(
        &settings(),
        &page(
            http(&server, "/static/blog/post.html"),
            Some(POST_SELECTORS),
        ),
    )
    .await
    .unwrap();
    // The golden was read from the blog's own address; here the page comes
    // from the fixture server, so only the relative author link differs.
    let about = server.url("/about");
    let expected: Vec<Item> = golden("blog/post.expected.json")
        .into_iter()
        .map(|mut i| {
            if let Some(a) = i.author.as_mut() {
                if a.url.as_deref() == Some("https://rants.example.net/about") {
                    a.url = Some(about.clone());
                }
            }
            i
        })
        .collect();
    assert_eq!(got.items, expected);
    assert_eq!(got.errors.len(), 1, "the empty comment: {:?}", got.errors);
    assert_eq!(got.validators.len(), 1);
    assert!(got.validators[0].1.etag.is_some());
}

#[tokio::test]
async fn a_page_without_selectors_reads_the_feeds_it_links_to() {
    let server = start_server().await;
    let got = fetch(
        &settings(),
        &page(http(&server, "/static/blog/index.html"), None),
    )
    .await
    .unwrap();
    // `../feeds/...` from /static/blog/ is /static/feeds/...; the RSS feed
    // is linked twice and read once.
    let urls: Vec<&str> = got.validators.iter().map(|(u, _)| u.as_str()).collect();
    assert_eq!(
        urls,
        [
            server.url("/static/feeds/rss2.xml"),
            server.url("/static/feeds/atom.xml")
        ]
    );
    assert_eq!(server.hits.get("/static/feeds/rss2.xml"), 1);
    assert_eq!(server.hits.get("/static/feeds/atom.xml"), 1);
    assert_eq!(got.items.len(), 6 + 3);
    assert!(got
        .items
        .iter()
        .any(|i| i.source_title.as_deref() == Some("Gadget Grumbles")));
    assert!(
        got.errors.iter().all(|e| !e.contains("HTTP")),
        "{:?}",
        got.errors
    );
}

async fn concurrent_polls(per_host: usize, n: usize) -> (usize, Duration) {
    let server = start_server().await;
    let c = client(&HttpSettings {
        per_host_concurrency: per_host,
        ..settings()
    });
    let src = feed(http(&server, "/delay/300/feeds/rss2.xml"));
    let started = Instant::now();
    let ctx = PollCtx::fresh();
    let results = futures::future::join_all((0..n).map(|_| poll(&c, &src, &ctx))).await;
    let elapsed = started.elapsed();
    for r in results {
        assert_eq!(r.unwrap().items.len(), 6);
    }
    assert_eq!(server.hits.get("/delay/300/feeds/rss2.xml"), n);
    (server.in_flight.high_water(), elapsed)
}

#[tokio::test]
async fn one_request_per_host_at_a_time_when_so_configured() {
    let (high_water, elapsed) = concurrent_polls(1, 4).await;
    assert_eq!(high_water, 1);
    assert!(elapsed >= Duration::from_millis(4 * 300), "{elapsed:?}");
}

#[tokio::test]
async fn a_higher_cap_lets_requests_overlap() {
    // The counter above can see overlap: without the cap it does.
    let (high_water, _) = concurrent_polls(4, 4).await;
    assert!(high_water > 1, "high water {high_water}");
}

#[tokio::test]
async fn relative_links_resolve_against_content_location_over_http() {
    let server = start_server().await;
    let got = fetch(
        &settings(),
        &feed(http(&server, "/located/feeds/relative-links.xml")),
    )
    .await
    .unwrap();
    let first = &got.items[0];
    assert_eq!(
        first.url.as_deref(),
        Some(server.url("/mirror/feeds/posts/acme-cloud").as_str())
    );
    let author = first.author.as_ref().and_then(|a| a.url.as_deref());
    assert_eq!(author, Some(server.url("/mirror/people/rant112").as_str()));
    // The document's own xml:base still comes first.
    let based = fetch(
        &settings(),
        &feed(http(&server, "/located/feeds/relative-links-base.xml")),
    )
    .await
    .unwrap();
    assert_eq!(
        based.items[0].url.as_deref(),
        Some("https://gripes.example.net/archive/posts/acme-cloud")
    );
}
