//! When `run` polls a source next: pure functions of what the last poll saw.
//!
//! Following Miniflux: a source that publishes often is polled often (one
//! week divided by its entries of the last week), one that is quiet rarely,
//! always between the schedule's bounds; a `<ttl>` or `Cache-Control:
//! max-age` is a floor we do not undercut; an error backs off exponentially,
//! and a `Retry-After` is waited out in full.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Schedule;
use crate::model::Item;

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

/// The wait after `failures` consecutive failed polls.
pub fn after_error(schedule: &Schedule, failures: u32, retry_after: Option<Duration>) -> Duration {
    match retry_after {
        // The server said when; waiting less only earns another refusal.
        Some(wait) => wait.max(schedule.min_interval.min(Duration::from_secs(1))),
        None => {
            let base = schedule.min_interval.max(Duration::from_secs(1));
            let factor = 1u32
                .checked_shl(failures.saturating_sub(1).min(16))
                .unwrap_or(u32::MAX);
            base.saturating_mul(factor).min(schedule.max_interval)
        }
    }
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
    fn errors_back_off_exponentially_and_retry_after_is_honoured() {
        let s = schedule();
        assert_eq!(after_error(&s, 1, None), Duration::from_secs(300));
        assert_eq!(after_error(&s, 3, None), Duration::from_secs(1200));
        assert_eq!(after_error(&s, 40, None), Duration::from_secs(86_400));
        assert_eq!(
            after_error(&s, 1, Some(Duration::from_secs(42))),
            Duration::from_secs(42)
        );
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
