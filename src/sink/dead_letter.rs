//! Records the broker refuses for good: set aside, so the rest goes on.
//!
//! A record Kafka will never take (larger than the broker accepts, a topic
//! that does not exist or that we may not write) would otherwise fail its
//! whole batch on every poll, for ever. Instead it becomes a dead-letter
//! [`Entry`] (the error, the record's key and kind, the source, the time,
//! and the record itself or as much of it as fits) and the rest of the
//! batch is delivered and committed. Entries go to `dead_letter_topic` when
//! one is set (Kafka sink), else, or when that topic refuses them too, to
//! the JSON-lines file `dead_letter_path` (by default `dead-letter.jsonl` in
//! the state directory). Writing the entry is part of the delivery: if it
//! fails, the batch fails and is tried again, so nothing is lost quietly.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::jsonl::JsonlSink;
use super::kafka::{cloudevent_headers, KafkaSink, Outgoing};
use super::SinkError;
use crate::record::Record;

/// Where entries go.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadLetterConfig {
    /// A Kafka topic (Kafka sink only), tried first.
    pub topic: Option<String>,
    /// A JSON-lines file: without a topic, or when the topic refuses.
    pub path: PathBuf,
}

/// One record set aside.
#[derive(Debug, Serialize)]
pub struct Entry {
    pub schema: &'static str,
    /// When it was set aside.
    pub at: DateTime<Utc>,
    pub pipeline: String,
    /// The source the record came from.
    pub source: String,
    /// `feedback` or `influencer`.
    pub kind: &'static str,
    /// The record id, which was the message key.
    pub key: String,
    /// Where the record was meant to go.
    pub topic: Option<String>,
    pub error: String,
    /// Bytes of the record's JSON.
    pub record_bytes: usize,
    /// The record, when it fits the destination.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<serde_json::Value>,
    /// The start of the record's JSON when the whole does not fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_excerpt: Option<String>,
}

impl Entry {
    /// An entry for `record`, holding at most `room` bytes of it.
    pub fn new(
        pipeline: &str,
        source: &str,
        record: &Record,
        topic: Option<&str>,
        error: &str,
        room: usize,
    ) -> Entry {
        let json = serde_json::to_string(record).expect("records serialize");
        let fits = json.len() <= room;
        Entry {
            schema: "earshot.dead-letter/1",
            at: Utc::now(),
            pipeline: pipeline.into(),
            source: source.into(),
            kind: record.kind().as_str(),
            key: record.id().to_string(),
            topic: topic.map(str::to_string),
            error: error.into(),
            record_bytes: json.len(),
            record: fits.then(|| serde_json::to_value(record).expect("records serialize")),
            record_excerpt: (!fits).then(|| excerpt(&json, room).to_string()),
        }
    }
}

/// The longest prefix of `s` of at most `n` bytes that ends on a character.
fn excerpt(s: &str, n: usize) -> &str {
    let mut end = n.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The dead-letter destination of a sink.
pub struct DeadLetter {
    config: DeadLetterConfig,
    /// Opened at the first entry, so that a healthy pipeline leaves no file.
    file: tokio::sync::OnceCell<JsonlSink>,
}

impl DeadLetter {
    pub fn new(config: DeadLetterConfig) -> DeadLetter {
        DeadLetter {
            config,
            file: tokio::sync::OnceCell::new(),
        }
    }

    pub fn topic(&self) -> Option<&str> {
        self.config.topic.as_deref()
    }

    /// Writes entries: to the topic through `kafka` when both exist, and
    /// what the topic refuses (or everything, without one) to the file.
    pub async fn write(
        &self,
        kafka: Option<&KafkaSink>,
        entries: Vec<Entry>,
    ) -> Result<(), SinkError> {
        let mut to_file = entries;
        if let (Some(topic), Some(kafka)) = (self.topic(), kafka) {
            let messages = to_file.iter().map(|e| message(topic, kafka, e)).collect();
            let refused = kafka.produce(messages).await?;
            let refused: std::collections::HashSet<usize> = refused
                .into_iter()
                .map(|r| {
                    tracing::warn!(%topic, key = %r.key, error = %r.error, path = %self.config.path.display(), "Dead-letter topic refused an entry; writing it to the file.");
                    r.index
                })
                .collect();
            to_file = to_file
                .into_iter()
                .enumerate()
                .filter(|(i, _)| refused.contains(i))
                .map(|(_, e)| e)
                .collect();
        }
        if to_file.is_empty() {
            return Ok(());
        }
        let file = self
            .file
            .get_or_try_init(|| async { JsonlSink::open(Some(&self.config.path)) })
            .await?;
        let mut buf = Vec::new();
        for e in &to_file {
            serde_json::to_writer(&mut buf, e).expect("entries serialize");
            buf.push(b'\n');
        }
        file.write(buf).await
    }
}

fn message(topic: &str, kafka: &KafkaSink, e: &Entry) -> Outgoing {
    Outgoing {
        topic: topic.to_string(),
        key: e.key.clone(),
        payload: Some(serde_json::to_vec(e).expect("entries serialize")),
        headers: cloudevent_headers(
            &format!("{}:dead-letter", e.key),
            kafka.ce_source(),
            "dev.earshot.dead-letter.v1",
            &e.key,
            e.at,
        ),
        partition: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_never_cuts_a_character() {
        assert_eq!(excerpt("añb", 2), "a");
        assert_eq!(excerpt("añb", 3), "añ");
        assert_eq!(excerpt("ab", 10), "ab");
    }
}
