//! The email channel: one message per notification over SMTP (lettre),
//! with a plain-text and an HTML part; a digest's parts come from
//! [`super::digest`].
//!
//! STARTTLS (the default, port 587), TLS from the first byte (port 465) or
//! plain (port 25, for a relay on the same host or network); with
//! `ca_file`, the relay's certificate is checked against that private
//! authority instead of the public roots. The password
//! comes from the environment. The SMTP host is taken as configured: it is
//! an operator's relay, not an address found in data, so the web's SSRF
//! guard does not apply.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::config::Secret;
use super::throttle::Message;
use super::{digest, message};

/// How the connection to the relay is secured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Security {
    StartTls,
    Tls,
    Plain,
}

#[derive(Debug, Clone)]
pub struct Email {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub timeout: Duration,
    /// PEM of a private certificate authority the relay's certificate is
    /// checked against, instead of the public roots.
    pub ca: Option<Vec<u8>>,
}

/// Why a message was not accepted, and whether trying again may help.
#[derive(Debug)]
pub struct Refused {
    pub reason: String,
    pub retry: bool,
}

/// The subject line: kind, brand and how many alerts.
pub fn subject(msg: &Message) -> String {
    if msg.digest.is_some() {
        return digest::subject(msg);
    }
    let a = msg.latest();
    let kind = message::kind_name(a);
    match msg.folded() {
        0 => format!("[earshot] {kind} alert: {}", a.brand),
        n => format!("[earshot] {kind} alert: {} (and {n} more)", a.brand),
    }
}

/// The plain-text part: every alert of the message, newest first.
pub fn plain(msg: &Message) -> String {
    if msg.digest.is_some() {
        return digest::plain(msg);
    }
    let mut s = String::new();
    for a in msg.alerts.iter().rev() {
        s.push_str(&format!("[{}] {}\n", message::kind_name(a), a.reason));
        if let Some(q) = &a.queue {
            s.push_str(&format!("Queue: {q}\n"));
        }
        s.push_str(&format!("At: {}\n\n", a.at.to_rfc3339()));
    }
    s
}

/// The HTML part, escaped by maud.
pub fn html(msg: &Message) -> String {
    if msg.digest.is_some() {
        return digest::html(msg);
    }
    maud::html! {
        h2 { (subject(msg)) }
        @for a in msg.alerts.iter().rev() {
            p {
                strong { (message::kind_name(a)) } " " (a.reason)
                @if let Some(q) = &a.queue { br; "Queue: " code { (q) } }
                br; small { (a.at.to_rfc3339()) }
            }
        }
    }
    .into_string()
}

impl Email {
    /// A transport that checks the relay's certificate, for `self.host`,
    /// against the private authority `ca` alone.
    fn private_ca(
        &self,
        security: Security,
        ca: &[u8],
    ) -> Result<AsyncSmtpTransportBuilder, lettre::transport::smtp::Error> {
        let params = TlsParameters::builder(self.host.clone())
            .certificate_store(CertificateStore::None)
            .add_root_certificate(Certificate::from_pem(ca)?)
            .build_rustls()?;
        let tls = match security {
            Security::Tls => Tls::Wrapper(params),
            _ => Tls::Required(params),
        };
        Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host).tls(tls))
    }

    /// Sends `msg` once; accepted means the relay answered 2xx to the data.
    pub async fn send(&self, msg: &Message) -> Result<(), Refused> {
        let mut b = lettre::Message::builder()
            .from(self.from.clone())
            .subject(subject(msg));
        for to in &self.to {
            b = b.to(to.clone());
        }
        let mail = b
            .multipart(MultiPart::alternative_plain_html(plain(msg), html(msg)))
            .map_err(|e| Refused {
                reason: format!("message not built: {e}"),
                retry: false,
            })?;
        let builder = match (self.security, &self.ca) {
            (Security::Plain, _) => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &self.host,
            )),
            (security, Some(ca)) => self.private_ca(security, ca),
            (Security::StartTls, None) => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)
            }
            (Security::Tls, None) => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host),
        };
        let mut builder = builder
            .map_err(|e| Refused {
                reason: format!("TLS setup: {e}"),
                retry: false,
            })?
            .port(self.port)
            .timeout(Some(self.timeout));
        if let (Some(user), Some(pass)) = (&self.username, &self.password) {
            builder =
                builder.credentials(Credentials::new(user.clone(), pass.expose().to_string()));
        }
        let transport = builder.build();
        match transport.send(mail).await {
            Ok(_) => Ok(()),
            // lettre's errors carry the server's reply, never the password.
            Err(e) => Err(Refused {
                retry: !e.is_permanent(),
                reason: e.to_string(),
            }),
        }
    }
}
