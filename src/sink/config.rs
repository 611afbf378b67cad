//! The `[sink]` section: where records go (JSON lines or Kafka), its keys as
//! written (the `///` line on each is the user documentation), and
//! [`build`], which checks them and returns the settings the sink opens
//! with. The dead-letter and stuck settings both kinds share are checked
//! here too: a dead-letter topic must not be a record topic, a dead-letter
//! file not the records' file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::Delivery;
use crate::config::check::{quote_key, Errors};

/// Where records go; `type` selects the kind.
#[derive(Debug)]
pub enum RawSink {
    /// JSON lines to a file, or to stdout with `path = "-"`.
    Jsonl(RawJsonl),
    /// Kafka topics through librdkafka.
    Kafka(RawKafka),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawJsonl {
    /// File to append records to (relative to the pipeline file), or "-" for stdout.
    pub path: String,
    /// JSON-lines file for records that can never be delivered (default: `dead-letter.jsonl` in `state_dir`).
    pub dead_letter_path: Option<String>,
    /// `/healthz` answers 503 once records have waited this long with no successful delivery (default "5m").
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    pub stuck_after: Option<Duration>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKafka {
    /// `bootstrap.servers`, e.g. "${KAFKA_BROKERS}".
    pub brokers: String,
    /// Topic of feedback records.
    pub feedback_topic: Option<String>,
    /// Topic of influencer records (should be compacted: keyed by influencer id).
    pub influencer_topic: Option<String>,
    /// Any librdkafka producer property, passed as is (e.g. "sasl.username").
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// How long a backfill waits for a broker to acknowledge before it gives up and exits non-zero, marking nothing seen (default "2m"); `run` keeps trying.
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    pub broker_wait: Option<Duration>,
    /// Topic for records the broker refuses for good (too large, unknown topic, not authorized), e.g. "earshot.dead-letter".
    pub dead_letter_topic: Option<String>,
    /// JSON-lines file for refused records, without a topic or when the topic refuses too (default: `dead-letter.jsonl` in `state_dir`).
    pub dead_letter_path: Option<String>,
    /// `/healthz` answers 503 once records have waited this long with no successful delivery (default "5m").
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    pub stuck_after: Option<Duration>,
}

#[derive(Debug, Clone)]
pub enum SinkConfig {
    /// `None` is stdout.
    Jsonl(Option<PathBuf>),
    Kafka(KafkaConfig),
}

#[derive(Debug, Clone)]
pub struct KafkaConfig {
    pub brokers: String,
    pub feedback_topic: String,
    pub influencer_topic: String,
    pub properties: BTreeMap<String, String>,
    /// How long a backfill waits for a broker to acknowledge before it
    /// gives up.
    pub broker_wait: Duration,
}

impl KafkaConfig {
    pub const DEFAULT_BROKER_WAIT: Duration = Duration::from_secs(120);
}

/// Checks `[sink]` (its value, or `None` when the file has none: JSON
/// lines to stdout) and returns the settings [`crate::sink::Sink::open`]
/// takes, with the dead-letter and stuck settings of [`Delivery`].
pub fn build(
    raw: Option<toml::Value>,
    state_dir: &Path,
    base_dir: &Path,
    errors: &mut Errors,
) -> (SinkConfig, Delivery) {
    let mut b = Builder { errors, base_dir };
    let mut delivery = Delivery::defaults(state_dir);
    let default = SinkConfig::Jsonl(None);
    let Some(raw) = raw.and_then(|v| b.kind(v)) else {
        return (default, delivery);
    };
    let sink = match raw {
        RawSink::Jsonl(j) => {
            let path = j.path;
            let path = (path != "-").then(|| b.base_dir.join(path));
            b.delivery(&mut delivery, None, j.dead_letter_path, j.stuck_after);
            if path.as_ref() == Some(&delivery.dead_letter.path) {
                b.err(
                    "sink.dead_letter_path",
                    "must not be the file records go to (sink.path)",
                );
            }
            SinkConfig::Jsonl(path)
        }
        RawSink::Kafka(k) => {
            let brokers = k.brokers;
            if brokers.trim().is_empty() {
                b.err("sink.brokers", "must name at least one host:port");
            }
            let properties = k.properties;
            let kafka = KafkaConfig {
                brokers,
                feedback_topic: k
                    .feedback_topic
                    .unwrap_or_else(|| "earshot.feedback".into()),
                influencer_topic: k
                    .influencer_topic
                    .unwrap_or_else(|| "earshot.influencers".into()),
                properties,
                broker_wait: k.broker_wait.unwrap_or(KafkaConfig::DEFAULT_BROKER_WAIT),
            };
            if kafka.broker_wait.is_zero() {
                b.err("sink.broker_wait", "must be longer than zero");
            }
            // librdkafka stops at the first bad property; one at a time,
            // each is reported under its own key.
            for (name, value) in &kafka.properties {
                let one = KafkaConfig {
                    properties: BTreeMap::from([(name.clone(), value.clone())]),
                    ..kafka.clone()
                };
                if let Err(message) = crate::sink::kafka::check_properties(&one) {
                    let key = format!("sink.properties.{}", quote_key(name));
                    b.err(key, message);
                }
            }
            let topic = k.dead_letter_topic;
            if let Some(t) = &topic {
                if t.trim().is_empty() {
                    b.err("sink.dead_letter_topic", "must not be empty");
                } else if *t == kafka.feedback_topic || *t == kafka.influencer_topic {
                    b.err(
                        "sink.dead_letter_topic",
                        format!("`{t}` is also a record topic; dead letters need their own"),
                    );
                }
            }
            b.delivery(&mut delivery, topic, k.dead_letter_path, k.stuck_after);
            SinkConfig::Kafka(kafka)
        }
    };
    (sink, delivery)
}

/// What [`build`] works with.
struct Builder<'a> {
    errors: &'a mut Errors,
    base_dir: &'a Path,
}

impl Builder<'_> {
    fn err(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.errors.err(key, message);
    }

    fn kind(&mut self, value: toml::Value) -> Option<RawSink> {
        let (kind, rest) = self.errors.tagged("sink", value, &["jsonl", "kafka"])?;
        if kind == "kafka" {
            self.errors.section("sink", rest).map(RawSink::Kafka)
        } else {
            self.errors.section("sink", rest).map(RawSink::Jsonl)
        }
    }

    fn delivery(
        &mut self,
        d: &mut Delivery,
        topic: Option<String>,
        path: Option<String>,
        stuck_after: Option<std::time::Duration>,
    ) {
        d.dead_letter.topic = topic;
        if let Some(p) = path {
            if p.trim().is_empty() || p == "-" {
                self.err("sink.dead_letter_path", "must name a file");
            }
            d.dead_letter.path = self.base_dir.join(p);
        }
        if let Some(s) = stuck_after {
            if s.is_zero() {
                self.err("sink.stuck_after", "must be longer than zero");
            }
            d.stuck_after = s;
        }
    }
}
