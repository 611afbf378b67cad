//! The notifier on Kafka: `earshot route` (and `earshot serve` on Kafka)
//! consume the alerts topic and hand each alert to [`run::run`], which
//! sends it to the `[notify]` channels.
//!
//! Notifiers share the alerts partitions in a consumer group of their own,
//! `<route group>-notify`, so each alert is sent by one instance and they
//! scale with the topic's partitions. Each delivery a channel accepted is
//! produced to the compacted deliveries topic (`[route] notified_topic`,
//! [`deliveries`]).
//!
//! Offsets: a partition's committed offset is that of its oldest alert not
//! settled yet ([`ledger`]: a channel that takes it has not accepted it,
//! because it is still being retried, held after failures or folded into a
//! later message by the throttle). Settled are alerts every channel
//! accepted, alerts no channel takes, and alerts older than
//! [`run::RESEND_WITHIN`]. So an instance handed a partition (after a
//! restart, or from another instance) starts at the first alert somebody
//! may still owe; it first reads the whole deliveries topic, and skips the
//! (alert, channel) pairs found there. Nothing accepted is sent twice,
//! nothing owed is lost. The alternative, seeking to "24 hours ago" on each
//! assignment, would re-read a day of alerts every time and needs
//! timestamp lookups that not every Kafka-protocol broker answers.
//!
//! Each assignment starts a fresh [`run::run`] with the delivered set read
//! then. Before partitions are given up (a rebalance, shutdown), the task
//! finishes the delivery in flight and stops, the delivery records are
//! flushed and the offsets committed, all inside the revocation callback,
//! so the next owner reads a complete deliveries topic. Only a crash
//! between a channel's acceptance and the broker's acknowledgement of the
//! record can send a message twice.

pub mod deliveries;
pub mod ledger;
mod rebalance;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::message::{BorrowedMessage, Message};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use self::deliveries::Deliveries;
use self::ledger::{Ledger, Waiting};
use self::rebalance::{Generation, Rebalancing, Shared};
use super::config::NotifyConfig;
use super::run::{self, Backlog, Store, RESEND_WITHIN};
use super::send::Sender;
use crate::config::{KafkaConfig, Pipeline, SinkConfig};
use crate::route::config::RouteConfig;
use crate::route::consumer::consumer_config;
use crate::route::decider::Clock;
use crate::route::records::AlertRecord;
use crate::sink::kafka::client_config;

#[derive(Debug, thiserror::Error)]
pub enum NotifyKafkaError {
    #[error("kafka: {0}")]
    Kafka(String),
    #[error("reading {topic}: {message}")]
    Read { topic: String, message: String },
    #[error("HTTP client of the notifier: {0}")]
    Http(String),
}

/// How often the settled offsets are committed.
const COMMIT_EVERY: Duration = Duration::from_secs(1);

/// What a notifier on Kafka reads and writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Topics {
    pub alerts: String,
    pub notified: String,
    pub group: String,
}

impl Topics {
    pub fn of(route: &RouteConfig) -> Topics {
        Topics {
            alerts: route.alerts_topic.clone(),
            notified: route.notified_topic.clone(),
            group: format!("{}-notify", route.group),
        }
    }
}

/// Starts the notifier of a pipeline with `[notify]`, `[route]` and a
/// Kafka sink; none without them.
pub fn spawn(
    p: &Pipeline,
    instance: &str,
    shutdown: CancellationToken,
) -> Result<Option<tokio::task::JoinHandle<Result<(), NotifyKafkaError>>>, NotifyKafkaError> {
    let (Some(cfg), Some(route), SinkConfig::Kafka(kafka)) = (&p.notify, &p.route, &p.sink) else {
        return Ok(None);
    };
    let http = crate::source::http::HttpClient::new(&p.http)
        .map_err(|e| NotifyKafkaError::Http(e.to_string()))?;
    let (cfg, topics, kafka) = (cfg.clone(), Topics::of(route), kafka.clone());
    let instance = instance.to_string();
    Ok(Some(tokio::spawn(async move {
        run(cfg, Sender::new(http), topics, &kafka, &instance, shutdown).await
    })))
}

/// Delivers the alerts of the partitions this instance is assigned until
/// `shutdown`; then finishes the delivery in flight, records and commits.
pub async fn run(
    cfg: NotifyConfig,
    sender: Sender,
    topics: Topics,
    kafka: &KafkaConfig,
    instance: &str,
    shutdown: CancellationToken,
) -> Result<(), NotifyKafkaError> {
    let kafka_err = |what: &str| {
        let what = what.to_string();
        move |e: rdkafka::error::KafkaError| NotifyKafkaError::Kafka(format!("{what}: {e}"))
    };
    let client_id = format!("earshot-notify-{instance}");
    let mut ccfg = consumer_config(kafka, &client_id);
    ccfg.set("group.id", &topics.group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        // Eager assignment: every rebalance revokes everything first, so
        // the revocation callback is where a partition is handed over.
        .set("partition.assignment.strategy", "range");
    for (k, v) in &kafka.properties {
        if let Some(k) = k.strip_prefix("consumer.") {
            ccfg.set(k, v);
        }
    }
    let reader = consumer_config(kafka, &format!("{client_id}-reader"));
    let mut pcfg = client_config(kafka, "notify");
    pcfg.set("client.id", format!("{client_id}-deliveries"))
        .set("statistics.interval.ms", "0");
    let clock = Clock::start();
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let store = Arc::new(Deliveries::new(
        &pcfg,
        &topics.notified,
        ledger.clone(),
        clock,
    )?);
    let shared = Arc::new(Shared::new(
        topics.alerts.clone(),
        ledger,
        store.clone(),
        clock,
    ));
    let consumer: BaseConsumer<Rebalancing> = ccfg
        .create_with_context(Rebalancing(shared.clone()))
        .map_err(kafka_err("consumer"))?;
    exists(&consumer, &topics.alerts, "")?;
    exists(
        &consumer,
        &topics.notified,
        "; create it with cleanup.policy=compact ([route] notified_topic)",
    )?;
    consumer
        .subscribe(&[&topics.alerts])
        .map_err(kafka_err("subscribe"))?;
    tracing::info!(group = %topics.group, topic = %topics.alerts, "Delivering notifications.");
    let follower = Follower {
        cfg,
        sender,
        topics,
        reader,
        clock,
        store,
        shared,
    };
    tokio::task::spawn_blocking(move || follower.follow(consumer, shutdown))
        .await
        .expect("notifier panicked")
}

fn exists<C: rdkafka::consumer::ConsumerContext>(
    consumer: &BaseConsumer<C>,
    topic: &str,
    hint: &str,
) -> Result<(), NotifyKafkaError> {
    let md = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .map_err(|e| NotifyKafkaError::Kafka(format!("{topic}: {e}")))?;
    let there = md
        .topics()
        .first()
        .is_some_and(|t| t.error().is_none() && !t.partitions().is_empty());
    if there {
        Ok(())
    } else {
        Err(NotifyKafkaError::Read {
            topic: topic.to_string(),
            message: format!("the topic does not exist{hint}"),
        })
    }
}

/// The consumer loop, on a thread of its own (librdkafka's calls block).
struct Follower {
    cfg: NotifyConfig,
    sender: Sender,
    topics: Topics,
    reader: ClientConfig,
    clock: Clock,
    store: Arc<Deliveries>,
    shared: Arc<Shared>,
}

/// The notifier task of the current assignment, and what it was told.
struct Live {
    tx: UnboundedSender<AlertRecord>,
    delivered: std::collections::HashSet<(String, String)>,
    /// Alert ids handed over, so a replayed alert is not offered twice.
    seen: HashMap<String, DateTime<Utc>>,
}

impl Follower {
    fn follow(
        self,
        consumer: BaseConsumer<Rebalancing>,
        shutdown: CancellationToken,
    ) -> Result<(), NotifyKafkaError> {
        let mut live: Option<Live> = None;
        let mut next_commit = Instant::now() + COMMIT_EVERY;
        let result = loop {
            if shutdown.is_cancelled() {
                break Ok(());
            }
            let polled = consumer.poll(Duration::from_millis(200));
            if let Some(parts) = self.shared.take_assigned() {
                match self.start(&parts) {
                    Ok(l) => live = l,
                    Err(e) => break Err(e),
                }
            }
            match polled {
                Some(Ok(m)) => self.take(&m, live.as_mut()),
                Some(Err(e)) => tracing::warn!(error = %e, "Reading alerts failed; retrying."),
                None => {}
            }
            if Instant::now() >= next_commit {
                self.shared.commit(&consumer, CommitMode::Async);
                if let Some(l) = live.as_mut() {
                    let since = self.clock.now() - RESEND_WITHIN;
                    l.seen.retain(|_, at| *at >= since);
                }
                next_commit = Instant::now() + COMMIT_EVERY;
            }
        };
        self.shared.stop(&consumer);
        result
    }

    /// Starts delivering for newly assigned `parts`, with what the
    /// deliveries topic says was accepted.
    fn start(&self, parts: &[i32]) -> Result<Option<Live>, NotifyKafkaError> {
        if parts.is_empty() {
            return Ok(None);
        }
        let since = self.clock.now() - RESEND_WITHIN;
        let delivered = deliveries::read(&self.reader, &self.topics.notified, since)?;
        tracing::info!(partitions = ?parts, delivered = delivered.len(), "Alert partitions assigned.");
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let token = CancellationToken::new();
        let backlog = Backlog {
            alerts: Vec::new(),
            delivered: delivered.clone(),
        };
        let store: Arc<dyn Store> = self.store.clone();
        let task = self.shared.rt.spawn(run::run(
            self.cfg.clone(),
            self.sender.clone(),
            backlog,
            rx,
            store,
            self.clock,
            token.clone(),
        ));
        self.shared.begin(Generation { token, task });
        Ok(Some(Live {
            tx,
            delivered,
            seen: HashMap::new(),
        }))
    }

    /// Hands one alert message to the notifier task, noting first what it
    /// waits for (the task may accept it before this returns).
    fn take(&self, m: &BorrowedMessage<'_>, live: Option<&mut Live>) {
        let (Some(live), true) = (live, self.shared.owns(m.partition())) else {
            return;
        };
        let alert = m.payload().and_then(|p| {
            serde_json::from_slice::<AlertRecord>(p)
                .map_err(|e| {
                    let place = format!("{}[{}]@{}", m.topic(), m.partition(), m.offset());
                    tracing::warn!(%place, error = %e, "Not an alert; skipped.");
                })
                .ok()
        });
        let since = self.clock.now() - RESEND_WITHIN;
        let fresh = alert.filter(|a| a.at >= since && !live.seen.contains_key(&a.id));
        let waiting = fresh.as_ref().map(|a| Waiting {
            id: a.id.clone(),
            at: a.at,
            channels: self
                .cfg
                .channels
                .iter()
                .filter(|ch| ch.filter.takes(a))
                .filter(|ch| !live.delivered.contains(&(a.id.clone(), ch.name.clone())))
                .map(|ch| ch.name.clone())
                .collect(),
        });
        self.shared
            .ledger
            .lock()
            .expect("ledger lock")
            .read(m.partition(), m.offset(), waiting);
        if let Some(a) = fresh {
            live.seen.insert(a.id.clone(), a.at);
            // A closed channel means the partitions were just revoked: the
            // next owner reads this alert again.
            let _ = live.tx.send(a);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifiers_have_a_group_of_their_own() {
        let route = crate::route::config::validate(
            toml::from_str("default_queue = \"q\"\n[[queues]]\nname = \"q\"\n").unwrap(),
        )
        .unwrap();
        let t = Topics::of(&route);
        assert_eq!(t.group, "earshot-route-notify");
        assert_eq!(t.notified, "earshot.notified");
        assert_eq!(t.alerts, "earshot.alerts");
    }
}
