//! The notifier task: new alerts in, messages out, deliveries recorded.
//!
//! Alerts arrive on a channel from whoever decides them (the workspace's
//! desk). Each notification channel has a lane of its own, a task with its
//! own [`Throttle`], so that a slow or failing channel (an SMTP relay
//! retrying for minutes) delays no other. The dispatcher hands every alert
//! to the lanes whose filter takes it; a lane that has not already
//! delivered it offers it to its throttle and delivers the messages it
//! releases, one at a time, and only once its channel accepted a message
//! are its alerts recorded as delivered there, through [`Store`]. At start
//! the caller hands in a [`Backlog`] (alerts stored earlier and what was
//! delivered), so that a restart sends what was not acknowledged and
//! nothing that was. Times are the decider's [`Clock`], so tests drive the
//! intervals, quiet hours and digests with tokio's paused clock.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::TimeDelta;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio_util::sync::CancellationToken;

use super::config::NotifyConfig;
use super::send::Sender;
use super::throttle::{Message, Throttle};
use crate::route::decider::Clock;
use crate::route::records::AlertRecord;

/// Where deliveries are recorded.
pub trait Store: Send + Sync {
    /// Records that `channel` accepted the alerts `ids`.
    fn delivered(&self, ids: &[String], channel: &str) -> Result<(), String>;
}

/// What a restart resumes from.
#[derive(Debug, Default)]
pub struct Backlog {
    pub alerts: Vec<AlertRecord>,
    /// (alert id, channel name) pairs already delivered.
    pub delivered: HashSet<(String, String)>,
}

/// Alerts older than this at start are not sent after a restart: news of
/// yesterday's escalation is noise by now, and it is still in the workspace.
pub const RESEND_WITHIN: TimeDelta = TimeDelta::hours(24);

/// After a message failed all its attempts, its alerts wait this long.
pub const HELD_RETRY: TimeDelta = TimeDelta::minutes(5);

/// Runs until `shutdown` (or until the senders of `alerts` are gone and
/// no lane holds anything). At `shutdown` each lane finishes the delivery
/// it has in flight, and `run` returns once every lane has stopped.
pub async fn run(
    cfg: NotifyConfig,
    sender: Sender,
    backlog: Backlog,
    mut alerts: UnboundedReceiver<AlertRecord>,
    store: Arc<dyn Store>,
    clock: Clock,
    shutdown: CancellationToken,
) {
    let cfg = Arc::new(cfg);
    let mut lanes: Vec<UnboundedSender<AlertRecord>> = Vec::new();
    let mut tasks = Vec::new();
    for (i, ch) in cfg.channels.iter().enumerate() {
        let delivered = backlog
            .delivered
            .iter()
            .filter(|(_, c)| *c == ch.name)
            .map(|(id, _)| id.clone())
            .collect();
        let (tx, rx) = unbounded_channel();
        let lane = Lane {
            index: i,
            throttle: Throttle::new(&cfg.channels),
            cfg: cfg.clone(),
            sender: sender.clone(),
            delivered,
            store: store.clone(),
            clock,
        };
        tasks.push(tokio::spawn(lane.run(rx, shutdown.clone())));
        lanes.push(tx);
    }
    let dispatch = |a: AlertRecord| {
        for (ch, lane) in cfg.channels.iter().zip(&lanes) {
            if ch.filter.takes(&a) {
                // A lane gone has stopped for shutdown.
                let _ = lane.send(a.clone());
            }
        }
    };
    let since = clock.now() - RESEND_WITHIN;
    for a in backlog.alerts.into_iter().filter(|a| a.at >= since) {
        dispatch(a);
    }
    loop {
        tokio::select! {
            a = alerts.recv() => match a {
                Some(a) => dispatch(a),
                None => break,
            },
            _ = shutdown.cancelled() => break,
        }
    }
    // Closing the lanes' inputs lets each finish what it holds.
    drop(lanes);
    for t in tasks {
        let _ = t.await;
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// One channel's deliveries.
struct Lane {
    index: usize,
    cfg: Arc<NotifyConfig>,
    throttle: Throttle,
    sender: Sender,
    /// Ids this channel accepted.
    delivered: HashSet<String>,
    store: Arc<dyn Store>,
    clock: Clock,
}

impl Lane {
    async fn run(
        mut self,
        mut alerts: UnboundedReceiver<AlertRecord>,
        shutdown: CancellationToken,
    ) {
        let mut open = true;
        loop {
            let due = self.throttle.next_due(self.clock.now());
            if !open && due.is_none() {
                return;
            }
            let wake = due.map(|t| self.clock.instant_of(t));
            let ready = tokio::select! {
                a = alerts.recv(), if open => match a {
                    Some(a) => self.offer(a),
                    None => {
                        open = false;
                        Vec::new()
                    }
                },
                _ = sleep_until(wake) => self.throttle.due(self.clock.now()),
                _ = shutdown.cancelled() => return,
            };
            for m in ready {
                // The delivery in flight is finished and recorded before a
                // shutdown stops the lane (the Kafka edge hands partitions
                // over only then); those not begun are not recorded, so the
                // next run sends them.
                if shutdown.is_cancelled() {
                    return;
                }
                self.deliver(m).await;
            }
        }
    }

    fn offer(&mut self, a: AlertRecord) -> Vec<Message> {
        if self.delivered.contains(&a.id) {
            return Vec::new();
        }
        let now = self.clock.now();
        self.throttle
            .offer(self.index, a, now)
            .into_iter()
            .collect()
    }

    async fn deliver(&mut self, m: Message) {
        let ch = &self.cfg.channels[m.channel];
        let clock = self.clock;
        match self.sender.deliver(ch, &m, &move || clock.now()).await {
            Ok(()) => {
                let ids: Vec<String> = m.alerts.iter().map(|a| a.id.clone()).collect();
                if let Err(e) = self.store.delivered(&ids, &ch.name) {
                    tracing::error!(channel = %ch.name, error = %e, "Delivery not recorded; a restart may send it again.");
                }
                self.delivered.extend(ids);
                let digest = m.digest.is_some();
                tracing::info!(channel = %ch.name, brand = %m.brand, digest, alerts = m.alerts.len(), "Notification delivered.");
            }
            Err(e) => {
                // Held, not dropped: the alerts lead the slot's next message.
                tracing::warn!(error = %e, alerts = m.alerts.len(), "Notification not delivered; held for the next one.");
                self.throttle.hold(m, self.clock.now() + HELD_RETRY);
            }
        }
    }
}
