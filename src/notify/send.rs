//! Delivering one message to one channel through the shared HTTP client,
//! so that webhook URLs pass the SSRF guard like every other address.
//!
//! A delivery counts only when the channel answered 2xx. Network errors,
//! timeouts, 429 and 5xx are retried with the project's jittered backoff,
//! on tokio's clock; other answers (a 404 for a revoked webhook) are final.
//! Errors name the channel, never its URL: the URL is the credential.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::CONTENT_TYPE;
use reqwest::Method;

use super::config::{Channel, ChannelKind};
use super::message;
use super::throttle::Message;
use crate::retry::Backoff;
use crate::source::http::error::FetchError;
use crate::source::http::HttpClient;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("channel {channel}: HTTP {status} after {attempts} attempt(s)")]
    Status {
        channel: String,
        status: u16,
        attempts: u32,
    },
    #[error("channel {channel}: SMTP: {reason} after {attempts} attempt(s)")]
    Smtp {
        channel: String,
        reason: String,
        attempts: u32,
    },
    #[error("channel {channel}: {reason} after {attempts} attempt(s)")]
    Network {
        channel: String,
        reason: &'static str,
        attempts: u32,
    },
}

/// How deliveries are tried.
#[derive(Clone)]
pub struct Sender {
    pub http: HttpClient,
    pub backoff: Backoff,
    /// Tries per message, the first included.
    pub attempts: u32,
}

impl Sender {
    pub fn new(http: HttpClient) -> Sender {
        Sender {
            http,
            backoff: Backoff::new(Duration::from_secs(2), Duration::from_secs(120)),
            attempts: 6,
        }
    }

    /// Delivers `msg` to `ch`; `now` gives the signature's timestamp of
    /// each attempt.
    pub async fn deliver(
        &self,
        ch: &Channel,
        msg: &Message,
        now: &(dyn Fn() -> DateTime<Utc> + Sync),
    ) -> Result<(), SendError> {
        let body = match &ch.kind {
            ChannelKind::Slack { .. } => message::slack(msg),
            ChannelKind::Webhook { .. } => message::webhook(msg, &ch.name),
            ChannelKind::Email(e) => return self.email(ch, e, msg).await,
        };
        let body = serde_json::to_vec(&body).expect("JSON serializes");
        let url = url::Url::parse(ch.kind.url().expect("a webhook").expose())
            .expect("checked when the file was read");
        let mut attempt = 1;
        loop {
            let mut req = self
                .http
                .request(Method::POST, url.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
            if let ChannelKind::Webhook { key, .. } = &ch.kind {
                let sig = message::sign(key.expose().as_bytes(), now().timestamp(), &body);
                req = req.header(message::SIGNATURE_HEADER, sig);
            }
            let (err, retry) = match self.http.send(&url, req).await {
                Ok((status, _, _)) if status.is_success() => return Ok(()),
                Ok((status, _, _)) => {
                    let s = status.as_u16();
                    let retry = matches!(s, 408 | 425 | 429) || status.is_server_error();
                    let err = SendError::Status {
                        channel: ch.name.clone(),
                        status: s,
                        attempts: attempt,
                    };
                    (err, retry)
                }
                Err(e) => {
                    let retry = e.is_retryable();
                    let err = SendError::Network {
                        channel: ch.name.clone(),
                        reason: reason(&e),
                        attempts: attempt,
                    };
                    (err, retry)
                }
            };
            if !retry || attempt >= self.attempts {
                return Err(err);
            }
            tracing::debug!(channel = %ch.name, attempt, error = %err, "Notification not accepted; trying again.");
            tokio::time::sleep(self.backoff.delay(attempt)).await;
            attempt += 1;
        }
    }
}

impl Sender {
    async fn email(
        &self,
        ch: &Channel,
        e: &super::email::Email,
        msg: &Message,
    ) -> Result<(), SendError> {
        let mut attempt = 1;
        loop {
            let refused = match e.send(msg).await {
                Ok(()) => return Ok(()),
                Err(r) => r,
            };
            if !refused.retry || attempt >= self.attempts {
                return Err(SendError::Smtp {
                    channel: ch.name.clone(),
                    reason: refused.reason,
                    attempts: attempt,
                });
            }
            tracing::debug!(channel = %ch.name, attempt, reason = %refused.reason, "Email not accepted; trying again.");
            tokio::time::sleep(self.backoff.delay(attempt)).await;
            attempt += 1;
        }
    }
}

/// What went wrong, without the URL that [`FetchError`]'s message holds.
fn reason(e: &FetchError) -> &'static str {
    match e {
        FetchError::Refused { .. } => {
            "the address is refused by the SSRF guard (allow it under [http] allow_hosts)"
        }
        FetchError::Timeout { .. } | FetchError::Deadline { .. } => "timed out",
        FetchError::TooLarge { .. } => "answer larger than http.max_body_bytes",
        FetchError::Redirect { .. } => "redirected",
        _ => "network error",
    }
}
