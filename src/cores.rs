//! One CPU-bound job per core at a time, process-wide.
//!
//! Parsing a document and classifying a poll's items run on tokio's
//! blocking pool, which grows to hundreds of threads when hundreds of polls
//! are under way (a backfill of many feeds starts them all at once). More
//! jobs than cores add no speed; each extra thread holds its stack, a
//! malloc arena and the document it works on, so memory grows with the
//! number of sources. Jobs wait for a slot here, as tasks.

use std::sync::LazyLock;

use tokio::sync::{Semaphore, SemaphorePermit};

static SLOTS: LazyLock<Semaphore> = LazyLock::new(|| {
    // Honours CPU affinity and cgroup limits (`taskset`, containers).
    Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// Waits for a core; the job holds the permit while it runs.
pub async fn slot() -> SemaphorePermit<'static> {
    SLOTS
        .acquire()
        .await
        .expect("the semaphore is never closed")
}
