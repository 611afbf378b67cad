//! The `[http]` section: settings of the one HTTP client every source
//! shares, its keys as written (the `///` line on each is the user
//! documentation) and [`HttpSettings::build`], which checks them.

use std::time::Duration;

use serde::Deserialize;

use crate::config::check::Errors;

/// Settings of the shared HTTP client.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawHttp {
    /// User-Agent header; a descriptive default names earshot and its version.
    pub user_agent: Option<String>,
    /// Timeout of one whole request, body included (e.g. "30s").
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    pub timeout: Option<Duration>,
    /// Largest response body accepted, in bytes.
    pub max_body_bytes: Option<u64>,
    /// Requests in flight at once to one host.
    pub per_host_concurrency: Option<usize>,
    /// Attempts for a request that failed in a way worth retrying (429, 503, timeouts).
    pub max_attempts: Option<u32>,
    /// Longest `Retry-After` honoured; a longer one is treated as an error for this round.
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    pub max_retry_after: Option<Duration>,
    /// Time for one document across all attempts and redirects (e.g. "2m").
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    pub deadline: Option<Duration>,
    /// Internal hosts earshot may connect to, which the SSRF guard refuses
    /// otherwise: a host name ("intranet.example"), host and port
    /// ("intranet.example:8443"), an address ("127.0.0.1:8080") or a CIDR
    /// block ("10.1.0.0/16").
    #[serde(default)]
    pub allow_hosts: Vec<String>,
    /// Follow redirects from https to http (off: a downgrade is refused).
    pub allow_insecure_redirects: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub user_agent: String,
    pub timeout: Duration,
    pub max_body_bytes: u64,
    pub per_host_concurrency: usize,
    pub max_attempts: u32,
    pub max_retry_after: Duration,
    /// Time for one document across all attempts and redirects.
    pub deadline: Duration,
    /// Hosts, addresses and blocks the SSRF guard lets through.
    pub allow_hosts: Vec<crate::source::http::guard::Allow>,
    /// Follow redirects from https to http.
    pub allow_insecure_redirects: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            user_agent: format!(
                "earshot/{} (social listening; +https://github.com/earshot-dev/earshot)",
                env!("CARGO_PKG_VERSION")
            ),
            timeout: Duration::from_secs(30),
            max_body_bytes: 10 * 1024 * 1024,
            per_host_concurrency: 2,
            max_attempts: 3,
            max_retry_after: Duration::from_secs(300),
            deadline: Duration::from_secs(120),
            allow_hosts: Vec::new(),
            allow_insecure_redirects: false,
        }
    }
}

impl HttpSettings {
    /// Checks `[http]` (`None` when the file has none: the defaults)
    /// and returns the settings.
    pub fn build(raw: Option<toml::Value>, errors: &mut Errors) -> HttpSettings {
        let mut s = HttpSettings::default();
        let Some(raw) = raw.and_then(|v| errors.section::<RawHttp>("http", v)) else {
            return s;
        };
        if let Some(ua) = raw.user_agent {
            s.user_agent = ua;
        }
        s.timeout = raw.timeout.unwrap_or(s.timeout);
        s.max_body_bytes = raw.max_body_bytes.unwrap_or(s.max_body_bytes);
        s.per_host_concurrency = raw.per_host_concurrency.unwrap_or(s.per_host_concurrency);
        s.max_attempts = raw.max_attempts.unwrap_or(s.max_attempts);
        s.max_retry_after = raw.max_retry_after.unwrap_or(s.max_retry_after);
        s.deadline = raw.deadline.unwrap_or(s.deadline);
        s.allow_insecure_redirects = raw
            .allow_insecure_redirects
            .unwrap_or(s.allow_insecure_redirects);
        for (i, entry) in raw.allow_hosts.iter().enumerate() {
            match entry.parse() {
                Ok(a) => s.allow_hosts.push(a),
                Err(e) => errors.err(format!("http.allow_hosts[{i}]"), e.to_string()),
            }
        }
        if s.deadline.is_zero() {
            errors.err("http.deadline", "must be longer than zero");
        }
        if s.per_host_concurrency == 0 {
            errors.err("http.per_host_concurrency", "must be at least 1");
        }
        if s.max_attempts == 0 {
            errors.err("http.max_attempts", "must be at least 1");
        }
        s
    }
}
