//! What goes to which channel, and when: pure, on times given by the
//! caller, so it is tested without a clock.
//!
//! Each channel takes the alerts its filter passes, and sorts them into
//! slots. Low-priority alerts of a channel with a digest wait in one slot
//! per queue until the next digest time ([`Every`]), then leave together
//! as a digest. The others wait in one slot per brand: at most one message
//! per `min_interval`, an alert that comes sooner held and folded into the
//! next message with a count, so none is lost and nobody gets one ping per
//! alert. Inside a channel's quiet hours nothing leaves but urgent alerts
//! ([`urgent`]); what was held goes when they end. An urgent alert leaves
//! at once, taking its slot's held alerts with it.
//!
//! [`Every`]: super::schedule::Every

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::config::{Channel, Digest};
use super::schedule::{urgent, QuietHours};
use crate::route::records::AlertRecord;

/// One message for one channel: the alerts it reports, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Index of the channel in the config.
    pub channel: usize,
    /// The brand of an alert message; empty for a digest, which may span
    /// brands.
    pub brand: String,
    pub alerts: Vec<AlertRecord>,
    /// Set when the message is a digest.
    pub digest: Option<DigestOf>,
}

/// What a digest message summarises.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestOf {
    /// The queue; none for alerts without one (spikes).
    pub queue: Option<String>,
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

    fn key(&self) -> Key {
        match &self.digest {
            Some(d) => Key::Digest(d.queue.clone()),
            None => Key::Brand(self.brand.clone()),
        }
    }
}

/// A slot of a channel: alerts about one brand, or a queue's digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    Brand(String),
    Digest(Option<String>),
}

#[derive(Default)]
struct Slot {
    last: Option<DateTime<Utc>>,
    /// After a failed delivery: no message before this.
    not_before: Option<DateTime<Utc>>,
    /// A digest's time, set by its first alert.
    digest_at: Option<DateTime<Utc>>,
    held: Vec<AlertRecord>,
}

/// The timing rules of one channel.
struct Policy {
    interval: TimeDelta,
    quiet: Option<QuietHours>,
    digest: Option<Digest>,
}

pub struct Throttle {
    policies: Vec<Policy>,
    slots: HashMap<(usize, Key), Slot>,
}

impl Throttle {
    pub fn new(channels: &[Channel]) -> Throttle {
        Throttle {
            policies: channels
                .iter()
                .map(|c| Policy {
                    interval: TimeDelta::from_std(c.min_interval).unwrap_or(TimeDelta::MAX),
                    quiet: c.quiet.clone(),
                    digest: c.digest.clone(),
                })
                .collect(),
            slots: HashMap::new(),
        }
    }

    /// When `slot` of `channel` may next leave, judged at `now`.
    fn open_at(&self, channel: usize, key: &Key, slot: &Slot, now: DateTime<Utc>) -> DateTime<Utc> {
        let p = &self.policies[channel];
        let mut t = now.max(slot.not_before.unwrap_or(now));
        if slot.held.iter().any(urgent) {
            return t;
        }
        match key {
            Key::Brand(_) => {
                if let Some(last) = slot.last {
                    t = t.max(
                        last.checked_add_signed(p.interval)
                            .unwrap_or(DateTime::<Utc>::MAX_UTC),
                    );
                }
            }
            Key::Digest(_) => t = t.max(slot.digest_at.unwrap_or(now)),
        }
        match &p.quiet {
            Some(q) => q.open_at(t),
            None => t,
        }
    }

    /// Offers `alert` to `channel` at `now`: a message to send now, or none
    /// when the alert is held for a later one.
    pub fn offer(
        &mut self,
        channel: usize,
        alert: AlertRecord,
        now: DateTime<Utc>,
    ) -> Option<Message> {
        let digest = self.policies[channel]
            .digest
            .as_ref()
            .filter(|d| d.takes(&alert));
        let key = match digest {
            Some(_) => Key::Digest(alert.queue.clone()),
            None => Key::Brand(alert.brand.clone()),
        };
        let next_digest = digest.map(|d| d.every.next_after(now));
        let slot = self.slots.entry((channel, key.clone())).or_default();
        if slot.digest_at.is_none() {
            slot.digest_at = next_digest;
        }
        slot.held.push(alert);
        let slot = &self.slots[&(channel, key.clone())];
        (self.open_at(channel, &key, slot, now) <= now).then(|| self.release(channel, key, now))
    }

    /// Gives back the alerts of a message that could not be delivered: they
    /// lead the next message of their slot, which leaves no sooner than
    /// `until`, so that a channel that is down is not hammered.
    pub fn hold(&mut self, msg: Message, until: DateTime<Utc>) {
        let slot = self.slots.entry((msg.channel, msg.key())).or_default();
        slot.not_before = Some(until);
        let mut alerts = msg.alerts;
        alerts.append(&mut slot.held);
        slot.held = alerts;
    }

    /// The messages that may leave by `now`.
    pub fn due(&mut self, now: DateTime<Utc>) -> Vec<Message> {
        let mut keys: Vec<(usize, Key)> = self
            .slots
            .iter()
            .filter(|(k, s)| !s.held.is_empty() && self.open_at(k.0, &k.1, s, now) <= now)
            .map(|(k, _)| k.clone())
            .collect();
        // Oldest first, so that the order of messages does not depend on
        // the map's.
        keys.sort_by_cached_key(|k| (self.slots[k].held.first().map(|a| a.at), k.clone()));
        keys.into_iter()
            .map(|(c, k)| self.release(c, k, now))
            .collect()
    }

    /// When the next held alerts may leave, judged at `now`.
    pub fn next_due(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.slots
            .iter()
            .filter(|(_, s)| !s.held.is_empty())
            .map(|(k, s)| self.open_at(k.0, &k.1, s, now))
            .min()
    }

    fn release(&mut self, channel: usize, key: Key, now: DateTime<Utc>) -> Message {
        let slot = self
            .slots
            .get_mut(&(channel, key.clone()))
            .expect("slot exists");
        slot.not_before = None;
        slot.digest_at = None;
        let alerts = std::mem::take(&mut slot.held);
        match key {
            Key::Brand(brand) => {
                slot.last = Some(now);
                Message {
                    channel,
                    brand,
                    alerts,
                    digest: None,
                }
            }
            Key::Digest(queue) => Message {
                channel,
                brand: String::new(),
                alerts,
                digest: Some(DigestOf { queue }),
            },
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
            disengagement: None,
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
            quiet: None,
            digest: None,
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
        assert_eq!(t.next_due(at(0)), Some(at(15)));
        assert!(t.due(at(14)).is_empty());
        let due = t.due(at(15));
        assert_eq!(due.len(), 1);
        assert_eq!(ids(&due[0]), ["a2", "a3"]);
        assert_eq!((due[0].latest().id.as_str(), due[0].folded()), ("a3", 1));
        assert_eq!(t.next_due(at(0)), None);
        // The interval runs from that message.
        assert!(t
            .offer(0, alert("a4", "Acme", AlertKind::Immediate), at(20))
            .is_none());
        assert_eq!(t.next_due(at(0)), Some(at(30)));
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
        assert_eq!(t.next_due(at(0)), Some(at(30)));
        let due = t.due(at(30));
        assert_eq!(ids(&due[0]), ["a1", "a2"]);
    }

    #[test]
    fn filters_pass_kinds_brands_and_queues() {
        let f = Filter {
            kinds: vec![AlertKind::Deadline, AlertKind::Spike],
            brands: vec!["Acme".into()],
            queues: vec!["support".into()],
            levels: Vec::new(),
        };
        assert!(f.takes(&alert("1", "Acme", AlertKind::Deadline)));
        assert!(!f.takes(&alert("2", "Acme", AlertKind::Immediate)));
        assert!(!f.takes(&alert("3", "Globex", AlertKind::Deadline)));
        let mut spike = alert("4", "Acme", AlertKind::Spike);
        spike.queue = None;
        assert!(!f.takes(&spike), "a queue filter needs a queue");
        assert!(Filter::default().takes(&spike));
    }

    fn quiet_channel() -> Channel {
        // 10:00 is 11:00 in Berlin in winter: quiet from 11:00 to 12:00
        // local is 10:00 to 11:00 UTC, at(0) to at(60).
        let mut c = channel(0);
        c.quiet = Some(crate::notify::schedule::QuietHours {
            start: crate::notify::schedule::time_of_day("11:00").unwrap(),
            end: crate::notify::schedule::time_of_day("12:00").unwrap(),
            tz: "Europe/Berlin".parse().unwrap(),
        });
        c
    }

    #[test]
    fn quiet_hours_hold_what_is_not_urgent_until_they_end() {
        let mut t = Throttle::new(&[quiet_channel()]);
        assert!(t
            .offer(0, alert("a1", "Acme", AlertKind::Immediate), at(5))
            .is_none());
        assert!(t
            .offer(0, alert("a2", "Acme", AlertKind::Deadline), at(10))
            .is_none());
        assert_eq!(t.next_due(at(10)), Some(at(60)));
        assert!(t.due(at(59)).is_empty());
        let due = t.due(at(60));
        assert_eq!(ids(&due[0]), ["a1", "a2"]);
        // After the quiet hours, at once again.
        assert!(t
            .offer(0, alert("a3", "Acme", AlertKind::Immediate), at(61))
            .is_some());
    }

    #[test]
    fn an_urgent_alert_goes_through_quiet_hours_and_the_cooldown_with_what_waited() {
        let mut c = quiet_channel();
        c.min_interval = std::time::Duration::from_secs(3600);
        let mut t = Throttle::new(&[c]);
        assert!(t
            .offer(0, alert("a1", "Acme", AlertKind::Deadline), at(5))
            .is_none());
        let mut management = alert("a2", "Acme", AlertKind::Deadline);
        management.level = 2;
        let m = t.offer(0, management, at(6)).unwrap();
        assert_eq!(ids(&m), ["a1", "a2"]);
        assert_eq!(t.next_due(at(6)), None);
    }

    fn digest_channel(kinds: Vec<AlertKind>) -> Channel {
        let mut c = channel(15 * 60);
        c.digest = Some(crate::notify::config::Digest {
            every: crate::notify::schedule::Every::Period(std::time::Duration::from_secs(3600)),
            kinds,
        });
        c
    }

    #[test]
    fn low_priority_alerts_wait_for_the_digest_of_their_queue() {
        let mut t = Throttle::new(&[digest_channel(vec![AlertKind::Spike, AlertKind::Deadline])]);
        let mut billing = alert("b1", "Acme", AlertKind::Deadline);
        billing.queue = Some("billing".into());
        assert!(t.offer(0, billing, at(10)).is_none());
        for (i, m) in [12, 30, 59].into_iter().enumerate() {
            let a = alert(
                &format!("s{i}"),
                if i == 1 { "Globex" } else { "Acme" },
                AlertKind::Deadline,
            );
            assert!(t.offer(0, a, at(m)).is_none(), "digested, not sent");
        }
        // Not low priority on this channel: its own message at once.
        assert!(t
            .offer(0, alert("i1", "Acme", AlertKind::Immediate), at(20))
            .is_some());
        assert_eq!(t.next_due(at(59)), Some(at(60)), "on the hour");
        assert!(t.due(at(59)).is_empty());
        let due = t.due(at(60));
        assert_eq!(due.len(), 2, "one digest per queue: {due:?}");
        assert_eq!(ids(&due[0]), ["b1"]);
        assert_eq!(
            due[0].digest.as_ref().unwrap().queue.as_deref(),
            Some("billing")
        );
        assert_eq!(ids(&due[1]), ["s0", "s1", "s2"]);
        // The next digest is the next hour's, whatever the cooldown.
        assert!(t
            .offer(0, alert("s3", "Acme", AlertKind::Deadline), at(61))
            .is_none());
        assert_eq!(t.next_due(at(61)), Some(at(120)));
    }

    #[test]
    fn a_digest_due_in_quiet_hours_waits_for_their_end_and_urgent_skips_it() {
        let mut c = digest_channel(Vec::new());
        c.quiet = quiet_channel().quiet;
        let mut t = Throttle::new(&[c]);
        // Before the quiet hours; the hourly digest falls inside them.
        assert!(t
            .offer(0, alert("a1", "Acme", AlertKind::Spike), at(-30))
            .is_none());
        assert_eq!(t.next_due(at(-30)), Some(at(60)));
        let mut urgent = alert("a2", "Acme", AlertKind::Deadline);
        urgent.level = 2;
        let m = t.offer(0, urgent, at(-20)).unwrap();
        assert!(m.digest.is_none(), "urgent is never digested");
        let due = t.due(at(60));
        assert_eq!(ids(&due[0]), ["a1"]);
    }

    #[test]
    fn levels_pick_the_owner_or_management() {
        let owner = Filter {
            levels: vec![1],
            ..Filter::default()
        };
        let management = Filter {
            levels: vec![2],
            ..Filter::default()
        };
        let mut a = alert("1", "Acme", AlertKind::Deadline);
        assert!(owner.takes(&a) && !management.takes(&a));
        a.level = 2;
        assert!(!owner.takes(&a) && management.takes(&a));
    }
}
