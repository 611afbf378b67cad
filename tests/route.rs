//! `earshot route` against a real Kafka-protocol broker: librdkafka's
//! in-process mock cluster, with the group's initial rebalance delay at 0
//! so that instances join at once. One cluster serves every test of this
//! binary; each test has its own topics and consumer group.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Message, TopicPartitionList};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use earshot::config::KafkaConfig;

#[path = "common/mock.rs"]
mod mock;
use earshot::record::FeedbackRecord;
use earshot::route::config::{validate, RouteConfig};
use earshot::route::consumer::{run, Options, Stats};
use earshot::route::exposed::Observer;
use earshot::sink::kafka::{client_config, KafkaSink, Outgoing};
use mock::{cluster, create_topic, wait_owned};

const PARTITIONS: i32 = 4;

fn kafka() -> KafkaConfig {
    KafkaConfig {
        brokers: cluster().bootstrap.clone(),
        feedback_topic: "unused".into(),
        influencer_topic: "unused".into(),
        broker_wait: KafkaConfig::DEFAULT_BROKER_WAIT,
        properties: BTreeMap::from([
            ("message.timeout.ms".to_string(), "10000".to_string()),
            (
                "consumer.session.timeout.ms".to_string(),
                "6000".to_string(),
            ),
            (
                "consumer.heartbeat.interval.ms".to_string(),
                "500".to_string(),
            ),
        ]),
    }
}

/// A `[route]` section over topics named after the test, all created.
fn route_config(test: &str, extra: &str) -> RouteConfig {
    let text = format!(
        r#"
feedback_topic = "{test}.feedback"
status_topic = "{test}.status"
alerts_topic = "{test}.alerts"
changelog_topic = "{test}.deadlines"
group = "{test}-group"
default_queue = "triage"
{extra}
"#
    );
    let mut cfg = validate(toml::from_str(&text).unwrap()).expect("valid route section");
    for q in &mut cfg.queues {
        q.topic = format!("{test}.queue.{}", q.name);
    }
    for t in [
        &cfg.feedback_topic,
        &cfg.status_topic,
        &cfg.alerts_topic,
        &cfg.changelog_topic,
    ] {
        create_topic(t, PARTITIONS);
    }
    for q in &cfg.queues {
        create_topic(&q.topic, PARTITIONS);
    }
    cfg
}

/// A feedback record as the pipeline makes them, with `over` changed.
fn feedback(n: usize, over: Value) -> FeedbackRecord {
    let mut v = json!({
        "schema": "earshot.feedback/1",
        "id": format!("fb_{n:032x}"),
        "event": "created",
        "revision": "r1",
        "brand": "Acme",
        "products": [],
        "terms": ["acme"],
        "intents": [],
        "sentiment": {"score": 0.1, "label": "positive"},
        "item_sentiment": {"score": 0.1, "label": "positive"},
        "excerpt": format!("Post {n} about Acme."),
        "url": format!("https://blog.example/{n}"),
        "source": {"pipeline": "t", "id": "blog", "platform": "web"},
        "item_key": format!("k{n}"),
        "lang": "en",
        "observed": "2026-11-22T10:00:00Z",
        "status": "open",
        "priority": "normal",
        "priority_reason": "neutral",
    });
    for (k, val) in over.as_object().unwrap() {
        v[k] = val.clone();
    }
    serde_json::from_value(v).unwrap()
}

/// Produces values keyed by `key`, with the pipeline's own producer
/// settings (so keys hash as the sink's and a CRM's would).
async fn produce(topic: &str, messages: Vec<(String, Value)>) {
    let sink = KafkaSink::new(&kafka(), "test").unwrap();
    let out = messages
        .into_iter()
        .map(|(key, v)| Outgoing {
            topic: topic.into(),
            key,
            payload: Some(serde_json::to_vec(&v).unwrap()),
            headers: Default::default(),
            partition: None,
        })
        .collect();
    sink.send_messages(out).await.unwrap();
    sink.flush().await.unwrap();
}

async fn produce_feedback(cfg: &RouteConfig, records: &[FeedbackRecord]) {
    let msgs = records
        .iter()
        .map(|r| (r.id.clone(), serde_json::to_value(r).unwrap()))
        .collect();
    produce(&cfg.feedback_topic, msgs).await;
}

/// Every (key, value) in `topic`, read from the start until `expect` came
/// or `wait` passed.
///
/// It blocks, so it hands its runtime worker over first: a router task
/// parked in a blocked worker's next-task slot could not be stolen by the
/// other worker, and its partitions would stall for the whole wait.
fn read(topic: &str, expect: usize, wait: Duration) -> Vec<(String, Value)> {
    tokio::task::block_in_place(|| read_blocking(topic, expect, wait))
}

fn read_blocking(topic: &str, expect: usize, wait: Duration) -> Vec<(String, Value)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &cluster().bootstrap)
        .set("group.id", "test-reader")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(topic, p, rdkafka::Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + wait;
    while out.len() < expect && Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
            let key = String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned();
            let value = m
                .payload()
                .map(|p| serde_json::from_slice(p).unwrap())
                .unwrap_or(Value::Null);
            out.push((key, value));
        }
    }
    out
}

fn options(instance: &str) -> Options {
    Options {
        check_every: Duration::from_millis(100),
        instance: instance.into(),
        ..Options::default()
    }
}

fn start(cfg: &RouteConfig, instance: &str) -> (CancellationToken, tokio::task::JoinHandle<Stats>) {
    start_observed(cfg, instance, Observer::default())
}

fn start_observed(
    cfg: &RouteConfig,
    instance: &str,
    observer: Observer,
) -> (CancellationToken, tokio::task::JoinHandle<Stats>) {
    let token = CancellationToken::new();
    let (cfg, t) = (cfg.clone(), token.clone());
    let opts = Options {
        observer,
        ..options(instance)
    };
    let handle =
        tokio::spawn(async move { run(cfg, &kafka(), opts, t).await.expect("route runs") });
    (token, handle)
}

const RULES: &str = r#"
[[queues]]
name = "triage"
[[queues]]
name = "pm-cloud"
[[queues]]
name = "support"
[[queues]]
name = "pr"
[[queues]]
name = "growth"
[[queues]]
name = "intl"

[[rules]]
name = "loud-and-angry"
queue = "pr"
max_score = -0.5
min_followers = 10000
escalate = true

[[rules]]
name = "cloud"
queue = "pm-cloud"
product = ["acme cloud"]

[[rules]]
name = "churn"
queue = "support"
intent = ["churn_risk"]

[[rules]]
name = "urgent"
queue = "support"
priority = "urgent"

[[rules]]
name = "buyers"
queue = "growth"
intent = ["purchase_intent"]
platform = ["reddit", "hackernews"]

[[rules]]
name = "german"
queue = "intl"
lang = ["de"]
source = ["blog"]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_of_condition_routes_and_the_loud_and_angry_escalate_at_once() {
    let cfg = route_config("conds", RULES);
    let intent = |i: &str| json!([{"intent": i, "cues": ["x"]}]);
    let cases: Vec<(FeedbackRecord, &str, Option<&str>)> = vec![
        (
            feedback(
                1,
                json!({"sentiment": {"score": -0.8, "label": "negative"}, "author_followers": 50000}),
            ),
            "pr",
            Some("loud-and-angry"),
        ),
        // As angry but a small audience: falls through to later rules.
        (
            feedback(
                2,
                json!({"sentiment": {"score": -0.8, "label": "negative"}, "author_followers": 12, "products": ["Acme Cloud"]}),
            ),
            "pm-cloud",
            Some("cloud"),
        ),
        (
            feedback(3, json!({"intents": intent("churn_risk")})),
            "support",
            Some("churn"),
        ),
        (
            feedback(4, json!({"priority": "urgent"})),
            "support",
            Some("urgent"),
        ),
        (
            feedback(
                5,
                json!({"intents": intent("purchase_intent"), "source": {"pipeline": "t", "id": "r", "platform": "reddit"}}),
            ),
            "growth",
            Some("buyers"),
        ),
        // The same intent on the web is not for growth.
        (
            feedback(6, json!({"intents": intent("purchase_intent")})),
            "triage",
            None,
        ),
        (feedback(7, json!({"lang": "de"})), "intl", Some("german")),
        (feedback(8, json!({})), "triage", None),
    ];
    let records: Vec<FeedbackRecord> = cases.iter().map(|c| c.0.clone()).collect();
    produce_feedback(&cfg, &records).await;
    let (stop, handle) = start(&cfg, "a");

    let mut got: HashMap<String, (String, Option<String>)> = HashMap::new();
    for q in &cfg.queues {
        let want = cases.iter().filter(|c| c.1 == q.name).count();
        for (key, v) in read(&q.topic, want, Duration::from_secs(20)) {
            assert_eq!(v["id"].as_str(), Some(key.as_str()), "keyed by feedback id");
            assert!(v["routing"]["routed_at"].is_string());
            let rule = v["routing"]["rule"].as_str().map(str::to_string);
            got.insert(key, (q.name.clone(), rule));
        }
    }
    for (fb, queue, rule) in &cases {
        assert_eq!(
            got.get(&fb.id),
            Some(&(queue.to_string(), rule.map(str::to_string))),
            "feedback {} (excerpt {:?})",
            fb.id,
            fb.excerpt
        );
    }
    let alerts = read(&cfg.alerts_topic, 1, Duration::from_secs(10));
    assert_eq!(
        alerts.len(),
        1,
        "only the loud and angry escalate: {alerts:?}"
    );
    assert_eq!(alerts[0].1["kind"], "immediate");
    assert_eq!(
        alerts[0].1["feedback_id"].as_str(),
        Some(cases[0].0.id.as_str())
    );
    stop.cancel();
    let stats = handle.await.unwrap();
    assert_eq!(stats.routed, cases.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_feedback_escalates_at_its_deadline_and_acknowledged_never_does() {
    let cfg = route_config(
        "deadline",
        r#"
[[queues]]
name = "triage"
deadline = "1s"
"#,
    );
    let (stalled, acked) = (feedback(1, json!({})), feedback(2, json!({})));
    // The CRM acknowledges one at once (its status may even come first).
    produce(
        &cfg.status_topic,
        vec![(
            acked.id.clone(),
            json!({"feedback_id": acked.id, "status": "acknowledged", "at": chrono::Utc::now(), "by": "pm@acme.example"}),
        )],
    )
    .await;
    produce_feedback(&cfg, &[stalled.clone(), acked.clone()]).await;
    let (stop, handle) = start(&cfg, "a");
    let alerts = read(&cfg.alerts_topic, 1, Duration::from_secs(40));
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].1["kind"], "deadline");
    assert_eq!(
        alerts[0].1["feedback_id"].as_str(),
        Some(stalled.id.as_str())
    );
    // Well past the acknowledged one's deadline: still one alert only.
    tokio::time::sleep(Duration::from_secs(2)).await;
    // (A reader needs a moment to fetch even what is there: give it 5 s.)
    let alerts = read(&cfg.alerts_topic, 2, Duration::from_secs(5));
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    stop.cancel();
    let stats = handle.await.unwrap();
    assert_eq!((stats.routed, stats.deadline), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_mid_stream_routes_every_feedback_exactly_once() {
    let cfg = route_config("restart", "[[queues]]\nname = \"triage\"\n");
    let records: Vec<FeedbackRecord> = (0..400).map(|n| feedback(n, json!({}))).collect();
    produce_feedback(&cfg, &records[..200]).await;
    let (stop, first) = start(&cfg, "a");
    let topic = cfg.queues[0].topic.clone();
    assert!(read(&topic, 50, Duration::from_secs(20)).len() >= 50);
    // Stop the first instance while the stream is still coming.
    produce_feedback(&cfg, &records[200..300]).await;
    stop.cancel();
    let first = first.await.unwrap();
    assert!(first.routed >= 50, "{first:?}");
    produce_feedback(&cfg, &records[300..]).await;
    let (stop, second) = start(&cfg, "b");
    let topic = &topic;
    let routed = read(topic, 400, Duration::from_secs(30));
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.cancel();
    let second = second.await.unwrap();
    let keys: HashSet<&str> = routed.iter().map(|(k, _)| k.as_str()).collect();
    let want: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(keys, want, "every feedback routed");
    let all = read(topic, 401, Duration::from_secs(8));
    assert_eq!(all.len(), 400, "and none twice");
    assert_eq!(first.routed + second.routed, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_partitions_and_one_finishes_alone() {
    let cfg = route_config("pair", "[[queues]]\nname = \"triage\"\n");
    let topic = cfg.queues[0].topic.clone();
    let (obs_a, obs_b) = (Observer::default(), Observer::default());
    let (stop_a, a) = start_observed(&cfg, "a", obs_a.clone());
    let (stop_b, b) = start_observed(&cfg, "b", obs_b.clone());
    // Both own their half before the stream starts, so that no rebalance
    // falls in the middle of it.
    wait_owned(&[(&obs_a, 2), (&obs_b, 2)], &cfg.feedback_topic).await;
    let records: Vec<FeedbackRecord> = (0..300).map(|n| feedback(n, json!({}))).collect();
    produce_feedback(&cfg, &records[..150]).await;
    assert_eq!(read(&topic, 150, Duration::from_secs(20)).len(), 150);
    // One instance goes; the other takes its partitions over.
    stop_a.cancel();
    let a = a.await.unwrap();
    produce_feedback(&cfg, &records[150..]).await;
    let routed = read(&topic, 300, Duration::from_secs(30));
    stop_b.cancel();
    let b = b.await.unwrap();
    let keys: HashSet<&str> = routed.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys.len(), 300, "the survivor finished the work");
    assert_eq!(routed.len(), 300, "nothing routed twice");
    assert!(
        a.routed > 0 && b.routed > 0,
        "both shared the work: {a:?} {b:?}"
    );
    assert_eq!(a.routed + b.routed, 300);
}

#[test]
fn topics_that_are_not_co_partitioned_are_refused_with_their_counts() {
    let cfg = route_config("copart", "[[queues]]\nname = \"triage\"\n");
    create_topic("copart.other-status", 2);
    let cfg = RouteConfig {
        status_topic: "copart.other-status".into(),
        ..cfg
    };
    let consumer: BaseConsumer = client_config(&kafka(), "t").create().unwrap();
    let err = earshot::route::consumer::check_partitions(&consumer, &cfg)
        .unwrap_err()
        .to_string();
    assert!(err.contains("copart.other-status=2"), "{err}");
    assert!(err.contains("copart.feedback=4"), "{err}");
}
