//! The Hacker News source against an emulated Algolia and Firebase on
//! 127.0.0.1: slicing a crowded backfill window past Algolia's 1,000-hit
//! cap, reading forward from a cursor across polls, bad hits, rate limits,
//! errors that name the URL, and karma looked up once per kept author.

#[path = "common/hackernews.rs"]
mod hackernews_api;

use std::collections::{HashMap, HashSet};
use std::future::IntoFuture;
use std::time::Duration;

use chrono::DateTime;
use earshot::config::social::HackerNewsSource;
use earshot::config::{HttpSettings, Location, SourceConfig, SourceKind};
use earshot::model::Item;
use earshot::source::http::HttpClient;
use earshot::source::social::{Fetch, Profiles};
use earshot::source::{poll, Poll, PollCtx, SourceError, Window};
use hackernews_api::{router, Fault, HnApi};

/// 2026-03-10T00:00:00Z.
const DAY: i64 = 1_773_100_800;

async fn serve(api: &HnApi) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, router(api.clone())).into_future());
    format!("http://{addr}")
}

fn config(base: &str, max_pages: usize) -> HackerNewsSource {
    HackerNewsSource {
        query: "acme".into(),
        tags: vec!["story".into(), "comment".into()],
        algolia: format!("{base}/api/v1").parse().unwrap(),
        firebase: format!("{base}/v0").parse().unwrap(),
        max_pages,
    }
}

fn source(cfg: HackerNewsSource) -> SourceConfig {
    SourceConfig {
        id: "hn".into(),
        location: Location::Http(cfg.algolia.clone()),
        interval: None,
        kind: SourceKind::HackerNews(Box::new(cfg)),
    }
}

fn client() -> HttpClient {
    HttpClient::new(&HttpSettings {
        timeout: Duration::from_secs(5),
        // The fixture servers listen on loopback, which the SSRF guard refuses.
        allow_hosts: vec!["127.0.0.1".parse().unwrap()],
        ..HttpSettings::default()
    })
    .unwrap()
}

async fn run(
    client: &HttpClient,
    src: &SourceConfig,
    cursor: Option<&str>,
    window: Option<Window>,
) -> Result<Poll, SourceError> {
    let ctx = PollCtx {
        validators: None,
        cursor,
        window,
        keep: &|_| true,
        profiles: None,
    };
    poll(client, src, &ctx).await
}

fn id_of(item: &Item) -> String {
    item.key.rsplit('=').next().unwrap().to_string()
}

fn at(t: i64) -> Option<DateTime<chrono::Utc>> {
    DateTime::from_timestamp(t, 0)
}

#[tokio::test]
async fn backfill_slices_a_crowded_window_and_gets_every_hit_exactly_once() {
    let api = HnApi::new();
    let mut want: HashSet<String> = HashSet::new();
    // 1,300 over the day and a burst of 1,200 in ten minutes: 2,500 in all.
    want.extend(api.generate(1, 1_300, DAY, DAY + 86_400));
    want.extend(api.generate(2, 1_200, DAY + 40_000, DAY + 40_600));
    // Just outside the window on both sides.
    api.generate(3, 200, DAY - 3_600, DAY);
    api.generate(4, 200, DAY + 86_400, DAY + 90_000);
    let base = serve(&api).await;
    let window = Window {
        since: at(DAY),
        until: at(DAY + 86_400),
    };

    let got = run(&client(), &source(config(&base, 200)), None, Some(window))
        .await
        .unwrap();

    assert!(got.errors.is_empty(), "{:?}", got.errors);
    let keys: Vec<String> = got.items.iter().map(id_of).collect();
    let unique: HashSet<String> = keys.iter().cloned().collect();
    assert_eq!(keys.len(), 2_500, "a hit delivered twice");
    assert_eq!(unique, want);
    // No request asked past what Algolia serves: each slice fit.
    for (_, uri) in api
        .log()
        .iter()
        .filter(|(_, u)| u.contains("search_by_date"))
    {
        let page: usize = uri.split("page=").nth(1).unwrap().parse().unwrap();
        assert!(page * 100 < 1_000, "{uri}");
    }
    assert!(api.searches() < 60, "{} searches", api.searches());
}

#[tokio::test]
async fn backfill_says_what_it_missed_when_the_page_budget_runs_out() {
    let api = HnApi::new();
    api.generate(5, 900, DAY, DAY + 86_400);
    let base = serve(&api).await;
    let window = Window {
        since: at(DAY),
        until: None,
    };
    let got = run(&client(), &source(config(&base, 3)), None, Some(window))
        .await
        .unwrap();
    assert_eq!(got.items.len(), 300);
    assert_eq!(api.searches(), 3);
    assert!(
        got.errors.iter().any(|e| e.contains("max_pages (3)")),
        "{:?}",
        got.errors
    );
}

#[tokio::test]
async fn run_reads_forward_across_polls_with_no_gap() {
    let api = HnApi::new();
    api.generate(6, 150, DAY, DAY + 3_600);
    let base = serve(&api).await;
    let client = client();
    let src = source(config(&base, 3));

    // No cursor yet: the newest page only.
    let first = run(&client, &src, None, None).await.unwrap();
    assert_eq!(first.items.len(), 100);
    let newest = first
        .items
        .iter()
        .filter_map(|i| i.published)
        .max()
        .unwrap();
    let mut cursor = first.cursor.clone().unwrap();
    assert_eq!(cursor, newest.timestamp().to_string());
    let mut delivered: HashSet<String> = first.items.iter().map(id_of).collect();

    // 450 new hits: more than one poll of 3 pages can read.
    let fresh = api.generate(7, 450, DAY + 3_600, DAY + 7_200);
    let mut polls = 0;
    loop {
        polls += 1;
        assert!(polls <= 10, "the cursor stopped moving");
        let before = cursor.clone();
        let got = run(&client, &src, Some(&cursor), None).await.unwrap();
        assert!(got.errors.is_empty(), "{:?}", got.errors);
        for item in &got.items {
            let t = item.published.unwrap().timestamp();
            let from: i64 = before.split("..").next().unwrap().parse().unwrap();
            assert!(t >= from, "older than the cursor");
            // Only the cursor's own second may come again.
            if !delivered.insert(id_of(item)) {
                assert_eq!(t, from, "{} came twice", item.key);
            }
        }
        eprintln!(
            "poll {polls}: {} items, cursor {:?}",
            got.items.len(),
            got.cursor
        );
        cursor = got.cursor.unwrap_or(before.clone());
        if cursor == before {
            break;
        }
    }
    assert!(polls >= 3, "450 hits cannot fit in one 3-page poll");
    let missing: Vec<&String> = fresh.iter().filter(|id| !delivered.contains(*id)).collect();
    assert!(missing.is_empty(), "gap: {} hits never read", missing.len());
}

#[tokio::test]
async fn a_bad_hit_is_counted_and_skipped() {
    let api = HnApi::new();
    api.load_fixture(&fixture("search_by_date.json"));
    let base = serve(&api).await;
    let client = client();
    let cfg = config(&base, 10);
    let profiles = Profiles::default();
    let fetch = Fetch {
        client: &client,
        cursor: None,
        window: None,
        keep: &|_| true,
        profiles: &profiles,
    };
    let got = earshot::source::hackernews::poll(&cfg, &fetch)
        .await
        .unwrap();
    assert_eq!((got.seen, got.pages), (6, 1));
    assert_eq!(got.items.len(), 4);
    assert_eq!(got.errors.len(), 2, "{:?}", got.errors);
    assert!(got.errors.iter().any(|e| e.contains("47208520")));
    assert!(got.errors.iter().any(|e| e.contains("47208100")));
    // The newest readable hit sets the cursor.
    assert_eq!(got.cursor.as_deref(), Some("1773140400"));
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/social/hackernews")
        .join(name)
}

#[tokio::test]
async fn a_429_holds_the_next_request_for_retry_after() {
    let api = HnApi::new();
    api.generate(8, 50, DAY, DAY + 3_600);
    api.fail_next(Fault::TooMany);
    let base = serve(&api).await;
    let got = run(&client(), &source(config(&base, 10)), None, None)
        .await
        .unwrap();
    assert_eq!(got.items.len(), 50);
    let log: Vec<_> = api
        .log()
        .into_iter()
        .filter(|(_, u)| u.contains("search_by_date"))
        .collect();
    assert_eq!(log.len(), 2, "one refused request, one retry");
    let waited = log[1].0 - log[0].0;
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
}

#[tokio::test]
async fn errors_name_the_url_that_failed() {
    let api = HnApi::new();
    api.generate(9, 10, DAY, DAY + 3_600);
    let base = serve(&api).await;
    let src = source(config(&base, 10));
    let client = client();

    api.fail_next(Fault::Garbage);
    match run(&client, &src, None, None).await {
        Err(SourceError::Payload { url, message }) => {
            assert!(
                url.starts_with(&format!("{base}/api/v1/search_by_date?")),
                "{url}"
            );
            assert!(message.contains("JSON"), "{message}");
        }
        other => panic!("expected a payload error, got {other:?}"),
    }
    api.fail_next(Fault::BadRequest);
    let e = run(&client, &src, Some("1773100800"), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("/api/v1/search_by_date?") && e.contains("400"),
        "{e}"
    );
    assert!(e.contains("invalid parameters"), "{e}");
}

#[tokio::test]
async fn karma_is_looked_up_once_and_only_for_kept_items() {
    let api = HnApi::new();
    api.load_fixture(&fixture("search_by_date.json"));
    api.add_user(
        "mkrause",
        8_812,
        r#"Blog: <a href="https:&#x2F;&#x2F;mkrause.example&#x2F;">https:&#x2F;&#x2F;mkrause.example&#x2F;</a>"#,
    );
    api.add_user("tinkerlab", 310, "");
    api.add_user("sjwhite", 77, "");
    let base = serve(&api).await;
    let client = client();
    let src = source(config(&base, 10));
    let profiles = Profiles::default();
    // Only posts about Acme Cloud are kept; sjwhite writes about the phone.
    let keep = |i: &Item| {
        i.text.contains("Acme Cloud") || i.title.as_deref().unwrap_or("").contains("Acme Cloud")
    };
    let ctx = PollCtx {
        validators: None,
        cursor: None,
        window: None,
        keep: &keep,
        profiles: Some(&profiles),
    };
    for _ in 0..2 {
        let got = poll(&client, &src, &ctx).await.unwrap();
        let karma: HashMap<String, Option<u64>> = got
            .items
            .iter()
            .map(|i| {
                let a = i.author.as_ref().unwrap();
                (a.handle.clone().unwrap(), a.followers)
            })
            .collect();
        assert_eq!(karma.len(), 3, "{karma:?}");
        assert_eq!(karma["mkrause"], Some(8_812));
        assert_eq!(karma["tinkerlab"], Some(310));
        // Unknown to Firebase: no karma, and the item still comes.
        assert_eq!(karma["dvorakfan"], None);
        let mk = got.items.iter().find(|i| id_of(i) == "47211905").unwrap();
        assert_eq!(
            mk.author.as_ref().unwrap().links,
            ["https://mkrause.example/"]
        );
    }
    assert_eq!(api.lookups("mkrause"), 1);
    assert_eq!(api.lookups("dvorakfan"), 1, "an unknown name is remembered");
    assert_eq!(api.lookups("sjwhite"), 0, "not kept, not looked up");
    assert_eq!(api.total_lookups(), 3);
}
