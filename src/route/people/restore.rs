//! The Kafka side of a move of partitions in the people loop: the client
//! context notes each assignment and revocation as librdkafka makes it,
//! and [`restore`] reads back what a newly assigned partition's people
//! said, up to the position the group committed, and the disengagement
//! alerts already raised.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, Statistics, TopicPartitionList};

use super::super::consumer::RouteError;
use super::super::disengage::Disengagement;
use super::super::records::{AlertKind, AlertRecord};
use super::super::replay::{partitions, read_partitions};
use super::state::replay;
use crate::sink::kafka::context::BrokerContext;

/// A change of the partitions this instance owns.
#[derive(Debug, Clone, PartialEq)]
pub enum Move {
    Assigned(Vec<i32>),
    Revoked(Vec<i32>),
}

/// The consumer's context: the broker context of `/metrics` (lag, broker
/// errors), and the moves not yet applied by the loop.
#[derive(Clone, Default)]
pub struct PeopleContext {
    pub broker: BrokerContext,
    moves: Arc<Mutex<Vec<Move>>>,
}

impl PeopleContext {
    /// The moves since the last call, in the order they happened.
    pub fn take_moves(&self) -> Vec<Move> {
        std::mem::take(&mut *self.moves.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl ClientContext for PeopleContext {
    fn stats(&self, stats: Statistics) {
        self.broker.stats(stats);
    }

    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        self.broker.log(level, fac, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.broker.error(error, reason);
    }
}

impl ConsumerContext for PeopleContext {
    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let ids = |tpl: &TopicPartitionList| tpl.elements().iter().map(|e| e.partition()).collect();
        let m = match rebalance {
            Rebalance::Assign(tpl) => Move::Assigned(ids(tpl)),
            Rebalance::Revoke(tpl) => Move::Revoked(ids(tpl)),
            Rebalance::Error(_) => return,
        };
        self.moves.lock().unwrap_or_else(|p| p.into_inner()).push(m);
    }
}

/// What was read back for a set of newly assigned partitions.
pub struct Restored {
    /// Each partition, the group's position in it, its people up to there.
    pub partitions: Vec<(i32, i64, Disengagement)>,
    /// The disengagement alerts on the alerts topic.
    pub alerts: Vec<AlertRecord>,
    /// Records of the history that were no influencer records.
    pub bad: u64,
}

/// Where the loop reads from.
#[derive(Debug, Clone)]
pub struct Topics {
    pub influencer: String,
    pub alerts: String,
    /// The people loop's consumer group, whose committed offsets are the
    /// positions.
    pub group: String,
}

/// Reads back `assigned` (blocking): each partition's records up to the
/// group's committed offset into a fresh detector, then the alerts topic.
pub fn restore(
    reader: &ClientConfig,
    topics: &Topics,
    assigned: &[i32],
    fresh: impl Fn() -> Disengagement,
) -> Result<Restored, RouteError> {
    let positions = committed(reader, topics, assigned)?;
    let mut out = Restored {
        partitions: Vec::new(),
        alerts: Vec::new(),
        bad: 0,
    };
    let mut detectors: HashMap<i32, Disengagement> =
        positions.iter().map(|&(p, _)| (p, fresh())).collect();
    let until: Vec<(i32, Option<i64>)> = positions.iter().map(|&(p, o)| (p, Some(o))).collect();
    read_partitions(reader, &topics.influencer, &until, |m| {
        let d = detectors
            .get_mut(&m.partition())
            .expect("an assigned partition");
        if !replay(d, m.payload()) {
            out.bad += 1;
        }
    })?;
    for (p, position) in positions {
        let d = detectors.remove(&p).expect("an assigned partition");
        out.partitions.push((p, position, d));
    }
    let all: Vec<(i32, Option<i64>)> = partitions(reader, &topics.alerts)?
        .into_iter()
        .map(|p| (p, None))
        .collect();
    read_partitions(reader, &topics.alerts, &all, |m| {
        let a = m
            .payload()
            .and_then(|b| serde_json::from_slice::<AlertRecord>(b).ok());
        if let Some(a) = a.filter(|a| a.kind == AlertKind::Disengagement) {
            out.alerts.push(a);
        }
    })?;
    Ok(out)
}

/// The group's committed offset of each partition; 0 where it committed
/// none (the consumer then starts at the beginning, `auto.offset.reset`).
fn committed(
    reader: &ClientConfig,
    topics: &Topics,
    assigned: &[i32],
) -> Result<Vec<(i32, i64)>, RouteError> {
    let err = |e: KafkaError| RouteError::Kafka(format!("committed offsets: {e}"));
    let mut cfg = reader.clone();
    // Reads the group's offsets without joining it.
    cfg.set("group.id", &topics.group);
    let consumer: BaseConsumer = cfg.create().map_err(err)?;
    let mut tpl = TopicPartitionList::new();
    for &p in assigned {
        tpl.add_partition(&topics.influencer, p);
    }
    let got = consumer
        .committed_offsets(tpl, Duration::from_secs(10))
        .map_err(err)?;
    Ok(got
        .elements()
        .iter()
        .map(|e| match e.offset() {
            Offset::Offset(o) => (e.partition(), o.max(0)),
            _ => (e.partition(), 0),
        })
        .collect())
}
