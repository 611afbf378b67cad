//! Read-ahead: how much may be fetched and wait, unparsed, for a core.
//!
//! Fetching is I/O and parsing is CPU: a backfill of many sources fetches
//! much faster than the cores parse (files at once, the web many at a
//! time), and every document fetched early waits in memory for its turn.
//! At 1,600 feeds that was the whole corpus, tens of megabytes, and peak
//! memory grew with the number of sources. A fetch starts only while the
//! documents waiting come to less than [`LIMIT`]; one already under way
//! finishes (its size is known only once fetched), so the bound is the
//! limit plus what the fetches in flight bring.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Notify;

/// Enough documents to keep every core parsing while the next ones come.
pub const LIMIT: usize = 8 << 20;

static AHEAD: ReadAhead = ReadAhead::new(LIMIT);

/// Waits until a fetch may start; see [`Ticket::hold`].
pub async fn admit() -> Ticket {
    AHEAD.admit().await
}

pub struct ReadAhead {
    waiting_bytes: AtomicUsize,
    limit: usize,
    freed: Notify,
}

/// Leave to fetch one document.
pub struct Ticket {
    ahead: &'static ReadAhead,
}

/// A fetched document's bytes, counted until it is parsed (dropped).
pub struct Held {
    ahead: &'static ReadAhead,
    bytes: usize,
}

impl ReadAhead {
    pub const fn new(limit: usize) -> ReadAhead {
        ReadAhead {
            waiting_bytes: AtomicUsize::new(0),
            limit,
            freed: Notify::const_new(),
        }
    }

    pub async fn admit(&'static self) -> Ticket {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the check, so a release between the check
            // and the wait still wakes this one.
            freed.as_mut().enable();
            if self.waiting_bytes.load(Ordering::Acquire) < self.limit {
                return Ticket { ahead: self };
            }
            freed.await;
        }
    }
}

impl Ticket {
    /// Counts `bytes` fetched until the returned guard is dropped.
    pub fn hold(self, bytes: usize) -> Held {
        self.ahead.waiting_bytes.fetch_add(bytes, Ordering::AcqRel);
        Held {
            ahead: self.ahead,
            bytes,
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.ahead
            .waiting_bytes
            .fetch_sub(self.bytes, Ordering::AcqRel);
        self.ahead.freed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn no_fetch_starts_while_the_documents_waiting_reach_the_limit() {
        let ahead: &'static ReadAhead = Box::leak(Box::new(ReadAhead::new(100)));
        let first = ahead.admit().await.hold(60);
        // Under the limit: the next fetch starts, and may overshoot it.
        let second = ahead.admit().await.hold(60);
        let third = tokio::spawn(ahead.admit());
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!third.is_finished(), "120 bytes wait: no third fetch");
        drop(first);
        let third = tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .expect("a parse made room")
            .unwrap();
        drop((second, third.hold(0)));
        assert_eq!(ahead.waiting_bytes.load(Ordering::Acquire), 0);
    }
}
