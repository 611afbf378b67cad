//! A day of a busy brand's alerts through one channel's throttle: every
//! alert leaves exactly once, nothing but urgent leaves in quiet hours, the
//! cooldown holds, digests go on the hour. Prints the figures (run with
//! `--nocapture` to see them): raw alerts, messages sent, and a digest.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Timelike, Utc};

use super::channel;
use crate::notify::config::Digest;
use crate::notify::schedule::{time_of_day, urgent, Every, QuietHours};
use crate::notify::throttle::tests::alert;
use crate::notify::throttle::{Message, Throttle};
use crate::route::records::{AlertKind, AlertRecord};

fn day() -> Vec<AlertRecord> {
    let start: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
    let mut out = Vec::new();
    let mut push = |id: String, kind, queue: Option<&str>, minute: i64, level| {
        let mut a = alert(&id, "Acme", kind);
        a.at = start + TimeDelta::minutes(minute);
        a.queue = queue.map(str::to_string);
        a.level = level;
        a.reason = match (kind, level) {
            (AlertKind::Deadline, 1) => format!("Feedback {id} about Acme was not acknowledged in queue `support` by its deadline."),
            (AlertKind::Deadline, _) => format!("Feedback {id} about Acme was still not acknowledged by its second deadline; escalated to level 2."),
            (AlertKind::Immediate, _) => format!("Negative feedback {id} about Acme matched rule `loud-and-angry`, which escalates at once."),
            (AlertKind::Spike, _) => "Acme: mentions jumped to 3.4 times the baseline.".to_string(),
            (AlertKind::Disengagement, _) => format!("{id}: a regular turned negative about Acme."),
        };
        out.push(a);
    };
    for m in (3..1440).step_by(7) {
        push(
            format!("al_dl{m}"),
            AlertKind::Deadline,
            Some("support"),
            m,
            1,
        );
    }
    for m in (5..1440).step_by(23) {
        push(format!("al_im{m}"), AlertKind::Immediate, Some("pr"), m, 1);
    }
    for m in [130, 545, 560, 800, 1010, 1300] {
        push(format!("al_sp{m}"), AlertKind::Spike, None, m, 1);
    }
    for m in [130, 780, 1410] {
        push(
            format!("al_l2{m}"),
            AlertKind::Deadline,
            Some("support"),
            m,
            2,
        );
    }
    out.sort_by_key(|a| a.at);
    out
}

#[test]
fn a_busy_day_in_one_channel_is_a_few_dozen_messages_and_loses_nothing() {
    let quiet = QuietHours {
        start: time_of_day("22:00").unwrap(),
        end: time_of_day("07:00").unwrap(),
        tz: "Europe/Berlin".parse().unwrap(),
    };
    let mut c = channel("support", "http://127.0.0.1:1", false);
    c.min_interval = Duration::from_secs(15 * 60);
    c.quiet = Some(quiet.clone());
    c.digest = Some(Digest {
        every: Every::Period(Duration::from_secs(3600)),
        kinds: vec![AlertKind::Deadline, AlertKind::Spike],
    });
    let mut t = Throttle::new(&[c]);
    let alerts = day();
    let mut sent: Vec<(DateTime<Utc>, Message)> = Vec::new();
    // What is due goes at its own time, judged from the last event on.
    let mut now = alerts[0].at;
    let drain = |t: &mut Throttle, now: &mut DateTime<Utc>, until, sent: &mut Vec<_>| {
        while let Some(at) = t.next_due(*now).filter(|at| *at <= until) {
            sent.extend(t.due(at).into_iter().map(|m| (at, m)));
            *now = at;
        }
        *now = until;
    };
    for a in &alerts {
        drain(&mut t, &mut now, a.at, &mut sent);
        sent.extend(t.offer(0, a.clone(), a.at).map(|m| (a.at, m)));
    }
    let end: DateTime<Utc> = "2026-12-03T00:00:00Z".parse().unwrap();
    drain(&mut t, &mut now, end, &mut sent);
    assert_eq!(t.next_due(end), None, "everything left");

    // Exactly once each.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (_, m) in &sent {
        for a in &m.alerts {
            *seen.entry(a.id.as_str()).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), alerts.len());
    assert!(seen.values().all(|n| *n == 1));
    let mut last_plain: Option<DateTime<Utc>> = None;
    for (at, m) in &sent {
        let is_urgent = m.alerts.iter().any(urgent);
        assert!(
            is_urgent || !quiet.contains(*at),
            "{at}: not urgent, in quiet hours"
        );
        match &m.digest {
            Some(_) => assert_eq!((at.minute(), at.second()), (0, 0), "{at}"),
            None if !is_urgent => {
                if let Some(l) = last_plain {
                    assert!(*at - l >= TimeDelta::minutes(15), "{at} after {l}");
                }
                last_plain = Some(*at);
            }
            None => last_plain = Some(*at),
        }
    }
    let digests: Vec<&Message> = sent
        .iter()
        .filter_map(|(_, m)| m.digest.as_ref().map(|_| m))
        .collect();
    let busiest = digests.iter().max_by_key(|m| m.alerts.len()).unwrap();
    println!(
        "One day of Acme's alerts in one channel: {} raw alerts, {} messages ({} digests, {} urgent at once).",
        alerts.len(),
        sent.len(),
        digests.len(),
        sent.iter().filter(|(_, m)| m.alerts.iter().any(urgent)).count(),
    );
    println!(
        "The busiest digest:\n{}",
        crate::notify::digest::plain(busiest)
    );
    assert!(sent.len() * 4 < alerts.len(), "{} messages", sent.len());
}
