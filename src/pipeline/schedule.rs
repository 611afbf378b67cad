//! When `run` polls a source next: pure functions of what the last poll saw.
//!
//! Following Miniflux: a source that publishes often is polled often (one
//! week divided by its entries of the last week), one that is quiet rarely,
//! always between the schedule's bounds; a `<ttl>` or `Cache-Control:
//! max-age` is a floor we do not undercut; an error backs off exponentially
//! (jittered, [`crate::retry`]), and a `Retry-After` is waited out in full
//! up to `max_interval`: a header from the network must not park a source
//! for a year.

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
