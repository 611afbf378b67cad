//! Reading a partition back from its start: how route rebuilds state from
//! a compacted topic when it is handed a partition (the deadline changelog
//! in [`super::consumer`], the influencer topic in [`super::people`]).
//!
//! Blocking: callers run it on tokio's blocking pool. It reads up to an
//! end offset fixed when it starts (the high watermark, or an earlier
//! position such as the group's committed offset), so records written
//! meanwhile are left to the live consumer.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};

use super::consumer::RouteError;

/// How long a read may go without a message before it gives up.
const WITHIN: Duration = Duration::from_secs(60);

/// Hands `each` every message of `topic[partition]` from its start up to
/// `until` (exclusive; the high watermark when `None` or beyond it).
pub fn read_partition(
    cfg: &ClientConfig,
    topic: &str,
    partition: i32,
    until: Option<i64>,
    each: impl FnMut(&BorrowedMessage<'_>),
) -> Result<(), RouteError> {
    read_partitions(cfg, topic, &[(partition, until)], each)
}

/// [`read_partition`] of several partitions of `topic` at once, with one
/// consumer: each partition's messages in order, the partitions
/// interleaved.
pub fn read_partitions(
    cfg: &ClientConfig,
    topic: &str,
    partitions: &[(i32, Option<i64>)],
    mut each: impl FnMut(&BorrowedMessage<'_>),
) -> Result<(), RouteError> {
    let err = |partition: i32, message: String| RouteError::Restore {
        topic: topic.to_string(),
        partition,
        message,
    };
    let first = partitions.first().map_or(-1, |p| p.0);
    let consumer: BaseConsumer = cfg.create().map_err(|e| err(first, e.to_string()))?;
    let mut ends: HashMap<i32, i64> = HashMap::new();
    let mut tpl = TopicPartitionList::new();
    for &(partition, until) in partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, partition, Duration::from_secs(10))
            .map_err(|e| err(partition, e.to_string()))?;
        let end = until.map_or(high, |u| u.min(high));
        if end > low {
            ends.insert(partition, end);
            tpl.add_partition_offset(topic, partition, Offset::Beginning)
                .map_err(|e| err(partition, e.to_string()))?;
        }
    }
    if ends.is_empty() {
        return Ok(());
    }
    consumer
        .assign(&tpl)
        .map_err(|e| err(first, e.to_string()))?;
    let mut heard = std::time::Instant::now();
    while !ends.is_empty() {
        match consumer.poll(Duration::from_millis(500)) {
            Some(Ok(m)) => {
                heard = std::time::Instant::now();
                let p = m.partition();
                let Some(&end) = ends.get(&p) else {
                    continue;
                };
                // Compaction leaves gaps: the last offset before `end` may
                // be gone, and the next message is past it.
                if m.offset() < end {
                    each(&m);
                }
                if m.offset() + 1 >= end {
                    ends.remove(&p);
                    let mut done = TopicPartitionList::new();
                    done.add_partition(topic, p);
                    // Read to its end: fetch no more of it.
                    let _ = consumer.pause(&done);
                }
            }
            Some(Err(e)) => return Err(err(first, e.to_string())),
            None if heard.elapsed() > WITHIN => {
                let (p, end) = ends
                    .iter()
                    .next()
                    .map(|(p, e)| (*p, *e))
                    .unwrap_or_default();
                return Err(err(
                    p,
                    format!("did not reach offset {end} within {} s", WITHIN.as_secs()),
                ));
            }
            None => {}
        }
    }
    Ok(())
}

/// The partitions of `topic`, none if it does not exist.
pub fn partitions(cfg: &ClientConfig, topic: &str) -> Result<Vec<i32>, RouteError> {
    let consumer: BaseConsumer = cfg
        .create()
        .map_err(|e| RouteError::Kafka(format!("{topic}: {e}")))?;
    let md = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .map_err(|e| RouteError::Kafka(format!("{topic}: {e}")))?;
    Ok(md
        .topics()
        .first()
        .filter(|t| t.error().is_none())
        .map(|t| t.partitions().iter().map(|p| p.id()).collect())
        .unwrap_or_default())
}
