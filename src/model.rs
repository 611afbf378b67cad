//! The data that flows through a pipeline, stage by stage.
//!
//! A source yields [`Item`]s (one post, entry or comment, already normalized to
//! plain text). The classifier turns an item into a [`Classification`]; the
//! record stage turns both into [`Record`]s, which a sink delivers. Nothing in
//! this module does I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The person or account behind an item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Author {
    /// The platform's stable account id where it has one (a Bluesky DID, a
    /// Mastodon account URI, a Reddit or Hacker News user name): handles and
    /// display names change, this does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Display name as the source gives it ("Rant112", "Jane Doe").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Platform handle where there is one (`user@instance`, `alice.bsky.social`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    /// Profile page or blog address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Audience size where the source reports one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub followers: Option<u64>,
    /// Other addresses the profile names (a blog, a website, another
    /// account): how one person's accounts on several platforms are joined.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    /// Who the author is, in a person's words: only feedback filed in the
    /// workspace has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Author {
    pub fn is_empty(&self) -> bool {
        self.id.is_none() && self.name.is_none() && self.handle.is_none() && self.url.is_none()
    }
}

/// One normalized unit of conversation: a feed entry, a blog post or a comment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Stable identity within its source: guid, else link, else a hash of
    /// title and content. Never a value the parser made up.
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Readable plain text (HTML already stripped).
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<Author>,
    /// Title of the feed or site the item came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_title: Option<String>,
    /// Hash of title and text: a known key with a new hash is an edit.
    pub content_hash: String,
    /// Platform the item was published on: `web` for feeds and blogs.
    pub platform: String,
    /// BCP-47-ish language code when the source declares one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// For a comment: the key of the post it comments on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Reactions the platform counts, when it reports them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub engagement: Option<Engagement>,
}

/// Reactions to a post as its platform counts them. Each platform fills
/// what it has: Mastodon favourites, boosts and replies; Bluesky likes,
/// reposts and replies; Hacker News points and comments; Reddit score and
/// comments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Engagement {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub likes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reposts: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replies: Option<u64>,
    /// Net votes (Hacker News points, Reddit score); may be negative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
}

impl Item {
    /// The time the item speaks for: published, else updated.
    pub fn time(&self) -> Option<DateTime<Utc>> {
        self.published.or(self.updated)
    }
}

/// Sentiment of a piece of text.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    /// In [-1, 1]; negative below -0.05, positive above 0.05.
    pub score: f64,
    pub label: SentimentLabel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SentimentLabel {
    Positive,
    Neutral,
    Negative,
}

impl SentimentLabel {
    /// The label as records and metrics spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            SentimentLabel::Positive => "positive",
            SentimentLabel::Neutral => "neutral",
            SentimentLabel::Negative => "negative",
        }
    }
}

impl Sentiment {
    /// The conventional VADER thresholds: |score| < 0.05 is neutral.
    pub fn from_score(score: f64) -> Self {
        let score = score.clamp(-1.0, 1.0);
        let label = if score >= 0.05 {
            SentimentLabel::Positive
        } else if score <= -0.05 {
            SentimentLabel::Negative
        } else {
            SentimentLabel::Neutral
        };
        Sentiment { score, label }
    }
}

/// One brand found in an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mention {
    pub brand: String,
    /// Products of the brand whose own query matched too.
    pub products: Vec<String>,
    /// The terms of the query that matched, as written in the text.
    pub terms: Vec<String>,
    /// Sentiment of the sentences around the mention.
    pub sentiment: Sentiment,
    /// The sentence(s) around the first mention.
    pub excerpt: String,
    /// What the author wants (complaint, question, churn risk, ...), with the
    /// cues that show it, read from the sentences around the mention.
    pub intents: Vec<crate::classify::intent::IntentHit>,
    /// The emotions the author expresses (anger, disgust, fear, joy,
    /// surprise, sadness), with their cues, read from the same sentences.
    #[serde(default)]
    pub emotions: Vec<crate::classify::emotion::EmotionHit>,
    /// Present when the brand occurs in the item more often than the
    /// classifier reads: sentiment, excerpt, intents and emotions then come from the
    /// first occurrences only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capped: Option<Capped>,
}

/// How many occurrences of a brand an item holds and how many were read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capped {
    /// Places in the text where the brand's queries matched.
    pub occurrences: usize,
    /// The first this many of them were read.
    pub considered: usize,
}

/// What the classifier concluded about one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub sentiment: Sentiment,
    /// Language: the one the source declared, else the one detected (by
    /// default only for an item that mentions a brand; see
    /// [`crate::classify::Detect`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// The emotions of the whole item (title and text), with their cues.
    #[serde(default)]
    pub emotions: Vec<crate::classify::emotion::EmotionHit>,
    pub mentions: Vec<Mention>,
}
