//! Priority of a feedback record, with the reason spelled out.
//!
//! A queue is read top down, so the rule is deliberately simple and visible
//! in every record: how negative the mention is, how many people its author
//! reaches, and whether the author is about to leave (churn risk), which
//! ranks a mention one step higher.

use serde::{Deserialize, Serialize};

use crate::classify::intent::{Intent, IntentHit};
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

pub fn priority(
    sentiment: &Sentiment,
    intents: &[IntentHit],
    followers: Option<u64>,
) -> (Priority, String) {
    let (p, reason) = by_sentiment(sentiment, followers);
    match intents.iter().find(|h| h.intent == Intent::ChurnRisk) {
        Some(h) if p < Priority::Urgent => (
            bump(p),
            format!("{reason}; churn risk (\"{}\")", h.cues.join("\", \"")),
        ),
        _ => (p, reason),
    }
}

fn bump(p: Priority) -> Priority {
    match p {
        Priority::Low => Priority::Normal,
        Priority::Normal => Priority::High,
        Priority::High | Priority::Urgent => Priority::Urgent,
    }
}

fn by_sentiment(sentiment: &Sentiment, followers: Option<u64>) -> (Priority, String) {
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

    fn churn(cue: &str) -> Vec<IntentHit> {
        vec![IntentHit {
            intent: Intent::ChurnRisk,
            cues: vec![cue.into()],
        }]
    }

    #[test]
    fn churn_risk_ranks_one_step_higher_and_says_why() {
        let s = Sentiment::from_score(-0.3);
        let (p, why) = priority(&s, &churn("cancelling my subscription"), None);
        assert_eq!(p, Priority::High);
        assert!(why.contains("cancelling my subscription"), "{why}");
        let strong = Sentiment::from_score(-0.8);
        assert_eq!(
            priority(&strong, &churn("done with"), Some(1)).0,
            Priority::Urgent
        );
    }

    #[test]
    fn an_angry_post_from_a_large_audience_is_urgent() {
        let s = Sentiment::from_score(-0.8);
        assert_eq!(priority(&s, &[], Some(50_000)).0, Priority::Urgent);
        assert_eq!(priority(&s, &[], Some(10)).0, Priority::High);
        assert_eq!(priority(&s, &[], None).0, Priority::High);
    }

    #[test]
    fn mild_or_positive_mentions_rank_lower() {
        assert_eq!(
            priority(&Sentiment::from_score(-0.2), &[], None).0,
            Priority::Normal
        );
        assert_eq!(
            priority(&Sentiment::from_score(-0.2), &[], Some(20_000)).0,
            Priority::High
        );
        let (p, why) = priority(&Sentiment::from_score(0.6), &[], Some(1_000_000));
        assert_eq!(p, Priority::Low);
        assert!(why.contains("not negative"));
    }
}
