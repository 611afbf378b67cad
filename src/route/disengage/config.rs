//! `[route.disengagement]`: when a person's sentiment history raises an
//! alert. The raw section as written (each key's `///` line is its user
//! documentation) and the checked settings; what they mean is
//! [`super`]. Every problem is reported under its key, with the others of
//! the file.

use std::time::Duration;

use serde::Deserialize;

use super::super::config::KeyError;
use crate::record::trajectory::MAX_POINTS;

/// `[route.disengagement]`: alerts when a person turns negative or goes quiet.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDisengagement {
    /// Alert when a person whose earlier mentions were positive turns negative (default true).
    pub turned_negative: Option<bool>,
    /// How many of a person's latest mentions are read as their current mood (default 3).
    pub recent: Option<usize>,
    /// Fewest mentions before the recent ones for a turn to count (default 3).
    pub min_earlier: Option<usize>,
    /// Mean score of the earlier mentions, in [-1, 1], from which the person counts as positive (default 0.2).
    pub positive_at_least: Option<f64>,
    /// Mean score of the recent mentions, in [-1, 1], up to which the person counts as negative (default -0.2).
    pub negative_at_most: Option<f64>,
    /// Alert when a person who mentioned a brand often has not mentioned it for this long (e.g. "30d"); off when left out.
    pub quiet_after: Option<String>,
    /// Fewest mentions of one brand among the person's latest 50 that make them someone who speaks of it often (default 5).
    pub quiet_min_mentions: Option<usize>,
}

/// The checked section.
#[derive(Debug, Clone, PartialEq)]
pub struct DisengageConfig {
    pub turned_negative: bool,
    pub recent: usize,
    pub min_earlier: usize,
    pub positive_at_least: f64,
    pub negative_at_most: f64,
    pub quiet_after: Option<Duration>,
    pub quiet_min_mentions: usize,
}

impl Default for DisengageConfig {
    fn default() -> Self {
        DisengageConfig {
            turned_negative: true,
            recent: 3,
            min_earlier: 3,
            positive_at_least: 0.2,
            negative_at_most: -0.2,
            quiet_after: None,
            quiet_min_mentions: 5,
        }
    }
}

const KEY: &str = "route.disengagement";

/// Checks the section's value, adding every problem to `errors`.
pub fn check(v: toml::Value, errors: &mut Vec<KeyError>) -> DisengageConfig {
    let mut c = DisengageConfig::default();
    let mut found = Vec::new();
    let raw = crate::config::check::section::<RawDisengagement>(KEY, v, &mut found);
    errors.extend(found.into_iter().map(|e| (e.key, e.message)));
    let Some(raw) = raw else {
        return c;
    };
    let mut err = |key: &str, msg: String| errors.push((format!("{KEY}.{key}"), msg));
    c.turned_negative = raw.turned_negative.unwrap_or(c.turned_negative);
    c.recent = raw.recent.unwrap_or(c.recent);
    c.min_earlier = raw.min_earlier.unwrap_or(c.min_earlier);
    if c.recent == 0 {
        err("recent", "must be at least 1".into());
    }
    if c.min_earlier == 0 {
        err("min_earlier", "must be at least 1".into());
    }
    if c.recent + c.min_earlier > MAX_POINTS {
        err(
            "recent",
            format!(
                "recent ({}) plus min_earlier ({}) must be at most {MAX_POINTS}, the mentions a history keeps",
                c.recent, c.min_earlier
            ),
        );
    }
    for (name, v) in [
        ("positive_at_least", raw.positive_at_least),
        ("negative_at_most", raw.negative_at_most),
    ] {
        if let Some(s) = v.filter(|s| !(-1.0..=1.0).contains(s)) {
            err(name, format!("{s} is outside [-1, 1]"));
        }
    }
    c.positive_at_least = raw.positive_at_least.unwrap_or(c.positive_at_least);
    c.negative_at_most = raw.negative_at_most.unwrap_or(c.negative_at_most);
    if c.negative_at_most >= c.positive_at_least {
        err(
            "negative_at_most",
            format!(
                "{} is not below positive_at_least {}: a steady person would count as turned",
                c.negative_at_most, c.positive_at_least
            ),
        );
    }
    if let Some(text) = raw.quiet_after {
        match crate::config::check::parse_duration(&text) {
            Ok(d) if d < Duration::from_secs(60) => {
                err("quiet_after", "must be at least one minute".into())
            }
            Ok(d) => c.quiet_after = Some(d),
            Err(m) => err("quiet_after", m),
        }
    }
    if let Some(n) = raw.quiet_min_mentions {
        if n == 0 || n > MAX_POINTS {
            err(
                "quiet_min_mentions",
                format!("{n} is outside 1 to {MAX_POINTS}, the mentions a history keeps"),
            );
        }
        c.quiet_min_mentions = n;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(text: &str) -> (DisengageConfig, Vec<String>) {
        let mut errors = Vec::new();
        let c = check(toml::from_str(text).unwrap(), &mut errors);
        (c, errors.into_iter().map(|(k, _)| k).collect())
    }

    #[test]
    fn defaults_fill_in_and_every_bad_key_is_reported() {
        let (c, errors) = checked("quiet_after = \"30d\"\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(c.quiet_after, Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(c.recent, 3);
        let (_, errors) = checked(
            "recent = 0\npositive_at_least = 2.0\nquiet_after = \"soon\"\nquiet_min_mentions = 99\n",
        );
        for key in [
            "recent",
            "positive_at_least",
            "quiet_after",
            "quiet_min_mentions",
        ] {
            assert!(
                errors.contains(&format!("route.disengagement.{key}")),
                "{key}: {errors:?}"
            );
        }
        let (_, errors) = checked("positive_at_least = 0.1\nnegative_at_most = 0.3\n");
        assert_eq!(errors, vec!["route.disengagement.negative_at_most"]);
        let (_, errors) = checked("quiet = true\n");
        assert_eq!(errors, vec!["route.disengagement.quiet"]);
    }
}
