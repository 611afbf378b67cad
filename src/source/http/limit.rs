//! Per-host holds: when each host may be called again.
//!
//! A host's budget is shared by every source that calls it, so one
//! [`Limiter`] lives in the one shared client. Holds come from rate-limit
//! headers and `Retry-After`, already clamped by [`super::headers`]; the
//! arithmetic on `Instant` is checked all the same.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Longest wait a rate-limit header may impose on a host, whatever it
/// says: a garbled reset time must not park a source for days.
pub const MAX_HOLD: Duration = Duration::from_secs(3600);

/// When each host may be called again. Shared by every source.
#[derive(Clone, Default)]
pub struct Limiter {
    hosts: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Limiter {
    /// Holds back calls to `host` for `wait` from now (a longer hold
    /// already in place stays).
    pub fn hold(&self, host: &str, wait: Duration) {
        let now = Instant::now();
        let until = now.checked_add(wait.min(MAX_HOLD)).unwrap_or(now);
        let mut hosts = self.hosts.lock().expect("limiter poisoned");
        let at = hosts.entry(host.to_string()).or_insert(until);
        *at = (*at).max(until);
    }

    /// Waits until `host` may be called.
    pub async fn ready(&self, host: &str) {
        loop {
            let until = self
                .hosts
                .lock()
                .expect("limiter poisoned")
                .get(host)
                .copied();
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_held_host_waits_exactly_as_long_as_it_was_told() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        limiter.ready("a.example").await;
        assert_eq!(t0.elapsed(), Duration::ZERO);
        limiter.hold("a.example", Duration::from_secs(30));
        // A shorter hold does not cut the longer one short.
        limiter.hold("a.example", Duration::from_secs(5));
        limiter.ready("b.example").await;
        assert_eq!(t0.elapsed(), Duration::ZERO, "other hosts are not held");
        limiter.ready("a.example").await;
        assert_eq!(t0.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn an_absurd_hold_is_cut_to_the_cap_without_overflow() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        limiter.hold("a.example", Duration::MAX);
        limiter.ready("a.example").await;
        assert_eq!(t0.elapsed(), MAX_HOLD);
    }
}
