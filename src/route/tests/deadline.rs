use super::*;
use crate::route::records::tests::{feedback, t};
use crate::route::records::{AlertRecord, Routing};

const HOUR: Duration = Duration::from_secs(3600);

/// Feedback `id` routed to "support" at `at` with a four-hour deadline.
fn routed(id: &str, at: &str) -> RoutedRecord {
    let mut fb = feedback();
    fb.id = id.to_string();
    let routed_at = t(at);
    RoutedRecord {
        feedback: fb,
        routing: Routing {
            queue: "support".into(),
            rule: Some("angry".into()),
            routed_at,
            deadline: add(routed_at, 4 * HOUR),
            escalated: false,
        },
    }
}

fn status(id: &str, kind: StatusKind, at: &str) -> StatusEvent {
    StatusEvent {
        feedback_id: id.into(),
        status: kind,
        at: t(at),
        by: None,
        note: None,
    }
}

fn four_hours(_: &str) -> Option<Duration> {
    Some(4 * HOUR)
}

#[test]
fn the_same_feedback_is_routed_once() {
    let mut d = Deadlines::new();
    let e = d.routed(&routed("fb_a", "2025-03-03T10:00:00Z")).unwrap();
    assert_eq!(e.state, State::Open);
    assert_eq!(e.due, Some(t("2025-03-03T14:00:00Z")));
    assert!(d.routed(&routed("fb_a", "2025-03-03T11:00:00Z")).is_none());
    assert!(d.contains("fb_a") && !d.contains("fb_b"));
    assert_eq!(d.len(), 1);
}

#[test]
fn unacknowledged_feedback_escalates_once_when_due() {
    let mut d = Deadlines::new();
    d.routed(&routed("fb_a", "2025-03-03T10:00:00Z"));
    d.routed(&routed("fb_b", "2025-03-03T09:00:00Z"));
    assert_eq!(d.next_due(), Some(t("2025-03-03T13:00:00Z")));
    assert!(d.due(t("2025-03-03T12:59:59Z")).is_empty());
    let first = d.due(t("2025-03-03T13:00:00Z"));
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].feedback_id.as_str(), first[0].state),
        ("fb_b", State::Escalated)
    );
    assert!(first[0].feedback.is_some(), "the alert needs the record");
    assert_eq!(d.next_due(), Some(t("2025-03-03T14:00:00Z")));
    let later = d.due(t("2025-03-04T00:00:00Z"));
    assert_eq!(later.len(), 1);
    assert!(
        d.due(t("2025-03-05T00:00:00Z")).is_empty(),
        "escalated once only"
    );
    assert_eq!(d.next_due(), None);
    assert_eq!(
        d.get("fb_b").unwrap().feedback,
        None,
        "closed entries stay small"
    );
}

#[test]
fn acknowledging_stops_the_clock_and_reopening_restarts_it() {
    let mut d = Deadlines::new();
    d.routed(&routed("fb_a", "2025-03-03T10:00:00Z"));
    let e = d
        .status(
            &status("fb_a", StatusKind::Acknowledged, "2025-03-03T10:30:00Z"),
            four_hours,
        )
        .unwrap();
    assert_eq!(e.state, State::Acknowledged);
    assert_eq!(d.next_due(), None);
    assert!(d.due(t("2025-03-03T20:00:00Z")).is_empty());

    let e = d
        .status(
            &status("fb_a", StatusKind::Reopened, "2025-03-03T21:00:00Z"),
            four_hours,
        )
        .unwrap();
    assert_eq!(
        (e.state, e.due),
        (State::Open, Some(t("2025-03-04T01:00:00Z")))
    );
    assert_eq!(d.next_due(), e.due);
    let due = d.due(t("2025-03-04T01:00:00Z"));
    assert_eq!(due.len(), 1);
    let alert = AlertRecord::deadline(&due[0], t("2025-03-04T01:00:00Z"));
    assert!(
        alert.reason.contains("4h after reopening"),
        "{}",
        alert.reason
    );

    // A queue without a deadline reopens without a clock.
    let e = d
        .status(
            &status("fb_a", StatusKind::Reopened, "2025-03-04T02:00:00Z"),
            |_| None,
        )
        .unwrap();
    assert_eq!((e.state, e.due), (State::Open, None));
    assert_eq!(d.next_due(), None);
}

#[test]
fn an_older_or_repeated_status_changes_nothing() {
    let mut d = Deadlines::new();
    d.routed(&routed("fb_a", "2025-03-03T10:00:00Z"));
    let resolved = status("fb_a", StatusKind::Resolved, "2025-03-03T12:00:00Z");
    assert!(d.status(&resolved, four_hours).is_some());
    assert!(
        d.status(&resolved, four_hours).is_none(),
        "a replay writes nothing"
    );
    let stale = status("fb_a", StatusKind::Reopened, "2025-03-03T11:00:00Z");
    assert!(d.status(&stale, four_hours).is_none());
    assert_eq!(d.get("fb_a").unwrap().state, State::Resolved);
    assert!(d.due(t("2025-03-09T00:00:00Z")).is_empty());
}

#[test]
fn a_status_before_its_feedback_keeps_the_late_record_from_escalating() {
    let mut d = Deadlines::new();
    let early = status("fb_a", StatusKind::Acknowledged, "2025-03-03T10:05:00Z");
    assert!(d.status(&early, four_hours).is_none());
    assert!(
        !d.contains("fb_a"),
        "a status alone does not count as routed"
    );
    let e = d.routed(&routed("fb_a", "2025-03-03T10:00:00Z")).unwrap();
    assert_eq!(e.state, State::Acknowledged);
    assert_eq!(d.next_due(), None);
    assert!(d.due(t("2025-03-04T00:00:00Z")).is_empty());
}

#[test]
fn entries_survive_a_restart_through_the_changelog() {
    let mut before = Deadlines::new();
    let mut log: Vec<Entry> = Vec::new();
    log.extend(before.routed(&routed("fb_a", "2025-03-03T10:00:00Z")));
    log.extend(before.routed(&routed("fb_b", "2025-03-03T10:00:00Z")));
    log.extend(before.status(
        &status("fb_b", StatusKind::Resolved, "2025-03-03T11:00:00Z"),
        four_hours,
    ));

    let mut after = Deadlines::new();
    for e in log {
        let json = serde_json::to_vec(&e).unwrap();
        after.restore(serde_json::from_slice(&json).unwrap());
    }
    assert_eq!(after.len(), 2);
    assert_eq!(after.get("fb_b").unwrap().state, State::Resolved);
    assert!(after
        .routed(&routed("fb_b", "2025-03-03T12:00:00Z"))
        .is_none());
    let due = after.due(t("2025-03-03T14:00:00Z"));
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].feedback_id, "fb_a");
    assert_eq!(
        due[0].feedback.as_ref().map(|f| f.brand.as_str()),
        Some("Acme")
    );
}

#[test]
fn forgetting_a_partition_drops_its_ids_and_their_clocks() {
    let mut d = Deadlines::new();
    for id in ["fb_a1", "fb_a2", "fb_b1"] {
        d.routed(&routed(id, "2025-03-03T10:00:00Z"));
    }
    d.status(
        &status("fb_a9", StatusKind::Resolved, "2025-03-03T10:00:00Z"),
        four_hours,
    );
    assert_eq!(d.forget(|id| id.starts_with("fb_a")), 2);
    assert_eq!(d.len(), 1);
    let due = d.due(t("2025-03-04T00:00:00Z"));
    assert_eq!(
        due.iter()
            .map(|e| e.feedback_id.as_str())
            .collect::<Vec<_>>(),
        ["fb_b1"]
    );
    // The forgotten early status no longer marks fb_a9.
    assert_eq!(
        d.routed(&routed("fb_a9", "2025-03-03T10:00:00Z"))
            .unwrap()
            .state,
        State::Open
    );
}

#[test]
fn expiry_drops_only_closed_entries_past_the_retention() {
    let mut d = Deadlines::new();
    for id in ["fb_old", "fb_new", "fb_open"] {
        d.routed(&routed(id, "2025-03-01T10:00:00Z"));
    }
    d.status(
        &status("fb_old", StatusKind::Resolved, "2025-03-01T11:00:00Z"),
        four_hours,
    );
    d.status(
        &status("fb_new", StatusKind::Resolved, "2025-03-09T11:00:00Z"),
        four_hours,
    );
    assert_eq!(d.expire(t("2025-03-08T00:00:00Z")), ["fb_old"]);
    assert!(!d.contains("fb_old") && d.contains("fb_new") && d.contains("fb_open"));
}

fn two_hours(_: &str) -> Option<Duration> {
    Some(2 * HOUR)
}

#[test]
fn unacknowledged_at_the_second_deadline_goes_to_level_two_once() {
    let mut d = Deadlines::new();
    d.routed(&routed("fb_a", "2025-03-03T10:00:00Z"));
    d.routed(&routed("fb_b", "2025-03-03T10:00:00Z"));
    let first = d.due_with(t("2025-03-03T14:00:00Z"), two_hours);
    assert_eq!(first.len(), 2);
    assert!(first.iter().all(|e| e.level == 1));
    assert_eq!(first[0].second_due, Some(t("2025-03-03T16:00:00Z")));
    // The owner acknowledges one in time; the other goes on.
    d.status(
        &status("fb_b", StatusKind::Acknowledged, "2025-03-03T15:00:00Z"),
        four_hours,
    )
    .unwrap();
    assert_eq!(d.next_due(), Some(t("2025-03-03T16:00:00Z")));
    assert!(d.due_with(t("2025-03-03T15:59:59Z"), two_hours).is_empty());
    let second = d.due_with(t("2025-03-03T16:00:00Z"), two_hours);
    assert_eq!(second.len(), 1);
    assert_eq!(
        (second[0].feedback_id.as_str(), second[0].level),
        ("fb_a", 2)
    );
    assert_eq!(d.next_due(), None, "level 2 is the last");
    assert!(d.due_with(t("2025-03-05T00:00:00Z"), two_hours).is_empty());
}

#[test]
fn the_second_deadline_survives_a_restart_and_reopening_restarts_the_chain() {
    let mut before = Deadlines::new();
    before.routed(&routed("fb_a", "2025-03-03T10:00:00Z"));
    let escalated = before.due_with(t("2025-03-03T14:00:00Z"), two_hours);
    let mut written = escalated[0].clone();
    written.feedback = None;
    let json = serde_json::to_vec(&written).unwrap();

    let mut after = Deadlines::new();
    after.restore(serde_json::from_slice(&json).unwrap());
    assert_eq!(after.next_due(), Some(t("2025-03-03T16:00:00Z")));
    // Reopened before the second deadline: back to the owner, level 0.
    let e = after
        .status(
            &status("fb_a", StatusKind::Reopened, "2025-03-03T15:00:00Z"),
            four_hours,
        )
        .unwrap();
    assert_eq!((e.level, e.second_due), (0, None));
    assert_eq!(after.next_due(), Some(t("2025-03-03T19:00:00Z")));
    let again = after.due_with(t("2025-03-03T19:00:00Z"), two_hours);
    assert_eq!(again[0].level, 1);

    // An entry written before levels existed reads as escalated without a
    // second deadline: nothing more happens to it.
    let mut old: serde_json::Value = serde_json::from_slice(&json).unwrap();
    old.as_object_mut().unwrap().remove("level");
    old.as_object_mut().unwrap().remove("second_due");
    let mut legacy = Deadlines::new();
    legacy.restore(serde_json::from_value(old).unwrap());
    assert_eq!(legacy.next_due(), None);
}
