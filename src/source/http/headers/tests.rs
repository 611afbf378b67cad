use super::*;
use reqwest::header::HeaderValue;

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn retry_after_accepts_seconds_and_all_three_http_date_forms() {
    let now = at("2026-01-01T00:00:00Z");
    let secs = |s| Some(Duration::from_secs(s));
    assert_eq!(parse_retry_after("120", now), secs(120));
    assert_eq!(parse_retry_after(" 7 ", now), secs(7));
    assert_eq!(
        parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now),
        secs(30)
    );
    assert_eq!(
        parse_retry_after("Thursday, 01-Jan-26 00:01:00 GMT", now),
        secs(60)
    );
    assert_eq!(
        parse_retry_after("Thu Jan  1 00:02:00 2026", now),
        secs(120)
    );
}

#[test]
fn absurd_retry_after_values_are_clamped_not_ignored() {
    let now = at("2026-01-01T00:00:00Z");
    assert_eq!(
        parse_retry_after("99999999999999999999", now),
        Some(MAX_WAIT)
    );
    assert_eq!(
        parse_retry_after("18446744073709551615", now),
        Some(MAX_WAIT)
    );
    assert_eq!(
        parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now),
        Some(MAX_WAIT)
    );
    // A date in the past means now.
    assert_eq!(
        parse_retry_after("Mon, 01 Jan 1990 00:00:00 GMT", now),
        Some(Duration::ZERO)
    );
    for garbage in ["soon", "-5", "1e20", "inf", "", "12s", "0x10"] {
        assert_eq!(parse_retry_after(garbage, now), None, "{garbage:?}");
    }
}

#[test]
fn max_age_is_read_among_other_directives_and_clamped() {
    assert_eq!(
        parse_max_age("public, max-age=600, must-revalidate"),
        Some(Duration::from_secs(600))
    );
    assert_eq!(
        parse_max_age("MAX-AGE = \"60\""),
        Some(Duration::from_secs(60))
    );
    assert_eq!(
        parse_max_age("max-age=99999999999999999999999"),
        Some(MAX_WAIT)
    );
    assert_eq!(parse_max_age("max-age=-1"), None);
    assert_eq!(parse_max_age("no-cache"), None);
}

#[test]
fn seconds_from_floats_never_panic() {
    let max = Duration::from_secs(3600);
    assert_eq!(clamp_secs(f64::INFINITY, max), Some(max));
    assert_eq!(clamp_secs(1e20, max), Some(max));
    assert_eq!(clamp_secs(f64::NEG_INFINITY, max), Some(Duration::ZERO));
    assert_eq!(clamp_secs(-3.0, max), Some(Duration::ZERO));
    assert_eq!(clamp_secs(f64::NAN, max), None);
    assert_eq!(clamp_secs(1.5, max), Some(Duration::from_millis(1500)));
}

#[test]
fn spent_budget_waits_for_each_platforms_reset_format() {
    let now = at("2026-11-22T12:00:00Z");
    // Mastodon: ISO 8601.
    let m = headers(&[
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset", "2026-11-22T12:04:00.000Z"),
    ]);
    assert_eq!(
        limit_wait(200, &m, now, false),
        Some(Duration::from_secs(240))
    );
    // Reddit: fractional remaining, reset in seconds.
    let r = headers(&[
        ("x-ratelimit-remaining", "0.0"),
        ("x-ratelimit-reset", "37"),
    ]);
    assert_eq!(
        limit_wait(200, &r, now, true),
        Some(Duration::from_secs(37))
    );
    // Bluesky: Unix seconds.
    let reset = (now.timestamp() + 90).to_string();
    let b = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", &reset)]);
    assert_eq!(
        limit_wait(200, &b, now, false),
        Some(Duration::from_secs(90))
    );
}

#[test]
fn hostile_reset_values_are_clamped() {
    let now = at("2026-11-22T12:00:00Z");
    for (value, want) in [
        ("1e20", Some(MAX_WAIT)),
        ("inf", Some(MAX_WAIT)),
        ("Infinity", Some(MAX_WAIT)),
        ("-inf", Some(Duration::ZERO)),
        ("-30", Some(Duration::ZERO)),
        ("NaN", None),
        ("9999-12-31T23:59:59Z", Some(MAX_WAIT)),
        ("tomorrow", None),
    ] {
        let h = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", value)]);
        assert_eq!(limit_wait(200, &h, now, false), want, "{value}");
    }
}

#[test]
fn budget_left_means_no_wait() {
    let now = at("2026-11-22T12:00:00Z");
    let h = headers(&[
        ("x-ratelimit-remaining", "12"),
        ("x-ratelimit-reset", "300"),
    ]);
    assert_eq!(limit_wait(200, &h, now, false), None);
    assert_eq!(limit_wait(200, &HeaderMap::new(), now, false), None);
}

#[test]
fn retry_after_wins_on_429_and_403_only_when_it_means_429() {
    let now = at("2026-11-22T12:00:00Z");
    let h = headers(&[("retry-after", "30"), ("x-ratelimit-reset", "600")]);
    assert_eq!(
        limit_wait(429, &h, now, false),
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        limit_wait(403, &h, now, true),
        Some(Duration::from_secs(30))
    );
    assert_eq!(limit_wait(403, &HeaderMap::new(), now, false), None);
    let reset_only = headers(&[("x-ratelimit-reset", "45")]);
    assert_eq!(
        limit_wait(429, &reset_only, now, false),
        Some(Duration::from_secs(45))
    );
    assert!(has_limit_headers(&h));
    assert!(!has_limit_headers(&HeaderMap::new()));
}

/// Found by the `headers` fuzz target: a reset of `1e400` (read as infinity)
/// or a number of eighty digits used to reach `Duration::from_secs_f64`
/// unclamped and panic.
#[test]
fn fuzz_reset_of_1e400_or_eighty_digits_does_not_panic() {
    let now = at("2026-11-22T12:00:00Z");
    let digits = format!("2{}39", "0".repeat(80));
    for v in ["1e400", "1e300", digits.as_str()] {
        for name in ["x-ratelimit-reset", "ratelimit-reset"] {
            let h = headers(&[(name, v)]);
            assert_eq!(
                limit_wait(429, &h, now, false),
                Some(MAX_WAIT),
                "{name}: {v}"
            );
            assert_eq!(
                limit_wait(503, &h, now, false),
                Some(MAX_WAIT),
                "{name}: {v}"
            );
            let spent = headers(&[("x-ratelimit-remaining", "0"), (name, v)]);
            assert_eq!(
                limit_wait(200, &spent, now, false),
                Some(MAX_WAIT),
                "{name}: {v}"
            );
        }
    }
}
