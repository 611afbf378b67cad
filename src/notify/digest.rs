//! The digest: a queue's low-priority alerts of an hour or a day in one
//! message. Pure rendering, for Slack, the generic webhook and email.
//!
//! A digest says how many alerts came, how many of each kind and about
//! each brand, and shows the first few (the most pressing first: higher
//! escalation level, then higher feedback priority, then the newest), each
//! with a link to the post when the alert carries its feedback. The generic
//! webhook gets every alert in full besides.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::message::kind_name;
use super::throttle::Message;
use crate::route::records::AlertRecord;

/// Alerts shown one by one in a digest; the rest are counted.
pub const TOP: usize = 5;

/// The figures of a digest.
#[derive(Debug, PartialEq)]
pub struct Summary<'a> {
    /// The queue as shown: "in queue support", or "without a queue" for
    /// spikes.
    pub queue: String,
    pub count: usize,
    /// Alerts per kind, in the order immediate, deadline, spike,
    /// disengagement.
    pub by_kind: Vec<(&'static str, usize)>,
    /// Alerts per brand, the most first (then by name).
    pub by_brand: Vec<(String, usize)>,
    /// The alerts shown, most pressing first.
    pub top: Vec<&'a AlertRecord>,
}

impl Summary<'_> {
    /// "12 alerts in queue support: 8 deadline, 4 spike".
    pub fn title(&self) -> String {
        let kinds: Vec<String> = self
            .by_kind
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        format!(
            "Digest: {} {}: {}",
            alerts(self.count),
            self.queue,
            kinds.join(", ")
        )
    }

    /// "Acme 9, Globex 3".
    pub fn brands(&self) -> String {
        let b: Vec<String> = self
            .by_brand
            .iter()
            .map(|(b, n)| format!("{b} {n}"))
            .collect();
        b.join(", ")
    }

    /// How many alerts the top list leaves out.
    pub fn more(&self) -> usize {
        self.count - self.top.len()
    }
}

fn alerts(n: usize) -> String {
    if n == 1 {
        "1 alert".into()
    } else {
        format!("{n} alerts")
    }
}

/// Sums up a digest message.
pub fn summarise(msg: &Message) -> Summary<'_> {
    let queue = match msg.digest.as_ref().and_then(|d| d.queue.as_deref()) {
        Some(q) => format!("in queue {q}"),
        None => "without a queue".into(),
    };
    let mut by_kind = Vec::new();
    for kind in ["immediate", "deadline", "spike", "disengagement"] {
        let n = msg.alerts.iter().filter(|a| kind_name(a) == kind).count();
        if n > 0 {
            by_kind.push((kind, n));
        }
    }
    let mut brands: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &msg.alerts {
        *brands.entry(a.brand.as_str()).or_default() += 1;
    }
    let mut by_brand: Vec<(String, usize)> = brands
        .into_iter()
        .map(|(b, n)| (b.to_string(), n))
        .collect();
    by_brand.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut top: Vec<&AlertRecord> = msg.alerts.iter().collect();
    top.sort_by(|a, b| {
        let rank = |x: &AlertRecord| (x.level, x.feedback.as_ref().map(|f| f.priority), x.at);
        rank(b).cmp(&rank(a))
    });
    top.truncate(TOP);
    Summary {
        queue,
        count: msg.alerts.len(),
        by_kind,
        by_brand,
        top,
    }
}

/// The post an alert is about, when it carries its feedback.
pub fn link(a: &AlertRecord) -> Option<&str> {
    a.feedback.as_ref().and_then(|f| f.url.as_deref())
}

/// Text as Slack's mrkdwn wants it: `&`, `<` and `>` escaped.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack incoming-webhook body for a digest.
pub fn slack(msg: &Message) -> Value {
    let s = summarise(msg);
    let mut lines = vec![
        format!("*{}*", slack_escape(&s.title())),
        format!("Brands: {}", slack_escape(&s.brands())),
    ];
    for a in &s.top {
        let reason = slack_escape(&a.reason);
        let kind = kind_name(a);
        lines.push(match link(a) {
            Some(url) => format!("• [{kind}] <{}|{reason}>", slack_escape(url)),
            None => format!("• [{kind}] {reason}"),
        });
    }
    if s.more() > 0 {
        lines.push(format!("_and {} more in this digest_", s.more()));
    }
    json!({
        "text": s.title(),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": lines.join("\n")}}],
    })
}

/// The `digest` object of a generic webhook body.
pub fn webhook(msg: &Message) -> Value {
    let s = summarise(msg);
    let by_kind: serde_json::Map<String, Value> = s
        .by_kind
        .iter()
        .map(|(k, n)| (k.to_string(), json!(n)))
        .collect();
    let by_brand: serde_json::Map<String, Value> = s
        .by_brand
        .iter()
        .map(|(b, n)| (b.clone(), json!(n)))
        .collect();
    json!({
        "queue": msg.digest.as_ref().and_then(|d| d.queue.clone()),
        "count": s.count,
        "by_kind": by_kind,
        "by_brand": by_brand,
        "top": s.top.iter().map(|a| a.id.clone()).collect::<Vec<_>>(),
    })
}

/// The email's subject.
pub fn subject(msg: &Message) -> String {
    format!("[earshot] {}", summarise(msg).title())
}

/// The email's plain-text part.
pub fn plain(msg: &Message) -> String {
    let s = summarise(msg);
    let mut out = format!("{}\nBrands: {}\n\n", s.title(), s.brands());
    for a in &s.top {
        out.push_str(&format!("[{}] {}\n", kind_name(a), a.reason));
        if let Some(url) = link(a) {
            out.push_str(&format!("Link: {url}\n"));
        }
        out.push_str(&format!("At: {}\n\n", a.at.to_rfc3339()));
    }
    if s.more() > 0 {
        out.push_str(&format!("And {} more in this digest.\n", s.more()));
    }
    out
}

/// The email's HTML part, escaped by maud.
pub fn html(msg: &Message) -> String {
    let s = summarise(msg);
    maud::html! {
        h2 { (s.title()) }
        p { "Brands: " (s.brands()) }
        ul {
            @for a in &s.top {
                li {
                    strong { (kind_name(a)) } " "
                    @if let Some(url) = link(a) { a href=(url) { (a.reason) } } @else { (a.reason) }
                    br; small { (a.at.to_rfc3339()) }
                }
            }
        }
        @if s.more() > 0 { p { "And " (s.more()) " more in this digest." } }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::throttle::tests::alert;
    use crate::notify::throttle::DigestOf;
    use crate::route::records::AlertKind;

    fn digest(alerts: Vec<AlertRecord>) -> Message {
        Message {
            channel: 0,
            brand: String::new(),
            alerts,
            digest: Some(DigestOf {
                queue: Some("support".into()),
            }),
        }
    }

    #[test]
    fn a_digest_counts_by_kind_and_brand_and_shows_the_most_pressing_first() {
        let mut alerts: Vec<AlertRecord> = (0..7)
            .map(|i| {
                let mut a = alert(&format!("al_{i}"), "Acme", AlertKind::Deadline);
                a.at += chrono::TimeDelta::minutes(i);
                a
            })
            .collect();
        alerts.push(alert("al_g1", "Globex", AlertKind::Spike));
        let mut fb = crate::route::records::tests::feedback();
        fb.priority = crate::record::Priority::High;
        fb.url = Some("https://example.com/post?a=1&b=<2>".into());
        alerts[0].feedback = Some(fb);
        let msg = digest(alerts);
        let s = summarise(&msg);
        assert_eq!(s.count, 8);
        assert_eq!(s.by_kind, [("deadline", 7), ("spike", 1)]);
        assert_eq!(
            s.by_brand,
            [("Acme".to_string(), 7), ("Globex".to_string(), 1)]
        );
        assert_eq!(
            s.title(),
            "Digest: 8 alerts in queue support: 7 deadline, 1 spike"
        );
        let top: Vec<&str> = s.top.iter().map(|a| a.id.as_str()).collect();
        // The high-priority one first, then the newest.
        assert_eq!(top, ["al_0", "al_6", "al_5", "al_4", "al_3"]);
        assert_eq!(s.more(), 3);

        let body = slack(&msg);
        let text = body["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(
            text.contains("<https://example.com/post?a=1&amp;b=&lt;2&gt;|Alert al_0.>"),
            "{text}"
        );
        assert!(text.contains("_and 3 more in this digest_"), "{text}");
        let hook = webhook(&msg);
        assert_eq!(hook["count"], 8);
        assert_eq!(hook["by_kind"]["deadline"], 7);
        assert_eq!(hook["by_brand"]["Globex"], 1);
        assert_eq!(hook["queue"], "support");
        let html = html(&msg);
        assert!(
            html.contains("href=\"https://example.com/post?a=1&amp;b=&lt;2&gt;\""),
            "{html}"
        );
        assert!(plain(&msg).contains("Link: https://example.com/post?a=1&b=<2>"));
    }
}
