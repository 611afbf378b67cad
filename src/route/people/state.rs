//! What route's people loop knows, without Kafka: one disengagement
//! detector per owned partition of the influencer topic, the ids of the
//! disengagement alerts already on the alerts topic, and the next offset
//! of each partition. Pure, so the rules of restore and repeat can be
//! tested without a broker.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::super::decider::{alert_message, Stats};
use super::super::disengage::config::DisengageConfig;
use super::super::disengage::Disengagement;
use super::super::records::{AlertKind, AlertRecord};
use crate::record::InfluencerRecord;
use crate::sink::kafka::Outgoing;

/// An owned partition: its people, and the first offset not yet in them.
struct Owned {
    detector: Disengagement,
    next: i64,
}

/// The state of one instance of the people loop.
pub struct People {
    cfg: DisengageConfig,
    alerts_topic: String,
    owned: HashMap<i32, Owned>,
    /// Disengagement alerts on the alerts topic when partitions were last
    /// assigned: raised before (by this instance, a crashed one or the
    /// partition's previous owner), so not raised again.
    raised: HashSet<String>,
    pub stats: Stats,
}

/// Feeds one record of a partition's history into `detector`, as read back
/// at assignment: whatever it raises was raised before the position the
/// group had committed, so it is dropped. Returns false for a message that
/// is not an influencer record.
pub fn replay(detector: &mut Disengagement, payload: Option<&[u8]>) -> bool {
    let Some(p) = payload else {
        // A tombstone: the person is gone from the topic.
        return true;
    };
    match serde_json::from_slice::<InfluencerRecord>(p) {
        Ok(rec) => {
            detector.observe(&rec, rec.last_seen);
            true
        }
        Err(_) => false,
    }
}

impl People {
    pub fn new(cfg: DisengageConfig, alerts_topic: &str) -> People {
        People {
            cfg,
            alerts_topic: alerts_topic.to_string(),
            owned: HashMap::new(),
            raised: HashSet::new(),
            stats: Stats::default(),
        }
    }

    /// Makes fresh detectors, for partitions being read back.
    pub fn detector_factory(&self) -> impl Fn() -> Disengagement + Send + 'static {
        let cfg = self.cfg.clone();
        move || Disengagement::new(cfg.clone())
    }

    /// Takes over `partition`, its history read up to `position` into
    /// `detector`.
    pub fn assigned(&mut self, partition: i32, position: i64, detector: Disengagement) {
        let owned = Owned {
            detector,
            next: position,
        };
        self.owned.insert(partition, owned);
    }

    /// The disengagement alerts on the alerts topic, read at assignment.
    pub fn already_raised(&mut self, alerts: impl IntoIterator<Item = AlertRecord>) {
        self.raised = alerts
            .into_iter()
            .filter(|a| a.kind == AlertKind::Disengagement)
            .map(|a| a.id)
            .collect();
    }

    /// Forgets the people of a partition another instance now owns.
    pub fn revoked(&mut self, partition: i32) {
        self.owned.remove(&partition);
    }

    pub fn owns(&self, partition: i32) -> bool {
        self.owned.contains_key(&partition)
    }

    pub fn partitions(&self) -> Vec<i32> {
        let mut out: Vec<i32> = self.owned.keys().copied().collect();
        out.sort_unstable();
        out
    }

    /// Takes in the message at `offset` of `partition`; adds the alert it
    /// raises to `out`. Returns whether the offset may be committed once
    /// `out` is acknowledged: not for a partition no longer owned, or a
    /// message already in the state (fetched again after a rebalance).
    pub fn observe(
        &mut self,
        partition: i32,
        offset: i64,
        payload: Option<&[u8]>,
        now: DateTime<Utc>,
        out: &mut Vec<Outgoing>,
    ) -> bool {
        let Some(owned) = self.owned.get_mut(&partition) else {
            return false;
        };
        if offset < owned.next {
            return false;
        }
        owned.next = offset + 1;
        let Some(payload) = payload else {
            return true;
        };
        match serde_json::from_slice::<InfluencerRecord>(payload) {
            Ok(rec) => {
                if let Some(a) = owned.detector.observe(&rec, now) {
                    emit(&self.alerts_topic, &self.raised, &mut self.stats, a, out);
                }
            }
            Err(e) => {
                self.stats.bad += 1;
                tracing::warn!(partition, offset, error = %e, "Not an influencer record; skipped.");
            }
        }
        true
    }

    /// Adds the gone-quiet alerts due at `now` to `out`.
    pub fn check(&mut self, now: DateTime<Utc>, out: &mut Vec<Outgoing>) {
        let mut due: Vec<AlertRecord> = Vec::new();
        for owned in self.owned.values_mut() {
            due.extend(owned.detector.check(now));
        }
        due.sort_by(|a, b| a.id.cmp(&b.id));
        for a in due {
            emit(&self.alerts_topic, &self.raised, &mut self.stats, a, out);
        }
    }
}

fn emit(
    topic: &str,
    raised: &HashSet<String>,
    stats: &mut Stats,
    a: AlertRecord,
    out: &mut Vec<Outgoing>,
) {
    if raised.contains(&a.id) {
        stats.repeats += 1;
        return;
    }
    stats.disengagement += 1;
    out.push(alert_message(topic, &a));
}
