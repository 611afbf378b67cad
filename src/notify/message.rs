//! The bodies a channel receives, and the signature of the generic
//! webhook. Pure.
//!
//! Slack's incoming webhooks take `{"text", "blocks"}`: `text` is the
//! fallback shown in notifications, `blocks` the formatted message. The
//! generic webhook gets every alert of the message in full. Its signature
//! is HMAC-SHA256 of `timestamp.body` under the channel's key, sent as
//! `X-Earshot-Signature: t=<unix seconds>,v1=<hex>`: binding the time into
//! what is signed lets a receiver refuse an old message replayed.

use hmac::{Hmac, Mac};
use serde_json::{json, Value};

use super::throttle::Message;
use crate::route::records::{AlertKind, AlertRecord};

/// The header that carries the webhook signature.
pub const SIGNATURE_HEADER: &str = "X-Earshot-Signature";

/// The generic webhook body's schema.
pub const SCHEMA: &str = "earshot.notification/1";

/// The alert's kind as written in the file.
pub fn kind_name(a: &AlertRecord) -> &'static str {
    match a.kind {
        AlertKind::Immediate => "immediate",
        AlertKind::Deadline => "deadline",
        AlertKind::Spike => "spike",
        AlertKind::Disengagement => "disengagement",
    }
}

/// The message in one line: the newest alert, and how many came with it;
/// for a digest, its counts.
pub fn summary(msg: &Message) -> String {
    if msg.digest.is_some() {
        return super::digest::summarise(msg).title();
    }
    let a = msg.latest();
    let mut s = format!("[{}] {}: {}", kind_name(a), a.brand, a.reason);
    match msg.folded() {
        0 => {}
        1 => s.push_str(" (and 1 more alert about this brand)"),
        n => s.push_str(&format!(" (and {n} more alerts about this brand)")),
    }
    s
}

/// A Slack incoming-webhook body.
pub fn slack(msg: &Message) -> Value {
    if msg.digest.is_some() {
        return super::digest::slack(msg);
    }
    let a = msg.latest();
    let mut lines = vec![
        format!("*{} alert: {}*", kind_name(a), a.brand),
        a.reason.clone(),
    ];
    if let Some(q) = &a.queue {
        lines.push(format!("Queue: `{q}`"));
    }
    if msg.folded() > 0 {
        lines.push(format!(
            "_and {} more like this since the last message_",
            msg.folded()
        ));
    }
    json!({
        "text": summary(msg),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": lines.join("\n")}}],
    })
}

/// The generic webhook body. A digest has `digest` (its queue and counts)
/// and no `brand`; every alert is in `alerts` either way.
pub fn webhook(msg: &Message, channel: &str) -> Value {
    let mut body = json!({
        "schema": SCHEMA,
        "channel": channel,
        "summary": summary(msg),
        "folded": msg.folded(),
        "alerts": msg.alerts,
    });
    match msg.digest {
        Some(_) => body["digest"] = super::digest::webhook(msg),
        None => body["brand"] = json!(msg.brand),
    }
    body
}

/// The signature header's value for `body` sent at `timestamp`.
pub fn sign(key: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={timestamp},v1={hex}")
}

/// Whether `header` (`t=..,v1=..`) signs `body` with `key` at a time
/// within `tolerance_secs` of `now`: what a receiver checks, replays older
/// than the tolerance refused. The comparison takes constant time.
pub fn verify(key: &[u8], header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> bool {
    let (mut t, mut v1) = (None, None);
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", x)) => t = x.parse::<i64>().ok(),
            Some(("v1", x)) => v1 = hex(x),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if now.abs_diff(t) > tolerance_secs.unsigned_abs() {
        return false;
    }
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&v1).is_ok()
}

/// Bytes of a hex string, if it is one.
fn hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_within_the_tolerance_and_not_tampered_or_late() {
        let header = sign(b"key", 1_700_000_000, b"{}");
        assert!(verify(b"key", &header, b"{}", 1_700_000_100, 300));
        assert!(
            !verify(b"key", &header, b"{ }", 1_700_000_100, 300),
            "body changed"
        );
        assert!(
            !verify(b"other", &header, b"{}", 1_700_000_100, 300),
            "other key"
        );
        assert!(
            !verify(b"key", &header, b"{}", 1_700_000_301, 300),
            "too late"
        );
        assert!(!verify(b"key", "t=1700000000", b"{}", 1_700_000_000, 300));
        assert!(!verify(
            b"key",
            "t=1700000000,v1=zz",
            b"{}",
            1_700_000_000,
            300
        ));
    }

    #[test]
    fn the_signature_matches_the_documented_construction() {
        // HMAC-SHA256("key", "1700000000.{}"), computed independently
        // (Python: hmac.new(b"key", b"1700000000.{}", "sha256").hexdigest()).
        assert_eq!(
            sign(b"key", 1_700_000_000, b"{}"),
            "t=1700000000,v1=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
        );
    }
}
