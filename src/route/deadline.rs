//! Feedback waiting in queues: what was routed, what the CRM has done with
//! it, and what fell due unacknowledged.
//!
//! One [`Entry`] per routed feedback id. Entries are also the values of the
//! compacted changelog topic (key: feedback id), so every method that changes
//! one returns it for the caller to write, and [`Deadlines::restore`] reads
//! them back after a restart or a rebalance. Knowing every routed id is what
//! keeps `route` from routing the same feedback twice, so entries outlive
//! resolution: a resolved entry stays (small, without the feedback it was
//! made from) until [`Deadlines::expire`] drops it and hands back its id for
//! a tombstone. This module keeps time only through the `now` and `at` values
//! it is given; producing alerts and writing the changelog are the caller's.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::records::{add, RoutedRecord, StatusEvent, StatusKind};
use crate::record::FeedbackRecord;

/// Statuses remembered for ids not routed yet; beyond this the oldest go.
pub const MAX_EARLY_STATUSES: usize = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Waiting for the queue; escalated at `due` if there is one.
    Open,
    Acknowledged,
    Resolved,
    /// Fell due unacknowledged and was escalated; at `second_due`, if
    /// there is one, it goes one level higher.
    Escalated,
}

/// One routed feedback record and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub feedback_id: String,
    pub brand: String,
    pub queue: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub routed_at: DateTime<Utc>,
    /// When an open entry is escalated; kept, inert, once the clock stops.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<DateTime<Utc>>,
    pub state: State,
    /// Time of the last status event applied; older ones are ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_at: Option<DateTime<Utc>>,
    /// The feedback itself, for the deadline alert: kept only while the
    /// clock runs, so that closed entries stay small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<FeedbackRecord>,
    /// Escalation level reached: 0 before the deadline alert, 1 once it
    /// went to the queue's owner, 2 once it went to senior management.
    /// Entries written before levels existed read as 0 (or, escalated, as a
    /// level 1 without a second deadline).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub level: u8,
    /// When an escalated entry still unacknowledged goes to level 2: the
    /// deadline plus the queue's `escalate_after`. Kept, inert, once the
    /// entry is acknowledged or at level 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_due: Option<DateTime<Utc>>,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

impl Entry {
    /// The time the entry next escalates at, if its clock runs: the
    /// deadline of an open entry, or the second deadline of one at level 1.
    fn running(&self) -> Option<DateTime<Utc>> {
        match self.state {
            State::Open => self.due,
            State::Escalated if self.level == 1 => self.second_due,
            _ => None,
        }
    }

    /// Last time anything happened to the entry.
    pub fn last_change(&self) -> DateTime<Utc> {
        self.status_at
            .map_or(self.routed_at, |s| s.max(self.routed_at))
    }
}

/// The entries of the partitions this instance owns.
#[derive(Debug, Default)]
pub struct Deadlines {
    entries: HashMap<String, Entry>,
    /// Open entries with a due time, soonest first.
    index: BTreeSet<(DateTime<Utc>, String)>,
    /// Statuses that came before their feedback was routed.
    early: HashMap<String, (StatusKind, DateTime<Utc>)>,
    /// Keep no feedback in the entries (the workspace holds it already);
    /// deadline alerts then name the feedback without carrying it.
    light: bool,
}

impl Deadlines {
    pub fn new() -> Deadlines {
        Deadlines::default()
    }

    /// Starts tracking a routed record; `None` if its id is known already,
    /// in which case it must not be routed again. A status that arrived
    /// before the record applies now: acknowledged or resolved feedback
    /// never runs a clock.
    pub fn routed(&mut self, r: &RoutedRecord) -> Option<Entry> {
        let id = &r.feedback.id;
        if self.entries.contains_key(id) {
            return None;
        }
        let mut e = Entry {
            feedback_id: id.clone(),
            brand: r.feedback.brand.clone(),
            queue: r.routing.queue.clone(),
            rule: r.routing.rule.clone(),
            routed_at: r.routing.routed_at,
            due: r.routing.deadline,
            state: State::Open,
            status_at: None,
            feedback: r.routing.deadline.map(|_| r.feedback.clone()),
            level: 0,
            second_due: None,
        };
        if let Some((kind, at)) = self.early.remove(id) {
            e.status_at = Some(at);
            // A reopening before routing leaves the clock routing started.
            if kind != StatusKind::Reopened {
                e.state = state_of(kind);
                e.feedback = None;
            }
        }
        self.put(e.clone());
        Some(e)
    }

    /// Applies what the CRM reports. Acknowledged and resolved stop the
    /// clock; reopened restarts it from `ev.at` with the queue's deadline.
    /// Returns the entry when it changed; `None` for an event older than the
    /// last one applied, one that changes nothing, or an unknown id (whose
    /// status is then remembered for when its record is routed; in memory
    /// only, since the changelog holds routed entries alone).
    pub fn status(
        &mut self,
        ev: &StatusEvent,
        deadline_of_queue: impl Fn(&str) -> Option<Duration>,
    ) -> Option<Entry> {
        let Some(old) = self.entries.get(&ev.feedback_id) else {
            self.remember(ev);
            return None;
        };
        if old.status_at.is_some_and(|s| ev.at < s) {
            return None;
        }
        let mut e = old.clone();
        e.status_at = Some(ev.at);
        e.state = state_of(ev.status);
        if ev.status == StatusKind::Reopened {
            // A reopened entry starts the chain again, from its owner.
            e.due = deadline_of_queue(&e.queue).and_then(|d| add(ev.at, d));
            e.level = 0;
            e.second_due = None;
        } else {
            e.feedback = None;
        }
        if e == *old {
            return None;
        }
        self.put(e.clone());
        Some(e)
    }

    /// Escalates the open entries due at or before `now`, each once, without
    /// a second level; see [`Deadlines::due_with`].
    pub fn due(&mut self, now: DateTime<Utc>) -> Vec<Entry> {
        self.due_with(now, |_| None)
    }

    /// Escalates what fell due at or before `now`: an open entry past its
    /// deadline goes to level 1 (its queue's owner), and gets a second
    /// deadline `escalate_after(queue)` past the first, when that gives one;
    /// an entry at level 1 still unacknowledged at its second deadline goes
    /// to level 2 (senior management). Each level is reached once. The
    /// returned entries still carry their feedback, for the alert; the state
    /// kept here drops it, as the changelog value may.
    pub fn due_with(
        &mut self,
        now: DateTime<Utc>,
        escalate_after: impl Fn(&str) -> Option<Duration>,
    ) -> Vec<Entry> {
        let mut out = Vec::new();
        while let Some((at, id)) = self.index.first().cloned() {
            if at > now {
                break;
            }
            self.index.pop_first();
            let Some(e) = self.entries.get_mut(&id) else {
                continue;
            };
            if e.state == State::Open {
                e.state = State::Escalated;
                e.level = 1;
                e.second_due = escalate_after(&e.queue).and_then(|d| add(at, d));
            } else {
                e.level = 2;
            }
            out.push(e.clone());
            e.feedback = None;
            if let Some(next) = e.running() {
                self.index.insert((next, id));
            }
        }
        out
    }

    /// The soonest time an entry escalates.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.index.first().map(|(at, _)| *at)
    }

    /// Takes an entry from the changelog; a later one for the same id
    /// replaces the earlier.
    pub fn restore(&mut self, mut entry: Entry) {
        if entry.running().is_none() {
            entry.feedback = None;
        }
        self.early.remove(&entry.feedback_id);
        self.put(entry);
    }

    /// Drops a changelog tombstone's id.
    pub fn remove(&mut self, id: &str) -> Option<Entry> {
        let e = self.entries.remove(id)?;
        if let Some(due) = e.running() {
            self.index.remove(&(due, e.feedback_id.clone()));
        }
        Some(e)
    }

    /// Drops the ids `gone` picks, e.g. those of partitions this instance
    /// no longer owns. Returns how many entries went.
    pub fn forget(&mut self, gone: impl Fn(&str) -> bool) -> usize {
        self.early.retain(|id, _| !gone(id));
        let ids: Vec<String> = self.entries.keys().filter(|id| gone(id)).cloned().collect();
        ids.iter().filter_map(|id| self.remove(id)).count()
    }

    /// Drops entries whose clock is not running and that have not changed
    /// since `before`; returns their ids, for the caller to tombstone. After
    /// that, the same feedback arriving again would be routed again, so the
    /// retention should exceed how long a feedback id can recur.
    pub fn expire(&mut self, before: DateTime<Utc>) -> Vec<String> {
        let mut ids: Vec<String> = self
            .entries
            .values()
            .filter(|e| e.running().is_none() && e.last_change() < before)
            .map(|e| e.feedback_id.clone())
            .collect();
        ids.sort();
        for id in &ids {
            self.entries.remove(id);
        }
        ids
    }

    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.entries.contains_key(id)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Keeps entries without their feedback from now on.
    pub fn keep_light(&mut self) {
        self.light = true;
        for e in self.entries.values_mut() {
            e.feedback = None;
        }
    }

    fn put(&mut self, mut e: Entry) {
        if self.light {
            e.feedback = None;
        }
        if let Some(old) = self.entries.get(&e.feedback_id) {
            if let Some(due) = old.running() {
                self.index.remove(&(due, old.feedback_id.clone()));
            }
        }
        if let Some(due) = e.running() {
            self.index.insert((due, e.feedback_id.clone()));
        }
        self.entries.insert(e.feedback_id.clone(), e);
    }

    fn remember(&mut self, ev: &StatusEvent) {
        let newer = self
            .early
            .get(&ev.feedback_id)
            .is_none_or(|(_, at)| ev.at >= *at);
        if !newer {
            return;
        }
        if self.early.len() >= MAX_EARLY_STATUSES && !self.early.contains_key(&ev.feedback_id) {
            let oldest = self
                .early
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(id, _)| id.clone());
            if let Some(id) = oldest {
                self.early.remove(&id);
            }
        }
        self.early
            .insert(ev.feedback_id.clone(), (ev.status, ev.at));
    }
}

fn state_of(kind: StatusKind) -> State {
    match kind {
        StatusKind::Acknowledged => State::Acknowledged,
        StatusKind::Resolved => State::Resolved,
        StatusKind::Reopened => State::Open,
    }
}

#[cfg(test)]
#[path = "tests/deadline.rs"]
mod tests;
