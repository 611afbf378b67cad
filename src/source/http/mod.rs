//! The one HTTP client every source shares.
//!
//! It owns politeness and robustness: a descriptive User-Agent, timeouts per
//! attempt and a deadline across attempts, compressed transfer, a cap on
//! body size, conditional GET, `Retry-After` on 429 and 503 (and on a 403
//! that carries rate-limit headers), a cap on concurrent requests per host
//! and in all, retries with backoff, the SSRF [`guard`] on every address and
//! our own [`redirect`] policy. It does not parse bodies: sources get raw
//! bytes, so a feed parser can honour the document's own encoding. `file://`
//! locations go through the same call so that sources need not care where a
//! document lives.
//!
//! Parts: [`guard`] (which addresses may be reached), [`redirect`] (which
//! hops are followed), [`headers`] (numbers from headers, clamped),
//! [`limit`] (per-host holds), [`error`].

pub mod config;
pub mod error;
pub mod guard;
pub mod headers;
pub mod limit;
pub mod redirect;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::config::{HttpSettings, Location};
use crate::source::ahead::{self, ReadAhead};
pub use error::FetchError;
use guard::{Guard, GuardedResolver};
pub use headers::{parse_max_age, parse_retry_after};
pub use limit::Limiter;
use redirect::Hops;

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
    /// `Content-Location`: where the server says the document lives, which
    /// a feed's relative links resolve against.
    pub content_location: Option<String>,
    pub validators: Validators,
    /// `Cache-Control: max-age`, which polling should not undercut.
    pub max_age: Option<Duration>,
    /// Where the document lives now, when every redirect to it was
    /// permanent (301, 308).
    pub moved_to: Option<url::Url>,
}

/// Waits between attempts at one request that gave no `Retry-After`:
/// 1 s, 2 s, 4 s, ... up to a minute, jittered so that sources that failed
/// together do not retry together.
pub const RETRY: crate::retry::Backoff =
    crate::retry::Backoff::new(Duration::from_secs(1), Duration::from_secs(60));

/// The shared client. Cheap to clone.
#[derive(Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    settings: Arc<HttpSettings>,
    guard: Guard,
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    /// Requests in flight in all, taken after the host's permit so that
    /// waiting for a busy host never holds a slot another host could use.
    global: Arc<Semaphore>,
    limiter: Limiter,
    /// How much may be fetched and not yet delivered.
    ahead: Arc<ReadAhead>,
}

/// What a request holds while it is in flight and its body is read.
struct Permits {
    _host: OwnedSemaphorePermit,
    _global: OwnedSemaphorePermit,
}

/// A response after the redirects were followed.
struct Answer {
    resp: reqwest::Response,
    hops: Hops,
    permits: Permits,
}

impl HttpClient {
    pub fn new(settings: &HttpSettings) -> Result<HttpClient, reqwest::Error> {
        let guard = Guard::new(settings.allow_hosts.clone());
        let inner = reqwest::Client::builder()
            .user_agent(&settings.user_agent)
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(10)))
            .gzip(true)
            .brotli(true)
            .deflate(true)
            // Hops are followed by `execute`, each through the guard.
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve names itself, out of the guard's sight.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                guard: guard.clone(),
            }))
            .build()?;
        Ok(HttpClient {
            inner,
            settings: Arc::new(settings.clone()),
            guard,
            hosts: Arc::default(),
            global: Arc::new(Semaphore::new(Semaphore::MAX_PERMITS)),
            limiter: Limiter::default(),
            ahead: Arc::new(ReadAhead::new(ahead::LIMIT)),
        })
    }

    /// Bounds the requests in flight across all hosts (`schedule.concurrency`).
    pub fn with_concurrency(mut self, n: usize) -> HttpClient {
        self.global = Arc::new(Semaphore::new(n.clamp(1, Semaphore::MAX_PERMITS)));
        self
    }

    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    /// The SSRF guard, for connections made outside reqwest (websockets)
    /// and for links found in documents.
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The read-ahead bound: document fetches wait on it, and what they
    /// read counts against it until its poll is delivered.
    pub fn read_ahead(&self) -> &Arc<ReadAhead> {
        &self.ahead
    }

    /// Rate-limit holds per host, shared by every API source.
    pub fn limiter(&self) -> &Limiter {
        &self.limiter
    }

    /// A request builder on the shared connection pool, for API sources
    /// that set their own method, query and headers. Send it with
    /// [`HttpClient::send`] or [`HttpClient::open_stream`], never directly:
    /// those check the guard and follow redirects by our policy.
    pub fn request(&self, method: Method, url: url::Url) -> reqwest::RequestBuilder {
        self.inner.request(method, url)
    }

    async fn permits(&self, url: &url::Url) -> Permits {
        let host = {
            let mut hosts = self.hosts.lock().expect("host map poisoned");
            hosts
                .entry(url.host_str().unwrap_or("").to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(self.settings.per_host_concurrency)))
                .clone()
        };
        let host = host.acquire_owned().await.expect("semaphore never closed");
        let global = self
            .global
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore never closed");
        Permits {
            _host: host,
            _global: global,
        }
    }

    /// Sends a request, every hop through the guard, following redirects of
    /// GET and HEAD by [`redirect::follow`]; other methods get the 3xx back.
    async fn execute(&self, mut req: reqwest::Request) -> Result<Answer, FetchError> {
        let mut hops = Hops::start(req.url());
        loop {
            let url = req.url().clone();
            self.guard
                .check_url(&url)
                .map_err(|refusal| FetchError::Refused {
                    url: url.to_string(),
                    refusal,
                })?;
            let again = matches!(*req.method(), Method::GET | Method::HEAD)
                .then(|| req.try_clone())
                .flatten();
            let permits = self.permits(&url).await;
            let resp = self
                .inner
                .execute(req)
                .await
                .map_err(|e| error::from_reqwest(&url, e))?;
            let status = resp.status().as_u16();
            let Some(mut next_req) = again.filter(|_| redirect::is_redirect(status)) else {
                return Ok(Answer {
                    resp,
                    hops,
                    permits,
                });
            };
            let location = header_str(resp.headers(), header::LOCATION);
            let allow_downgrade = self.settings.allow_insecure_redirects;
            let next = redirect::follow(&mut hops, status, location, allow_downgrade).map_err(
                |reason| FetchError::Redirect {
                    url: hops.chain[0].to_string(),
                    reason,
                    chain: hops.describe(),
                },
            )?;
            if next.host_str() != url.host_str() {
                // Credentials are for the host they were given to.
                for h in [header::AUTHORIZATION, header::COOKIE] {
                    next_req.headers_mut().remove(h);
                }
            }
            *next_req.url_mut() = next;
            req = next_req;
        }
    }

    /// Fetches a document, retrying what is worth retrying up to
    /// `http.max_attempts` times, all within `http.deadline`. A
    /// `Retry-After` longer than `http.max_retry_after`, or one that would
    /// pass the deadline, is not waited out here: the error goes back to the
    /// caller, whose schedule honours it.
    pub async fn fetch(
        &self,
        location: &Location,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        let url = match location {
            Location::File(path) => return read_file(path, self.settings.max_body_bytes).await,
            Location::Http(url) => url,
        };
        let deadline = self.settings.deadline;
        let until = Instant::now()
            .checked_add(deadline)
            .unwrap_or_else(Instant::now);
        match tokio::time::timeout_at(until, self.fetch_attempts(url, validators, until)).await {
            Ok(result) => result,
            Err(_) => Err(FetchError::Deadline {
                url: url.to_string(),
                deadline,
            }),
        }
    }

    async fn fetch_attempts(
        &self,
        url: &url::Url,
        validators: Option<&Validators>,
        until: Instant,
    ) -> Result<Fetched, FetchError> {
        let mut attempt = 0;
        loop {
            let result = self.get_once(url, validators).await;
            attempt += 1;
            match result {
                Err(e) if e.is_retryable() && attempt < self.settings.max_attempts => {
                    let wait = e.retry_after().unwrap_or_else(|| RETRY.delay(attempt));
                    let past_deadline = Instant::now().checked_add(wait).is_none_or(|t| t >= until);
                    if wait > self.settings.max_retry_after || past_deadline {
                        return Err(e);
                    }
                    tracing::debug!(%url, attempt, ?wait, error = %e, "Retrying fetch.");
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
        let mut req = self.inner.get(url.clone());
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                req = req.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                req = req.header(header::IF_MODIFIED_SINCE, lm);
            }
        }
        let req = req.build().map_err(|e| error::from_reqwest(url, e))?;
        let Answer {
            resp,
            hops,
            permits,
        } = self.execute(req).await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            let now = chrono::Utc::now();
            // A 403 that carries rate-limit headers means "slow down".
            let limited = status == StatusCode::FORBIDDEN && headers::has_limit_headers(&headers);
            let retry_after = match limited {
                true => headers::limit_wait(403, &headers, now, true),
                false => header_str(&headers, header::RETRY_AFTER)
                    .and_then(|v| parse_retry_after(v, now)),
            };
            return Err(FetchError::Status {
                url: url.to_string(),
                status: if limited { 429 } else { status.as_u16() },
                retry_after,
            });
        }
        let body = self.read_body(url, resp).await?;
        drop(permits);
        Ok(Fetched::Body(Body {
            bytes: body,
            content_type: header_str(&headers, header::CONTENT_TYPE).map(str::to_string),
            content_location: header_str(&headers, header::CONTENT_LOCATION).map(str::to_string),
            validators: Validators {
                etag: header_str(&headers, header::ETAG).map(str::to_string),
                last_modified: header_str(&headers, header::LAST_MODIFIED).map(str::to_string),
            },
            max_age: header_str(&headers, header::CACHE_CONTROL).and_then(parse_max_age),
            moved_to: hops.moved_to().cloned(),
        }))
    }

    /// Sends `req` once under the host and global caps and reads the body
    /// under the size cap, whatever the status: API sources read error
    /// bodies and rate-limit headers themselves.
    pub async fn send(
        &self,
        url: &url::Url,
        req: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, HeaderMap, Bytes), FetchError> {
        let req = req.build().map_err(|e| error::from_reqwest(url, e))?;
        let answer = self.execute(req).await?;
        let status = answer.resp.status();
        let headers = answer.resp.headers().clone();
        let body = self.read_body(url, answer.resp).await?;
        drop(answer.permits);
        Ok((status, headers, body))
    }

    /// Opens a long-lived response (server-sent events) through the guard.
    /// It holds no concurrency permit: a stream never finishes.
    pub async fn open_stream(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, FetchError> {
        let req = req.build().map_err(|e| FetchError::Network {
            url: e.url().map(|u| u.to_string()).unwrap_or_default(),
            message: e.to_string(),
        })?;
        Ok(self.execute(req).await?.resp)
    }

    /// Reads in chunks so that an endless or lying body stops at the cap.
    async fn read_body(
        &self,
        url: &url::Url,
        resp: reqwest::Response,
    ) -> Result<Bytes, FetchError> {
        let limit = self.settings.max_body_bytes;
        let too_large = || FetchError::TooLarge {
            url: url.to_string(),
            limit,
        };
        if resp.content_length().is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| error::from_reqwest(url, e))?;
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Bytes::from(body))
    }
}

pub(crate) fn header_str(
    headers: &HeaderMap<HeaderValue>,
    name: header::HeaderName,
) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// File reads under way at once. Each runs on tokio's blocking pool, which
/// starts a thread per waiting job up to 512: a backfill of a thousand
/// local feeds started 512 threads, each of which later ran a parse or a
/// classification and kept the stack pages and malloc arena it touched,
/// so memory grew with the number of feeds. A few reads at a time keep up
/// with the parsers.
static FILE_READS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

async fn read_file(path: &std::path::Path, limit: u64) -> Result<Fetched, FetchError> {
    let err = |source| FetchError::File {
        path: path.display().to_string(),
        source,
    };
    let _read = FILE_READS.acquire().await.expect("never closed");
    let owned = path.to_path_buf();
    let read = tokio::task::spawn_blocking(move || {
        let meta = std::fs::metadata(&owned)?;
        if meta.len() > limit {
            return Ok(None);
        }
        std::fs::read(&owned).map(Some)
    })
    .await
    .map_err(|e| err(std::io::Error::other(e)))?
    .map_err(err)?;
    let Some(bytes) = read else {
        return Err(FetchError::TooLarge {
            url: format!("file://{}", path.display()),
            limit,
        });
    };
    Ok(Fetched::Body(Body {
        bytes: Bytes::from(bytes),
        content_type: None,
        content_location: None,
        validators: Validators::default(),
        max_age: None,
        moved_to: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many reads at once (more than may run together) each get their own
    /// file; one past the size limit and one missing are named.
    #[tokio::test]
    async fn local_files_are_read_a_few_at_a_time_and_bad_ones_named() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..40 {
            std::fs::write(dir.path().join(format!("f{i}.xml")), format!("feed {i}")).unwrap();
        }
        std::fs::write(dir.path().join("big.xml"), vec![b'x'; 200]).unwrap();
        let reads = (0..40).map(|i| {
            let p = dir.path().join(format!("f{i}.xml"));
            async move { (i, read_file(&p, 100).await) }
        });
        for (i, got) in futures::future::join_all(reads).await {
            match got {
                Ok(Fetched::Body(b)) => assert_eq!(b.bytes, format!("feed {i}").as_bytes()),
                other => panic!("f{i}: {other:?}"),
            }
        }
        match read_file(&dir.path().join("big.xml"), 100).await {
            Err(FetchError::TooLarge { url, limit }) => {
                assert!(url.ends_with("big.xml"), "{url}");
                assert_eq!(limit, 100);
            }
            other => panic!("{other:?}"),
        }
        match read_file(&dir.path().join("gone.xml"), 100).await {
            Err(e @ FetchError::File { .. }) => assert!(e.to_string().contains("gone.xml"), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}
