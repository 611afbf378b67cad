//! Turns the raw structs of a pipeline file into a checked [`Pipeline`].
//!
//! Each section is deserialized on its own, so one bad source does not hide a
//! bad brand: all problems come back together in [`ConfigErrors`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::raw::*;
use super::*;

mod sink;
mod social;
use crate::classify::query;
use social::{DEFAULT_ALGOLIA, DEFAULT_JETSTREAM, DEFAULT_REDDIT_API};

/// Reads and validates a pipeline file.
pub fn load(path: &Path) -> Result<Pipeline, ConfigErrors> {
    let text = read(path)?;
    load_str(&text, path, &|name| std::env::var(name).ok())
}

/// Reads a pipeline file for its brands alone (`earshot classify -p`): the
/// same checks, but a file without `[[sources]]` is fine.
pub fn load_brands(path: &Path) -> Result<Pipeline, ConfigErrors> {
    let text = read(path)?;
    parse(&text, path, &|name| std::env::var(name).ok(), false)
}

fn read(path: &Path) -> Result<String, ConfigErrors> {
    std::fs::read_to_string(path).map_err(|e| ConfigErrors {
        file: path.to_path_buf(),
        errors: vec![ConfigError {
            key: "(file)".into(),
            message: format!("cannot read the file: {e}"),
        }],
    })
}

/// Validates pipeline text; `path` names the file in errors and anchors
/// relative paths; `env` looks up `${VAR}`s.
pub fn load_str(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Pipeline, ConfigErrors> {
    parse(text, path, env, true)
}

fn parse(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    sources_required: bool,
) -> Result<Pipeline, ConfigErrors> {
    let mut v = Validator {
        errors: Vec::new(),
        env,
        base_dir: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        sources_required,
    };
    let raw: RawPipeline = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            let key = match e.span() {
                Some(span) => line_col(text, span.start),
                None => "(file)".into(),
            };
            return Err(ConfigErrors {
                file: path.to_path_buf(),
                errors: vec![ConfigError {
                    key,
                    message: e.message().to_string(),
                }],
            });
        }
    };
    let pipeline = v.pipeline(raw, path);
    if v.errors.is_empty() {
        Ok(pipeline)
    } else {
        Err(ConfigErrors {
            file: path.to_path_buf(),
            errors: v.errors,
        })
    }
}

fn line_col(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    format!("line {line}, column {col}")
}

/// Replaces `${VAR}` with the variable's value, `${VAR:-default}` with the
/// default when the variable is unset or empty; `$${` is a literal `${`.
/// Returns the names of variables that are not set.
pub fn expand_env(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, Vec<String>> {
    let mut out = String::with_capacity(s.len());
    let mut missing = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(t) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = t;
        } else if let Some(t) = tail.strip_prefix("${") {
            match t.find('}') {
                Some(end) => {
                    let (name, default) = match t[..end].split_once(":-") {
                        Some((n, d)) => (n, Some(d)),
                        None => (&t[..end], None),
                    };
                    match (
                        env(name).filter(|v| !v.is_empty() || default.is_none()),
                        default,
                    ) {
                        (Some(val), _) => out.push_str(&val),
                        (None, Some(d)) => out.push_str(d),
                        (None, None) => missing.push(name.to_string()),
                    }
                    rest = &t[end + 1..];
                }
                None => {
                    out.push_str(tail);
                    rest = "";
                }
            }
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

struct Validator<'a> {
    errors: Vec<ConfigError>,
    env: &'a dyn Fn(&str) -> Option<String>,
    base_dir: PathBuf,
    /// Whether a file without `[[sources]]` is an error (it is, but for
    /// commands that only read the brands).
    sources_required: bool,
}

impl Validator<'_> {
    fn err(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.errors.push(ConfigError {
            key: key.into(),
            message: message.into(),
        });
    }

    fn section<T: DeserializeOwned>(&mut self, key: &str, value: toml::Value) -> Option<T> {
        match value.try_into() {
            Ok(t) => Some(t),
            Err(e) => {
                let e: toml::de::Error = e;
                self.err(key, e.message().trim().to_string());
                None
            }
        }
    }

    fn expand(&mut self, key: &str, s: &str) -> String {
        match expand_env(s, self.env) {
            Ok(v) => v,
            Err(missing) => {
                for name in missing {
                    self.err(
                        key,
                        format!(
                            "environment variable `{name}` is not set (it is named as ${{{name}}})"
                        ),
                    );
                }
                String::new()
            }
        }
    }

    fn pipeline(&mut self, raw: RawPipeline, path: &Path) -> Pipeline {
        if raw.name.trim().is_empty() {
            self.err("name", "must not be empty");
        }
        let http = self.http(raw.http);
        let schedule = self.schedule(raw.schedule);
        let sources = self.sources(raw.sources);
        let brands = self.brands(raw.brands);
        let sink_raw = raw.sink;
        let route = raw
            .route
            .and_then(|r| match crate::route::config::validate(r) {
                Ok(r) => Some(r),
                Err(errors) => {
                    for (key, message) in errors {
                        self.err(key, message);
                    }
                    None
                }
            });
        let state_dir = match raw.state_dir {
            Some(d) => {
                let d = self.expand("state_dir", &d);
                self.base_dir.join(d)
            }
            None => self.base_dir.join("state").join(&raw.name),
        };
        let (sink, delivery) = self.sink(sink_raw, &state_dir);
        let metrics = raw
            .metrics
            .and_then(|v| self.section("metrics", v))
            .unwrap_or_default();
        Pipeline {
            name: raw.name,
            file: path.to_path_buf(),
            state_dir,
            http,
            schedule,
            listen: raw.listen,
            metrics,
            sources,
            brands,
            sink,
            delivery,
            route,
        }
    }

    fn http(&mut self, raw: Option<toml::Value>) -> HttpSettings {
        let mut s = HttpSettings::default();
        let Some(raw) = raw.and_then(|v| self.section::<RawHttp>("http", v)) else {
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
                Err(e) => self.err(format!("http.allow_hosts[{i}]"), e.to_string()),
            }
        }
        if s.deadline.is_zero() {
            self.err("http.deadline", "must be longer than zero");
        }
        if s.per_host_concurrency == 0 {
            self.err("http.per_host_concurrency", "must be at least 1");
        }
        if s.max_attempts == 0 {
            self.err("http.max_attempts", "must be at least 1");
        }
        s
    }

    fn schedule(&mut self, raw: Option<toml::Value>) -> Schedule {
        let mut s = Schedule::default();
        let Some(raw) = raw.and_then(|v| self.section::<RawSchedule>("schedule", v)) else {
            return s;
        };
        s.interval = raw.interval.unwrap_or(s.interval);
        s.adaptive = raw.adaptive.unwrap_or(s.adaptive);
        s.min_interval = raw.min_interval.unwrap_or(s.min_interval);
        s.max_interval = raw.max_interval.unwrap_or(s.max_interval);
        s.concurrency = raw.concurrency.unwrap_or(s.concurrency);
        if s.min_interval > s.max_interval {
            self.err(
                "schedule.min_interval",
                "must not be longer than schedule.max_interval",
            );
        }
        if s.concurrency == 0 {
            self.err("schedule.concurrency", "must be at least 1");
        }
        s
    }

    fn sources(&mut self, raw: Vec<toml::Value>) -> Vec<SourceConfig> {
        if raw.is_empty() && self.sources_required {
            self.err("sources", "at least one [[sources]] entry is needed");
        }
        let mut ids = HashSet::new();
        let mut out = Vec::new();
        for (i, value) in raw.into_iter().enumerate() {
            let key = format!("sources[{i}]");
            let Some(src) = self.section::<RawSource>(&key, value) else {
                continue;
            };
            let (id, url, interval, kind) = match src {
                RawSource::Feed(f) => (f.id, f.url, f.interval, SourceKind::Feed),
                RawSource::Page(p) => {
                    let selectors = match p.selectors.map(|s| s.compile()) {
                        Some(Ok(c)) => Some(c),
                        Some(Err(errs)) => {
                            for e in errs {
                                self.err(format!("{key}.selectors.{}", e.field), e.to_string());
                            }
                            None
                        }
                        None => None,
                    };
                    (p.id, p.url, p.interval, SourceKind::Page(selectors))
                }
                RawSource::Mastodon(m) => {
                    let kind = self.mastodon(&key, &m);
                    (m.id, m.instance, m.interval, kind)
                }
                RawSource::Bluesky(b) => {
                    let kind = self.bluesky(&key, &b);
                    let url = b.jetstream.clone().unwrap_or(DEFAULT_JETSTREAM.into());
                    (b.id, url, None, kind)
                }
                RawSource::Hackernews(h) => {
                    let kind = self.hackernews(&key, &h);
                    let url = h.algolia.clone().unwrap_or(DEFAULT_ALGOLIA.into());
                    (h.id, url, h.interval, kind)
                }
                RawSource::Reddit(r) => {
                    let kind = self.reddit(&key, &r);
                    let url = r.api.clone().unwrap_or(DEFAULT_REDDIT_API.into());
                    (r.id, url, r.interval, kind)
                }
            };
            if id.trim().is_empty() {
                self.err(format!("{key}.id"), "must not be empty");
            } else if !ids.insert(id.clone()) {
                self.err(
                    format!("{key}.id"),
                    format!("`{id}` is used by another source"),
                );
            }
            if !matches!(kind, SourceKind::Feed | SourceKind::Page(_)) {
                // A social source's URL was checked with its other settings.
                let location = url::Url::parse(&self.expand(&key, &url))
                    .map(Location::Http)
                    .unwrap_or_else(|_| Location::File(PathBuf::new()));
                out.push(SourceConfig {
                    id,
                    location,
                    interval,
                    kind,
                });
                continue;
            }
            let url = self.expand(&format!("{key}.url"), &url);
            let location = match Location::parse(&url, &self.base_dir) {
                Ok(l) => l,
                Err(e) => {
                    self.err(format!("{key}.url"), e);
                    continue;
                }
            };
            out.push(SourceConfig {
                id,
                location,
                interval,
                kind,
            });
        }
        out
    }

    fn brands(&mut self, raw: Vec<toml::Value>) -> Vec<BrandConfig> {
        let mut names = HashSet::new();
        let mut out = Vec::new();
        for (i, value) in raw.into_iter().enumerate() {
            let key = format!("brands[{i}]");
            let Some(b) = self.section::<RawBrand>(&key, value) else {
                continue;
            };
            if !names.insert(b.name.to_lowercase()) {
                self.err(
                    format!("{key}.name"),
                    format!("brand `{}` is defined twice", b.name),
                );
            }
            self.check_query(&format!("{key}.query"), &b.query);
            for (j, p) in b.products.iter().enumerate() {
                self.check_query(&format!("{key}.products[{j}].query"), &p.query);
            }
            out.push(BrandConfig {
                name: b.name,
                query: b.query,
                products: b
                    .products
                    .into_iter()
                    .map(|p| ProductConfig {
                        name: p.name,
                        query: p.query,
                    })
                    .collect(),
                should_match: b.should_match,
                should_not_match: b.should_not_match,
            });
        }
        out
    }

    fn check_query(&mut self, key: &str, q: &str) {
        if let Err(e) = query::parse(q) {
            self.err(key, format!("{e} in `{q}`"));
        }
    }
}
