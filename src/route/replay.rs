//! Reading a partition back from its start: how route rebuilds state from
//! a compacted topic when it is handed a partition (the deadline changelog
//! in [`super::consumer`], the influencer topic in [`super::people`]).
//!
//! Blocking: callers run it on tokio's blocking pool. It reads up to an
//! end offset fixed when it starts (the high watermark, or an earlier
//! position such as the group's committed offset), so records written
//! meanwhile are left to the live consumer.

use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::{Offset, TopicPartitionList};

use super::consumer::RouteError;

/// How long a read may go without reaching its end.
const WITHIN: Duration = Duration::from_secs(60);

/// Hands `each` every message of `topic[partition]` from its start up to
/// `until` (exclusive; the high watermark when `None` or beyond it).
pub fn read_partition(
    cfg: &ClientConfig,
    topic: &str,
    partition: i32,
    until: Option<i64>,
    mut each: impl FnMut(&BorrowedMessage<'_>),
) -> Result<(), RouteError> {
    let err = |message: String| RouteError::Restore {
        topic: topic.to_string(),
        partition,
        message,
    };
    let consumer: BaseConsumer = cfg.create().map_err(|e| err(e.to_string()))?;
    let (low, high) = consumer
        .fetch_watermarks(topic, partition, Duration::from_secs(10))
        .map_err(|e| err(e.to_string()))?;
    let end = until.map_or(high, |u| u.min(high));
    if end <= low {
        return Ok(());
    }
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(topic, partition, Offset::Beginning)
        .map_err(|e| err(e.to_string()))?;
    consumer.assign(&tpl).map_err(|e| err(e.to_string()))?;
    let started = std::time::Instant::now();
    loop {
        match consumer.poll(Duration::from_millis(500)) {
            Some(Ok(m)) => {
                // Compaction leaves gaps: the last offset before `end` may
                // be gone, and the next message is past it.
                if m.offset() >= end {
                    return Ok(());
                }
                each(&m);
                if m.offset() + 1 >= end {
                    return Ok(());
                }
            }
            Some(Err(e)) => return Err(err(e.to_string())),
            None if started.elapsed() > WITHIN => {
                return Err(err(format!(
                    "did not reach offset {end} within {} s",
                    WITHIN.as_secs()
                )))
            }
            None => {}
        }
    }
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
