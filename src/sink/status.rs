//! Whether the sink is getting records out: what `/healthz` reads.
//!
//! A sink never drops a record, so a broker that is gone does not show as
//! errors: `send` just keeps waiting and retrying. What shows is time: the
//! sink has had something to deliver (a send in flight, or a send that
//! failed and will be repeated by the next poll) and no delivery succeeded
//! since. [`SinkStatus::stuck`] says when that has lasted longer than a
//! bound. Time is tokio's, so tests drive it with the paused clock.
//!
//! The broker's side is kept here too: the Kafka sink's client context
//! reports librdkafka's errors ([`SinkStatus::broker_error`]) and clears
//! them once a broker connection is up again or a delivery got through, so
//! the sink shows as down during an outage even while nothing waits.
//! Errors are counted by [`ErrorKind`], a closed set fit for a metric label.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

/// What kind of failure the sink met: few values, so it can label a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// No connection to a broker (refused, reset, name not resolved).
    Transport,
    /// A TLS handshake or certificate failed.
    Tls,
    /// The broker refused the credentials (SASL).
    Auth,
    /// Records were not acknowledged in time.
    Timeout,
    /// The JSONL file or the dead-letter file could not be written.
    Io,
    Other,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 6] = [
        ErrorKind::Transport,
        ErrorKind::Tls,
        ErrorKind::Auth,
        ErrorKind::Timeout,
        ErrorKind::Io,
        ErrorKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Transport => "transport",
            ErrorKind::Tls => "tls",
            ErrorKind::Auth => "auth",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Io => "io",
            ErrorKind::Other => "other",
        }
    }
}

/// Shared by the sink (which records) and the health endpoint (which reads).
#[derive(Clone, Default)]
pub struct SinkStatus(Arc<Mutex<Inner>>);

#[derive(Default)]
struct Inner {
    pending: usize,
    /// Since when something waits for delivery with no success since.
    waiting_since: Option<Instant>,
    last_success: Option<DateTime<Utc>>,
    last_error: Option<String>,
    /// What the brokers last reported, until a connection is up again.
    broker_error: Option<String>,
    errors: [u64; ErrorKind::ALL.len()],
}

/// The sink's state at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Sends in flight.
    pub pending: usize,
    /// How long something has waited for delivery without any success.
    pub waiting: Option<Duration>,
    pub last_success: Option<DateTime<Utc>>,
    /// The last failure, until a delivery succeeds again.
    pub last_error: Option<String>,
    /// What the brokers last reported, until one is reachable again.
    pub broker_error: Option<String>,
    /// Failures so far, by kind.
    pub errors: [(ErrorKind, u64); ErrorKind::ALL.len()],
}

impl Snapshot {
    /// Whether the sink can deliver, as far as it knows: no failed send
    /// since the last success and no broker error since one was reachable.
    pub fn up(&self) -> bool {
        self.last_error.is_none() && self.broker_error.is_none()
    }

    /// Why it cannot, if it cannot.
    pub fn reason(&self) -> Option<&str> {
        self.last_error.as_deref().or(self.broker_error.as_deref())
    }
}

impl SinkStatus {
    /// A send starts; the guard says how it ended.
    pub fn begin(&self) -> Pending<'_> {
        let mut s = self.lock();
        if s.waiting_since.is_none() {
            s.waiting_since = Some(Instant::now());
        }
        s.pending += 1;
        Pending {
            status: self,
            ended: false,
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let s = self.lock();
        Snapshot {
            pending: s.pending,
            waiting: s.waiting_since.map(|t| t.elapsed()),
            last_success: s.last_success,
            last_error: s.last_error.clone(),
            broker_error: s.broker_error.clone(),
            errors: ErrorKind::ALL.map(|k| (k, s.errors[k as usize])),
        }
    }

    /// The brokers reported a failure (librdkafka's error callback).
    pub fn broker_error(&self, kind: ErrorKind, message: &str) {
        let mut s = self.lock();
        s.broker_error = Some(message.to_string());
        s.errors[kind as usize] += 1;
    }

    /// A broker connection is up (librdkafka's statistics say so, or a
    /// delivery was acknowledged): earlier broker errors are over.
    pub fn broker_up(&self) {
        self.lock().broker_error = None;
    }

    /// Whether records have waited longer than `bound` with no delivery.
    pub fn stuck(&self, bound: Duration) -> bool {
        self.snapshot().waiting.is_some_and(|w| w >= bound)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The state is a few counters, consistent after every statement.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One send in flight. Dropped without an outcome (a send abandoned at
/// shutdown), it leaves the sink as waiting if anything else still is.
pub struct Pending<'a> {
    status: &'a SinkStatus,
    ended: bool,
}

impl Pending<'_> {
    pub fn succeeded(mut self) {
        self.ended = true;
        let mut s = self.status.lock();
        s.pending -= 1;
        s.last_success = Some(Utc::now());
        s.last_error = None;
        s.broker_error = None;
        // Sends still in flight are measured from this success on.
        s.waiting_since = (s.pending > 0).then(Instant::now);
    }

    /// The records were not delivered; the poll that sent them will send
    /// them again, so the sink stays waiting.
    pub fn failed(mut self, kind: ErrorKind, error: &str) {
        self.ended = true;
        let mut s = self.status.lock();
        s.pending -= 1;
        s.last_error = Some(error.to_string());
        s.errors[kind as usize] += 1;
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        let mut s = self.status.lock();
        s.pending -= 1;
        if s.pending == 0 && s.last_error.is_none() {
            s.waiting_since = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUND: Duration = Duration::from_secs(300);

    #[tokio::test(start_paused = true)]
    async fn a_send_that_hangs_past_the_bound_is_stuck_until_one_succeeds() {
        let status = SinkStatus::default();
        assert!(!status.stuck(BOUND));
        let hanging = status.begin();
        tokio::time::advance(Duration::from_secs(299)).await;
        assert!(!status.stuck(BOUND));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(status.stuck(BOUND));
        assert_eq!(status.snapshot().pending, 1);
        // Another send gets through: the sink works again.
        status.begin().succeeded();
        assert!(!status.stuck(BOUND));
        tokio::time::advance(BOUND).await;
        assert!(
            status.stuck(BOUND),
            "the hanging send is measured from the last success"
        );
        hanging.succeeded();
        assert!(!status.stuck(BOUND));
        assert_eq!(status.snapshot().waiting, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_send_keeps_the_sink_waiting_with_nothing_in_flight() {
        let status = SinkStatus::default();
        status.begin().failed(
            ErrorKind::Io,
            "jsonl sink /dev/full: No space left on device",
        );
        tokio::time::advance(BOUND).await;
        let s = status.snapshot();
        assert_eq!(s.pending, 0);
        assert!(status.stuck(BOUND));
        assert!(s.last_error.as_ref().unwrap().contains("No space"));
        assert!(!s.up());
        assert_eq!(s.errors[ErrorKind::Io as usize], (ErrorKind::Io, 1));
        status.begin().succeeded();
        assert!(!status.stuck(BOUND));
        assert_eq!(status.snapshot().last_error, None);
    }

    #[test]
    fn a_broker_error_makes_the_sink_down_until_a_broker_is_up_again() {
        let status = SinkStatus::default();
        assert!(status.snapshot().up());
        status.broker_error(ErrorKind::Transport, "1/1 brokers are down");
        status.broker_error(ErrorKind::Transport, "Connection refused");
        let s = status.snapshot();
        assert!(!s.up());
        assert_eq!(s.reason(), Some("Connection refused"));
        assert_eq!(s.errors[0], (ErrorKind::Transport, 2));
        status.broker_up();
        assert!(status.snapshot().up());
        assert_eq!(status.snapshot().errors[0].1, 2, "counts stay");
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_send_leaves_nothing_waiting() {
        let status = SinkStatus::default();
        drop(status.begin());
        tokio::time::advance(BOUND).await;
        assert!(!status.stuck(BOUND));
    }
}
