//! The aggregator: reads a pipeline file, hands each section to the module
//! that owns it, and gathers every problem into one [`ConfigErrors`].
//!
//! In order: the text is parsed as TOML (a syntax error stops here, with its
//! line and column); `${VAR}` is expanded in every string of the file, so
//! every section, present or future, gets it the same way; the top level is
//! read key by key ([`check::section`]); then each section's `build` checks
//! and compiles its part, adding to the one [`check::Errors`]. What spans
//! sections is checked here: source ids are unique, `[route]` reads the topic
//! the sink writes. Last, each error gets the line of its key.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use super::raw::*;
use super::*;
use crate::config::check;

/// Reads and validates a pipeline file.
pub fn load(path: &Path) -> Result<Pipeline, ConfigErrors> {
    let text = read(path)?;
    load_str(&text, path, &|name| std::env::var(name).ok())
}

/// Reads a pipeline file for its brands alone (`earshot classify -p`): the
/// same checks, but a file without `[[sources]]` is fine.
pub fn load_brands(path: &Path) -> Result<Pipeline, ConfigErrors> {
    let text = read(path)?;
    let checks = Checks {
        sources_required: false,
        examples: false,
    };
    parse(&text, path, &|name| std::env::var(name).ok(), checks)
}

/// `earshot validate`: every check of [`load`], and each brand's
/// `should_match` / `should_not_match` examples run through its query,
/// all reported together.
pub fn validate_file(path: &Path) -> Result<Pipeline, ConfigErrors> {
    let text = read(path)?;
    let checks = Checks {
        sources_required: true,
        examples: true,
    };
    parse(&text, path, &|name| std::env::var(name).ok(), checks)
}

/// What a command needs of the file beyond its being valid.
#[derive(Clone, Copy)]
pub struct Checks {
    /// A file without `[[sources]]` is an error (it is, but for commands
    /// that only read the brands).
    pub sources_required: bool,
    /// Run the brands' examples through their queries.
    pub examples: bool,
}

impl Checks {
    /// What `run` and `backfill` need.
    pub const RUN: Checks = Checks {
        sources_required: true,
        examples: false,
    };
}

fn read(path: &Path) -> Result<String, ConfigErrors> {
    std::fs::read_to_string(path).map_err(|e| ConfigErrors {
        file: path.to_path_buf(),
        errors: vec![ConfigError::new(
            "(file)",
            format!("cannot read the file: {e}"),
        )],
    })
}

/// Validates pipeline text; `path` names the file in errors and anchors
/// relative paths; `env` looks up `${VAR}`s.
pub fn load_str(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Pipeline, ConfigErrors> {
    parse(text, path, env, Checks::RUN)
}

/// Validates pipeline text with `checks` (see [`load_str`]).
pub fn parse(
    text: &str,
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    checks: Checks,
) -> Result<Pipeline, ConfigErrors> {
    let mut v = Validator {
        errors: check::Errors::default(),
        env,
        base_dir: path.parent().unwrap_or(Path::new(".")).to_path_buf(),
        checks,
    };
    // Syntax first: a file that is not TOML has nothing else to check.
    let mut doc = match toml::from_str::<toml::Table>(text) {
        Ok(doc) => toml::Value::Table(doc),
        Err(e) => {
            let key = match e.span() {
                Some(span) => line_col(text, span.start),
                None => "(file)".into(),
            };
            return Err(ConfigErrors {
                file: path.to_path_buf(),
                errors: vec![ConfigError::new(key, e.message().trim())],
            });
        }
    };
    // Every string of every section, `[route]` and sections yet to come
    // included, names environment variables the same way.
    v.expand_tree(String::new(), &mut doc);
    let pipeline = v
        .errors
        .section::<RawPipeline>("", doc)
        .map(|raw| v.pipeline(raw, path));
    match pipeline {
        Some(p) if v.errors.is_empty() => Ok(p),
        _ => {
            let lines = super::lines::Lines::new(text);
            let mut errors = v.errors.into_vec();
            // A value naming an unset variable was checked as written; what
            // that check found follows from the variable, said already.
            let unset: HashSet<String> = errors
                .iter()
                .filter(|e| e.message.starts_with(UNSET))
                .map(|e| e.key.clone())
                .collect();
            errors.retain(|e| e.message.starts_with(UNSET) || !unset.contains(&e.key));
            for e in &mut errors {
                e.line = lines.of(&e.key);
            }
            // In the order of the file, as a reader goes through it.
            errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
            Err(ConfigErrors {
                file: path.to_path_buf(),
                errors,
            })
        }
    }
}

/// How the message of an unset `${VAR}` begins.
const UNSET: &str = "environment variable";

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
    errors: check::Errors,
    env: &'a dyn Fn(&str) -> Option<String>,
    base_dir: PathBuf,
    checks: Checks,
}

impl Validator<'_> {
    fn err(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.errors.err(key, message);
    }

    fn section<T: DeserializeOwned>(&mut self, key: &str, value: toml::Value) -> Option<T> {
        self.errors.section(key, value)
    }

    /// Expands `${VAR}` in every string under `v`, in place. A string naming
    /// an unset variable is left as written (so no second error follows from
    /// an empty value) and the variable is reported under the string's key.
    fn expand_tree(&mut self, key: String, v: &mut toml::Value) {
        match v {
            toml::Value::String(s) => match expand_env(s, self.env) {
                Ok(expanded) => *s = expanded,
                Err(missing) => {
                    for name in missing {
                        self.err(
                            key.clone(),
                            format!("{UNSET} `{name}` is not set (it is named as ${{{name}}})"),
                        );
                    }
                }
            },
            toml::Value::Array(a) => {
                for (i, x) in a.iter_mut().enumerate() {
                    self.expand_tree(format!("{key}[{i}]"), x);
                }
            }
            toml::Value::Table(t) => {
                for (k, x) in t.iter_mut() {
                    let k = check::quote_key(k);
                    let path = if key.is_empty() {
                        k
                    } else {
                        format!("{key}.{k}")
                    };
                    self.expand_tree(path, x);
                }
            }
            _ => {}
        }
    }

    fn pipeline(&mut self, raw: RawPipeline, path: &Path) -> Pipeline {
        let name = raw.name.unwrap_or_default();
        if name.trim().is_empty() {
            self.err(
                "name",
                "missing: name the pipeline, e.g. name = \"acme-listening\"",
            );
        }
        if let Some(addr) = &raw.listen {
            self.errors.listen_address("listen", addr);
        }
        // Each section checks and compiles its own keys; what is checked
        // here is only what spans sections.
        let http = HttpSettings::build(raw.http, &mut self.errors);
        let schedule = Schedule::build(raw.schedule, &mut self.errors);
        let sources = self.sources(raw.sources);
        let (brands, classifier) = crate::classify::config::build(raw.brands, &mut self.errors);
        if self.checks.examples {
            crate::classify::config::examples(&brands, &classifier, &mut self.errors);
        }
        let sink_raw = raw.sink;
        // Read before the section is checked, so that the topic is compared
        // with the sink's even when the rest of `[route]` has errors.
        let route_feedback = raw.route.as_ref().map(|r| {
            r.get("feedback_topic")
                .and_then(|t| t.as_str())
                .unwrap_or(crate::route::config::DEFAULT_FEEDBACK)
                .to_string()
        });
        let route = raw
            .route
            .and_then(|r| crate::route::config::build(r, &mut self.errors));
        let serve = raw.serve.and_then(|v| {
            crate::serve::config::build(v, route.as_ref(), self.env, &mut self.errors)
        });
        let notify = raw
            .notify
            .and_then(|v| crate::notify::config::build(v, self.env, &mut self.errors));
        let state_dir = match raw.state_dir {
            Some(d) => self.base_dir.join(d),
            None => self.base_dir.join("state").join(&name),
        };
        let (sink, delivery) =
            crate::sink::config::build(sink_raw, &state_dir, &self.base_dir, &mut self.errors);
        if let (Some(topic), SinkConfig::Kafka(k)) = (route_feedback, &sink) {
            // `route` would wait for ever on a topic nothing writes.
            if topic != k.feedback_topic {
                self.err(
                    "route.feedback_topic",
                    format!(
                        "found \"{}\", but the sink writes feedback to \"{}\" (sink.feedback_topic); use the same topic",
                        topic, k.feedback_topic
                    ),
                );
            }
        }
        let metrics = raw
            .metrics
            .and_then(|v| self.errors.section("metrics", v))
            .unwrap_or_default();
        Pipeline {
            name,
            file: path.to_path_buf(),
            state_dir,
            http,
            schedule,
            listen: raw.listen,
            metrics,
            sources,
            brands,
            classifier,
            sink,
            delivery,
            route,
            serve,
            notify,
        }
    }

    fn sources(&mut self, raw: Vec<toml::Value>) -> Vec<SourceConfig> {
        if raw.is_empty() && self.checks.sources_required {
            self.err("sources", "at least one [[sources]] entry is needed");
        }
        let mut ids = HashSet::new();
        let mut out = Vec::new();
        for (i, value) in raw.into_iter().enumerate() {
            let key = format!("sources[{i}]");
            let Some(src) = self.source(&key, value) else {
                continue;
            };
            let id = src.id().to_string();
            if id.trim().is_empty() {
                self.err(format!("{key}.id"), "must not be empty");
            } else if !ids.insert(id.clone()) {
                self.err(
                    format!("{key}.id"),
                    format!("`{id}` is used by another source"),
                );
            }
            // Each kind checks and compiles its own settings.
            let (errors, base_dir) = (&mut self.errors, &self.base_dir);
            let built = match &src {
                RawSource::Feed(f) => f.build(&key, base_dir, errors),
                RawSource::Page(p) => p.build(&key, base_dir, errors),
                RawSource::Mastodon(m) => Some(m.build(&key, errors)),
                RawSource::Bluesky(b) => Some(b.build(&key, errors)),
                RawSource::Hackernews(h) => Some(h.build(&key, errors)),
                RawSource::Reddit(r) => Some(r.build(&key, errors)),
            };
            out.extend(built);
        }
        out
    }

    /// One `[[sources]]` entry: its `type` picks the struct its other keys
    /// are read into. (serde's own tagged enums lose the key path of an
    /// error inside a variant, so the tag is read here.)
    fn source(&mut self, key: &str, value: toml::Value) -> Option<RawSource> {
        const KINDS: &[&str] = &[
            "feed",
            "page",
            "mastodon",
            "bluesky",
            "hackernews",
            "reddit",
        ];
        let (kind, rest) = self.errors.tagged(key, value, KINDS)?;
        match kind.as_str() {
            "feed" => self.section(key, rest).map(RawSource::Feed),
            "page" => self.section(key, rest).map(RawSource::Page),
            "mastodon" => self.section(key, rest).map(RawSource::Mastodon),
            "bluesky" => self.section(key, rest).map(RawSource::Bluesky),
            "hackernews" => self.section(key, rest).map(RawSource::Hackernews),
            "reddit" => self.section(key, rest).map(RawSource::Reddit),
            _ => unreachable!("tagged returns one of KINDS"),
        }
    }
}
