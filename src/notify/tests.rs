//! Delivery against a webhook receiver of the tests' own (axum on
//! 127.0.0.1:0), which checks the signature and the Slack shape, and the
//! workspace's notifier across a restart of its store.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::config::{Channel, ChannelKind, Filter, NotifyConfig, Secret};
use super::run::{run, Store};
use super::send::Sender;
use super::throttle::Message;
use crate::record::Record;
use crate::retry::Backoff;
use crate::route::decider::Clock;
use crate::route::records::tests::feedback;
use crate::route::records::AlertKind;
use crate::serve::desk::Desk;
use crate::source::http::HttpClient;

mod day;
mod timing;

const KEY: &str = "test-signing-key";

/// What the receiver got: path, headers, body.
type Got = (String, HeaderMap, serde_json::Value);

struct Receiver {
    /// Requests answered 500 before any is accepted.
    fail_first: AtomicUsize,
    /// The clock signatures are checked against: the test's paused one, or
    /// the wall's when none.
    clock: Option<Clock>,
    /// Requests to /slow wait for a permit here: a channel that hangs.
    slow: tokio::sync::Semaphore,
    /// Requests to /stall that hang without an answer, before any is taken.
    stall_first: AtomicUsize,
    /// Requests to /stall, answered or not.
    stall_tries: AtomicUsize,
    got: Mutex<Vec<Got>>,
    tx: mpsc::UnboundedSender<Got>,
}

async fn hook(
    State(r): State<Arc<Receiver>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    if uri.path() == "/slow" {
        let _ = r.slow.acquire().await.map(|p| p.forget());
    }
    if uri.path() == "/stall" {
        r.stall_tries.fetch_add(1, Ordering::SeqCst);
        let stall = r
            .stall_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if stall {
            // Never answers in time: the sender's timeout gives up first.
            tokio::time::sleep(Duration::from_secs(60)).await;
            return StatusCode::OK;
        }
    }
    let fail = r
        .fail_first
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok();
    if fail {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let now = r.clock.map_or_else(chrono::Utc::now, |c| c.now());
    if uri.path() == "/hook" && !signed(&headers, &body, now.timestamp()) {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(json) = serde_json::from_slice(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let got = (uri.path().to_string(), headers, json);
    r.got.lock().unwrap().push(got.clone());
    let _ = r.tx.send(got);
    StatusCode::OK
}

/// Checks the signature as a receiver would: HMAC of `t.body` with the
/// shared key, and a time within five minutes of `now`.
fn signed(headers: &HeaderMap, body: &[u8], now: i64) -> bool {
    headers
        .get("x-earshot-signature")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sig| crate::notify::message::verify(KEY.as_bytes(), sig, body, now, 300))
}

async fn receiver(fail_first: usize) -> (String, Arc<Receiver>, mpsc::UnboundedReceiver<Got>) {
    receiver_on(fail_first, None).await
}

async fn receiver_on(
    fail_first: usize,
    clock: Option<Clock>,
) -> (String, Arc<Receiver>, mpsc::UnboundedReceiver<Got>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let r = Arc::new(Receiver {
        fail_first: AtomicUsize::new(fail_first),
        clock,
        slow: tokio::sync::Semaphore::new(0),
        stall_first: AtomicUsize::new(1),
        stall_tries: AtomicUsize::new(0),
        got: Mutex::default(),
        tx,
    });
    let app = axum::Router::new()
        .route("/slack", post(hook))
        .route("/hook", post(hook))
        .route("/slow", post(hook))
        .route("/stall", post(hook))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), r, rx)
}

fn sender() -> Sender {
    let mut errors = crate::config::check::Errors::default();
    let raw: toml::Value = toml::from_str("allow_hosts = [\"127.0.0.1\"]").unwrap();
    let settings = crate::source::http::config::HttpSettings::build(Some(raw), &mut errors);
    assert!(errors.is_empty());
    let mut s = Sender::new(HttpClient::new(&settings).unwrap());
    // Short waits: the test asserts what arrives, not when.
    s.backoff = Backoff::new(Duration::from_millis(5), Duration::from_millis(20));
    s.attempts = 3;
    s
}

fn channel(name: &str, base: &str, webhook: bool) -> Channel {
    let kind = if webhook {
        ChannelKind::Webhook {
            url: Secret::new(format!("{base}/hook")),
            key: Secret::new(KEY),
        }
    } else {
        ChannelKind::Slack {
            url: Secret::new(format!("{base}/slack")),
        }
    };
    Channel {
        name: name.into(),
        kind,
        filter: Filter::default(),
        min_interval: Duration::ZERO,
        quiet: None,
        digest: None,
    }
}

fn message(n: usize) -> Message {
    let alerts = (0..n)
        .map(|i| super::throttle::tests::alert(&format!("al_{i}"), "Acme", AlertKind::Deadline))
        .collect();
    Message {
        channel: 0,
        brand: "Acme".into(),
        alerts,
        digest: None,
    }
}

#[tokio::test]
async fn a_signed_webhook_is_retried_after_a_500_and_verifies() {
    let (base, r, _rx) = receiver(1).await;
    let ch = channel("ops", &base, true);
    sender()
        .deliver(&ch, &message(3), &|| chrono::Utc::now())
        .await
        .unwrap();
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one accepted delivery after the 500");
    let body = &got[0].2;
    assert_eq!(body["schema"], super::message::SCHEMA);
    assert_eq!(body["folded"], 2);
    assert_eq!(body["alerts"].as_array().unwrap().len(), 3);
    assert!(body["summary"]
        .as_str()
        .unwrap()
        .contains("and 2 more alerts"));
}

/// A receiver that never answers the first request: the sender's timeout
/// ends it, the next attempt is accepted, and the message counts once.
#[tokio::test]
async fn a_webhook_that_times_out_is_tried_again_and_accepted_once() {
    let (base, r, _rx) = receiver(0).await;
    let mut errors = crate::config::check::Errors::default();
    let raw: toml::Value =
        toml::from_str("allow_hosts = [\"127.0.0.1\"]\ntimeout = \"300ms\"").unwrap();
    let settings = crate::source::http::config::HttpSettings::build(Some(raw), &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    let mut s = sender();
    s.http = HttpClient::new(&settings).unwrap();
    let mut ch = channel("ops", &base, false);
    ch.kind = ChannelKind::Slack {
        url: Secret::new(format!("{base}/stall")),
    };
    s.deliver(&ch, &message(1), &|| chrono::Utc::now())
        .await
        .unwrap();
    assert!(r.stall_tries.load(Ordering::SeqCst) >= 2, "tried again");
    let got = r.got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "accepted once");
    assert_eq!(got[0].0, "/stall");
}

#[tokio::test]
async fn a_webhook_under_a_wrong_key_is_refused_and_not_retried() {
    let (base, r, _rx) = receiver(0).await;
    let mut ch = channel("ops", &base, true);
    ch.kind = ChannelKind::Webhook {
        url: Secret::new(format!("{base}/hook")),
        key: Secret::new("another key"),
    };
    let err = sender()
        .deliver(&ch, &message(1), &|| chrono::Utc::now())
        .await
        .unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("HTTP 401 after 1 attempt"), "{shown}");
    assert!(!shown.contains("/hook"), "the URL is a secret: {shown}");
    assert!(r.got.lock().unwrap().is_empty());
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed() {
    let (base, _r, _rx) = receiver(0).await;
    let s = Sender::new(HttpClient::new(&Default::default()).unwrap());
    let err = s
        .deliver(&channel("ops", &base, false), &message(1), &|| {
            chrono::Utc::now()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("SSRF guard"), "{err}");
}

fn route() -> crate::route::config::RouteConfig {
    let text = r#"
default_queue = "support"
[[queues]]
name = "support"
[[rules]]
name = "all-acme"
queue = "support"
brand = ["Acme"]
escalate = true
"#;
    crate::route::config::validate(toml::from_str(text).unwrap()).unwrap()
}

fn record(id: &str) -> Record {
    let mut fb = feedback();
    fb.id = id.into();
    Record::Feedback(fb)
}

/// The desk's store, telling the test when a delivery was recorded.
struct Recorded(Arc<Desk>, mpsc::UnboundedSender<Vec<String>>);

impl Store for Recorded {
    fn delivered(&self, ids: &[String], channel: &str) -> Result<(), String> {
        self.0.delivered(ids, channel)?;
        let _ = self.1.send(ids.to_vec());
        Ok(())
    }
}

/// Opens the desk in `dir` and starts its notifier on `cfg`.
fn start(
    dir: &std::path::Path,
    cfg: NotifyConfig,
) -> (
    Arc<Desk>,
    mpsc::UnboundedReceiver<Vec<String>>,
    CancellationToken,
    tokio::task::JoinHandle<()>,
) {
    let desk = Arc::new(Desk::open(route(), dir).unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    desk.notify_to(tx);
    let (rec_tx, rec_rx) = mpsc::unbounded_channel();
    let store = Arc::new(Recorded(desk.clone(), rec_tx));
    let stop = CancellationToken::new();
    let task = tokio::spawn(run(
        cfg,
        sender(),
        desk.take_backlog(),
        rx,
        store,
        Clock::start(),
        stop.clone(),
    ));
    (desk, rec_rx, stop, task)
}

/// An alert the channel refused is sent after a restart; one it accepted
/// is not sent again.
#[tokio::test]
async fn a_restart_sends_what_was_refused_and_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    // Three attempts, all answered 500: not delivered.
    let (base, r, mut got) = receiver(3).await;
    let cfg = NotifyConfig {
        channels: vec![channel("ops", &base, false)],
    };
    let (desk, _rec, stop, task) = start(dir.path(), cfg.clone());
    desk.accept(&[record("fb_1")], chrono::Utc::now()).unwrap();
    // The refusals are facts the receiver counted.
    while r.fail_first.load(Ordering::SeqCst) > 0 {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    stop.cancel();
    task.await.unwrap();
    drop(desk);
    assert!(r.got.lock().unwrap().is_empty());

    // Restarted: the stored alert goes out, once.
    let (desk, mut rec, stop, task) = start(dir.path(), cfg.clone());
    let (path, _, body) = got.recv().await.unwrap();
    assert_eq!(path, "/slack");
    assert!(
        body["text"]
            .as_str()
            .unwrap()
            .starts_with("[immediate] Acme:"),
        "{body}"
    );
    assert_eq!(body["blocks"][0]["type"], "section");
    assert_eq!(body["blocks"][0]["text"]["type"], "mrkdwn");
    let ids = rec.recv().await.unwrap();
    assert_eq!(ids.len(), 1);
    stop.cancel();
    task.await.unwrap();
    drop(desk);

    // Restarted again: nothing is due, and a new alert is the only message.
    let (desk, mut rec, stop, task) = start(dir.path(), cfg);
    desk.accept(&[record("fb_2")], chrono::Utc::now()).unwrap();
    let next = rec.recv().await.unwrap();
    assert_ne!(next, ids);
    stop.cancel();
    task.await.unwrap();
    assert_eq!(r.got.lock().unwrap().len(), 2, "each alert delivered once");
}
