//! The Mastodon source against a miniature instance on 127.0.0.1: paging
//! back over a backfill window, reading forward from a cursor across polls,
//! bad statuses, rate limits, tokens and the live stream. Each test starts
//! its own server, so the request log belongs to that test alone.

#[path = "common/mastodon.rs"]
mod mastodon_api;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::Value;

use earshot::config::social::{MastodonSource, Secret};
use earshot::config::{HttpSettings, Location, SourceConfig, SourceKind};
use earshot::model::Item;
use earshot::source::http::HttpClient;
use earshot::source::mastodon::{self, Cursor};
use earshot::source::social::{Fetch, Frame, Profiles};
use earshot::source::{poll, Poll, PollCtx, SourceError, Window};
use mastodon_api::{Failure, MastodonState, TOKEN};

const TIMELINE: &str = "/api/v1/timelines/tag/acme";

async fn start(state: &MastodonState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = mastodon_api::router(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
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

fn source(base: &str, tags: &[&str], query: Option<&str>, token: Option<&str>) -> MastodonSource {
    MastodonSource {
        instance: base.parse().unwrap(),
        hashtags: tags.iter().map(|t| t.to_string()).collect(),
        query: query.map(str::to_string),
        token: token.map(|t| Secret(t.into())),
        stream: false,
        max_pages: 10,
    }
}

async fn poll_once(
    m: &MastodonSource,
    cursor: Option<&str>,
    window: Option<Window>,
) -> Result<Poll, SourceError> {
    let cfg = SourceConfig {
        id: "masto".into(),
        location: Location::Http(m.instance.clone()),
        interval: None,
        kind: SourceKind::Mastodon(Box::new(m.clone())),
    };
    let ctx = PollCtx {
        cursor,
        window,
        ..PollCtx::fresh()
    };
    poll(&client(), &cfg, &ctx).await
}

fn since(t: DateTime<Utc>) -> Option<Window> {
    Some(Window {
        since: Some(t),
        until: None,
    })
}

/// What the source should make of a fixture status: its key (a boost is
/// its original) and time, or `None` for a status that cannot be read.
fn expect(s: &Value) -> Option<(String, DateTime<Utc>)> {
    let orig = if s["reblog"].is_object() {
        &s["reblog"]
    } else {
        s
    };
    orig["account"].as_object()?;
    let t = DateTime::parse_from_rfc3339(orig["created_at"].as_str()?).ok()?;
    Some((orig["uri"].as_str()?.to_string(), t.with_timezone(&Utc)))
}

/// Fixture statuses carrying any of `tags`, newest first.
fn tagged<'a>(state: &'a MastodonState, tags: &[&str]) -> Vec<&'a Value> {
    let has = |s: &Value, t: &str| {
        let list = s["tags"].as_array().filter(|l| !l.is_empty());
        list.or(s["reblog"]["tags"].as_array())
            .into_iter()
            .flatten()
            .any(|x| x["name"] == t)
    };
    state
        .statuses()
        .iter()
        .filter(|s| tags.iter().any(|t| has(s, t)))
        .collect()
}

fn keys(items: &[Item]) -> Vec<String> {
    items.iter().map(|i| i.key.clone()).collect()
}

#[tokio::test]
async fn backfill_pages_back_to_the_start_of_the_window_in_one_request_per_page() {
    let state = MastodonState::new();
    let base = start(&state).await;
    let tags = ["acme", "acmecloud"];
    let listed = tagged(&state, &tags);
    let start_at = expect(listed[49]).unwrap().1;
    let poll = poll_once(&source(&base, &tags, None, None), None, since(start_at))
        .await
        .unwrap();

    let wanted: HashSet<String> = listed
        .iter()
        .filter_map(|s| expect(s))
        .filter(|(_, t)| *t >= start_at)
        .map(|(k, _)| k)
        .collect();
    let got: HashSet<String> = keys(&poll.items).into_iter().collect();
    assert_eq!(got, wanted);
    assert_eq!(poll.items.len(), wanted.len(), "no duplicates");
    assert_eq!(poll.cursor, None, "a backfill leaves the live cursor alone");

    // 40 a page: the 50th status is on the second page, which ends the walk.
    let hits = state.hits_on(TIMELINE);
    assert_eq!(hits.len(), 2, "{hits:#?}");
    assert_eq!(hits[0].param("max_id"), None);
    assert_eq!(hits[1].param("max_id"), listed[39]["id"].as_str());
    for h in &hits {
        assert_eq!(
            h.param("any[]"),
            Some("acmecloud"),
            "both tags in one request"
        );
        assert_eq!(h.param("limit"), Some("40"));
    }
}

#[tokio::test]
async fn backfill_reads_no_more_than_max_pages() {
    let state = MastodonState::new();
    let base = start(&state).await;
    let mut m = source(&base, &["acme"], None, None);
    m.max_pages = 2;
    let long_ago = "2020-01-01T00:00:00Z".parse().unwrap();
    let poll = poll_once(&m, None, since(long_ago)).await.unwrap();
    assert_eq!(state.hits_on(TIMELINE).len(), 2);
    let first_80: Vec<_> = tagged(&state, &["acme"])[..80]
        .iter()
        .filter_map(|s| expect(s))
        .collect();
    assert_eq!(poll.items.len(), first_80.len());
}

#[tokio::test]
async fn a_first_run_poll_reads_only_the_newest_page() {
    let state = MastodonState::new();
    let base = start(&state).await;
    let poll = poll_once(&source(&base, &["acme"], None, None), None, None)
        .await
        .unwrap();
    let listed = tagged(&state, &["acme"]);
    let newest: Vec<String> = listed[..40]
        .iter()
        .filter_map(|s| expect(s))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys(&poll.items), newest);
    assert_eq!(state.hits_on(TIMELINE).len(), 1);
    let cursor = Cursor::decode(poll.cursor.as_deref().unwrap());
    assert_eq!(cursor.tag.as_deref(), listed[0]["id"].as_str());
}

#[tokio::test]
async fn run_reads_forward_from_its_cursor_without_gap_or_duplicate() {
    let state = MastodonState::new();
    let base = start(&state).await;
    let tags = ["acme", "acmecloud"];
    let mut m = source(&base, &tags, None, None);
    m.max_pages = 1; // several polls to catch up, so the cursor carries across
    state.hide_newest(85);
    let first = poll_once(&m, None, None).await.unwrap();
    let mut cursor = first.cursor.clone().expect("a cursor after a page");
    let mut delivered = keys(&first.items);

    // New statuses arrive in two bursts; each is read up in polls of a page.
    for hidden in [30, 0] {
        state.hide_newest(hidden);
        for _ in 0..10 {
            let p = poll_once(&m, Some(&cursor), None).await.unwrap();
            if p.items.is_empty() && p.errors.is_empty() {
                break;
            }
            delivered.extend(keys(&p.items));
            cursor = p.cursor.unwrap_or(cursor);
        }
    }
    let listed = tagged(&state, &tags);
    let mut want: Vec<String> = listed
        .iter()
        .filter_map(|s| expect(s))
        .map(|(k, _)| k)
        .collect();
    want.sort();
    delivered.sort();
    assert_eq!(delivered, want, "every status once, none twice");

    // Each forward page starts just after the newest status read before it.
    let hits = state.hits_on(TIMELINE);
    assert!(hits.len() >= 5, "{} requests", hits.len());
    assert!(hits[1..].iter().all(|h| h.param("min_id").is_some()));
    assert_eq!(
        Cursor::decode(&cursor).tag.as_deref(),
        listed[0]["id"].as_str()
    );
}

#[tokio::test]
async fn a_bare_status_id_is_a_cursor_too() {
    let state = MastodonState::new();
    let base = start(&state).await;
    let listed = tagged(&state, &["acme"]);
    let id = listed[3]["id"].as_str().unwrap();
    let poll = poll_once(&source(&base, &["acme"], None, None), Some(id), None)
        .await
        .unwrap();
    let want: Vec<String> = listed[..3]
        .iter()
        .filter_map(|s| expect(s))
        .map(|(k, _)| k)
        .collect();
    let mut got = keys(&poll.items);
    got.sort();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got, want_sorted);
    assert_eq!(state.hits_on(TIMELINE)[0].param("min_id"), Some(id));
}

#[tokio::test]
async fn a_bad_status_is_counted_and_skipped_and_the_prefilter_only_drops() {
    let state = MastodonState::new();
    let base = start(&state).await;
    let m = source(&base, &["acme", "acmecloud", "acmephone"], None, None);
    let client = client();
    let profiles = Profiles::default();
    let keep_all = |_: &Item| true;
    let long_ago = since("2020-01-01T00:00:00Z".parse().unwrap());
    let fetch = Fetch {
        client: &client,
        cursor: None,
        window: long_ago,
        keep: &keep_all,
        profiles: &profiles,
    };
    let all = mastodon::poll(&m, &fetch).await.unwrap();
    let total = state.statuses().len();
    assert_eq!(all.seen, total);
    // Pages of 40, and the empty page that shows there is no more.
    assert_eq!(all.pages, total.div_ceil(40) + 1);
    assert_eq!(all.items.len(), total - 2);
    assert_eq!(all.errors.len(), 2, "{:?}", all.errors);
    let bad: Vec<&Value> = state
        .statuses()
        .iter()
        .filter(|s| expect(s).is_none())
        .collect();
    for s in bad {
        let id = s["id"].as_str().unwrap();
        assert!(
            all.errors.iter().any(|e| e.contains(id)),
            "{id} not named in {:?}",
            all.errors
        );
    }

    let cloud_only = |i: &Item| i.text.contains("Acme Cloud");
    let fetch = Fetch {
        keep: &cloud_only,
        ..fetch
    };
    let some = mastodon::poll(&m, &fetch).await.unwrap();
    assert_eq!(some.seen, total, "dropped posts were still read");
    assert!(!some.items.is_empty() && some.items.len() < all.items.len());
    assert!(some.items.iter().all(|i| i.text.contains("Acme Cloud")));
}

#[tokio::test]
async fn a_429_delays_the_next_request_by_its_retry_after() {
    let state = MastodonState::new();
    let base = start(&state).await;
    state.fail_next(Failure::RateLimited { secs: 1 });
    let poll = poll_once(&source(&base, &["acme"], None, None), None, None)
        .await
        .unwrap();
    assert!(!poll.items.is_empty());
    let hits = state.hits_on(TIMELINE);
    assert_eq!(hits.len(), 2);
    assert!(
        hits[1].at - hits[0].at >= Duration::from_secs(1),
        "{:?}",
        hits[1].at - hits[0].at
    );
}

#[tokio::test]
async fn a_spent_budget_holds_the_next_page_until_the_reset() {
    let state = MastodonState::new();
    let base = start(&state).await;
    let mut m = source(&base, &["acme"], None, None);
    m.max_pages = 2;
    state.fail_next(Failure::Exhausted { secs: 2 });
    poll_once(&m, None, since("2020-01-01T00:00:00Z".parse().unwrap()))
        .await
        .unwrap();
    let hits = state.hits_on(TIMELINE);
    assert_eq!(hits.len(), 2);
    // The reset is an ISO 8601 time two seconds after the first answer.
    assert!(
        hits[1].at - hits[0].at >= Duration::from_millis(1500),
        "{:?}",
        hits[1].at - hits[0].at
    );
}

#[tokio::test]
async fn search_without_a_token_fails_naming_the_url() {
    let state = MastodonState::new();
    let base = start(&state).await;
    let err = poll_once(&source(&base, &[], Some("acme cloud"), None), None, None)
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("{base}/api/v2/search?q=acme+cloud")),
        "{msg}"
    );
    assert!(
        msg.contains("401") && msg.contains("requires an authenticated user"),
        "{msg}"
    );
    assert!(!err.is_retryable());
    assert_eq!(
        state.hits_on("/api/v2/search").len(),
        1,
        "a 401 is not retried"
    );
}

#[tokio::test]
async fn search_and_hashtags_keep_one_cursor_each_and_share_no_item() {
    let state = MastodonState::new();
    let base = start(&state).await;
    let m = source(&base, &["acme"], Some("acme cloud"), Some(TOKEN));
    let first = poll_once(&m, None, None).await.unwrap();
    let mut seen = HashMap::new();
    for k in keys(&first.items) {
        *seen.entry(k).or_insert(0) += 1;
    }
    assert!(
        seen.values().all(|n| *n == 1),
        "an item found twice is delivered once"
    );
    assert!(first.items.iter().any(|i| i
        .source_title
        .as_deref()
        .is_some_and(|t| t.starts_with("search"))));
    let searches = state.hits_on("/api/v2/search");
    assert_eq!(searches[0].bearer.as_deref(), Some(TOKEN));
    assert_eq!(searches[0].param("type"), Some("statuses"));

    let cursor = Cursor::decode(first.cursor.as_deref().unwrap());
    assert!(
        cursor.tag.is_some() && cursor.search.is_some(),
        "{cursor:?}"
    );
    poll_once(&m, first.cursor.as_deref(), None).await.unwrap();
    let searches = state.hits_on("/api/v2/search");
    assert_eq!(searches[1].param("min_id"), cursor.search.as_deref());
    assert_eq!(
        state.hits_on(TIMELINE)[1].param("min_id"),
        cursor.tag.as_deref()
    );
}

#[tokio::test]
async fn a_page_that_is_not_json_is_a_payload_error_naming_the_url() {
    let state = MastodonState::new();
    let base = start(&state).await;
    state.fail_next(Failure::Garbage);
    let err = poll_once(&source(&base, &["acme"], None, None), None, None)
        .await
        .unwrap_err();
    match &err {
        SourceError::Payload { url, .. } => assert!(url.starts_with(&format!("{base}{TIMELINE}"))),
        other => panic!("expected a payload error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_failed_later_page_keeps_what_came_before_and_a_cursor_behind_it() {
    let state = MastodonState::new();
    let base = start(&state).await;
    let listed = tagged(&state, &["acme"]);
    let from = listed[60]["id"].as_str().unwrap();
    let m = source(&base, &["acme"], None, None);
    // The first page answers, the second 404s (which is not retried).
    state.pass_next();
    state.fail_next(Failure::Status {
        code: 404,
        error: "Record not found",
    });
    let poll = poll_once(&m, Some(from), None).await.unwrap();
    let failed = poll.errors.last().unwrap();
    assert!(
        failed.contains("404") && failed.contains("Record not found"),
        "{failed}"
    );
    let want: Vec<String> = listed[20..60]
        .iter()
        .filter_map(|s| expect(s))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys(&poll.items), want);
    let hits = state.hits_on(TIMELINE);
    let cursor = Cursor::decode(poll.cursor.as_deref().unwrap());
    // The cursor is the newest status of the page that was read.
    assert_eq!(cursor.tag.as_deref(), hits[1].param("min_id"));
}

#[tokio::test]
async fn the_stream_yields_posts_then_ends_when_a_connection_drops() {
    let state = MastodonState::new();
    let base = start(&state).await;
    let mut m = source(&base, &["acme", "acmecloud"], None, Some(TOKEN));
    m.stream = true;
    let started = std::time::Instant::now();
    let stream = mastodon::subscribe(&m, &client(), Some(r#"{"tag":"1"}"#))
        .await
        .unwrap();
    let frames: Vec<_> = tokio::time::timeout(Duration::from_secs(20), stream.collect::<Vec<_>>())
        .await
        .expect("the stream ends when the server drops it");
    // #acmecloud is still beating: its end did not wait for that one.
    let heartbeats = Duration::from_millis(100) * mastodon_api::HEARTBEATS as u32;
    assert!(
        started.elapsed() < heartbeats * 8 / 10,
        "{:?}",
        started.elapsed()
    );
    let frames: Vec<Frame> = frames.into_iter().map(Result::unwrap).collect();

    let posts: Vec<(&String, &Item)> = frames
        .iter()
        .filter_map(|f| match f {
            Frame::Post { cursor, item } => Some((cursor, item)),
            _ => None,
        })
        .collect();
    assert_eq!(posts.len(), 4, "{frames:#?}");
    assert!(posts[0].1.text.contains("down again"));
    let edit = posts.iter().find(|(_, i)| i.updated.is_some()).unwrap();
    assert_eq!(edit.1.key, state.statuses()[0]["uri"].as_str().unwrap());
    assert_eq!(
        edit.0, posts[1].0,
        "an edit carries the newest cursor, not its own"
    );
    let skips: Vec<_> = frames
        .iter()
        .filter(|f| matches!(f, Frame::Skip { .. }))
        .collect();
    assert_eq!(skips.len(), 1);
    assert_eq!(
        frames
            .iter()
            .filter(|f| matches!(f, Frame::Bad { .. }))
            .count(),
        1
    );
    let host = base
        .trim_start_matches("http://")
        .split(':')
        .next()
        .unwrap();
    assert_eq!(
        posts[0].1.source_title.as_deref(),
        Some(format!("#acme on {host}").as_str())
    );

    assert_eq!(
        state.hits_on("/api/v2/instance").len(),
        1,
        "the streaming host is looked up"
    );
    let conns = state.hits_on("/api/v1/streaming/hashtag");
    let tags: HashSet<&str> = conns.iter().filter_map(|h| h.param("tag")).collect();
    assert_eq!(tags, HashSet::from(["acme", "acmecloud"]));
    assert!(conns.iter().all(|h| h.bearer.as_deref() == Some(TOKEN)));
}

#[tokio::test]
async fn the_stream_refuses_a_wrong_token_naming_the_url() {
    let state = MastodonState::new();
    let base = start(&state).await;
    let m = source(&base, &["acme"], None, Some("not-the-token"));
    let err = match mastodon::subscribe(&m, &client(), None).await {
        Ok(_) => panic!("a wrong token streams nothing"),
        Err(e) => e,
    };
    let msg = err.to_string();
    assert!(
        msg.contains(&format!("{base}/api/v1/streaming/hashtag?tag=acme")),
        "{msg}"
    );
    assert!(
        msg.contains("401") && msg.contains("access token is invalid"),
        "{msg}"
    );
    let no_token = source(&base, &["acme"], None, None);
    assert!(matches!(
        mastodon::subscribe(&no_token, &client(), None).await,
        Err(SourceError::Unsupported(_))
    ));
}
