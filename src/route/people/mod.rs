//! `earshot route`'s people loop: disengagement alerts from the influencer
//! topic, beside the routing loop of [`super::consumer`].
//!
//! The influencer topic is keyed by person id and each record carries the
//! person's whole sentiment history, so this loop needs no co-partitioning
//! with feedback: it has a consumer group of its own, `<route.group>-people`,
//! whose instances share the influencer topic's partitions. When it is
//! handed partitions it reads each back from its start up to the position
//! the group committed ([`restore`]), which rebuilds the detector's state:
//! what those records raised was raised before, since offsets are committed
//! only after the alerts were acknowledged. It also reads the alerts topic's
//! disengagement alerts, whose ids are deterministic, and raises none of
//! them again (gone-quiet alerts, raised by the clock, and the alerts of a
//! batch whose commit a crash or a rebalance cut off). The state of revoked
//! partitions is dropped.
//!
//! Delivery as in route: a batch's alerts (keyed by alert id) are produced
//! and acknowledged, then its offsets committed. Gone-quiet is checked on
//! route's tick (`--check-every`) and right after partitions are restored.

mod restore;
pub mod state;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::config::RouteConfig;
use super::consumer::{consumer_config, group_consumer_config, Options, RouteError};
use super::decider::{Clock, Stats};
use crate::config::KafkaConfig;
use crate::sink::kafka::{client_config, KafkaSink};
use restore::{Move, PeopleContext, Topics};
use state::People;

/// The people loop's consumer group for route's `group`.
pub fn group(route_group: &str) -> String {
    format!("{route_group}-people")
}

fn kafka(context: &str) -> impl Fn(rdkafka::error::KafkaError) -> RouteError + '_ {
    move |e| RouteError::Kafka(format!("{context}: {e}"))
}

/// Raises disengagement alerts until `shutdown`; returns its counts
/// (`disengagement`, `repeats` for alerts found raised before, `bad`).
pub async fn run(
    cfg: RouteConfig,
    kafka_cfg: &KafkaConfig,
    opts: Options,
    shutdown: CancellationToken,
) -> Result<Stats, RouteError> {
    let d = &cfg.disengagement;
    let mut people = People::new(d.clone(), &cfg.alerts_topic);
    if !d.turned_negative && d.quiet_after.is_none() {
        tracing::info!("Disengagement alerts are off; the influencer topic is not read.");
        return Ok(people.stats);
    }
    let topics = Topics {
        influencer: kafka_cfg.influencer_topic.clone(),
        alerts: cfg.alerts_topic.clone(),
        group: group(&cfg.group),
    };
    let client_id = format!("earshot-route-people-{}", opts.instance);
    let consumer_cfg = group_consumer_config(kafka_cfg, &client_id, &topics.group);
    let reader = consumer_config(kafka_cfg, &format!("{client_id}-restore"));
    if !wait_for_topic(&reader, &topics.influencer, &opts, &shutdown).await? {
        return Ok(people.stats);
    }
    let context = PeopleContext::default();
    let consumer: StreamConsumer<PeopleContext> = consumer_cfg
        .create_with_context(context.clone())
        .map_err(kafka("consumer"))?;
    consumer
        .subscribe(&[&topics.influencer])
        .map_err(kafka("subscribe"))?;
    let mut pcfg = client_config(kafka_cfg, "route");
    pcfg.set("client.id", format!("{client_id}-producer"));
    let producer = KafkaSink::with_config(kafka_cfg, pcfg, "route")
        .map_err(|e| RouteError::Kafka(e.to_string()))?;
    opts.observer.attach_people(context.broker.clone());
    tracing::info!(group = %topics.group, topic = %topics.influencer, "Reading people for disengagement alerts.");

    let clock = Clock::start();
    let mut next_check = Instant::now() + opts.check_every;
    // The last offsets committed, committed again synchronously at the end.
    let mut done: BTreeMap<i32, i64> = BTreeMap::new();
    loop {
        let first = tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep_until(next_check) => None,
            m = consumer.recv() => Some(m.map_err(kafka("consume"))?),
        };
        let mut batch = Vec::new();
        if let Some(first) = first {
            batch.push(first);
            let linger = Instant::now() + opts.linger;
            while batch.len() < opts.batch {
                match tokio::time::timeout_at(linger, consumer.recv()).await {
                    Ok(m) => batch.push(m.map_err(kafka("consume"))?),
                    Err(_) => break,
                }
            }
        }
        let moved = apply_moves(&context, &reader, &topics, &mut people, &mut done).await?;
        let mut out = Vec::new();
        let mut offsets: BTreeMap<i32, i64> = BTreeMap::new();
        for m in &batch {
            if people.observe(
                m.partition(),
                m.offset(),
                m.payload(),
                clock.now(),
                &mut out,
            ) {
                offsets.insert(m.partition(), m.offset() + 1);
            }
        }
        if moved || Instant::now() >= next_check {
            people.check(clock.now(), &mut out);
            next_check = Instant::now() + opts.check_every;
        }
        if !out.is_empty() {
            producer
                .send_messages(out)
                .await
                .map_err(|e| RouteError::Kafka(e.to_string()))?;
        }
        if !offsets.is_empty() {
            // Acknowledged: now the offsets may move past these records.
            commit(&consumer, &topics.influencer, &offsets, CommitMode::Async)?;
            done.extend(offsets);
        }
        opts.observer.people_stats(&people.stats);
    }
    producer
        .flush()
        .await
        .map_err(|e| RouteError::Kafka(e.to_string()))?;
    done.retain(|p, _| people.owns(*p));
    if !done.is_empty() {
        // Async commits may still be on their way when the consumer closes.
        let _ = commit(&consumer, &topics.influencer, &done, CommitMode::Sync);
    }
    Ok(people.stats)
}

fn commit(
    consumer: &StreamConsumer<PeopleContext>,
    topic: &str,
    offsets: &BTreeMap<i32, i64>,
    mode: CommitMode,
) -> Result<(), RouteError> {
    let mut tpl = TopicPartitionList::new();
    for (p, o) in offsets {
        tpl.add_partition_offset(topic, *p, Offset::Offset(*o))
            .map_err(kafka("offsets"))?;
    }
    consumer.commit(&tpl, mode).map_err(kafka("commit"))
}

/// Applies the moves librdkafka made since the last batch: drops revoked
/// partitions, reads assigned ones back. Returns whether any was assigned.
async fn apply_moves(
    context: &PeopleContext,
    reader: &rdkafka::ClientConfig,
    topics: &Topics,
    people: &mut People,
    done: &mut BTreeMap<i32, i64>,
) -> Result<bool, RouteError> {
    let mut assigned = Vec::new();
    for m in context.take_moves() {
        match m {
            Move::Revoked(ps) => {
                for p in ps {
                    people.revoked(p);
                    done.remove(&p);
                    assigned.retain(|&q| q != p);
                }
            }
            Move::Assigned(ps) => assigned.extend(ps),
        }
    }
    // One assigned again without a revocation in between keeps its state.
    assigned.retain(|&p| !people.owns(p));
    assigned.sort_unstable();
    assigned.dedup();
    if assigned.is_empty() {
        return Ok(false);
    }
    let (reader, t) = (reader.clone(), topics.clone());
    let (fresh, ps) = (people.detector_factory(), assigned.clone());
    let restored = tokio::task::spawn_blocking(move || restore::restore(&reader, &t, &ps, fresh))
        .await
        .expect("restore panicked")?;
    people.stats.bad += restored.bad;
    for (p, position, detector) in restored.partitions {
        people.assigned(p, position, detector);
    }
    tracing::info!(
        partitions = ?assigned,
        raised = restored.alerts.len(),
        "People of the assigned partitions read back."
    );
    people.already_raised(restored.alerts);
    Ok(true)
}

/// Waits until `topic` exists (it is created by the deployment, and route
/// runs without it); false if `shutdown` came first.
async fn wait_for_topic(
    reader: &rdkafka::ClientConfig,
    topic: &str,
    opts: &Options,
    shutdown: &CancellationToken,
) -> Result<bool, RouteError> {
    let mut told = false;
    loop {
        let (r, t) = (reader.clone(), topic.to_string());
        let found = tokio::task::spawn_blocking(move || super::replay::partitions(&r, &t))
            .await
            .expect("metadata panicked")?;
        if !found.is_empty() {
            return Ok(true);
        }
        if !told {
            tracing::warn!(%topic, "The influencer topic does not exist; no disengagement alerts until it does.");
            told = true;
        }
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(false),
            _ = tokio::time::sleep(opts.check_every.max(std::time::Duration::from_secs(1))) => {}
        }
    }
}
