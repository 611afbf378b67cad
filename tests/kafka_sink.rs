//! The Kafka sink against a real Kafka-protocol broker: librdkafka's
//! in-process mock cluster. One cluster serves every test of this binary.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use rdkafka::{ClientConfig, Message, TopicPartitionList};

use earshot::config::KafkaConfig;
use earshot::model::{Author, Classification, Item, Mention, Sentiment};
use earshot::record::{self, Record};
use earshot::sink::kafka::KafkaSink;

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
        for t in ["fb-a", "inf-a", "fb-b", "inf-b"] {
            c.create_topic(t, 3, 1).expect("create topic");
        }
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
            mentions: vec![Mention {
                brand: "Acme".into(),
                products: vec![],
                terms: vec!["Acme".into()],
                sentiment: Sentiment::from_score(-0.6),
                excerpt: "Acme Cloud is down".into(),
                intents: vec![],
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
        };
        out.extend(record::build(&item, &class, &ctx));
    }
    out
}

/// Reads every message of `topic` from the beginning, without a group.
fn consume(
    topic: &str,
    expect: usize,
) -> Vec<(String, serde_json::Value, HashMap<String, String>)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &cluster().bootstrap)
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

#[tokio::test]
async fn records_arrive_keyed_by_id_with_cloudevents_headers() {
    let sink = KafkaSink::new(&config("fb-a", "inf-a"), "t").unwrap();
    let recs = records(5);
    sink.send(&recs).await.unwrap();
    sink.flush().await.unwrap();

    let fb = consume("fb-a", 5);
    assert_eq!(fb.len(), 5);
    for (key, value, headers) in &fb {
        assert_eq!(
            value["id"].as_str(),
            Some(key.as_str()),
            "key is the record id"
        );
        assert_eq!(value["schema"], "earshot.feedback/1");
        assert_eq!(headers["ce_specversion"], "1.0");
        assert_eq!(headers["ce_type"], "dev.earshot.feedback.v1");
        assert_eq!(headers["ce_source"], "earshot/t");
        assert_eq!(headers["ce_subject"], *key);
        assert!(headers["ce_id"].starts_with(key.as_str()));
        assert_eq!(headers["content-type"], "application/json");
    }
    let inf = consume("inf-a", 5);
    assert_eq!(inf.len(), 5);
    assert!(inf
        .iter()
        .all(|(_, v, h)| v["schema"] == "earshot.influencer/1"
            && h["ce_type"] == "dev.earshot.influencer.v1"));
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
