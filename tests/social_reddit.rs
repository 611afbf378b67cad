//! The Reddit source against an emulated OAuth API on 127.0.0.1: the app
//! token and its renewal, walking listings back over a backfill window and
//! forward from a cursor, the 1,000-post depth, the budget in the
//! `X-Ratelimit-*` headers, the 403 that means 429, bad posts, errors that
//! name the URL, and karma looked up once per kept author.

#[path = "common/reddit.rs"]
mod reddit_api;

use std::collections::{HashMap, HashSet};
use std::future::IntoFuture;
use std::time::{Duration, Instant};

use chrono::DateTime;
use earshot::config::social::{RedditSource, Secret};
use earshot::config::{HttpSettings, Location, SourceConfig, SourceKind};
use earshot::model::Item;
use earshot::source::http::HttpClient;
use earshot::source::social::{Fetch, Profiles};
use earshot::source::{poll, Poll, PollCtx, SourceError, Window};
use reddit_api::{router, Fault, RedditApi};

/// 2026-03-10T00:00:00Z.
const DAY: i64 = 1_773_100_800;
const ID: &str = "app-id-7Qx";
const SECRET: &str = "app-secret-Zr2";

async fn serve(api: &RedditApi) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, router(api.clone())).into_future());
    format!("http://{addr}")
}

fn config(base: &str, subs: &[&str], query: Option<&str>, max_pages: usize) -> RedditSource {
    RedditSource {
        subreddits: subs.iter().map(|s| s.to_string()).collect(),
        query: query.map(str::to_string),
        client_id: ID.into(),
        client_secret: Secret(SECRET.into()),
        api: base.parse().unwrap(),
        auth: base.parse().unwrap(),
        max_pages,
    }
}

fn source(cfg: RedditSource) -> SourceConfig {
    SourceConfig {
        id: "reddit".into(),
        location: Location::Http(cfg.api.clone()),
        interval: None,
        kind: SourceKind::Reddit(Box::new(cfg)),
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

fn at(t: i64) -> Option<DateTime<chrono::Utc>> {
    DateTime::from_timestamp(t, 0)
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/social/reddit")
        .join(name)
}

fn keys(items: &[Item]) -> Vec<String> {
    items.iter().map(|i| i.key.clone()).collect()
}

/// Listing requests for one subreddit.
fn pages_of(api: &RedditApi, sub: &str) -> usize {
    let path = format!("/r/{sub}/");
    api.listings()
        .iter()
        .filter(|(_, u)| u.contains(&path))
        .count()
}

#[tokio::test]
async fn backfill_walks_each_listing_back_to_the_window_and_no_further() {
    let api = RedditApi::new(ID, SECRET);
    let a = api.generate("acme", 1, 600, DAY, DAY + 86_400);
    let b = api.generate("acmecloud", 2, 450, DAY, DAY + 86_400);
    let base = serve(&api).await;
    let (since, until) = (DAY + 20_000, DAY + 60_000);
    let got = run(
        &client(),
        &source(config(&base, &["acme", "acmecloud"], None, 10)),
        None,
        Some(Window {
            since: at(since),
            until: at(until),
        }),
    )
    .await
    .unwrap();
    assert!(got.errors.is_empty(), "{:?}", got.errors);
    let walked = pages_of(&api, "acme");

    // The emulator's posts, by time, to know which the window holds.
    let all = run(
        &client(),
        &source(config(&base, &["acme", "acmecloud"], None, 20)),
        None,
        Some(Window::default()),
    )
    .await
    .unwrap();
    assert_eq!(all.items.len(), a.len() + b.len());
    let inside: HashSet<String> = all
        .items
        .iter()
        .filter(|i| {
            let t = i.published.unwrap().timestamp();
            t >= since && t < until
        })
        .map(|i| i.key.clone())
        .collect();
    let got_keys = keys(&got.items);
    assert_eq!(got_keys.len(), inside.len(), "a post delivered twice");
    assert_eq!(got_keys.into_iter().collect::<HashSet<_>>(), inside);

    // The walk stopped at the first page older than the window: for
    // r/acme, posts at or after `since` fill at most this many pages.
    let newer = all
        .items
        .iter()
        .filter(|i| i.source_title.as_deref() == Some("r/acme"))
        .filter(|i| i.published.unwrap().timestamp() >= since)
        .count();
    assert!(
        walked <= newer / 100 + 1,
        "{walked} pages for {newer} posts"
    );
    assert!(walked < 6, "walked to the end of the listing");
}

#[tokio::test]
async fn backfill_past_the_listing_depth_says_so() {
    let api = RedditApi::new(ID, SECRET);
    api.generate("acme", 3, 1_500, DAY, DAY + 150_000);
    let base = serve(&api).await;
    let got = run(
        &client(),
        &source(config(&base, &["acme"], None, 20)),
        None,
        Some(Window {
            since: at(DAY),
            until: None,
        }),
    )
    .await
    .unwrap();
    assert_eq!(got.items.len(), 1_000);
    assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
    assert!(
        got.errors[0].contains("r/acme/new") && got.errors[0].contains("1000"),
        "{}",
        got.errors[0]
    );
}

#[tokio::test]
async fn run_reads_forward_from_the_cursor_with_no_gap_and_no_duplicate() {
    let api = RedditApi::new(ID, SECRET);
    api.generate("acme", 4, 150, DAY, DAY + 3_600);
    let base = serve(&api).await;
    let client = client();
    let src = source(config(&base, &["acme"], None, 10));

    let first = run(&client, &src, None, None).await.unwrap();
    assert_eq!(first.items.len(), 100, "no cursor: the newest page only");
    let cursor = first.cursor.unwrap();
    let saved: HashMap<String, f64> = serde_json::from_str(&cursor).unwrap();
    let newest = first
        .items
        .iter()
        .filter_map(|i| i.published)
        .max()
        .unwrap();
    assert_eq!(saved["r/acme/new"], newest.timestamp() as f64);

    let fresh: HashSet<String> = api
        .generate("acme", 5, 230, DAY + 3_600, DAY + 7_200)
        .into_iter()
        .collect();
    let before = api.listings().len();
    let second = run(&client, &src, Some(&cursor), None).await.unwrap();
    assert!(second.errors.is_empty(), "{:?}", second.errors);
    let got: HashSet<String> = keys(&second.items).into_iter().collect();
    assert!(
        fresh.is_subset(&got),
        "gap: {} new posts missing",
        fresh.difference(&got).count()
    );
    // Beyond the new posts, only the cursor's own second may come again.
    let again: HashSet<String> = keys(&first.items).into_iter().collect();
    for item in &second.items {
        if again.contains(&item.key) {
            assert_eq!(item.published, Some(newest), "{} came twice", item.key);
        }
    }
    assert_eq!(
        api.listings().len() - before,
        3,
        "230 posts, 3 pages, then stop"
    );

    let cursor = second.cursor.unwrap();
    let before = api.listings().len();
    let third = run(&client, &src, Some(&cursor), None).await.unwrap();
    assert!(
        third.items.len() <= 1,
        "nothing new: {:?}",
        keys(&third.items)
    );
    assert_eq!(api.listings().len() - before, 1);
    assert_eq!(third.cursor.as_deref(), Some(cursor.as_str()));
}

#[tokio::test]
async fn a_run_that_falls_behind_says_what_it_skipped() {
    let api = RedditApi::new(ID, SECRET);
    api.generate("acme", 6, 10, DAY, DAY + 600);
    let base = serve(&api).await;
    let client = client();
    let src = source(config(&base, &["acme"], None, 2));
    let cursor = run(&client, &src, None, None)
        .await
        .unwrap()
        .cursor
        .unwrap();
    api.generate("acme", 7, 350, DAY + 600, DAY + 7_200);
    let got = run(&client, &src, Some(&cursor), None).await.unwrap();
    assert_eq!(got.items.len(), 200);
    assert!(
        got.errors.iter().any(|e| e.contains("max_pages (2)")),
        "{:?}",
        got.errors
    );
}

#[tokio::test]
async fn search_stays_within_the_subreddits_unless_there_are_none() {
    let api = RedditApi::new(ID, SECRET);
    api.generate("acme", 8, 120, DAY, DAY + 3_600);
    api.generate("gadgets", 9, 120, DAY, DAY + 3_600);
    let base = serve(&api).await;
    let client = client();

    let within = run(
        &client,
        &source(config(&base, &["acme"], Some("phone"), 5)),
        None,
        None,
    )
    .await
    .unwrap();
    assert!(!within.items.is_empty());
    assert!(within
        .items
        .iter()
        .all(|i| i.source_title.as_deref() == Some("r/acme")));
    assert!(within
        .items
        .iter()
        .all(|i| i.title.as_deref().unwrap().contains("Phone")));
    assert!(within.cursor.unwrap().contains("r/acme/search"));

    let everywhere = run(
        &client,
        &source(config(&base, &[], Some("phone"), 5)),
        None,
        None,
    )
    .await
    .unwrap();
    let subs: HashSet<_> = everywhere
        .items
        .iter()
        .map(|i| i.source_title.clone().unwrap())
        .collect();
    assert_eq!(subs.len(), 2, "{subs:?}");
}

#[tokio::test]
async fn a_bad_post_is_counted_and_skipped() {
    let api = RedditApi::new(ID, SECRET);
    api.load_fixture("acmecloud", &fixture("new.json"));
    let base = serve(&api).await;
    let client = client();
    let cfg = config(&base, &["acmecloud"], None, 10);
    let profiles = Profiles::default();
    let fetch = Fetch {
        client: &client,
        cursor: None,
        window: None,
        keep: &|_| true,
        profiles: &profiles,
    };
    let got = earshot::source::reddit::poll(&cfg, &fetch).await.unwrap();
    assert_eq!((got.seen, got.pages), (6, 1));
    assert_eq!(got.items.len(), 4);
    assert_eq!(got.errors.len(), 2, "{:?}", got.errors);
    assert!(got.errors.iter().any(|e| e.contains("t3_1j8gq7m")));
    assert!(got.errors.iter().any(|e| e.contains("t3_1j8f2c1")));
}

#[tokio::test]
async fn the_budget_in_the_rate_limit_headers_is_obeyed() {
    let api = RedditApi::new(ID, SECRET);
    api.generate("acme", 10, 500, DAY, DAY + 86_400);
    // Three calls a second: five pages must wait for a reset once.
    api.set_budget(3, Duration::from_secs(1));
    let base = serve(&api).await;
    let ctx = PollCtx {
        validators: None,
        cursor: None,
        window: Some(Window::default()),
        keep: &|_| false,
        profiles: None,
    };
    let started = Instant::now();
    let got = poll(&client(), &source(config(&base, &["acme"], None, 5)), &ctx)
        .await
        .unwrap();
    assert_eq!(api.listings().len(), 5);
    assert_eq!(
        api.violations(),
        0,
        "a call came while the budget was spent"
    );
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(got.items.len(), 0, "none kept");
}

#[tokio::test]
async fn a_403_that_means_429_holds_the_next_request_for_retry_after() {
    let api = RedditApi::new(ID, SECRET);
    api.generate("acme", 11, 50, DAY, DAY + 3_600);
    api.fail_next(Fault::Forbidden);
    let base = serve(&api).await;
    let got = run(
        &client(),
        &source(config(&base, &["acme"], None, 5)),
        None,
        None,
    )
    .await
    .unwrap();
    assert_eq!(got.items.len(), 50);
    let log = api.listings();
    assert_eq!(log.len(), 2, "one refused, one retried");
    let waited = log[1].0 - log[0].0;
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
}

#[tokio::test]
async fn an_expired_token_is_renewed_once_and_a_good_one_is_reused() {
    let api = RedditApi::new(ID, SECRET);
    api.generate("acme", 12, 30, DAY, DAY + 3_600);
    let base = serve(&api).await;
    let client = client();
    let src = source(config(&base, &["acme"], None, 5));
    run(&client, &src, None, None).await.unwrap();
    run(&client, &src, None, None).await.unwrap();
    assert_eq!(
        api.tokens_issued(),
        1,
        "a live token is reused across polls"
    );

    api.fail_next(Fault::ExpireTokens);
    let got = run(&client, &src, None, None).await.unwrap();
    assert_eq!(got.items.len(), 30);
    assert_eq!(api.tokens_issued(), 2);

    // Refused again right after renewal: an error, not a loop.
    api.fail_next(Fault::ExpireTokens);
    api.fail_next(Fault::ExpireTokens);
    let e = run(&client, &src, None, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("/r/acme/new.json") && e.contains("401"), "{e}");
    assert_eq!(api.tokens_issued(), 3);
}

#[tokio::test]
async fn wrong_credentials_and_bad_answers_name_the_url() {
    let api = RedditApi::new(ID, SECRET);
    api.generate("acme", 13, 30, DAY, DAY + 3_600);
    let base = serve(&api).await;
    let client = client();

    let mut wrong = config(&base, &["acme"], None, 5);
    wrong.client_secret = Secret("not-the-secret".into());
    let e = run(&client, &source(wrong), None, None)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        e.contains(&format!("{base}/api/v1/access_token")) && e.contains("401"),
        "{e}"
    );
    assert_eq!(api.tokens_issued(), 0);

    api.fail_next(Fault::Garbage);
    match run(
        &client,
        &source(config(&base, &["acme"], None, 5)),
        None,
        None,
    )
    .await
    {
        Err(SourceError::Payload { url, message }) => {
            assert!(
                url.starts_with(&format!("{base}/r/acme/new.json?")),
                "{url}"
            );
            assert!(message.contains("JSON"), "{message}");
        }
        other => panic!("expected a payload error, got {other:?}"),
    }
    // With two listings, the one that failed is an error and the other
    // is still read.
    api.generate("acmecloud", 14, 20, DAY, DAY + 3_600);
    api.fail_next(Fault::Garbage);
    let both = source(config(&base, &["acme", "acmecloud"], None, 5));
    let got = run(&client, &both, None, None).await.unwrap();
    assert_eq!(got.items.len(), 20);
    assert_eq!(got.errors.len(), 1, "{:?}", got.errors);
    assert!(
        got.errors[0].contains(&format!("{base}/r/acme/new.json?")),
        "{}",
        got.errors[0]
    );
    let cursor: HashMap<String, f64> = serde_json::from_str(&got.cursor.unwrap()).unwrap();
    assert!(
        !cursor.contains_key("r/acme/new"),
        "a failed listing keeps its place"
    );
    assert!(cursor.contains_key("r/acmecloud/new"));
}

#[tokio::test]
async fn karma_is_looked_up_once_and_only_for_kept_items() {
    let api = RedditApi::new(ID, SECRET);
    api.load_fixture("acmecloud", &fixture("new.json"));
    api.add_user("byte_farmer", 21_997, "Blog: https://bytefarmer.example/");
    api.add_user("quiet_pixel", 640, "");
    let base = serve(&api).await;
    let client = client();
    let src = source(config(&base, &["acmecloud"], None, 5));
    let profiles = Profiles::default();
    // Kept: the sync bug (byte_farmer) and the cold tier (northwind_ops,
    // unknown to the API); not kept: quiet_pixel's review.
    let keep = |i: &Item| {
        let t = i.title.as_deref().unwrap_or("");
        t.contains("sync") || t.contains("cold")
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
        assert_eq!(got.items.len(), 2);
        let farmer = got.items.iter().find(|i| i.key == "t3_1j8kq2x").unwrap();
        let a = farmer.author.as_ref().unwrap();
        assert_eq!(a.followers, Some(21_997));
        assert_eq!(a.links, ["https://bytefarmer.example/"]);
        let north = got.items.iter().find(|i| i.key == "t3_1j8jz9d").unwrap();
        assert_eq!(north.author.as_ref().unwrap().followers, None);
    }
    assert_eq!(api.lookups("byte_farmer"), 1);
    assert_eq!(api.lookups("northwind_ops"), 1, "a 404 is remembered");
    assert_eq!(api.lookups("quiet_pixel"), 0, "not kept, not looked up");
    assert_eq!(api.total_lookups(), 2);
}
