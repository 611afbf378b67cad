//! `serve` on Kafka: the workspace as a mirror of the topics that `earshot
//! route` writes, and a writer of what people do.
//!
//! [`follow`] reads every partition of the queue, alert, influencer, status
//! and activity topics from the start (no consumer group: every instance
//! builds the whole view, so several can stand behind a load balancer) and
//! goes on reading as they grow. [`event`] (pure) turns a message into an
//! [`Event`]; a message that cannot be read is logged with its topic,
//! partition and offset, and skipped. Status changes go to the status topic
//! route consumes, notes and contacts to the activity topic, each applied
//! to this instance's view once the broker acknowledged it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;

use super::desk::Desk;
use super::events::{Activity, Event};
use crate::config::KafkaConfig;
use crate::route::config::RouteConfig;
use crate::route::records::StatusEvent;
use crate::sink::kafka::{cloudevent_headers, Outgoing};
use crate::sink::{Sink, SinkError};

/// What a topic carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Queue,
    Alert,
    Influencer,
    Status,
    Activity,
}

/// The topics a workspace reads, and the two it writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Topics {
    pub read: Vec<(String, Kind)>,
    pub status: String,
    pub activity: String,
}

impl Topics {
    pub fn of(route: &RouteConfig, kafka: &KafkaConfig, activity: &str) -> Topics {
        let mut read: Vec<(String, Kind)> = route
            .queues
            .iter()
            .map(|q| (q.topic.clone(), Kind::Queue))
            .collect();
        read.push((route.alerts_topic.clone(), Kind::Alert));
        read.push((kafka.influencer_topic.clone(), Kind::Influencer));
        read.push((route.status_topic.clone(), Kind::Status));
        read.push((activity.to_string(), Kind::Activity));
        Topics {
            read,
            status: route.status_topic.clone(),
            activity: activity.to_string(),
        }
    }
}

/// The event a message of a `kind` topic holds; none for a tombstone.
pub fn event(kind: Kind, payload: Option<&[u8]>) -> Result<Option<Event>, String> {
    let Some(p) = payload else { return Ok(None) };
    let json = |e: serde_json::Error| format!("not the record expected: {e}");
    Ok(Some(match kind {
        Kind::Queue => Event::Routed(serde_json::from_slice(p).map_err(json)?),
        Kind::Alert => Event::Alert(serde_json::from_slice(p).map_err(json)?),
        Kind::Influencer => Event::Influencer(serde_json::from_slice(p).map_err(json)?),
        // Read as route reads it: CRMs write this topic too.
        Kind::Status => Event::Status(StatusEvent::parse(p).map_err(|e| e.to_string())?),
        Kind::Activity => Event::Activity(serde_json::from_slice(p).map_err(json)?),
    }))
}

/// Follows the topics until `shutdown`, feeding `desk`; sets `ready` once
/// everything present at start has been read. Blocking: run it on a thread
/// of its own.
pub fn follow(
    cfg: ClientConfig,
    topics: Topics,
    desk: Arc<Desk>,
    ready: Arc<AtomicBool>,
    shutdown: CancellationToken,
) {
    let consumer: BaseConsumer = match cfg.create() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "Workspace consumer not created.");
            return;
        }
    };
    let kinds: HashMap<String, Kind> = topics.read.iter().cloned().collect();
    // Partitions assigned so far, and the end each had when assigned.
    let mut assigned: HashMap<(String, i32), i64> = HashMap::new();
    let mut behind: HashMap<(String, i32), i64> = HashMap::new();
    let mut last_check: Option<Instant> = None;
    while !shutdown.is_cancelled() {
        // Topics that do not exist yet (a fresh cluster) are looked for
        // again every 10 s.
        if last_check.is_none_or(|t| t.elapsed() > Duration::from_secs(10))
            && assigned.len() < expected(&consumer, &topics)
        {
            assign(&consumer, &topics, &mut assigned, &mut behind);
            last_check = Some(Instant::now());
            if behind.is_empty() && !ready.swap(true, Ordering::SeqCst) {
                tracing::info!(
                    partitions = assigned.len(),
                    "Workspace caught up with the topics."
                );
            }
        }
        let Some(m) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let m = match m {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, "Workspace consumer error.");
                continue;
            }
        };
        let (topic, partition, offset) = (m.topic().to_string(), m.partition(), m.offset());
        if let Some(&kind) = kinds.get(&topic) {
            match event(kind, m.payload()) {
                Ok(Some(e)) => desk.consumed(&e, m.payload().unwrap_or_default()),
                Ok(None) => {}
                Err(e) => tracing::warn!(%topic, partition, offset, error = %e, "Message skipped."),
            }
        }
        let key = (topic, partition);
        if behind.get(&key).is_some_and(|&end| offset + 1 >= end) {
            behind.remove(&key);
            if behind.is_empty() && !ready.swap(true, Ordering::SeqCst) {
                tracing::info!(
                    partitions = assigned.len(),
                    "Workspace caught up with the topics."
                );
            }
        }
    }
}

/// Partitions the topics have now (0 for a topic that does not exist).
fn expected(consumer: &BaseConsumer, topics: &Topics) -> usize {
    partitions(consumer, topics).len()
}

fn partitions(consumer: &BaseConsumer, topics: &Topics) -> Vec<(String, i32)> {
    let mut out = Vec::new();
    for (t, _) in &topics.read {
        let Ok(md) = consumer.fetch_metadata(Some(t), Duration::from_secs(5)) else {
            continue;
        };
        for mt in md.topics().iter().filter(|mt| mt.error().is_none()) {
            out.extend(mt.partitions().iter().map(|p| (t.clone(), p.id())));
        }
    }
    out
}

/// Adds the partitions not assigned yet, read from their start; those
/// assigned before keep their positions (`incremental_assign`).
fn assign(
    consumer: &BaseConsumer,
    topics: &Topics,
    assigned: &mut HashMap<(String, i32), i64>,
    behind: &mut HashMap<(String, i32), i64>,
) {
    let mut new = TopicPartitionList::new();
    for (t, p) in partitions(consumer, topics) {
        if assigned.contains_key(&(t.clone(), p)) {
            continue;
        }
        let end = consumer
            .fetch_watermarks(&t, p, Duration::from_secs(5))
            .map_or(0, |(_, high)| high);
        if end > 0 {
            behind.insert((t.clone(), p), end);
        }
        new.add_partition_offset(&t, p, Offset::Beginning).ok();
        assigned.insert((t, p), end);
    }
    if new.count() == 0 {
        return;
    }
    if let Err(e) = consumer.incremental_assign(&new) {
        tracing::warn!(error = %e, "Workspace partitions not assigned.");
    }
}

#[derive(Debug, thiserror::Error)]
#[error("the workspace could not write to Kafka ({0}); nothing was changed")]
pub struct WriteError(#[from] SinkError);

/// Writes what people do to the topics, then shows it in this instance's
/// view.
pub struct Writer {
    pub topics: Topics,
    pub ready: Arc<AtomicBool>,
}

impl Writer {
    async fn write(
        &self,
        sink: &Sink,
        desk: &Desk,
        topic: &str,
        key: &str,
        event: Event,
        payload: Vec<u8>,
        ce_type: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), WriteError> {
        let id = crate::record::stable_id("ws", &[key, &String::from_utf8_lossy(&payload)]);
        sink.send_messages(vec![Outgoing {
            topic: topic.to_string(),
            key: key.to_string(),
            payload: Some(payload.clone()),
            headers: cloudevent_headers(&id, "earshot/serve", ce_type, key, at),
            partition: None,
        }])
        .await?;
        desk.wrote(&event, &payload);
        Ok(())
    }

    /// A status change, for route and any CRM, keyed by feedback id so it
    /// lands on the feedback's partition.
    pub async fn status(
        &self,
        sink: &Sink,
        desk: &Desk,
        ev: StatusEvent,
    ) -> Result<(), WriteError> {
        let payload = serde_json::to_vec(&ev).expect("status events serialize");
        let (key, at) = (ev.feedback_id.clone(), ev.at);
        let topic = self.topics.status.clone();
        self.write(
            sink,
            desk,
            &topic,
            &key,
            Event::Status(ev),
            payload,
            "dev.earshot.status.v1",
            at,
        )
        .await
    }

    pub async fn activity(&self, sink: &Sink, desk: &Desk, a: Activity) -> Result<(), WriteError> {
        let payload = serde_json::to_vec(&a).expect("activities serialize");
        let (key, at) = (a.feedback_id.clone(), a.at);
        let topic = self.topics.activity.clone();
        self.write(
            sink,
            desk,
            &topic,
            &key,
            Event::Activity(a),
            payload,
            "dev.earshot.activity.v1",
            at,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_become_events_or_say_why_not() {
        assert_eq!(event(Kind::Influencer, None).unwrap(), None, "a tombstone");
        let s = br#"{"feedback_id":"fb_1","status":"ACKNOWLEDGED","at":"2026-11-30T10:00:00+01:00","by":"crm"}"#;
        match event(Kind::Status, Some(s)).unwrap() {
            Some(Event::Status(ev)) => assert_eq!(ev.by.as_deref(), Some("crm")),
            other => panic!("{other:?}"),
        }
        let e = event(Kind::Queue, Some(b"{\"id\": 1}")).unwrap_err();
        assert!(e.starts_with("not the record expected"), "{e}");
        assert!(event(Kind::Status, Some(b"[]"))
            .unwrap_err()
            .contains("status event"));
    }
}
