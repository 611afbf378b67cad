//! What `/healthz` says: each source's state, and whether the sink is stuck.
//!
//! Sources are reported, not judged: a feed that keeps failing is the feed's
//! problem, and restarting earshot would not mend it, so it never makes the
//! process unhealthy. The sink is judged: when records have waited longer
//! than `sink.stuck_after` with no successful delivery, nothing earshot reads
//! gets anywhere, and `/healthz` answers 503 so that an orchestrator can see
//! it (and restart, or page someone). Before that bound the sink is reported
//! `down` when it knows it cannot deliver (a failed send, or the brokers
//! unreachable even while nothing waits), with the reason, and `/healthz`
//! still answers 200: a broker outage of a minute should not restart every
//! pod, and restarting would not bring the broker back.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::sink::status::SinkStatus;

/// What a source is doing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceState {
    /// Not polled yet.
    #[default]
    Starting,
    /// The last poll (or stream batch) was delivered.
    Ok,
    /// The last poll failed; it is retried with backoff.
    Failing,
    /// Its task panicked and is being restarted with backoff.
    Restarting,
    /// Not polled any more (HTTP 410 Gone): see `stopped_reason`.
    Stopped,
}

/// One source in `/healthz`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SourceHealth {
    pub state: SourceState,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub consecutive_failures: u32,
    /// Times its task was restarted after a panic.
    pub restarts: u32,
    /// When it is polled next, once known.
    pub next_poll: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_reason: Option<String>,
}

/// The sink in `/healthz`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SinkHealth {
    /// `ok`; `down` when it knows it cannot deliver (see `last_error`);
    /// `stuck` once records waited past the bound (served with 503).
    pub status: &'static str,
    /// Sends in flight.
    pub pending: usize,
    /// How long records have waited with no successful delivery.
    pub waiting_seconds: Option<f64>,
    pub stuck_after_seconds: f64,
    pub last_success: Option<DateTime<Utc>>,
    /// Why it is down: the last failed send or the brokers' last error.
    pub last_error: Option<String>,
}

impl SinkHealth {
    /// The sink as seen now; `stuck` once records waited `stuck_after`.
    pub fn of(s: crate::sink::status::Snapshot, stuck_after: Duration) -> SinkHealth {
        let stuck = s.waiting.is_some_and(|w| w >= stuck_after);
        SinkHealth {
            status: match (stuck, s.up()) {
                (true, _) => "stuck",
                (false, false) => "down",
                (false, true) => "ok",
            },
            pending: s.pending,
            waiting_seconds: s.waiting.map(|w| w.as_secs_f64()),
            stuck_after_seconds: stuck_after.as_secs_f64(),
            last_error: s.reason().map(str::to_string),
            last_success: s.last_success,
        }
    }

    pub fn stuck(&self) -> bool {
        self.status == "stuck"
    }
}

/// The whole `/healthz` document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// `ok`, or `unhealthy` (served with 503).
    pub status: &'static str,
    pub sink: SinkHealth,
    pub sources: BTreeMap<String, SourceHealth>,
}

impl Report {
    pub fn healthy(&self) -> bool {
        self.status == "ok"
    }
}

/// Shared by the source tasks (which record) and the endpoint (which reads).
#[derive(Clone)]
pub struct Health {
    sources: Arc<Mutex<BTreeMap<String, SourceHealth>>>,
    sink: SinkStatus,
    stuck_after: Duration,
}

impl Health {
    pub fn new<'a>(
        sources: impl IntoIterator<Item = &'a str>,
        sink: SinkStatus,
        stuck_after: Duration,
    ) -> Health {
        let sources = sources
            .into_iter()
            .map(|id| (id.to_string(), SourceHealth::default()))
            .collect();
        Health {
            sources: Arc::new(Mutex::new(sources)),
            sink,
            stuck_after,
        }
    }

    fn update(&self, source: &str, f: impl FnOnce(&mut SourceHealth)) {
        let mut m = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        let h = m.entry(source.to_string()).or_default();
        // A stopped source stays stopped, whatever a poll in flight reports.
        if h.state != SourceState::Stopped {
            f(h);
        }
    }

    pub fn succeeded(&self, source: &str) {
        self.update(source, |h| {
            h.state = SourceState::Ok;
            h.last_success = Some(Utc::now());
            h.consecutive_failures = 0;
        });
    }

    pub fn failed(&self, source: &str, error: &str) {
        self.update(source, |h| {
            h.state = SourceState::Failing;
            h.last_error = Some(error.to_string());
            h.consecutive_failures += 1;
        });
    }

    /// The source's task panicked (`error` is the panic's message).
    pub fn restarting(&self, source: &str, error: &str, at: DateTime<Utc>) {
        self.update(source, |h| {
            h.state = SourceState::Restarting;
            h.last_error = Some(error.to_string());
            h.consecutive_failures += 1;
            h.restarts += 1;
            h.next_poll = Some(at);
        });
    }

    pub fn next_poll(&self, source: &str, at: DateTime<Utc>) {
        self.update(source, |h| h.next_poll = Some(at));
    }

    pub fn stopped(&self, source: &str, reason: &str) {
        self.update(source, |h| {
            h.state = SourceState::Stopped;
            h.stopped_reason = Some(reason.to_string());
            h.next_poll = None;
        });
    }

    pub fn source(&self, id: &str) -> Option<SourceHealth> {
        let m = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        m.get(id).cloned()
    }

    /// The sink's state now.
    pub fn sink(&self) -> crate::sink::status::Snapshot {
        self.sink.snapshot()
    }

    pub fn report(&self) -> Report {
        let sink = SinkHealth::of(self.sink.snapshot(), self.stuck_after);
        Report {
            status: if sink.stuck() { "unhealthy" } else { "ok" },
            sink,
            sources: self
                .sources
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUND: Duration = Duration::from_secs(300);

    #[tokio::test(start_paused = true)]
    async fn a_stuck_sink_makes_the_report_unhealthy_and_failing_sources_do_not() {
        let sink = SinkStatus::default();
        let health = Health::new(["news", "down"], sink.clone(), BOUND);
        health.succeeded("news");
        health.failed("down", "http://x/feed: HTTP 500");
        health.failed("down", "http://x/feed: HTTP 500");
        let r = health.report();
        assert!(r.healthy(), "{r:?}");
        assert_eq!(r.sources["down"].consecutive_failures, 2);
        assert_eq!(r.sources["down"].state, SourceState::Failing);
        assert_eq!(r.sources["news"].state, SourceState::Ok);
        assert!(r.sources["news"].last_success.is_some());

        let hanging = sink.begin();
        tokio::time::advance(BOUND).await;
        let r = health.report();
        assert!(!r.healthy());
        assert_eq!(r.sink.status, "stuck");
        assert_eq!(r.sink.pending, 1);
        hanging.succeeded();
        assert!(health.report().healthy());
    }

    #[test]
    fn unreachable_brokers_make_the_sink_down_with_the_reason_but_not_unhealthy() {
        let sink = SinkStatus::default();
        let health = Health::new(["news"], sink.clone(), BOUND);
        sink.broker_error(
            crate::sink::status::ErrorKind::Transport,
            "127.0.0.1:9092/bootstrap: Connect to ipv4#127.0.0.1:9092 failed: Connection refused",
        );
        let r = health.report();
        assert!(r.healthy(), "nothing waits yet");
        assert_eq!(r.sink.status, "down");
        assert!(r.sink.last_error.unwrap().contains("Connection refused"));
        sink.broker_up();
        assert_eq!(health.report().sink.status, "ok");
    }

    #[test]
    fn a_stopped_source_stays_stopped() {
        let health = Health::new(["gone"], SinkStatus::default(), BOUND);
        health.stopped("gone", "HTTP 410 Gone: http://x/feed");
        health.succeeded("gone");
        let h = health.source("gone").unwrap();
        assert_eq!(h.state, SourceState::Stopped);
        let json = serde_json::to_value(health.report()).unwrap();
        assert_eq!(json["sources"]["gone"]["state"], "stopped");
        assert_eq!(json["status"], "ok");
    }
}
