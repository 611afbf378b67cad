//! Records: what earshot delivers downstream.
//!
//! A classified item becomes one [`FeedbackRecord`] per brand it mentions and
//! one [`InfluencerRecord`] for its author. Ids are deterministic hashes of
//! what identifies the thing, so a re-run, a retry or a second instance makes
//! the same ids and consumers can drop repeats. The JSON shapes are versioned
//! and published as JSON Schema in `schemas/`; changing a field means a new
//! schema version. Building records is pure: the driver passes in the
//! observation time and what state knows about the author.

pub mod identity;
mod priority;
pub mod time;
pub mod trajectory;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::classify::emotion::EmotionHit;
use crate::classify::intent::IntentHit;
use crate::model::{Author, Classification, Item, Sentiment};
pub use identity::{Account, Person};
pub use priority::{priority, Priority};
pub use trajectory::{Point, Trajectory};

/// The feedback schema this version writes.
pub const FEEDBACK_SCHEMA: &str = "earshot.feedback/2";
/// The earlier feedback schema, without `emotions`. Readers (`route`,
/// `serve`) take records by their fields, not by this name, so records of
/// an older producer still flow, and pass on unchanged.
pub const FEEDBACK_SCHEMA_V1: &str = "earshot.feedback/1";
/// The influencer schema this version writes.
pub const INFLUENCER_SCHEMA: &str = "earshot.influencer/2";
/// The earlier influencer schema, without `trajectory`; read as it came.
pub const INFLUENCER_SCHEMA_V1: &str = "earshot.influencer/1";

/// Whether a feedback record is the first for its item or follows an edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    Created,
    Updated,
}

/// Workflow status; earshot always emits `open`, CRM consumers move it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Open,
    Acknowledged,
    Resolved,
}

/// Where an item was heard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceRef {
    pub pipeline: String,
    pub id: String,
    pub platform: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// One mention worth acting on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackRecord {
    pub schema: String,
    pub id: String,
    pub event: Event,
    /// Content hash of the item this record was made from.
    pub revision: String,
    pub brand: String,
    pub products: Vec<String>,
    pub terms: Vec<String>,
    /// Intents read around the mention, each with the cues that show it.
    pub intents: Vec<IntentHit>,
    /// Emotions read around the mention, each with the cues that show it;
    /// `None` only in a record of `earshot.feedback/1`, which had none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emotions: Option<Vec<EmotionHit>>,
    /// Sentiment of the sentences around the mention.
    pub sentiment: Sentiment,
    /// Sentiment of the whole item.
    pub item_sentiment: Sentiment,
    pub excerpt: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub source: SourceRef,
    pub item_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "time::serialize_option"
    )]
    pub published: Option<DateTime<Utc>>,
    #[serde(serialize_with = "time::serialize")]
    pub observed: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub influencer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The author's audience when the source reports one: what routing
    /// rules and escalation weigh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_followers: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement: Option<crate::model::Engagement>,
    pub status: Status,
    pub priority: Priority,
    pub priority_reason: String,
}

/// Audience figures, where the source gives them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reach {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub followers: Option<u64>,
}

/// The author of a mention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfluencerRecord {
    pub schema: String,
    pub id: String,
    pub platform: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_url: Option<String>,
    pub reach: Reach,
    #[serde(serialize_with = "time::serialize")]
    pub first_seen: DateTime<Utc>,
    #[serde(serialize_with = "time::serialize")]
    pub last_seen: DateTime<Utc>,
    /// Who the author is, in a person's words (feedback filed in the
    /// workspace); sources never set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Every account of the same person, joined by the links their
    /// profiles name; absent while only one is known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<Account>,
    /// The person's mention sentiment over time, across their accounts;
    /// `None` only in a record of `earshot.influencer/1`, which had none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trajectory: Option<Trajectory>,
}

/// Anything a sink delivers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Record {
    Feedback(FeedbackRecord),
    Influencer(InfluencerRecord),
}

impl Record {
    /// The record's id, used as the Kafka message key.
    pub fn id(&self) -> &str {
        match self {
            Record::Feedback(r) => &r.id,
            Record::Influencer(r) => &r.id,
        }
    }

    /// Unique per version of a record (the CloudEvents `id`).
    pub fn event_id(&self) -> String {
        match self {
            Record::Feedback(r) => format!("{}:{}", r.id, r.revision),
            Record::Influencer(r) => format!("{}:{}", r.id, r.last_seen.timestamp_millis()),
        }
    }

    /// When what the record tells happened: the post's publication (its
    /// observation, undated), or the author's last sighting.
    pub fn time(&self) -> DateTime<Utc> {
        match self {
            Record::Feedback(r) => r.published.unwrap_or(r.observed),
            Record::Influencer(r) => r.last_seen,
        }
    }

    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Feedback(_) => RecordKind::Feedback,
            Record::Influencer(_) => RecordKind::Influencer,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Feedback,
    Influencer,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Feedback => "feedback",
            RecordKind::Influencer => "influencer",
        }
    }
}

/// What the driver knows that the item does not.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub pipeline: &'a str,
    pub source_id: &'a str,
    pub observed: DateTime<Utc>,
    /// The item was delivered before with other content.
    pub update: bool,
    /// When state first saw this author, if ever.
    pub influencer_first_seen: Option<DateTime<Utc>>,
    /// The person the author is one account of, when state joined it to
    /// others; records then carry the person's id.
    pub person: Option<Person>,
    /// The author's own account ([`identity::account`]), when the caller
    /// has it already; else `build` reads it from the item.
    pub account: Option<Account>,
    /// The person's history so far (under the influencer id the records
    /// carry), which this item's mentions are folded into.
    pub trajectory: Option<Trajectory>,
}

/// A short, stable id: `prefix` plus 128 bits of a hash of `parts`.
pub fn stable_id(prefix: &str, parts: &[&str]) -> String {
    let mut h = blake3::Hasher::new();
    for p in parts {
        // The separator keeps ("ab", "c") and ("a", "bc") apart.
        h.update(p.as_bytes());
        h.update(&[0x1f]);
    }
    let hex = h.finalize().to_hex();
    format!("{prefix}_{}", &hex[..32])
}

/// The influencer id of an item's author, if the item has one: platform plus
/// the most stable identity the source gives (the platform's account id;
/// on the web, the name on the site it speaks for, so that a blogger's feed
/// entries, byline, comments and guest posts linking back are one id
/// whichever is seen first; else the profile URL, the handle, or the name
/// on the site it wrote on).
pub fn influencer_id(item: &Item) -> Option<String> {
    influencer_id_named(item, identity::name_on_site(item).as_deref())
}

/// [`influencer_id`], given the author's [`identity::name_on_site`].
pub(crate) fn influencer_id_named(item: &Item, named: Option<&str>) -> Option<String> {
    let author = item.author.as_ref().filter(|a| !a.is_empty())?;
    let identity = if let Some(id) = &author.id {
        id.trim().to_string()
    } else if let Some(named) = named {
        named.to_string()
    } else if let Some(url) = &author.url {
        canonical_url(url)
    } else if let Some(handle) = &author.handle {
        handle.trim_start_matches('@').to_lowercase()
    } else {
        let name = author.name.as_deref()?.trim().to_lowercase();
        let site = item.url.as_deref().and_then(site_root).unwrap_or_default();
        format!("{name}@{site}")
    };
    Some(stable_id("inf", &[&item.platform, &identity]))
}

/// What an item's feedback ids are made from: its address, which every
/// source that carries the post shares, else its key within the source.
pub fn item_identity(item: &Item, source_id: &str) -> String {
    item.url
        .clone()
        .unwrap_or_else(|| format!("{source_id}\u{1f}{}", item.key))
}

/// The id of the influencer record [`build`] makes: the person's once state
/// joined several accounts, else the author's own account's.
pub fn record_influencer_id(own: Option<&Account>, person: Option<&Person>) -> Option<String> {
    match person.filter(|p| p.accounts.len() > 1) {
        Some(p) => Some(p.id.clone()),
        None => own.map(|a| a.id.clone()),
    }
}

/// Builds the records of one classified item; none if it mentions no brand.
/// `ctx` is taken whole so that the person's history is folded in place,
/// not copied: it is the largest part of an influencer record.
pub fn build(item: &Item, class: &Classification, ctx: Context<'_>) -> Vec<Record> {
    if class.mentions.is_empty() {
        return Vec::new();
    }
    let own = ctx.account.or_else(|| identity::account(item));
    let person = ctx.person.as_ref().filter(|p| p.accounts.len() > 1);
    let influencer = record_influencer_id(own.as_ref(), ctx.person.as_ref());
    let followers = item.author.as_ref().and_then(|a| a.followers);
    let identity = item_identity(item, ctx.source_id);
    let mut out: Vec<Record> = class
        .mentions
        .iter()
        .map(|m| {
            let (priority, priority_reason) = priority(&m.sentiment, &m.intents, followers);
            Record::Feedback(FeedbackRecord {
                schema: FEEDBACK_SCHEMA.into(),
                id: stable_id("fb", &[&identity, &m.brand.to_lowercase()]),
                event: if ctx.update {
                    Event::Updated
                } else {
                    Event::Created
                },
                revision: item.content_hash.clone(),
                brand: m.brand.clone(),
                products: m.products.clone(),
                terms: m.terms.clone(),
                intents: m.intents.clone(),
                emotions: Some(m.emotions.clone()),
                sentiment: m.sentiment,
                item_sentiment: class.sentiment,
                excerpt: m.excerpt.clone(),
                title: item.title.clone(),
                url: item.url.clone(),
                source: SourceRef {
                    pipeline: ctx.pipeline.into(),
                    id: ctx.source_id.into(),
                    platform: item.platform.clone(),
                    title: item.source_title.clone(),
                },
                item_key: item.key.clone(),
                lang: item.lang.clone().or_else(|| class.lang.clone()),
                published: item.published.or(item.updated),
                observed: ctx.observed,
                influencer_id: influencer.clone(),
                author: item.author.as_ref().and_then(display_name),
                author_followers: followers,
                engagement: item.engagement,
                status: Status::Open,
                priority,
                priority_reason,
            })
        })
        .collect();
    if let (Some(id), Some(author)) = (influencer, &item.author) {
        let mut rec = InfluencerRecord {
            schema: INFLUENCER_SCHEMA.into(),
            id,
            platform: item.platform.clone(),
            handle: author.handle.clone(),
            name: author.name.clone(),
            profile_url: own.and_then(|a| a.profile_url),
            reach: Reach {
                followers: author.followers,
            },
            description: author.description.clone(),
            first_seen: ctx
                .influencer_first_seen
                .unwrap_or(ctx.observed)
                .min(ctx.observed),
            last_seen: ctx.observed,
            accounts: Vec::new(),
            trajectory: Some(fold_mentions(ctx.trajectory.unwrap_or_default(), &out)),
        };
        if let Some(p) = person {
            // A compacted topic keeps the last record per id: each one
            // describes the whole person, led by its first account.
            let first = &p.accounts[0];
            rec.platform = first.platform.clone();
            rec.handle = first.handle.clone();
            rec.name = first.name.clone();
            rec.profile_url = first.profile_url.clone();
            let known: Vec<u64> = p.accounts.iter().filter_map(|a| a.followers).collect();
            rec.reach.followers = (!known.is_empty()).then(|| known.iter().sum());
            rec.accounts = p.accounts.clone();
        }
        out.push(Record::Influencer(rec));
    }
    out
}

/// Folds the point of each feedback record in `recs` into `t`.
fn fold_mentions(t: Trajectory, recs: &[Record]) -> Trajectory {
    recs.iter()
        .filter_map(|r| match r {
            Record::Feedback(f) => Some(Point {
                // Publication, capped at the observation: a post dated in
                // the future must not sit at the end of the history for ever.
                at: f.published.unwrap_or(f.observed).min(f.observed),
                score: f.sentiment.score,
                brand: f.brand.clone(),
                platform: f.source.platform.clone(),
                feedback_id: f.id.clone(),
            }),
            Record::Influencer(_) => None,
        })
        .fold(t, Trajectory::fold)
}

fn display_name(a: &Author) -> Option<String> {
    a.name.clone().or_else(|| a.handle.clone())
}

pub(crate) fn canonical_url(url: &str) -> String {
    match url::Url::parse(url.trim()) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("").trim_start_matches("www.");
            format!("{host}{}", u.path().trim_end_matches('/')).to_lowercase()
        }
        Err(_) => url.trim().to_lowercase(),
    }
}

pub(crate) fn site_root(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?;
    Some(format!("{}://{host}/", u.scheme()))
}

#[cfg(test)]
mod tests;
