//! What goes to which channel, and when: pure, on times given by the
//! caller, so it is tested without a clock.
//!
//! Each channel takes the alerts its filter passes. Per (channel, brand) at
//! most one message goes out per `min_interval`: an alert that comes sooner
//! is held, and the held alerts leave together in the next message, which
//! counts them, so none is lost and nobody gets one ping per alert.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::config::Channel;
use crate::route::records::AlertRecord;

/// One message for one channel: the alerts it reports, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Index of the channel in the config.
    pub channel: usize,
    pub brand: String,
    pub alerts: Vec<AlertRecord>,
}

impl Message {
    /// The alert the message leads with: the newest.
    pub fn latest(&self) -> &AlertRecord {
        self.alerts.last().expect("a message holds an alert")
    }

    /// Alerts folded in beside the one shown.
    pub fn folded(&self) -> usize {
        self.alerts.len() - 1
    }
}

#[derive(Default)]
struct Slot {
    last: Option<DateTime<Utc>>,
    /// After a failed delivery: no message before this.
    not_before: Option<DateTime<Utc>>,
    held: Vec<AlertRecord>,
}

pub struct Throttle {
    intervals: Vec<TimeDelta>,
    slots: HashMap<(usize, String), Slot>,
}

impl Throttle {
    pub fn new(channels: &[Channel]) -> Throttle {
        Throttle {
            intervals: channels
                .iter()
                .map(|c| TimeDelta::from_std(c.min_interval).unwrap_or(TimeDelta::MAX))
                .collect(),
            slots: HashMap::new(),
        }
    }

    fn open_at(&self, channel: usize, slot: &Slot) -> Option<DateTime<Utc>> {
        let after_last = slot.last.map(|l| {
            l.checked_add_signed(self.intervals[channel])
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        });
        after_last.max(slot.not_before)
    }

    /// Offers `alert` to `channel` at `now`: a message to send now, or none
    /// when the alert is held for a later one.
    pub fn offer(
        &mut self,
        channel: usize,
        alert: AlertRecord,
        now: DateTime<Utc>,
    ) -> Option<Message> {
        let key = (channel, alert.brand.clone());
        let slot = self.slots.entry(key.clone()).or_default();
        slot.held.push(alert);
        let slot = &self.slots[&key];
        let open = self.open_at(channel, slot).is_none_or(|t| now >= t);
        open.then(|| self.release(key, now))
    }

    /// Gives back the alerts of a message that could not be delivered: they
    /// lead the next message of their slot, which leaves no sooner than
    /// `until`, so that a channel that is down is not hammered.
    pub fn hold(&mut self, msg: Message, until: DateTime<Utc>) {
        let slot = self.slots.entry((msg.channel, msg.brand)).or_default();
        slot.not_before = Some(until);
        let mut alerts = msg.alerts;
        alerts.append(&mut slot.held);
        slot.held = alerts;
    }

    /// The messages whose interval has passed by `now`.
    pub fn due(&mut self, now: DateTime<Utc>) -> Vec<Message> {
        let keys: Vec<(usize, String)> = self
            .slots
            .iter()
            .filter(|(k, s)| !s.held.is_empty() && self.open_at(k.0, s).is_none_or(|t| now >= t))
            .map(|(k, _)| k.clone())
            .collect();
        keys.into_iter().map(|k| self.release(k, now)).collect()
    }

    /// When the next held alerts may leave.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.slots
            .iter()
            .filter(|(_, s)| !s.held.is_empty())
            .filter_map(|(k, s)| self.open_at(k.0, s))
            .min()
    }

    fn release(&mut self, key: (usize, String), now: DateTime<Utc>) -> Message {
        let slot = self.slots.get_mut(&key).expect("slot exists");
        slot.last = Some(now);
        slot.not_before = None;
        Message {
            channel: key.0,
            brand: key.1,
            alerts: std::mem::take(&mut slot.held),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::notify::config::{ChannelKind, Filter, Secret};
    use crate::route::records::AlertKind;

    pub(crate) fn alert(id: &str, brand: &str, kind: AlertKind) -> AlertRecord {
        AlertRecord {
            schema: crate::route::records::ALERT_SCHEMA.into(),
            id: id.into(),
            kind,
            at: "2026-11-30T10:00:00Z".parse().unwrap(),
            brand: brand.into(),
            reason: format!("Alert {id}."),
            feedback_id: None,
            queue: Some("support".into()),
            rule: None,
            feedback: None,
            spike: None,
            level: 1,
        }
    }

    fn channel(min: u64) -> Channel {
        Channel {
            name: "ops".into(),
            kind: ChannelKind::Slack {
                url: Secret::new("https://example.com/x"),
            },
            filter: Filter::default(),
            min_interval: std::time::Duration::from_secs(min),
        }
    }

    fn at(minutes: i64) -> DateTime<Utc> {
        "2026-11-30T10:00:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::minutes(minutes)
    }

    fn ids(m: &Message) -> Vec<&str> {
        m.alerts.iter().map(|a| a.id.as_str()).collect()
    }

    #[test]
    fn alerts_inside_the_interval_are_folded_into_the_next_message() {
        let mut t = Throttle::new(&[channel(15 * 60)]);
        let first = t
            .offer(0, alert("a1", "Acme", AlertKind::Immediate), at(0))
            .unwrap();
        assert_eq!(ids(&first), ["a1"]);
        assert!(t
            .offer(0, alert("a2", "Acme", AlertKind::Immediate), at(1))
            .is_none());
        assert!(t
            .offer(0, alert("a3", "Acme", AlertKind::Deadline), at(5))
            .is_none());
        // Another brand has its own interval.
        assert!(t
            .offer(0, alert("b1", "Globex", AlertKind::Spike), at(6))
            .is_some());
        assert_eq!(t.next_due(), Some(at(15)));
        assert!(t.due(at(14)).is_empty());
        let due = t.due(at(15));
        assert_eq!(due.len(), 1);
        assert_eq!(ids(&due[0]), ["a2", "a3"]);
        assert_eq!((due[0].latest().id.as_str(), due[0].folded()), ("a3", 1));
        assert_eq!(t.next_due(), None);
        // The interval runs from that message.
        assert!(t
            .offer(0, alert("a4", "Acme", AlertKind::Immediate), at(20))
            .is_none());
        assert_eq!(t.next_due(), Some(at(30)));
    }

    #[test]
    fn without_an_interval_every_alert_goes_at_once() {
        let mut t = Throttle::new(&[channel(0)]);
        for (i, id) in ["a1", "a2", "a3"].into_iter().enumerate() {
            let m = t
                .offer(0, alert(id, "Acme", AlertKind::Immediate), at(0))
                .unwrap();
            assert_eq!(ids(&m), [id], "alert {i}");
        }
    }

    #[test]
    fn a_message_not_delivered_is_held_and_leads_the_next() {
        let mut t = Throttle::new(&[channel(600)]);
        let m = t
            .offer(0, alert("a1", "Acme", AlertKind::Immediate), at(0))
            .unwrap();
        assert!(t
            .offer(0, alert("a2", "Acme", AlertKind::Immediate), at(2))
            .is_none());
        t.hold(m, at(30));
        assert!(t.due(at(10)).is_empty(), "not before the retry time");
        assert_eq!(t.next_due(), Some(at(30)));
        let due = t.due(at(30));
        assert_eq!(ids(&due[0]), ["a1", "a2"]);
    }

    #[test]
    fn filters_pass_kinds_brands_and_queues() {
        let f = Filter {
            kinds: vec![AlertKind::Deadline, AlertKind::Spike],
            brands: vec!["Acme".into()],
            queues: vec!["support".into()],
        };
        assert!(f.takes(&alert("1", "Acme", AlertKind::Deadline)));
        assert!(!f.takes(&alert("2", "Acme", AlertKind::Immediate)));
        assert!(!f.takes(&alert("3", "Globex", AlertKind::Deadline)));
        let mut spike = alert("4", "Acme", AlertKind::Spike);
        spike.queue = None;
        assert!(!f.takes(&spike), "a queue filter needs a queue");
        assert!(Filter::default().takes(&spike));
    }
}
