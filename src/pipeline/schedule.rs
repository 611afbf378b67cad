//! When `run` polls a source next: pure functions of what the last poll saw.
//!
//! Following Miniflux: a source that publishes often is polled often (one
//! week divided by its entries of the last week), one that is quiet rarely,
//! always between the schedule's bounds; a `<ttl>` or `Cache-Control:
//! max-age` is a floor we do not undercut; an error backs off exponentially
//! (jittered, [`crate::retry`]), and a `Retry-After` is waited out in full
//! up to `max_interval`: a header from the network must not park a source
//! for a year.
//!
//! Sources that start together would stay in lockstep, every one polled in
//! the same second of each interval, so that a round hits the servers (and
//! the sink) in one burst. [`spread`] moves each source's polls to a slot of
//! its own in the interval, at [`phase`] of the way in, a fraction taken
//! from a hash of the source id and counted from the Unix epoch: the same on
//! every start, so a restart keeps the spacing. The first poll of a start is
//! not moved (it is at once, as tests and an operator who just started
//! `run` expect); the wait after it is between half and one and a half
//! intervals, to land on the slot, and every later one is the interval. A
//! failed poll's backoff and a server's `Retry-After` are not moved.

pub mod config;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Schedule;
use crate::model::Item;
use crate::retry::Backoff;

const WEEK: Duration = Duration::from_secs(7 * 24 * 3600);

/// Entries of the last seven days, per week.
pub fn entries_per_week(items: &[Item], now: DateTime<Utc>) -> usize {
    let since = now - chrono::Duration::days(7);
    items
        .iter()
        .filter(|i| i.time().is_some_and(|t| t > since && t <= now))
        .count()
}

/// The interval after a successful poll. An interval set on the source
/// itself is taken as is (the user chose it); otherwise it adapts.
pub fn next_interval(
    schedule: &Schedule,
    source_interval: Option<Duration>,
    requested_floor: Option<Duration>,
    per_week: Option<usize>,
) -> Duration {
    let mut i = match (source_interval, schedule.adaptive, per_week) {
        (Some(fixed), _, _) => fixed,
        (None, true, Some(0)) => schedule.max_interval,
        (None, true, Some(n)) => WEEK / n as u32,
        _ => schedule.interval,
    };
    if let Some(floor) = requested_floor {
        i = i.max(floor);
    }
    i.clamp(schedule.min_interval, schedule.max_interval)
}

/// Where in an interval a source's polls fall, as a fraction in `[0, 1)`:
/// FNV-1a of its id, stable across starts, builds and platforms, mixed
/// (MurmurHash3's finalizer) so that ids differing in their last character
/// (`feed-1`, `feed-2`) land far apart.
pub fn phase(id: &str) -> f64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    // The top 53 bits, as many as an f64 holds exactly.
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// The source's slot in an interval of `i` nanoseconds, in nanoseconds.
fn offset(id: &str, i: u128) -> u128 {
    (phase(id) * i as f64) as u128 % i
}

/// The wait, after a poll at wall time `now` (since the Unix epoch), until
/// the source's slot nearest one `interval` ahead: the slots are `phase(id)`
/// of an interval past each multiple of the interval. Between half and one
/// and a half intervals; exactly `interval` for a poll made on its slot.
pub fn spread(id: &str, interval: Duration, now: Duration) -> Duration {
    let i = interval.as_nanos();
    if i == 0 {
        return interval;
    }
    let offset = offset(id, i);
    let target = now.as_nanos() + i;
    // The last slot at or before the target, then the nearer of it and the next.
    let behind = (target + i - offset) % i;
    let slot = match behind < i.div_ceil(2) {
        true => target - behind,
        false => target - behind + i,
    };
    let wait = slot - now.as_nanos();
    Duration::new((wait / 1_000_000_000) as u64, (wait % 1_000_000_000) as u32)
}

/// The backoff of a failing source: from `min_interval` (at least a
/// second) up to `max_interval`.
pub fn backoff(schedule: &Schedule) -> Backoff {
    Backoff::new(
        schedule.min_interval.max(Duration::from_secs(1)),
        schedule.max_interval,
    )
}

/// The wait after `failures` consecutive failed polls, for a jitter draw
/// `unit` in `[0, 1)` ([`after_error`] draws it).
pub fn after_error_at(
    schedule: &Schedule,
    failures: u32,
    retry_after: Option<Duration>,
    unit: f64,
) -> Duration {
    match retry_after {
        // The server said when; waiting less only earns another refusal.
        // Longer than the longest interval is not believed.
        Some(wait) => wait
            .max(schedule.min_interval.min(Duration::from_secs(1)))
            .min(schedule.max_interval),
        None => backoff(schedule).delay_at(failures, unit),
    }
}

/// The wait after `failures` consecutive failed polls, jittered.
pub fn after_error(schedule: &Schedule, failures: u32, retry_after: Option<Duration>) -> Duration {
    after_error_at(
        schedule,
        failures,
        retry_after,
        crate::retry::Backoff::draw(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule() -> Schedule {
        Schedule {
            interval: Duration::from_secs(900),
            adaptive: true,
            min_interval: Duration::from_secs(300),
            max_interval: Duration::from_secs(86_400),
            concurrency: 4,
        }
    }

    #[test]
    fn busy_sources_are_polled_more_often_within_bounds() {
        let s = schedule();
        // 7 a week: daily; 70 a week: every 2.4 hours; 10,000 a week: the floor.
        assert_eq!(
            next_interval(&s, None, None, Some(7)),
            Duration::from_secs(86_400)
        );
        assert_eq!(
            next_interval(&s, None, None, Some(70)),
            Duration::from_secs(8_640)
        );
        assert_eq!(
            next_interval(&s, None, None, Some(10_000)),
            Duration::from_secs(300)
        );
        assert_eq!(
            next_interval(&s, None, None, Some(0)),
            Duration::from_secs(86_400)
        );
        assert_eq!(
            next_interval(&s, None, None, None),
            Duration::from_secs(900)
        );
    }

    #[test]
    fn ttl_and_max_age_are_floors_and_fixed_intervals_win() {
        let s = schedule();
        let hour = Duration::from_secs(3600);
        assert_eq!(next_interval(&s, None, Some(hour), Some(10_000)), hour);
        assert_eq!(
            next_interval(&s, Some(Duration::from_secs(600)), None, Some(7)),
            Duration::from_secs(600)
        );
        let mut fixed = s.clone();
        fixed.adaptive = false;
        assert_eq!(
            next_interval(&fixed, None, None, Some(7)),
            Duration::from_secs(900)
        );
    }

    #[test]
    fn errors_back_off_exponentially_with_jitter_and_retry_after_is_honoured() {
        let s = schedule();
        // The draw picks a point in the upper half of each doubling.
        assert_eq!(after_error_at(&s, 1, None, 0.0), Duration::from_secs(150));
        assert_eq!(after_error_at(&s, 1, None, 1.0), Duration::from_secs(300));
        assert_eq!(after_error_at(&s, 3, None, 1.0), Duration::from_secs(1200));
        assert_eq!(
            after_error_at(&s, 40, None, 1.0),
            Duration::from_secs(86_400)
        );
        for failures in 1..12 {
            let w = after_error(&s, failures, None);
            let cap = backoff(&s).ceiling(failures);
            assert!(w >= cap / 2 && w <= cap, "{w:?} against {cap:?}");
        }
        assert_eq!(
            after_error(&s, 1, Some(Duration::from_secs(42))),
            Duration::from_secs(42)
        );
    }

    #[test]
    fn a_retry_after_beyond_the_longest_interval_is_clamped_to_it() {
        let s = schedule();
        let year = Duration::from_secs(365 * 86_400);
        assert_eq!(after_error(&s, 1, Some(year)), s.max_interval);
        assert_eq!(after_error(&s, 1, Some(Duration::MAX)), s.max_interval);
        // An hour is inside the bounds: waited out exactly, without jitter.
        let hour = Duration::from_secs(3600);
        assert_eq!(after_error(&s, 5, Some(hour)), hour);
    }

    #[test]
    fn phases_are_stable_and_spread_over_the_interval() {
        assert_eq!(phase("news"), phase("news"));
        assert_ne!(phase("news"), phase("news2"));
        // 1,000 sources over ten tenths of an interval: none crowded, none empty.
        let mut tenths = [0usize; 10];
        for n in 0..1000 {
            let p = phase(&format!("feed-{n}"));
            assert!((0.0..1.0).contains(&p));
            tenths[(p * 10.0) as usize] += 1;
        }
        assert!(
            tenths.iter().all(|&n| (60..=140).contains(&n)),
            "{tenths:?}"
        );
    }

    #[test]
    fn a_source_is_moved_to_its_slot_once_and_then_polled_every_interval() {
        let i = Duration::from_secs(900);
        let start = Duration::from_secs(1_764_590_000);
        let first = spread("news", i, start);
        assert!(first >= i / 2 && first <= i * 3 / 2, "{first:?}");
        let on_slot = start + first;
        assert_eq!(
            on_slot.as_nanos() % i.as_nanos(),
            offset("news", i.as_nanos()),
            "{on_slot:?} is not at the source's phase"
        );
        assert_eq!(spread("news", i, on_slot), i);
        // A poll that took 3 s still keeps the slot.
        let late = on_slot + i + Duration::from_secs(3);
        assert_eq!(spread("news", i, late), i - Duration::from_secs(3));
    }

    #[test]
    fn sources_started_together_are_spread_over_the_interval() {
        let i = Duration::from_secs(60);
        let start = Duration::from_secs(1_764_590_000);
        let mut seconds: Vec<u64> = (0..60)
            .map(|n| (start + spread(&format!("feed-{n}"), i, start)).as_secs() % 60)
            .collect();
        seconds.sort();
        seconds.dedup();
        // 60 sources in lockstep land on many distinct seconds of the minute.
        assert!(seconds.len() >= 30, "{seconds:?}");
    }

    #[test]
    fn only_last_weeks_entries_count() {
        let now: DateTime<Utc> = "2026-03-10T00:00:00Z".parse().unwrap();
        let at = |s: &str| Item {
            published: Some(s.parse().unwrap()),
            ..Item::default()
        };
        let items = vec![
            at("2026-03-09T00:00:00Z"),
            at("2026-03-04T00:00:00Z"),
            at("2026-02-01T00:00:00Z"),
            Item::default(),
        ];
        assert_eq!(entries_per_week(&items, now), 2);
    }
}
