//! The email channel against a real SMTP server on 127.0.0.1: Python's
//! aiosmtpd (`pip install aiosmtpd`; `scripts/test` installs it), whose
//! script parses each message with Python's email package and reports it.

use std::time::Duration;

use earshot::notify::email::{Email, Security};
use earshot::notify::throttle::Message;
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

#[tokio::test]
async fn an_email_has_plain_and_html_parts_and_is_accepted() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_server.py");
    let mut server = Server(
        Command::new("python3")
            .arg(script)
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
    };
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
