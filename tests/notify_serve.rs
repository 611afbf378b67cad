//! `earshot serve` embedded with `[notify]`: an alert raised while the
//! workspace takes in what the sink already held reaches a Slack-style
//! receiver of the test's own on 127.0.0.1, through the pipeline file's
//! `[http] allow_hosts`.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::post;
use earshot::cli::serve::{open, start_notifier, Options};
use earshot::route::decider::Clock;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

async fn slack(State(tx): State<Arc<mpsc::UnboundedSender<Value>>>, body: String) -> &'static str {
    let _ = tx.send(serde_json::from_str(&body).unwrap_or(Value::Null));
    "ok"
}

fn feedback_line() -> String {
    let v = json!({
        "schema": "earshot.feedback/1",
        "id": format!("fb_{:032x}", 7),
        "event": "created",
        "revision": "r1",
        "brand": "Acme",
        "products": [],
        "terms": ["acme"],
        "intents": [],
        "sentiment": {"score": -0.6, "label": "negative"},
        "item_sentiment": {"score": -0.6, "label": "negative"},
        "excerpt": "Acme lost my data.",
        "url": "https://blog.example/7",
        "source": {"pipeline": "t", "id": "blog", "platform": "web"},
        "item_key": "k7",
        "lang": "en",
        "observed": "2026-11-22T10:00:00Z",
        "status": "open",
        "priority": "high",
        "priority_reason": "negative",
    });
    format!("{v}\n")
}

#[tokio::test]
async fn an_alert_from_the_catch_up_reaches_the_channel() {
    let (tx, mut got) = mpsc::unbounded_channel();
    let app = axum::Router::new()
        .route("/hooks/ops", post(slack))
        .with_state(Arc::new(tx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hooks/ops", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    std::fs::write(&out, feedback_line()).unwrap();
    let text = format!(
        r#"
name = "notify-test"
state_dir = "{state}"

[http]
allow_hosts = ["127.0.0.1"]

[[sources]]
id = "blog"
type = "feed"
url = "file://{feed}"

[[brands]]
name = "Acme"
query = "acme"

[sink]
type = "jsonl"
path = "{out}"

[route]
default_queue = "support"
[[route.queues]]
name = "support"
[[route.rules]]
name = "negative-acme"
queue = "support"
brand = ["Acme"]
escalate = true

[[notify.channels]]
name = "ops"
type = "slack"
url_env = "OPS_HOOK"
kinds = ["immediate"]
"#,
        state = dir.path().join("state").display(),
        feed = dir.path().join("none.xml").display(),
        out = out.display(),
    );
    let env = move |name: &str| (name == "OPS_HOOK").then(|| hook.clone());
    let pipeline = earshot::config::load_str(&text, &dir.path().join("p.toml"), &env)
        .unwrap_or_else(|e| panic!("{e}"));
    let opts = Options {
        listen: None,
        grace: std::time::Duration::from_secs(5),
        session_key: Some("a session key of thirty-two characters or more".into()),
        api_token: Some("test-api-token-0123456789".into()),
    };
    let (app, _) = open(pipeline, &opts).unwrap();
    let stop = CancellationToken::new();
    let task = start_notifier(&app, Clock::start(), stop.clone()).expect("a notifier runs");
    let body = got.recv().await.unwrap();
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("[immediate] Acme:"), "{body}");
    assert!(text.contains("negative-acme"), "{body}");
    stop.cancel();
    task.await.unwrap();
}
