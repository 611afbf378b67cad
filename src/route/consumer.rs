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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::RouteConfig;
use super::deadline::{Deadlines, Entry};
use super::records::{AlertRecord, RoutedRecord, StatusEvent};
use super::rules::Router;
use super::spike::Spikes;
use crate::config::KafkaConfig;
use crate::record::FeedbackRecord;
use crate::sink::kafka::{client_config, cloudevent_headers, KafkaSink, Outgoing};

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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            batch: 500,
            linger: Duration::from_millis(20),
            check_every: Duration::from_secs(10),
            instance: std::process::id().to_string(),
        }
    }
}

/// Counts of one run, logged at exit.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Stats {
    pub routed: u64,
    pub repeats: u64,
    pub statuses: u64,
    pub immediate: u64,
    pub deadline: u64,
    pub spikes: u64,
    pub bad: u64,
}

/// Wall time that advances with tokio's clock, so deadline timing can be
/// driven by a paused clock in tests and by the real one in production.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    wall: DateTime<Utc>,
    at: Instant,
}

impl Clock {
    pub fn start() -> Clock {
        Clock {
            wall: Utc::now(),
            at: Instant::now(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.wall + chrono::Duration::from_std(self.at.elapsed()).unwrap_or_default()
    }

    /// The tokio instant at which wall time `t` comes.
    pub fn instant_of(&self, t: DateTime<Utc>) -> Instant {
        let ahead = (t - self.now()).to_std().unwrap_or(Duration::ZERO);
        Instant::now() + ahead
    }
}

/// The pure state of one instance: what it owns and has decided.
pub struct Decider {
    pub cfg: RouteConfig,
    router: Router,
    pub deadlines: Deadlines,
    spikes: Spikes,
    /// The partition each known feedback id lives on.
    partition_of: HashMap<String, i32>,
    pub stats: Stats,
}

/// What deciding produced: messages to produce before committing.
#[derive(Default)]
pub struct Output {
    pub messages: Vec<Outgoing>,
}

impl Decider {
    pub fn new(cfg: RouteConfig) -> Decider {
        Decider {
            router: Router::new(&cfg),
            spikes: Spikes::new(cfg.spike.clone()),
            cfg,
            deadlines: Deadlines::new(),
            partition_of: HashMap::new(),
            stats: Stats::default(),
        }
    }

    fn json<T: serde::Serialize>(
        &self,
        topic: &str,
        key: &str,
        value: &T,
        ce: (&str, &str),
        partition: Option<i32>,
    ) -> Outgoing {
        Outgoing {
            topic: topic.to_string(),
            key: key.to_string(),
            payload: Some(serde_json::to_vec(value).expect("route records serialize")),
            headers: cloudevent_headers(ce.0, "earshot/route", ce.1, key),
            partition,
        }
    }

    fn changelog(&self, e: &Entry, partition: i32) -> Outgoing {
        let id = format!("{}:{:?}", e.feedback_id, e.state);
        self.json(
            &self.cfg.changelog_topic,
            &e.feedback_id,
            e,
            (&id, "dev.earshot.route.deadline.v1"),
            Some(partition),
        )
    }

    fn alert(&self, a: &AlertRecord) -> Outgoing {
        self.json(
            &self.cfg.alerts_topic,
            &a.id,
            a,
            (&a.id, "dev.earshot.alert.v1"),
            None,
        )
    }

    /// Decides one feedback record from `partition`.
    pub fn feedback(
        &mut self,
        fb: FeedbackRecord,
        partition: i32,
        now: DateTime<Utc>,
        out: &mut Output,
    ) {
        self.spikes.observe(
            &fb.brand,
            fb.published.unwrap_or(fb.observed).min(now),
            fb.sentiment.label == crate::model::SentimentLabel::Negative,
        );
        let decision = self.router.route(&fb);
        let routed = RoutedRecord::new(fb, &decision, now);
        let Some(entry) = self.deadlines.routed(&routed) else {
            // Routed before (a replay, or an edit of a known mention).
            self.stats.repeats += 1;
            return;
        };
        self.partition_of
            .insert(entry.feedback_id.clone(), partition);
        out.messages.push(self.json(
            &decision.topic,
            routed.key(),
            &routed,
            (routed.key(), "dev.earshot.routed.v1"),
            None,
        ));
        out.messages.push(self.changelog(&entry, partition));
        self.stats.routed += 1;
        if decision.escalate {
            out.messages
                .push(self.alert(&AlertRecord::immediate(&routed, now)));
            self.stats.immediate += 1;
        }
    }

    /// Applies one status event from `partition`.
    pub fn status(&mut self, ev: StatusEvent, partition: i32, out: &mut Output) {
        self.stats.statuses += 1;
        let cfg = &self.cfg;
        if let Some(entry) = self.deadlines.status(&ev, |q| cfg.deadline_of(q)) {
            self.partition_of
                .insert(entry.feedback_id.clone(), partition);
            out.messages.push(self.changelog(&entry, partition));
        }
    }

    /// Escalates what fell due and raises spike alerts.
    pub fn tick(&mut self, now: DateTime<Utc>, out: &mut Output) {
        for entry in self.deadlines.due(now) {
            out.messages
                .push(self.alert(&AlertRecord::deadline(&entry, now)));
            if let Some(&p) = self.partition_of.get(&entry.feedback_id) {
                // The alert carries the feedback; the changelog need not.
                let closed = Entry {
                    feedback: None,
                    ..entry
                };
                out.messages.push(self.changelog(&closed, p));
            }
            self.stats.deadline += 1;
        }
        for alert in self.spikes.check(now) {
            out.messages.push(self.alert(&alert));
            self.stats.spikes += 1;
        }
    }

    /// Takes in a changelog entry of an owned partition.
    pub fn restore(&mut self, entry: Entry, partition: i32) {
        self.partition_of
            .insert(entry.feedback_id.clone(), partition);
        self.deadlines.restore(entry);
    }

    /// Drops the state of partitions no longer owned.
    pub fn release(&mut self, owned: &HashSet<i32>) {
        let gone: HashSet<String> = self
            .partition_of
            .iter()
            .filter(|(_, p)| !owned.contains(p))
            .map(|(id, _)| id.clone())
            .collect();
        self.deadlines.forget(|id| gone.contains(id));
        self.partition_of.retain(|id, _| !gone.contains(id));
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

/// Checks that the feedback, status and changelog topics have as many
/// partitions as each other, and returns that number.
pub fn check_partitions(consumer: &impl Consumer, cfg: &RouteConfig) -> Result<i32, RouteError> {
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
    let err = |message: String| RouteError::Restore {
        topic: topic.to_string(),
        partition,
        message,
    };
    let consumer: BaseConsumer = cfg.create().map_err(|e| err(e.to_string()))?;
    let (low, high) = consumer
        .fetch_watermarks(topic, partition, Duration::from_secs(10))
        .map_err(|e| err(e.to_string()))?;
    let mut latest: HashMap<String, Option<Entry>> = HashMap::new();
    if high > low {
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, partition, Offset::Beginning)
            .map_err(|e| err(e.to_string()))?;
        consumer.assign(&tpl).map_err(|e| err(e.to_string()))?;
        let started = std::time::Instant::now();
        loop {
            match consumer.poll(Duration::from_millis(500)) {
                Some(Ok(m)) => {
                    let key = m.key().map(|k| String::from_utf8_lossy(k).into_owned());
                    let entry = m.payload().and_then(|p| serde_json::from_slice(p).ok());
                    if let Some(k) = key {
                        latest.insert(k, entry);
                    }
                    if m.offset() + 1 >= high {
                        break;
                    }
                }
                Some(Err(e)) => return Err(err(e.to_string())),
                None if started.elapsed() > Duration::from_secs(60) => {
                    return Err(err(format!("did not reach offset {high} within 60 s")))
                }
                None => {}
            }
        }
    }
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
    let mut consumer_cfg = consumer_config(kafka_cfg, &client_id);
    consumer_cfg
        .set("group.id", &cfg.group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        // Range assignment gives one instance the same partition numbers
        // of both topics: co-partitioning needs it.
        .set("partition.assignment.strategy", "range")
        // Bounded prefetch: memory stays flat however far behind we are.
        .set("queued.max.messages.kbytes", "16384");
    for (k, v) in &kafka_cfg.properties {
        if let Some(k) = k.strip_prefix("consumer.") {
            consumer_cfg.set(k, v);
        }
    }
    let consumer: StreamConsumer = consumer_cfg.create().map_err(kafka("consumer"))?;
    check_partitions(&consumer, &cfg)?;
    consumer
        .subscribe(&[&cfg.feedback_topic, &cfg.status_topic])
        .map_err(kafka("subscribe"))?;
    let restore_cfg = consumer_config(kafka_cfg, &format!("{client_id}-restore"));
    let mut pcfg = client_config(kafka_cfg, "route");
    pcfg.set("client.id", format!("{client_id}-producer"));
    let producer = KafkaSink::with_config(kafka_cfg, pcfg, "route")
        .map_err(|e| RouteError::Kafka(e.to_string()))?;

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
            producer
                .send_messages(out.messages)
                .await
                .map_err(|e| RouteError::Kafka(e.to_string()))?;
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
fn sync_assignment(consumer: &StreamConsumer, restored: &mut HashSet<i32>, decider: &mut Decider) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::records::StatusKind;

    fn config() -> RouteConfig {
        let text = r#"
default_queue = "pm"
[[queues]]
name = "pm"
deadline = "4h"
"#;
        crate::route::config::validate(toml::from_str(text).unwrap()).unwrap()
    }

    fn feedback(id: &str) -> FeedbackRecord {
        serde_json::from_value(serde_json::json!({
            "schema": "earshot.feedback/1", "id": id, "event": "created", "revision": "r",
            "brand": "Acme", "products": [], "terms": ["acme"], "intents": [],
            "sentiment": {"score": -0.2, "label": "negative"},
            "item_sentiment": {"score": -0.2, "label": "negative"},
            "excerpt": "Acme lost my order.", "source": {"pipeline": "p", "id": "s", "platform": "web"},
            "item_key": id, "observed": "2026-11-22T10:00:00Z", "status": "open",
            "priority": "normal", "priority_reason": "negative"
        }))
        .unwrap()
    }

    fn alerts(out: &Output, cfg: &RouteConfig) -> Vec<serde_json::Value> {
        out.messages
            .iter()
            .filter(|m| m.topic == cfg.alerts_topic)
            .map(|m| serde_json::from_slice(m.payload.as_ref().unwrap()).unwrap())
            .collect()
    }

    /// The route loop's timing path: it sleeps until the instant the clock
    /// maps the next deadline to, then ticks.
    #[tokio::test(start_paused = true)]
    async fn deadlines_fall_due_on_tokios_clock_and_acknowledged_ones_never() {
        let cfg = config();
        let clock = Clock::start();
        let mut d = Decider::new(cfg.clone());
        let mut out = Output::default();
        d.feedback(feedback("fb_stalled"), 0, clock.now(), &mut out);
        d.feedback(feedback("fb_acked"), 1, clock.now(), &mut out);
        d.status(
            StatusEvent {
                feedback_id: "fb_acked".into(),
                status: StatusKind::Acknowledged,
                at: clock.now(),
                by: Some("pm@acme.example".into()),
                note: None,
            },
            1,
            &mut out,
        );
        let start = Instant::now();
        tokio::time::sleep(Duration::from_secs(4 * 3600 - 60)).await;
        let mut early = Output::default();
        d.tick(clock.now(), &mut early);
        assert!(
            alerts(&early, &cfg).is_empty(),
            "nothing is due a minute early"
        );

        let due = d.deadlines.next_due().expect("a running clock");
        tokio::time::sleep_until(clock.instant_of(due)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(4 * 3600));
        let mut late = Output::default();
        d.tick(clock.now(), &mut late);
        let a = alerts(&late, &cfg);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0]["kind"], "deadline");
        assert_eq!(a[0]["feedback_id"], "fb_stalled");
        // Escalated once: later ticks stay quiet.
        tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
        let mut again = Output::default();
        d.tick(clock.now(), &mut again);
        assert!(alerts(&again, &cfg).is_empty());
        assert_eq!(d.stats.deadline, 1);
    }

    #[test]
    fn a_replayed_feedback_is_not_routed_again() {
        let cfg = config();
        let mut d = Decider::new(cfg);
        let now = Utc::now();
        let mut out = Output::default();
        d.feedback(feedback("fb_1"), 2, now, &mut out);
        // Routed record plus its changelog entry on the same partition.
        assert_eq!(out.messages.len(), 2);
        assert_eq!(out.messages[1].partition, Some(2));
        let mut again = Output::default();
        d.feedback(feedback("fb_1"), 2, now, &mut again);
        assert!(again.messages.is_empty());
        assert_eq!((d.stats.routed, d.stats.repeats), (1, 1));
    }

    #[test]
    fn state_of_released_partitions_is_dropped() {
        let mut d = Decider::new(config());
        let mut out = Output::default();
        d.feedback(feedback("fb_a"), 0, Utc::now(), &mut out);
        d.feedback(feedback("fb_b"), 1, Utc::now(), &mut out);
        d.release(&HashSet::from([1]));
        assert!(!d.deadlines.contains("fb_a"));
        assert!(d.deadlines.contains("fb_b"));
    }
}
