//! The Kafka side of `earshot route`: consume, decide, produce, commit.
//!
//! Route reads the feedback and status topics in one consumer group, so
//! instances share partitions and Kafka moves them when one comes or goes.
//! The two topics must be co-partitioned (same partition count, keys hashed
//! the same way, as Kafka Streams requires): feedback `X` and its status
//! events then land on the same partition number, owned by one instance.
//! The deadline state of a partition lives in a compacted changelog topic,
//! partition for partition; an instance that is handed a partition reads
//! that partition's changelog before it handles any message from it. So
//! state survives restarts and moves with partitions.
//!
//! Delivery: a batch of messages is decided (pure: [`super::rules`],
//! [`super::deadline`], [`super::spike`]), every record it yields (routed
//! records, changelog entries, alerts) is produced and acknowledged, and
//! only then are the batch's offsets committed. A crash in between replays
//! the batch; the restored changelog says what was routed already, so
//! nothing is routed twice, and every output is keyed by feedback id (or a
//! deterministic alert id) for consumers that drop repeats.
//!
//! The consumer's client context keeps each assigned partition's lag from
//! librdkafka's statistics (every `statistics.interval.ms`, 5 s unless
//! `consumer.statistics.interval.ms` says otherwise) for `/metrics`
//! ([`super::exposed`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::RouteConfig;
use super::deadline::Entry;
pub use super::decider::Stats;
use super::decider::{Clock, Decider, Output};
use super::exposed::Observer;
use super::records::StatusEvent;
use crate::config::KafkaConfig;
use crate::record::FeedbackRecord;
use crate::sink::kafka::context::BrokerContext;
use crate::sink::kafka::{client_config, KafkaSink};

#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("kafka: {0}")]
    Kafka(String),
    #[error("topics are not co-partitioned: {0}")]
    Partitions(String),
    #[error("restoring {topic}[{partition}]: {message}")]
    Restore {
        topic: String,
        partition: i32,
        message: String,
    },
}

fn kafka(context: &str) -> impl Fn(rdkafka::error::KafkaError) -> RouteError + '_ {
    move |e| RouteError::Kafka(format!("{context}: {e}"))
}

/// Knobs of the consumer loop; the defaults suit production.
#[derive(Debug, Clone)]
pub struct Options {
    /// Most messages decided and committed together.
    pub batch: usize,
    /// How long a batch waits for more messages once it has one.
    pub linger: Duration,
    /// How often deadlines and spikes are checked at the least.
    pub check_every: Duration,
    /// Client id suffix, so instances can be told apart in broker logs.
    pub instance: String,
    /// Where the loop reports, for `/healthz` and `/metrics`.
    pub observer: Observer,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            batch: 500,
            linger: Duration::from_millis(20),
            check_every: Duration::from_secs(10),
            instance: std::process::id().to_string(),
            observer: Observer::default(),
        }
    }
}

/// Settings shared by route's consumers: connection and security from the
/// pipeline's Kafka sink, none of its producer tuning.
pub fn consumer_config(kafka: &KafkaConfig, client_id: &str) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", &kafka.brokers)
        .set("client.id", client_id)
        // librdkafka wants a group even to read assigned partitions; the
        // readers never join it or commit (route's consumer sets its own).
        .set("group.id", format!("{client_id}-reader"))
        .set("enable.auto.commit", "false");
    for (k, v) in &kafka.properties {
        let shared = ["security.", "sasl.", "ssl.", "socket.", "broker."];
        if shared.iter().any(|p| k.starts_with(p)) {
            c.set(k, v);
        }
    }
    c
}

/// The configuration of a consumer in `group` that commits only what was
/// handled (offsets stored and committed by hand), starts a new group at
/// the earliest offset, prefetches a bounded amount (memory stays flat
/// however far behind it is) and reports statistics for the lag of
/// `/metrics`; `consumer.*` properties of the file apply last.
pub fn group_consumer_config(kafka: &KafkaConfig, client_id: &str, group: &str) -> ClientConfig {
    let mut c = consumer_config(kafka, client_id);
    c.set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("queued.max.messages.kbytes", "16384")
        .set("statistics.interval.ms", "5000");
    for (k, v) in &kafka.properties {
        if let Some(k) = k.strip_prefix("consumer.") {
            c.set(k, v);
        }
    }
    c
}

/// Checks that the feedback, status and changelog topics have as many
/// partitions as each other, and returns that number.
pub fn check_partitions<C: rdkafka::consumer::ConsumerContext>(
    consumer: &impl Consumer<C>,
    cfg: &RouteConfig,
) -> Result<i32, RouteError> {
    let mut counts = BTreeMap::new();
    for topic in [&cfg.feedback_topic, &cfg.status_topic, &cfg.changelog_topic] {
        let md = consumer
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .map_err(kafka(topic))?;
        let n = md
            .topics()
            .first()
            .filter(|t| t.error().is_none())
            .map(|t| t.partitions().len() as i32)
            .unwrap_or(0);
        if n == 0 {
            return Err(RouteError::Partitions(format!(
                "topic `{topic}` does not exist; create it with as many partitions as `{}`",
                cfg.feedback_topic
            )));
        }
        counts.insert(topic.clone(), n);
    }
    let first = counts[&cfg.feedback_topic];
    if counts.values().any(|&n| n != first) {
        let list: Vec<String> = counts.iter().map(|(t, n)| format!("{t}={n}")).collect();
        return Err(RouteError::Partitions(format!(
            "{} (give them the same number of partitions)",
            list.join(", ")
        )));
    }
    Ok(first)
}

/// Reads one changelog partition from its start to its current end.
fn restore_partition(
    cfg: &ClientConfig,
    topic: &str,
    partition: i32,
) -> Result<Vec<Entry>, RouteError> {
    let mut latest: HashMap<String, Option<Entry>> = HashMap::new();
    super::replay::read_partition(cfg, topic, partition, None, |m| {
        let key = m.key().map(|k| String::from_utf8_lossy(k).into_owned());
        let entry = m.payload().and_then(|p| serde_json::from_slice(p).ok());
        if let Some(k) = key {
            latest.insert(k, entry);
        }
    })?;
    Ok(latest.into_values().flatten().collect())
}

/// Routes until `shutdown`; returns what it did.
pub async fn run(
    cfg: RouteConfig,
    kafka_cfg: &KafkaConfig,
    opts: Options,
    shutdown: CancellationToken,
) -> Result<Stats, RouteError> {
    let client_id = format!("earshot-route-{}", opts.instance);
    let mut consumer_cfg = group_consumer_config(kafka_cfg, &client_id, &cfg.group);
    // Range assignment gives one instance the same partition numbers of
    // both topics: co-partitioning needs it, whatever the file says.
    consumer_cfg.set("partition.assignment.strategy", "range");
    let context = BrokerContext::default();
    let consumer: StreamConsumer<BrokerContext> = consumer_cfg
        .create_with_context(context.clone())
        .map_err(kafka("consumer"))?;
    check_partitions(&consumer, &cfg)?;
    consumer
        .subscribe(&[&cfg.feedback_topic, &cfg.status_topic])
        .map_err(kafka("subscribe"))?;
    let restore_cfg = consumer_config(kafka_cfg, &format!("{client_id}-restore"));
    let mut pcfg = client_config(kafka_cfg, "route");
    pcfg.set("client.id", format!("{client_id}-producer"));
    let producer = KafkaSink::with_config(kafka_cfg, pcfg, "route")
        .map_err(|e| RouteError::Kafka(e.to_string()))?;
    let status = producer.status();
    opts.observer.attach(context, status.clone());

    let clock = Clock::start();
    let mut decider = Decider::new(cfg);
    let mut restored: HashSet<i32> = HashSet::new();
    let mut next_check = Instant::now() + opts.check_every;
    loop {
        let due = decider
            .deadlines
            .next_due()
            .map(|t| clock.instant_of(t))
            .map_or(next_check, |t| t.min(next_check));
        let first = tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep_until(due) => None,
            m = consumer.recv() => Some(m.map_err(kafka("consume"))?),
        };
        let timer_fired = first.is_none();
        let mut out = Output::default();
        let mut offsets: BTreeMap<(String, i32), i64> = BTreeMap::new();
        if let Some(first) = first {
            let mut batch = vec![first];
            let linger = Instant::now() + opts.linger;
            while batch.len() < opts.batch {
                match tokio::time::timeout_at(linger, consumer.recv()).await {
                    Ok(m) => batch.push(m.map_err(kafka("consume"))?),
                    Err(_) => break,
                }
            }
            sync_assignment(&consumer, &mut restored, &mut decider);
            for m in &batch {
                let p = m.partition();
                if !restored.contains(&p) {
                    let (rc, topic) = (restore_cfg.clone(), decider.cfg.changelog_topic.clone());
                    let entries =
                        tokio::task::spawn_blocking(move || restore_partition(&rc, &topic, p))
                            .await
                            .expect("restore panicked")?;
                    tracing::info!(
                        partition = p,
                        entries = entries.len(),
                        "Partition state restored from the changelog."
                    );
                    for e in entries {
                        decider.restore(e, p);
                    }
                    restored.insert(p);
                }
                decide(&mut decider, m, clock.now(), &mut out);
                offsets.insert((m.topic().to_string(), p), m.offset() + 1);
            }
        }
        if timer_fired || Instant::now() >= next_check {
            decider.tick(clock.now(), &mut out);
            next_check = Instant::now() + opts.check_every;
        }
        if !out.messages.is_empty() {
            let pending = status.begin();
            match producer.send_messages(out.messages).await {
                Ok(()) => pending.succeeded(),
                Err(e) => {
                    pending.failed(e.kind(), &e.to_string());
                    return Err(RouteError::Kafka(e.to_string()));
                }
            }
        }
        if !offsets.is_empty() {
            // Acknowledged: now the offsets may move past these messages.
            let mut tpl = TopicPartitionList::new();
            for ((t, p), o) in &offsets {
                tpl.add_partition_offset(t, *p, Offset::Offset(*o))
                    .map_err(kafka("offsets"))?;
            }
            consumer
                .commit(&tpl, CommitMode::Async)
                .map_err(kafka("commit"))?;
        }
        opts.observer.stats(&decider.stats);
    }
    // Whatever was decided was produced and committed batch by batch.
    producer
        .flush()
        .await
        .map_err(|e| RouteError::Kafka(e.to_string()))?;
    let _ = consumer.commit_consumer_state(CommitMode::Sync);
    Ok(decider.stats)
}

/// Forgets the state of partitions this instance no longer owns.
fn sync_assignment(
    consumer: &StreamConsumer<BrokerContext>,
    restored: &mut HashSet<i32>,
    decider: &mut Decider,
) {
    let Ok(tpl) = consumer.assignment() else {
        return;
    };
    let owned: HashSet<i32> = tpl
        .elements()
        .iter()
        .filter(|e| e.topic() == decider.cfg.feedback_topic)
        .map(|e| e.partition())
        .collect();
    if restored.iter().any(|p| !owned.contains(p)) {
        restored.retain(|p| owned.contains(p));
        decider.release(&owned);
        tracing::info!(?owned, "Partitions moved; state of the others dropped.");
    }
}

fn decide(decider: &mut Decider, m: &BorrowedMessage<'_>, now: DateTime<Utc>, out: &mut Output) {
    let Some(payload) = m.payload() else {
        return;
    };
    let place = format!("{}[{}]@{}", m.topic(), m.partition(), m.offset());
    if m.topic() == decider.cfg.feedback_topic {
        match serde_json::from_slice::<FeedbackRecord>(payload) {
            Ok(fb) => decider.feedback(fb, m.partition(), now, out),
            Err(e) => {
                decider.stats.bad += 1;
                tracing::warn!(%place, error = %e, "Not a feedback record; skipped.");
            }
        }
    } else {
        match StatusEvent::parse(payload) {
            Ok(ev) => decider.status(ev, m.partition(), out),
            Err(e) => {
                decider.stats.bad += 1;
                tracing::warn!(%place, error = %e, "Not a status event; skipped.");
            }
        }
    }
}
