//! One author's scripted history across two platforms: praise on Mastodon,
//! then complaints on the blog their profile links (one person, one
//! history), then silence.

use super::*;
use crate::record::{Point, Reach, Trajectory, INFLUENCER_SCHEMA};

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn cfg() -> DisengageConfig {
    DisengageConfig {
        quiet_after: Some(std::time::Duration::from_secs(14 * 86_400)),
        quiet_min_mentions: 5,
        ..DisengageConfig::default()
    }
}

/// The person's record after `history`, as the pipeline delivers it.
fn record(history: &Trajectory) -> InfluencerRecord {
    InfluencerRecord {
        schema: INFLUENCER_SCHEMA.into(),
        id: "inf_0123456789abcdef0123456789abcdef".into(),
        platform: "mastodon".into(),
        handle: Some("rant112@mastodon.example".into()),
        name: Some("Rant112".into()),
        profile_url: Some("https://mastodon.example/@rant112".into()),
        reach: Reach::default(),
        first_seen: t("2026-03-01T09:00:00Z"),
        last_seen: history
            .points
            .last()
            .map_or(t("2026-03-01T09:00:00Z"), |p| p.at),
        description: None,
        accounts: Vec::new(),
        trajectory: Some(history.clone()),
    }
}

fn point(day: u32, score: f64, platform: &str, n: u32) -> Point {
    Point {
        at: t(&format!("2026-03-{day:02}T09:00:00Z")),
        score,
        brand: "Acme".into(),
        platform: platform.into(),
        feedback_id: format!("fb_{n:032x}"),
    }
}

/// Four warm toots, then three angry blog posts.
fn script() -> Vec<Point> {
    let mut out: Vec<Point> = [0.6, 0.5, 0.7, 0.4]
        .iter()
        .enumerate()
        .map(|(i, s)| point(1 + i as u32, *s, "mastodon", i as u32))
        .collect();
    for (i, s) in [-0.3, -0.4, -0.5].iter().enumerate() {
        out.push(point(10 + i as u32, *s, "web", 10 + i as u32));
    }
    out
}

/// Plays `points` through the fold and the detector, one record each;
/// returns the alerts and the records.
fn play(d: &mut Disengagement, points: &[Point]) -> (Vec<AlertRecord>, Vec<InfluencerRecord>) {
    let mut history = Trajectory::default();
    let (mut alerts, mut recs) = (Vec::new(), Vec::new());
    for p in points {
        history = history.fold(p.clone());
        let rec = record(&history);
        alerts.extend(d.observe(&rec, p.at));
        recs.push(rec);
    }
    (alerts, recs)
}

#[test]
fn a_positive_author_turning_negative_on_another_platform_is_alerted_once() {
    let mut d = Disengagement::new(cfg());
    let (alerts, recs) = play(&mut d, &script());
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(a.kind, AlertKind::Disengagement);
    assert_eq!(a.brand, "Acme");
    let f = a.disengagement.as_ref().unwrap();
    assert_eq!(f.trigger, DisengagementTrigger::TurnedNegative);
    assert_eq!(f.influencer_id, recs[0].id);
    assert!((f.recent_mean.unwrap() - (-0.4)).abs() < 1e-9);
    assert!((f.earlier_mean.unwrap() - 0.55).abs() < 1e-9);
    assert!(a.reason.contains("Rant112 turned negative"), "{}", a.reason);
    assert!(a.reason.contains("on web"), "{}", a.reason);
    // Raised on the third blog post, the one that tipped the mean.
    assert_eq!(
        a.feedback_id.as_deref(),
        Some(script()[6].feedback_id.as_str())
    );

    // More of the same, and an edit of the last post: still one turn.
    let last = recs.last().unwrap().trajectory.clone().unwrap();
    let edited = last.clone().fold(Point {
        score: -0.9,
        ..script()[6].clone()
    });
    assert_eq!(edited.count, last.count, "the edit replaced its point");
    assert!(d
        .observe(&record(&edited), t("2026-03-13T00:00:00Z"))
        .is_none());
    let more = edited.fold(point(13, -0.8, "web", 13));
    assert!(d
        .observe(&record(&more), t("2026-03-13T10:00:00Z"))
        .is_none());

    // A replay of the same records raises the same alert, by id.
    let mut again = Disengagement::new(cfg());
    let (replayed, _) = play(&mut again, &script());
    assert_eq!(replayed.len(), 1);
    assert_eq!(replayed[0].id, a.id);
}

#[test]
fn back_to_positive_the_person_can_turn_again() {
    let mut d = Disengagement::new(cfg());
    let mut points = script();
    for (i, s) in [0.8, 0.7, 0.9].iter().enumerate() {
        points.push(point(20 + i as u32, *s, "mastodon", 20 + i as u32));
    }
    for (i, s) in [-0.8, -0.9, -0.7].iter().enumerate() {
        points.push(point(25 + i as u32, *s, "web", 25 + i as u32));
    }
    let (alerts, _) = play(&mut d, &points);
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    assert_ne!(alerts[0].id, alerts[1].id);
}

#[test]
fn too_few_earlier_mentions_or_a_mild_dip_raise_nothing() {
    let mut d = Disengagement::new(cfg());
    let few = [
        point(1, 0.6, "mastodon", 1),
        point(2, 0.6, "mastodon", 2),
        point(3, -0.6, "web", 3),
        point(4, -0.6, "web", 4),
        point(5, -0.6, "web", 5),
    ];
    assert!(
        play(&mut d, &few).0.is_empty(),
        "two earlier mentions are not enough"
    );
    let mut d = Disengagement::new(cfg());
    let mut mild = script();
    for p in &mut mild[4..] {
        p.score = -0.1;
    }
    assert!(
        play(&mut d, &mild).0.is_empty(),
        "-0.1 is not negative enough"
    );
}

#[test]
fn silence_after_frequent_mentions_is_alerted_once_after_the_configured_time() {
    let mut d = Disengagement::new(cfg());
    let (_, recs) = play(&mut d, &script());
    let last = t("2026-03-12T09:00:00Z");
    assert!(
        d.check(last + chrono::Duration::days(13)).is_empty(),
        "not yet"
    );
    let due = last + chrono::Duration::days(14);
    let quiet = d.check(due);
    assert_eq!(quiet.len(), 1, "{quiet:#?}");
    let f = quiet[0].disengagement.as_ref().unwrap();
    assert_eq!(f.trigger, DisengagementTrigger::GoneQuiet);
    assert_eq!(f.mentions, 7);
    assert_eq!(f.last_mention, last);
    assert!(
        quiet[0].reason.contains("went quiet about Acme"),
        "{}",
        quiet[0].reason
    );
    assert!(quiet[0].reason.contains("14 days"), "{}", quiet[0].reason);
    assert!(d.check(due + chrono::Duration::days(30)).is_empty(), "once");

    // Read back at a restart: the records and the stored alert, nothing new.
    let mut restarted = Disengagement::new(cfg());
    for r in &recs {
        restarted.observe(r, r.last_seen);
    }
    restarted.raised(&quiet[0]);
    assert!(restarted.check(due + chrono::Duration::days(1)).is_empty());

    // Speaking of the brand again, then silence again: a new alert.
    let mut history = recs.last().unwrap().trajectory.clone().unwrap();
    history = history.fold(Point {
        at: t("2026-04-01T09:00:00Z"),
        ..point(1, 0.1, "web", 40)
    });
    assert!(d
        .observe(&record(&history), t("2026-04-01T09:00:00Z"))
        .is_none());
    assert!(d.check(t("2026-04-10T00:00:00Z")).is_empty());
    let again = d.check(t("2026-04-15T09:00:00Z"));
    assert_eq!(again.len(), 1);
    assert_ne!(again[0].id, quiet[0].id);
}

#[test]
fn occasional_mentioners_never_go_quiet_and_quiet_is_off_by_default() {
    let mut d = Disengagement::new(cfg());
    play(&mut d, &script()[..4]);
    assert!(
        d.check(t("2027-01-01T00:00:00Z")).is_empty(),
        "4 < 5 mentions"
    );
    let mut off = Disengagement::new(DisengageConfig::default());
    play(&mut off, &script());
    assert!(off.check(t("2027-01-01T00:00:00Z")).is_empty());
}

#[test]
fn disengagement_alerts_match_the_alert_schema() {
    use crate::route::records::tests::{assert_valid, schema};
    let v = schema("alert.v1.json");
    let mut d = Disengagement::new(cfg());
    let (turned, _) = play(&mut d, &script());
    let quiet = d.check(t("2026-04-01T00:00:00Z"));
    for a in turned.iter().chain(&quiet) {
        let doc = serde_json::to_value(a).unwrap();
        assert_eq!(doc["kind"], "disengagement");
        assert_valid(&v, &doc);
    }
    let mut bare = serde_json::to_value(&quiet[0]).unwrap();
    bare.as_object_mut().unwrap().remove("disengagement");
    assert!(
        !v.is_valid(&bare),
        "a disengagement alert needs its figures"
    );
}
