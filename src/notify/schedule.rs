//! Local time for channels: quiet hours and digest times in an IANA time
//! zone, and which alerts are urgent enough to ignore both. Pure, on times
//! given by the caller.
//!
//! Times of day are local to the channel's zone, so "22:00" stays 22:00
//! across a change to or from summer time; a local time that does not
//! exist that day (skipped by the change) is taken as the first instant
//! after the gap.

use std::time::Duration;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::record::Priority;
use crate::route::records::AlertRecord;

/// Whether `a` goes at once, through quiet hours and past digests and
/// cooldowns: a deadline alert sent on to senior management (level 2), or
/// an alert about feedback whose priority is `urgent`. Everything else
/// waits its turn.
pub fn urgent(a: &AlertRecord) -> bool {
    a.level >= 2
        || a.feedback
            .as_ref()
            .is_some_and(|f| f.priority == Priority::Urgent)
}

/// A daily stretch of local time in which non-urgent alerts are held.
#[derive(Debug, Clone, PartialEq)]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub tz: Tz,
}

impl QuietHours {
    /// Whether `t` falls inside; a stretch past midnight (22:00 to 07:00)
    /// covers the late evening and the early morning.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        let local = t.with_timezone(&self.tz).time();
        if self.start <= self.end {
            self.start <= local && local < self.end
        } else {
            local >= self.start || local < self.end
        }
    }

    /// When the quiet hours around `t` end; `t` itself when it is outside.
    pub fn open_at(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        if self.contains(t) {
            next_local(t, self.end, self.tz)
        } else {
            t
        }
    }
}

/// How often a channel's digest goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Every {
    /// At each multiple of the period since the Unix epoch (on the hour,
    /// for "1h"), so that digests keep a steady rhythm across restarts.
    Period(Duration),
    /// Once a day, at a local time.
    Daily { at: NaiveTime, tz: Tz },
}

impl Every {
    /// The first digest time strictly after `t`.
    pub fn next_after(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        match self {
            Every::Period(p) => {
                let p = p.as_secs().max(60) as i64;
                let s = t.timestamp();
                let next = (s.div_euclid(p) + 1).saturating_mul(p);
                DateTime::from_timestamp(next, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
            }
            Every::Daily { at, tz } => next_local(t, *at, *tz),
        }
    }
}

/// The first instant strictly after `t` at which the local time in `tz` is
/// `at`.
fn next_local(t: DateTime<Utc>, at: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let day = t.with_timezone(&tz).date_naive();
    // Today's, tomorrow's or (around a change of offset) the day after's.
    (0..3)
        .filter_map(|n| day.checked_add_days(Days::new(n)))
        .map(|d| local_instant(d, at, tz))
        .find(|i| *i > t)
        .unwrap_or(t + TimeDelta::days(1))
}

/// `date` at `at` in `tz`: the earlier of two when the clock is set back,
/// the end of the gap when it is set forward.
fn local_instant(date: NaiveDate, at: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let naive = date.and_time(at);
    let mut probe = naive;
    for _ in 0..8 {
        if let Some(i) = tz.from_local_datetime(&probe).earliest() {
            return i.with_timezone(&Utc);
        }
        // Inside a gap: the first local time after it.
        probe += TimeDelta::minutes(15);
    }
    Utc.from_utc_datetime(&naive)
}

/// Reads "HH:MM".
pub fn time_of_day(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn berlin_nights() -> QuietHours {
        QuietHours {
            start: time_of_day("22:00").unwrap(),
            end: time_of_day("07:00").unwrap(),
            tz: "Europe/Berlin".parse().unwrap(),
        }
    }

    #[test]
    fn quiet_hours_past_midnight_hold_until_the_local_morning() {
        let q = berlin_nights();
        // Winter: Berlin is UTC+1.
        assert!(!q.contains(t("2026-12-01T20:59:00Z")));
        assert!(q.contains(t("2026-12-01T21:00:00Z")));
        assert!(q.contains(t("2026-12-02T05:59:00Z")));
        assert!(!q.contains(t("2026-12-02T06:00:00Z")));
        assert_eq!(
            q.open_at(t("2026-12-01T23:30:00Z")),
            t("2026-12-02T06:00:00Z")
        );
        assert_eq!(
            q.open_at(t("2026-12-02T03:00:00Z")),
            t("2026-12-02T06:00:00Z")
        );
        assert_eq!(
            q.open_at(t("2026-12-02T12:00:00Z")),
            t("2026-12-02T12:00:00Z")
        );
        // Summer: UTC+2, so the same local hours are an hour earlier in UTC.
        assert!(q.contains(t("2026-07-01T20:00:00Z")));
        assert_eq!(
            q.open_at(t("2026-07-01T20:00:00Z")),
            t("2026-07-02T05:00:00Z")
        );
    }

    #[test]
    fn quiet_hours_within_a_day_and_across_a_change_of_clock() {
        let lunch = QuietHours {
            start: time_of_day("12:00").unwrap(),
            end: time_of_day("13:00").unwrap(),
            tz: Tz::UTC,
        };
        assert!(lunch.contains(t("2026-12-01T12:30:00Z")));
        assert!(!lunch.contains(t("2026-12-01T13:00:00Z")));
        assert!(!lunch.contains(t("2026-12-01T23:00:00Z")));
        // Berlin sets the clock forward at 02:00 on 29 March 2026; a night
        // ending at 02:30 local ends when the clock reads 03:00 (01:00 UTC).
        let q = QuietHours {
            start: time_of_day("22:00").unwrap(),
            end: time_of_day("02:30").unwrap(),
            tz: "Europe/Berlin".parse().unwrap(),
        };
        assert_eq!(
            q.open_at(t("2026-03-28T23:00:00Z")),
            t("2026-03-29T01:00:00Z")
        );
    }

    #[test]
    fn digests_go_on_the_period_or_at_the_local_time() {
        let hourly = Every::Period(Duration::from_secs(3600));
        assert_eq!(
            hourly.next_after(t("2026-12-01T10:20:00Z")),
            t("2026-12-01T11:00:00Z")
        );
        assert_eq!(
            hourly.next_after(t("2026-12-01T11:00:00Z")),
            t("2026-12-01T12:00:00Z")
        );
        let daily = Every::Daily {
            at: time_of_day("08:00").unwrap(),
            tz: "Europe/Berlin".parse().unwrap(),
        };
        assert_eq!(
            daily.next_after(t("2026-12-01T06:59:00Z")),
            t("2026-12-01T07:00:00Z")
        );
        assert_eq!(
            daily.next_after(t("2026-12-01T07:00:00Z")),
            t("2026-12-02T07:00:00Z")
        );
        assert_eq!(
            daily.next_after(t("2026-07-01T10:00:00Z")),
            t("2026-07-02T06:00:00Z")
        );
    }

    #[test]
    fn urgent_is_level_two_or_urgent_feedback() {
        use crate::route::records::AlertKind;
        let mut a = crate::notify::throttle::tests::alert("a", "Acme", AlertKind::Deadline);
        assert!(!urgent(&a));
        a.level = 2;
        assert!(urgent(&a));
        let mut b = crate::notify::throttle::tests::alert("b", "Acme", AlertKind::Immediate);
        let mut fb = crate::route::records::tests::feedback();
        fb.priority = Priority::Urgent;
        b.feedback = Some(fb.clone());
        assert!(urgent(&b));
        fb.priority = Priority::High;
        b.feedback = Some(fb);
        assert!(!urgent(&b));
    }
}
