//! A person's mention sentiment over time, across all their accounts.
//!
//! Every feedback record of a person becomes one [`Point`] (when, the
//! mention's sentiment score, the brand, the platform); [`Trajectory::fold`]
//! adds it to the person's history, which state keeps per person id, so a
//! Mastodon account and the blog it links to share one history. A later
//! copy of the same post (the same feedback id with a new revision) replaces
//! its point instead of adding one. The history is bounded to the latest
//! [`MAX_POINTS`]; `count` still counts every mention folded in. The summary
//! figures are recomputed on every fold, so a reader needs only the record:
//!
//! - `recent_mean`: mean score of the latest [`RECENT_POINTS`] points;
//! - `earlier_mean`: mean score of the points before those (none while every
//!   point is recent);
//! - `trend`: `recent_mean - earlier_mean`, negative when the person has
//!   grown more critical (0 without earlier points).
//!
//! Pure: what to fold comes in, the new history goes out.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Points kept per person: enough for a chart and a comparison of recent
/// with earlier mentions, small enough to ride on every influencer record.
pub const MAX_POINTS: usize = 50;
/// Points that count as the person's recent mood.
pub const RECENT_POINTS: usize = 3;

/// One mention of a brand by the person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// When the mention was published (its observation, undated).
    #[serde(serialize_with = "super::time::serialize")]
    pub at: DateTime<Utc>,
    /// The mention's sentiment score, in [-1, 1].
    pub score: f64,
    pub brand: String,
    /// Where it was said: the account's platform.
    pub platform: String,
    /// The feedback record of the mention: what an updated copy replaces.
    pub feedback_id: String,
}

/// The history and its summary, as carried on the influencer record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trajectory {
    /// Mentions folded in, including those past the bound of `points`.
    pub count: u64,
    pub recent_mean: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_mean: Option<f64>,
    pub trend: f64,
    /// Oldest first, at most [`MAX_POINTS`].
    pub points: Vec<Point>,
}

impl Trajectory {
    /// The history with `p` folded in: its point replaced if the same
    /// feedback is already there, added (and counted) otherwise; the oldest
    /// points past [`MAX_POINTS`] dropped.
    pub fn fold(mut self, mut p: Point) -> Trajectory {
        p.score = if p.score.is_finite() {
            p.score.clamp(-1.0, 1.0)
        } else {
            0.0
        };
        match self
            .points
            .iter_mut()
            .find(|q| q.feedback_id == p.feedback_id)
        {
            Some(q) => *q = p,
            None => {
                self.points.push(p);
                self.count = self.count.saturating_add(1);
            }
        }
        // Sources deliver out of order (a backfill, a slow feed): keep the
        // points in time order, the feedback id breaking ties so that the
        // order does not depend on which came first.
        self.points
            .sort_by(|a, b| (a.at, a.feedback_id.as_str()).cmp(&(b.at, b.feedback_id.as_str())));
        let excess = self.points.len().saturating_sub(MAX_POINTS);
        self.points.drain(..excess);
        self.count = self.count.max(self.points.len() as u64);
        self.summarize();
        self
    }

    /// Folds every point of `other` in: how two polls' views of one person,
    /// committed in either order, become one.
    pub fn merge(self, other: &Trajectory) -> Trajectory {
        let mut t = other.points.iter().cloned().fold(self, Trajectory::fold);
        t.count = t.count.max(other.count);
        t
    }

    fn summarize(&mut self) {
        let (earlier, recent) = split(&self.points, RECENT_POINTS);
        self.recent_mean = mean(recent).unwrap_or(0.0);
        self.earlier_mean = mean(earlier);
        self.trend = self.earlier_mean.map_or(0.0, |e| self.recent_mean - e);
    }
}

/// The points before the latest `recent`, and those.
pub fn split(points: &[Point], recent: usize) -> (&[Point], &[Point]) {
    points.split_at(points.len().saturating_sub(recent))
}

/// Mean score of `points`; none without any.
pub fn mean(points: &[Point]) -> Option<f64> {
    (!points.is_empty()).then(|| points.iter().map(|p| p.score).sum::<f64>() / points.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn point(day: u32, score: f64, platform: &str, id: &str) -> Point {
        Point {
            at: format!("2026-03-{day:02}T12:00:00Z").parse().unwrap(),
            score,
            brand: "Acme".into(),
            platform: platform.into(),
            feedback_id: id.into(),
        }
    }

    #[test]
    fn an_updated_copy_of_a_post_replaces_its_point() {
        let t = Trajectory::default()
            .fold(point(1, 0.6, "mastodon", "fb_1"))
            .fold(point(2, 0.4, "mastodon", "fb_2"))
            .fold(point(1, -0.8, "mastodon", "fb_1"));
        assert_eq!(t.count, 2);
        assert_eq!(t.points.len(), 2);
        assert_eq!(t.points[0].score, -0.8);
        assert!((t.recent_mean - (-0.2)).abs() < 1e-9, "{}", t.recent_mean);
    }

    #[test]
    fn the_summary_compares_the_latest_points_with_the_earlier_ones() {
        let mut t = Trajectory::default();
        for (i, s) in [0.5, 0.7, 0.6, -0.4, -0.6, -0.5].into_iter().enumerate() {
            t = t.fold(point(i as u32 + 1, s, "web", &format!("fb_{i}")));
        }
        assert_eq!(t.count, 6);
        assert!((t.earlier_mean.unwrap() - 0.6).abs() < 1e-9);
        assert!((t.recent_mean - (-0.5)).abs() < 1e-9);
        assert!((t.trend - (-1.1)).abs() < 1e-9);
        // Delivered out of order, the history is the same.
        let mut shuffled = Trajectory::default();
        for p in t.points.iter().rev() {
            shuffled = shuffled.fold(p.clone());
        }
        assert_eq!(shuffled, t);
    }

    #[test]
    fn the_history_is_bounded_but_every_mention_is_counted() {
        let mut t = Trajectory::default();
        for i in 0..(MAX_POINTS + 7) {
            let mut p = point(1, 0.1, "web", &format!("fb_{i:03}"));
            p.at += chrono::Duration::minutes(i as i64);
            t = t.fold(p);
        }
        assert_eq!(t.points.len(), MAX_POINTS);
        assert_eq!(t.count, (MAX_POINTS + 7) as u64);
        assert_eq!(t.points[0].feedback_id, "fb_007", "the oldest went");
    }

    #[test]
    fn scores_from_elsewhere_are_clamped_and_merging_two_views_loses_neither() {
        let a = Trajectory::default().fold(point(1, 7.0, "web", "fb_a"));
        assert_eq!(a.points[0].score, 1.0);
        let b = a.clone().fold(point(2, f64::NAN, "web", "fb_b"));
        assert_eq!(b.points[1].score, 0.0);
        // b was decided after a and saw it; committed before a, then a.
        let merged = b.clone().merge(&a);
        assert_eq!(merged, b);
    }
}
