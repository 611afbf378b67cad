use super::*;
use crate::classify::intent::{Intent, IntentHit};
use crate::model::Sentiment;
use crate::record::Priority;
use crate::route::config::validate;
use crate::route::records::tests::feedback;

fn router(rules: &str) -> Router {
    let text = format!(
        r#"
[route]
default_queue = "community"
[[route.queues]]
name = "community"
[[route.queues]]
name = "support"
deadline = "4h"
[[route.queues]]
name = "retention"
topic = "crm.retention"
deadline = "1h"
{rules}
"#
    );
    let doc: toml::Table = toml::from_str(&text).unwrap();
    Router::new(&validate(doc["route"].clone()).unwrap())
}

/// A mild question from a small account, matching none of the usual rules.
fn quiet() -> FeedbackRecord {
    let mut fb = feedback();
    fb.intents = vec![IntentHit {
        intent: Intent::Question,
        cues: vec!["how do I".into()],
    }];
    fb.sentiment = Sentiment::from_score(0.0);
    fb.priority = Priority::Low;
    fb.author_followers = Some(40);
    fb.products = Vec::new();
    fb
}

#[test]
fn unmatched_feedback_goes_to_the_default_queue_without_a_rule() {
    let r = router(
        r#"
[[route.rules]]
name = "angry"
queue = "support"
sentiment = ["negative"]
"#,
    );
    let d = r.route(&quiet());
    assert_eq!(d.queue, "community");
    assert_eq!(d.topic, "earshot.queue.community");
    assert_eq!((d.rule, d.escalate, d.deadline), (None, false, None));
}

#[test]
fn the_first_matching_rule_wins_and_brings_its_queue_settings() {
    let r = router(
        r#"
[[route.rules]]
name = "vip"
queue = "retention"
min_followers = 10000
escalate = true
[[route.rules]]
name = "angry"
queue = "support"
sentiment = ["negative"]
"#,
    );
    let d = r.route(&feedback());
    assert_eq!(d.rule.as_deref(), Some("vip"));
    assert_eq!(d.topic, "crm.retention");
    assert!(d.escalate);
    assert_eq!(d.deadline, Some(Duration::from_secs(3600)));

    let mut small = feedback();
    small.author_followers = Some(500);
    let d = r.route(&small);
    assert_eq!(
        (d.rule.as_deref(), d.queue.as_str()),
        (Some("angry"), "support")
    );
    assert!(!d.escalate);
}

#[test]
fn every_condition_of_a_rule_must_hold() {
    let r = router(
        r#"
[[route.rules]]
name = "cloud-complaints"
queue = "support"
brand = ["acme"]
product = ["acme cloud", "Acme Mail"]
intent = ["complaint"]
max_score = -0.3
"#,
    );
    assert_eq!(
        r.route(&feedback()).rule.as_deref(),
        Some("cloud-complaints")
    );
    type Breaker = Box<dyn Fn(&mut FeedbackRecord)>;
    let breakers: Vec<(&str, Breaker)> = vec![
        ("brand", Box::new(|f| f.brand = "Globex".into())),
        (
            "product",
            Box::new(|f| f.products = vec!["Acme Phone".into()]),
        ),
        (
            "intent",
            Box::new(|f| f.intents.retain(|h| h.intent != Intent::Complaint)),
        ),
        (
            "score",
            Box::new(|f| f.sentiment = Sentiment::from_score(-0.1)),
        ),
    ];
    for (what, breaks) in breakers {
        let mut fb = feedback();
        breaks(&mut fb);
        assert_eq!(
            r.route(&fb).queue,
            "community",
            "{what} should fail the rule"
        );
    }
}

#[test]
fn names_match_without_regard_to_case_and_languages_by_primary_tag() {
    let r = router(
        r#"
[[route.rules]]
name = "british"
queue = "retention"
lang = ["en-GB"]
[[route.rules]]
name = "english-on-mastodon"
queue = "support"
brand = ["ACME"]
lang = ["en"]
platform = ["MASTODON"]
"#,
    );
    let mut fb = quiet();
    fb.brand = "acme".into();
    for (lang, rule) in [
        (Some("EN"), Some("english-on-mastodon")),
        (Some("en_US"), Some("english-on-mastodon")),
        (Some("en-gb"), Some("british")),
        (Some("eng"), None),
        (Some("de"), None),
        (None, None),
    ] {
        fb.lang = lang.map(str::to_string);
        assert_eq!(r.route(&fb).rule.as_deref(), rule, "lang {lang:?}");
    }
}

#[test]
fn priority_is_a_minimum_and_followers_must_be_known() {
    let r = router(
        r#"
[[route.rules]]
name = "big"
queue = "retention"
min_followers = 10000
[[route.rules]]
name = "pressing"
queue = "support"
priority = "high"
"#,
    );
    let mut fb = quiet();
    fb.author_followers = None;
    assert_eq!(r.route(&fb).rule, None, "unknown audience is not a big one");
    fb.author_followers = Some(10_000);
    assert_eq!(r.route(&fb).rule.as_deref(), Some("big"));
    fb.author_followers = Some(9_999);
    for (p, rule) in [
        (Priority::Normal, None),
        (Priority::High, Some("pressing")),
        (Priority::Urgent, Some("pressing")),
    ] {
        fb.priority = p;
        assert_eq!(r.route(&fb).rule.as_deref(), rule, "{p:?}");
    }
}

#[test]
fn sources_labels_and_score_bounds_are_inclusive_lists_and_ranges() {
    let r = router(
        r#"
[[route.rules]]
name = "from-forum"
queue = "support"
source = ["acme-forum", "masto-acme"]
sentiment = ["neutral", "positive"]
min_score = 0.0
max_score = 0.5
"#,
    );
    let mut fb = quiet();
    assert_eq!(r.route(&fb).rule.as_deref(), Some("from-forum"));
    fb.sentiment = Sentiment::from_score(0.5);
    assert_eq!(
        r.route(&fb).rule.as_deref(),
        Some("from-forum"),
        "bounds are inclusive"
    );
    fb.sentiment = Sentiment::from_score(0.51);
    assert_eq!(r.route(&fb).rule, None);
    fb.sentiment = Sentiment::from_score(0.2);
    fb.source.id = "Masto-Acme".into();
    assert_eq!(r.route(&fb).rule, None, "source ids are exact");
}
