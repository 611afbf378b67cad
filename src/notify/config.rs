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

use serde::Deserialize;

use crate::config::check::Errors;
use crate::route::records::AlertKind;

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
}

impl Filter {
    pub fn takes(&self, a: &crate::route::records::AlertRecord) -> bool {
        (self.kinds.is_empty() || self.kinds.contains(&a.kind))
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
        if let Some(kind) = kind {
            channels.push(Channel {
                name: c.name,
                kind,
                filter: Filter {
                    kinds: c.kinds,
                    brands: c.brands,
                    queues: c.queues,
                },
                min_interval: c.min_interval.unwrap_or_default(),
            });
        }
    }
    Some(NotifyConfig { channels })
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
    })
}

#[cfg(test)]
mod tests {
    use crate::config::load_str;

    const FILE: &str = r#"
name = "p"
[[sources]]
id = "f"
type = "feed"
url = "http://127.0.0.1:1/feed.xml"
[[brands]]
name = "Acme"
query = "acme"
[sink]
type = "jsonl"
path = "out.jsonl"
"#;

    fn env(name: &str) -> Option<String> {
        match name {
            "HOOK_URL" => Some("https://hooks.example.com/T000/SECRETPATH".into()),
            "HOOK_KEY" => Some("k3y".into()),
            "NOT_A_URL" => Some("SECRETVALUE".into()),
            _ => None,
        }
    }

    #[test]
    fn channels_are_read_with_their_secrets_from_the_environment() {
        let text = format!(
            "{FILE}\n[[notify.channels]]\nname = \"ops\"\ntype = \"webhook\"\nurl_env = \"HOOK_URL\"\nsecret_env = \"HOOK_KEY\"\nkinds = [\"deadline\"]\nmin_interval = \"15m\"\n"
        );
        let p = load_str(&text, std::path::Path::new("p.toml"), &env).unwrap();
        let n = p.notify.unwrap();
        assert_eq!(n.channels.len(), 1);
        let c = &n.channels[0];
        assert_eq!(c.min_interval, std::time::Duration::from_secs(900));
        assert!(
            matches!(&c.kind, super::ChannelKind::Webhook { key, .. } if key.expose() == "k3y")
        );
        assert!(!format!("{c:?}").contains("SECRETPATH"));
    }

    #[test]
    fn an_email_channel_is_read_with_its_port_from_the_tls_mode() {
        let text = format!(
            "{FILE}\n[[notify.channels]]\nname = \"mail\"\ntype = \"email\"\nhost = \"smtp.example.com\"\ntls = \"tls\"\nusername = \"u\"\npassword_env = \"HOOK_KEY\"\nfrom = \"earshot <a@example.com>\"\nto = [\"b@example.com\"]\n\
             [[notify.channels]]\nname = \"bad\"\ntype = \"email\"\nhost = \"h\"\ntls = \"ssl\"\n"
        );
        let e = load_str(&text, std::path::Path::new("p.toml"), &env).unwrap_err();
        assert!(e.to_string().contains("notify.channels[1].tls"), "{e}");
        let good = text
            .split("[[notify.channels]]\nname = \"bad\"")
            .next()
            .unwrap();
        let p = load_str(good, std::path::Path::new("p.toml"), &env).unwrap();
        let c = &p.notify.unwrap().channels[0];
        let super::ChannelKind::Email(m) = &c.kind else {
            panic!("not email: {c:?}");
        };
        assert_eq!(
            (m.port, m.security),
            (465, crate::notify::email::Security::Tls)
        );
        assert_eq!(m.password.as_ref().map(|p| p.expose()), Some("k3y"));
        assert!(!format!("{c:?}").contains("k3y"));
    }

    #[test]
    fn every_bad_channel_is_reported_and_no_secret_is_shown() {
        let text = format!(
            "{FILE}\n[[notify.channels]]\nname = \"a\"\ntype = \"webhook\"\nurl_env = \"NOT_A_URL\"\nsecret_env = \"HOOK_KEY\"\n\
             [[notify.channels]]\nname = \"a\"\ntype = \"slack\"\nurl_env = \"UNSET\"\n\
             [[notify.channels]]\nname = \"c\"\ntype = \"pager\"\n\
             [[notify.channels]]\nname = \"d\"\ntype = \"slack\"\nurl_env = \"HOOK_URL\"\nkinds = [\"urgent\"]\n"
        );
        let e = load_str(&text, std::path::Path::new("p.toml"), &env).unwrap_err();
        let shown = e.to_string();
        for want in [
            "notify.channels[0].url_env",
            "NOT_A_URL does not hold",
            "notify.channels[1].name",
            "UNSET is not set",
            "notify.channels[2].type",
            "notify.channels[3].kinds",
        ] {
            assert!(shown.contains(want), "{want} missing from:\n{shown}");
        }
        assert!(!shown.contains("SECRETVALUE"), "{shown}");
    }
}
