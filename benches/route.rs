//! Routed records per second through one `earshot route` instance, end to
//! end on librdkafka's in-process mock cluster: feedback produced up front,
//! then the time from start until every record is in its queue topic
//! (consuming, deciding, producing routed records and changelog entries,
//! committing offsets). Prints the figure; asserts nothing.
//!
//!     cargo bench --bench route [-- N]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, TopicPartitionList};
use tokio_util::sync::CancellationToken;

use earshot::config::KafkaConfig;
use earshot::route::config::validate;
use earshot::route::consumer::{run, Options};
use earshot::sink::kafka::{KafkaSink, Outgoing};

#[path = "../tests/common/mock.rs"]
mod mock;

const PARTITIONS: i32 = 6;

fn feedback(n: usize) -> serde_json::Value {
    let negative = n % 5 == 0;
    serde_json::json!({
        "schema": "earshot.feedback/1", "id": format!("fb_{n:032x}"), "event": "created",
        "revision": "r1", "brand": if n % 3 == 0 { "Acme" } else { "Globex" },
        "products": if n % 4 == 0 { vec!["Acme Cloud"] } else { vec![] },
        "terms": ["acme"], "intents": [],
        "sentiment": {"score": if negative { -0.7 } else { 0.3 }, "label": if negative { "negative" } else { "positive" }},
        "item_sentiment": {"score": 0.0, "label": "neutral"},
        "excerpt": format!("Post {n}: Acme Cloud is fine, mostly."),
        "url": format!("https://blog.example/{n}"),
        "source": {"pipeline": "bench", "id": "blog", "platform": "web"},
        "item_key": format!("k{n}"), "lang": "en", "observed": "2026-11-22T10:00:00Z",
        "author_followers": (n * 37) % 20_000,
        "status": "open", "priority": "normal", "priority_reason": "bench"
    })
}

/// Messages in `topic` now, across partitions.
fn count(consumer: &BaseConsumer, topic: &str) -> i64 {
    (0..PARTITIONS)
        .map(|p| {
            let (lo, hi) = consumer
                .fetch_watermarks(topic, p, Duration::from_secs(5))
                .unwrap();
            hi - lo
        })
        .sum()
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this
    // too, as a quick smoke run on a tenth of the data.
    let full = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if full { 20_000 } else { 2_000 });
    let bootstrap = mock::cluster().bootstrap.clone();
    let cfg = validate(
        toml::from_str(
            r#"
feedback_topic = "b.feedback"
status_topic = "b.status"
alerts_topic = "b.alerts"
changelog_topic = "b.deadlines"
default_queue = "triage"
[[queues]]
name = "triage"
topic = "b.q.triage"
deadline = "4h"
[[queues]]
name = "pm"
topic = "b.q.pm"
deadline = "4h"
[[queues]]
name = "pr"
topic = "b.q.pr"
deadline = "1h"
[[rules]]
name = "loud"
queue = "pr"
max_score = -0.5
min_followers = 10000
escalate = true
[[rules]]
name = "cloud"
queue = "pm"
product = ["acme cloud"]
"#,
        )
        .unwrap(),
    )
    .unwrap();
    for t in [
        "b.feedback",
        "b.status",
        "b.alerts",
        "b.deadlines",
        "b.q.triage",
        "b.q.pm",
        "b.q.pr",
    ] {
        mock::create_topic(t, PARTITIONS);
    }
    let kafka = KafkaConfig {
        brokers: bootstrap.clone(),
        feedback_topic: "b.feedback".into(),
        influencer_topic: "unused".into(),
        properties: BTreeMap::new(),
        broker_wait: KafkaConfig::DEFAULT_BROKER_WAIT,
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let sink = KafkaSink::new(&kafka, "bench").unwrap();
        let msgs = (0..n)
            .map(|i| Outgoing {
                topic: "b.feedback".into(),
                key: format!("fb_{i:032x}"),
                payload: Some(serde_json::to_vec(&feedback(i)).unwrap()),
                headers: Default::default(),
                partition: None,
            })
            .collect();
        sink.send_messages(msgs).await.unwrap();
        sink.flush().await.unwrap();

        let watcher: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("group.id", "bench-watch")
            .create()
            .unwrap();
        let _ = watcher.assign(&TopicPartitionList::new());
        let token = CancellationToken::new();
        let (t, c, k) = (token.clone(), cfg.clone(), kafka.clone());
        let started = Instant::now();
        let handle = tokio::spawn(async move { run(c, &k, Options::default(), t).await });
        // Bounded: gives up after two minutes.
        let limit = started + Duration::from_secs(120);
        loop {
            let routed: i64 = ["b.q.triage", "b.q.pm", "b.q.pr"]
                .iter()
                .map(|t| count(&watcher, t))
                .sum();
            if routed as usize >= n || Instant::now() > limit {
                let secs = started.elapsed().as_secs_f64();
                println!(
                    "route: {routed} of {n} feedback records routed in {secs:.2} s = {:.0} records/s through one instance ({} partitions, batches of {})",
                    routed as f64 / secs,
                    PARTITIONS,
                    Options::default().batch
                );
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        token.cancel();
        let stats = handle.await.unwrap().unwrap();
        println!("route: {stats:?}");
    });
}
