//! Read-ahead: how much may be fetched and not yet delivered.
//!
//! Fetching is I/O and parsing is CPU: a backfill of many sources fetches
//! much faster than the cores parse (files at once, the web many at a
//! time), and every document fetched early waits in memory for its turn;
//! once parsed, its items, and the records made of them, wait again for
//! the sink and the state commit. At 1,600 feeds that was the whole
//! corpus, tens of megabytes, and peak memory grew with the number of
//! sources. A fetch starts only while the documents whose polls are not
//! yet delivered, and those being fetched, come to less than [`LIMIT`]
//! (a document's size stands for what its poll holds). A fetch's size is
//! known only once it is read, so one under way counts as a typical
//! document (the recent ones' mean) until then: without that, a few
//! hundred file reads admitted at once, before any had a size, all went
//! ahead.
//!
//! A poll must not wait for a second fetch while it holds the first's
//! share, or polls doing the same could hold all of it and wait on each
//! other: a page whose links lead to several feeds releases each feed's
//! share once it is parsed.
//!
//! The bound belongs to the [`super::http::HttpClient`] that fetches, one
//! per pipeline, shared by its clones.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// Enough documents to keep every core busy while the next ones come and
/// the last ones' records reach the sink: about two dozen typical feeds.
/// A backfill of 1,600 feeds ran as fast with 2 MiB as with 4 MiB, on one
/// core and on two, and its peak RSS was about 3 MB lower.
pub const LIMIT: usize = 2 << 20;

#[derive(Debug)]
pub struct ReadAhead {
    /// Bytes fetched and not yet delivered, plus what the fetches under
    /// way reserved.
    waiting_bytes: AtomicUsize,
    /// What a fetch under way reserves: a running mean of documents' sizes.
    typical: AtomicUsize,
    limit: usize,
    freed: Notify,
}

/// Leave to fetch one document, holding `reserved` bytes of the limit.
pub struct Ticket {
    ahead: Arc<ReadAhead>,
    reserved: usize,
}

/// A fetched document's bytes, counted until its poll is delivered (see
/// [`super::Poll::held`]).
#[derive(Debug)]
pub struct Held {
    ahead: Arc<ReadAhead>,
    bytes: usize,
}

/// Bounds on what a fetch under way reserves, whatever the recent sizes:
/// tiny documents must not let thousands of fetches start at once, nor one
/// huge one stall the rest.
const RESERVE_MIN: usize = 16 << 10;
const RESERVE_MAX: usize = 1 << 20;

impl ReadAhead {
    pub fn new(limit: usize) -> ReadAhead {
        ReadAhead {
            waiting_bytes: AtomicUsize::new(0),
            typical: AtomicUsize::new(64 << 10),
            limit,
            freed: Notify::new(),
        }
    }

    /// Bytes fetched and not yet delivered, and reserved by fetches under
    /// way.
    pub fn waiting(&self) -> usize {
        self.waiting_bytes.load(Ordering::Acquire)
    }

    /// Waits until a fetch may start; see [`Ticket::hold`].
    pub async fn admit(self: &Arc<Self>) -> Ticket {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the check, so a release between the check
            // and the wait still wakes this one.
            freed.as_mut().enable();
            if let Some(ticket) = self.try_admit() {
                return ticket;
            }
            freed.await;
        }
    }

    /// Reserves a typical document's bytes if the limit has room.
    fn try_admit(self: &Arc<Self>) -> Option<Ticket> {
        let reserved = self
            .typical
            .load(Ordering::Relaxed)
            .clamp(RESERVE_MIN, RESERVE_MAX);
        self.waiting_bytes
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |w| {
                (w < self.limit).then_some(w + reserved)
            })
            .ok()
            .map(|_| Ticket {
                ahead: self.clone(),
                reserved,
            })
    }

    fn release(&self, bytes: usize) {
        self.waiting_bytes.fetch_sub(bytes, Ordering::AcqRel);
        self.freed.notify_waiters();
    }
}

impl Ticket {
    /// Counts `bytes` fetched, in place of the reservation, until the
    /// returned guard is dropped.
    pub fn hold(mut self, bytes: usize) -> Held {
        let ahead = self.ahead.clone();
        ahead.waiting_bytes.fetch_add(bytes, Ordering::AcqRel);
        ahead.release(std::mem::take(&mut self.reserved));
        // A mean over the last eight or so; races only blur it.
        let typical = ahead.typical.load(Ordering::Relaxed);
        ahead
            .typical
            .store(typical - typical / 8 + bytes / 8, Ordering::Relaxed);
        Held { ahead, bytes }
    }
}

/// A fetch that failed or answered 304 gives its reservation back.
impl Drop for Ticket {
    fn drop(&mut self) {
        if self.reserved > 0 {
            self.ahead.release(self.reserved);
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.ahead.release(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn no_fetch_starts_while_the_documents_waiting_reach_the_limit() {
        let ahead = Arc::new(ReadAhead::new(100));
        let first = ahead.admit().await.hold(60);
        // Under the limit: the next fetch starts, and may overshoot it.
        let second = ahead.admit().await.hold(60);
        let third = tokio::spawn({
            let ahead = ahead.clone();
            async move { ahead.admit().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!third.is_finished(), "120 bytes wait: no third fetch");
        drop(first);
        let third = tokio::time::timeout(Duration::from_secs(5), third)
            .await
            .expect("a parse made room")
            .unwrap();
        drop((second, third.hold(0)));
        assert_eq!(ahead.waiting(), 0);
    }

    #[tokio::test]
    async fn fetches_under_way_count_before_their_size_is_known() {
        // Room for three typical documents (64 KiB before any was seen).
        let ahead = Arc::new(ReadAhead::new(3 * (64 << 10)));
        let under_way: Vec<Ticket> = vec![
            ahead.admit().await,
            ahead.admit().await,
            ahead.admit().await,
        ];
        let fourth = tokio::spawn({
            let ahead = ahead.clone();
            async move { ahead.admit().await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !fourth.is_finished(),
            "three fetches under way fill the limit before any is read"
        );
        // A fetch that failed gives its share back.
        drop(under_way);
        let fourth = tokio::time::timeout(Duration::from_secs(5), fourth)
            .await
            .expect("the failed fetches made room")
            .unwrap();
        // Read, a document counts at its size, not at the reservation.
        let held = fourth.hold(10);
        assert_eq!(ahead.waiting(), 10);
        drop(held);
        assert_eq!(ahead.waiting(), 0);
    }
}
