//! `earshot route`'s `/healthz` and `/metrics` against librdkafka's mock
//! cluster: the consumer group's lag per partition comes from librdkafka's
//! statistics, is 0 once everything is routed and committed, and counts the
//! messages routed but not committed while the broker refuses commits.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use earshot::config::KafkaConfig;
use earshot::pipeline::exposition;
use earshot::route::config::validate;
use earshot::route::consumer::{run, Options};
use earshot::route::exposed::Observer;
use earshot::sink::kafka::{KafkaSink, Outgoing};

#[path = "common/mock.rs"]
mod mock;
use mock::{cluster, create_topic, fail_requests};

const PARTITIONS: i32 = 4;
/// Kafka's OffsetCommit API.
const OFFSET_COMMIT: i16 = 8;

fn kafka() -> KafkaConfig {
    let props = [
        ("message.timeout.ms", "10000"),
        ("consumer.session.timeout.ms", "6000"),
        ("consumer.heartbeat.interval.ms", "500"),
        ("consumer.statistics.interval.ms", "100"),
    ];
    KafkaConfig {
        brokers: cluster().bootstrap.clone(),
        feedback_topic: "unused".into(),
        influencer_topic: "unused".into(),
        broker_wait: KafkaConfig::DEFAULT_BROKER_WAIT,
        properties: props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn feedback(n: usize) -> Value {
    json!({
        "schema": "earshot.feedback/1", "id": format!("fb_{n:032x}"), "event": "created",
        "revision": "r1", "brand": "Acme", "products": [], "terms": ["acme"], "intents": [],
        "sentiment": {"score": 0.1, "label": "positive"},
        "item_sentiment": {"score": 0.1, "label": "positive"},
        "excerpt": format!("Post {n} about Acme."), "url": format!("https://blog.example/{n}"),
        "source": {"pipeline": "t", "id": "blog", "platform": "web"},
        "item_key": format!("k{n}"), "lang": "en", "observed": "2026-11-22T10:00:00Z",
        "status": "open", "priority": "normal", "priority_reason": "neutral",
    })
}

/// Produces feedback `n` to `partition` of `topic`, for each pair.
async fn produce(topic: &str, records: &[(usize, i32)]) {
    let sink = KafkaSink::new(&kafka(), "test").unwrap();
    let out = records
        .iter()
        .map(|&(n, partition)| Outgoing {
            topic: topic.into(),
            key: format!("fb_{n:032x}"),
            payload: Some(serde_json::to_vec(&feedback(n)).unwrap()),
            headers: Default::default(),
            partition: Some(partition),
        })
        .collect();
    sink.send_messages(out).await.unwrap();
    sink.flush().await.unwrap();
}

async fn get(addr: SocketAddr, path: &str) -> String {
    reqwest::get(format!("http://{addr}{path}"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// `earshot_route_consumer_lag` of the feedback topic, by partition.
async fn lag(addr: SocketAddr, topic: &str) -> BTreeMap<i32, i64> {
    let text = get(addr, "/metrics").await;
    let prefix = format!("earshot_route_consumer_lag{{topic=\"{topic}\",partition=\"");
    text.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|rest| {
            let (p, v) = rest.split_once("\"} ")?;
            Some((p.parse().ok()?, v.trim().parse().ok()?))
        })
        .collect()
}

async fn routed(addr: SocketAddr) -> Option<u64> {
    let text = get(addr, "/metrics").await;
    text.lines()
        .find_map(|l| l.strip_prefix("earshot_route_events_total{event=\"routed\"} "))
        .and_then(|v| v.trim().parse().ok())
}

/// Waits (bounded) until `fact` holds of what `probe` reads.
async fn until<T: std::fmt::Debug, F: std::future::Future<Output = T>>(
    what: &str,
    mut probe: impl FnMut() -> F,
    fact: impl Fn(&T) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let seen = probe().await;
        if fact(&seen) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}; last seen {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn consumer_lag_is_zero_once_committed_and_counts_what_is_not() {
    let t = "lag";
    let cfg = validate(
        toml::from_str(&format!(
            "feedback_topic = \"{t}.feedback\"\nstatus_topic = \"{t}.status\"\n\
             alerts_topic = \"{t}.alerts\"\nchangelog_topic = \"{t}.deadlines\"\n\
             group = \"{t}-group\"\ndefault_queue = \"triage\"\n\
             [[queues]]\nname = \"triage\"\ntopic = \"{t}.queue.triage\"\n"
        ))
        .unwrap(),
    )
    .expect("valid route section");
    for topic in [
        &cfg.feedback_topic,
        &cfg.status_topic,
        &cfg.alerts_topic,
        &cfg.changelog_topic,
        &cfg.queues[0].topic,
    ] {
        create_topic(topic, PARTITIONS);
    }

    let observer = Observer::default();
    let shutdown = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(exposition::serve(
        listener,
        observer.clone(),
        shutdown.clone(),
    ));
    let opts = Options {
        check_every: Duration::from_millis(100),
        instance: "lag".into(),
        observer,
        ..Options::default()
    };
    let (route_cfg, stop) = (cfg.clone(), shutdown.clone());
    let route = tokio::spawn(async move { run(route_cfg, &kafka(), opts, stop).await });

    // One record on every partition, routed and committed: no lag anywhere.
    let feedback_topic = cfg.feedback_topic.clone();
    produce(&feedback_topic, &[(0, 0), (1, 1), (2, 2), (3, 3)]).await;
    until("4 routed", || routed(addr), |n| *n == Some(4)).await;
    let all_zero = BTreeMap::from_iter((0..PARTITIONS).map(|p| (p, 0)));
    until("no lag", || lag(addr, &feedback_topic), |l| *l == all_zero).await;
    let health: Value = serde_json::from_str(&get(addr, "/healthz").await).unwrap();
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["consumer"]["lag_total"], 0, "{health}");

    // The broker refuses commits: what is routed now stays behind.
    fail_requests(
        OFFSET_COMMIT,
        1000,
        rdkafka_sys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE,
    );
    produce(
        &feedback_topic,
        &[(4, 0), (5, 0), (6, 1), (7, 2), (8, 3), (9, 3)],
    )
    .await;
    until("10 routed", || routed(addr), |n| *n == Some(10)).await;
    let want = BTreeMap::from([(0, 2), (1, 1), (2, 1), (3, 2)]);
    until(
        "lag of the uncommitted",
        || lag(addr, &feedback_topic),
        |l| *l == want,
    )
    .await;
    let health: Value = serde_json::from_str(&get(addr, "/healthz").await).unwrap();
    assert_eq!(health["consumer"]["lag_total"], 6, "{health}");
    promtool_accepts(&get(addr, "/metrics").await);
    assert_eq!(
        health["consumer"]["lag"][format!("{feedback_topic}[3]")],
        2,
        "{health}"
    );

    shutdown.cancel();
    route.await.unwrap().expect("route stopped cleanly");
}

/// Prometheus's own linter on the classic text format.
fn promtool_accepts(metrics: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package) is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}\n{metrics}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
