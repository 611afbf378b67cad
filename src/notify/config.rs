//! The `[notify]` section: the channels alerts go to, each with its filter
//! and minimum interval.
//!
//! Owned here, checked by [`build`], which adds every problem to the file's
//! error list under its key (`notify.channels[0].url_env`). Webhook URLs and
//! signing keys are secrets: the file names the environment variable that
//! holds each, and the values are kept in [`Secret`], whose `Debug` shows
//! nothing, so that they reach no log or error.

use std::collections::HashSet;
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;

use super::schedule::{time_of_day, urgent, Every, QuietHours};
use crate::config::check::Errors;
use crate::route::records::{AlertKind, AlertRecord};

/// `[notify]`: where alerts are sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotify {
    /// The channels, each tried for every new alert.
    #[serde(default)]
    channels: Vec<toml::Value>,
}

/// `[[notify.channels]]`: one destination.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    /// Name of the channel, unique; kept with each delivery so a restart sends nothing twice.
    name: String,
    /// slack (a Slack-compatible incoming webhook) or webhook (signed JSON).
    #[serde(rename = "type")]
    kind: String,
    /// Environment variable holding the webhook URL (a secret: it is the credential).
    url_env: Option<String>,
    /// webhook: environment variable holding the HMAC-SHA256 signing key.
    secret_env: Option<String>,
    /// email: the SMTP relay's host name.
    host: Option<String>,
    /// email: the relay's port (default 587 for starttls, 465 for tls, 25 for plain).
    port: Option<u16>,
    /// email: starttls (default), tls (TLS from the first byte) or plain (no encryption; a local relay only).
    tls: Option<String>,
    /// email: the SMTP user name, if the relay wants one.
    username: Option<String>,
    /// email: environment variable holding the SMTP password.
    password_env: Option<String>,
    /// email: the sender, e.g. "earshot <alerts@example.com>".
    from: Option<String>,
    /// email: the recipients.
    #[serde(default)]
    to: Vec<String>,
    /// email: a PEM file of the certificate authority that signed the relay's certificate, for a relay with a private CA (default: the public roots).
    ca_file: Option<String>,
    /// Alert kinds sent: immediate, deadline, spike, disengagement (default: all).
    #[serde(default)]
    kinds: Vec<AlertKind>,
    /// Brands sent, in any case (default: all).
    #[serde(default)]
    brands: Vec<String>,
    /// Queues sent (default: all); an alert without a queue (a spike) passes only when this is empty.
    #[serde(default)]
    queues: Vec<String>,
    /// Least time between two messages about one brand, e.g. "15m" (default "0s": each alert at once); alerts inside it are folded into the next message.
    #[serde(default, deserialize_with = "crate::config::check::duration")]
    min_interval: Option<Duration>,
    /// Escalation levels sent: 1 (every alert but those sent on) or 2 (deadline alerts sent on to senior management at the queue's `escalate_after`) (default: all); e.g. [2] for management's channel, [1] for the owners'.
    #[serde(default)]
    levels: Vec<u8>,
    /// IANA time zone of the channel's local times (quiet hours, the daily digest), e.g. "Europe/Berlin" (default "UTC").
    tz: Option<String>,
    /// Local hours in which alerts that are not urgent are held until the end, e.g. { start = "22:00", end = "07:00", tz = "Europe/Berlin" } (tz defaults to the channel's). Urgent: level 2, or about feedback of priority urgent.
    quiet_hours: Option<RawQuiet>,
    /// Low-priority alerts go as one digest per queue instead of one message each: a period such as "1h" (on the hour, UTC) or "daily" (at `digest_at`). Off when left out.
    digest: Option<String>,
    /// With digest = "daily": the local time it goes, "HH:MM" (default "08:00").
    digest_at: Option<String>,
    /// Alert kinds that are low priority, and so go in the digest unless urgent (default: all kinds).
    #[serde(default)]
    digest_kinds: Vec<AlertKind>,
}

/// `quiet_hours = { .. }` of a channel.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuiet {
    /// Local time the quiet hours begin, "HH:MM".
    start: String,
    /// Local time they end, "HH:MM"; before `start` for a night.
    end: String,
    /// IANA time zone (default: the channel's `tz`, else UTC).
    tz: Option<String>,
}

/// A secret read from the environment; never shown.
#[derive(Clone, PartialEq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// The validated section.
#[derive(Debug, Clone, Default)]
pub struct NotifyConfig {
    pub channels: Vec<Channel>,
}

#[derive(Debug, Clone)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    pub filter: Filter,
    pub min_interval: Duration,
    /// Hours in which what is not urgent waits.
    pub quiet: Option<QuietHours>,
    /// Low-priority alerts gathered per queue.
    pub digest: Option<Digest>,
}

/// A channel's digest: when it goes and what it takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Digest {
    pub every: Every,
    /// Low-priority kinds; empty takes every kind.
    pub kinds: Vec<AlertKind>,
}

impl Digest {
    /// Whether `a` waits for the digest: low priority and not urgent.
    pub fn takes(&self, a: &AlertRecord) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&a.kind)) && !urgent(a)
    }
}

#[derive(Debug, Clone)]
pub enum ChannelKind {
    Slack { url: Secret },
    Webhook { url: Secret, key: Secret },
    Email(Box<super::email::Email>),
}

impl ChannelKind {
    /// The webhook URL; none for email.
    pub fn url(&self) -> Option<&Secret> {
        match self {
            ChannelKind::Slack { url } | ChannelKind::Webhook { url, .. } => Some(url),
            ChannelKind::Email(_) => None,
        }
    }
}

/// Which alerts a channel takes; an empty list takes everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kinds: Vec<AlertKind>,
    pub brands: Vec<String>,
    pub queues: Vec<String>,
    pub levels: Vec<u8>,
}

impl Filter {
    pub fn takes(&self, a: &AlertRecord) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&a.kind))
            && (self.levels.is_empty() || self.levels.contains(&a.level))
            && (self.brands.is_empty()
                || self.brands.iter().any(|b| b.eq_ignore_ascii_case(&a.brand)))
            && (self.queues.is_empty() || a.queue.as_ref().is_some_and(|q| self.queues.contains(q)))
    }
}

/// Checks and builds `[notify]`; `env` reads the secrets.
pub fn build(
    value: toml::Value,
    env: &dyn Fn(&str) -> Option<String>,
    errors: &mut Errors,
) -> Option<NotifyConfig> {
    let raw = errors.section::<RawNotify>("notify", value)?;
    let mut names = HashSet::new();
    let mut channels = Vec::new();
    for (i, value) in raw.channels.into_iter().enumerate() {
        let key = format!("notify.channels[{i}]");
        // Each entry on its own, so one bad channel hides no other's errors.
        let Some(c) = errors.section::<RawChannel>(&key, value) else {
            continue;
        };
        if c.name.trim().is_empty() {
            errors.err(format!("{key}.name"), "empty; give the channel a name");
        } else if !names.insert(c.name.clone()) {
            errors.err(
                format!("{key}.name"),
                format!(
                    "\"{}\" is used by an earlier channel; names must be unique",
                    c.name
                ),
            );
        }
        let mut secret = |field: &str, var: Option<&String>| -> Option<Secret> {
            let Some(var) = var.filter(|v| !v.trim().is_empty()) else {
                errors.err(
                    format!("{key}.{field}"),
                    "missing; name the environment variable that holds it",
                );
                return None;
            };
            match env(var).filter(|v| !v.trim().is_empty()) {
                Some(v) => Some(Secret(v.trim().to_string())),
                None => {
                    errors.err(
                        format!("{key}.{field}"),
                        format!("the environment variable {var} is not set or empty"),
                    );
                    None
                }
            }
        };
        let kind = match c.kind.as_str() {
            "slack" => secret("url_env", c.url_env.as_ref()).map(|url| ChannelKind::Slack { url }),
            "webhook" => {
                let url = secret("url_env", c.url_env.as_ref());
                let key = secret("secret_env", c.secret_env.as_ref());
                url.zip(key)
                    .map(|(url, key)| ChannelKind::Webhook { url, key })
            }
            "email" => {
                let password = c
                    .password_env
                    .as_ref()
                    .and_then(|_| secret("password_env", c.password_env.as_ref()));
                email(&key, &c, password, errors).map(|e| ChannelKind::Email(Box::new(e)))
            }
            other => {
                errors.err(
                    format!("{key}.type"),
                    format!("found \"{other}\"; expected slack, webhook or email"),
                );
                None
            }
        };
        if let Some(url) = kind.as_ref().and_then(ChannelKind::url) {
            // The URL itself is a secret: the message names the variable only.
            let ok = url::Url::parse(url.expose())
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            if ok.is_none() {
                errors.err(
                    format!("{key}.url_env"),
                    format!(
                        "the environment variable {} does not hold an http(s) URL with a host",
                        c.url_env.as_deref().unwrap_or_default()
                    ),
                );
            }
        }
        for (i, l) in c.levels.iter().enumerate() {
            if !(1..=2).contains(l) {
                errors.err(
                    format!("{key}.levels[{i}]"),
                    format!("found {l}; expected 1 or 2"),
                );
            }
        }
        let (quiet, digest) = local_times(&key, &c, errors);
        if let Some(kind) = kind {
            channels.push(Channel {
                name: c.name,
                kind,
                filter: Filter {
                    kinds: c.kinds,
                    brands: c.brands,
                    queues: c.queues,
                    levels: c.levels,
                },
                min_interval: c.min_interval.unwrap_or_default(),
                quiet,
                digest,
            });
        }
    }
    Some(NotifyConfig { channels })
}

/// The quiet hours and the digest of channel `key`.
fn local_times(
    key: &str,
    c: &RawChannel,
    errors: &mut Errors,
) -> (Option<QuietHours>, Option<Digest>) {
    let zone = |field: String, name: &str, errors: &mut Errors| match name.trim().parse::<Tz>() {
        Ok(tz) => Some(tz),
        Err(_) => {
            errors.err(
                field,
                format!("\"{name}\" is not an IANA time zone; e.g. \"Europe/Berlin\" or \"UTC\""),
            );
            None
        }
    };
    let channel_tz = match &c.tz {
        Some(name) => zone(format!("{key}.tz"), name, errors),
        None => Some(Tz::UTC),
    };
    let clock = |field: String, s: &str, errors: &mut Errors| {
        let t = time_of_day(s);
        if t.is_none() {
            errors.err(
                field,
                format!("found \"{s}\"; expected a local time \"HH:MM\""),
            );
        }
        t
    };
    let mut quiet_tz = None;
    let quiet = c.quiet_hours.as_ref().and_then(|q| {
        let start = clock(format!("{key}.quiet_hours.start"), &q.start, errors);
        let end = clock(format!("{key}.quiet_hours.end"), &q.end, errors);
        let tz = match &q.tz {
            Some(name) => zone(format!("{key}.quiet_hours.tz"), name, errors),
            None => channel_tz,
        };
        quiet_tz = tz;
        let (start, end, tz) = (start?, end?, tz?);
        if start == end {
            errors.err(
                format!("{key}.quiet_hours.end"),
                "the same as start; quiet hours need a length",
            );
            return None;
        }
        Some(QuietHours { start, end, tz })
    });
    if c.digest.is_none() && (c.digest_at.is_some() || !c.digest_kinds.is_empty()) {
        errors.err(
            format!("{key}.digest"),
            "missing; digest_at and digest_kinds need a digest (\"1h\" or \"daily\")",
        );
    }
    let every = c.digest.as_deref().and_then(|d| {
        if d.trim() == "daily" {
            let at = clock(
                format!("{key}.digest_at"),
                c.digest_at.as_deref().unwrap_or("08:00"),
                errors,
            )?;
            // The daily digest keeps the channel's zone, else the quiet hours'.
            let tz = if c.tz.is_some() {
                channel_tz
            } else {
                quiet_tz.or(channel_tz)
            }?;
            return Some(Every::Daily { at, tz });
        }
        if c.digest_at.is_some() {
            errors.err(format!("{key}.digest_at"), "only for digest = \"daily\"");
        }
        match crate::config::check::parse_duration(d) {
            Ok(p) if p >= Duration::from_secs(60) && p <= Duration::from_secs(86_400) => {
                Some(Every::Period(p))
            }
            Ok(_) => {
                errors.err(
                    format!("{key}.digest"),
                    format!("found \"{d}\"; a period from 1m to 1d, or \"daily\""),
                );
                None
            }
            Err(e) => {
                errors.err(format!("{key}.digest"), format!("{e}, or \"daily\""));
                None
            }
        }
    });
    let digest = every.map(|every| Digest {
        every,
        kinds: c.digest_kinds.clone(),
    });
    (quiet, digest)
}

/// The email settings of channel `key`.
fn email(
    key: &str,
    c: &RawChannel,
    password: Option<Secret>,
    errors: &mut Errors,
) -> Option<super::email::Email> {
    use super::email::{Email, Security};
    let security = match c.tls.as_deref().unwrap_or("starttls") {
        "starttls" => Security::StartTls,
        "tls" => Security::Tls,
        "plain" => Security::Plain,
        other => {
            errors.err(
                format!("{key}.tls"),
                format!("found \"{other}\"; expected starttls, tls or plain"),
            );
            return None;
        }
    };
    let Some(host) = c.host.as_deref().filter(|h| !h.trim().is_empty()) else {
        errors.err(format!("{key}.host"), "missing; the SMTP relay's host name");
        return None;
    };
    let mailbox = |field: String, s: &str, errors: &mut Errors| match s.parse() {
        Ok(m) => Some(m),
        Err(e) => {
            errors.err(field, format!("\"{s}\" is not an address: {e}"));
            None
        }
    };
    let from = match c.from.as_deref() {
        Some(f) => mailbox(format!("{key}.from"), f, errors)?,
        None => {
            errors.err(
                format!("{key}.from"),
                "missing; e.g. \"earshot <alerts@example.com>\"",
            );
            return None;
        }
    };
    if c.to.is_empty() {
        errors.err(format!("{key}.to"), "missing; at least one recipient");
    }
    let to: Vec<_> =
        c.to.iter()
            .enumerate()
            .filter_map(|(i, t)| mailbox(format!("{key}.to[{i}]"), t, errors))
            .collect();
    if to.len() != c.to.len() || to.is_empty() {
        return None;
    }
    let ca = match c.ca_file.as_deref() {
        Some(_) if security == Security::Plain => {
            errors.err(
                format!("{key}.ca_file"),
                "set with tls = \"plain\", which uses no certificates; use starttls or tls",
            );
            return None;
        }
        Some(path) => match std::fs::read(path) {
            // lettre takes a file without certificates as an empty list.
            Ok(pem)
                if pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----")
                    && lettre::transport::smtp::client::Certificate::from_pem(&pem).is_ok() =>
            {
                Some(pem)
            }
            Ok(_) => {
                errors.err(
                    format!("{key}.ca_file"),
                    format!("{path} holds no PEM certificate"),
                );
                return None;
            }
            Err(e) => {
                errors.err(format!("{key}.ca_file"), format!("cannot read {path}: {e}"));
                return None;
            }
        },
        None => None,
    };
    Some(Email {
        host: host.trim().to_string(),
        port: c.port.unwrap_or(match security {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::Plain => 25,
        }),
        security,
        username: c.username.clone(),
        password,
        from,
        to,
        timeout: Duration::from_secs(30),
        ca,
    })
}

#[cfg(test)]
#[path = "tests/config.rs"]
mod tests;
