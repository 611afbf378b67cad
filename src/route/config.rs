//! The `[route]` section of a pipeline file: the queues feedback can go to,
//! the rules that pick one, and the settings of spike alerts (those of
//! disengagement alerts are [`super::disengage::config`]'s).
//!
//! The raw structs below are the file as written (the `///` line on each key
//! is its user documentation); [`build`] checks them all and reports every
//! problem at once, each under the key it concerns, with the same reader and
//! messages as every other section (`${VAR}` is expanded in the whole file
//! before any section is read). Names a user writes to
//! match records (brands, products, languages, platforms) are compared
//! without regard to case, so they are lowercased here once. What a rule
//! means for a record is [`super::rules`]; this module only checks and
//! compiles. Kafka connection settings are not here: they belong to the sink.

use std::collections::HashMap;
use std::time::Duration;

use serde::de::{DeserializeOwned, IntoDeserializer};
use serde::Deserialize;

use crate::classify::intent::Intent;
use crate::model::SentimentLabel;
use crate::record::Priority;

/// `[route]`: where `earshot route` reads feedback and what it does with it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// Topic of the feedback records to route (default "earshot.feedback").
    pub feedback_topic: Option<String>,
    /// Topic where the CRM reports feedback as acknowledged, resolved or reopened (default "earshot.status").
    pub status_topic: Option<String>,
    /// Topic of alerts: immediate escalations, missed deadlines and spikes (default "earshot.alerts").
    pub alerts_topic: Option<String>,
    /// Compacted topic keeping the deadline state across restarts (default "earshot.route.deadlines").
    pub changelog_topic: Option<String>,
    /// Kafka consumer group shared by the routing instances (default "earshot-route"); with `[notify]`, the notifiers share the group "<group>-notify"; the loop that reads the influencer topic for disengagement alerts uses "<group>-people".
    pub group: Option<String>,
    /// Compacted topic recording each notification a channel accepted (alert id and channel), so a restart sends nothing twice (default "earshot.notified").
    pub notified_topic: Option<String>,
    /// Address of `/healthz` and `/metrics` of `earshot route`, e.g. "0.0.0.0:9188" (`--listen` overrides it).
    pub listen: Option<String>,
    /// Queue of feedback no rule matches; must name one of `queues`.
    pub default_queue: Option<String>,
    /// The queues feedback is routed to.
    #[serde(default)]
    pub queues: Vec<toml::Value>,
    /// Routing rules, tried in order: the first whose conditions all hold picks the queue.
    #[serde(default)]
    pub rules: Vec<toml::Value>,
    /// Volume and negative-share spike alerts per brand.
    pub spike: Option<toml::Value>,
    /// Alerts when a person turns negative or goes quiet.
    pub disengagement: Option<toml::Value>,
}

/// `[[route.queues]]`: one queue of a CRM, as a Kafka topic.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawQueue {
    /// Name used by rules and shown in routed records and alerts.
    pub name: String,
    /// Topic the queue's records go to (default "earshot.queue.<name>").
    pub topic: Option<String>,
    /// Time to acknowledge before the feedback is escalated (e.g. "4h"); no deadline when left out.
    pub deadline: Option<String>,
    /// Time after the deadline alert (level 1, to the queue's owner) before a second one, level 2, goes to senior management unless the feedback was acknowledged (e.g. "4h"); no second level when left out. Needs `deadline`.
    pub escalate_after: Option<String>,
}

/// `[[route.rules]]`: conditions a record must all meet, and where it then goes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// Name of the rule, shown in routed records and alerts.
    pub name: String,
    /// Queue of the records this rule matches.
    pub queue: String,
    /// Brands, any of which matches (case-insensitive).
    pub brand: Option<Vec<String>>,
    /// Products, any of which matches one of the record's products (case-insensitive).
    pub product: Option<Vec<String>>,
    /// Intents, any of which matches one of the record's intents (complaint, question, praise, feature_request, churn_risk, purchase_intent).
    pub intent: Option<Vec<String>>,
    /// Sentiment labels, any of which matches (positive, neutral, negative).
    pub sentiment: Option<Vec<String>>,
    /// Highest sentiment score matched, in [-1, 1] (e.g. -0.5 for strongly negative).
    pub max_score: Option<f64>,
    /// Lowest sentiment score matched, in [-1, 1].
    pub min_score: Option<f64>,
    /// Lowest priority matched: low, normal, high or urgent.
    pub priority: Option<String>,
    /// Languages, any of which matches; "en" also matches "en-GB" (case-insensitive).
    pub lang: Option<Vec<String>>,
    /// Platforms the mention was heard on, e.g. "mastodon", "reddit", "feed" (case-insensitive).
    pub platform: Option<Vec<String>>,
    /// Ids of the pipeline sources the mention came from.
    pub source: Option<Vec<String>>,
    /// Smallest author audience matched; a record without a known audience does not match.
    pub min_followers: Option<u64>,
    /// Raise an alert as soon as a record matches, besides routing it.
    pub escalate: Option<bool>,
}

/// `[route.spike]`: alerts when a brand is mentioned far more than usual.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpike {
    /// Length of the window counted (default "1h").
    pub window: Option<String>,
    /// Previous windows the current one is compared with (default 12).
    pub baseline_windows: Option<usize>,
    /// Alert when a window has more than this many times the baseline mean of mentions (default 3.0).
    pub factor: Option<f64>,
    /// Fewest mentions in a window for any spike alert (default 10).
    pub min_mentions: Option<u64>,
    /// Alert when the share of negative mentions exceeds this many times the baseline share; off when left out.
    pub negative_share_factor: Option<f64>,
}

pub const DEFAULT_FEEDBACK: &str = "earshot.feedback";
pub const DEFAULT_STATUS: &str = "earshot.status";
pub const DEFAULT_ALERTS: &str = "earshot.alerts";
pub const DEFAULT_CHANGELOG: &str = "earshot.route.deadlines";
pub const DEFAULT_GROUP: &str = "earshot-route";
pub const DEFAULT_NOTIFIED: &str = "earshot.notified";

/// The checked `[route]` section.
#[derive(Debug, Clone, PartialEq)]
pub struct RouteConfig {
    pub feedback_topic: String,
    pub status_topic: String,
    pub alerts_topic: String,
    pub changelog_topic: String,
    pub group: String,
    /// Where accepted notifications are recorded.
    pub notified_topic: String,
    /// Where `/healthz` and `/metrics` are served, if anywhere.
    pub listen: Option<String>,
    pub default_queue: String,
    pub queues: Vec<Queue>,
    pub rules: Vec<Rule>,
    pub spike: SpikeConfig,
    pub disengagement: super::disengage::config::DisengageConfig,
}

impl RouteConfig {
    pub fn queue(&self, name: &str) -> Option<&Queue> {
        self.queues.iter().find(|q| q.name == name)
    }

    /// The deadline of a queue; none for a queue without one or unknown.
    pub fn deadline_of(&self, queue: &str) -> Option<Duration> {
        self.queue(queue).and_then(|q| q.deadline)
    }

    /// How long after its deadline alert unacknowledged feedback of a
    /// queue escalates to level 2; none without a second level.
    pub fn escalate_after_of(&self, queue: &str) -> Option<Duration> {
        self.queue(queue).and_then(|q| q.escalate_after)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Queue {
    pub name: String,
    pub topic: String,
    pub deadline: Option<Duration>,
    pub escalate_after: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub queue: String,
    pub when: Conditions,
    pub escalate: bool,
}

/// What a rule requires; `None` places no condition. Brand, product, lang
/// and platform names are lowercased.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conditions {
    pub brand: Option<Vec<String>>,
    pub product: Option<Vec<String>>,
    pub intent: Option<Vec<Intent>>,
    pub sentiment: Option<Vec<SentimentLabel>>,
    pub min_score: Option<f64>,
    pub max_score: Option<f64>,
    pub priority: Option<Priority>,
    pub lang: Option<Vec<String>>,
    pub platform: Option<Vec<String>>,
    pub source: Option<Vec<String>>,
    pub min_followers: Option<u64>,
}

impl Conditions {
    pub fn is_empty(&self) -> bool {
        *self == Conditions::default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SpikeConfig {
    pub window: Duration,
    pub baseline_windows: usize,
    pub factor: f64,
    pub min_mentions: u64,
    pub negative_share_factor: Option<f64>,
}

impl Default for SpikeConfig {
    fn default() -> Self {
        SpikeConfig {
            window: Duration::from_secs(3600),
            baseline_windows: 12,
            factor: 3.0,
            min_mentions: 10,
            negative_share_factor: None,
        }
    }
}

/// A problem in the section: the key, as `route.rules[2].queue`, and what is wrong.
pub type KeyError = (String, String);

/// Checks the value of the `[route]` table and compiles it, adding every
/// problem found to the file's `errors` (as every section's `build` does).
pub fn build(raw: toml::Value, errors: &mut crate::config::check::Errors) -> Option<RouteConfig> {
    match validate(raw) {
        Ok(route) => Some(route),
        Err(found) => {
            for (key, message) in found {
                errors.err(key, message);
            }
            None
        }
    }
}

/// Checks the value of the `[route]` table (not the whole file) and compiles
/// it, or returns every problem found.
pub fn validate(raw: toml::Value) -> Result<RouteConfig, Vec<KeyError>> {
    let mut c = Checker::default();
    let Some(raw) = c.section::<RawRoute>("route", raw) else {
        return Err(c.errors);
    };
    let feedback_topic = c.topic_or("feedback_topic", raw.feedback_topic, DEFAULT_FEEDBACK);
    let status_topic = c.topic_or("status_topic", raw.status_topic, DEFAULT_STATUS);
    let alerts_topic = c.topic_or("alerts_topic", raw.alerts_topic, DEFAULT_ALERTS);
    let changelog_topic = c.topic_or("changelog_topic", raw.changelog_topic, DEFAULT_CHANGELOG);
    let notified_topic = c.topic_or("notified_topic", raw.notified_topic, DEFAULT_NOTIFIED);
    let group = raw.group.unwrap_or_else(|| DEFAULT_GROUP.into());
    if group.trim().is_empty() {
        c.err("route.group", "must not be empty");
    }
    let own = [
        &feedback_topic,
        &status_topic,
        &alerts_topic,
        &changelog_topic,
        &notified_topic,
    ];
    let queues = c.queues(raw.queues, &own);
    let default_queue = match raw.default_queue {
        Some(q) if queues.iter().any(|x| x.name == q) => q,
        Some(q) => {
            let msg = format!("no queue named `{q}` ({})", names(&queues));
            c.err("route.default_queue", msg);
            q
        }
        None => {
            c.err(
                "route.default_queue",
                "missing: name the queue of feedback no rule matches",
            );
            String::new()
        }
    };
    let rules = c.rules(raw.rules, &queues);
    let spike = raw.spike.map(|v| c.spike(v)).unwrap_or_default();
    let disengagement = raw
        .disengagement
        .map(|v| super::disengage::config::check(v, &mut c.errors))
        .unwrap_or_default();
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    Ok(RouteConfig {
        feedback_topic,
        status_topic,
        alerts_topic,
        changelog_topic,
        group,
        notified_topic,
        listen: raw.listen,
        default_queue,
        queues,
        rules,
        spike,
        disengagement,
    })
}

fn names(queues: &[Queue]) -> String {
    let all: Vec<&str> = queues.iter().map(|q| q.name.as_str()).collect();
    if all.is_empty() {
        "no queue is defined".into()
    } else {
        format!("queues: {}", all.join(", "))
    }
}

#[derive(Default)]
struct Checker {
    errors: Vec<KeyError>,
}

impl Checker {
    fn err(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.errors.push((key.into(), message.into()));
    }

    /// The same reader as every section of the file: all bad keys at once,
    /// each under its path, in the user's terms.
    fn section<T: DeserializeOwned>(&mut self, key: &str, value: toml::Value) -> Option<T> {
        let mut errors = Vec::new();
        let t = crate::config::check::section(key, value, &mut errors);
        self.errors
            .extend(errors.into_iter().map(|e| (e.key, e.message)));
        t
    }

    fn topic_or(&mut self, key: &str, topic: Option<String>, default: &str) -> String {
        let topic = topic.unwrap_or_else(|| default.to_string());
        self.topic(&format!("route.{key}"), &topic, "");
        topic
    }

    /// Kafka accepts topic names of up to 249 letters, digits, '.', '_' and '-'.
    fn topic(&mut self, key: &str, topic: &str, hint: &str) {
        let legal = |ch: char| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-');
        let dots = topic.chars().all(|ch| ch == '.');
        if topic.is_empty() || topic.len() > 249 || !topic.chars().all(legal) || dots {
            self.err(
                key,
                format!("`{topic}` is not a Kafka topic name (1 to 249 letters, digits, '.', '_' or '-'){hint}"),
            );
        }
    }

    fn duration(&mut self, key: &str, text: &str) -> Option<Duration> {
        match crate::config::check::parse_duration(text) {
            Ok(d) if d.is_zero() => {
                self.err(key, "must be longer than zero");
                None
            }
            Ok(d) => Some(d),
            Err(message) => {
                self.err(key, message);
                None
            }
        }
    }

    fn queues(&mut self, raw: Vec<toml::Value>, own_topics: &[&String]) -> Vec<Queue> {
        if raw.is_empty() {
            self.err("route.queues", "at least one queue is needed");
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        for (i, v) in raw.into_iter().enumerate() {
            let key = format!("route.queues[{i}]");
            let Some(q) = self.section::<RawQueue>(&key, v) else {
                continue;
            };
            if q.name.trim().is_empty() {
                self.err(format!("{key}.name"), "must not be empty");
            } else if let Some(first) = seen.insert(q.name.clone(), i) {
                self.err(
                    format!("{key}.name"),
                    format!("duplicate queue name `{}` (also queues[{first}])", q.name),
                );
            }
            let topic = match q.topic {
                Some(t) => {
                    self.topic(&format!("{key}.topic"), &t, "");
                    t
                }
                None => {
                    let t = format!("earshot.queue.{}", q.name);
                    self.topic(&format!("{key}.name"), &t, "; set `topic` for this queue");
                    t
                }
            };
            if own_topics.contains(&&topic) {
                self.err(
                    format!("{key}.topic"),
                    format!("`{topic}` is a topic route itself reads or writes"),
                );
            }
            let has_deadline = q.deadline.is_some();
            let deadline = q
                .deadline
                .and_then(|d| self.duration(&format!("{key}.deadline"), &d));
            let escalate_after = q
                .escalate_after
                .and_then(|d| self.duration(&format!("{key}.escalate_after"), &d));
            if escalate_after.is_some() && !has_deadline {
                self.err(
                    format!("{key}.escalate_after"),
                    "needs a `deadline`: the second level counts from the first",
                );
            }
            out.push(Queue {
                name: q.name,
                topic,
                deadline,
                escalate_after,
            });
        }
        out
    }

    fn rules(&mut self, raw: Vec<toml::Value>, queues: &[Queue]) -> Vec<Rule> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut catch_all: Option<(usize, String)> = None;
        let mut out = Vec::new();
        for (i, v) in raw.into_iter().enumerate() {
            let key = format!("route.rules[{i}]");
            let Some(r) = self.section::<RawRule>(&key, v) else {
                continue;
            };
            if r.name.trim().is_empty() {
                self.err(format!("{key}.name"), "must not be empty");
            } else if let Some(first) = seen.insert(r.name.clone(), i) {
                self.err(
                    format!("{key}.name"),
                    format!("duplicate rule name `{}` (also rules[{first}])", r.name),
                );
            }
            if !queues.iter().any(|q| q.name == r.queue) {
                self.err(
                    format!("{key}.queue"),
                    format!("no queue named `{}` ({})", r.queue, names(queues)),
                );
            }
            if let Some((j, name)) = &catch_all {
                let msg = format!(
                    "never reached: rules[{j}] (`{name}`) has no conditions and matches everything"
                );
                self.err(key.clone(), msg);
            }
            let rule = Rule {
                name: r.name.clone(),
                queue: r.queue.clone(),
                escalate: r.escalate.unwrap_or(false),
                when: self.conditions(&key, r),
            };
            if rule.when.is_empty() && catch_all.is_none() {
                catch_all = Some((i, rule.name.clone()));
            }
            out.push(rule);
        }
        out
    }

    fn conditions(&mut self, key: &str, r: RawRule) -> Conditions {
        let lower = |v: Vec<String>| v.into_iter().map(|s| s.trim().to_lowercase()).collect();
        let exact = |v: Vec<String>| v.into_iter().map(|s| s.trim().to_string()).collect();
        let mut c = Conditions {
            brand: self.list(key, "brand", r.brand).map(lower),
            product: self.list(key, "product", r.product).map(lower),
            lang: self.list(key, "lang", r.lang).map(lower),
            platform: self.list(key, "platform", r.platform).map(lower),
            source: self.list(key, "source", r.source).map(exact),
            min_followers: r.min_followers,
            ..Conditions::default()
        };
        let intents = Intent::ALL.map(|i| i.as_str()).join(", ");
        c.intent = self
            .list(key, "intent", r.intent)
            .map(|v| self.names(key, "intent", v, &intents));
        c.sentiment = self
            .list(key, "sentiment", r.sentiment)
            .map(|v| self.names(key, "sentiment", v, "positive, neutral, negative"));
        if let Some(p) = r.priority {
            c.priority = self
                .names(key, "priority", vec![p], "low, normal, high, urgent")
                .pop();
        }
        for (name, score) in [("min_score", r.min_score), ("max_score", r.max_score)] {
            if let Some(s) = score.filter(|s| !(-1.0..=1.0).contains(s)) {
                self.err(format!("{key}.{name}"), format!("{s} is outside [-1, 1]"));
            }
        }
        if let (Some(lo), Some(hi)) = (r.min_score, r.max_score) {
            if lo > hi {
                self.err(
                    format!("{key}.min_score"),
                    format!("min_score {lo} is above max_score {hi}: nothing would match"),
                );
            }
        }
        c.min_score = r.min_score;
        c.max_score = r.max_score;
        c
    }

    fn list(&mut self, key: &str, name: &str, v: Option<Vec<String>>) -> Option<Vec<String>> {
        let v = v?;
        if v.is_empty() {
            self.err(
                format!("{key}.{name}"),
                "must not be empty (leave the key out to match any)",
            );
        } else if v.iter().any(|s| s.trim().is_empty()) {
            self.err(format!("{key}.{name}"), "must not contain an empty name");
        }
        Some(v)
    }

    /// Parses names of a closed set (intents, labels, priorities) through
    /// their serde names, so records and rules spell them the same way.
    fn names<T: DeserializeOwned>(
        &mut self,
        key: &str,
        name: &str,
        v: Vec<String>,
        valid: &str,
    ) -> Vec<T> {
        let mut out = Vec::new();
        for s in v {
            let norm = s.trim().to_lowercase().replace([' ', '-'], "_");
            let de: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
                norm.as_str().into_deserializer();
            match T::deserialize(de) {
                Ok(t) => out.push(t),
                Err(_) => self.err(
                    format!("{key}.{name}"),
                    format!("unknown {name} `{s}` (one of: {valid})"),
                ),
            }
        }
        out
    }

    fn spike(&mut self, v: toml::Value) -> SpikeConfig {
        let mut s = SpikeConfig::default();
        let Some(raw) = self.section::<RawSpike>("route.spike", v) else {
            return s;
        };
        if let Some(w) = raw
            .window
            .and_then(|w| self.duration("route.spike.window", &w))
        {
            if w < Duration::from_secs(1) {
                self.err("route.spike.window", "must be at least one second");
            }
            s.window = w;
        }
        if let Some(n) = raw.baseline_windows {
            if n == 0 {
                self.err("route.spike.baseline_windows", "must be at least 1");
            }
            s.baseline_windows = n;
        }
        for (name, f) in [
            ("factor", raw.factor),
            ("negative_share_factor", raw.negative_share_factor),
        ] {
            if let Some(f) = f.filter(|f| !(f.is_finite() && *f >= 1.0)) {
                self.err(
                    format!("route.spike.{name}"),
                    format!("{f} would alert on ordinary volume; use 1 or more"),
                );
            }
        }
        s.factor = raw.factor.unwrap_or(s.factor);
        s.negative_share_factor = raw.negative_share_factor;
        if let Some(m) = raw.min_mentions {
            if m == 0 {
                self.err("route.spike.min_mentions", "must be at least 1");
            }
            s.min_mentions = m;
        }
        s
    }
}

#[cfg(test)]
#[path = "tests/config.rs"]
mod tests;
