//! Reading one section of a pipeline file so that every bad key is reported.
//!
//! serde stops at the first bad field of a struct. [`section`] instead
//! records the error under its full key path, removes the offending key from
//! the TOML and tries again, so `concurrency = "eight"` no longer hides
//! `interval = "15x"` beside it. serde's messages speak Rust (`invalid type:
//! string "eight", expected usize`); [`user_terms`] rewrites them as what was
//! found and what would be right ("a whole number such as 8"). Unknown keys
//! get a "did you mean" when a known key is close. What the values mean is
//! not checked here: that is each section's own validation.

use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

use super::ConfigError;

/// The problems found so far in one pipeline file. Every section's
/// `build` adds to it and goes on, so that the file's errors are reported
/// together; the aggregator in [`super::validate`] gives them their lines.
#[derive(Debug, Default)]
pub struct Errors {
    list: Vec<ConfigError>,
}

impl Errors {
    /// Records a problem with `key` (a full path such as `sink.broker_wait`).
    pub fn err(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.list.push(ConfigError::new(key, message));
    }

    /// Reads a section or entry key by key; see [`section`].
    pub fn section<T: DeserializeOwned>(&mut self, key: &str, value: toml::Value) -> Option<T> {
        section(key, value, &mut self.list)
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn into_vec(self) -> Vec<ConfigError> {
        self.list
    }

    /// Splits a table's `type = "..."` from its other keys, reporting a
    /// missing or unknown type (with the closest known one).
    pub fn tagged(
        &mut self,
        key: &str,
        value: toml::Value,
        kinds: &[&str],
    ) -> Option<(String, toml::Value)> {
        let one_of = kinds.join(", ");
        let toml::Value::Table(mut table) = value else {
            let found = value.type_str();
            self.err(
                key,
                format!("found a {found}; expected a table with type = one of {one_of}"),
            );
            return None;
        };
        let tkey = format!("{key}.type");
        match table.remove("type") {
            Some(toml::Value::String(t)) if kinds.contains(&t.as_str()) => {
                Some((t, toml::Value::Table(table)))
            }
            Some(toml::Value::String(t)) => {
                let known: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
                let hint = match closest(&t, &known) {
                    Some(k) => format!("did you mean \"{k}\"? "),
                    None => String::new(),
                };
                self.err(tkey, format!("unknown type \"{t}\"; {hint}one of {one_of}"));
                None
            }
            Some(other) => {
                self.err(
                    tkey,
                    format!("found {other}; expected one of {one_of}, in quotes"),
                );
                None
            }
            None => {
                self.err(tkey, format!("missing: one of {one_of}"));
                None
            }
        }
    }

    /// A source's `url`: a URL or a path (relative to `base_dir`).
    pub fn location(
        &mut self,
        key: &str,
        url: &str,
        base_dir: &std::path::Path,
    ) -> Option<super::Location> {
        super::Location::parse(url, base_dir)
            .map_err(|e| self.err(key, e))
            .ok()
    }

    /// An address to listen on, as `host:port` ("127.0.0.1:9187",
    /// "[::1]:9187", "localhost:9187").
    pub fn listen_address(&mut self, key: &str, addr: &str) {
        let port = addr.rsplit_once(':').filter(|(host, _)| !host.is_empty());
        if port.is_none_or(|(_, p)| p.parse::<u16>().is_err()) {
            self.err(
                key,
                format!("found \"{addr}\"; expected host:port such as \"127.0.0.1:9187\""),
            );
        }
    }

    /// A number of pages, requests or the like: at least one.
    pub fn at_least_one(&mut self, key: String, value: Option<usize>, default: usize) -> usize {
        let n = value.unwrap_or(default);
        if n == 0 {
            self.err(key, "must be at least 1");
        }
        n
    }

    /// An API base URL (`default` when left out or empty): http(s), or
    /// ws(s) for a websocket. A bad one is reported and replaced by the
    /// default so that checking can go on.
    pub fn api_url(&mut self, key: String, value: Option<&str>, default: &str) -> url::Url {
        let s = value.filter(|v| !v.is_empty()).unwrap_or(default);
        let checked = url::Url::parse(s)
            .map_err(|e| {
                let s = shown(s);
                format!("found \"{s}\", which is not a valid URL ({e}); expected one such as https://example.com")
            })
            .and_then(|u| match u.scheme() {
                "http" | "https" | "ws" | "wss" => Ok(u),
                other => Err(format!(
                    "unsupported scheme `{other}`: use http(s):// (or ws(s):// for jetstream)"
                )),
            });
        checked.unwrap_or_else(|e| {
            self.err(key, e);
            url::Url::parse(default)
                .unwrap_or_else(|_| url::Url::parse("http://invalid.invalid").expect("static URL"))
        })
    }
}

/// An optional string; empty (or only spaces) is none.
pub fn non_empty(value: Option<&str>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty()).map(str::to_string)
}

/// What a duration looks like, in every message that asks for one.
pub const DURATION: &str = "a duration such as 15m, 2h or 1d";

/// More bad keys than this in one section is not a typo but the wrong file.
const MAX_ERRORS_PER_SECTION: usize = 64;

/// Deserializes `value` as `T`, reporting every bad key under `prefix` (e.g.
/// `sources[3]`) into `errors`. A bad optional key falls back to its
/// default, so the rest of the section can still be checked; `None` when a
/// required key is missing or bad, or the value is not a table at all.
pub fn section<T: DeserializeOwned>(
    prefix: &str,
    mut value: toml::Value,
    errors: &mut Vec<ConfigError>,
) -> Option<T> {
    let mut removed: Vec<String> = Vec::new();
    for _ in 0..MAX_ERRORS_PER_SECTION {
        let e = match serde_path_to_error::deserialize::<_, T>(value.clone()) {
            Ok(t) => return Some(t),
            Err(e) => e,
        };
        let mut path: Vec<Segment> = e.path().iter().cloned().collect();
        let message = e.into_inner().message().trim().to_string();
        if let Some((name, expected)) = unknown_field(&message) {
            // The path may or may not already end at the unknown key.
            if !matches!(path.last(), Some(Segment::Map { key }) if *key == name) {
                path.push(Segment::Map { key: name.clone() });
            }
            let key = join(prefix, &path);
            let hint = match closest(&name, &expected) {
                Some(k) => format!(" (did you mean `{k}`?)"),
                None if expected.is_empty() => String::new(),
                None => format!(" (known keys: {})", expected.join(", ")),
            };
            push(errors, key.clone(), format!("unknown key{hint}"));
            if !remove(&mut value, &path) {
                return None;
            }
            removed.push(key);
            continue;
        }
        if let Some(name) = missing_field(&message) {
            path.push(Segment::Map { key: name });
            let key = join(prefix, &path);
            // A key removed for being bad was reported already.
            if !removed.contains(&key) {
                push(errors, key, "missing: this key is required".to_string());
            }
            return None;
        }
        let key = join(prefix, &path);
        let message = if is_secret(&key) {
            // What was found may be the secret itself, typed wrong.
            user_terms(&message).split_once("; ").map_or_else(
                || "has the wrong type (value not shown)".to_string(),
                |(_, expected)| format!("{expected} (value not shown)"),
            )
        } else {
            user_terms(&message)
        };
        push(errors, key.clone(), message);
        if path.is_empty() || !remove(&mut value, &path) {
            return None;
        }
        removed.push(key);
    }
    None
}

/// Whether a key holds a credential, whose value no message may show.
pub fn is_secret(key: &str) -> bool {
    let key = key.to_lowercase();
    [
        "password",
        "secret",
        "token",
        "sasl.",
        "ssl.key",
        "credential",
    ]
    .iter()
    .any(|s| key.contains(s))
}

/// `s` as it may be shown in a message: a URL's user and password hidden.
pub fn shown(s: &str) -> String {
    match s.split_once("://") {
        Some((scheme, rest)) => match rest.split('/').next().and_then(|a| a.rsplit_once('@')) {
            Some((_, host)) => {
                let path = &rest[rest.find('/').unwrap_or(rest.len())..];
                format!("{scheme}://***@{host}{path}")
            }
            None => s.to_string(),
        },
        None => s.to_string(),
    }
}

fn push(errors: &mut Vec<ConfigError>, key: String, message: String) {
    errors.push(ConfigError::new(key, message));
}

/// `prefix` and a serde path as a user writes keys: `sources[3].selectors.post`.
pub fn join(prefix: &str, path: &[Segment]) -> String {
    let mut out = prefix.to_string();
    for segment in path {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&quote_key(key));
            }
            Segment::Unknown => {}
        }
    }
    out
}

/// A key as TOML needs it written: bare when it can be, else quoted.
pub fn quote_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare {
        key.to_string()
    } else {
        format!("\"{key}\"")
    }
}

/// Removes the value at `path`; false when there is nothing there to remove.
fn remove(value: &mut toml::Value, path: &[Segment]) -> bool {
    let Some((last, parents)) = path.split_last() else {
        return false;
    };
    let mut v = value;
    for segment in parents {
        v = match (segment, v) {
            (Segment::Map { key }, toml::Value::Table(t)) => match t.get_mut(key) {
                Some(v) => v,
                None => return false,
            },
            (Segment::Seq { index }, toml::Value::Array(a)) => match a.get_mut(*index) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    match (last, v) {
        (Segment::Map { key }, toml::Value::Table(t)) => t.remove(key).is_some(),
        (Segment::Seq { index }, toml::Value::Array(a)) if *index < a.len() => {
            a.remove(*index);
            true
        }
        _ => false,
    }
}

/// serde's "unknown field `x`, expected one of `a`, `b`" as `x` and its
/// known keys.
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (name, expected) = rest.split_once('`')?;
    let known = expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    Some((name.to_string(), known))
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest.split_once('`')?.0.to_string())
}

/// The known name closest to `name`, if it is close enough to be a typo.
pub fn closest<'a>(name: &str, known: &'a [String]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (distance(&name.to_lowercase(), &k.to_lowercase()), k))
        .filter(|(d, k)| match k.chars().count() {
            0..=3 => *d <= 1,
            n => *d <= (n / 3).max(2),
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

/// Levenshtein distance over characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// Rewrites serde's "invalid type: string \"eight\", expected usize" as
/// "found \"eight\"; expected a whole number such as 8". Other messages
/// (already written for users, like a duration's) pass through.
pub fn user_terms(message: &str) -> String {
    let rest = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "));
    let Some((found, expected)) = rest.and_then(|r| r.rsplit_once(", expected ")) else {
        return message.to_string();
    };
    format!(
        "found {}; expected {}",
        found_value(found),
        expected_kind(expected)
    )
}

fn found_value(found: &str) -> String {
    for kind in ["string ", "integer ", "floating point ", "boolean "] {
        if let Some(v) = found.strip_prefix(kind) {
            return v.trim_matches('`').to_string();
        }
    }
    match found {
        "sequence" => "a list".into(),
        "map" => "a table".into(),
        other => other.into(),
    }
}

fn expected_kind(expected: &str) -> String {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize"
        | "an integer" => "a whole number such as 8".into(),
        "f32" | "f64" | "a float" => "a number such as 0.5".into(),
        "a boolean" => "true or false".into(),
        "a string" | "a borrowed string" => "text in quotes, such as \"acme\"".into(),
        "a sequence" => "a list such as [\"a\", \"b\"]".into(),
        "a map" => "a table of keys".into(),
        s if s.starts_with("struct ") || s.starts_with("a map") => "a table of keys".into(),
        s if s.starts_with("a sequence") => "a list such as [\"a\", \"b\"]".into(),
        s if s.starts_with("a duration") => DURATION.into(),
        other => other.into(),
    }
}

/// `#[serde(default, deserialize_with = "...::duration")]` for an optional
/// duration written like "15m", with a message in the user's terms.
pub fn duration<'de, D>(d: D) -> Result<Option<std::time::Duration>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct V;
    impl serde::de::Visitor<'_> for V {
        type Value = std::time::Duration;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(DURATION)
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            parse_duration(s).map_err(E::custom)
        }
    }
    d.deserialize_any(V).map(Some)
}

/// Parses "15m", "2h 30m", "1d"; the error is a whole message for the user.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(s.trim()).map_err(|_| format!("found \"{s}\"; expected {DURATION}"))
}

#[cfg(test)]
mod tests;
