//! The people loop's state: one person's records as the influencer topic
//! holds them (each carrying the history so far), read back at assignment
//! and then consumed live.

use chrono::{DateTime, Utc};

use super::state::{replay, People};
use crate::record::{InfluencerRecord, Point, Reach, Trajectory, INFLUENCER_SCHEMA};
use crate::route::decider::Clock;
use crate::route::disengage::config::DisengageConfig;
use crate::route::records::AlertRecord;
use crate::sink::kafka::Outgoing;

const ALERTS: &str = "alerts";

fn cfg() -> DisengageConfig {
    DisengageConfig {
        quiet_after: Some(std::time::Duration::from_secs(86_400)),
        ..DisengageConfig::default()
    }
}

/// Person `id`'s record after the mentions scored `scores`, the last at
/// `last`, a day apart.
fn record(id: &str, scores: &[f64], last: DateTime<Utc>) -> Vec<u8> {
    let mut history = Trajectory::default();
    for (i, s) in scores.iter().enumerate() {
        let back = (scores.len() - 1 - i) as i64;
        history = history.fold(Point {
            at: last - chrono::Duration::days(back),
            score: *s,
            brand: "Acme".into(),
            platform: "mastodon".into(),
            feedback_id: format!("fb_{id}_{i}"),
        });
    }
    let rec = InfluencerRecord {
        schema: INFLUENCER_SCHEMA.into(),
        id: id.into(),
        platform: "mastodon".into(),
        handle: None,
        name: Some(format!("Person {id}")),
        profile_url: None,
        reach: Reach::default(),
        first_seen: last,
        last_seen: last,
        description: None,
        accounts: Vec::new(),
        trajectory: Some(history),
    };
    serde_json::to_vec(&rec).unwrap()
}

const TURN: [f64; 6] = [0.6, 0.5, 0.7, -0.4, -0.5, -0.6];

fn alerts(out: &[Outgoing]) -> Vec<AlertRecord> {
    out.iter()
        .map(|m| serde_json::from_slice(m.payload.as_ref().unwrap()).unwrap())
        .collect()
}

#[test]
fn a_turn_read_back_at_assignment_is_not_raised_again_and_a_new_one_is() {
    let now = Utc::now();
    let mut p = People::new(cfg(), ALERTS);
    // Partition 0's history up to the committed offset 6: the turn.
    let mut d = (p.detector_factory())();
    for n in 1..=TURN.len() {
        assert!(replay(&mut d, Some(&record("inf_a", &TURN[..n], now))));
    }
    p.assigned(0, 6, d);
    p.already_raised([]);
    let mut out = Vec::new();
    // Fetched again after a rebalance: already in the state, not committed.
    assert!(!p.observe(0, 5, Some(&record("inf_a", &TURN, now)), now, &mut out));
    // Still negative: the turn was raised before the position.
    let more = [&TURN[..], &[-0.7]].concat();
    assert!(p.observe(0, 6, Some(&record("inf_a", &more, now)), now, &mut out));
    assert!(out.is_empty(), "{:?}", alerts(&out));
    // Another person on the partition turns live: raised once, for the topic.
    for n in 1..=TURN.len() {
        p.observe(
            0,
            6 + n as i64,
            Some(&record("inf_b", &TURN[..n], now)),
            now,
            &mut out,
        );
    }
    let a = alerts(&out);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].disengagement.as_ref().unwrap().influencer_id, "inf_b");
    assert_eq!(
        (out[0].topic.as_str(), out[0].key.as_str()),
        (ALERTS, a[0].id.as_str())
    );
    // A partition not owned is not decided and not committed.
    assert!(!p.observe(1, 0, Some(&record("inf_c", &TURN, now)), now, &mut out));
    // A record that is no influencer record is counted and committed past.
    assert!(p.observe(0, 20, Some(b"{not json"), now, &mut out));
    assert_eq!((p.stats.disengagement, p.stats.bad), (1, 1));
}

#[test]
fn an_alert_already_on_the_alerts_topic_is_not_raised_again() {
    let now = Utc::now();
    // What the previous owner raised, and crashed before committing.
    let mut first = People::new(cfg(), ALERTS);
    first.assigned(0, 0, (first.detector_factory())());
    let mut out = Vec::new();
    for n in 1..=TURN.len() {
        first.observe(
            0,
            n as i64 - 1,
            Some(&record("inf_a", &TURN[..n], now)),
            now,
            &mut out,
        );
    }
    let raised = alerts(&out);
    assert_eq!(raised.len(), 1);
    // The next owner reads back up to the old committed offset (0) and
    // consumes the same records again.
    let mut next = People::new(cfg(), ALERTS);
    next.assigned(0, 0, (next.detector_factory())());
    next.already_raised(raised);
    let mut again = Vec::new();
    for n in 1..=TURN.len() {
        next.observe(
            0,
            n as i64 - 1,
            Some(&record("inf_a", &TURN[..n], now)),
            now,
            &mut again,
        );
    }
    assert!(again.is_empty());
    assert_eq!((next.stats.disengagement, next.stats.repeats), (0, 1));
}

/// The loop's timer path: gone-quiet falls due on tokio's clock, once, and
/// a revoked partition's people raise nothing.
#[tokio::test(start_paused = true)]
async fn gone_quiet_falls_due_on_tokios_clock_once_and_not_after_revocation() {
    let clock = Clock::start();
    let mut p = People::new(cfg(), ALERTS);
    p.assigned(0, 0, (p.detector_factory())());
    p.assigned(1, 0, (p.detector_factory())());
    let steady = [0.3; 6];
    let mut out = Vec::new();
    p.observe(
        0,
        0,
        Some(&record("inf_q", &steady, clock.now())),
        clock.now(),
        &mut out,
    );
    p.observe(
        1,
        0,
        Some(&record("inf_r", &steady, clock.now())),
        clock.now(),
        &mut out,
    );
    p.revoked(1);
    tokio::time::sleep(std::time::Duration::from_secs(86_400 - 60)).await;
    p.check(clock.now(), &mut out);
    assert!(out.is_empty(), "not quiet a minute early");
    tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    p.check(clock.now(), &mut out);
    let a = alerts(&out);
    assert_eq!(a.len(), 1, "{a:?}");
    assert_eq!(a[0].disengagement.as_ref().unwrap().influencer_id, "inf_q");
    tokio::time::sleep(std::time::Duration::from_secs(86_400)).await;
    p.check(clock.now(), &mut out);
    assert_eq!(out.len(), 1, "raised once");
    assert_eq!(p.partitions(), vec![0]);
}
