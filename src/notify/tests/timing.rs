//! The notifier's timing on tokio's paused clock, against the webhook
//! receiver: cooldowns, quiet hours, digests, the escalation chain, and a
//! slow channel that delays no other.
//!
//! A blocking task in progress keeps tokio from jumping its paused clock to
//! the next timer ([`Frozen`]), so the clock moves only when a test says
//! `advance`, never while a request is on the wire. Each message's time is
//! read from its signature (`t=`), which the notifier takes from its clock
//! when it sends: so every assertion on when something went is exact.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{channel, receiver_on, sender, Got};
use crate::notify::config::{Digest, NotifyConfig};
use crate::notify::run::{run, Backlog, Store};
use crate::notify::schedule::{Every, QuietHours};
use crate::notify::throttle::tests::alert;
use crate::route::decider::{Clock, Decided, Decider, Output};
use crate::route::records::{AlertKind, AlertRecord, StatusEvent, StatusKind};

/// Holds the paused clock still but for the test's own `advance`.
struct Frozen(Option<std::sync::mpsc::Sender<()>>);

fn freeze() -> Frozen {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    tokio::task::spawn_blocking(move || {
        let _ = rx.recv();
    });
    Frozen(Some(tx))
}

impl Drop for Frozen {
    fn drop(&mut self) {
        self.0.take();
    }
}

/// Lets the notifier's tasks take in what was sent to them. No I/O is
/// involved and the clock is still, so a few turns of the single-threaded
/// scheduler are enough, whatever the machine's speed.
async fn settle() {
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
}

/// Moves the clock to just past `t`: tokio's timers fire on the first
/// millisecond tick after their deadline. Signature times are whole
/// seconds, so they still read `t`.
async fn advance_to(clock: &Clock, t: DateTime<Utc>) {
    let t = t + TimeDelta::milliseconds(1);
    let ahead = (t - clock.now()).to_std().expect("forward in time");
    tokio::time::advance(ahead).await;
    settle().await;
}

/// When the notifier sent a message: its signature's time.
fn sent_at(got: &Got) -> DateTime<Utc> {
    let sig = got.1["x-earshot-signature"].to_str().unwrap();
    let t = sig
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .unwrap()
        .parse()
        .unwrap();
    DateTime::from_timestamp(t, 0).unwrap()
}

/// The next thing `rx` gets. The paused clock stands still while the
/// test waits, so a fact that never comes would hang the test: after half
/// a minute of real time it fails instead.
async fn next<T>(rx: &mut mpsc::UnboundedReceiver<T>) -> T {
    let (tx, give_up) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(30));
        let _ = tx.send(());
    });
    tokio::select! {
        got = rx.recv() => got.expect("the sender is alive"),
        _ = give_up => panic!("nothing came in 30 s of real time"),
    }
}

fn ids(got: &Got) -> Vec<String> {
    got.2["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

/// Counts deliveries, so a test can wait for them.
struct Count(mpsc::UnboundedSender<(String, Vec<String>)>);

impl Store for Count {
    fn delivered(&self, ids: &[String], channel: &str) -> Result<(), String> {
        let _ = self.0.send((channel.to_string(), ids.to_vec()));
        Ok(())
    }
}

struct Notifier {
    clock: Clock,
    receiver: Arc<super::Receiver>,
    /// (channel, alert ids) of each delivery recorded.
    recorded: mpsc::UnboundedReceiver<(String, Vec<String>)>,
    alerts: mpsc::UnboundedSender<AlertRecord>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    _frozen: Frozen,
}

impl Notifier {
    async fn send(&self, mut a: AlertRecord) {
        a.at = self.clock.now();
        self.alerts.send(a).unwrap();
        settle().await;
    }

    async fn stop(self) {
        self.stop.cancel();
        self.task.await.unwrap();
    }
}

/// A webhook receiver and a notifier on `channels` (built on its URL),
/// both on the paused clock.
async fn start(
    channels: impl FnOnce(&str, DateTime<Utc>) -> NotifyConfig,
) -> (Notifier, mpsc::UnboundedReceiver<Got>) {
    let frozen = freeze();
    let clock = Clock::start();
    // Whole seconds, so that signature times compare exactly.
    let nanos = clock.now().timestamp_subsec_nanos();
    tokio::time::advance(Duration::from_nanos(1_000_000_000 - u64::from(nanos))).await;
    let (base, receiver, got) = receiver_on(0, Some(clock)).await;
    let (tx, rx) = mpsc::unbounded_channel();
    let (count, recorded) = mpsc::unbounded_channel();
    let stop = CancellationToken::new();
    let task = tokio::spawn(run(
        channels(&base, clock.now()),
        sender(),
        Backlog::default(),
        rx,
        Arc::new(Count(count)),
        clock,
        stop.clone(),
    ));
    let n = Notifier {
        clock,
        receiver,
        recorded,
        alerts: tx,
        stop,
        task,
        _frozen: frozen,
    };
    (n, got)
}

#[tokio::test(start_paused = true)]
async fn a_cooldown_folds_what_comes_inside_it_into_the_next_message() {
    let (n, mut got) = start(|base, _| {
        let mut c = channel("ops", base, true);
        c.min_interval = Duration::from_secs(15 * 60);
        NotifyConfig { channels: vec![c] }
    })
    .await;
    let t0 = n.clock.now();
    n.send(alert("al_1", "Acme", AlertKind::Immediate)).await;
    let first = next(&mut got).await;
    assert_eq!((ids(&first), sent_at(&first)), (vec!["al_1".into()], t0));
    advance_to(&n.clock, t0 + TimeDelta::minutes(1)).await;
    n.send(alert("al_2", "Acme", AlertKind::Immediate)).await;
    advance_to(&n.clock, t0 + TimeDelta::minutes(5)).await;
    n.send(alert("al_3", "Acme", AlertKind::Deadline)).await;
    advance_to(
        &n.clock,
        t0 + TimeDelta::minutes(15) - TimeDelta::seconds(1),
    )
    .await;
    advance_to(&n.clock, t0 + TimeDelta::minutes(15)).await;
    let second = next(&mut got).await;
    assert_eq!(ids(&second), ["al_2", "al_3"]);
    assert_eq!(sent_at(&second), t0 + TimeDelta::minutes(15));
    assert_eq!(second.2["folded"], 1);
    n.stop().await;
    assert!(got.try_recv().is_err(), "two messages for three alerts");
}

#[tokio::test(start_paused = true)]
async fn the_end_of_quiet_hours_releases_what_they_held_and_urgent_goes_at_once() {
    // A zone without summer time, so that two hours of local time are two
    // hours whatever the day (the change of clock is the unit tests').
    let india: chrono_tz::Tz = "Asia/Kolkata".parse().unwrap();
    let (n, mut got) = start(|base, now| {
        // Quiet from this minute, local to India, for two hours.
        let local = now.with_timezone(&india).time();
        let start = chrono::NaiveTime::from_hms_opt(
            chrono::Timelike::hour(&local),
            chrono::Timelike::minute(&local),
            0,
        )
        .unwrap();
        let mut c = channel("ops", base, true);
        c.quiet = Some(QuietHours {
            start,
            end: start + TimeDelta::hours(2),
            tz: india,
        });
        NotifyConfig { channels: vec![c] }
    })
    .await;
    let t0 = n.clock.now();
    let minute = t0.timestamp() - t0.timestamp().rem_euclid(60);
    let end = DateTime::from_timestamp(minute, 0).unwrap() + TimeDelta::hours(2);
    n.send(alert("al_quiet1", "Acme", AlertKind::Immediate))
        .await;
    advance_to(&n.clock, t0 + TimeDelta::minutes(10)).await;
    let mut management = alert("al_urgent", "Globex", AlertKind::Deadline);
    management.level = 2;
    n.send(management).await;
    let urgent = next(&mut got).await;
    assert_eq!(ids(&urgent), ["al_urgent"]);
    assert_eq!(sent_at(&urgent), t0 + TimeDelta::minutes(10));
    advance_to(&n.clock, t0 + TimeDelta::minutes(20)).await;
    n.send(alert("al_quiet2", "Acme", AlertKind::Deadline))
        .await;
    advance_to(&n.clock, end - TimeDelta::seconds(1)).await;
    advance_to(&n.clock, end).await;
    let held = next(&mut got).await;
    assert_eq!(ids(&held), ["al_quiet1", "al_quiet2"]);
    assert_eq!(sent_at(&held), end);
    n.stop().await;
    assert!(got.try_recv().is_err());
}

#[tokio::test(start_paused = true)]
async fn a_digest_goes_on_the_hour_with_its_queues_alerts() {
    let (n, mut got) = start(|base, _| {
        let mut c = channel("digest", base, true);
        c.digest = Some(Digest {
            every: Every::Period(Duration::from_secs(3600)),
            kinds: vec![AlertKind::Spike, AlertKind::Deadline],
        });
        NotifyConfig { channels: vec![c] }
    })
    .await;
    let t0 = n.clock.now();
    let hour = Every::Period(Duration::from_secs(3600)).next_after(t0);
    for (id, brand) in [("al_d1", "Acme"), ("al_d2", "Acme"), ("al_d3", "Globex")] {
        n.send(alert(id, brand, AlertKind::Deadline)).await;
    }
    // Not low priority here: its own message at once.
    n.send(alert("al_now", "Acme", AlertKind::Immediate)).await;
    let now = next(&mut got).await;
    assert_eq!((ids(&now), sent_at(&now)), (vec!["al_now".into()], t0));
    advance_to(&n.clock, hour - TimeDelta::seconds(1)).await;
    advance_to(&n.clock, hour).await;
    let digest = next(&mut got).await;
    assert_eq!(sent_at(&digest), hour);
    assert_eq!(ids(&digest), ["al_d1", "al_d2", "al_d3"]);
    let d = &digest.2["digest"];
    assert_eq!(d["queue"], "support");
    assert_eq!(d["count"], 3);
    assert_eq!(d["by_brand"]["Acme"], 2);
    assert_eq!(d["by_kind"]["deadline"], 3);
    assert!(
        digest.2["summary"]
            .as_str()
            .unwrap()
            .starts_with("Digest: 3 alerts in queue support"),
        "{}",
        digest.2
    );
    // The next alert waits for the next hour.
    advance_to(&n.clock, hour + TimeDelta::minutes(5)).await;
    n.send(alert("al_d4", "Acme", AlertKind::Spike)).await;
    advance_to(&n.clock, hour + TimeDelta::hours(1)).await;
    let next = next(&mut got).await;
    assert_eq!(
        (ids(&next), sent_at(&next)),
        (vec!["al_d4".into()], hour + TimeDelta::hours(1))
    );
    n.stop().await;
}

fn route() -> crate::route::config::RouteConfig {
    let text = r#"
default_queue = "support"
[[queues]]
name = "support"
deadline = "4h"
escalate_after = "2h"
"#;
    crate::route::config::validate(toml::from_str(text).unwrap()).unwrap()
}

fn feedback(id: &str) -> crate::record::FeedbackRecord {
    let mut fb = crate::route::records::tests::feedback();
    fb.id = id.into();
    fb
}

/// Ticks the decider at `t` and hands its alerts to the notifier.
async fn tick(d: &mut Decider, n: &Notifier, t: DateTime<Utc>) {
    advance_to(&n.clock, t).await;
    let mut out = Output::default();
    d.tick(n.clock.now(), &mut out);
    for x in out.decided {
        if let Decided::Alert(a) = x {
            n.alerts.send(a).unwrap();
        }
    }
    settle().await;
}

#[tokio::test(start_paused = true)]
async fn the_escalation_chain_reaches_management_only_after_the_second_deadline() {
    let (n, mut got) = start(|base, _| {
        let mut owner = channel("owner", base, true);
        owner.filter.levels = vec![1];
        let mut management = channel("management", base, true);
        management.filter.levels = vec![2];
        NotifyConfig {
            channels: vec![owner, management],
        }
    })
    .await;
    let mut d = Decider::new(route());
    let t0 = n.clock.now();
    let mut out = Output::default();
    d.feedback(feedback("fb_stalled"), 0, t0, &mut out);
    d.feedback(feedback("fb_acked"), 0, t0, &mut out);
    let first = t0 + TimeDelta::hours(4);
    let second = first + TimeDelta::hours(2);
    assert_eq!(d.deadlines.next_due(), Some(first));

    tick(&mut d, &n, first - TimeDelta::seconds(1)).await;
    tick(&mut d, &n, first).await;
    let mut owners = vec![next(&mut got).await, next(&mut got).await];
    owners.sort_by_key(|g| g.2["alerts"][0]["feedback_id"].to_string());
    for g in &owners {
        assert_eq!(g.2["channel"], "owner");
        assert_eq!(sent_at(g), first);
        assert_eq!(g.2["alerts"][0].get("level"), None, "level 1");
    }
    // The owner acknowledges one of the two in time.
    let mut ack = Output::default();
    let ev = StatusEvent {
        feedback_id: "fb_acked".into(),
        status: StatusKind::Acknowledged,
        at: first + TimeDelta::minutes(30),
        by: Some("lead@acme.example".into()),
        note: None,
    };
    d.status(ev, 0, &mut ack);

    tick(&mut d, &n, second - TimeDelta::seconds(1)).await;
    assert_eq!(d.deadlines.next_due(), Some(second));
    tick(&mut d, &n, second).await;
    let up = next(&mut got).await;
    assert_eq!(up.2["channel"], "management");
    assert_eq!(sent_at(&up), second);
    assert_eq!(up.2["alerts"][0]["level"], 2);
    assert_eq!(up.2["alerts"][0]["feedback_id"], "fb_stalled");
    assert_eq!(d.deadlines.next_due(), None, "the chain ends at level 2");
    n.stop().await;
    assert!(
        got.try_recv().is_err(),
        "the acknowledged one stays with its owner"
    );
}

/// A channel that hangs holds up its own lane only: the other channel's
/// message goes, and is recorded, while the first is still on the wire.
#[tokio::test(start_paused = true)]
async fn a_channel_that_hangs_delays_no_other() {
    let (mut n, mut got) = start(|base, _| {
        let mut slow = channel("slow", base, false);
        slow.kind = crate::notify::config::ChannelKind::Slack {
            url: crate::notify::config::Secret::new(format!("{base}/slow")),
        };
        let fast = channel("fast", base, true);
        NotifyConfig {
            channels: vec![slow, fast],
        }
    })
    .await;
    n.send(alert("al_1", "Acme", AlertKind::Immediate)).await;
    let first = next(&mut got).await;
    assert_eq!(first.0, "/hook", "the fast channel's, first");
    assert_eq!(
        next(&mut n.recorded).await,
        ("fast".into(), vec!["al_1".into()])
    );
    // A second alert too, while the slow channel still has the first.
    n.send(alert("al_2", "Acme", AlertKind::Immediate)).await;
    assert_eq!(next(&mut got).await.0, "/hook");
    assert_eq!(next(&mut n.recorded).await.0, "fast");
    assert!(
        n.recorded.try_recv().is_err(),
        "the slow channel accepted nothing yet"
    );
    n.receiver.slow.add_permits(2);
    for want in ["al_1", "al_2"] {
        let g = next(&mut got).await;
        assert_eq!(g.0, "/slow");
        assert!(
            g.2["text"]
                .as_str()
                .unwrap()
                .contains(&format!("Alert {want}.")),
            "{}",
            g.2
        );
        assert_eq!(
            next(&mut n.recorded).await,
            ("slow".into(), vec![want.to_string()])
        );
    }
    n.stop().await;
}
