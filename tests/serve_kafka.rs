//! `earshot serve` on Kafka (librdkafka's mock cluster): feedback filed in
//! the workspace travels the feedback topic, `earshot route` and a queue
//! topic back into the workspace's view; a status set in the workspace is
//! consumed by route and stops its escalation; a second instance builds
//! the same view from the topics.

#[path = "common/mock.rs"]
mod mock;

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use earshot::cli::serve::{open, start_kafka, Options};
use earshot::serve::http::App;
use mock::{cluster, create_topic};

const TOKEN: &str = "kafka-test-token";

fn pipeline(dir: &std::path::Path) -> earshot::config::Pipeline {
    let feed = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/feeds/rss2.xml");
    let text = format!(
        r#"
name = "serve-kafka"
state_dir = "{state}"

[[sources]]
id = "unused"
type = "feed"
url = "file://{feed}"

[[brands]]
name = "Acme"
query = "acme"

[sink]
type = "kafka"
brokers = "{brokers}"
feedback_topic = "sk.feedback"
influencer_topic = "sk.influencers"

[sink.properties]
"message.timeout.ms" = "10000"

[route]
feedback_topic = "sk.feedback"
status_topic = "sk.status"
alerts_topic = "sk.alerts"
changelog_topic = "sk.deadlines"
group = "sk-route"
default_queue = "community"

[[route.queues]]
name = "support"
topic = "sk.queue.support"
deadline = "4s"

[[route.queues]]
name = "community"
topic = "sk.queue.community"

[[route.rules]]
name = "complaints"
queue = "support"
intent = ["complaint"]

[serve]
activity_topic = "sk.activity"
"#,
        state = dir.join("state").display(),
        feed = feed.display(),
        brokers = cluster().bootstrap,
    );
    earshot::config::load_str(&text, &dir.join("p.toml"), &|_| None)
        .unwrap_or_else(|e| panic!("{e}"))
}

struct Instance {
    base: String,
    app: Arc<App>,
    _dir: tempfile::TempDir,
}

async fn instance(stop: &CancellationToken) -> Instance {
    let dir = tempfile::tempdir().unwrap();
    let opts = Options {
        listen: None,
        grace: Duration::from_secs(5),
        session_key: None,
        api_token: Some(TOKEN.into()),
    };
    let (app, _) = open(pipeline(dir.path()), &opts).unwrap();
    start_kafka(&app, stop.clone()).expect("a Kafka workspace");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(earshot::serve::http::serve(
        app.clone(),
        listener,
        stop.clone(),
    ));
    Instance {
        base,
        app,
        _dir: dir,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn call(i: &Instance, m: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut r = client()
        .request(m, format!("{}{path}", i.base))
        .bearer_auth(TOKEN);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn waiting_ids(i: &Instance, queue: &str) -> Vec<String> {
    let (_, v) = call(i, Method::GET, &format!("/api/queues/{queue}"), None).await;
    v["items"].as_array().map_or(Vec::new(), |a| {
        a.iter()
            .map(|x| x["id"].as_str().unwrap().to_string())
            .collect()
    })
}

/// Waits, at most 30 s, for `fact` to hold.
async fn until<F, Fut>(what: &str, mut fact: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !fact().await {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "within 30 s: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn deadline_alerts(app: &App) -> Vec<String> {
    app.desk.read(|v| {
        v.alerts()
            .filter(|a| a.kind == earshot::route::records::AlertKind::Deadline)
            .filter_map(|a| a.feedback_id.clone())
            .collect()
    })
}

#[tokio::test]
async fn workspace_and_route_share_one_stream_on_kafka() {
    for (t, n) in [
        ("sk.feedback", 2),
        ("sk.status", 2),
        ("sk.deadlines", 2),
        ("sk.alerts", 1),
        ("sk.influencers", 1),
        ("sk.queue.support", 1),
        ("sk.queue.community", 1),
        ("sk.activity", 1),
    ] {
        create_topic(t, n);
    }
    let stop = CancellationToken::new();
    let first = instance(&stop).await;
    let route_cfg = first.app.engine.pipeline.route.clone().unwrap();
    let earshot::config::SinkConfig::Kafka(kafka) = first.app.engine.pipeline.sink.clone() else {
        unreachable!()
    };
    let opts = earshot::route::consumer::Options {
        check_every: Duration::from_millis(200),
        instance: "serve-kafka-test".into(),
        ..Default::default()
    };
    let route_stop = stop.clone();
    let routing = tokio::spawn(async move {
        earshot::route::consumer::run(route_cfg, &kafka, opts, route_stop).await
    });

    let mut ids = Vec::new();
    for text in [
        "Acme support keeps failing me, the app is broken again.",
        "Acme billing is broken and useless, terrible experience.",
    ] {
        let (s, v) = call(
            &first,
            Method::POST,
            "/api/feedback",
            Some(json!({"text": text, "kind": "anecdote"})),
        )
        .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    let (acked, stalled) = (ids[0].clone(), ids[1].clone());
    until(
        "route routed both into support, seen by the workspace",
        || async {
            let w = waiting_ids(&first, "support").await;
            w.contains(&acked) && w.contains(&stalled)
        },
    )
    .await;
    let (_, case) = call(&first, Method::GET, &format!("/api/feedback/{acked}"), None).await;
    let kinds: Vec<&str> = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["routed", "filed"],
        "the filing note joined the routed case"
    );

    let (s, _) = call(
        &first,
        Method::POST,
        &format!("/api/feedback/{acked}/status"),
        Some(json!({"status": "acknowledged"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        waiting_ids(&first, "support").await,
        [stalled.clone()],
        "at once in this instance"
    );

    until(
        "the stalled one is escalated by route's deadline",
        || async { deadline_alerts(&first.app).contains(&stalled) },
    )
    .await;
    // Both had the same deadline; the acknowledged one was never escalated.
    assert_eq!(deadline_alerts(&first.app), [stalled.clone()]);

    // A second instance behind the same load balancer sees the same.
    let second = instance(&stop).await;
    until("the second instance replays the topics", || async {
        waiting_ids(&second, "support").await == [stalled.clone()]
            && deadline_alerts(&second.app) == [stalled.clone()]
    })
    .await;
    let (_, case) = call(
        &second,
        Method::GET,
        &format!("/api/feedback/{acked}"),
        None,
    )
    .await;
    assert_eq!(case["state"], "acknowledged");
    let last = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|h| h["kind"] == "status")
        .unwrap()
        .clone();
    assert_eq!(last["by"], "api");

    stop.cancel();
    routing.await.unwrap().unwrap();
}
