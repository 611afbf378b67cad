//! Whether the sink is getting records out: what `/healthz` reads.
//!
//! A sink never drops a record, so a broker that is gone does not show as
//! errors: `send` just keeps waiting and retrying. What shows is time: the
//! sink has had something to deliver (a send in flight, or a send that
//! failed and will be repeated by the next poll) and no delivery succeeded
//! since. [`SinkStatus::stuck`] says when that has lasted longer than a
//! bound. Time is tokio's, so tests drive it with the paused clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;

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
        }
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
        // Sends still in flight are measured from this success on.
        s.waiting_since = (s.pending > 0).then(Instant::now);
    }

    /// The records were not delivered; the poll that sent them will send
    /// them again, so the sink stays waiting.
    pub fn failed(mut self, error: &str) {
        self.ended = true;
        let mut s = self.status.lock();
        s.pending -= 1;
        s.last_error = Some(error.to_string());
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
        status
            .begin()
            .failed("jsonl sink /dev/full: No space left on device");
        tokio::time::advance(BOUND).await;
        let s = status.snapshot();
        assert_eq!(s.pending, 0);
        assert!(status.stuck(BOUND));
        assert!(s.last_error.unwrap().contains("No space"));
        status.begin().succeeded();
        assert!(!status.stuck(BOUND));
        assert_eq!(status.snapshot().last_error, None);
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_send_leaves_nothing_waiting() {
        let status = SinkStatus::default();
        drop(status.begin());
        tokio::time::advance(BOUND).await;
        assert!(!status.stuck(BOUND));
    }
}
