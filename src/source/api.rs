//! Calls to the JSON APIs of social platforms, politely.
//!
//! Feeds are documents; social platforms are APIs with budgets. This module
//! owns what every API source shares: bearer and basic authentication, the
//! platforms' rate-limit headers (`X-RateLimit-*`, `RateLimit-*`,
//! `Retry-After`), retrying what is worth retrying, and turning an error
//! body into a message that says what the platform refused. It does not
//! parse successful bodies: each platform's module does. A host's budget is
//! shared by every source that calls it, so the [`Limiter`] lives in the one
//! shared client.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use tokio::time::Instant;

use super::http::{backoff, parse_retry_after, FetchError, HttpClient};

/// Longest wait a rate-limit header may impose, whatever it says: a
/// garbled reset time must not park a source for days.
const MAX_HEADER_WAIT: Duration = Duration::from_secs(3600);

/// One API call.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    pub url: url::Url,
    pub bearer: Option<String>,
    pub basic: Option<(String, String)>,
    pub json: Option<serde_json::Value>,
    pub form: Option<Vec<(String, String)>>,
    /// Reddit answers 403 where it means 429: treat it as a rate limit.
    pub forbidden_is_limit: bool,
}

impl ApiRequest {
    pub fn get(url: url::Url) -> ApiRequest {
        ApiRequest {
            method: Method::GET,
            url,
            bearer: None,
            basic: None,
            json: None,
            form: None,
            forbidden_is_limit: false,
        }
    }

    pub fn post(url: url::Url) -> ApiRequest {
        ApiRequest {
            method: Method::POST,
            ..ApiRequest::get(url)
        }
    }

    pub fn bearer(mut self, token: Option<&str>) -> ApiRequest {
        self.bearer = token.map(str::to_string);
        self
    }
}

/// A successful (2xx) answer.
#[derive(Debug)]
pub struct ApiResponse {
    pub url: url::Url,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl ApiResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// When each host may be called again. Shared by every source.
#[derive(Clone, Default)]
pub struct Limiter {
    hosts: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Limiter {
    /// Holds back calls to `host` for `wait` from now (a longer hold
    /// already in place stays).
    pub fn hold(&self, host: &str, wait: Duration) {
        let until = Instant::now() + wait.min(MAX_HEADER_WAIT);
        let mut hosts = self.hosts.lock().expect("limiter poisoned");
        let at = hosts.entry(host.to_string()).or_insert(until);
        *at = (*at).max(until);
    }

    /// Waits until `host` may be called.
    pub async fn ready(&self, host: &str) {
        loop {
            let until = self
                .hosts
                .lock()
                .expect("limiter poisoned")
                .get(host)
                .copied();
            match until {
                Some(t) if t > Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }
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

fn parse_reset(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(n) = value.parse::<f64>() {
        // Small numbers are seconds from now, large ones a Unix time.
        let secs = if n > 1e9 {
            n - now.timestamp() as f64
        } else {
            n
        };
        return Some(Duration::from_secs_f64(secs.max(0.0)));
    }
    let at = DateTime::parse_from_rfc3339(value).ok()?;
    Some(
        (at.with_timezone(&Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// What a platform said in an error body: the `error`, `message` or
/// `error_description` field of a JSON body, else the start of the text.
pub fn error_message(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        let field = |k: &str| v.get(k).and_then(|s| s.as_str()).map(str::to_string);
        let parts: Vec<String> = ["error", "message", "error_description"]
            .iter()
            .filter_map(|k| field(k))
            .collect();
        if !parts.is_empty() {
            return parts.join(": ");
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

impl HttpClient {
    /// Calls an API, waiting out the host's rate limit first and retrying
    /// 429, 5xx and network failures up to `http.max_attempts` times. A
    /// wait longer than `http.max_retry_after` is not slept here: the error
    /// carries it back so the schedule can honour it.
    pub async fn call(&self, req: &ApiRequest) -> Result<ApiResponse, FetchError> {
        let host = req.url.host_str().unwrap_or("").to_string();
        let settings = self.settings().clone();
        let mut attempt = 0;
        loop {
            self.limiter().ready(&host).await;
            let result = self.send(&req.url, self.build(req)).await;
            attempt += 1;
            let err = match result {
                Ok((status, headers, body)) => {
                    let wait = limit_wait(
                        status.as_u16(),
                        &headers,
                        Utc::now(),
                        req.forbidden_is_limit,
                    );
                    if let Some(w) = wait {
                        self.limiter().hold(&host, w);
                    }
                    if status.is_success() {
                        return Ok(ApiResponse {
                            url: req.url.clone(),
                            headers,
                            body,
                        });
                    }
                    let limited = wait.is_some()
                        || status == StatusCode::TOO_MANY_REQUESTS
                        || (req.forbidden_is_limit && status == StatusCode::FORBIDDEN);
                    status_error(req, status, &body, wait, limited)
                }
                Err(e) => e,
            };
            if !err.is_retryable() || attempt >= settings.max_attempts {
                return Err(err);
            }
            let wait = err
                .retry_after()
                .unwrap_or_else(|| backoff(attempt - 1, Duration::from_secs(60)));
            if wait > settings.max_retry_after {
                return Err(err);
            }
            tracing::debug!(url = %req.url, attempt, ?wait, error = %err, "Retrying API call.");
            self.limiter().hold(&host, wait);
        }
    }

    fn build(&self, req: &ApiRequest) -> reqwest::RequestBuilder {
        let mut b = self
            .request(req.method.clone(), req.url.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(t) = &req.bearer {
            b = b.bearer_auth(t);
        }
        if let Some((user, pass)) = &req.basic {
            b = b.basic_auth(user, Some(pass));
        }
        if let Some(j) = &req.json {
            b = b.json(j);
        }
        if let Some(f) = &req.form {
            b = b.form(f);
        }
        b
    }
}

fn status_error(
    req: &ApiRequest,
    status: StatusCode,
    body: &[u8],
    wait: Option<Duration>,
    limited: bool,
) -> FetchError {
    FetchError::Api {
        url: req.url.to_string(),
        // A 403 that means "slow down" is retried like a 429.
        status: if limited && status == StatusCode::FORBIDDEN {
            429
        } else {
            status.as_u16()
        },
        message: error_message(body),
        retry_after: wait,
    }
}

#[cfg(test)]
mod tests {
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
    }

    #[test]
    fn error_bodies_become_messages() {
        assert_eq!(
            error_message(br#"{"error":"ExpiredToken","message":"Token has expired"}"#),
            "ExpiredToken: Token has expired"
        );
        assert_eq!(
            error_message(b"<html>Too Many Requests</html>"),
            "<html>Too Many Requests</html>"
        );
        assert!(error_message("x".repeat(500).as_bytes()).ends_with("..."));
    }

    #[tokio::test(start_paused = true)]
    async fn a_held_host_waits_exactly_as_long_as_it_was_told() {
        let limiter = Limiter::default();
        let t0 = Instant::now();
        limiter.ready("a.example").await;
        assert_eq!(t0.elapsed(), Duration::ZERO);
        limiter.hold("a.example", Duration::from_secs(30));
        // A shorter hold does not cut the longer one short.
        limiter.hold("a.example", Duration::from_secs(5));
        limiter.ready("b.example").await;
        assert_eq!(t0.elapsed(), Duration::ZERO, "other hosts are not held");
        limiter.ready("a.example").await;
        assert_eq!(t0.elapsed(), Duration::from_secs(30));
    }
}
