//! One jittered exponential backoff, for whoever retries: the `run` loop
//! restarting a source, the Kafka sink producing again.
//!
//! It lives here rather than in `source` or `sink` because both sides use
//! it. The delay doubles per attempt up to a cap, and the wait actually
//! taken is drawn from the upper half of that ("equal jitter"): never less
//! than half, so a retry is not hammered, and spread out so that sources
//! that failed together (a host down) do not come back in lockstep.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// An exponential backoff between `base` and `max`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The delay of the first retry (before jitter).
    pub base: Duration,
    /// No delay is longer than this.
    pub max: Duration,
}

impl Backoff {
    pub const fn new(base: Duration, max: Duration) -> Backoff {
        Backoff { base, max }
    }

    /// The cap of retry `attempt` (1 is the first): `base * 2^(attempt-1)`,
    /// at most `max`. Never overflows, whatever the attempt.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1).min(31))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The delay of retry `attempt` for a draw `unit` in `[0, 1)`: between
    /// half the ceiling and the ceiling. Pure, so tests choose the draw.
    pub fn delay_at(&self, attempt: u32, unit: f64) -> Duration {
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        let unit = if unit.is_finite() {
            unit.clamp(0.0, 1.0)
        } else {
            0.0
        };
        half + (ceiling - half).mul_f64(unit)
    }

    /// The delay of retry `attempt`, jittered.
    pub fn delay(&self, attempt: u32) -> Duration {
        self.delay_at(attempt, Self::draw())
    }

    /// A jitter draw in `[0, 1)`, for callers that keep their own pure
    /// `*_at` function.
    pub fn draw() -> f64 {
        unit()
    }
}

/// A draw in `[0, 1)`. Not for cryptography: it only spreads retries.
/// `RandomState` is seeded randomly per instance by the standard library,
/// which is all the randomness a jitter needs.
fn unit() -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const B: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));

    #[test]
    fn the_ceiling_doubles_up_to_the_cap_and_never_overflows() {
        assert_eq!(B.ceiling(0), Duration::from_secs(1));
        assert_eq!(B.ceiling(1), Duration::from_secs(1));
        assert_eq!(B.ceiling(4), Duration::from_secs(8));
        assert_eq!(B.ceiling(7), Duration::from_secs(60));
        assert_eq!(B.ceiling(u32::MAX), Duration::from_secs(60));
        let huge = Backoff::new(Duration::MAX, Duration::MAX);
        assert_eq!(huge.ceiling(40), Duration::MAX);
    }

    #[test]
    fn a_delay_lies_in_the_upper_half_of_its_ceiling() {
        assert_eq!(B.delay_at(4, 0.0), Duration::from_secs(4));
        assert_eq!(B.delay_at(4, 0.5), Duration::from_secs(6));
        assert_eq!(B.delay_at(4, 1.0), Duration::from_secs(8));
        assert_eq!(B.delay_at(4, f64::NAN), Duration::from_secs(4));
        for attempt in 1..20 {
            let d = B.delay(attempt);
            let c = B.ceiling(attempt);
            assert!(d >= c / 2 && d <= c, "{d:?} outside {c:?}");
        }
    }

    #[test]
    fn draws_differ() {
        let draws: std::collections::HashSet<u64> = (0..16).map(|_| unit().to_bits()).collect();
        assert!(draws.len() > 1, "{draws:?}");
        assert!((0..100).map(|_| unit()).all(|u| (0.0..1.0).contains(&u)));
    }
}
