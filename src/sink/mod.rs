//! Sinks: where records go, and the only place that says "delivered".
//!
//! `send` returns once every record of the batch is acknowledged (written and
//! synced for JSONL, acknowledged by all in-sync replicas for Kafka) or, for
//! a record the broker refuses for good, set aside in the dead-letter
//! destination ([`dead_letter`]); only then does the driver mark items as
//! seen. A sink never drops a record to make room: a full queue makes `send`
//! wait, which slows the sources. How long records have waited is kept in
//! [`status::SinkStatus`] for `/healthz`. `flush` must be called before exit.

pub mod config;
pub mod dead_letter;
pub mod jsonl;
pub mod kafka;
pub mod status;

use std::path::PathBuf;
use std::time::Duration;

use crate::config::SinkConfig;
use crate::record::Record;
use dead_letter::{DeadLetter, DeadLetterConfig, Entry};
use status::SinkStatus;

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("jsonl sink {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("kafka sink: {0}")]
    Kafka(String),
    /// The workspace did not take the delivered records (see [`Tap`]).
    #[error("workspace: {0}")]
    Tap(String),
    /// No broker acknowledged anything within `sink.broker_wait`.
    #[error("kafka sink: no broker acknowledged the records within {}s (sink.broker_wait): {cause}; nothing of this batch was marked seen", .waited.as_secs())]
    BrokersUnavailable { waited: Duration, cause: String },
}

impl SinkError {
    /// The kind of failure, for `earshot_sink_errors_total`.
    pub fn kind(&self) -> status::ErrorKind {
        match self {
            SinkError::Io { .. } => status::ErrorKind::Io,
            SinkError::Kafka(_) | SinkError::Tap(_) => status::ErrorKind::Other,
            SinkError::BrokersUnavailable { .. } => status::ErrorKind::Transport,
        }
    }
}

/// The `[sink]` settings every kind of sink shares.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub dead_letter: DeadLetterConfig,
    /// `/healthz` answers 503 once records have waited this long with no
    /// successful delivery.
    pub stuck_after: Duration,
}

impl Delivery {
    pub const DEFAULT_STUCK_AFTER: Duration = Duration::from_secs(5 * 60);

    /// The defaults for a pipeline whose state lives in `state_dir`.
    pub fn defaults(state_dir: &std::path::Path) -> Delivery {
        Delivery {
            dead_letter: DeadLetterConfig {
                topic: None,
                path: default_dead_letter_path(state_dir),
            },
            stuck_after: Self::DEFAULT_STUCK_AFTER,
        }
    }
}

/// `dead-letter.jsonl` in the state directory.
pub fn default_dead_letter_path(state_dir: &std::path::Path) -> PathBuf {
    state_dir.join("dead-letter.jsonl")
}

/// The configured output; a closed set, dispatched by `match`.
enum Output {
    Jsonl(jsonl::JsonlSink),
    Kafka(kafka::KafkaSink),
}

pub struct Sink {
    out: Output,
    dead_letter: DeadLetter,
    status: SinkStatus,
    pipeline: String,
    tap: Option<std::sync::Arc<dyn Tap>>,
}

/// A consumer of delivered records in the same process (the embedded
/// workspace of `serve`): a batch counts as delivered only once the output
/// and the tap have both taken it.
pub trait Tap: Send + Sync {
    fn accept(&self, records: &[Record]) -> Result<(), String>;
}

/// What a delivered batch came to.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Delivered {
    /// Records set aside as dead letters: (kind, record id).
    pub dead_lettered: Vec<(&'static str, String)>,
}

impl Sink {
    pub fn open(
        config: &SinkConfig,
        pipeline: &str,
        delivery: &Delivery,
    ) -> Result<Sink, SinkError> {
        let out = match config {
            SinkConfig::Jsonl(path) => Output::Jsonl(jsonl::JsonlSink::open(path.as_deref())?),
            SinkConfig::Kafka(k) => Output::Kafka(kafka::KafkaSink::new(k, pipeline)?),
        };
        // The Kafka sink's client context reports broker errors into it.
        let status = match &out {
            Output::Kafka(k) => k.status(),
            Output::Jsonl(_) => SinkStatus::default(),
        };
        Ok(Sink {
            out,
            dead_letter: DeadLetter::new(delivery.dead_letter.clone()),
            status,
            pipeline: pipeline.to_string(),
            tap: None,
        })
    }

    /// Hands every delivered batch to `tap` as well.
    pub fn set_tap(&mut self, tap: std::sync::Arc<dyn Tap>) {
        self.tap = Some(tap);
    }

    /// Bounds how long delivery waits for unreachable brokers (a backfill,
    /// which must end); `run` keeps trying.
    pub fn give_up_after_broker_wait(&self) {
        if let Output::Kafka(k) = &self.out {
            k.give_up_after_broker_wait();
        }
    }

    /// Whether deliveries are getting through, shared with `/healthz`.
    pub fn status(&self) -> SinkStatus {
        self.status.clone()
    }

    /// Delivers a batch of `source`'s records; returns once all of it is
    /// acknowledged or set aside as dead letters.
    pub async fn send(&self, source: &str, records: &[Record]) -> Result<Delivered, SinkError> {
        if records.is_empty() {
            return Ok(Delivered::default());
        }
        let pending = self.status.begin();
        let delivered = match self.deliver(source, records).await {
            Ok(d) => match &self.tap {
                Some(tap) => tap.accept(records).map(|_| d).map_err(SinkError::Tap),
                None => Ok(d),
            },
            Err(e) => Err(e),
        };
        match delivered {
            Ok(d) => {
                pending.succeeded();
                Ok(d)
            }
            Err(e) => {
                pending.failed(e.kind(), &e.to_string());
                Err(e)
            }
        }
    }

    async fn deliver(&self, source: &str, records: &[Record]) -> Result<Delivered, SinkError> {
        let (kafka, rejected) = match &self.out {
            Output::Jsonl(s) => return s.send(records).await.map(|_| Delivered::default()),
            Output::Kafka(s) => (s, s.send(records).await?),
        };
        if rejected.is_empty() {
            return Ok(Delivered::default());
        }
        // An entry must fit where it goes: a record refused for its size
        // would be refused again inside an entry. Half the message limit
        // leaves room for the envelope and the error.
        let room = match self.dead_letter.topic() {
            Some(_) => kafka.max_message_bytes() / 2,
            None => usize::MAX,
        };
        let mut delivered = Delivered::default();
        let entries = rejected
            .iter()
            .map(|r| {
                let record = &records[r.index];
                tracing::warn!(source, topic = %r.topic, key = %r.key, kind = record.kind().as_str(), error = %r.error, "Record refused for good; setting it aside as a dead letter.");
                delivered
                    .dead_lettered
                    .push((record.kind().as_str(), r.key.clone()));
                Entry::new(&self.pipeline, source, record, Some(&r.topic), &r.error, room)
            })
            .collect();
        self.dead_letter.write(Some(kafka), entries).await?;
        Ok(delivered)
    }

    /// Produces `messages` as they are (the workspace's status events and
    /// notes), waiting for the broker's acknowledgement; only a Kafka sink
    /// can.
    pub async fn send_messages(&self, messages: Vec<kafka::Outgoing>) -> Result<(), SinkError> {
        match &self.out {
            Output::Kafka(k) => k.send_messages(messages).await,
            Output::Jsonl(_) => Err(SinkError::Kafka(
                "a JSONL sink cannot produce to topics".into(),
            )),
        }
    }

    /// Pushes out whatever is still buffered. Kafka: dropping a producer
    /// purges its queue, so this is not optional.
    pub async fn flush(&self) -> Result<(), SinkError> {
        match &self.out {
            Output::Jsonl(s) => s.flush().await,
            Output::Kafka(s) => s.flush().await,
        }
    }

    /// [`Sink::flush`], waiting for brokers at most `within`.
    pub async fn flush_within(&self, within: Duration) -> Result<(), SinkError> {
        match &self.out {
            Output::Jsonl(s) => s.flush().await,
            Output::Kafka(s) => s.flush_within(within).await,
        }
    }
}
