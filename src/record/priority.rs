//! Priority of a feedback record, with the reason spelled out.
//!
//! A queue is read top down, so the rule is deliberately simple and visible
//! in every record: how negative the mention is, and how many people its
//! author reaches.

use serde::{Deserialize, Serialize};

use crate::model::Sentiment;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

/// Audience from which an author counts as large.
pub const LARGE_AUDIENCE: u64 = 10_000;
/// Score at or below which a mention counts as strongly negative.
pub const STRONG_NEGATIVE: f64 = -0.5;

pub fn priority(sentiment: &Sentiment, followers: Option<u64>) -> (Priority, String) {
    let large = followers.filter(|&f| f >= LARGE_AUDIENCE);
    let strong = sentiment.score <= STRONG_NEGATIVE;
    let negative = sentiment.score <= -0.05;
    let score = sentiment.score;
    match (strong, negative, large) {
        (true, _, Some(f)) => (
            Priority::Urgent,
            format!("strongly negative ({score:.2}) from an author with {f} followers"),
        ),
        (true, _, None) => (Priority::High, format!("strongly negative ({score:.2})")),
        (false, true, Some(f)) => (
            Priority::High,
            format!("negative ({score:.2}) from an author with {f} followers"),
        ),
        (false, true, None) => (Priority::Normal, format!("negative ({score:.2})")),
        (false, false, _) => (Priority::Low, format!("not negative ({score:.2})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_angry_post_from_a_large_audience_is_urgent() {
        let s = Sentiment::from_score(-0.8);
        assert_eq!(priority(&s, Some(50_000)).0, Priority::Urgent);
        assert_eq!(priority(&s, Some(10)).0, Priority::High);
        assert_eq!(priority(&s, None).0, Priority::High);
    }

    #[test]
    fn mild_or_positive_mentions_rank_lower() {
        assert_eq!(
            priority(&Sentiment::from_score(-0.2), None).0,
            Priority::Normal
        );
        assert_eq!(
            priority(&Sentiment::from_score(-0.2), Some(20_000)).0,
            Priority::High
        );
        let (p, why) = priority(&Sentiment::from_score(0.6), Some(1_000_000));
        assert_eq!(p, Priority::Low);
        assert!(why.contains("not negative"));
    }
}
