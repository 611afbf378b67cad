//! Which queue a feedback record goes to: the routing rules applied.
//!
//! Rules are tried in the order of the pipeline file and the first whose
//! conditions all hold wins; a record no rule takes goes to the default
//! queue. Within one condition any listed value will do. This module decides
//! and nothing more: producing the routed record, escalating and tracking the
//! deadline are the caller's, with the [`Decision`] as the instructions.

use std::collections::HashMap;
use std::time::Duration;

use super::config::{Conditions, Queue, RouteConfig, Rule};
use crate::record::FeedbackRecord;

/// Where one record goes and what else to do with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub queue: String,
    pub topic: String,
    /// The rule that matched; `None` for the default queue.
    pub rule: Option<String>,
    /// Raise an immediate alert besides routing. The queue's deadline still
    /// runs: an escalated record nobody acknowledges escalates again when it
    /// falls due, as a deadline alert.
    pub escalate: bool,
    /// Time the queue gives to acknowledge the record.
    pub deadline: Option<Duration>,
}

/// The compiled rules of one `[route]` section.
#[derive(Debug, Clone)]
pub struct Router {
    rules: Vec<Rule>,
    queues: HashMap<String, Queue>,
    default_queue: String,
}

impl Router {
    /// `cfg` is a validated section, so every rule names a known queue.
    pub fn new(cfg: &RouteConfig) -> Router {
        Router {
            rules: cfg.rules.clone(),
            queues: cfg
                .queues
                .iter()
                .map(|q| (q.name.clone(), q.clone()))
                .collect(),
            default_queue: cfg.default_queue.clone(),
        }
    }

    pub fn route(&self, fb: &FeedbackRecord) -> Decision {
        let hit = self.rules.iter().find(|r| r.when.matches(fb));
        let queue = hit.map_or(&self.default_queue, |r| &r.queue);
        let (topic, deadline) = match self.queues.get(queue) {
            Some(q) => (q.topic.clone(), q.deadline),
            // Only a hand-built config gets here; keep the documented default.
            None => (format!("earshot.queue.{queue}"), None),
        };
        Decision {
            queue: queue.clone(),
            topic,
            rule: hit.map(|r| r.name.clone()),
            escalate: hit.is_some_and(|r| r.escalate),
            deadline,
        }
    }
}

impl Conditions {
    /// Whether every condition holds for `fb`.
    pub fn matches(&self, fb: &FeedbackRecord) -> bool {
        let fold = |s: &str| s.trim().to_lowercase();
        let any_of = |list: &Option<Vec<String>>, value: &str| {
            list.as_ref().is_none_or(|l| l.contains(&fold(value)))
        };
        any_of(&self.brand, &fb.brand)
            && self
                .product
                .as_ref()
                .is_none_or(|l| fb.products.iter().any(|p| l.contains(&fold(p))))
            && self
                .intent
                .as_ref()
                .is_none_or(|l| fb.intents.iter().any(|h| l.contains(&h.intent)))
            && self
                .sentiment
                .as_ref()
                .is_none_or(|l| l.contains(&fb.sentiment.label))
            && self.min_score.is_none_or(|m| fb.sentiment.score >= m)
            && self.max_score.is_none_or(|m| fb.sentiment.score <= m)
            && self.priority.is_none_or(|p| fb.priority >= p)
            && self
                .lang
                .as_ref()
                .is_none_or(|l| fb.lang.as_deref().is_some_and(|lang| lang_matches(l, lang)))
            && any_of(&self.platform, &fb.source.platform)
            && self
                .source
                .as_ref()
                .is_none_or(|l| l.contains(&fb.source.id))
            && self
                .min_followers
                .is_none_or(|m| fb.author_followers.is_some_and(|f| f >= m))
    }
}

/// "en" in a rule takes "en", "EN", "en-GB" and "en_US"; "en-gb" in a rule
/// takes only British English.
fn lang_matches(listed: &[String], lang: &str) -> bool {
    let lang = lang.trim().to_lowercase().replace('_', "-");
    let primary = lang.split('-').next().unwrap_or("");
    listed.iter().any(|l| {
        let l = l.replace('_', "-");
        l == lang || (!l.contains('-') && l == primary)
    })
}

#[cfg(test)]
#[path = "tests/rules.rs"]
mod tests;
