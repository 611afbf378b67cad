//! Reading records back: from Kafka with a plain consumer, and from the JSON
//! lines file a reference backfill wrote.
//!
//! The consumer assigns every partition from the beginning itself (no group
//! membership, no commits), so what it reads does not depend on group
//! coordination, and it keeps everything it has read so a test can wait for
//! more and then check that nothing further arrives.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Headers;
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use serde_json::Value;

/// One message as read from a topic.
#[derive(Debug, Clone)]
pub struct Consumed {
    pub topic: String,
    pub key: String,
    pub value: Value,
    pub headers: HashMap<String, String>,
}

pub struct Reader {
    consumer: BaseConsumer,
    pub got: Vec<Consumed>,
}

impl Reader {
    /// Reads partitions `0..partitions` of each topic from the beginning.
    pub fn new(bootstrap: &str, topics: &[&str], partitions: i32) -> Reader {
        Reader::with_properties(bootstrap, topics, partitions, &[])
    }

    /// The same, with more client properties (TLS settings, say).
    pub fn with_properties(
        bootstrap: &str,
        topics: &[&str],
        partitions: i32,
        properties: &[(&str, &str)],
    ) -> Reader {
        let mut config = ClientConfig::new();
        for (k, v) in properties {
            config.set(*k, *v);
        }
        let consumer: BaseConsumer = config
            .set("bootstrap.servers", bootstrap)
            // Required by librdkafka even without subscribing; nothing is
            // committed under it.
            .set("group.id", "earshot-e2e-reader")
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("fetch.wait.max.ms", "100")
            .create()
            .expect("creating the consumer");
        let mut tpl = TopicPartitionList::new();
        for t in topics {
            for p in 0..partitions {
                tpl.add_partition_offset(t, p, Offset::Beginning)
                    .expect("partition offset");
            }
        }
        consumer.assign(&tpl).expect("assigning partitions");
        Reader {
            consumer,
            got: Vec::new(),
        }
    }

    fn poll_once(&mut self, wait: Duration) {
        // Transport errors while a broker is away are expected; the
        // consumer reconnects by itself.
        let Some(Ok(m)) = self.consumer.poll(wait) else {
            return;
        };
        let key = m
            .key()
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .unwrap_or_default();
        let value = m
            .payload()
            .and_then(|p| serde_json::from_slice(p).ok())
            .unwrap_or(Value::Null);
        let headers = m
            .headers()
            .map(|h| {
                h.iter()
                    .map(|hd| {
                        let v = hd.value.unwrap_or_default();
                        (hd.key.to_string(), String::from_utf8_lossy(v).into_owned())
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.got.push(Consumed {
            topic: m.topic().to_string(),
            key,
            value,
            headers,
        });
    }

    /// Reads until `done` holds for what was read so far, or `within`
    /// passes; returns whether it held.
    pub fn read_until(&mut self, within: Duration, done: impl Fn(&[Consumed]) -> bool) -> bool {
        let deadline = Instant::now() + within;
        loop {
            if done(&self.got) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            self.poll_once(Duration::from_millis(100));
        }
    }

    /// Reads whatever arrives during `period`.
    pub fn read_for(&mut self, period: Duration) {
        self.read_until(period, |_| false);
    }

    pub fn on<'a>(&'a self, topic: &'a str) -> impl Iterator<Item = &'a Consumed> + 'a {
        self.got.iter().filter(move |c| c.topic == topic)
    }
}

/// The records of a JSON lines file.
pub fn read_jsonl(path: &Path) -> Vec<Value> {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

pub fn is_feedback(v: &Value) -> bool {
    v["schema"] == "earshot.feedback/2"
}

pub fn is_influencer(v: &Value) -> bool {
    v["schema"] == "earshot.influencer/2"
}

/// What makes one feedback delivery unique: (source id, record id,
/// revision). Two sources reading the same feed make the same record id for
/// the same entry, each once, so the source is part of it.
pub fn delivery(v: &Value) -> (String, String, String) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (s(&v["source"]["id"]), s(&v["id"]), s(&v["revision"]))
}
