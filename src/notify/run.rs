//! The notifier task: new alerts in, messages out, deliveries recorded.
//!
//! Alerts arrive on a channel from whoever decides them (the workspace's
//! desk). Each channel whose filter takes one, and which has not already
//! delivered it, offers it to the [`Throttle`]; the messages it releases
//! are delivered one at a time, and only once a channel accepted a message
//! are its alerts recorded as delivered there, through [`Store`]. At start
//! the caller hands in a [`Backlog`] (alerts stored earlier and what was
//! delivered), so that a restart sends what was not acknowledged and
//! nothing that was. Times are the decider's [`Clock`], so tests drive the
//! intervals with tokio's paused clock.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::TimeDelta;
use tokio::sync::mpsc::UnboundedReceiver;
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
/// nothing is held).
pub async fn run(
    cfg: NotifyConfig,
    sender: Sender,
    backlog: Backlog,
    mut alerts: UnboundedReceiver<AlertRecord>,
    store: Arc<dyn Store>,
    clock: Clock,
    shutdown: CancellationToken,
) {
    let mut n = Notifier {
        throttle: Throttle::new(&cfg.channels),
        cfg,
        sender,
        delivered: backlog.delivered,
        store,
        clock,
    };
    let since = n.clock.now() - RESEND_WITHIN;
    for a in backlog.alerts.into_iter().filter(|a| a.at >= since) {
        n.offer(a).await;
    }
    let mut open = true;
    loop {
        let due = n.throttle.next_due();
        if !open && due.is_none() {
            return;
        }
        let wake = due.map(|t| n.clock.instant_of(t));
        tokio::select! {
            a = alerts.recv(), if open => match a {
                Some(a) => n.offer(a).await,
                None => open = false,
            },
            _ = sleep_until(wake) => {
                for m in n.throttle.due(n.clock.now()) {
                    n.deliver(m).await;
                }
            }
            _ = shutdown.cancelled() => return,
        }
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

struct Notifier {
    cfg: NotifyConfig,
    throttle: Throttle,
    sender: Sender,
    delivered: HashSet<(String, String)>,
    store: Arc<dyn Store>,
    clock: Clock,
}

impl Notifier {
    async fn offer(&mut self, a: AlertRecord) {
        let now = self.clock.now();
        let mut ready = Vec::new();
        for (i, ch) in self.cfg.channels.iter().enumerate() {
            if !ch.filter.takes(&a) || self.delivered.contains(&(a.id.clone(), ch.name.clone())) {
                continue;
            }
            ready.extend(self.throttle.offer(i, a.clone(), now));
        }
        for m in ready {
            self.deliver(m).await;
        }
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
                for id in ids {
                    self.delivered.insert((id, ch.name.clone()));
                }
                tracing::info!(channel = %ch.name, brand = %m.brand, alerts = m.alerts.len(), "Notification delivered.");
            }
            Err(e) => {
                // Held, not dropped: the alerts lead the slot's next message.
                tracing::warn!(error = %e, alerts = m.alerts.len(), "Notification not delivered; held for the next one.");
                self.throttle.hold(m, self.clock.now() + HELD_RETRY);
            }
        }
    }
}
