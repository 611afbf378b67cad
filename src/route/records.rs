//! What `earshot route` writes and reads besides feedback: routed records
//! (the feedback plus where it went), status events (what the CRM reports
//! back) and alerts. Shapes only, with their constructors and the parser of
//! status events; published as JSON Schema in `schemas/routed.v1.json`,
//! `schemas/status.v1.json` and `schemas/alert.v1.json`. Deciding, timing
//! and producing are elsewhere.

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::deadline::Entry;
use super::rules::Decision;
use crate::record::{stable_id, FeedbackRecord};

pub const ALERT_SCHEMA: &str = "earshot.alert/1";

/// A feedback record as delivered to a queue's topic; key: the feedback id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutedRecord {
    #[serde(flatten)]
    pub feedback: FeedbackRecord,
    pub routing: Routing,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Routing {
    pub queue: String,
    /// The rule that chose the queue; none for the default queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub routed_at: DateTime<Utc>,
    /// When the record is escalated unless acknowledged first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
    /// Whether the rule escalated the record at once.
    pub escalated: bool,
}

impl RoutedRecord {
    pub fn new(feedback: FeedbackRecord, d: &Decision, routed_at: DateTime<Utc>) -> RoutedRecord {
        RoutedRecord {
            feedback,
            routing: Routing {
                queue: d.queue.clone(),
                rule: d.rule.clone(),
                routed_at,
                deadline: d.deadline.and_then(|dl| add(routed_at, dl)),
                escalated: d.escalate,
            },
        }
    }

    /// The Kafka message key.
    pub fn key(&self) -> &str {
        &self.feedback.id
    }
}

/// `at + d`, or none past the end of time.
pub(crate) fn add(at: DateTime<Utc>, d: std::time::Duration) -> Option<DateTime<Utc>> {
    at.checked_add_signed(TimeDelta::from_std(d).ok()?)
}

/// What a CRM reports about routed feedback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusEvent {
    pub feedback_id: String,
    pub status: StatusKind,
    /// When it happened in the CRM: orders events, restarts reopened clocks.
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusKind {
    Acknowledged,
    Resolved,
    Reopened,
}

/// A status message that cannot be used, naming the field at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("status event: {field}: {message}")]
pub struct StatusError {
    pub field: &'static str,
    pub message: String,
}

impl StatusEvent {
    /// Reads one status message. Fields other than the documented ones are
    /// ignored, since CRMs like to add their own; the status name is read
    /// without regard to case and `at` may carry any UTC offset.
    pub fn parse(bytes: &[u8]) -> Result<StatusEvent, StatusError> {
        let bad = |field, message: String| StatusError { field, message };
        let v: Value = serde_json::from_slice(bytes)
            .map_err(|e| bad("(message)", format!("not JSON: {e}")))?;
        let obj = v
            .as_object()
            .ok_or_else(|| bad("(message)", "not a JSON object".into()))?;
        let text = |field: &'static str, required: bool| -> Result<Option<String>, StatusError> {
            match obj.get(field) {
                None | Some(Value::Null) if required => Err(bad(field, "missing".into())),
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) if required && s.trim().is_empty() => {
                    Err(bad(field, "empty".into()))
                }
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(bad(field, format!("expected a string, got {other}"))),
            }
        };
        let feedback_id = text("feedback_id", true)?.unwrap_or_default();
        let status = match text("status", true)?
            .unwrap_or_default()
            .trim()
            .to_lowercase()
            .as_str()
        {
            "acknowledged" => StatusKind::Acknowledged,
            "resolved" => StatusKind::Resolved,
            "reopened" => StatusKind::Reopened,
            other => {
                let msg = format!("`{other}` is not one of acknowledged, resolved, reopened");
                return Err(bad("status", msg));
            }
        };
        let at_text = text("at", true)?.unwrap_or_default();
        let at = DateTime::parse_from_rfc3339(at_text.trim())
            .map_err(|e| bad("at", format!("`{at_text}` is not an RFC 3339 time: {e}")))?
            .with_timezone(&Utc);
        Ok(StatusEvent {
            feedback_id: feedback_id.trim().to_string(),
            status,
            at,
            by: text("by", false)?,
            note: text("note", false)?,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertKind {
    /// A rule with `escalate = true` matched.
    Immediate,
    /// Feedback was not acknowledged by its queue's deadline.
    Deadline,
    /// A brand's mentions, or their negative share, jumped.
    Spike,
    /// A person who was positive turned negative, or one who spoke of a
    /// brand often went quiet.
    Disengagement,
}

/// Something a person should look at now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRecord {
    pub schema: String,
    /// The same alert always gets the same id, so repeats can be dropped.
    pub id: String,
    pub kind: AlertKind,
    pub at: DateTime<Utc>,
    pub brand: String,
    /// What happened, in a sentence.
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<FeedbackRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spike: Option<SpikeFigures>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disengagement: Option<DisengagementFigures>,
    /// Escalation level: 1 for every alert but a deadline alert sent on to
    /// senior management, which is 2 (its feedback was still not
    /// acknowledged at the queue's second deadline). Absent means 1, as in
    /// alerts written before levels existed.
    #[serde(default = "level_one", skip_serializing_if = "is_level_one")]
    pub level: u8,
}

/// What a disengagement alert saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisengagementTrigger {
    /// Recent mentions negative after positive earlier ones.
    TurnedNegative,
    /// No mention of the brand for the configured time.
    GoneQuiet,
}

/// The person and the numbers behind a disengagement alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisengagementFigures {
    pub trigger: DisengagementTrigger,
    /// The person (influencer record id), across all their accounts.
    pub influencer_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Mentions judged: the recent ones (turned negative) or those of the
    /// brand among the person's latest (gone quiet).
    pub mentions: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earlier_mean: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recent_mean: Option<f64>,
    /// The person's latest mention (of the brand, when gone quiet).
    pub last_mention: DateTime<Utc>,
}

fn level_one() -> u8 {
    1
}

fn is_level_one(n: &u8) -> bool {
    *n == 1
}

/// Which figure of a window jumped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpikeTrigger {
    Volume,
    NegativeShare,
}

/// The numbers behind a spike alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpikeFigures {
    pub trigger: SpikeTrigger,
    pub window_start: DateTime<Utc>,
    pub window_end: DateTime<Utc>,
    /// Mentions in the window so far.
    pub mentions: u64,
    /// Mean and standard deviation of mentions per window over the baseline.
    pub baseline_mean: f64,
    pub baseline_stddev: f64,
    pub negative_share: f64,
    /// Share of negative mentions over the baseline; none without mentions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_negative_share: Option<f64>,
}

impl AlertRecord {
    /// The alert of a record whose rule escalates at once.
    pub fn immediate(r: &RoutedRecord, at: DateTime<Utc>) -> AlertRecord {
        let fb = &r.feedback;
        let rule = r.routing.rule.as_deref().unwrap_or("(default)");
        AlertRecord {
            schema: ALERT_SCHEMA.into(),
            id: stable_id("al", &["immediate", &fb.id]),
            kind: AlertKind::Immediate,
            at,
            brand: fb.brand.clone(),
            reason: format!(
                "{} feedback about {} matched rule `{rule}`, which escalates at once, and went to queue `{}`. Priority: {}.",
                capitalized(priority_name(fb)),
                fb.brand,
                r.routing.queue,
                fb.priority_reason,
            ),
            feedback_id: Some(fb.id.clone()),
            queue: Some(r.routing.queue.clone()),
            rule: r.routing.rule.clone(),
            feedback: Some(fb.clone()),
            spike: None,
            disengagement: None,
            level: 1,
        }
    }

    /// The alert of an entry that fell due unacknowledged, as returned by
    /// [`super::deadline::Deadlines::due_with`]: level 1 at the deadline,
    /// level 2 at the second deadline. The id includes the due time, and
    /// the level past 1: feedback reopened and missed again is a new alert,
    /// a replay is not, and the alert to management is not the owner's.
    pub fn deadline(e: &Entry, at: DateTime<Utc>) -> AlertRecord {
        let due = e.due.unwrap_or(at);
        // An open entry with a status after routing was reopened: its clock
        // ran from then.
        let (from, since) = match e.status_at.filter(|s| *s > e.routed_at) {
            Some(s) => (s, "reopening"),
            None => (e.routed_at, "routing"),
        };
        let what = match &e.feedback {
            Some(fb) => format!(
                "{} feedback {} about {}",
                capitalized(priority_name(fb)),
                e.feedback_id,
                e.brand
            ),
            None => format!("Feedback {} about {}", e.feedback_id, e.brand),
        };
        let level = e.level.max(1);
        let (id, reason) = if level >= 2 {
            let second = e.second_due.unwrap_or(at);
            let id = stable_id("al", &["deadline", &e.feedback_id, &due.to_rfc3339(), "2"]);
            let reason = format!(
                "{what} was still not acknowledged in queue `{}` by its second deadline {} ({} after the first); escalated to level 2.",
                e.queue,
                second.format("%Y-%m-%d %H:%M UTC"),
                span(due, second),
            );
            (id, reason)
        } else {
            let id = stable_id("al", &["deadline", &e.feedback_id, &due.to_rfc3339()]);
            let reason = format!(
                "{what} was not acknowledged in queue `{}` by its deadline {} ({} after {since}).",
                e.queue,
                due.format("%Y-%m-%d %H:%M UTC"),
                span(from, due),
            );
            (id, reason)
        };
        AlertRecord {
            schema: ALERT_SCHEMA.into(),
            id,
            kind: AlertKind::Deadline,
            at,
            brand: e.brand.clone(),
            reason,
            feedback_id: Some(e.feedback_id.clone()),
            queue: Some(e.queue.clone()),
            rule: e.rule.clone(),
            feedback: e.feedback.clone(),
            spike: None,
            disengagement: None,
            level,
        }
    }
}

/// `to - from` in whole seconds, as humantime writes it ("4h").
fn span(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let d = (to - from).to_std().unwrap_or_default();
    humantime::format_duration(std::time::Duration::from_secs(d.as_secs())).to_string()
}

fn priority_name(fb: &FeedbackRecord) -> &'static str {
    match fb.priority {
        crate::record::Priority::Low => "low-priority",
        crate::record::Priority::Normal => "normal-priority",
        crate::record::Priority::High => "high-priority",
        crate::record::Priority::Urgent => "urgent",
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
#[path = "tests/records.rs"]
pub(crate) mod tests;
