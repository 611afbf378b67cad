use chrono::TimeDelta;

use super::*;
use crate::route::records::tests::{feedback, t};
use crate::route::records::Routing;

fn route() -> RouteConfig {
    let text = r#"
default_queue = "pm"
[[queues]]
name = "pm"
deadline = "4h"
[[queues]]
name = "support"
"#;
    crate::route::config::validate(toml::from_str(text).unwrap()).unwrap()
}

fn routed(id: &str, queue: &str, at: &str) -> Event {
    let mut fb = feedback();
    fb.id = id.into();
    let at = t(at);
    Event::Routed(RoutedRecord {
        feedback: fb,
        routing: Routing {
            queue: queue.into(),
            rule: None,
            routed_at: at,
            deadline: (queue == "pm").then(|| at + TimeDelta::hours(4)),
            escalated: false,
        },
    })
}

fn status(id: &str, s: StatusKind, at: &str) -> Event {
    Event::Status(StatusEvent {
        feedback_id: id.into(),
        status: s,
        at: t(at),
        by: Some("pat".into()),
        note: None,
    })
}

fn view(events: &[Event]) -> View {
    let mut v = View::new(&route());
    for e in events {
        v.apply(e);
    }
    v
}

#[test]
fn acknowledged_feedback_leaves_the_waiting_list_and_resolved_leaves_the_queue() {
    let now = t("2025-03-03T11:00:00Z");
    let mut v = view(&[
        routed("a", "pm", "2025-03-03T10:00:00Z"),
        routed("b", "pm", "2025-03-03T09:00:00Z"),
    ]);
    let s = v.summary("pm", now);
    assert_eq!((s.waiting, s.acknowledged), (2, 0));
    assert_eq!(s.oldest, Some(t("2025-03-03T09:00:00Z")), "oldest first");
    v.apply(&status(
        "b",
        StatusKind::Acknowledged,
        "2025-03-03T10:30:00Z",
    ));
    let s = v.summary("pm", now);
    assert_eq!((s.waiting, s.acknowledged), (1, 1));
    let acked = Filter {
        acknowledged: true,
        ..Filter::default()
    };
    assert_eq!(v.page("pm", &acked, 0, 10).cases[0].id(), "b");
    v.apply(&status("b", StatusKind::Resolved, "2025-03-03T10:40:00Z"));
    let s = v.summary("pm", now);
    assert_eq!((s.waiting, s.acknowledged), (1, 0));
    assert_eq!(v.case("b").unwrap().state, CaseState::Resolved);
    let kinds: Vec<&str> = v
        .case("b")
        .unwrap()
        .history
        .iter()
        .map(|h| match &h.what {
            HistoryKind::Routed { .. } => "routed",
            HistoryKind::Status {
                status: StatusKind::Acknowledged,
                ..
            } => "acknowledged",
            HistoryKind::Status {
                status: StatusKind::Resolved,
                ..
            } => "resolved",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["routed", "acknowledged", "resolved"]);
}

#[test]
fn a_reopened_case_comes_back_with_a_new_deadline_and_a_stale_status_is_ignored() {
    let mut v = view(&[
        routed("a", "pm", "2025-03-03T10:00:00Z"),
        status("a", StatusKind::Resolved, "2025-03-03T10:10:00Z"),
        status("a", StatusKind::Reopened, "2025-03-03T12:00:00Z"),
    ]);
    let c = v.case("a").unwrap();
    assert_eq!(c.state, CaseState::Open);
    assert_eq!(c.deadline, Some(t("2025-03-03T16:00:00Z")));
    assert!(!c.overdue(t("2025-03-03T15:59:00Z")));
    assert!(c.overdue(t("2025-03-03T16:00:00Z")));
    assert_eq!(v.summary("pm", t("2025-03-03T17:00:00Z")).overdue, 1);
    // An older event arriving late (another replica's replay) changes nothing.
    v.apply(&status(
        "a",
        StatusKind::Acknowledged,
        "2025-03-03T11:00:00Z",
    ));
    assert_eq!(v.case("a").unwrap().state, CaseState::Open);
}

#[test]
fn listings_filter_and_page_oldest_first() {
    let mut events = Vec::new();
    for i in 0..25 {
        events.push(routed(
            &format!("fb{i:02}"),
            "support",
            &format!("2025-03-03T10:{i:02}:00Z"),
        ));
    }
    let mut v = view(&events);
    let mut other = feedback();
    other.id = "globex".into();
    other.brand = "Globex".into();
    other.intents.clear();
    other.priority = Priority::Low;
    v.apply(&Event::Routed(RoutedRecord {
        feedback: other,
        routing: Routing {
            queue: "support".into(),
            rule: None,
            routed_at: t("2025-03-03T09:00:00Z"),
            deadline: None,
            escalated: false,
        },
    }));
    let all = Filter::default();
    let p = v.page("support", &all, 10, 10);
    assert_eq!(p.total, 26);
    assert_eq!(p.cases[0].id(), "fb09");
    assert_eq!(v.page("support", &all, 0, 10).cases[0].id(), "globex");
    let acme = Filter {
        brand: Some("acme".into()),
        ..Filter::default()
    };
    assert_eq!(v.page("support", &acme, 0, 100).total, 25);
    let churn = Filter {
        intent: Some(crate::classify::intent::Intent::ChurnRisk),
        priority: Some(Priority::High),
        ..Filter::default()
    };
    let p = v.page("support", &churn, 20, 10);
    assert_eq!((p.total, p.cases.len()), (25, 5));
}

#[test]
fn brand_figures_count_mentions_per_hour_with_their_negative_share() {
    let v = view(&[
        routed("a", "pm", "2025-03-03T10:00:00Z"),
        routed("b", "pm", "2025-03-03T10:05:00Z"),
    ]);
    let (name, s) = v.brand("ACME").unwrap();
    assert_eq!(name, "Acme");
    // Both were published at 09:58.
    let series = s.series(
        t("2025-03-03T08:00:00Z"),
        t("2025-03-03T10:00:00Z"),
        TimeDelta::hours(1),
    );
    let counts: Vec<u32> = series.iter().map(|(_, b)| b.mentions).collect();
    assert_eq!(counts, [0, 2, 0]);
    assert_eq!(series[1].1.negative_share(), 1.0);
    assert_eq!(s.top_products(3), [("Acme Cloud", 2)]);
    assert_eq!(s.top_intents(1), [("churn_risk", 2)]);
}

#[test]
fn a_status_arriving_before_its_feedback_is_applied_when_it_is_routed() {
    let v = view(&[
        status("a", StatusKind::Acknowledged, "2025-03-03T10:30:00Z"),
        routed("a", "pm", "2025-03-03T10:00:00Z"),
    ]);
    assert_eq!(v.case("a").unwrap().state, CaseState::Acknowledged);
    assert_eq!(v.summary("pm", t("2025-03-03T11:00:00Z")).waiting, 0);
}
