//! Spike alerts: a brand mentioned far more than usual, or far more
//! negatively, in the current window than in the windows before it.
//!
//! Mentions are counted per brand in fixed windows aligned to the Unix epoch
//! (with "1h", whole clock hours). [`Spikes::check`] compares the current
//! window, still running, with the `baseline_windows` complete windows before
//! it ("this hour against the previous twelve"); a window without mentions
//! counts as zero. Judging the running window lets an alert fire as soon as
//! the threshold is crossed instead of after the window closes, and the
//! volume rule cannot misfire early, since a count only grows. The rules:
//!
//! - volume: `mentions >= min_mentions` and
//!   `mentions > factor × max(baseline mean, 1)`;
//! - negative share (with `negative_share_factor` set): `mentions >=
//!   min_mentions`, the baseline has at least `min_mentions` mentions too, and
//!   `negative share > negative_share_factor × max(baseline share, 5%)`, the
//!   baseline share being all negative mentions over all mentions.
//!
//! Each fires at most once per brand, window and rule. Nothing is judged
//! until a whole baseline has been watched: counts from before the first
//! observation (or [`Spikes::watch_from`]) are unknown, not zero, so a
//! restart does not make every brand look like it spiked. Memory is
//! `baseline_windows + 1` counters per brand mentioned in that span. The
//! caller picks the time of a mention: when it was published (capped at the
//! present), not when earshot saw it, or a backfill would look like a spike.
//! It calls `check` often enough, say every minute: a window is only judged
//! while it is current.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};

use super::config::SpikeConfig;
use super::records::{AlertKind, AlertRecord, SpikeFigures, SpikeTrigger, ALERT_SCHEMA};
use crate::record::stable_id;

/// Baseline negative share below which the share rule compares with this
/// instead: a brand that is never criticised would alert on one complaint.
pub const NEGATIVE_SHARE_FLOOR: f64 = 0.05;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    index: i64,
    mentions: u64,
    negative: u64,
}

#[derive(Debug, Default)]
struct Brand {
    /// Ordered by index, at most `baseline_windows + 1` of them.
    buckets: VecDeque<Bucket>,
    /// Window of the last alert, per rule: volume, negative share.
    alerted: [Option<i64>; 2],
}

/// Per-brand mention counts of recent windows.
#[derive(Debug)]
pub struct Spikes {
    cfg: SpikeConfig,
    window_ms: i64,
    since: Option<DateTime<Utc>>,
    brands: BTreeMap<String, Brand>,
}

impl Spikes {
    pub fn new(cfg: SpikeConfig) -> Spikes {
        let window_ms = i64::try_from(cfg.window.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        Spikes {
            cfg,
            window_ms,
            since: None,
            brands: BTreeMap::new(),
        }
    }

    /// Declares that every mention from `at` on is or will be observed, as
    /// after replaying the feedback topic from `at` at start-up.
    pub fn watch_from(&mut self, at: DateTime<Utc>) {
        self.since = Some(self.since.map_or(at, |s| s.min(at)));
    }

    /// Counts one mention of `brand` at `at`. Mentions older than the
    /// baseline of the brand's newest window are ignored.
    pub fn observe(&mut self, brand: &str, at: DateTime<Utc>, negative: bool) {
        self.since.get_or_insert(at);
        let index = self.index(at);
        let keep = self.cfg.baseline_windows as i64;
        let b = self.brands.entry(brand.to_string()).or_default();
        let newest = b.buckets.back().map_or(index, |x| x.index.max(index));
        if index < newest - keep {
            return;
        }
        let pos = match b.buckets.binary_search_by_key(&index, |x| x.index) {
            Ok(pos) => pos,
            Err(pos) => {
                let empty = Bucket {
                    index,
                    mentions: 0,
                    negative: 0,
                };
                b.buckets.insert(pos, empty);
                pos
            }
        };
        b.buckets[pos].mentions += 1;
        b.buckets[pos].negative += u64::from(negative);
        while b.buckets.front().is_some_and(|x| x.index < newest - keep) {
            b.buckets.pop_front();
        }
    }

    /// Judges every brand's current window; see the module notes.
    pub fn check(&mut self, now: DateTime<Utc>) -> Vec<AlertRecord> {
        let cur = self.index(now);
        let n = self.cfg.baseline_windows as i64;
        self.brands.retain(|_, b| {
            while b.buckets.front().is_some_and(|x| x.index < cur - n) {
                b.buckets.pop_front();
            }
            !b.buckets.is_empty()
        });
        let first_whole = self
            .since
            .map(|s| -(-s.timestamp_millis()).div_euclid(self.window_ms));
        if first_whole.is_none_or(|f| cur - n < f) {
            return Vec::new();
        }
        let (window_start, window_end) = (self.start(cur), self.start(cur + 1));
        let mut out = Vec::new();
        for (name, b) in self.brands.iter_mut() {
            let count = |i: i64| b.buckets.iter().find(|x| x.index == i).copied();
            let Some(now_b) = count(cur) else { continue };
            let base: Vec<Bucket> = (cur - n..cur)
                .map(|i| {
                    count(i).unwrap_or(Bucket {
                        index: i,
                        mentions: 0,
                        negative: 0,
                    })
                })
                .collect();
            let mean = base.iter().map(|x| x.mentions as f64).sum::<f64>() / n as f64;
            let var = base
                .iter()
                .map(|x| (x.mentions as f64 - mean).powi(2))
                .sum::<f64>()
                / n as f64;
            let total: u64 = base.iter().map(|x| x.mentions).sum();
            let negative: u64 = base.iter().map(|x| x.negative).sum();
            let figures = SpikeFigures {
                trigger: SpikeTrigger::Volume,
                window_start,
                window_end,
                mentions: now_b.mentions,
                baseline_mean: mean,
                baseline_stddev: var.sqrt(),
                negative_share: now_b.negative as f64 / now_b.mentions as f64,
                baseline_negative_share: (total > 0).then(|| negative as f64 / total as f64),
            };
            let enough = now_b.mentions >= self.cfg.min_mentions;
            let volume = enough && now_b.mentions as f64 > self.cfg.factor * mean.max(1.0);
            let share = self.cfg.negative_share_factor.is_some_and(|f| {
                enough
                    && total >= self.cfg.min_mentions
                    && figures.negative_share
                        > f * figures
                            .baseline_negative_share
                            .unwrap_or(0.0)
                            .max(NEGATIVE_SHARE_FLOOR)
            });
            for (slot, trigger, fires) in [
                (0, SpikeTrigger::Volume, volume),
                (1, SpikeTrigger::NegativeShare, share),
            ] {
                if fires && b.alerted[slot] != Some(cur) {
                    b.alerted[slot] = Some(cur);
                    let f = SpikeFigures {
                        trigger,
                        ..figures.clone()
                    };
                    out.push(spike_alert(name, now, f, &self.cfg));
                }
            }
        }
        out
    }

    /// Brands with counts kept, and counters in all: what memory holds.
    pub fn size(&self) -> (usize, usize) {
        let buckets = self.brands.values().map(|b| b.buckets.len()).sum();
        (self.brands.len(), buckets)
    }

    fn index(&self, at: DateTime<Utc>) -> i64 {
        at.timestamp_millis().div_euclid(self.window_ms)
    }

    fn start(&self, index: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(index.saturating_mul(self.window_ms)).unwrap_or_default()
    }
}

fn spike_alert(brand: &str, now: DateTime<Utc>, f: SpikeFigures, cfg: &SpikeConfig) -> AlertRecord {
    let window = humantime::format_duration(cfg.window);
    let (start, end) = (f.window_start, f.window_end);
    let span = if start.date_naive() == end.date_naive() {
        format!(
            "{}–{} UTC",
            start.format("%Y-%m-%d %H:%M"),
            end.format("%H:%M")
        )
    } else {
        format!(
            "{} – {} UTC",
            start.format("%Y-%m-%d %H:%M"),
            end.format("%Y-%m-%d %H:%M")
        )
    };
    let n = cfg.baseline_windows;
    let (tag, reason) = match f.trigger {
        SpikeTrigger::Volume => (
            "volume",
            format!(
                "{brand} was mentioned {} times in the window {span}, against {:.1} on average (standard deviation {:.1}) over the previous {n} windows of {window}.",
                f.mentions, f.baseline_mean, f.baseline_stddev
            ),
        ),
        SpikeTrigger::NegativeShare => (
            "negative_share",
            format!(
                "{:.0}% of the {} mentions of {brand} in the window {span} are negative, against {:.0}% over the previous {n} windows of {window}.",
                f.negative_share * 100.0,
                f.mentions,
                f.baseline_negative_share.unwrap_or(0.0) * 100.0
            ),
        ),
    };
    AlertRecord {
        schema: ALERT_SCHEMA.into(),
        id: stable_id(
            "al",
            &[
                "spike",
                tag,
                &brand.to_lowercase(),
                &f.window_start.to_rfc3339(),
            ],
        ),
        kind: AlertKind::Spike,
        at: now,
        brand: brand.to_string(),
        reason,
        feedback_id: None,
        queue: None,
        rule: None,
        feedback: None,
        spike: Some(f),
        disengagement: None,
        level: 1,
    }
}

#[cfg(test)]
#[path = "tests/spike.rs"]
mod tests;
