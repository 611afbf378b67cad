//! End to end: the `earshot serve` and `earshot route` binaries against a
//! separate Kafka-protocol broker (Tansu). Feedback filed in the workspace
//! travels the feedback topic, route and a queue topic back into the
//! workspace; an acknowledgement made there reaches route as a status
//! event, and the acknowledged feedback leaves the waiting list. Needs the
//! `tansu` executable (see `scripts/test`).

#[allow(dead_code)]
mod common;
mod e2e;

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use e2e::broker::Broker;
use e2e::earshot::Earshot;

const TOKEN: &str = "e2e-serve-token";

fn pipeline(dir: &std::path::Path, brokers: &str) -> std::path::PathBuf {
    let feed = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/feeds/rss2.xml");
    let text = format!(
        r#"
name = "e2e-serve"
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
feedback_topic = "es.feedback"
influencer_topic = "es.influencers"

[route]
feedback_topic = "es.feedback"
status_topic = "es.status"
alerts_topic = "es.alerts"
changelog_topic = "es.deadlines"
group = "es-route"
default_queue = "support"

[[route.queues]]
name = "support"
topic = "es.queue.support"
deadline = "1h"

[serve]
activity_topic = "es.activity"
"#,
        state = dir.join("state").display(),
        feed = feed.display(),
    );
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, text).unwrap();
    path
}

async fn call(
    base: &str,
    m: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Option<(u16, Value)> {
    let c = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut r = c.request(m, format!("{base}{path}")).bearer_auth(TOKEN);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.ok()?;
    let s = r.status().as_u16();
    Some((s, r.json().await.unwrap_or(Value::Null)))
}

async fn until(what: &str, within: Duration, mut fact: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !fact().await {
        assert!(start.elapsed() < within, "within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn waiting(base: &str) -> Vec<String> {
    match call(base, reqwest::Method::GET, "/api/queues/support", None).await {
        Some((200, v)) => v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect(),
        _ => Vec::new(),
    }
}

#[tokio::test]
async fn feedback_filed_in_the_workspace_is_routed_by_route_and_worked_there() {
    let dir = tempfile::tempdir().unwrap();
    let broker = Broker::start(dir.path());
    for t in ["es.feedback", "es.status", "es.deadlines"] {
        broker.create_topic(t, 2);
    }
    for t in [
        "es.alerts",
        "es.influencers",
        "es.queue.support",
        "es.activity",
    ] {
        broker.create_topic(t, 1);
    }
    let p = pipeline(dir.path(), &broker.bootstrap());
    let p = p.to_str().unwrap();
    let port = e2e::free_port();
    let listen = format!("127.0.0.1:{port}");
    let base = format!("http://{listen}");
    let _route = Earshot::spawn(
        dir.path(),
        "route",
        &["route", "-p", p, "--instance", "e2e", "--check-every", "1s"],
    );
    let mut serve = Earshot::spawn_env(
        dir.path(),
        "serve",
        &["serve", "-p", p, "--listen", &listen],
        &[("EARSHOT_API_TOKEN", TOKEN)],
    );
    until("serve answers", Duration::from_secs(20), async || {
        call(&base, reqwest::Method::GET, "/api/queues", None)
            .await
            .is_some_and(|(s, _)| s == 200)
    })
    .await;

    let (s, v) = call(
        &base,
        reqwest::Method::POST,
        "/api/feedback",
        Some(
            json!({"text": "Acme Cloud lost my files twice this week.", "kind": "post",
                    "influencer": {"screen_name": "Rant112", "url": "https://rant112.example/"}}),
        ),
    )
    .await
    .unwrap();
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    until(
        "routed by route, mirrored by serve",
        Duration::from_secs(60),
        async || waiting(&base).await.contains(&id),
    )
    .await;
    let (_, case) = call(
        &base,
        reqwest::Method::GET,
        &format!("/api/feedback/{id}"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        case["influencer"]["name"], "Rant112",
        "the influencer topic too: {case}"
    );

    let (s, _) = call(
        &base,
        reqwest::Method::POST,
        &format!("/api/feedback/{id}/status"),
        Some(json!({"status": "acknowledged", "note": "Calling them."})),
    )
    .await
    .unwrap();
    assert_eq!(s, 200);
    assert!(!waiting(&base).await.contains(&id));

    // Restarted on a fresh state dir, serve rebuilds the same view from the
    // topics: the status event is on the status topic, where route reads it.
    serve.sigterm();
    assert!(
        serve.wait(Duration::from_secs(20)).success(),
        "{}",
        serve.log()
    );
    let fresh = tempfile::tempdir().unwrap();
    let p2 = pipeline(fresh.path(), &broker.bootstrap());
    let _serve2 = Earshot::spawn_env(
        dir.path(),
        "serve2",
        &["serve", "-p", p2.to_str().unwrap(), "--listen", &listen],
        &[("EARSHOT_API_TOKEN", TOKEN)],
    );
    until(
        "the new instance has the acknowledged case",
        Duration::from_secs(60),
        async || match call(
            &base,
            reqwest::Method::GET,
            &format!("/api/feedback/{id}"),
            None,
        )
        .await
        {
            Some((200, c)) => c["state"] == "acknowledged",
            _ => false,
        },
    )
    .await;
    assert!(!waiting(&base).await.contains(&id));
}
