use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};

use super::*;
use crate::route::deadline::{Deadlines, State};
use crate::route::rules::Decision;

/// A feedback record as `earshot run` writes it: an angry post from a
/// large account. Other tests change what they need.
pub(crate) fn feedback() -> FeedbackRecord {
    serde_json::from_value(json!({
        "schema": "earshot.feedback/2",
        "id": "fb_0123456789abcdef0123456789abcdef",
        "event": "created",
        "revision": "b3:9f2c",
        "brand": "Acme",
        "products": ["Acme Cloud"],
        "terms": ["acme cloud"],
        "intents": [{"intent": "complaint", "cues": ["keeps failing"]},
                    {"intent": "churn_risk", "cues": ["switching to Globex"]}],
        "emotions": [{"emotion": "anger", "cues": ["fed up"]}],
        "sentiment": {"score": -0.72, "label": "negative"},
        "item_sentiment": {"score": -0.61, "label": "negative"},
        "excerpt": "Acme Cloud sync keeps failing, switching to Globex.",
        "url": "https://social.example/@dana/1",
        "source": {"pipeline": "demo", "id": "masto-acme", "platform": "mastodon"},
        "item_key": "mastodon:1",
        "lang": "en",
        "published": "2025-03-03T09:58:00Z",
        "observed": "2025-03-03T10:00:00Z",
        "author": "Dana",
        "author_followers": 52000,
        "status": "open",
        "priority": "urgent",
        "priority_reason": "strongly negative (-0.72) from an author with 52000 followers; churn risk (\"switching to Globex\")"
    }))
    .unwrap()
}

/// The same record as a producer of `earshot.feedback/1` wrote it, before
/// records carried emotions.
pub(crate) fn feedback_v1() -> FeedbackRecord {
    FeedbackRecord {
        schema: "earshot.feedback/1".into(),
        emotions: None,
        ..feedback()
    }
}

pub(crate) fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn decision(rule: Option<&str>, escalate: bool, deadline: Option<u64>) -> Decision {
    Decision {
        queue: "support".into(),
        topic: "earshot.queue.support".into(),
        rule: rule.map(str::to_string),
        escalate,
        deadline: deadline.map(|h| Duration::from_secs(h * 3600)),
    }
}

fn schema_json(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A validator of one of our schemas, with both feedback schemas
/// registered under their `$id` so that references to them resolve offline.
pub(crate) fn schema(name: &str) -> jsonschema::Validator {
    let resource = |name: &str| {
        let fb = schema_json(name);
        let id = fb["$id"].as_str().unwrap().to_string();
        (id, jsonschema::Resource::from_contents(fb).unwrap())
    };
    jsonschema::options()
        .should_validate_formats(true)
        .with_resources([resource("feedback.v1.json"), resource("feedback.v2.json")].into_iter())
        .build(&schema_json(name))
        .unwrap()
}

pub(crate) fn assert_valid(v: &jsonschema::Validator, doc: &Value) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:?}\n{doc:#}");
}

#[test]
fn a_routed_record_is_the_feedback_plus_routing_and_matches_its_schema() {
    let routed_at = t("2025-03-03T10:00:05Z");
    let r = RoutedRecord::new(feedback(), &decision(Some("vip"), true, Some(4)), routed_at);
    assert_eq!(r.key(), "fb_0123456789abcdef0123456789abcdef");
    assert_eq!(r.routing.deadline, Some(t("2025-03-03T14:00:05Z")));
    let doc = serde_json::to_value(&r).unwrap();
    // Flat: a consumer of feedback records reads a routed one unchanged.
    assert_eq!(doc["brand"], "Acme");
    assert_eq!(doc["routing"]["queue"], "support");
    assert_eq!(doc["routing"]["rule"], "vip");
    let v = schema("routed.v1.json");
    assert_valid(&v, &doc);
    let back: RoutedRecord = serde_json::from_value(doc).unwrap();
    assert_eq!(back, r);

    let plain = RoutedRecord::new(feedback(), &decision(None, false, None), routed_at);
    let doc = serde_json::to_value(&plain).unwrap();
    assert!(doc["routing"].get("rule").is_none() && doc["routing"].get("deadline").is_none());
    assert_valid(&v, &doc);
    let mut broken = doc.clone();
    broken["routing"].as_object_mut().unwrap().remove("queue");
    assert!(!v.is_valid(&broken));

    // A record of the earlier version is routed as it came: no emotions
    // added, its schema name kept.
    let old = RoutedRecord::new(feedback_v1(), &decision(None, false, None), routed_at);
    let doc = serde_json::to_value(&old).unwrap();
    assert_eq!(doc["schema"], "earshot.feedback/1");
    assert!(doc.get("emotions").is_none(), "{doc}");
    assert_valid(&v, &doc);
    assert_valid(
        &schema("feedback.v1.json"),
        &serde_json::to_value(feedback_v1()).unwrap(),
    );
    assert_valid(
        &schema("feedback.v2.json"),
        &serde_json::to_value(feedback()).unwrap(),
    );
}

/// Routed records restate feedback version 2, accept either version's
/// name, and require only what version 1 had (a record of version 1 has no
/// `emotions`).
#[test]
fn the_routed_schema_restates_the_feedback_schema_unchanged() {
    let v1 = schema_json("feedback.v1.json");
    let fb = schema_json("feedback.v2.json");
    let routed = schema_json("routed.v1.json");
    for (name, def) in fb["properties"].as_object().unwrap() {
        if name == "schema" {
            continue;
        }
        assert_eq!(&routed["properties"][name], def, "property {name} drifted");
    }
    assert_eq!(
        routed["properties"]["schema"]["enum"],
        json!([
            v1["properties"]["schema"]["const"],
            fb["properties"]["schema"]["const"]
        ])
    );
    assert_eq!(routed["$defs"], fb["$defs"]);
    // Version 2 keeps every field of version 1 as it was.
    for (name, def) in v1["properties"].as_object().unwrap() {
        if name != "schema" {
            assert_eq!(
                &fb["properties"][name], def,
                "property {name} changed in v2"
            );
        }
    }
    for req in v1["required"].as_array().unwrap() {
        assert!(
            routed["required"].as_array().unwrap().contains(req),
            "{req}"
        );
        assert!(fb["required"].as_array().unwrap().contains(req), "{req}");
    }
    assert!(!routed["required"]
        .as_array()
        .unwrap()
        .contains(&json!("emotions")));
}

#[test]
fn status_events_parse_with_any_offset_and_ignore_extra_fields() {
    let ev = StatusEvent::parse(
        br#"{"feedback_id": "fb_1", "status": "Acknowledged", "at": "2025-03-03T12:30:00+02:00",
             "by": "sam@acme.example", "ticket": 4711}"#,
    )
    .unwrap();
    assert_eq!(ev.status, StatusKind::Acknowledged);
    assert_eq!(ev.at, t("2025-03-03T10:30:00Z"));
    assert_eq!(ev.by.as_deref(), Some("sam@acme.example"));
    assert_eq!(ev.note, None);
    let v = schema("status.v1.json");
    assert_valid(&v, &serde_json::to_value(&ev).unwrap());
    assert!(!v
        .is_valid(&json!({"feedback_id": "fb_1", "status": "done", "at": "2025-03-03T10:30:00Z"})));
}

#[test]
fn a_bad_status_event_names_the_field_at_fault() {
    let cases: &[(&str, &str, &str)] = &[
        (
            r#"{"status": "resolved", "at": "2025-03-03T10:00:00Z"}"#,
            "feedback_id",
            "missing",
        ),
        (
            r#"{"feedback_id": 17, "status": "resolved", "at": "2025-03-03T10:00:00Z"}"#,
            "feedback_id",
            "expected a string",
        ),
        (
            r#"{"feedback_id": " ", "status": "resolved", "at": "2025-03-03T10:00:00Z"}"#,
            "feedback_id",
            "empty",
        ),
        (
            r#"{"feedback_id": "fb_1", "status": "closed", "at": "2025-03-03T10:00:00Z"}"#,
            "status",
            "`closed`",
        ),
        (
            r#"{"feedback_id": "fb_1", "status": "resolved", "at": "yesterday"}"#,
            "at",
            "RFC 3339",
        ),
        (
            r#"{"feedback_id": "fb_1", "status": "resolved", "at": "2025-03-03T10:00:00Z", "by": 3}"#,
            "by",
            "string",
        ),
        (r#"["fb_1"]"#, "(message)", "object"),
        ("{not json", "(message)", "not JSON"),
    ];
    for (input, field, words) in cases {
        let e = StatusEvent::parse(input.as_bytes()).unwrap_err();
        assert_eq!(e.field, *field, "{input}: {e}");
        assert!(e.to_string().contains(words), "{input}: {e}");
    }
}

#[test]
fn alerts_match_their_schema_and_keep_their_id_on_a_repeat() {
    let v = schema("alert.v1.json");
    let routed_at = t("2025-03-03T10:00:05Z");
    let r = RoutedRecord::new(feedback(), &decision(Some("vip"), true, Some(4)), routed_at);

    let now = AlertRecord::immediate(&r, routed_at);
    assert_valid(&v, &serde_json::to_value(&now).unwrap());
    assert_eq!(
        now.id,
        AlertRecord::immediate(&r, t("2025-03-03T11:00:00Z")).id
    );
    assert!(
        now.reason.contains("`vip`") && now.reason.contains("Acme"),
        "{}",
        now.reason
    );
    assert!(now.reason.starts_with("Urgent"), "{}", now.reason);

    let mut deadlines = Deadlines::new();
    deadlines.routed(&r).unwrap();
    let due = deadlines.due(t("2025-03-03T14:00:05Z"));
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].state, State::Escalated);
    let late = AlertRecord::deadline(&due[0], t("2025-03-03T14:00:06Z"));
    assert_eq!(late.kind, AlertKind::Deadline);
    assert_eq!(late.feedback.as_ref(), Some(&r.feedback));
    assert!(
        late.reason.contains("4h") && late.reason.contains("support"),
        "{}",
        late.reason
    );
    assert_ne!(late.id, now.id);
    assert_valid(&v, &serde_json::to_value(&late).unwrap());

    // The same feedback missing a later deadline is a new alert.
    let mut again = due[0].clone();
    again.due = Some(t("2025-03-04T09:00:00Z"));
    assert_ne!(
        AlertRecord::deadline(&again, t("2025-03-04T09:00:00Z")).id,
        late.id
    );

    let mut no_spike = serde_json::to_value(&now).unwrap();
    no_spike["kind"] = json!("spike");
    assert!(!v.is_valid(&no_spike), "a spike alert needs its figures");

    // Acknowledged by no one at the second deadline: level 2, its own id.
    let mut chain = Deadlines::new();
    chain.routed(&r).unwrap();
    let two_hours = |_: &str| Some(std::time::Duration::from_secs(2 * 3600));
    let first = chain.due_with(t("2025-03-03T14:00:05Z"), two_hours);
    let second = chain.due_with(t("2025-03-03T16:00:05Z"), two_hours);
    assert_eq!(second.len(), 1);
    let owner = AlertRecord::deadline(&first[0], t("2025-03-03T14:00:06Z"));
    let management = AlertRecord::deadline(&second[0], t("2025-03-03T16:00:05Z"));
    assert_eq!((owner.level, management.level), (1, 2));
    assert_eq!(owner.id, late.id, "level 1 keeps the id it always had");
    assert_ne!(management.id, owner.id);
    assert!(
        management.reason.contains("second deadline") && management.reason.contains("2h"),
        "{}",
        management.reason
    );
    let shown = serde_json::to_value(&management).unwrap();
    assert_eq!(shown["level"], 2);
    assert_valid(&v, &shown);
    let plain = serde_json::to_value(&owner).unwrap();
    assert!(plain.get("level").is_none(), "level 1 is written as before");
    let read: AlertRecord = serde_json::from_value(plain).unwrap();
    assert_eq!(read.level, 1);
}
