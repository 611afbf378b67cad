//! The desk and its deadline clock, on tokio's paused clock.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::desk::Desk;
use super::view::CaseState;
use crate::record::Record;
use crate::route::decider::Clock;
use crate::route::records::tests::feedback;
use crate::route::records::{StatusEvent, StatusKind};

fn route() -> crate::route::config::RouteConfig {
    let text = r#"
default_queue = "pm"
[[queues]]
name = "pm"
deadline = "4h"
"#;
    crate::route::config::validate(toml::from_str(text).unwrap()).unwrap()
}

fn record(id: &str) -> Record {
    let mut fb = feedback();
    fb.id = id.into();
    Record::Feedback(fb)
}

fn deadline_alerts(desk: &Desk) -> Vec<String> {
    desk.read(|v| {
        v.alerts()
            .filter(|a| a.kind == crate::route::records::AlertKind::Deadline)
            .filter_map(|a| a.feedback_id.clone())
            .collect()
    })
}

/// The loop `serve` runs: a stalled case is escalated at its deadline, an
/// acknowledged one never, and both facts survive a restart of the store.
#[tokio::test(start_paused = true)]
async fn acknowledged_feedback_is_never_escalated_by_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Arc::new(Desk::open(route(), dir.path()).unwrap());
    let clock = Clock::start();
    desk.accept(&[record("fb_stalled"), record("fb_acked")], clock.now())
        .unwrap();
    desk.status(StatusEvent {
        feedback_id: "fb_acked".into(),
        status: StatusKind::Acknowledged,
        at: clock.now(),
        by: Some("pat".into()),
        note: Some("On it.".into()),
    })
    .unwrap();
    let stop = CancellationToken::new();
    let task = tokio::spawn(super::deadlines(desk.clone(), clock, stop.clone()));
    tokio::time::sleep(Duration::from_secs(4 * 3600 - 60)).await;
    assert!(
        deadline_alerts(&desk).is_empty(),
        "nothing is due a minute early"
    );
    tokio::time::sleep(Duration::from_secs(2 * 60)).await;
    assert_eq!(deadline_alerts(&desk), ["fb_stalled"]);
    tokio::time::sleep(Duration::from_secs(3 * 24 * 3600)).await;
    assert_eq!(
        deadline_alerts(&desk),
        ["fb_stalled"],
        "escalated once, the other never"
    );
    stop.cancel();
    task.await.unwrap();
    drop(desk);

    let again = Desk::open(route(), dir.path()).unwrap();
    assert_eq!(deadline_alerts(&again), ["fb_stalled"]);
    let acked = again.read(|v| v.case("fb_acked").unwrap().state);
    assert_eq!(acked, CaseState::Acknowledged);
    // The clocks came back too: nothing more falls due.
    let later = clock.now() + chrono::TimeDelta::days(10);
    assert_eq!(again.tick(later).unwrap(), None);
    assert_eq!(deadline_alerts(&again).len(), 1);
}

#[test]
fn a_status_for_an_unknown_id_is_refused_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(route(), dir.path()).unwrap();
    let e = desk
        .status(StatusEvent {
            feedback_id: "fb_nope".into(),
            status: StatusKind::Resolved,
            at: chrono::Utc::now(),
            by: Some("pat".into()),
            note: None,
        })
        .unwrap_err();
    assert_eq!(e.to_string(), "no feedback with id `fb_nope`");
    let stored = std::fs::read_to_string(dir.path().join(super::log::FILE_NAME)).unwrap();
    assert!(stored.is_empty());
}

/// The notifier hears of a deadline alert when the clock raises it, and a
/// restart hands back the stored alert and its recorded delivery.
#[tokio::test(start_paused = true)]
async fn deadline_alerts_reach_the_notifier_and_deliveries_are_kept() {
    use crate::notify::run::Store;
    let dir = tempfile::tempdir().unwrap();
    let desk = Arc::new(Desk::open(route(), dir.path()).unwrap());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    desk.notify_to(tx);
    let clock = Clock::start();
    desk.accept(&[record("fb_late")], clock.now()).unwrap();
    assert!(rx.try_recv().is_err(), "no alert before the deadline");
    let stop = CancellationToken::new();
    let task = tokio::spawn(super::deadlines(desk.clone(), clock, stop.clone()));
    let alert = rx.recv().await.unwrap();
    assert_eq!(alert.kind, crate::route::records::AlertKind::Deadline);
    assert_eq!(alert.feedback_id.as_deref(), Some("fb_late"));
    desk.delivered(std::slice::from_ref(&alert.id), "ops")
        .unwrap();
    stop.cancel();
    task.await.unwrap();
    drop(desk);

    let again = Desk::open(route(), dir.path()).unwrap();
    let backlog = again.take_backlog();
    assert_eq!(backlog.alerts, vec![alert.clone()]);
    assert!(backlog.delivered.contains(&(alert.id, "ops".to_string())));
    assert!(again.take_backlog().alerts.is_empty(), "taken once");
}
