//! Calls to the JSON APIs of social platforms, politely.
//!
//! Feeds are documents; social platforms are APIs with budgets. This module
//! owns what every API source shares: bearer and basic authentication, the
//! platforms' rate-limit headers (`X-RateLimit-*`, `RateLimit-*`,
//! `Retry-After`), retrying what is worth retrying, and turning an error
//! body into a message that says what the platform refused. It does not
//! parse successful bodies: each platform's module does. A host's budget is
//! shared by every source that calls it, so the [`Limiter`] lives in the one
//! shared client; the headers are read by [`super::http::headers`].

use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

pub use super::http::headers::limit_wait;
pub use super::http::limit::Limiter;
use super::http::{FetchError, HttpClient, RETRY};

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
            let wait = err.retry_after().unwrap_or_else(|| RETRY.delay(attempt));
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
}
