//! Gives the memory that finished work freed back to the system.
//!
//! glibc's malloc keeps what a thread frees in that thread's arena, and
//! returns it only from the top of a heap. A document is read, parsed and
//! classified on several threads, and between its buffers sit allocations
//! that live on (state entries, series, summaries), so freed pages stay
//! resident: peak RSS rose with the number of sources, about 5 KB each,
//! though the live heap grew by 2 KB. `malloc_trim` hands every arena's
//! free interior pages back as well. At most every [`EVERY`], after a
//! CPU job, so an idle `run` costs nothing. On 1 core it took a backfill's
//! peak RSS from 45–46 to 40–41 MB at 400 feeds, and from 52–55 to 45–49
//! MB at 1,600, at no measurable cost. On 2 cores each `madvise` of a trim
//! also flushes the other core's TLB by an interrupt: every 50 ms that
//! cost about 4% of the CPU. Every 100 ms saves as much on 2 cores (about
//! 4 MB at 400 feeds) with system time as without trimming; on 1 core it
//! saves about 1.5 MB less than 50 ms at 1,600 feeds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::LazyLock;
use std::time::{Duration, Instant};

/// The shortest time between two trims.
pub const EVERY: Duration = Duration::from_millis(100);

static START: LazyLock<Instant> = LazyLock::new(Instant::now);
/// When the last trim was, in milliseconds since [`START`], plus one (so
/// that 0 means never).
static LAST: AtomicU64 = AtomicU64::new(0);

/// Trims if none was in the last [`EVERY`]; called when a CPU job is done.
pub fn after_job() {
    let now = START.elapsed().as_millis() as u64 + 1;
    if claim(&LAST, now, EVERY.as_millis() as u64) {
        trim();
    }
}

/// Whether the caller, at `now`, is the one to trim: none has for `every`
/// milliseconds, and no other thread claimed this turn first.
fn claim(last: &AtomicU64, now: u64, every: u64) -> bool {
    let seen = last.load(Ordering::Relaxed);
    (seen == 0 || now.saturating_sub(seen) >= every)
        && last
            .compare_exchange(seen, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trim() {
    // SAFETY: malloc_trim takes no pointers and locks each arena itself.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators return memory their own way.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trim() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trim_per_period_and_one_thread_per_turn() {
        let last = AtomicU64::new(0);
        assert!(claim(&last, 1, 50), "the first job trims");
        assert!(!claim(&last, 30, 50), "within the period");
        assert!(claim(&last, 51, 50), "once the period is over");
        assert!(!claim(&last, 51, 50), "the turn was taken");
        // Many threads at the same instant: exactly one wins the turn.
        let last = std::sync::Arc::new(AtomicU64::new(0));
        let wins: usize = (0..8)
            .map(|_| {
                let last = last.clone();
                std::thread::spawn(move || claim(&last, 100, 50) as usize)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .sum();
        assert_eq!(wins, 1);
    }
}
