//! Disengagement alerts: a person who was positive turns negative, or one
//! who spoke of a brand often goes quiet.
//!
//! Read from influencer records alone: each carries the person's sentiment
//! history across all their accounts ([`crate::record::Trajectory`]), so a
//! consumer keeps no history of its own. The rules, with the settings of
//! [`config::DisengageConfig`]:
//!
//! - **turned negative**: the person's latest `recent` mentions have a mean
//!   score of at most `negative_at_most`, the at least `min_earlier`
//!   mentions before them (of the history's latest 50) a mean of at least
//!   `positive_at_least`. Raised once per turn: the person counts as turned
//!   until their recent mean is back at `positive_at_least`, and only then
//!   can turn again. The id names the first mention of the negative run, so
//!   the same records replayed make the same alert.
//! - **gone quiet** (with `quiet_after` set): among the person's latest
//!   mentions at least `quiet_min_mentions` are of one brand, and the last of
//!   them is `quiet_after` old or older. Judged by [`Disengagement::check`],
//!   which the caller runs on its tick with the present time. Raised once per
//!   brand and last mention; speaking of the brand again starts afresh.
//!
//! Memory: one entry per person who is turned or speaks of a brand often.

pub mod config;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::records::{
    AlertKind, AlertRecord, DisengagementFigures, DisengagementTrigger, ALERT_SCHEMA,
};
use crate::record::trajectory::{mean, split};
use crate::record::{stable_id, InfluencerRecord};
use config::DisengageConfig;

#[derive(Debug, Default)]
struct Person {
    author: Option<String>,
    /// The turned-negative alert was raised for the present turn.
    turned: bool,
    /// Brands spoken of often, by name.
    brands: HashMap<String, Brand>,
}

#[derive(Debug)]
struct Brand {
    mentions: u64,
    last: DateTime<Utc>,
    /// Gone quiet was raised since `last`.
    raised: bool,
}

/// What the detector knows of each person.
#[derive(Debug)]
pub struct Disengagement {
    cfg: DisengageConfig,
    people: HashMap<String, Person>,
}

impl Disengagement {
    pub fn new(cfg: DisengageConfig) -> Disengagement {
        Disengagement {
            cfg,
            people: HashMap::new(),
        }
    }

    /// Takes in a person's record; returns the turned-negative alert if
    /// this record shows the turn. A record without a history (an
    /// `earshot.influencer/1` producer) changes nothing.
    pub fn observe(&mut self, rec: &InfluencerRecord, now: DateTime<Utc>) -> Option<AlertRecord> {
        let t = rec.trajectory.as_ref()?;
        let cfg = &self.cfg;
        let mut person = self.people.remove(&rec.id).unwrap_or_default();
        person.author = rec.name.clone().or_else(|| rec.handle.clone());
        if cfg.quiet_after.is_some() {
            let mut counts: HashMap<&str, (u64, DateTime<Utc>)> = HashMap::new();
            for p in &t.points {
                let e = counts.entry(p.brand.as_str()).or_insert((0, p.at));
                e.0 += 1;
                e.1 = e.1.max(p.at);
            }
            let old = std::mem::take(&mut person.brands);
            for (brand, (mentions, last)) in counts {
                if mentions < cfg.quiet_min_mentions as u64 {
                    continue;
                }
                let raised = old.get(brand).is_some_and(|b| b.raised && b.last == last);
                let b = Brand {
                    mentions,
                    last,
                    raised,
                };
                person.brands.insert(brand.to_string(), b);
            }
        }
        let mut alert = None;
        let (earlier, recent) = split(&t.points, cfg.recent);
        if cfg.turned_negative && recent.len() == cfg.recent && earlier.len() >= cfg.min_earlier {
            let (e, r) = (mean(earlier).unwrap_or(0.0), mean(recent).unwrap_or(0.0));
            if person.turned && r >= cfg.positive_at_least {
                person.turned = false;
            } else if !person.turned && e >= cfg.positive_at_least && r <= cfg.negative_at_most {
                person.turned = true;
                alert = Some(turned(rec, &person, recent, e, r, now));
            }
        }
        if person.turned || !person.brands.is_empty() {
            self.people.insert(rec.id.clone(), person);
        }
        alert
    }

    /// Takes in an alert raised before (read back at a restart), so that it
    /// is not raised again.
    pub fn raised(&mut self, a: &AlertRecord) {
        let Some(f) = &a.disengagement else {
            return;
        };
        let Some(person) = self.people.get_mut(&f.influencer_id) else {
            return;
        };
        match f.trigger {
            DisengagementTrigger::TurnedNegative => person.turned = true,
            DisengagementTrigger::GoneQuiet => {
                if let Some(b) = person.brands.get_mut(&a.brand) {
                    b.raised |= b.last == f.last_mention;
                }
            }
        }
    }

    /// Forgets that `a` was raised, when storing it failed: the records
    /// that raised it come again and must raise it again.
    pub fn retract(&mut self, a: &AlertRecord) {
        let Some(f) = &a.disengagement else {
            return;
        };
        if let Some(person) = self.people.get_mut(&f.influencer_id) {
            match f.trigger {
                DisengagementTrigger::TurnedNegative => person.turned = false,
                DisengagementTrigger::GoneQuiet => {
                    if let Some(b) = person.brands.get_mut(&a.brand) {
                        b.raised = false;
                    }
                }
            }
        }
    }

    /// The gone-quiet alerts due at `now`.
    pub fn check(&mut self, now: DateTime<Utc>) -> Vec<AlertRecord> {
        let Some(after) = self
            .cfg
            .quiet_after
            .and_then(|d| chrono::Duration::from_std(d).ok())
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (id, person) in &mut self.people {
            for (brand, b) in &mut person.brands {
                if b.raised || now - b.last < after {
                    continue;
                }
                b.raised = true;
                out.push(quiet(id, person.author.as_deref(), brand, b, now));
            }
        }
        // The map's order is arbitrary; the alerts' need not be.
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}

fn who(id: &str, author: Option<&str>) -> String {
    author.map_or_else(|| format!("Author {id}"), str::to_string)
}

fn turned(
    rec: &InfluencerRecord,
    person: &Person,
    recent: &[crate::record::Point],
    earlier_mean: f64,
    recent_mean: f64,
    now: DateTime<Utc>,
) -> AlertRecord {
    let first = &recent[0];
    let last = &recent[recent.len() - 1];
    let mut platforms: Vec<&str> = recent.iter().map(|p| p.platform.as_str()).collect();
    platforms.dedup();
    let reason = format!(
        "{} turned negative: the latest {} mentions (on {}) average {recent_mean:+.2}, against {earlier_mean:+.2} before. Latest about {}.",
        who(&rec.id, person.author.as_deref()),
        recent.len(),
        platforms.join(", "),
        last.brand,
    );
    AlertRecord {
        schema: ALERT_SCHEMA.into(),
        id: stable_id(
            "al",
            &["disengagement", "negative", &rec.id, &first.feedback_id],
        ),
        kind: AlertKind::Disengagement,
        at: now,
        brand: last.brand.clone(),
        reason,
        feedback_id: Some(last.feedback_id.clone()),
        queue: None,
        rule: None,
        feedback: None,
        spike: None,
        disengagement: Some(DisengagementFigures {
            trigger: DisengagementTrigger::TurnedNegative,
            influencer_id: rec.id.clone(),
            author: person.author.clone(),
            mentions: recent.len() as u64,
            earlier_mean: Some(earlier_mean),
            recent_mean: Some(recent_mean),
            last_mention: last.at,
        }),
        level: 1,
    }
}

fn quiet(
    id: &str,
    author: Option<&str>,
    brand: &str,
    b: &Brand,
    now: DateTime<Utc>,
) -> AlertRecord {
    let silent = (now - b.last).to_std().unwrap_or_default();
    let days = silent.as_secs() / 86_400;
    let since = if days > 0 {
        format!("{days} days")
    } else {
        humantime::format_duration(std::time::Duration::from_secs(silent.as_secs() / 60 * 60))
            .to_string()
    };
    AlertRecord {
        schema: ALERT_SCHEMA.into(),
        id: stable_id(
            "al",
            &[
                "disengagement",
                "quiet",
                id,
                &brand.to_lowercase(),
                &b.last.to_rfc3339(),
            ],
        ),
        kind: AlertKind::Disengagement,
        at: now,
        brand: brand.to_string(),
        reason: format!(
            "{} went quiet about {brand}: {} of their latest mentions were of it, the last {} ago ({}).",
            who(id, author),
            b.mentions,
            since,
            b.last.format("%Y-%m-%d %H:%M UTC"),
        ),
        feedback_id: None,
        queue: None,
        rule: None,
        feedback: None,
        spike: None,
        disengagement: Some(DisengagementFigures {
            trigger: DisengagementTrigger::GoneQuiet,
            influencer_id: id.to_string(),
            author: author.map(str::to_string),
            mentions: b.mentions,
            earlier_mean: None,
            recent_mean: None,
            last_mention: b.last,
        }),
        level: 1,
    }
}

#[cfg(test)]
mod tests;
