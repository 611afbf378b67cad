//! What the workspace knows, as a stream of events: the routed records,
//! influencers and alerts that routing produced, and what people did.
//!
//! The view ([`super::view`]) is a fold of these events, so the same view is
//! built whether they come from the embedded log (one process) or, with
//! Kafka, from the queue, influencer, alert and status topics. Status
//! changes are [`StatusEvent`]s, the shape `earshot route` consumes; notes,
//! assignments and contacts with the author are [`Activity`], which routing
//! has no use for. Shapes only: no I/O.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::record::InfluencerRecord;
use crate::route::deadline::Entry;
use crate::route::records::{AlertRecord, RoutedRecord, StatusEvent};

/// One fact of the workspace. Adjacently tagged (`{"event", "data"}`) so
/// that the records inside keep their own shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", content = "data", rename_all = "snake_case")]
pub enum Event {
    Routed(RoutedRecord),
    Influencer(InfluencerRecord),
    Alert(AlertRecord),
    Status(StatusEvent),
    Activity(Activity),
    /// Routing's deadline state, kept so that a restart resumes the clocks
    /// (the embedded counterpart of route's changelog topic).
    Deadline(Entry),
    /// A closed deadline entry past retention.
    Forgotten(String),
    /// A notification channel accepted an alert: not sent again after a restart.
    Notified {
        alert_id: String,
        channel: String,
    },
}

/// Something a person did with a feedback that is not a status change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub feedback_id: String,
    pub at: DateTime<Utc>,
    /// The user who did it.
    pub by: String,
    #[serde(flatten)]
    pub what: ActivityKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActivityKind {
    /// Filed in the workspace or through the public form: what kind it is.
    Filed {
        category: String,
    },
    Note {
        text: String,
    },
    /// Given to a person; `to: None` gives it back to the queue.
    Assigned {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
    /// A contact with the author: how, and what was said.
    Contact {
        channel: String,
        summary: String,
        /// Started by the company unasked, not a reply to the author: these
        /// count against the cap of `[serve.contact]`.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        proactive: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_through_json() {
        let e = Event::Activity(Activity {
            feedback_id: "fb_1".into(),
            at: "2026-11-30T10:00:00Z".parse().unwrap(),
            by: "pat".into(),
            what: ActivityKind::Contact {
                channel: "blog comment".into(),
                summary: "Offered a replacement.".into(),
                proactive: true,
            },
        });
        let text = serde_json::to_string(&e).unwrap();
        assert!(text.contains(r#""event":"activity""#), "{text}");
        assert!(text.contains(r#""kind":"contact""#), "{text}");
        assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), e);
    }
}
