//! Kafka over TLS, end to end: the earshot binary against a Tansu broker
//! behind a real TLS terminator (rustls), with a certificate authority the
//! test makes. A backfill delivers through TLS when it trusts the CA, is
//! refused with a clear message when it trusts another, and gets through a
//! terminator that requires client certificates only with one. `route`
//! consumes the feedback and produces its queue through the same terminator.

mod common;
mod e2e;

use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

use common::start_server_thread;
use e2e::broker::Broker;
use e2e::earshot::{http_get, pipeline, Earshot, SinkSpec, Src, FEEDBACK_TOPIC, INFLUENCER_TOPIC};
use e2e::reader::Reader;
use e2e::tls::{Pki, Terminator};

/// Tansu on a free port, advertising a TLS terminator in front of it.
fn broker_behind_tls(dir: &Path, pki: &Pki, mutual: bool) -> (Broker, Terminator) {
    let port = e2e::free_port();
    let terminator = Terminator::start(pki, ([127, 0, 0, 1], port).into(), mutual);
    let broker = Broker::start_on(dir, port, terminator.addr);
    broker.create_topic(FEEDBACK_TOPIC, 1);
    broker.create_topic(INFLUENCER_TOPIC, 1);
    (broker, terminator)
}

/// A backfill of one feed to `bootstrap`, waited for: its exit status and log.
fn backfill(
    dir: &Path,
    label: &str,
    bootstrap: &str,
    properties: &[(&str, &str)],
) -> (ExitStatus, String) {
    let fixtures = start_server_thread();
    let sources = [Src::feed("news", "/static/feeds/rss2.xml")];
    let mut props = vec![("message.timeout.ms", "10000")];
    props.extend_from_slice(properties);
    let file = pipeline(
        dir,
        label,
        &fixtures,
        &sources,
        &dir.join(format!("state-{label}")),
        SinkSpec::Kafka {
            brokers: bootstrap,
            properties: &props,
        },
    );
    // A wrong CA must fail in seconds, not after the default two minutes.
    let text = std::fs::read_to_string(&file).unwrap();
    let text = text.replace(
        "[sink.properties]",
        "broker_wait = \"15s\"\n\n[sink.properties]",
    );
    std::fs::write(&file, text).unwrap();
    let mut run = Earshot::backfill(dir, label, &file);
    let status = run.wait(Duration::from_secs(90));
    (status, run.log())
}

fn feedback_over_tls(bootstrap: &str, properties: &[(&str, &str)]) -> usize {
    let mut reader = Reader::with_properties(bootstrap, &[FEEDBACK_TOPIC], 1, properties);
    reader.read_until(Duration::from_secs(30), |got| !got.is_empty());
    reader.got.len()
}

#[test]
fn a_backfill_delivers_through_tls_when_it_trusts_the_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pki = Pki::new(dir, "good");
    let (_broker, tls) = broker_behind_tls(dir, &pki, false);
    let bootstrap = tls.addr.to_string();
    let ca = pki.ca_pem.display().to_string();
    let props = [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", ca.as_str()),
    ];
    let (status, log) = backfill(dir, "tls", &bootstrap, &props);
    assert!(status.success(), "{log}");
    assert!(feedback_over_tls(&bootstrap, &props) > 0);
}

#[test]
fn a_broker_whose_certificate_another_ca_signed_is_refused_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pki = Pki::new(dir, "good");
    let other = Pki::new(dir, "other");
    let (_broker, tls) = broker_behind_tls(dir, &pki, false);
    let ca = other.ca_pem.display().to_string();
    let props = [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", ca.as_str()),
    ];
    let (status, log) = backfill(dir, "wrong-ca", &tls.addr.to_string(), &props);
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains("sink.broker_wait"), "{log}");
    assert!(
        log.contains("certificate verify failed"),
        "the failure names its cause:\n{log}"
    );
}

#[test]
fn mutual_tls_lets_in_only_a_client_with_a_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pki = Pki::new(dir, "good");
    let (_broker, tls) = broker_behind_tls(dir, &pki, true);
    let bootstrap = tls.addr.to_string();
    let (ca, cert, key) = (
        pki.ca_pem.display().to_string(),
        pki.client_pem.display().to_string(),
        pki.client_key_pem.display().to_string(),
    );
    let server_only = [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", ca.as_str()),
    ];
    let (status, log) = backfill(dir, "no-client-cert", &bootstrap, &server_only);
    assert_eq!(status.code(), Some(1), "{log}");
    let mutual = [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", ca.as_str()),
        ("ssl.certificate.location", cert.as_str()),
        ("ssl.key.location", key.as_str()),
    ];
    let (status, log) = backfill(dir, "client-cert", &bootstrap, &mutual);
    assert!(status.success(), "{log}");
    assert!(feedback_over_tls(&bootstrap, &mutual) > 0);
}

#[test]
fn route_consumes_and_produces_through_tls() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pki = Pki::new(dir, "good");
    let (broker, tls) = broker_behind_tls(dir, &pki, false);
    let queue = "e2e.queue.triage";
    for t in ["e2e.status", "e2e.alerts", "e2e.deadlines", queue] {
        broker.create_topic(t, 1);
    }
    let bootstrap = tls.addr.to_string();
    let ca = pki.ca_pem.display().to_string();
    let props = [
        ("security.protocol", "SSL"),
        ("ssl.ca.location", ca.as_str()),
    ];
    let (status, log) = backfill(dir, "tls", &bootstrap, &props);
    assert!(status.success(), "{log}");
    let delivered = feedback_over_tls(&bootstrap, &props);
    assert!(delivered > 0);

    // The backfill's pipeline, with a [route] section.
    let file = dir.join("tls.toml");
    let mut text = std::fs::read_to_string(&file).unwrap();
    text += &format!(
        "\"consumer.statistics.interval.ms\" = \"200\"\n\n[route]\nfeedback_topic = \"{FEEDBACK_TOPIC}\"\n\
         status_topic = \"e2e.status\"\nalerts_topic = \"e2e.alerts\"\n\
         changelog_topic = \"e2e.deadlines\"\ngroup = \"e2e-route\"\ndefault_queue = \"triage\"\n\
         [[route.queues]]\nname = \"triage\"\ntopic = \"{queue}\"\n"
    );
    std::fs::write(&file, text).unwrap();
    let listen: std::net::SocketAddr = ([127, 0, 0, 1], e2e::free_port()).into();
    let (p, l) = (file.display().to_string(), listen.to_string());
    let mut route = Earshot::spawn(dir, "route", &["route", "-p", &p, "--listen", &l]);

    let mut reader = Reader::with_properties(&bootstrap, &[queue], 1, &props);
    let routed = reader.read_until(Duration::from_secs(60), |got| got.len() >= delivered);
    assert!(
        routed,
        "{} of {delivered} routed through TLS:\n{}",
        reader.got.len(),
        route.log()
    );
    // Committed through TLS too: the lag falls to 0.
    let caught_up = e2e::wait_until(Duration::from_secs(30), || {
        http_get(listen, "/metrics").is_ok_and(|(_, m)| {
            m.contains(&format!(
                "earshot_route_consumer_lag{{topic=\"{FEEDBACK_TOPIC}\",partition=\"0\"}} 0\n"
            ))
        })
    });
    assert!(caught_up, "{}", http_get(listen, "/metrics").unwrap().1);
    let (status, body) = http_get(listen, "/healthz").unwrap();
    assert_eq!(status, 200, "{body}");

    route.sigterm();
    let status = route.wait(Duration::from_secs(20));
    assert!(status.success(), "{}", route.log());
}
