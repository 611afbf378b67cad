//! `earshot queue QUEUE`: what waits in a queue, oldest first, for a person.
//!
//! Reads the queue's topic and the status topic from their start to their
//! current end (no consumer group: looking commits nothing and takes no
//! partition from the routing instances), keeps the latest routed record
//! per feedback id, drops those the CRM reported acknowledged or resolved
//! since, and sorts the rest by when they were routed.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rdkafka::config::ClientConfig;
use rdkafka::message::Message;

use super::consumer::RouteError;
use super::records::{RoutedRecord, StatusEvent, StatusKind};

/// Reads every message of `topic` present now, handing each payload to `f`.
fn read_all(cfg: &ClientConfig, topic: &str, mut f: impl FnMut(&[u8])) -> Result<(), RouteError> {
    let whole: Vec<(i32, Option<i64>)> = super::replay::partitions(cfg, topic)?
        .into_iter()
        .map(|p| (p, None))
        .collect();
    super::replay::read_partitions(cfg, topic, &whole, |m| {
        if let Some(p) = m.payload() {
            f(p);
        }
    })
}

/// The records waiting in a queue topic, oldest routed first.
pub fn waiting(
    cfg: &ClientConfig,
    queue_topic: &str,
    status_topic: &str,
) -> Result<Vec<RoutedRecord>, RouteError> {
    let mut routed: HashMap<String, RoutedRecord> = HashMap::new();
    read_all(cfg, queue_topic, |p| {
        if let Ok(r) = serde_json::from_slice::<RoutedRecord>(p) {
            routed.insert(r.key().to_string(), r);
        }
    })?;
    let mut last: HashMap<String, (StatusKind, DateTime<Utc>)> = HashMap::new();
    read_all(cfg, status_topic, |p| {
        if let Ok(ev) = StatusEvent::parse(p) {
            let newer = last.get(&ev.feedback_id).is_none_or(|(_, at)| ev.at >= *at);
            if newer {
                last.insert(ev.feedback_id.clone(), (ev.status, ev.at));
            }
        }
    })?;
    let mut out: Vec<RoutedRecord> = routed
        .into_values()
        .filter(|r| {
            !matches!(
                last.get(r.key()),
                Some((StatusKind::Acknowledged | StatusKind::Resolved, _))
            )
        })
        .collect();
    out.sort_by(|a, b| {
        a.routing
            .routed_at
            .cmp(&b.routing.routed_at)
            .then_with(|| a.key().cmp(b.key()))
    });
    Ok(out)
}

/// One line per waiting record, for a terminal.
pub fn render(records: &[RoutedRecord], now: DateTime<Utc>) -> String {
    let mut s = format!(
        "{:<8} {:<7} {:<9} {:<14} {:<20} {}\n",
        "waiting", "prio", "sentiment", "brand", "author", "excerpt"
    );
    for r in records {
        let fb = &r.feedback;
        let age = humantime::format_duration(Duration::from_secs(
            (now - r.routing.routed_at).num_minutes().max(0) as u64 * 60,
        ))
        .to_string();
        let overdue = r.routing.deadline.is_some_and(|d| d < now);
        let excerpt: String = fb.excerpt.chars().take(70).collect();
        s += &format!(
            "{:<8} {:<7} {:<9} {:<14} {:<20} {}{}\n",
            age.split(' ').take(2).collect::<Vec<_>>().join(""),
            format!("{:?}", fb.priority).to_lowercase(),
            format!("{:+.2}", fb.sentiment.score),
            truncate(&fb.brand, 14),
            truncate(fb.author.as_deref().unwrap_or("-"), 20),
            if overdue { "OVERDUE " } else { "" },
            excerpt.replace('\n', " "),
        );
        if let Some(u) = &fb.url {
            s += &format!("{:<8} {u}\n", "");
        }
    }
    s += &format!("{} waiting\n", records.len());
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let t: String = s.chars().take(n - 1).collect();
        format!("{t}…")
    }
}
