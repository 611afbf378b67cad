//! The deliveries topic: one record per alert and channel that accepted it,
//! keyed `<alert id>/<channel>` in a compacted topic, written by
//! [`Deliveries`] (the notifier's [`Store`]) and read back whole by
//! [`read`] when partitions are assigned.
//!
//! The producer is librdkafka's threaded one: [`Store::delivered`] is
//! called from the notifier task and must not wait, so it only queues the
//! record; [`Deliveries::flush`] waits for the broker before partitions are
//! handed over and at shutdown.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rdkafka::config::ClientConfig;
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::ClientContext;
use serde::{Deserialize, Serialize};

use super::ledger::Ledger;
use super::NotifyKafkaError;
use crate::notify::run::Store;
use crate::route::decider::Clock;
use crate::route::replay;

/// One accepted delivery, as written to the topic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivered {
    pub alert_id: String,
    pub channel: String,
    pub at: DateTime<Utc>,
}

/// Logs records the broker did not take: the delivery happened, but a
/// restart may send it again.
pub struct Logged;

impl ClientContext for Logged {}

impl ProducerContext for Logged {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Err((e, _)) = result {
            tracing::error!(error = %e, "Delivery record not written; a restart may send it again.");
        }
    }
}

/// The [`Store`] of a notifier on Kafka.
pub struct Deliveries {
    producer: ThreadedProducer<Logged>,
    topic: String,
    ledger: Arc<Mutex<Ledger>>,
    clock: Clock,
}

impl Deliveries {
    pub fn new(
        cfg: &ClientConfig,
        topic: &str,
        ledger: Arc<Mutex<Ledger>>,
        clock: Clock,
    ) -> Result<Deliveries, NotifyKafkaError> {
        let producer = cfg
            .create_with_context(Logged)
            .map_err(|e| NotifyKafkaError::Kafka(format!("deliveries producer: {e}")))?;
        Ok(Deliveries {
            producer,
            topic: topic.to_string(),
            ledger,
            clock,
        })
    }

    /// Waits (blocking) until the broker took every record queued.
    pub fn flush(&self) {
        if let Err(e) = self.producer.flush(Duration::from_secs(30)) {
            tracing::error!(error = %e, "Delivery records not all written; a restart may send some again.");
        }
    }
}

impl Store for Deliveries {
    fn delivered(&self, ids: &[String], channel: &str) -> Result<(), String> {
        let at = self.clock.now();
        let mut failed = None;
        for id in ids {
            let rec = Delivered {
                alert_id: id.clone(),
                channel: channel.to_string(),
                at,
            };
            let payload = serde_json::to_vec(&rec).expect("JSON serializes");
            let key = format!("{id}/{channel}");
            let record = BaseRecord::to(&self.topic).key(&key).payload(&payload);
            if let Err((e, _)) = self.producer.send(record) {
                failed = Some(e.to_string());
            }
        }
        // The channel accepted them whether or not the record was queued:
        // the commit may pass them.
        self.ledger
            .lock()
            .expect("ledger lock")
            .delivered(ids, channel);
        failed.map_or(Ok(()), Err)
    }
}

/// Every (alert id, channel) in the deliveries topic recorded at or after
/// `since`, read from the start of each partition to its current end.
pub fn read(
    cfg: &ClientConfig,
    topic: &str,
    since: DateTime<Utc>,
) -> Result<HashSet<(String, String)>, NotifyKafkaError> {
    let err = |m: String| NotifyKafkaError::Read {
        topic: topic.to_string(),
        message: m,
    };
    let partitions = replay::partitions(cfg, topic).map_err(|e| err(e.to_string()))?;
    if partitions.is_empty() {
        return Err(err(
            "the topic does not exist; create it with cleanup.policy=compact".into(),
        ));
    }
    let mut got = HashSet::new();
    let whole: Vec<(i32, Option<i64>)> = partitions.into_iter().map(|p| (p, None)).collect();
    replay::read_partitions(cfg, topic, &whole, |m| {
        let d = m
            .payload()
            .and_then(|p| serde_json::from_slice::<Delivered>(p).ok());
        if let Some(d) = d.filter(|d| d.at >= since) {
            got.insert((d.alert_id, d.channel));
        }
    })
    .map_err(|e| err(e.to_string()))?;
    Ok(got)
}
