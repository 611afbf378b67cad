//! The email channel against a real SMTP server on 127.0.0.1: Python's
//! aiosmtpd (`pip install aiosmtpd`; `scripts/test` installs it), whose
//! script parses each message with Python's email package and reports it.

use std::time::Duration;

use earshot::notify::config::{Channel, ChannelKind, Digest, Filter};
use earshot::notify::email::{Email, Security};
use earshot::notify::schedule::Every;
use earshot::notify::throttle::{Message, Throttle};
use earshot::route::records::AlertRecord;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// Stops the server however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn alert(id: &str, reason: &str) -> AlertRecord {
    serde_json::from_value(serde_json::json!({
        "schema": "earshot.alert/1",
        "id": id,
        "kind": "deadline",
        "at": "2026-11-30T10:00:00Z",
        "brand": "Acme",
        "reason": reason,
        "queue": "support",
    }))
    .unwrap()
}

type Reports = std::io::Lines<BufReader<std::process::ChildStdout>>;

/// Starts the plain server; gives its reports and the email channel to it.
fn server() -> (Server, Reports, Email) {
    server_with(&[])
}

/// Starts the server with `args` (a TLS mode and its certificate files).
fn server_with(args: &[&str]) -> (Server, Reports, Email) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_server.py");
    let mut server = Server(
        Command::new("python3")
            .arg(script)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs"),
    );
    let mut lines = BufReader::new(server.0.stdout.take().unwrap()).lines();
    let port: u16 = lines
        .next()
        .expect("the SMTP server starts (is aiosmtpd installed? pip install aiosmtpd)")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let email = Email {
        host: "127.0.0.1".into(),
        port,
        security: Security::Plain,
        username: None,
        password: None,
        from: "earshot <alerts@example.com>".parse().unwrap(),
        to: vec!["support lead <lead@example.com>".parse().unwrap()],
        timeout: Duration::from_secs(30),
        ca: None,
    };
    (server, lines, email)
}

/// A certificate authority made for the test and a certificate it signed
/// for localhost, as PEM files in `dir`: (CA, certificate, key).
fn pki(dir: &std::path::Path, name: &str) -> (Vec<u8>, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("{name} test CA"));
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let write = |file: &str, text: &str| {
        let p = dir.join(format!("{name}-{file}"));
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    (
        ca.pem().into_bytes(),
        write("cert.pem", &cert.pem()),
        write("key.pem", &key.serialize_pem()),
    )
}

fn one_alert() -> Message {
    Message {
        channel: 0,
        brand: "Acme".into(),
        alerts: vec![alert("al_tls", "Unacknowledged past its deadline.")],
        digest: None,
    }
}

/// STARTTLS and TLS from the first byte, each against a relay whose
/// certificate a private authority signed: accepted with that authority,
/// refused with another one (the certificate is checked, not just used).
#[tokio::test]
async fn starttls_and_tls_relays_are_checked_against_the_configured_authority() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = pki(dir.path(), "relay");
    let (other_ca, _, _) = pki(dir.path(), "other");
    for (mode, security) in [("starttls", Security::StartTls), ("tls", Security::Tls)] {
        let (_server, mut lines, mut email) = server_with(&[mode, &cert, &key]);
        email.host = "localhost".into();
        email.security = security;
        email.ca = Some(other_ca.clone());
        let refused = email.send(&one_alert()).await;
        assert!(
            refused.is_err(),
            "{mode}: a certificate of another authority"
        );
        email.ca = Some(ca.clone());
        email.send(&one_alert()).await.unwrap();
        let got: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
        assert_eq!(got["tls"], true, "{mode}: {got}");
        assert_eq!(got["subject"], "[earshot] deadline alert: Acme", "{mode}");
        assert_eq!(got["defects"], 0, "{mode}: {got}");
    }
}

/// A relay that requires STARTTLS takes nothing sent in the clear.
#[tokio::test]
async fn a_relay_that_requires_starttls_refuses_a_plain_message() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cert, key) = pki(dir.path(), "relay");
    let (_server, _lines, email) = server_with(&["starttls", &cert, &key]);
    assert!(email.send(&one_alert()).await.is_err());
}

#[tokio::test]
async fn an_email_has_plain_and_html_parts_and_is_accepted() {
    let (_server, mut lines, email) = server();
    let msg = Message {
        channel: 0,
        brand: "Acme".into(),
        alerts: vec![
            alert("al_1", "First <b>not bold</b> & unacknowledged."),
            alert("al_2", "Second, newest."),
        ],
        digest: None,
    };
    email.send(&msg).await.unwrap();
    let got: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(got["mail_from"], "alerts@example.com");
    assert_eq!(got["rcpt_tos"], serde_json::json!(["lead@example.com"]));
    assert_eq!(
        got["subject"],
        "[earshot] deadline alert: Acme (and 1 more)"
    );
    assert_eq!(got["content_type"], "multipart/alternative");
    let plain = got["plain"].as_str().unwrap();
    assert!(
        plain.find("Second, newest.").unwrap() < plain.find("First").unwrap(),
        "{plain}"
    );
    assert!(plain.contains("Queue: support"), "{plain}");
    let html = got["html"].as_str().unwrap();
    assert!(
        html.contains("First &lt;b&gt;not bold&lt;/b&gt; &amp; unacknowledged."),
        "{html}"
    );
}

/// A queue's hour of low-priority alerts, gathered by the throttle of a
/// digest channel, goes as one well-formed email: multipart/alternative
/// with a plain and an HTML part, both with the counts and the top alerts.
#[tokio::test]
async fn a_digest_email_counts_the_hour_and_is_well_formed() {
    let (_server, mut lines, email) = server();
    let channel = Channel {
        name: "digest".into(),
        kind: ChannelKind::Email(Box::new(email.clone())),
        filter: Filter::default(),
        min_interval: Duration::ZERO,
        quiet: None,
        digest: Some(Digest {
            every: Every::Period(Duration::from_secs(3600)),
            kinds: Vec::new(),
        }),
    };
    let mut throttle = Throttle::new(&[channel]);
    let t0: chrono::DateTime<chrono::Utc> = "2026-11-30T10:05:00Z".parse().unwrap();
    for i in 0..6 {
        let at = t0 + chrono::TimeDelta::minutes(i * 5);
        let mut a = alert(
            &format!("al_{i}"),
            &format!("Acme feedback {i} <unanswered> & late."),
        );
        a.at = at;
        assert!(throttle.offer(0, a, at).is_none(), "held for the digest");
    }
    let mut spike = alert("al_spike", "Globex mentions jumped.");
    spike.kind = earshot::route::records::AlertKind::Spike;
    spike.brand = "Globex".into();
    spike.queue = None;
    assert!(throttle.offer(0, spike, t0).is_none());
    let top = "2026-11-30T11:00:00Z".parse().unwrap();
    assert_eq!(throttle.next_due(t0), Some(top));
    let digests = throttle.due(top);
    // The spike has no queue: a digest of its own.
    assert_eq!(digests.len(), 2);
    let support = digests
        .iter()
        .find(|m| m.digest.as_ref().unwrap().queue.as_deref() == Some("support"))
        .unwrap();
    email.send(support).await.unwrap();
    let got: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(
        got["subject"],
        "[earshot] Digest: 6 alerts in queue support: 6 deadline"
    );
    assert_eq!(got["content_type"], "multipart/alternative");
    assert_eq!(got["parts"], serde_json::json!(["text/plain", "text/html"]));
    assert_eq!(got["defects"], 0, "{got}");
    let plain = got["plain"].as_str().unwrap();
    assert!(plain.contains("Brands: Acme 6"), "{plain}");
    // The newest first, five of them, and a count of the rest.
    let newest = plain.find("Acme feedback 5").unwrap();
    assert!(newest < plain.find("Acme feedback 1").unwrap(), "{plain}");
    assert!(!plain.contains("Acme feedback 0"), "{plain}");
    assert!(plain.contains("And 1 more in this digest."), "{plain}");
    let html = got["html"].as_str().unwrap();
    assert!(
        html.contains("<h2>Digest: 6 alerts in queue support: 6 deadline</h2>"),
        "{html}"
    );
    assert!(
        html.contains("Acme feedback 5 &lt;unanswered&gt; &amp; late."),
        "{html}"
    );
    assert_eq!(html.matches("<li>").count(), 5, "{html}");

    let other = digests.iter().find(|m| !std::ptr::eq(*m, support)).unwrap();
    email.send(other).await.unwrap();
    let got: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(
        got["subject"],
        "[earshot] Digest: 1 alert without a queue: 1 spike"
    );
}
