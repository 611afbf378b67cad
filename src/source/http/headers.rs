//! Numbers servers send in headers, read as hostile.
//!
//! `Retry-After`, `Cache-Control: max-age` and the platforms' rate-limit
//! resets (`X-RateLimit-*`, `RateLimit-*`) all become waits. A server may
//! send `99999999999999999999`, `1e20`, `inf`, `-5` or garbage; none of it
//! may panic (`Duration::from_secs_f64` does on infinity), overflow an
//! `Instant`, or be silently ignored. Every wait is clamped on parse to
//! [`MAX_WAIT`]; whoever uses it compares it with their own bounds
//! (`http.max_retry_after`, the schedule's `max_interval`).

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::header::HeaderMap;

/// The longest wait any header can impose: a day. Longer values are read
/// as "a day", which every caller's own bound then cuts further.
pub const MAX_WAIT: Duration = Duration::from_secs(24 * 3600);

/// Seconds as a wait, clamped to `[0, max]`; `None` for NaN.
pub fn clamp_secs(secs: f64, max: Duration) -> Option<Duration> {
    if secs.is_nan() {
        return None;
    }
    if secs >= max.as_secs_f64() {
        return Some(max);
    }
    Some(Duration::from_secs_f64(secs.max(0.0)))
}

/// Whole seconds written as digits, of any length: a number too large for
/// `u64` still means "very long", not "no wait".
fn digits_secs(value: &str, max: Duration) -> Option<Duration> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(match value.parse::<u64>() {
        Ok(n) => Duration::from_secs(n).min(max),
        Err(_) => max,
    })
}

/// The time until `at`, zero if it has passed, clamped to [`MAX_WAIT`].
fn until(at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (at - now).to_std().unwrap_or(Duration::ZERO).min(MAX_WAIT)
}

/// Parses an HTTP date in any of the three forms RFC 9110 requires
/// recipients to read: IMF-fixdate, RFC 850 and asctime.
pub fn parse_http_date(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(d) = DateTime::parse_from_rfc2822(value) {
        return Some(d.with_timezone(&Utc));
    }
    // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; asctime: "Sun Nov  6 08:49:37 1994".
    let rfc850 = value
        .split_once(", ")
        .and_then(|(_, rest)| NaiveDateTime::parse_from_str(rest, "%d-%b-%y %H:%M:%S GMT").ok());
    let asctime = || NaiveDateTime::parse_from_str(value, "%a %b %e %H:%M:%S %Y").ok();
    rfc850.or_else(asctime).map(|n| n.and_utc())
}

/// Parses `Retry-After`: delay-seconds or an HTTP date, clamped.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    digits_secs(value, MAX_WAIT).or_else(|| parse_http_date(value).map(|at| until(at, now)))
}

/// Parses `max-age` out of a `Cache-Control` header, clamped.
pub fn parse_max_age(cache_control: &str) -> Option<Duration> {
    cache_control.split(',').find_map(|d| {
        let (k, v) = d.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| digits_secs(v.trim().trim_matches('"'), MAX_WAIT))?
    })
}

/// How long to leave a host alone after an answer, from its status and
/// rate-limit headers: `Retry-After` on 429 and 503 (and 403 where it means
/// 429), or the reset time once the remaining budget is spent. Mastodon
/// gives the reset as an ISO 8601 time, Reddit as seconds from now, Bluesky
/// as Unix seconds; all three are read.
pub fn limit_wait(
    status: u16,
    headers: &HeaderMap,
    now: DateTime<Utc>,
    forbidden_is_limit: bool,
) -> Option<Duration> {
    let get = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| headers.get(*n).and_then(|v| v.to_str().ok()))
    };
    let reset = || get(&["x-ratelimit-reset", "ratelimit-reset"]).and_then(|v| parse_reset(v, now));
    let limited = status == 429 || status == 503 || (forbidden_is_limit && status == 403);
    if limited {
        return get(&["retry-after"])
            .and_then(|v| parse_retry_after(v, now))
            .or_else(reset);
    }
    let remaining: f64 = get(&["x-ratelimit-remaining", "ratelimit-remaining"])?
        .trim()
        .parse()
        .ok()?;
    // Reddit counts in fractions ("0.0"); below one call left is none left.
    (remaining < 1.0).then(reset).flatten()
}

/// Whether an answer carries rate-limit headers, so that a 403 from a feed
/// host can be read as "slow down" rather than "forbidden".
pub fn has_limit_headers(headers: &HeaderMap) -> bool {
    [
        "retry-after",
        "x-ratelimit-remaining",
        "ratelimit-remaining",
    ]
    .iter()
    .any(|n| headers.contains_key(*n))
}

fn parse_reset(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(n) = value.parse::<f64>() {
        // Small numbers are seconds from now, large ones a Unix time.
        let secs = if n > 1e9 && n.is_finite() {
            n - now.timestamp() as f64
        } else {
            n
        };
        return clamp_secs(secs, MAX_WAIT);
    }
    let at = DateTime::parse_from_rfc3339(value).ok()?;
    Some(until(at.with_timezone(&Utc), now))
}

#[cfg(test)]
mod tests;
