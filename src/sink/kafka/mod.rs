//! Kafka sink through librdkafka.
//!
//! An idempotent producer with `acks=all` and lz4 compression; the message
//! key is the record id (so a compacted influencer topic keeps the latest
//! version of each author, and consumers can drop repeats); CloudEvents
//! attributes travel as headers (binary content mode). Any librdkafka
//! property can be set from the pipeline file and wins over these defaults.
//!
//! Nothing is dropped: a full local queue makes `send` wait and retry, and a
//! record whose delivery failed with a transient error (broker away longer
//! than `message.timeout.ms`) is produced again with backoff until it is
//! acknowledged. An error that is fatal to one producer instance (fenced,
//! epoch rejected, librdkafka's fatal state) replaces the producer with a new
//! one, since producing again through the old one would fail forever. Only
//! errors permanent for the record (too large, a topic we may not write)
//! come back, as [`Rejected`] records: [`super::Sink`] sets those aside
//! ([`super::dead_letter`]) and lets the rest of the batch commit, while
//! `route`'s [`KafkaSink::send_messages`] turns them into an error.
//!
//! In a backfill ([`KafkaSink::give_up_after`]) the wait for brokers is
//! bounded: once no broker acknowledged anything for `sink.broker_wait`,
//! `send` fails with the last error librdkafka reported ([`context`]), and
//! nothing of the batch is marked seen. `run` keeps trying for ever.

pub mod context;

use std::sync::{OnceLock, RwLock};
use std::time::Duration;

use futures::future::join_all;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::util::Timeout;
use tokio::time::Instant;

use super::status::SinkStatus;
use super::SinkError;
use crate::config::KafkaConfig;
use crate::record::{Record, RecordKind};
use context::BrokerContext;

type Producer_ = FutureProducer<BrokerContext>;

pub struct KafkaSink {
    /// The producer, and how many times it was replaced.
    producer: RwLock<(u64, Producer_)>,
    context: BrokerContext,
    /// Set in a backfill: how long to wait for a broker before giving up.
    give_up: OnceLock<Duration>,
    broker_wait: Duration,
    config: ClientConfig,
    feedback_topic: String,
    influencer_topic: String,
    source: String,
}

/// A message no producer will ever deliver.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// Its position in the batch.
    pub index: usize,
    pub topic: String,
    pub key: String,
    pub error: String,
}

/// The producer settings earshot relies on; the pipeline file may override.
pub fn client_config(cfg: &KafkaConfig, pipeline: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &cfg.brokers)
        .set("client.id", format!("earshot-{pipeline}"))
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("compression.type", "lz4")
        .set("linger.ms", "20")
        // Java clients' default hashing, so that a CRM's status events keyed
        // by feedback id land on the same partition number as the feedback
        // (`route` relies on it).
        .set("partitioner", "murmur2_random")
        // Bounded local queue: when it is full, send() waits instead of
        // growing memory.
        .set("queue.buffering.max.messages", "100000")
        .set("queue.buffering.max.kbytes", "65536")
        // librdkafka backs off reconnects up to 10 s by default, so delivery
        // resumed up to 10 s after a broker came back; a second is enough to
        // spare a broker that is down.
        .set("reconnect.backoff.ms", "100")
        .set("reconnect.backoff.max.ms", "1000")
        // With sparse connections librdkafka connects to the partition
        // leaders only once something is produced, and the idempotent
        // producer, finding no broker up to ask for its producer id, waits
        // for its 500 ms timer, twice: about a second of every backfill.
        // Connecting at once gets the id in tens of milliseconds.
        .set("enable.sparse.connections", "false")
        // The client context learns from the statistics that a broker is
        // reachable again after an outage (the sink's `up` in `/healthz`).
        .set("statistics.interval.ms", "1000");
    for (k, v) in &cfg.properties {
        // `consumer.*` keys are for `earshot route`'s consumers only.
        if !k.starts_with("consumer.") {
            c.set(k, v);
        }
    }
    c
}

/// The longest a flush waits for the brokers to take what is queued.
const FLUSH: Duration = Duration::from_secs(30);

/// Why a message did not get into the producer's queue.
enum Enqueue {
    Refused(KafkaError),
    /// The queue stayed full past the deadline.
    GaveUp,
}

/// Checks every producer property with librdkafka itself, without
/// connecting: an unknown name, a value out of range or a feature this
/// build lacks is reported as librdkafka words it.
pub fn check_properties(cfg: &KafkaConfig) -> Result<(), String> {
    client_config(cfg, "validate")
        .create_native_config()
        .map(drop)
        .map_err(|e| match e {
            KafkaError::ClientConfig(_, message, _, _) => message,
            e => e.to_string(),
        })
}

/// What a failed delivery means for the record and for the producer.
#[derive(Debug, PartialEq)]
enum Failure {
    /// Produce the record again through the same producer.
    Transient,
    /// This producer instance can never succeed again: replace it.
    ProducerFatal,
    /// No producer will ever deliver this record.
    Permanent,
}

fn classify(e: &KafkaError) -> Failure {
    use RDKafkaErrorCode::*;
    match e.rdkafka_error_code() {
        // librdkafka's codes that no retry can change for this record.
        Some(
            MessageSizeTooLarge
            | InvalidMessageSize
            | InvalidRecord
            | UnsupportedForMessageFormat
            | PolicyViolation
            | TopicAuthorizationFailed
            | ClusterAuthorizationFailed
            | InvalidMessage
            | UnknownTopicOrPartition
            | UnknownTopic
            | UnknownPartition
            | InvalidTopic,
        ) => Failure::Permanent,
        Some(ProducerFenced | InvalidProducerEpoch | Fatal) => Failure::ProducerFatal,
        _ => Failure::Transient,
    }
}

/// Between rounds of producing again what failed transiently.
const RETRY: crate::retry::Backoff =
    crate::retry::Backoff::new(Duration::from_secs(1), Duration::from_secs(30));

fn create(config: &ClientConfig, context: &BrokerContext) -> Result<Producer_, SinkError> {
    config
        .create_with_context(context.clone())
        .map_err(|e| SinkError::Kafka(format!("cannot create producer: {e}")))
}

/// One message ready to produce. `route` builds these too, so that its
/// output gets the same never-drop delivery as the sink's.
#[derive(Clone)]
pub struct Outgoing {
    pub topic: String,
    pub key: String,
    /// `None` is a tombstone: it deletes the key from a compacted topic.
    pub payload: Option<Vec<u8>>,
    pub headers: OwnedHeaders,
    /// A fixed partition, where co-partitioning matters; else by key.
    pub partition: Option<i32>,
}

/// CloudEvents headers (binary content mode) of one record.
///
/// `time` is when the event happened (the record's own time), so that a
/// replay of the same event (`ce_id`) carries the same `ce_time`.
pub fn cloudevent_headers(
    id: &str,
    source: &str,
    ce_type: &str,
    subject: &str,
    time: chrono::DateTime<chrono::Utc>,
) -> OwnedHeaders {
    let time = crate::record::time::rfc3339(&time);
    // Room for all seven: librdkafka's list would otherwise grow once.
    OwnedHeaders::new_with_capacity(7)
        .insert(Header {
            key: "ce_specversion",
            value: Some("1.0"),
        })
        .insert(Header {
            key: "ce_id",
            value: Some(id),
        })
        .insert(Header {
            key: "ce_source",
            value: Some(source),
        })
        .insert(Header {
            key: "ce_type",
            value: Some(ce_type),
        })
        .insert(Header {
            key: "ce_time",
            value: Some(time.as_str()),
        })
        .insert(Header {
            key: "ce_subject",
            value: Some(subject),
        })
        .insert(Header {
            key: "content-type",
            value: Some("application/json"),
        })
}

/// A record's JSON. serde_json starts a buffer at 128 bytes and doubles
/// it; a record takes about a kilobyte, so that was three or four copies.
fn payload(r: &Record) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    serde_json::to_writer(&mut out, r).expect("records serialize");
    out
}

/// One message of a batch while it is being produced. Its headers move
/// into librdkafka with each attempt instead of being copied (a copy is
/// eight allocations): a full queue hands them back with the record, and
/// a failed delivery with the message, for the next attempt.
struct Attempt {
    /// Its position in the batch.
    index: usize,
    topic: String,
    key: String,
    payload: Option<Vec<u8>>,
    /// `None` while librdkafka holds them.
    headers: Option<OwnedHeaders>,
    partition: Option<i32>,
}

impl Attempt {
    fn new(index: usize, m: Outgoing) -> Attempt {
        Attempt {
            index,
            topic: m.topic,
            key: m.key,
            payload: m.payload,
            headers: Some(m.headers),
            partition: m.partition,
        }
    }
}

impl KafkaSink {
    pub fn new(cfg: &KafkaConfig, pipeline: &str) -> Result<KafkaSink, SinkError> {
        Self::with_config(cfg, client_config(cfg, pipeline), pipeline)
    }

    /// A sink on a producer configured by the caller (`route` names its
    /// own client id).
    pub fn with_config(
        cfg: &KafkaConfig,
        config: ClientConfig,
        pipeline: &str,
    ) -> Result<KafkaSink, SinkError> {
        let context = BrokerContext::default();
        let producer = create(&config, &context)?;
        Ok(KafkaSink {
            producer: RwLock::new((0, producer)),
            context,
            give_up: OnceLock::new(),
            broker_wait: cfg.broker_wait,
            config,
            feedback_topic: cfg.feedback_topic.clone(),
            influencer_topic: cfg.influencer_topic.clone(),
            source: format!("earshot/{pipeline}"),
        })
    }

    /// Bounds the wait for brokers to `sink.broker_wait` (a backfill, which
    /// must end); without it, delivery is retried for ever (`run`).
    pub fn give_up_after_broker_wait(&self) {
        let _ = self.give_up.set(self.broker_wait);
    }

    fn producer(&self) -> (u64, Producer_) {
        self.producer.read().expect("producer lock").clone()
    }

    /// Swaps in a new producer for the one of generation `used`; the old one
    /// is dropped once its last in-flight send lets go of it. Batches that
    /// saw the same fencing replace it once: a later caller finds a newer
    /// generation and keeps it.
    fn replace_producer(&self, used: u64) -> Result<(), SinkError> {
        let mut current = self.producer.write().expect("producer lock");
        if current.0 != used {
            return Ok(());
        }
        tracing::warn!("Kafka producer fenced or in a fatal state; replacing it.");
        *current = (used + 1, create(&self.config, &self.context)?);
        Ok(())
    }

    /// Whether deliveries get through, with what the brokers reported.
    pub fn status(&self) -> SinkStatus {
        self.context.status()
    }

    /// How many times the producer was replaced.
    pub fn replacements(&self) -> u64 {
        self.producer.read().expect("producer lock").0
    }

    fn unavailable(&self, waited: Duration) -> SinkError {
        SinkError::BrokersUnavailable {
            waited,
            cause: self
                .context
                .last_error()
                .unwrap_or_else(|| "no answer".into()),
        }
    }

    fn prepare(&self, r: &Record) -> Outgoing {
        let (topic, ce_type) = match r.kind() {
            RecordKind::Feedback => (&self.feedback_topic, "dev.earshot.feedback.v2"),
            RecordKind::Influencer => (&self.influencer_topic, "dev.earshot.influencer.v2"),
        };
        Outgoing {
            topic: topic.clone(),
            key: r.id().to_string(),
            payload: Some(payload(r)),
            headers: cloudevent_headers(&r.event_id(), &self.source, ce_type, r.id(), r.time()),
            partition: None,
        }
    }

    /// Enqueues one record, waiting while the local queue is full.
    async fn enqueue(
        &self,
        producer: &Producer_,
        a: &mut Attempt,
        deadline: Option<Instant>,
    ) -> Result<rdkafka::producer::DeliveryFuture, Enqueue> {
        let mut waited = 0u32;
        loop {
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(Enqueue::GaveUp);
            }
            let mut rec: FutureRecord<'_, String, Vec<u8>> = FutureRecord::to(&a.topic).key(&a.key);
            rec.headers = a.headers.take();
            if let Some(payload) = &a.payload {
                rec = rec.payload(payload);
            }
            if let Some(partition) = a.partition {
                rec = rec.partition(partition);
            }
            match producer.send_result(rec) {
                Ok(f) => return Ok(f),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), mut rec)) => {
                    a.headers = rec.headers.take();
                    if waited % 100 == 0 {
                        tracing::warn!(topic = %a.topic, "Kafka producer queue full; slowing sources.");
                    }
                    waited += 1;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err((e, _)) => return Err(Enqueue::Refused(e)),
            }
        }
    }

    /// Delivers records; returns those the broker refused for good (their
    /// index is their position in `records`).
    pub async fn send(&self, records: &[Record]) -> Result<Vec<Rejected>, SinkError> {
        self.produce(records.iter().map(|r| self.prepare(r)).collect())
            .await
    }

    /// Produces messages and returns once every one is acknowledged,
    /// producing again what failed transiently. A message refused for good
    /// is an error.
    pub async fn send_messages(&self, messages: Vec<Outgoing>) -> Result<(), SinkError> {
        match self.produce(messages).await?.into_iter().next() {
            None => Ok(()),
            Some(r) => Err(SinkError::Kafka(format!(
                "{} key {}: {}",
                r.topic, r.key, r.error
            ))),
        }
    }

    /// Produces messages and returns once every one is acknowledged or
    /// refused for good, producing again what failed transiently.
    pub async fn produce(&self, messages: Vec<Outgoing>) -> Result<Vec<Rejected>, SinkError> {
        let mut pending: Vec<Attempt> = messages
            .into_iter()
            .enumerate()
            .map(|(i, m)| Attempt::new(i, m))
            .collect();
        let mut rejected = Vec::new();
        let reject = |a: Attempt, e: &KafkaError| {
            // The caller decides what it means (a dead letter, an error) and says so.
            tracing::debug!(topic = %a.topic, key = %a.key, error = %e, "Kafka refused the record for good.");
            Rejected {
                index: a.index,
                topic: a.topic,
                key: a.key,
                error: e.to_string(),
            }
        };
        let mut round = 0u32;
        let limit = self.give_up.get().copied();
        let deadline = limit.and_then(|l| Instant::now().checked_add(l));
        let gave_up = || self.unavailable(limit.unwrap_or_default());
        while !pending.is_empty() {
            let (generation, producer) = self.producer();
            let mut futures = Vec::with_capacity(pending.len());
            let mut queued = Vec::with_capacity(pending.len());
            for mut a in pending {
                match self.enqueue(&producer, &mut a, deadline).await {
                    Ok(f) => {
                        futures.push(f);
                        queued.push(a);
                    }
                    // librdkafka refuses a message above `message.max.bytes`
                    // before it ever reaches a broker.
                    Err(Enqueue::Refused(e)) if classify(&e) == Failure::Permanent => {
                        rejected.push(reject(a, &e))
                    }
                    Err(Enqueue::Refused(e)) => {
                        return Err(SinkError::Kafka(format!("{}: {e}", a.topic)))
                    }
                    Err(Enqueue::GaveUp) => return Err(gave_up()),
                }
            }
            let results = match deadline {
                Some(d) => tokio::time::timeout_at(d, join_all(futures))
                    .await
                    .map_err(|_| gave_up())?,
                None => join_all(futures).await,
            };
            let mut retry = Vec::new();
            let mut fatal = false;
            for (mut a, res) in queued.into_iter().zip(results) {
                match res {
                    Ok(Ok(_)) => self.context.clear(),
                    Ok(Err((e, mut message))) => match classify(&e) {
                        Failure::Permanent => rejected.push(reject(a, &e)),
                        f => {
                            fatal |= f == Failure::ProducerFatal;
                            tracing::warn!(topic = %a.topic, key = %a.key, error = %e, "Kafka delivery failed; producing again.");
                            // The message comes back with a copy of what was sent.
                            a.headers = message.detach_headers();
                            retry.push(a);
                        }
                    },
                    // The producer went away under us: only at shutdown.
                    Err(_) => return Err(SinkError::Kafka("producer closed".into())),
                }
            }
            if fatal {
                self.replace_producer(generation)?;
            }
            pending = retry;
            if !pending.is_empty() {
                round += 1;
                let wait = RETRY.delay(round);
                if deadline.is_some_and(|d| Instant::now() + wait >= d) {
                    return Err(gave_up());
                }
                tokio::time::sleep(wait).await;
            }
        }
        rejected.sort_by_key(|r| r.index);
        Ok(rejected)
    }

    /// The `ce_source` of this sink's messages.
    pub fn ce_source(&self) -> &str {
        &self.source
    }

    /// The largest message the producer accepts (`message.max.bytes`).
    pub fn max_message_bytes(&self) -> usize {
        self.config
            .get("message.max.bytes")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(1_000_000)
    }

    pub async fn flush(&self) -> Result<(), SinkError> {
        // A backfill that gave up on the brokers must not then wait longer
        // for them to take what is left.
        let within = self.give_up.get().copied().unwrap_or(FLUSH).min(FLUSH);
        self.flush_within(within).await
    }

    pub async fn flush_within(&self, within: Duration) -> Result<(), SinkError> {
        let (_, producer) = self.producer();
        tokio::task::spawn_blocking(move || producer.flush(Timeout::After(within)))
            .await
            .expect("flush panicked")
            .map_err(|e| SinkError::Kafka(format!("flush: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_fencing_seen_by_many_batches_replaces_the_producer_once() {
        let cfg = KafkaConfig {
            brokers: "127.0.0.1:1".into(),
            feedback_topic: "f".into(),
            influencer_topic: "i".into(),
            properties: Default::default(),
            broker_wait: KafkaConfig::DEFAULT_BROKER_WAIT,
        };
        let sink = KafkaSink::new(&cfg, "t").unwrap();
        let (used, _) = sink.producer();
        // Eight batches produced through generation `used` all saw it fenced.
        for _ in 0..8 {
            sink.replace_producer(used).unwrap();
        }
        assert_eq!(sink.replacements(), 1);
        // A later fencing of the new producer replaces it again.
        sink.replace_producer(used + 1).unwrap();
        assert_eq!(sink.replacements(), 2);
    }

    #[test]
    fn fenced_producers_are_replaced_and_bad_records_given_up() {
        let err = |c| KafkaError::MessageProduction(c);
        assert_eq!(
            classify(&err(RDKafkaErrorCode::ProducerFenced)),
            Failure::ProducerFatal
        );
        assert_eq!(
            classify(&err(RDKafkaErrorCode::InvalidProducerEpoch)),
            Failure::ProducerFatal
        );
        assert_eq!(
            classify(&err(RDKafkaErrorCode::MessageSizeTooLarge)),
            Failure::Permanent
        );
        assert_eq!(
            classify(&err(RDKafkaErrorCode::UnknownTopic)),
            Failure::Permanent
        );
        assert_eq!(
            classify(&err(RDKafkaErrorCode::TopicAuthorizationFailed)),
            Failure::Permanent
        );
        assert_eq!(
            classify(&err(RDKafkaErrorCode::MessageTimedOut)),
            Failure::Transient
        );
        assert_eq!(
            classify(&err(RDKafkaErrorCode::AllBrokersDown)),
            Failure::Transient
        );
    }
}
