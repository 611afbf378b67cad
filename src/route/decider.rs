//! The decisions of `earshot route`, without Kafka: pure and synchronous.
//!
//! [`Decider`] holds what one instance owns (deadline state, spike counts,
//! which partition each feedback id lives on) and turns each consumed
//! message into the messages to produce: the routed record, its changelog
//! entry, alerts. [`Clock`] maps wall time onto tokio's clock so that the
//! loop's deadline timing can be tested with a paused clock. The Kafka edge
//! is [`super::consumer`].

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

use super::config::RouteConfig;
use super::deadline::{Deadlines, Entry};
use super::disengage::Disengagement;
use super::records::{AlertRecord, RoutedRecord, StatusEvent};
use super::rules::Router;
use super::spike::Spikes;
use crate::record::{FeedbackRecord, InfluencerRecord};
use crate::sink::kafka::{cloudevent_headers, Outgoing};

/// How long a closed entry is remembered: a feedback id seen again later
/// than this (a backfill of an old window) is routed again.
const RETENTION_DAYS: i64 = 30;

/// Counts of one run, logged at exit.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Stats {
    pub routed: u64,
    pub repeats: u64,
    pub statuses: u64,
    pub immediate: u64,
    pub deadline: u64,
    pub spikes: u64,
    pub disengagement: u64,
    pub bad: u64,
}

/// Wall time that advances with tokio's clock, so deadline timing can be
/// driven by a paused clock in tests and by the real one in production.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    wall: DateTime<Utc>,
    at: Instant,
}

impl Clock {
    pub fn start() -> Clock {
        Clock {
            wall: Utc::now(),
            at: Instant::now(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.wall + chrono::Duration::from_std(self.at.elapsed()).unwrap_or_default()
    }

    /// The tokio instant at which wall time `t` comes.
    pub fn instant_of(&self, t: DateTime<Utc>) -> Instant {
        let ahead = (t - self.now()).to_std().unwrap_or(Duration::ZERO);
        Instant::now() + ahead
    }
}

/// The pure state of one instance: what it owns and has decided.
pub struct Decider {
    pub cfg: RouteConfig,
    router: Router,
    pub deadlines: Deadlines,
    spikes: Spikes,
    pub disengagement: Disengagement,
    /// The partition each known feedback id lives on.
    partition_of: HashMap<String, i32>,
    pub stats: Stats,
    /// When closed entries were last expired (an hourly sweep).
    swept: Option<DateTime<Utc>>,
}

/// What deciding produced: messages to produce before committing.
#[derive(Default)]
pub struct Output {
    pub messages: Vec<Outgoing>,
    /// The same decisions as values, for a consumer that keeps them itself
    /// rather than producing them (the embedded workspace of `serve`).
    pub decided: Vec<Decided>,
}

/// One decision, as the value behind a produced message.
#[derive(Debug, Clone, PartialEq)]
pub enum Decided {
    Routed(RoutedRecord),
    Alert(AlertRecord),
    /// A changed deadline entry (the changelog's content).
    Deadline(Entry),
    /// A closed entry past retention, forgotten.
    Forgotten(String),
}

/// The message of alert `a` on `topic`, keyed by its id (route's people
/// loop, [`super::people`], produces its alerts the same way).
pub fn alert_message(topic: &str, a: &AlertRecord) -> Outgoing {
    Outgoing {
        topic: topic.to_string(),
        key: a.id.clone(),
        payload: Some(serde_json::to_vec(a).expect("route records serialize")),
        headers: cloudevent_headers(
            &a.id,
            "earshot/route",
            "dev.earshot.alert.v1",
            &a.id,
            chrono::Utc::now(),
        ),
        partition: None,
    }
}

impl Decider {
    pub fn new(cfg: RouteConfig) -> Decider {
        Decider {
            router: Router::new(&cfg),
            spikes: Spikes::new(cfg.spike.clone()),
            disengagement: Disengagement::new(cfg.disengagement.clone()),
            cfg,
            deadlines: Deadlines::new(),
            partition_of: HashMap::new(),
            stats: Stats::default(),
            swept: None,
        }
    }

    fn json<T: serde::Serialize>(
        &self,
        topic: &str,
        key: &str,
        value: &T,
        ce: (&str, &str),
        partition: Option<i32>,
    ) -> Outgoing {
        Outgoing {
            topic: topic.to_string(),
            key: key.to_string(),
            payload: Some(serde_json::to_vec(value).expect("route records serialize")),
            // Routing decisions happen as they are made.
            headers: cloudevent_headers(ce.0, "earshot/route", ce.1, key, chrono::Utc::now()),
            partition,
        }
    }

    fn changelog(&self, e: &Entry, partition: i32) -> Outgoing {
        // The level tells the second escalation from the first.
        let id = match e.level {
            0 | 1 => format!("{}:{:?}", e.feedback_id, e.state),
            n => format!("{}:{:?}:{n}", e.feedback_id, e.state),
        };
        self.json(
            &self.cfg.changelog_topic,
            &e.feedback_id,
            e,
            (&id, "dev.earshot.route.deadline.v1"),
            Some(partition),
        )
    }

    fn alert(&self, a: &AlertRecord) -> Outgoing {
        alert_message(&self.cfg.alerts_topic, a)
    }

    /// Decides one feedback record from `partition`.
    pub fn feedback(
        &mut self,
        fb: FeedbackRecord,
        partition: i32,
        now: DateTime<Utc>,
        out: &mut Output,
    ) {
        self.spikes.observe(
            &fb.brand,
            fb.published.unwrap_or(fb.observed).min(now),
            fb.sentiment.label == crate::model::SentimentLabel::Negative,
        );
        let decision = self.router.route(&fb);
        let routed = RoutedRecord::new(fb, &decision, now);
        let Some(entry) = self.deadlines.routed(&routed) else {
            // Routed before (a replay, or an edit of a known mention).
            self.stats.repeats += 1;
            return;
        };
        self.partition_of
            .insert(entry.feedback_id.clone(), partition);
        out.messages.push(self.json(
            &decision.topic,
            routed.key(),
            &routed,
            (routed.key(), "dev.earshot.routed.v1"),
            None,
        ));
        out.messages.push(self.changelog(&entry, partition));
        self.stats.routed += 1;
        let alert = decision
            .escalate
            .then(|| AlertRecord::immediate(&routed, now));
        out.decided.push(Decided::Routed(routed));
        out.decided.push(Decided::Deadline(entry));
        if let Some(alert) = alert {
            out.messages.push(self.alert(&alert));
            out.decided.push(Decided::Alert(alert));
            self.stats.immediate += 1;
        }
    }

    /// Takes in an influencer record: raises a disengagement alert when its
    /// sentiment history shows the person turned negative.
    pub fn influencer(&mut self, rec: &InfluencerRecord, now: DateTime<Utc>, out: &mut Output) {
        if let Some(alert) = self.disengagement.observe(rec, now) {
            out.messages.push(self.alert(&alert));
            out.decided.push(Decided::Alert(alert));
            self.stats.disengagement += 1;
        }
    }

    /// Applies one status event from `partition`.
    pub fn status(&mut self, ev: StatusEvent, partition: i32, out: &mut Output) {
        self.stats.statuses += 1;
        let cfg = &self.cfg;
        if let Some(entry) = self.deadlines.status(&ev, |q| cfg.deadline_of(q)) {
            self.partition_of
                .insert(entry.feedback_id.clone(), partition);
            out.messages.push(self.changelog(&entry, partition));
            out.decided.push(Decided::Deadline(entry));
        }
    }

    /// Escalates what fell due and raises spike and gone-quiet alerts.
    pub fn tick(&mut self, now: DateTime<Utc>, out: &mut Output) {
        let cfg = &self.cfg;
        let due = self.deadlines.due_with(now, |q| cfg.escalate_after_of(q));
        for entry in due {
            let alert = AlertRecord::deadline(&entry, now);
            out.messages.push(self.alert(&alert));
            out.decided.push(Decided::Alert(alert));
            if let Some(&p) = self.partition_of.get(&entry.feedback_id) {
                // The alert carries the feedback; the changelog need not.
                let closed = Entry {
                    feedback: None,
                    ..entry
                };
                out.messages.push(self.changelog(&closed, p));
                out.decided.push(Decided::Deadline(closed));
            }
            self.stats.deadline += 1;
        }
        // Closed entries are kept so a repeat is recognised; past the
        // retention they go, from memory and (by tombstone) the changelog.
        let sweep = self
            .swept
            .is_none_or(|t| now - t >= chrono::Duration::hours(1));
        let before = now - chrono::Duration::days(RETENTION_DAYS);
        let expired = if sweep {
            self.swept = Some(now);
            self.deadlines.expire(before)
        } else {
            Vec::new()
        };
        for id in expired {
            if let Some(p) = self.partition_of.remove(&id) {
                out.decided.push(Decided::Forgotten(id.clone()));
                out.messages.push(Outgoing {
                    topic: self.cfg.changelog_topic.clone(),
                    key: id,
                    payload: None,
                    headers: Default::default(),
                    partition: Some(p),
                });
            }
        }
        for alert in self.spikes.check(now) {
            out.messages.push(self.alert(&alert));
            out.decided.push(Decided::Alert(alert));
            self.stats.spikes += 1;
        }
        for alert in self.disengagement.check(now) {
            out.messages.push(self.alert(&alert));
            out.decided.push(Decided::Alert(alert));
            self.stats.disengagement += 1;
        }
    }

    /// Takes in a changelog entry of an owned partition.
    pub fn restore(&mut self, entry: Entry, partition: i32) {
        self.partition_of
            .insert(entry.feedback_id.clone(), partition);
        self.deadlines.restore(entry);
    }

    /// Drops the state of partitions no longer owned.
    pub fn release(&mut self, owned: &HashSet<i32>) {
        let gone: HashSet<String> = self
            .partition_of
            .iter()
            .filter(|(_, p)| !owned.contains(p))
            .map(|(id, _)| id.clone())
            .collect();
        self.deadlines.forget(|id| gone.contains(id));
        self.partition_of.retain(|id, _| !gone.contains(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::records::StatusKind;

    fn config() -> RouteConfig {
        let text = r#"
default_queue = "pm"
[[queues]]
name = "pm"
deadline = "4h"
"#;
        crate::route::config::validate(toml::from_str(text).unwrap()).unwrap()
    }

    fn feedback(id: &str) -> FeedbackRecord {
        serde_json::from_value(serde_json::json!({
            "schema": "earshot.feedback/1", "id": id, "event": "created", "revision": "r",
            "brand": "Acme", "products": [], "terms": ["acme"], "intents": [],
            "sentiment": {"score": -0.2, "label": "negative"},
            "item_sentiment": {"score": -0.2, "label": "negative"},
            "excerpt": "Acme lost my order.", "source": {"pipeline": "p", "id": "s", "platform": "web"},
            "item_key": id, "observed": "2026-11-22T10:00:00Z", "status": "open",
            "priority": "normal", "priority_reason": "negative"
        }))
        .unwrap()
    }

    fn alerts(out: &Output, cfg: &RouteConfig) -> Vec<serde_json::Value> {
        out.messages
            .iter()
            .filter(|m| m.topic == cfg.alerts_topic)
            .map(|m| serde_json::from_slice(m.payload.as_ref().unwrap()).unwrap())
            .collect()
    }

    /// The route loop's timing path: it sleeps until the instant the clock
    /// maps the next deadline to, then ticks.
    #[tokio::test(start_paused = true)]
    async fn deadlines_fall_due_on_tokios_clock_and_acknowledged_ones_never() {
        let cfg = config();
        let clock = Clock::start();
        let mut d = Decider::new(cfg.clone());
        let mut out = Output::default();
        d.feedback(feedback("fb_stalled"), 0, clock.now(), &mut out);
        d.feedback(feedback("fb_acked"), 1, clock.now(), &mut out);
        d.status(
            StatusEvent {
                feedback_id: "fb_acked".into(),
                status: StatusKind::Acknowledged,
                at: clock.now(),
                by: Some("pm@acme.example".into()),
                note: None,
            },
            1,
            &mut out,
        );
        let start = Instant::now();
        tokio::time::sleep(Duration::from_secs(4 * 3600 - 60)).await;
        let mut early = Output::default();
        d.tick(clock.now(), &mut early);
        assert!(
            alerts(&early, &cfg).is_empty(),
            "nothing is due a minute early"
        );

        let due = d.deadlines.next_due().expect("a running clock");
        tokio::time::sleep_until(clock.instant_of(due)).await;
        assert_eq!(start.elapsed(), Duration::from_secs(4 * 3600));
        let mut late = Output::default();
        d.tick(clock.now(), &mut late);
        let a = alerts(&late, &cfg);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0]["kind"], "deadline");
        assert_eq!(a[0]["feedback_id"], "fb_stalled");
        // Escalated once: later ticks stay quiet.
        tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
        let mut again = Output::default();
        d.tick(clock.now(), &mut again);
        assert!(alerts(&again, &cfg).is_empty());
        assert_eq!(d.stats.deadline, 1);
    }

    /// The chain on tokio's clock: the owner's alert at the deadline, the
    /// management's at the second deadline, the changelog keeping both.
    #[tokio::test(start_paused = true)]
    async fn the_second_deadline_raises_a_level_two_alert_with_its_own_id() {
        let text = "default_queue = \"pm\"\n[[queues]]\nname = \"pm\"\ndeadline = \"4h\"\nescalate_after = \"2h\"\n";
        let cfg = crate::route::config::validate(toml::from_str(text).unwrap()).unwrap();
        let clock = Clock::start();
        let mut d = Decider::new(cfg.clone());
        let mut out = Output::default();
        d.feedback(feedback("fb_stalled"), 0, clock.now(), &mut out);
        let mut levels = Vec::new();
        while let Some(due) = d.deadlines.next_due() {
            tokio::time::sleep_until(clock.instant_of(due)).await;
            let mut o = Output::default();
            d.tick(clock.now(), &mut o);
            levels.extend(alerts(&o, &cfg));
            let logged: Vec<Entry> = o
                .messages
                .iter()
                .filter(|m| m.topic == cfg.changelog_topic)
                .map(|m| serde_json::from_slice(m.payload.as_ref().unwrap()).unwrap())
                .collect();
            assert_eq!(logged.len(), 1, "each level is written to the changelog");
        }
        assert_eq!(levels.len(), 2);
        assert_eq!(levels[0].get("level"), None, "level 1 is written as before");
        assert_eq!(levels[1]["level"], 2);
        assert_ne!(levels[0]["id"], levels[1]["id"]);
        assert_eq!(d.stats.deadline, 2);
    }

    #[test]
    fn a_replayed_feedback_is_not_routed_again() {
        let cfg = config();
        let mut d = Decider::new(cfg);
        let now = Utc::now();
        let mut out = Output::default();
        d.feedback(feedback("fb_1"), 2, now, &mut out);
        // Routed record plus its changelog entry on the same partition.
        assert_eq!(out.messages.len(), 2);
        assert_eq!(out.messages[1].partition, Some(2));
        let mut again = Output::default();
        d.feedback(feedback("fb_1"), 2, now, &mut again);
        assert!(again.messages.is_empty());
        assert_eq!((d.stats.routed, d.stats.repeats), (1, 1));
    }

    #[test]
    fn state_of_released_partitions_is_dropped() {
        let mut d = Decider::new(config());
        let mut out = Output::default();
        d.feedback(feedback("fb_a"), 0, Utc::now(), &mut out);
        d.feedback(feedback("fb_b"), 1, Utc::now(), &mut out);
        d.release(&HashSet::from([1]));
        assert!(!d.deadlines.contains("fb_a"));
        assert!(d.deadlines.contains("fb_b"));
    }
}
