//! Validation of `[sink]`: the JSON-lines or Kafka settings, and the
//! dead-letter and stuck settings both kinds share (a dead-letter topic must
//! not be a record topic, a dead-letter file not the records' file).

use std::collections::BTreeMap;
use std::path::Path;

use super::Validator;
use crate::config::raw::RawSink;
use crate::config::{KafkaConfig, SinkConfig};

impl Validator<'_> {
    pub(super) fn sink(
        &mut self,
        raw: Option<toml::Value>,
        state_dir: &Path,
    ) -> (SinkConfig, crate::sink::Delivery) {
        let mut delivery = crate::sink::Delivery::defaults(state_dir);
        let default = SinkConfig::Jsonl(None);
        let Some(raw) = raw.and_then(|v| self.sink_kind(v)) else {
            return (default, delivery);
        };
        let sink = match raw {
            RawSink::Jsonl(j) => {
                let path = j.path;
                let path = (path != "-").then(|| self.base_dir.join(path));
                self.delivery(&mut delivery, None, j.dead_letter_path, j.stuck_after);
                if path.as_ref() == Some(&delivery.dead_letter.path) {
                    self.err(
                        "sink.dead_letter_path",
                        "must not be the file records go to (sink.path)",
                    );
                }
                SinkConfig::Jsonl(path)
            }
            RawSink::Kafka(k) => {
                let brokers = k.brokers;
                if brokers.trim().is_empty() {
                    self.err("sink.brokers", "must name at least one host:port");
                }
                let properties: BTreeMap<String, String> = k.properties;
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
                    self.err("sink.broker_wait", "must be longer than zero");
                }
                if let Err(message) = crate::sink::kafka::check_properties(&kafka) {
                    self.err("sink.properties", message);
                }
                let topic = k.dead_letter_topic;
                if let Some(t) = &topic {
                    if t.trim().is_empty() {
                        self.err("sink.dead_letter_topic", "must not be empty");
                    } else if *t == kafka.feedback_topic || *t == kafka.influencer_topic {
                        self.err(
                            "sink.dead_letter_topic",
                            format!("`{t}` is also a record topic; dead letters need their own"),
                        );
                    }
                }
                self.delivery(&mut delivery, topic, k.dead_letter_path, k.stuck_after);
                SinkConfig::Kafka(kafka)
            }
        };
        (sink, delivery)
    }

    fn sink_kind(&mut self, value: toml::Value) -> Option<RawSink> {
        let (kind, rest) = self.tagged("sink", value, &["jsonl", "kafka"])?;
        if kind == "kafka" {
            self.section("sink", rest).map(RawSink::Kafka)
        } else {
            self.section("sink", rest).map(RawSink::Jsonl)
        }
    }

    fn delivery(
        &mut self,
        d: &mut crate::sink::Delivery,
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
