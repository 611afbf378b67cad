//! A brand's figures for its page: mentions per hour (and their negative
//! share), and which products and intents come up most. Hourly buckets are
//! the finest a page shows; days are summed from them.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::Serialize;

use crate::model::SentimentLabel;
use crate::record::FeedbackRecord;

/// Mentions in one period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Bucket {
    pub mentions: u32,
    pub negative: u32,
}

impl Bucket {
    pub fn negative_share(&self) -> f64 {
        if self.mentions == 0 {
            0.0
        } else {
            f64::from(self.negative) / f64::from(self.mentions)
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrandStats {
    hours: BTreeMap<DateTime<Utc>, Bucket>,
    products: HashMap<String, u32>,
    intents: HashMap<&'static str, u32>,
}

impl BrandStats {
    pub fn observe(&mut self, fb: &FeedbackRecord) {
        let at = fb.published.unwrap_or(fb.observed).min(fb.observed);
        let hour = at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at);
        let b = self.hours.entry(hour).or_default();
        b.mentions = b.mentions.saturating_add(1);
        if fb.sentiment.label == SentimentLabel::Negative {
            b.negative = b.negative.saturating_add(1);
        }
        for p in &fb.products {
            *self.products.entry(p.clone()).or_default() += 1;
        }
        for i in &fb.intents {
            *self.intents.entry(i.intent.as_str()).or_default() += 1;
        }
    }

    /// Buckets of `step` (an hour or a day) from `from` up to `to`, with the
    /// empty ones, so that a chart's x axis is time and not just events.
    pub fn series(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: TimeDelta,
    ) -> Vec<(DateTime<Utc>, Bucket)> {
        let start = from.duration_trunc(step).unwrap_or(from);
        let mut out = Vec::new();
        let mut t = start;
        // Bounded: a page asks for at most a few hundred periods.
        while t <= to && out.len() < 1000 {
            let next = t + step;
            let mut sum = Bucket::default();
            for (_, b) in self.hours.range(t..next) {
                sum.mentions += b.mentions;
                sum.negative += b.negative;
            }
            out.push((t, sum));
            t = next;
        }
        out
    }

    /// The first and last hours with mentions.
    pub fn span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        Some((*self.hours.keys().next()?, *self.hours.keys().next_back()?))
    }

    pub fn total(&self) -> Bucket {
        self.hours.values().fold(Bucket::default(), |a, b| Bucket {
            mentions: a.mentions + b.mentions,
            negative: a.negative + b.negative,
        })
    }

    /// The `n` products mentioned most, most first (ties by name).
    pub fn top_products(&self, n: usize) -> Vec<(&str, u32)> {
        top(self.products.iter().map(|(k, v)| (k.as_str(), *v)), n)
    }

    pub fn top_intents(&self, n: usize) -> Vec<(&str, u32)> {
        top(self.intents.iter().map(|(k, v)| (*k, *v)), n)
    }
}

fn top<'a>(it: impl Iterator<Item = (&'a str, u32)>, n: usize) -> Vec<(&'a str, u32)> {
    let mut v: Vec<_> = it.collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.truncate(n);
    v
}
