//! The workspace as people see it: a pure fold of [`Event`]s into cases,
//! queues, influencers, alerts and brand figures, with the queries the
//! pages and the API ask.
//!
//! A case is one routed feedback and where it stands. "Waiting" means open:
//! routed or reopened and not yet acknowledged; an acknowledged case has
//! left the waiting list but not the queue, a resolved one has left both.
//! Status events older than the last one applied are ignored, as routing
//! ignores them, so that replaying the topics in any interleaving gives the
//! same view. Nothing here does I/O or reads the clock: `now` is passed in.

mod brand;
mod contacts;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use brand::{BrandStats, Bucket};

use super::contact::{standing, ContactPolicy, Contacted, Standing};
use super::events::{Activity, ActivityKind, Event};
use crate::record::{InfluencerRecord, Priority};
use crate::route::config::RouteConfig;
use crate::route::records::{add, AlertRecord, RoutedRecord, StatusEvent, StatusKind};

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseState {
    Open,
    Acknowledged,
    Resolved,
}

/// One entry of a case's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct History {
    pub at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(flatten)]
    pub what: HistoryKind,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HistoryKind {
    Filed {
        category: String,
    },
    Routed {
        queue: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
    },
    Escalated {
        reason: String,
    },
    Status {
        status: StatusKind,
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Note {
        text: String,
    },
    Assigned {
        #[serde(skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
    Contact {
        channel: String,
        summary: String,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        proactive: bool,
    },
}

/// One routed feedback and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    pub routed: RoutedRecord,
    pub state: CaseState,
    /// When an open case is escalated unless acknowledged first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    pub history: Vec<History>,
    #[serde(skip)]
    status_at: Option<DateTime<Utc>>,
}

impl Case {
    pub fn id(&self) -> &str {
        &self.routed.feedback.id
    }

    pub fn queue(&self) -> &str {
        &self.routed.routing.queue
    }

    /// Open past its deadline.
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.state == CaseState::Open && self.deadline.is_some_and(|d| d <= now)
    }

    /// Whether an alert was raised for it.
    pub fn escalated(&self) -> bool {
        self.history
            .iter()
            .any(|h| matches!(h.what, HistoryKind::Escalated { .. }))
    }

    fn key(&self) -> (DateTime<Utc>, String) {
        (self.routed.routing.routed_at, self.id().to_string())
    }
}

/// An author as the workspace knows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Influencer {
    pub record: InfluencerRecord,
    /// Their feedback, in the order it arrived.
    pub feedback: Vec<String>,
}

/// A queue at a glance.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueSummary {
    pub name: String,
    pub waiting: usize,
    pub overdue: usize,
    pub acknowledged: usize,
    /// When the oldest waiting case was routed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest: Option<DateTime<Utc>>,
}

/// What a queue listing is narrowed to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Compared without regard to case.
    pub brand: Option<String>,
    /// This priority or higher.
    pub priority: Option<Priority>,
    pub intent: Option<crate::classify::intent::Intent>,
    /// Acknowledged cases instead of waiting ones.
    pub acknowledged: bool,
}

impl Filter {
    fn admits_all(&self) -> bool {
        self.brand.is_none() && self.priority.is_none() && self.intent.is_none()
    }

    fn admits(&self, c: &Case) -> bool {
        let fb = &c.routed.feedback;
        self.brand
            .as_ref()
            .is_none_or(|b| fb.brand.eq_ignore_ascii_case(b))
            && self.priority.is_none_or(|p| fb.priority >= p)
            && self
                .intent
                .is_none_or(|i| fb.intents.iter().any(|h| h.intent == i))
    }
}

/// One page of a queue listing.
pub struct Page<'a> {
    pub cases: Vec<&'a Case>,
    /// Cases matching the filter, on every page.
    pub total: usize,
}

pub struct View {
    /// Queue names in the order of the pipeline file, with their deadlines.
    queues: Vec<(String, Option<Duration>)>,
    cases: HashMap<String, Case>,
    waiting: HashMap<String, BTreeSet<(DateTime<Utc>, String)>>,
    acknowledged: HashMap<String, BTreeSet<(DateTime<Utc>, String)>>,
    /// Deadlines of the waiting cases, per queue, soonest first: what is
    /// overdue is read off its front, not found by a scan of the queue.
    due: HashMap<String, BTreeSet<(DateTime<Utc>, String)>>,
    influencers: HashMap<String, Influencer>,
    alerts: Vec<AlertRecord>,
    alert_ids: HashSet<String>,
    brands: HashMap<String, BrandStats>,
    /// Statuses and activities of feedback not routed yet (on Kafka a note
    /// can arrive before route's record), applied when it is.
    early: HashMap<String, Vec<Event>>,
    contacts: contacts::Contacts,
}

/// Feedback ids whose early events are kept at most.
const MAX_EARLY: usize = 100_000;

impl View {
    pub fn new(route: &RouteConfig) -> View {
        View {
            queues: route
                .queues
                .iter()
                .map(|q| (q.name.clone(), q.deadline))
                .collect(),
            cases: HashMap::new(),
            waiting: HashMap::new(),
            acknowledged: HashMap::new(),
            due: HashMap::new(),
            influencers: HashMap::new(),
            alerts: Vec::new(),
            alert_ids: HashSet::new(),
            brands: HashMap::new(),
            early: HashMap::new(),
            contacts: contacts::Contacts::default(),
        }
    }

    /// Keeps `event` for `id` until its feedback is routed.
    fn wait(&mut self, id: &str, event: Event) {
        if self.early.len() >= MAX_EARLY && !self.early.contains_key(id) {
            // Whatever waits longest is least likely to be routed now.
            if let Some(k) = self.early.keys().next().cloned() {
                self.early.remove(&k);
            }
        }
        self.early.entry(id.to_string()).or_default().push(event);
    }

    /// Folds one event in.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::Routed(r) => self.routed(r),
            Event::Influencer(i) => self.influencer(i),
            Event::Alert(a) => self.alert(a),
            Event::Status(s) => self.status(s),
            Event::Activity(a) => self.activity(a),
            Event::Deadline(_) | Event::Forgotten(_) | Event::Notified { .. } => {}
        }
    }

    fn routed(&mut self, r: &RoutedRecord) {
        let id = r.feedback.id.clone();
        if let Some(c) = self.cases.get_mut(&id) {
            // A replay, or a newer revision of the same mention: the record
            // is updated, where it stands is kept.
            c.routed.feedback = r.feedback.clone();
            return;
        }
        self.brands
            .entry(r.feedback.brand.clone())
            .or_default()
            .observe(&r.feedback);
        if let Some(inf) = &r.feedback.influencer_id {
            if let Some(i) = self.influencers.get_mut(inf) {
                i.feedback.push(id.clone());
            }
        }
        let case = Case {
            routed: r.clone(),
            state: CaseState::Open,
            deadline: r.routing.deadline,
            assignee: None,
            history: vec![History {
                at: r.routing.routed_at,
                by: None,
                what: HistoryKind::Routed {
                    queue: r.routing.queue.clone(),
                    rule: r.routing.rule.clone(),
                },
            }],
            status_at: None,
        };
        self.waiting
            .entry(case.queue().to_string())
            .or_default()
            .insert(case.key());
        if let Some(d) = case.deadline {
            self.due
                .entry(case.queue().to_string())
                .or_default()
                .insert((d, id.clone()));
        }
        self.cases.insert(id.clone(), case);
        for e in self.early.remove(&id).unwrap_or_default() {
            self.apply(&e);
        }
    }

    fn influencer(&mut self, i: &InfluencerRecord) {
        self.contacts
            .join(&i.id, i.accounts.iter().map(|a| a.id.clone()));
        match self.influencers.get_mut(&i.id) {
            Some(known) => {
                // A record without a description (a later sighting) keeps the
                // one a person wrote.
                let description = known.record.description.clone();
                known.record = i.clone();
                if known.record.description.is_none() {
                    known.record.description = description;
                }
            }
            None => {
                let feedback = self
                    .cases
                    .values()
                    .filter(|c| c.routed.feedback.influencer_id.as_deref() == Some(&i.id))
                    .map(|c| c.key())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .map(|(_, id)| id)
                    .collect();
                self.influencers.insert(
                    i.id.clone(),
                    Influencer {
                        record: i.clone(),
                        feedback,
                    },
                );
            }
        }
    }

    fn alert(&mut self, a: &AlertRecord) {
        if !self.alert_ids.insert(a.id.clone()) {
            return;
        }
        self.alerts.push(a.clone());
        if let Some(c) = a.feedback_id.as_ref().and_then(|id| self.cases.get_mut(id)) {
            c.history.push(History {
                at: a.at,
                by: None,
                what: HistoryKind::Escalated {
                    reason: a.reason.clone(),
                },
            });
        }
    }

    fn status(&mut self, s: &StatusEvent) {
        let Some(c) = self.cases.get_mut(&s.feedback_id) else {
            self.wait(&s.feedback_id.clone(), Event::Status(s.clone()));
            return;
        };
        if c.status_at.is_some_and(|t| s.at < t) {
            return;
        }
        c.status_at = Some(s.at);
        c.history.push(History {
            at: s.at,
            by: s.by.clone(),
            what: HistoryKind::Status {
                status: s.status,
                note: s.note.clone(),
            },
        });
        let key = c.key();
        let queue = c.queue().to_string();
        if let Some(d) = c.deadline {
            self.due
                .entry(queue.clone())
                .or_default()
                .remove(&(d, key.1.clone()));
        }
        self.waiting.entry(queue.clone()).or_default().remove(&key);
        self.acknowledged
            .entry(queue.clone())
            .or_default()
            .remove(&key);
        match s.status {
            StatusKind::Acknowledged => {
                c.state = CaseState::Acknowledged;
                self.acknowledged.entry(queue).or_default().insert(key);
            }
            StatusKind::Resolved => c.state = CaseState::Resolved,
            StatusKind::Reopened => {
                c.state = CaseState::Open;
                // The clock starts again from the reopening, as routing's does.
                let deadline = self
                    .queues
                    .iter()
                    .find(|(n, _)| *n == queue)
                    .and_then(|(_, d)| *d);
                c.deadline = deadline.and_then(|d| add(s.at, d));
                if let Some(d) = c.deadline {
                    self.due
                        .entry(queue.clone())
                        .or_default()
                        .insert((d, key.1.clone()));
                }
                self.waiting.entry(queue).or_default().insert(key);
            }
        }
    }

    fn activity(&mut self, a: &Activity) {
        let Some(c) = self.cases.get_mut(&a.feedback_id) else {
            self.wait(&a.feedback_id.clone(), Event::Activity(a.clone()));
            return;
        };
        let what = match &a.what {
            ActivityKind::Filed { category } => HistoryKind::Filed {
                category: category.clone(),
            },
            ActivityKind::Note { text } => HistoryKind::Note { text: text.clone() },
            ActivityKind::Assigned { to } => {
                c.assignee = to.clone();
                HistoryKind::Assigned { to: to.clone() }
            }
            ActivityKind::Contact {
                channel,
                summary,
                proactive,
            } => {
                if let Some(author) = &c.routed.feedback.influencer_id {
                    self.contacts.log(
                        author,
                        Contacted {
                            at: a.at,
                            by: a.by.clone(),
                            channel: channel.clone(),
                            proactive: *proactive,
                            feedback_id: a.feedback_id.clone(),
                        },
                    );
                }
                HistoryKind::Contact {
                    channel: channel.clone(),
                    summary: summary.clone(),
                    proactive: *proactive,
                }
            }
        };
        c.history.push(History {
            at: a.at,
            by: Some(a.by.clone()),
            what,
        });
    }

    /// Every queue of the pipeline file, in its order.
    pub fn queue_names(&self) -> impl Iterator<Item = &str> {
        self.queues.iter().map(|(n, _)| n.as_str())
    }

    pub fn has_queue(&self, name: &str) -> bool {
        self.queues.iter().any(|(n, _)| n == name)
    }

    pub fn summary(&self, queue: &str, now: DateTime<Utc>) -> QueueSummary {
        let waiting = self.waiting.get(queue);
        let overdue = self
            .due
            .get(queue)
            .into_iter()
            .flatten()
            .take_while(|(d, _)| *d <= now)
            .count();
        QueueSummary {
            name: queue.to_string(),
            waiting: waiting.map_or(0, BTreeSet::len),
            overdue,
            acknowledged: self.acknowledged.get(queue).map_or(0, BTreeSet::len),
            oldest: waiting.and_then(|w| w.first()).map(|(at, _)| *at),
        }
    }

    /// A queue's cases that pass `filter`, oldest routed first.
    pub fn page(&self, queue: &str, filter: &Filter, offset: usize, limit: usize) -> Page<'_> {
        let set = if filter.acknowledged {
            self.acknowledged.get(queue)
        } else {
            self.waiting.get(queue)
        };
        let ids = set.into_iter().flatten();
        if filter.admits_all() {
            // No scan: the page is a slice of the ordered set.
            let cases = ids
                .skip(offset)
                .take(limit)
                .filter_map(|(_, id)| self.cases.get(id))
                .collect();
            return Page {
                cases,
                total: set.map_or(0, BTreeSet::len),
            };
        }
        let mut total = 0;
        let mut cases = Vec::new();
        for c in set
            .into_iter()
            .flatten()
            .filter_map(|(_, id)| self.cases.get(id))
            .filter(|c| filter.admits(c))
        {
            if total >= offset && cases.len() < limit {
                cases.push(c);
            }
            total += 1;
        }
        Page { cases, total }
    }

    pub fn case(&self, id: &str) -> Option<&Case> {
        self.cases.get(id)
    }

    /// Where the person behind influencer `id` stands against the contact
    /// policy: contacts on any of their accounts count.
    pub fn contact_standing(
        &self,
        id: &str,
        policy: &ContactPolicy,
        now: DateTime<Utc>,
    ) -> Standing {
        standing(self.contacts.of(id), policy, now)
    }

    pub fn influencer_of(&self, id: &str) -> Option<&Influencer> {
        self.influencers.get(id)
    }

    /// Alerts, newest first.
    pub fn alerts(&self) -> impl Iterator<Item = &AlertRecord> {
        self.alerts.iter().rev()
    }

    pub fn brand(&self, name: &str) -> Option<(&str, &BrandStats)> {
        self.brands
            .iter()
            .find(|(b, _)| b.eq_ignore_ascii_case(name))
            .map(|(b, s)| (b.as_str(), s))
    }

    /// Brands with any feedback, by name.
    pub fn brand_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.brands.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    pub fn len(&self) -> usize {
        self.cases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }
}

#[cfg(test)]
mod tests;
