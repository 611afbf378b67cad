//! The one HTTP client every source shares.
//!
//! It owns politeness and robustness: a descriptive User-Agent, timeouts,
//! compressed transfer, a cap on body size, conditional GET, `Retry-After` on
//! 429 and 503, a cap on concurrent requests per host and retries with
//! backoff. It does not parse bodies: sources get raw bytes, so a feed parser
//! can honour the document's own encoding. `file://` locations go through
//! the same call so that sources need not care where a document lives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::config::{HttpSettings, Location};

/// Cache validators of a previous response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Validators {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// A successful fetch.
#[derive(Debug)]
pub enum Fetched {
    /// 304: nothing changed since the validators were taken.
    NotModified,
    Body(Body),
}

#[derive(Debug)]
pub struct Body {
    pub bytes: Bytes,
    pub content_type: Option<String>,
    pub validators: Validators,
    /// `Cache-Control: max-age`, which polling should not undercut.
    pub max_age: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: HTTP {status}")]
    Status {
        url: String,
        status: u16,
        retry_after: Option<Duration>,
    },
    /// An API refused the call; `message` is what its error body said.
    #[error("{url}: HTTP {status}: {message}")]
    Api {
        url: String,
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },
    #[error("{url}: body larger than the {limit}-byte cap (http.max_body_bytes)")]
    TooLarge { url: String, limit: u64 },
    #[error("{url}: timed out")]
    Timeout { url: String },
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    #[error("{path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

impl FetchError {
    /// Whether the same request may succeed later.
    pub fn is_retryable(&self) -> bool {
        match self {
            FetchError::Status { status, .. } | FetchError::Api { status, .. } => {
                matches!(*status, 408 | 425 | 429 | 500 | 502 | 503 | 504)
            }
            FetchError::Timeout { .. } | FetchError::Network { .. } => true,
            FetchError::TooLarge { .. } | FetchError::File { .. } => false,
        }
    }

    /// The wait the server asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } | FetchError::Api { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }
}

/// Exponential backoff: 1s, 2s, 4s, ... capped at `max`.
pub fn backoff(attempt: u32, max: Duration) -> Duration {
    let secs = 1u64.checked_shl(attempt.min(30)).unwrap_or(u64::MAX);
    Duration::from_secs(secs).min(max)
}

/// Parses `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (at.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// Parses `max-age` out of a `Cache-Control` header.
pub fn parse_max_age(cache_control: &str) -> Option<Duration> {
    cache_control.split(',').find_map(|d| {
        let (k, v) = d.trim().split_once('=')?;
        k.eq_ignore_ascii_case("max-age").then(|| {
            v.trim()
                .trim_matches('"')
                .parse()
                .ok()
                .map(Duration::from_secs)
        })?
    })
}

/// The shared client. Cheap to clone.
#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    settings: Arc<HttpSettings>,
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    limiter: super::api::Limiter,
}

impl HttpClient {
    pub fn new(settings: &HttpSettings) -> Result<HttpClient, reqwest::Error> {
        let inner = reqwest::Client::builder()
            .user_agent(&settings.user_agent)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .gzip(true)
            .brotli(true)
            .deflate(true)
            .build()?;
        Ok(HttpClient {
            inner,
            settings: Arc::new(settings.clone()),
            hosts: Arc::default(),
            limiter: super::api::Limiter::default(),
        })
    }

    fn host_permits(&self, host: &str) -> Arc<Semaphore> {
        let mut hosts = self.hosts.lock().expect("host map poisoned");
        hosts
            .entry(host.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.settings.per_host_concurrency)))
            .clone()
    }

    /// Fetches a document, retrying what is worth retrying up to
    /// `http.max_attempts` times. `Retry-After` longer than
    /// `http.max_retry_after` is not waited out here: the error goes back to
    /// the caller, whose schedule honours it.
    pub async fn fetch(
        &self,
        location: &Location,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        let mut attempt = 0;
        loop {
            let result = match location {
                Location::File(path) => return read_file(path, self.settings.max_body_bytes).await,
                Location::Http(url) => self.get_once(url, validators).await,
            };
            attempt += 1;
            match result {
                Err(e) if e.is_retryable() && attempt < self.settings.max_attempts => {
                    let wait = e
                        .retry_after()
                        .unwrap_or_else(|| backoff(attempt - 1, Duration::from_secs(60)));
                    if wait > self.settings.max_retry_after {
                        return Err(e);
                    }
                    tracing::debug!(%location, attempt, ?wait, error = %e, "Retrying fetch.");
                    tokio::time::sleep(wait).await;
                }
                other => return other,
            }
        }
    }

    async fn get_once(
        &self,
        url: &url::Url,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        let permits = self.host_permits(url.host_str().unwrap_or(""));
        let _permit = permits.acquire().await.expect("semaphore never closed");
        let mut req = self.inner.get(url.clone());
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                req = req.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                req = req.header(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let resp = req.send().await.map_err(|e| net_error(url, e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            let retry_after = header_str(&headers, header::RETRY_AFTER)
                .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
            return Err(FetchError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                retry_after,
            });
        }
        let body = self.read_body(url, resp).await?;
        Ok(Fetched::Body(Body {
            bytes: body,
            content_type: header_str(&headers, header::CONTENT_TYPE).map(str::to_string),
            validators: Validators {
                etag: header_str(&headers, header::ETAG).map(str::to_string),
                last_modified: header_str(&headers, header::LAST_MODIFIED).map(str::to_string),
            },
            max_age: header_str(&headers, header::CACHE_CONTROL).and_then(parse_max_age),
        }))
    }
}

impl HttpClient {
    /// A request on the shared connection pool, for API sources that set
    /// their own method, query and headers.
    pub fn request(&self, method: reqwest::Method, url: url::Url) -> reqwest::RequestBuilder {
        self.inner.request(method, url)
    }

    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// Rate-limit holds per host, shared by every API source.
    pub fn limiter(&self) -> &super::api::Limiter {
        &self.limiter
    }

    /// Sends `req` once under the per-host cap and reads the body under the
    /// size cap, whatever the status: API sources read error bodies and
    /// rate-limit headers themselves.
    pub async fn send(
        &self,
        url: &url::Url,
        req: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, HeaderMap, Bytes), FetchError> {
        let permits = self.host_permits(url.host_str().unwrap_or(""));
        let _permit = permits.acquire().await.expect("semaphore never closed");
        let resp = req.send().await.map_err(|e| net_error(url, e))?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = self.read_body(url, resp).await?;
        Ok((status, headers, body))
    }

    /// Reads in chunks so that an endless or lying body stops at the cap.
    async fn read_body(
        &self,
        url: &url::Url,
        resp: reqwest::Response,
    ) -> Result<Bytes, FetchError> {
        let limit = self.settings.max_body_bytes;
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(FetchError::TooLarge {
                url: url.to_string(),
                limit,
            });
        }
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| net_error(url, e))?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(FetchError::TooLarge {
                    url: url.to_string(),
                    limit,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
    }
}

fn header_str(headers: &HeaderMap<HeaderValue>, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn net_error(url: &url::Url, e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout {
            url: url.to_string(),
        }
    } else {
        // The source chain holds the useful part ("connection refused").
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message = format!("{message}: {s}");
            source = s.source();
        }
        FetchError::Network {
            url: url.to_string(),
            message,
        }
    }
}

async fn read_file(path: &std::path::Path, limit: u64) -> Result<Fetched, FetchError> {
    let err = |source| FetchError::File {
        path: path.display().to_string(),
        source,
    };
    let meta = tokio::fs::metadata(path).await.map_err(err)?;
    if meta.len() > limit {
        return Err(FetchError::TooLarge {
            url: format!("file://{}", path.display()),
            limit,
        });
    }
    let bytes = tokio::fs::read(path).await.map_err(err)?;
    Ok(Fetched::Body(Body {
        bytes: Bytes::from(bytes),
        content_type: None,
        validators: Validators::default(),
        max_age: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let cap = Duration::from_secs(60);
        assert_eq!(backoff(0, cap), Duration::from_secs(1));
        assert_eq!(backoff(3, cap), Duration::from_secs(8));
        assert_eq!(backoff(10, cap), cap);
        assert_eq!(backoff(200, cap), cap);
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn max_age_is_read_among_other_directives() {
        assert_eq!(
            parse_max_age("public, max-age=600, must-revalidate"),
            Some(Duration::from_secs(600))
        );
        assert_eq!(parse_max_age("no-cache"), None);
    }

    #[test]
    fn only_transient_failures_are_retried() {
        let status = |s| FetchError::Status {
            url: "u".into(),
            status: s,
            retry_after: None,
        };
        assert!(status(429).is_retryable());
        assert!(status(503).is_retryable());
        assert!(!status(404).is_retryable());
        assert!(!FetchError::TooLarge {
            url: "u".into(),
            limit: 1
        }
        .is_retryable());
    }
}
