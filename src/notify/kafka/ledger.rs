//! Which alerts of each assigned partition are settled, and so how far the
//! notifiers' consumer group may commit.
//!
//! An alert is settled once every channel that takes it accepted it, when
//! no channel takes it, or once it is older than [`RESEND_WITHIN`] (a
//! restart would not send it anyway). The offset committed for a partition
//! is that of its oldest unsettled alert, or the one after the last alert
//! read when all are settled. Pure: the consumer loop feeds it what it read
//! and the store what was delivered.
//!
//! [`RESEND_WITHIN`]: crate::notify::run::RESEND_WITHIN

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

/// What an alert read still waits for.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    pub id: String,
    pub at: DateTime<Utc>,
    /// Channels that take it and have not accepted it yet.
    pub channels: HashSet<String>,
}

#[derive(Debug, Default)]
struct Part {
    pending: BTreeMap<i64, Waiting>,
    /// The offset after the last message read.
    next: i64,
    /// The offset last handed out for commit.
    committed: Option<i64>,
}

/// The settled state of the partitions a notifier owns.
#[derive(Debug, Default)]
pub struct Ledger {
    parts: BTreeMap<i32, Part>,
    /// Where each pending alert was read.
    by_id: HashMap<String, (i32, i64)>,
}

impl Ledger {
    /// Notes the message at `offset` of `partition`: an alert that waits
    /// for channels, or (`None`) something nothing waits for.
    pub fn read(&mut self, partition: i32, offset: i64, waiting: Option<Waiting>) {
        let part = self.parts.entry(partition).or_default();
        part.next = part.next.max(offset + 1);
        if let Some(w) = waiting.filter(|w| !w.channels.is_empty()) {
            self.by_id.insert(w.id.clone(), (partition, offset));
            part.pending.insert(offset, w);
        }
    }

    /// Notes that `channel` accepted the alerts `ids`.
    pub fn delivered(&mut self, ids: &[String], channel: &str) {
        for id in ids {
            let Some(&(p, o)) = self.by_id.get(id) else {
                continue;
            };
            let Some(part) = self.parts.get_mut(&p) else {
                continue;
            };
            if let Some(w) = part.pending.get_mut(&o) {
                w.channels.remove(channel);
                if w.channels.is_empty() {
                    part.pending.remove(&o);
                    self.by_id.remove(id);
                }
            }
        }
    }

    /// The offsets to commit that moved since the last call, as
    /// (partition, offset); alerts from before `since` count as settled.
    pub fn commits(&mut self, since: DateTime<Utc>) -> Vec<(i32, i64)> {
        let mut out = Vec::new();
        for (&p, part) in &mut self.parts {
            let aged: Vec<i64> = part
                .pending
                .iter()
                .filter(|(_, w)| w.at < since)
                .map(|(&o, _)| o)
                .collect();
            for o in aged {
                if let Some(w) = part.pending.remove(&o) {
                    self.by_id.remove(&w.id);
                }
            }
            let at = part.pending.keys().next().copied().unwrap_or(part.next);
            if part.committed != Some(at) {
                part.committed = Some(at);
                out.push((p, at));
            }
        }
        out
    }

    /// Forgets everything: the partitions were revoked.
    pub fn clear(&mut self) {
        *self = Ledger::default();
    }

    /// Alerts still waiting for a channel.
    pub fn pending(&self) -> usize {
        self.by_id.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting(id: &str, at: DateTime<Utc>, channels: &[&str]) -> Option<Waiting> {
        Some(Waiting {
            id: id.into(),
            at,
            channels: channels.iter().map(|c| c.to_string()).collect(),
        })
    }

    #[test]
    fn the_commit_stops_at_the_oldest_alert_a_channel_has_not_accepted() {
        let now = Utc::now();
        let mut l = Ledger::default();
        l.read(0, 10, waiting("a", now, &["ops", "crm"]));
        l.read(0, 11, None);
        l.read(0, 12, waiting("b", now, &["ops"]));
        l.read(1, 4, waiting("c", now, &[]));
        assert_eq!(l.commits(now), vec![(0, 10), (1, 5)]);
        l.delivered(&["a".into(), "b".into()], "ops");
        assert_eq!(l.commits(now), vec![], "a still waits for crm");
        l.delivered(&["a".into()], "crm");
        assert_eq!(l.commits(now), vec![(0, 13)]);
        assert_eq!(l.pending(), 0);
    }

    #[test]
    fn an_alert_too_old_to_resend_no_longer_holds_the_commit_back() {
        let now = Utc::now();
        let mut l = Ledger::default();
        l.read(
            2,
            0,
            waiting("old", now - chrono::TimeDelta::hours(25), &["ops"]),
        );
        l.read(2, 1, waiting("new", now, &["ops"]));
        assert_eq!(l.commits(now - chrono::TimeDelta::hours(30)), vec![(2, 0)]);
        assert_eq!(l.commits(now - chrono::TimeDelta::hours(24)), vec![(2, 1)]);
    }
}
