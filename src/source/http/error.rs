//! What can go wrong fetching, and whether trying again can help.

use std::time::Duration;

use super::guard::Refusal;

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
    /// The whole fetch, across attempts and redirects, ran past `http.deadline`.
    #[error("{url}: no answer within {}s across all attempts (http.deadline)", .deadline.as_secs())]
    Deadline { url: String, deadline: Duration },
    #[error("{url}: {message}")]
    Network { url: String, message: String },
    /// The SSRF guard refused the address: permanent until the pipeline
    /// file allows it.
    #[error("{url}: {refusal}")]
    Refused { url: String, refusal: Refusal },
    /// A redirect that is not followed: too many hops, a loop, a downgrade
    /// to `http`, a missing `Location`. `chain` lists the URLs visited.
    #[error("{url}: {reason} (redirects: {})", .chain.join(" -> "))]
    Redirect {
        url: String,
        reason: String,
        chain: Vec<String>,
    },
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
            FetchError::Timeout { .. }
            | FetchError::Network { .. }
            | FetchError::Deadline { .. } => true,
            FetchError::TooLarge { .. }
            | FetchError::File { .. }
            | FetchError::Refused { .. }
            | FetchError::Redirect { .. } => false,
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

    /// The HTTP status the server answered, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } | FetchError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The URL that answered 410 Gone, if this is that answer: the
    /// document is gone for good, and polling it again is pointless.
    pub fn gone(&self) -> Option<&str> {
        match self {
            FetchError::Status {
                status: 410, url, ..
            }
            | FetchError::Api {
                status: 410, url, ..
            } => Some(url),
            _ => None,
        }
    }
}

/// A reqwest error as a [`FetchError`], with the guard's refusal found
/// wherever reqwest wrapped it (the resolver's error becomes a connect
/// error's source).
pub fn from_reqwest(url: &url::Url, e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout {
            url: url.to_string(),
        };
    }
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refusal>() {
            return FetchError::Refused {
                url: url.to_string(),
                refusal: r.clone(),
            };
        }
        // The source chain holds the useful part ("connection refused").
        message = format!("{message}: {s}");
        source = s.source();
    }
    FetchError::Network {
        url: url.to_string(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(!status(410).is_retryable());
        assert_eq!(status(410).gone(), Some("u"));
        assert_eq!(status(404).gone(), None);
        assert!(!FetchError::TooLarge {
            url: "u".into(),
            limit: 1
        }
        .is_retryable());
        assert!(!FetchError::Refused {
            url: "u".into(),
            refusal: Refusal::Scheme("file".into())
        }
        .is_retryable());
        assert!(!FetchError::Redirect {
            url: "u".into(),
            reason: "loop".into(),
            chain: vec![]
        }
        .is_retryable());
    }
}
