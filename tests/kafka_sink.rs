//! The Kafka sink against a real Kafka-protocol broker: librdkafka's
//! in-process mock cluster. One cluster serves every test of this binary.
//! Records the broker refuses for good (here: larger than the producer's
//! `message.max.bytes`) go to the dead-letter topic or file, and the rest
//! of their batch is delivered and committed.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use rdkafka::{ClientConfig, Message, TopicPartitionList};

use earshot::config::{KafkaConfig, SinkConfig};
use earshot::model::{Author, Classification, Item, Mention, Sentiment};
use earshot::record::{self, Record};
use earshot::sink::dead_letter::DeadLetterConfig;
use earshot::sink::kafka::KafkaSink;
use earshot::sink::{Delivery, Sink};

#[path = "common/pipelines.rs"]
mod pipelines;

struct Cluster {
    bootstrap: String,
    _cluster: MockCluster<'static, DefaultProducerContext>,
}

// The mock cluster is not Sync; it only lives here and is never touched
// after creation but for its bootstrap string.
unsafe impl Sync for Cluster {}
unsafe impl Send for Cluster {}

fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let c = MockCluster::new(1).expect("mock cluster");
        for t in [
            "fb-a", "inf-a", "fb-b", "inf-b", "fb-c", "inf-c", "dl-c", "fb-d", "inf-d", "fb-e",
            "inf-e", "dl-e", "fb-f", "inf-f",
        ] {
            c.create_topic(t, 3, 1).expect("create topic");
        }
        // A dead-letter topic we may not write.
        c.topic_error(
            "dl-refused",
            rdkafka::types::RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        )
        .expect("topic error");
        Cluster {
            bootstrap: c.bootstrap_servers(),
            _cluster: c,
        }
    })
}

fn config(fb: &str, inf: &str) -> KafkaConfig {
    KafkaConfig {
        brokers: cluster().bootstrap.clone(),
        feedback_topic: fb.into(),
        influencer_topic: inf.into(),
        properties: BTreeMap::from([("message.timeout.ms".to_string(), "10000".to_string())]),
        broker_wait: KafkaConfig::DEFAULT_BROKER_WAIT,
    }
}

fn records(n: usize) -> Vec<Record> {
    let mut out = Vec::new();
    for i in 0..n {
        let item = Item {
            key: format!("k{i}"),
            url: Some(format!("https://blog.example/{i}")),
            text: "Acme Cloud is down".into(),
            content_hash: format!("h{i}"),
            platform: "web".into(),
            author: Some(Author {
                name: Some(format!("author{}", i % 3)),
                ..Author::default()
            }),
            ..Item::default()
        };
        let class = Classification {
            sentiment: Sentiment::from_score(-0.6),
            lang: None,
            emotions: vec![],
            mentions: vec![Mention {
                brand: "Acme".into(),
                products: vec![],
                terms: vec!["Acme".into()],
                sentiment: Sentiment::from_score(-0.6),
                excerpt: "Acme Cloud is down".into(),
                intents: vec![],
                emotions: vec![],
                capped: None,
            }],
        };
        let ctx = record::Context {
            pipeline: "t",
            source_id: "s",
            observed: "2026-01-01T00:00:00Z".parse().unwrap(),
            update: false,
            influencer_first_seen: None,
            person: None,
            account: None,
            trajectory: None,
        };
        out.extend(record::build(&item, &class, ctx));
    }
    out
}

type Message_ = (String, serde_json::Value, HashMap<String, String>);

/// Reads every message of `topic` from the beginning, without a group.
fn consume(topic: &str, expect: usize) -> Vec<Message_> {
    consume_from(&cluster().bootstrap, topic, expect)
}

/// [`consume`] from the cluster at `bootstrap`.
fn consume_from(bootstrap: &str, topic: &str, expect: usize) -> Vec<Message_> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", format!("reader-{topic}"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..3 {
        tpl.add_partition_offset(topic, p, rdkafka::Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while out.len() < expect && std::time::Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let key = String::from_utf8(m.key().unwrap().to_vec()).unwrap();
            let value = serde_json::from_slice(m.payload().unwrap()).unwrap();
            let mut headers = HashMap::new();
            if let Some(h) = m.headers() {
                use rdkafka::message::Headers;
                for hd in h.iter() {
                    headers.insert(
                        hd.key.to_string(),
                        String::from_utf8_lossy(hd.value.unwrap_or_default()).into_owned(),
                    );
                }
            }
            out.push((key, value, headers));
        }
    }
    out
}

/// Messages in `topic`: the sum of its partitions' high watermarks.
fn count(topic: &str) -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &cluster().bootstrap)
        .create()
        .unwrap();
    (0..3)
        .map(|p| {
            consumer
                .fetch_watermarks(topic, p, Duration::from_secs(10))
                .unwrap()
                .1
        })
        .sum()
}

/// Four feedback and four influencer records; the first feedback record
/// carries a 20 kB title, above a `message.max.bytes` of 6,000.
fn with_one_too_large() -> (Vec<Record>, String) {
    let mut recs = records(4);
    let big = recs
        .iter_mut()
        .find_map(|r| match r {
            Record::Feedback(f) => {
                f.title = Some("Acme Cloud ".repeat(2_000));
                Some(f.id.clone())
            }
            _ => None,
        })
        .unwrap();
    (recs, big)
}

fn small_messages(fb: &str, inf: &str) -> KafkaConfig {
    let mut cfg = config(fb, inf);
    cfg.properties
        .insert("message.max.bytes".into(), "6000".into());
    cfg
}

fn delivery(topic: Option<&str>, path: &std::path::Path) -> Delivery {
    Delivery {
        dead_letter: DeadLetterConfig {
            topic: topic.map(str::to_string),
            path: path.to_path_buf(),
        },
        stuck_after: Duration::from_secs(300),
    }
}

#[tokio::test]
async fn a_record_refused_for_good_goes_to_the_dead_letter_topic_and_the_rest_is_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dead-letter.jsonl");
    let cfg = SinkConfig::Kafka(small_messages("fb-c", "inf-c"));
    let sink = Sink::open(&cfg, "t", &delivery(Some("dl-c"), &file)).unwrap();
    let (recs, big) = with_one_too_large();
    let delivered = sink.send("blog", &recs).await.unwrap();
    assert_eq!(delivered.dead_lettered, vec![("feedback", big.clone())]);
    sink.flush().await.unwrap();

    assert_eq!(count("fb-c"), 3, "the other feedback records went out");
    assert_eq!(count("inf-c"), 4);
    let dl = consume("dl-c", 1);
    assert_eq!(dl.len(), 1);
    let (key, entry, headers) = &dl[0];
    assert_eq!(*key, big);
    assert_eq!(entry["schema"], "earshot.dead-letter/1");
    assert_eq!(entry["key"], big.as_str());
    assert_eq!(entry["kind"], "feedback");
    assert_eq!(entry["source"], "blog");
    assert_eq!(entry["pipeline"], "t");
    assert_eq!(entry["topic"], "fb-c");
    assert!(entry["at"].is_string());
    let error = entry["error"].as_str().unwrap();
    assert!(error.contains("MessageSizeTooLarge"), "{error}");
    // The whole record would not fit in the topic either: its start does.
    assert!(entry["record_bytes"].as_u64().unwrap() > 20_000);
    assert!(entry.get("record").is_none());
    let excerpt = entry["record_excerpt"].as_str().unwrap();
    assert!(
        excerpt.len() <= 3_000 && excerpt.starts_with('{'),
        "{excerpt}"
    );
    assert_eq!(headers["ce_type"], "dev.earshot.dead-letter.v1");
    assert!(!file.exists(), "the topic took the entry");
}

#[tokio::test]
async fn without_a_dead_letter_topic_refused_records_go_whole_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dl").join("dead-letter.jsonl");
    let cfg = SinkConfig::Kafka(small_messages("fb-d", "inf-d"));
    let sink = Sink::open(&cfg, "t", &delivery(None, &file)).unwrap();
    let (recs, big) = with_one_too_large();
    sink.send("blog", &recs).await.unwrap();
    sink.flush().await.unwrap();
    assert_eq!(count("fb-d"), 3);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["key"], big.as_str());
    assert_eq!(lines[0]["record"]["id"], big.as_str());
    assert_eq!(
        lines[0]["record"]["title"].as_str().unwrap().len(),
        "Acme Cloud ".len() * 2_000
    );
}

#[tokio::test]
async fn entries_the_dead_letter_topic_refuses_go_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dead-letter.jsonl");
    let cfg = SinkConfig::Kafka(small_messages("fb-f", "inf-f"));
    let topic = Some("dl-refused");
    let sink = Sink::open(&cfg, "t", &delivery(topic, &file)).unwrap();
    let (recs, big) = with_one_too_large();
    sink.send("blog", &recs).await.unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert_eq!(lines[0]["key"], big.as_str());
    // Cut to fit the topic it was meant for.
    assert!(lines[0]["record_excerpt"].is_string());
}

/// A feed with an entry whose title makes its feedback record too large.
fn feed_with_a_huge_title() -> String {
    let title = format!("Acme Cloud {}", "is down again and again ".repeat(400));
    format!(
        r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>t</title><link>https://blog.example/</link>
<item><guid>huge</guid><title>{title}</title><description>Acme Cloud lost my files.</description></item>
<item><guid>small</guid><title>Acme Cloud outage</title><description>Acme Cloud lost my files too.</description></item>
</channel></rss>"#
    )
}

#[tokio::test]
async fn a_dead_lettered_record_does_not_keep_its_batch_from_being_committed() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.xml");
    std::fs::write(&feed, feed_with_a_huge_title()).unwrap();
    let sink = r#"feedback_topic = "fb-e"
influencer_topic = "inf-e"
dead_letter_topic = "dl-e"
[sink.properties]
"message.max.bytes" = "6000"
"message.timeout.ms" = "10000""#;
    let text = pipelines::one_feed_to_kafka("dl", &feed, &cluster().bootstrap, sink);
    let file = pipelines::write(dir.path(), &text);
    let engine = earshot::pipeline::Engine::open(earshot::config::load(&file).unwrap()).unwrap();
    let engine = std::sync::Arc::new(engine);
    let summary = earshot::pipeline::backfill::backfill(
        engine.clone(),
        earshot::pipeline::Window::default(),
        false,
    )
    .await;
    assert_eq!(summary.failed(), 0, "{}", summary.render());
    assert_eq!(
        engine.state.seen_count().unwrap(),
        2,
        "both items committed"
    );
    assert_eq!(count("fb-e"), 1);
    let dl = consume("dl-e", 1);
    assert_eq!(dl[0].1["source"], "news");
    assert!(engine
        .metrics
        .encode()
        .contains("earshot_dead_letters_total{source=\"news\",kind=\"feedback\"} 1"));
}

#[tokio::test]
async fn records_arrive_keyed_by_id_with_cloudevents_headers() {
    let sink = KafkaSink::new(&config("fb-a", "inf-a"), "t").unwrap();
    let recs = records(5);
    assert!(sink.send(&recs).await.unwrap().is_empty());
    sink.flush().await.unwrap();

    let fb = consume("fb-a", 5);
    assert_eq!(fb.len(), 5);
    for (key, value, headers) in &fb {
        assert_eq!(
            value["id"].as_str(),
            Some(key.as_str()),
            "key is the record id"
        );
        assert_eq!(value["schema"], "earshot.feedback/2");
        assert_eq!(headers["ce_specversion"], "1.0");
        assert_eq!(headers["ce_type"], "dev.earshot.feedback.v2");
        assert_eq!(headers["ce_source"], "earshot/t");
        assert_eq!(headers["ce_subject"], *key);
        assert!(headers["ce_id"].starts_with(key.as_str()));
        assert_eq!(headers["content-type"], "application/json");
        // The record's own time, not the moment the headers were built: a
        // replay of the same event carries the same ce_time.
        let published = value["published"].as_str().or(value["observed"].as_str());
        let want = chrono::DateTime::parse_from_rfc3339(published.unwrap()).unwrap();
        let got = chrono::DateTime::parse_from_rfc3339(&headers["ce_time"]).unwrap();
        assert_eq!(got, want);
    }
    let inf = consume("inf-a", 5);
    assert_eq!(inf.len(), 5);
    assert!(inf
        .iter()
        .all(|(_, v, h)| v["schema"] == "earshot.influencer/2"
            && h["ce_type"] == "dev.earshot.influencer.v2"));
}

#[tokio::test]
async fn a_batch_larger_than_the_local_queue_waits_instead_of_failing() {
    let mut cfg = config("fb-b", "inf-b");
    // A queue of 10 messages for a batch of 400 records: send() must wait
    // for room again and again rather than drop or fail.
    cfg.properties
        .insert("queue.buffering.max.messages".into(), "10".into());
    let sink = KafkaSink::new(&cfg, "t").unwrap();
    let recs = records(200);
    sink.send(&recs).await.unwrap();
    sink.flush().await.unwrap();
    let fb = consume("fb-b", 200);
    assert_eq!(fb.len(), 200);
    let unique: std::collections::HashSet<_> = fb.iter().map(|(k, _, _)| k.clone()).collect();
    assert_eq!(unique.len(), 200);
    // A record the full queue turned away keeps its headers for the next try.
    for (key, value, headers) in &fb {
        assert_cloudevent(key, value, headers, "dev.earshot.feedback.v2");
    }
}

/// The seven CloudEvents headers of a record, whole.
fn assert_cloudevent(
    key: &str,
    value: &serde_json::Value,
    headers: &HashMap<String, String>,
    ce_type: &str,
) {
    assert_eq!(headers.len(), 7, "{key}: {headers:?}");
    assert_eq!(headers["ce_specversion"], "1.0");
    assert_eq!(headers["ce_type"], ce_type);
    assert_eq!(headers["ce_source"], "earshot/t");
    assert_eq!(headers["ce_subject"], key);
    assert!(headers["ce_id"].starts_with(key));
    assert_eq!(headers["content-type"], "application/json");
    // The record's own time: the post's, or the author's last sighting.
    let fields: &[&str] = match value["schema"].as_str() {
        Some("earshot.influencer/2") => &["last_seen"],
        _ => &["published", "observed"],
    };
    let time = fields.iter().find_map(|f| value[f].as_str()).unwrap();
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(&headers["ce_time"]).unwrap(),
        chrono::DateTime::parse_from_rfc3339(time).unwrap(),
        "{key}"
    );
}

/// What the tests' own log lines say, for one thread.
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// A record whose delivery failed is produced again with the headers it
/// was first sent with: they go into librdkafka with each attempt and come
/// back with the failed message. A cluster of its own, whose broker is
/// down until the first delivery has failed.
#[tokio::test]
async fn a_record_produced_again_after_a_failed_delivery_keeps_its_headers() {
    let own = MockCluster::new(1).expect("mock cluster");
    own.create_topic("fb-again", 3, 1).unwrap();
    own.create_topic("inf-again", 3, 1).unwrap();
    let mut cfg = config("fb-again", "inf-again");
    cfg.brokers = own.bootstrap_servers();
    cfg.properties
        .insert("message.timeout.ms".into(), "300".into());
    let logs = Logs::default();
    let writer = logs.clone();
    // The runtime of `#[tokio::test]` runs every task on this thread.
    let _guard = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish(),
    );
    own.broker_down(1).unwrap();
    let sink = KafkaSink::new(&cfg, "t").unwrap();
    let recs = records(3);
    let send = tokio::spawn(async move { sink.send(&recs).await });
    let failed = "Kafka delivery failed; producing again.";
    for _ in 0..200 {
        if logs.text().contains(failed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(logs.text().contains(failed), "{}", logs.text());
    own.broker_up(1).unwrap();
    let rejected = tokio::time::timeout(Duration::from_secs(60), send)
        .await
        .expect("delivered once the broker is back")
        .unwrap()
        .unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    // Nothing else runs on this test's runtime now: reading may block it.
    let bootstrap = own.bootstrap_servers();
    for (topic, ce_type) in [
        ("fb-again", "dev.earshot.feedback.v2"),
        ("inf-again", "dev.earshot.influencer.v2"),
    ] {
        let messages = consume_from(&bootstrap, topic, 3);
        assert_eq!(messages.len(), 3, "{topic}");
        for (key, value, headers) in &messages {
            assert_cloudevent(key, value, headers, ce_type);
        }
    }
}

#[test]
fn producer_defaults_are_safe_and_overridable() {
    let mut cfg = config("x", "y");
    cfg.properties
        .insert("compression.type".into(), "zstd".into());
    let c = earshot::sink::kafka::client_config(&cfg, "p");
    assert_eq!(c.get("enable.idempotence"), Some("true"));
    assert_eq!(c.get("acks"), Some("all"));
    assert_eq!(c.get("compression.type"), Some("zstd"));
    assert_eq!(c.get("client.id"), Some("earshot-p"));
}

/// What a poll read counts against the read-ahead bound until its records
/// are acknowledged and committed: parsed items and their records wait
/// for the sink, and a bound released at the parse would let fetches run
/// on while they pile up. A cluster of its own, so that taking its broker
/// down stalls only this test.
#[tokio::test]
async fn a_poll_holds_its_read_ahead_share_until_its_records_are_delivered() {
    let own = MockCluster::new(1).expect("mock cluster");
    own.create_topic("fb-held", 1, 1).unwrap();
    own.create_topic("inf-held", 1, 1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.xml");
    std::fs::write(&feed, feed_with_a_huge_title()).unwrap();
    let size = std::fs::metadata(&feed).unwrap().len() as usize;
    let sink = r#"feedback_topic = "fb-held"
influencer_topic = "inf-held"
[sink.properties]
"message.timeout.ms" = "60000""#;
    let text = pipelines::one_feed_to_kafka("held", &feed, &own.bootstrap_servers(), sink);
    let file = pipelines::write(dir.path(), &text);
    let engine = earshot::pipeline::Engine::open(earshot::config::load(&file).unwrap()).unwrap();
    let engine = std::sync::Arc::new(engine);
    own.broker_down(1).unwrap();
    let poll = tokio::spawn({
        let engine = engine.clone();
        async move {
            let source = &engine.pipeline.sources[0];
            engine
                .poll_source(source, false, earshot::pipeline::Window::default())
                .await
        }
    });
    // Delivery starts by counting the poll's items.
    let label = earshot::pipeline::metrics::SourceLabel {
        source: "news".into(),
    };
    let mut delivering = false;
    for _ in 0..1000 {
        if engine.metrics.items.get_or_create(&label).get() > 0 {
            delivering = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(delivering, "the poll reached delivery");
    assert!(
        !poll.is_finished(),
        "the broker is down: nothing acknowledged"
    );
    assert_eq!(
        engine.client.read_ahead().waiting(),
        size,
        "the document counts while its records wait for the broker"
    );
    assert_eq!(engine.state.seen_count().unwrap(), 0);
    own.broker_up(1).unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(60), poll)
        .await
        .expect("delivered once the broker is back")
        .unwrap()
        .unwrap();
    // One feedback record per item; the items name no author.
    assert_eq!(outcome.records, 2, "{outcome:?}");
    assert_eq!(engine.state.seen_count().unwrap(), 2);
    assert_eq!(engine.client.read_ahead().waiting(), 0, "released");
}
