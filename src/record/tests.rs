use super::*;
use crate::model::{Mention, SentimentLabel};

fn item() -> Item {
    Item {
        key: "https://blog.example/posts/1".into(),
        url: Some("https://blog.example/posts/1".into()),
        title: Some("Acme Cloud ate my weekend".into()),
        text: "Acme Cloud is down again. Terrible.".into(),
        author: Some(Author {
            name: Some("Rant112".into()),
            ..Author::default()
        }),
        content_hash: "abc".into(),
        platform: "web".into(),
        ..Item::default()
    }
}

fn class() -> Classification {
    Classification {
        sentiment: Sentiment::from_score(-0.7),
        lang: Some("en".into()),
        emotions: vec![],
        mentions: vec![Mention {
            brand: "Acme".into(),
            products: vec!["Acme Cloud".into()],
            terms: vec!["Acme Cloud".into()],
            sentiment: Sentiment::from_score(-0.7),
            excerpt: "Acme Cloud is down again.".into(),
            intents: vec![],
            emotions: vec![],
            capped: None,
        }],
    }
}

fn ctx(observed: &str) -> Context<'static> {
    Context {
        pipeline: "demo",
        source_id: "blog",
        observed: observed.parse().unwrap(),
        update: false,
        influencer_first_seen: None,
        person: None,
        account: None,
        trajectory: None,
    }
}

#[test]
fn a_mention_makes_feedback_and_influencer_records() {
    let recs = build(&item(), &class(), ctx("2026-01-01T00:00:00Z"));
    assert_eq!(recs.len(), 2);
    let Record::Feedback(fb) = &recs[0] else {
        panic!("feedback first")
    };
    let Record::Influencer(inf) = &recs[1] else {
        panic!("influencer second")
    };
    assert_eq!(fb.brand, "Acme");
    assert_eq!(fb.products, vec!["Acme Cloud"]);
    assert_eq!(fb.status, Status::Open);
    assert_eq!(fb.sentiment.label, SentimentLabel::Negative);
    assert_eq!(fb.influencer_id.as_deref(), Some(inf.id.as_str()));
    assert_eq!(inf.name.as_deref(), Some("Rant112"));
    // A blogger without a profile link is known by the blog.
    assert_eq!(inf.profile_url.as_deref(), Some("https://blog.example/"));
}

#[test]
fn ids_are_the_same_on_every_run_and_differ_per_brand() {
    let a = build(&item(), &class(), ctx("2026-01-01T00:00:00Z"));
    let b = build(&item(), &class(), ctx("2026-02-01T00:00:00Z"));
    assert_eq!(a[0].id(), b[0].id());
    assert_eq!(a[1].id(), b[1].id());
    let mut other = class();
    other.mentions[0].brand = "Globex".into();
    let c = build(&item(), &other, ctx("2026-01-01T00:00:00Z"));
    assert_ne!(a[0].id(), c[0].id());
}

#[test]
fn no_mention_no_records() {
    let mut c = class();
    c.mentions.clear();
    assert!(build(&item(), &c, ctx("2026-01-01T00:00:00Z")).is_empty());
}

#[test]
fn an_edit_is_an_update_with_the_same_id() {
    let first = build(&item(), &class(), ctx("2026-01-01T00:00:00Z"));
    let mut edited = item();
    edited.content_hash = "def".into();
    let mut c = ctx("2026-01-02T00:00:00Z");
    c.update = true;
    let second = build(&edited, &class(), c);
    let (Record::Feedback(a), Record::Feedback(b)) = (&first[0], &second[0]) else {
        panic!()
    };
    assert_eq!(a.id, b.id);
    assert_eq!(b.event, Event::Updated);
    assert_ne!(first[0].event_id(), second[0].event_id());
}

#[test]
fn first_seen_comes_from_state() {
    let mut c = ctx("2026-03-01T00:00:00Z");
    c.influencer_first_seen = Some("2025-12-24T00:00:00Z".parse().unwrap());
    let recs = build(&item(), &class(), c);
    let Record::Influencer(inf) = &recs[1] else {
        panic!()
    };
    assert_eq!(inf.first_seen.to_rfc3339(), "2025-12-24T00:00:00+00:00");
    assert_eq!(inf.last_seen.to_rfc3339(), "2026-03-01T00:00:00+00:00");
}

#[test]
fn the_same_profile_is_one_influencer_whatever_the_url_spelling() {
    let mut a = item();
    a.author.as_mut().unwrap().url = Some("https://www.Blog.example/about/".into());
    let mut b = item();
    b.author.as_mut().unwrap().url = Some("https://blog.example/about".into());
    assert_eq!(influencer_id(&a), influencer_id(&b));
    let mut c = item();
    c.platform = "mastodon".into();
    assert_ne!(influencer_id(&item()), influencer_id(&c));
}

#[test]
fn a_detected_language_fills_in_for_an_undeclared_one() {
    let recs = build(&item(), &class(), ctx("2026-01-01T00:00:00Z"));
    let Record::Feedback(fb) = &recs[0] else {
        panic!()
    };
    assert_eq!(fb.lang.as_deref(), Some("en"));
    let mut declared = item();
    declared.lang = Some("en-GB".into());
    let recs = build(&declared, &class(), ctx("2026-01-01T00:00:00Z"));
    let Record::Feedback(fb) = &recs[0] else {
        panic!()
    };
    assert_eq!(fb.lang.as_deref(), Some("en-GB"));
}

#[test]
fn feedback_carries_the_mentions_emotions_and_a_v1_record_reads_and_writes_unchanged() {
    use crate::classify::emotion::{Emotion, EmotionHit};
    let mut c = class();
    c.mentions[0].emotions = vec![EmotionHit {
        emotion: Emotion::Anger,
        cues: vec!["fuming".into()],
    }];
    let recs = build(&item(), &c, ctx("2026-01-01T00:00:00Z"));
    let Record::Feedback(fb) = &recs[0] else {
        panic!("feedback first")
    };
    assert_eq!(fb.schema, FEEDBACK_SCHEMA);
    let v2 = serde_json::to_value(fb).unwrap();
    assert_eq!(
        v2["emotions"],
        serde_json::json!([{"emotion": "anger", "cues": ["fuming"]}])
    );
    // A record from an older producer: no emotions, and none added on the
    // way through.
    let mut v1 = v2.clone();
    v1["schema"] = FEEDBACK_SCHEMA_V1.into();
    v1.as_object_mut().unwrap().remove("emotions");
    let read: FeedbackRecord = serde_json::from_value(v1.clone()).unwrap();
    assert_eq!(read.emotions, None);
    assert_eq!(serde_json::to_value(&read).unwrap(), v1);
}

#[test]
fn the_influencer_record_folds_the_mentions_into_the_persons_trajectory() {
    let first = build(&item(), &class(), ctx("2026-01-01T00:00:00Z"));
    let Record::Influencer(inf) = &first[1] else {
        panic!("influencer second")
    };
    assert_eq!(inf.schema, INFLUENCER_SCHEMA);
    let t = inf.trajectory.clone().unwrap();
    assert_eq!(t.count, 1);
    assert_eq!(t.points[0].feedback_id, first[0].id());
    assert_eq!(t.points[0].platform, "web");
    assert_eq!(t.points[0].score, -0.7);

    // The same post edited, on a later poll: its point is replaced.
    let mut edited = item();
    edited.content_hash = "def".into();
    let mut praise = class();
    praise.mentions[0].sentiment = Sentiment::from_score(0.4);
    let mut c = ctx("2026-01-02T00:00:00Z");
    c.update = true;
    c.trajectory = Some(t);
    let second = build(&edited, &praise, c);
    let Record::Influencer(inf) = &second[1] else {
        panic!("influencer second")
    };
    let t = inf.trajectory.as_ref().unwrap();
    assert_eq!((t.count, t.points.len()), (1, 1));
    assert_eq!(t.points[0].score, 0.4);
}

#[test]
fn influencer_records_match_version_2_and_a_v1_record_reads_and_writes_unchanged() {
    use crate::route::records::tests::{assert_valid, schema};
    let recs = build(&item(), &class(), ctx("2026-01-01T00:00:00Z"));
    let v2 = serde_json::to_value(&recs[1]).unwrap();
    assert_valid(&schema("influencer.v2.json"), &v2);
    let mut v1 = v2.clone();
    v1["schema"] = INFLUENCER_SCHEMA_V1.into();
    v1.as_object_mut().unwrap().remove("trajectory");
    assert_valid(&schema("influencer.v1.json"), &v1);
    let read: InfluencerRecord = serde_json::from_value(v1.clone()).unwrap();
    assert_eq!(read.trajectory, None);
    assert_eq!(serde_json::to_value(&read).unwrap(), v1);
    let mut missing = v2;
    missing.as_object_mut().unwrap().remove("trajectory");
    assert!(!schema("influencer.v2.json").is_valid(&missing));
}

/// Version 2 keeps every field of version 1 as it was.
#[test]
fn the_influencer_schema_v2_restates_v1_unchanged() {
    let read = |name: &str| -> serde_json::Value {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("schemas")
            .join(name);
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    };
    let (v1, v2) = (read("influencer.v1.json"), read("influencer.v2.json"));
    for (name, def) in v1["properties"].as_object().unwrap() {
        if name != "schema" {
            assert_eq!(&v2["properties"][name], def, "property {name} changed");
        }
    }
    for req in v1["required"].as_array().unwrap() {
        assert!(v2["required"].as_array().unwrap().contains(req), "{req}");
    }
    assert_eq!(v1["anyOf"], v2["anyOf"]);
    assert_eq!(
        v2["properties"]["trajectory"]["properties"]["points"]["maxItems"],
        trajectory::MAX_POINTS
    );
}
