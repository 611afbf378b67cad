//! The `[schedule]` section: how often `run` polls sources, its keys as
//! written (the `///` line on each is the user documentation) and
//! [`Schedule::build`], which checks them.

use std::time::Duration;

use serde::Deserialize;

use crate::config::check::Errors;

/// Polling schedule of `run` mode.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    /// Default poll interval of a source (e.g. "15m").
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    pub interval: Option<Duration>,
    /// Adapt the interval to how often a source publishes (one week divided by entries per week).
    pub adaptive: Option<bool>,
    /// Shortest interval, whatever the source publishes or asks for.
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    pub min_interval: Option<Duration>,
    /// Longest interval, also the cap of the backoff after errors.
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    pub max_interval: Option<Duration>,
    /// Sources fetched at the same time.
    pub concurrency: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Schedule {
    pub interval: Duration,
    pub adaptive: bool,
    pub min_interval: Duration,
    pub max_interval: Duration,
    pub concurrency: usize,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            interval: Duration::from_secs(15 * 60),
            adaptive: true,
            min_interval: Duration::from_secs(5 * 60),
            max_interval: Duration::from_secs(24 * 3600),
            concurrency: 8,
        }
    }
}

impl Schedule {
    /// Checks `[schedule]` (`None` when the file has none: the defaults)
    /// and returns the settings.
    pub fn build(raw: Option<toml::Value>, errors: &mut Errors) -> Schedule {
        let mut s = Schedule::default();
        let Some(raw) = raw.and_then(|v| errors.section::<RawSchedule>("schedule", v)) else {
            return s;
        };
        s.interval = raw.interval.unwrap_or(s.interval);
        s.adaptive = raw.adaptive.unwrap_or(s.adaptive);
        s.min_interval = raw.min_interval.unwrap_or(s.min_interval);
        s.max_interval = raw.max_interval.unwrap_or(s.max_interval);
        s.concurrency = raw.concurrency.unwrap_or(s.concurrency);
        if s.min_interval > s.max_interval {
            errors.err(
                "schedule.min_interval",
                "must not be longer than schedule.max_interval",
            );
        }
        if s.concurrency == 0 {
            errors.err("schedule.concurrency", "must be at least 1");
        }
        s
    }
}
