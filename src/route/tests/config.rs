use super::*;

fn check(text: &str) -> Result<RouteConfig, Vec<KeyError>> {
    let doc: toml::Table = toml::from_str(text).unwrap();
    validate(doc.get("route").cloned().expect("a [route] table"))
}

fn keys(errors: &[KeyError]) -> Vec<&str> {
    errors.iter().map(|(k, _)| k.as_str()).collect()
}

fn message<'a>(errors: &'a [KeyError], key: &str) -> &'a str {
    errors
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, m)| m.as_str())
        .unwrap_or_else(|| panic!("no error for {key}: {errors:?}"))
}

const MINIMAL: &str = r#"
[route]
default_queue = "inbox"
[[route.queues]]
name = "inbox"
"#;

#[test]
fn a_minimal_section_gets_the_documented_defaults() {
    let c = check(MINIMAL).unwrap();
    assert_eq!(c.feedback_topic, "earshot.feedback");
    assert_eq!(c.status_topic, "earshot.status");
    assert_eq!(c.alerts_topic, "earshot.alerts");
    assert_eq!(c.changelog_topic, "earshot.route.deadlines");
    assert_eq!(c.group, "earshot-route");
    assert_eq!(c.queues[0].topic, "earshot.queue.inbox");
    assert_eq!(c.queues[0].deadline, None);
    assert!(c.rules.is_empty());
    let s = &c.spike;
    assert_eq!(s.window, Duration::from_secs(3600));
    assert_eq!(
        (s.baseline_windows, s.factor, s.min_mentions),
        (12, 3.0, 10)
    );
    assert_eq!(s.negative_share_factor, None);
}

#[test]
fn the_example_pipeline_file_is_valid() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/route.toml");
    let c = check(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(c.rules.iter().any(|r| r.escalate));
    assert!(c.queues.iter().any(|q| q.deadline.is_some()));
    assert!(c.spike.negative_share_factor.is_some());
}

#[test]
fn rules_are_compiled_with_names_folded_and_closed_sets_parsed() {
    let c = check(
        r#"
[route]
default_queue = "inbox"
[[route.queues]]
name = "inbox"
[[route.queues]]
name = "retention"
topic = "crm.retention"
deadline = "90m"
[[route.rules]]
name = "churn"
queue = "retention"
brand = ["ACME"]
product = [" Acme Cloud "]
intent = ["churn_risk", "Feature Request"]
sentiment = ["negative"]
max_score = -0.2
priority = "High"
lang = ["EN"]
platform = ["Mastodon"]
source = ["masto-acme"]
min_followers = 1000
escalate = true
"#,
    )
    .unwrap();
    assert_eq!(c.deadline_of("retention"), Some(Duration::from_secs(5400)));
    assert_eq!(c.queue("retention").unwrap().topic, "crm.retention");
    let r = &c.rules[0];
    assert!(r.escalate);
    let w = &r.when;
    assert_eq!(w.brand.as_deref(), Some(&["acme".to_string()][..]));
    assert_eq!(w.product.as_deref(), Some(&["acme cloud".to_string()][..]));
    assert_eq!(
        w.intent.as_deref(),
        Some(&[Intent::ChurnRisk, Intent::FeatureRequest][..])
    );
    assert_eq!(
        w.sentiment.as_deref(),
        Some(&[SentimentLabel::Negative][..])
    );
    assert_eq!(w.priority, Some(Priority::High));
    assert_eq!((w.min_score, w.max_score), (None, Some(-0.2)));
    assert_eq!(w.source.as_deref(), Some(&["masto-acme".to_string()][..]));
    assert_eq!(w.min_followers, Some(1000));
}

#[test]
fn every_error_is_reported_at_once_under_its_key() {
    let errors = check(
        r#"
[route]
default_queue = "nowhere"
feedback_topic = "earshot feedback"
[[route.queues]]
name = "support"
deadline = "soon"
[[route.queues]]
name = "support"
[[route.queues]]
name = "loop"
topic = "earshot.alerts"
[[route.rules]]
name = "a"
queue = "sales"
intent = ["complaint", "rant"]
[[route.rules]]
name = "a"
queue = "support"
brand = []
min_score = 0.5
max_score = -0.5
[[route.rules]]
name = "c"
queue = "support"
quue = "x"
[route.spike]
factor = 0.5
baseline_windows = 0
"#,
    )
    .unwrap_err();
    let found = keys(&errors);
    for key in [
        "route.default_queue",
        "route.feedback_topic",
        "route.queues[0].deadline",
        "route.queues[1].name",
        "route.queues[2].topic",
        "route.rules[0].queue",
        "route.rules[0].intent",
        "route.rules[1].name",
        "route.rules[1].brand",
        "route.rules[1].min_score",
        "route.rules[2].quue",
        "route.spike.factor",
        "route.spike.baseline_windows",
    ] {
        assert!(found.contains(&key), "{key} missing from {errors:#?}");
    }
    assert!(message(&errors, "route.default_queue").contains("support, support, loop"));
    assert!(message(&errors, "route.rules[0].intent").contains("`rant`"));
    assert!(message(&errors, "route.rules[0].intent").contains("churn_risk"));
    assert!(message(&errors, "route.rules[1].name").contains("duplicate"));
    assert_eq!(
        message(&errors, "route.rules[2].quue"),
        "unknown key (did you mean `queue`?)"
    );
    assert_eq!(
        message(&errors, "route.queues[0].deadline"),
        "found \"soon\"; expected a duration such as 15m, 2h or 1d"
    );
    assert!(message(&errors, "route.queues[2].topic").contains("route itself"));
}

#[test]
fn a_section_without_queues_or_default_says_what_is_missing() {
    let errors = validate(toml::Value::Table(toml::Table::new())).unwrap_err();
    assert!(keys(&errors).contains(&"route.queues"), "{errors:?}");
    assert!(message(&errors, "route.default_queue").contains("missing"));
    let errors = validate(toml::Value::String("x".into())).unwrap_err();
    assert_eq!(keys(&errors), ["route"]);
}

#[test]
fn a_queue_name_that_cannot_make_a_topic_asks_for_one() {
    let errors = check(
        r#"
[route]
default_queue = "Front desk"
[[route.queues]]
name = "Front desk"
"#,
    )
    .unwrap_err();
    assert!(
        message(&errors, "route.queues[0].name").contains("set `topic`"),
        "{errors:?}"
    );
    let ok = check(
        r#"
[route]
default_queue = "Front desk"
[[route.queues]]
name = "Front desk"
topic = "crm.front-desk"
"#,
    );
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn a_rule_after_a_catch_all_is_reported_as_unreachable() {
    let errors = check(
        r#"
[route]
default_queue = "inbox"
[[route.queues]]
name = "inbox"
[[route.rules]]
name = "everything"
queue = "inbox"
[[route.rules]]
name = "vip"
queue = "inbox"
min_followers = 10000
"#,
    )
    .unwrap_err();
    assert_eq!(keys(&errors), ["route.rules[1]"]);
    assert!(errors[0].1.contains("`everything`"), "{errors:?}");
}

#[test]
fn scores_and_spike_settings_outside_their_range_are_refused() {
    let errors = check(
        r#"
[route]
default_queue = "inbox"
[[route.queues]]
name = "inbox"
deadline = "0s"
[[route.rules]]
name = "r"
queue = "inbox"
min_score = -1.5
priority = "critical"
sentiment = ["angry"]
[route.spike]
window = "1h"
min_mentions = 0
negative_share_factor = 0.9
"#,
    )
    .unwrap_err();
    assert!(message(&errors, "route.queues[0].deadline").contains("zero"));
    assert!(message(&errors, "route.rules[0].min_score").contains("-1.5"));
    assert!(message(&errors, "route.rules[0].priority").contains("low, normal, high, urgent"));
    assert!(message(&errors, "route.rules[0].sentiment").contains("`angry`"));
    assert!(keys(&errors).contains(&"route.spike.min_mentions"));
    assert!(keys(&errors).contains(&"route.spike.negative_share_factor"));
    assert_eq!(errors.len(), 6, "{errors:#?}");
}

#[test]
fn a_second_level_is_read_per_queue_and_needs_a_deadline() {
    let c = check(
        "[route]\ndefault_queue = \"a\"\n[[route.queues]]\nname = \"a\"\ndeadline = \"4h\"\nescalate_after = \"2h\"\n",
    )
    .unwrap();
    assert_eq!(c.escalate_after_of("a"), Some(Duration::from_secs(7200)));
    assert_eq!(c.escalate_after_of("other"), None);
    let e = check(
        "[route]\ndefault_queue = \"a\"\n[[route.queues]]\nname = \"a\"\nescalate_after = \"2h\"\n[[route.queues]]\nname = \"b\"\ndeadline = \"1h\"\nescalate_after = \"soon\"\n",
    )
    .unwrap_err();
    assert!(message(&e, "route.queues[0].escalate_after").contains("needs a `deadline`"));
    assert!(
        keys(&e).contains(&"route.queues[1].escalate_after"),
        "{e:?}"
    );
}
