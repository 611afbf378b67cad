//! HTTP header values a server controls: `Retry-After`, `Cache-Control`
//! max-age and the rate-limit headers read by `limit_wait`. The input is
//! header lines (`name: value`); the first byte picks the status.
#![no_main]

use chrono::{TimeZone, Utc};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

const STATUSES: [u16; 5] = [200, 403, 429, 503, 304];

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let status = STATUSES[usize::from(first) % STATUSES.len()];
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let text = String::from_utf8_lossy(rest);
    let mut headers = HeaderMap::new();
    for line in text.lines() {
        let _ = earshot::source::http::parse_retry_after(line, now);
        let _ = earshot::source::http::parse_max_age(line);
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    let _ = earshot::source::api::limit_wait(status, &headers, now, first & 0x80 != 0);
});
