//! One CPU-bound job per core at a time, process-wide, later stages first.
//!
//! Parsing a document and classifying a poll's items run on tokio's
//! blocking pool, which grows to hundreds of threads when hundreds of polls
//! are under way (a backfill of many feeds starts them all at once). More
//! jobs than cores add no speed; each extra thread holds its stack, a
//! malloc arena and the document it works on, so memory grows with the
//! number of sources. Jobs wait for a slot here, as tasks.
//!
//! A waiting job of a later stage goes first: a poll's classification
//! before another poll's parse. In arrival order, a backfill that fetched
//! hundreds of documents at once parsed every one of them, and held all
//! their items, before it classified the first; then every poll reached
//! the sink and the state commit together, at the end, while the cores
//! idled. Later stages first, polls flow through one after another: few
//! parsed items wait at any time, and delivery overlaps the cores' work.
//! No stage starves: a classification exists only for a poll already
//! parsed.

use std::collections::VecDeque;
use std::sync::{LazyLock, Mutex};

use tokio::sync::oneshot;

/// The stages that take a core, earliest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Parsing a fetched document.
    Parse = 0,
    /// Classifying a poll's items.
    Classify = 1,
}

const STAGES: usize = 2;

static CORES: LazyLock<Gate> = LazyLock::new(|| {
    // Honours CPU affinity and cgroup limits (`taskset`, containers).
    Gate::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
});

/// Runs `job` on the blocking pool once a core is free. The core is handed
/// on the moment the job returns, on its own thread: held until the
/// waiting task next ran, it idled while that task's worker thread was busy
/// with other polls.
pub async fn run<T: Send + 'static>(
    stage: Stage,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, tokio::task::JoinError> {
    let slot = CORES.acquire(stage).await;
    tokio::task::spawn_blocking(move || {
        let done = job();
        drop(slot);
        crate::memory::after_job();
        done
    })
    .await
}

/// A core held; dropping it hands the core to the next job.
#[must_use]
struct Slot {
    gate: &'static Gate,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.gate.release();
    }
}

struct Gate {
    inner: Mutex<Inner>,
}

struct Inner {
    free: usize,
    /// Who waits, by stage, in arrival order. A waiter that gave up (its
    /// task was dropped) stays queued until its turn comes and is skipped.
    waiting: [VecDeque<oneshot::Sender<Slot>>; STAGES],
}

impl Gate {
    fn new(cores: usize) -> Gate {
        Gate {
            inner: Mutex::new(Inner {
                free: cores.max(1),
                waiting: Default::default(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every change under the lock is whole: poisoned, it is still sound.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn acquire(&'static self, stage: Stage) -> Slot {
        let waiting = {
            let mut g = self.lock();
            // A free core means nobody waits: a release hands its core to a
            // waiter before it counts one free.
            if g.free > 0 {
                g.free -= 1;
                return Slot { gate: self };
            }
            let (tx, rx) = oneshot::channel();
            g.waiting[stage as usize].push_back(tx);
            rx
        };
        // The sender is dropped unsent only if the gate is, and it is static.
        waiting.await.expect("the gate outlives its waiters")
    }

    fn release(&'static self) {
        let mut g = self.lock();
        loop {
            let Some(next) = g.waiting.iter_mut().rev().find_map(VecDeque::pop_front) else {
                g.free += 1;
                return;
            };
            // A waiter that gave up returns the slot unsent; it must not be
            // dropped here, where its release would take the lock again.
            match next.send(Slot { gate: self }) {
                Ok(()) => return,
                Err(unsent) => std::mem::forget(unsent),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn gate(cores: usize) -> &'static Gate {
        Box::leak(Box::new(Gate::new(cores)))
    }

    #[tokio::test]
    async fn a_later_stage_gets_the_next_core_before_earlier_ones_that_waited_longer() {
        let gate = gate(1);
        let held = gate.acquire(Stage::Parse).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (name, stage) in [
            ("parse a", Stage::Parse),
            ("parse b", Stage::Parse),
            ("classify", Stage::Classify),
        ] {
            let order = order.clone();
            tasks.push(tokio::spawn(async move {
                let _slot = gate.acquire(stage).await;
                order.lock().unwrap().push(name);
            }));
            // Each is queued before the next one asks.
            tokio::task::yield_now().await;
        }
        assert!(
            order.lock().unwrap().is_empty(),
            "nobody runs while the core is held"
        );
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), ["classify", "parse a", "parse b"]);
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_loses_no_core() {
        let gate = gate(1);
        let held = gate.acquire(Stage::Parse).await;
        let gave_up = tokio::spawn(gate.acquire(Stage::Classify));
        tokio::task::yield_now().await;
        gave_up.abort();
        let _ = gave_up.await;
        drop(held);
        // The core went past the waiter that left, to the one who asks now.
        let again = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            gate.acquire(Stage::Parse),
        )
        .await
        .expect("the core came back");
        drop(again);
        assert_eq!(gate.lock().free, 1);
    }

    #[tokio::test]
    async fn as_many_jobs_run_at_once_as_there_are_cores() {
        let gate = gate(2);
        let a = gate.acquire(Stage::Parse).await;
        let b = gate.acquire(Stage::Classify).await;
        let third = tokio::spawn(gate.acquire(Stage::Classify));
        tokio::task::yield_now().await;
        assert!(
            !third.is_finished(),
            "a third job waits for one of two cores"
        );
        drop(a);
        let c = third.await.unwrap();
        drop((b, c));
        assert_eq!(gate.lock().free, 2);
    }
}
