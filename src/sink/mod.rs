//! Sinks: where records go, and the only place that says "delivered".
//!
//! `send` returns once every record of the batch is acknowledged (written and
//! synced for JSONL, acknowledged by all in-sync replicas for Kafka); only
//! then does the driver mark items as seen. A sink never drops a record to
//! make room: a full queue makes `send` wait, which slows the sources.
//! `flush` must be called before exit.

pub mod jsonl;
pub mod kafka;

use crate::config::SinkConfig;
use crate::record::Record;

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("jsonl sink {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("kafka sink: {0}")]
    Kafka(String),
}

/// The configured sink; a closed set, dispatched by `match`.
pub enum Sink {
    Jsonl(jsonl::JsonlSink),
    Kafka(kafka::KafkaSink),
}

impl Sink {
    pub fn open(config: &SinkConfig, pipeline: &str) -> Result<Sink, SinkError> {
        Ok(match config {
            SinkConfig::Jsonl(path) => Sink::Jsonl(jsonl::JsonlSink::open(path.as_deref())?),
            SinkConfig::Kafka(k) => Sink::Kafka(kafka::KafkaSink::new(k, pipeline)?),
        })
    }

    /// Delivers a batch; returns once all of it is acknowledged.
    pub async fn send(&self, records: &[Record]) -> Result<(), SinkError> {
        if records.is_empty() {
            return Ok(());
        }
        match self {
            Sink::Jsonl(s) => s.send(records).await,
            Sink::Kafka(s) => s.send(records).await,
        }
    }

    /// Pushes out whatever is still buffered. Kafka: dropping a producer
    /// purges its queue, so this is not optional.
    pub async fn flush(&self) -> Result<(), SinkError> {
        match self {
            Sink::Jsonl(s) => s.flush().await,
            Sink::Kafka(s) => s.flush().await,
        }
    }
}
