//! The body of `earshot healthcheck`: one GET of a health endpoint, for
//! container runtimes whose image carries no HTTP client (the Dockerfile's
//! `HEALTHCHECK`, compose's `healthcheck`).
//!
//! It is a deliberate probe of the process's own loopback listener, so it
//! uses a plain client of its own: no SSRF guard (which would refuse
//! 127.0.0.1), no system proxy (which would send the probe elsewhere), no
//! redirects (a redirect is not a healthy answer). The fetching client of
//! [`crate::source::http`] is not involved.

use std::time::Duration;

use reqwest::{StatusCode, Url};

/// Where `earshot run --listen 0.0.0.0:9187` (the image's default) answers.
pub const DEFAULT_URL: &str = "http://127.0.0.1:9187/healthz";

/// Why a health endpoint was not healthy; the message is one line.
#[derive(Debug, thiserror::Error)]
pub enum HealthcheckError {
    /// The endpoint answered, but not 200.
    #[error("{url} answered {status}")]
    Status { url: Url, status: StatusCode },
    /// Nothing answered in time: refused, reset, timed out.
    #[error("{url}: {reason}")]
    Unreachable { url: Url, reason: String },
}

/// GETs `url` once within `timeout`; `Ok` only for a 200.
pub async fn healthcheck(url: &Url, timeout: Duration) -> Result<(), HealthcheckError> {
    let unreachable = |e: reqwest::Error| HealthcheckError::Unreachable {
        url: url.clone(),
        reason: reason(&e),
    };
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .build()
        .map_err(unreachable)?;
    let response = client.get(url.clone()).send().await.map_err(unreachable)?;
    match response.status() {
        StatusCode::OK => Ok(()),
        status => Err(HealthcheckError::Status {
            url: url.clone(),
            status,
        }),
    }
}

/// reqwest's own message ("error sending request") hides the cause; the
/// innermost source ("Connection refused") is what an operator needs.
fn reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "no answer in time".to_string();
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}
