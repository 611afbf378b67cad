//! `run` across a broker outage, end to end: the earshot binary, a Tansu
//! broker and a relay between them that the test cuts and restores.
//!
//! While the broker is away, `/healthz` says the sink is down and why, and
//! once records have waited past `stuck_after` it answers 503; `/metrics`
//! says the same (`earshot_sink_up 0`). Once the relay is back, delivery
//! resumes within a couple of seconds (`reconnect.backoff.max.ms`), which
//! the test measures and bounds. The source is a local feed file the test
//! rewrites, so that a new mention arrives exactly during the outage.
//! Needs the `tansu` executable (see `scripts/test`).

mod common;
mod e2e;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use e2e::broker::Broker;
use e2e::earshot::{http_get, Earshot, FEEDBACK_TOPIC, INFLUENCER_TOPIC};
use e2e::reader::Reader;
use e2e::relay::Relay;

/// An RSS feed whose items `1..=n` each mention Acme; no `<ttl>`, so `run`
/// polls it every second.
fn write_feed(path: &Path, n: usize) {
    let mut items = String::new();
    for i in 1..=n {
        items += &format!(
            "<item><title>Acme post {i}</title><link>https://blog.example/{i}</link>\
             <guid>post-{i}</guid><pubDate>Sat, 09 Mar 2024 17:45:00 +0000</pubDate>\
             <description>The Acme phone number {i} broke again; I hate it.</description></item>\n"
        );
    }
    let feed = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Blog</title><link>https://blog.example/</link><description>d</description>\n\
         {items}</channel></rss>\n"
    );
    // Written whole, then renamed, so a poll never reads half a file.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, feed).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn pipeline(dir: &Path, feed: &Path, brokers: &str) -> std::path::PathBuf {
    let q = |p: &Path| toml::Value::String(p.display().to_string()).to_string();
    let text = format!(
        "name = \"outage\"\nstate_dir = {}\n\n[schedule]\ninterval = \"1s\"\nmin_interval = \"1s\"\nadaptive = false\n\n\
         [[sources]]\nid = \"blog\"\ntype = \"feed\"\nurl = {}\n{}\n\
         [sink]\ntype = \"kafka\"\nbrokers = \"{brokers}\"\nfeedback_topic = \"{FEEDBACK_TOPIC}\"\n\
         influencer_topic = \"{INFLUENCER_TOPIC}\"\nstuck_after = \"2s\"\n",
        q(&dir.join("state")),
        q(feed),
        common::DEMO_BRANDS
    );
    let path = dir.join("outage.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn healthz(addr: SocketAddr) -> Option<(u16, Value)> {
    let (status, body) = http_get(addr, "/healthz").ok()?;
    Some((status, serde_json::from_str(&body).ok()?))
}

/// The value of an unlabelled sample (`earshot_sink_up 1`) of `/metrics`.
fn gauge(addr: SocketAddr, name: &str) -> Option<f64> {
    let (_, text) = http_get(addr, "/metrics").ok()?;
    let prefix = format!("{name} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
}

/// Feedback records on the topic whose title says `post N`.
fn delivered_posts(reader: &mut Reader) -> Vec<String> {
    reader.read_for(Duration::from_millis(200));
    reader
        .on(FEEDBACK_TOPIC)
        .filter_map(|c| c.value["url"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn run_reports_a_broker_outage_and_resumes_delivery_within_seconds_of_its_end() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let port = e2e::free_port();
    let relay = Relay::start(([127, 0, 0, 1], port).into());
    let broker = Broker::start_on(dir, port, relay.addr);
    broker.create_topic(FEEDBACK_TOPIC, 1);
    broker.create_topic(INFLUENCER_TOPIC, 1);

    let feed = dir.join("feed.xml");
    write_feed(&feed, 1);
    let file = pipeline(dir, &feed, &relay.addr.to_string());
    let listen: SocketAddr = ([127, 0, 0, 1], e2e::free_port()).into();
    let mut run = Earshot::run(dir, "run", &file, listen);

    let first = e2e::wait_until(Duration::from_secs(30), || {
        healthz(listen).is_some_and(|(s, h)| s == 200 && h["sink"]["last_success"].is_string())
    });
    assert!(first, "the first post was not delivered:\n{}", run.log());
    assert_eq!(gauge(listen, "earshot_sink_up"), Some(1.0));

    relay.cut();
    let down = e2e::wait_until(Duration::from_secs(20), || {
        gauge(listen, "earshot_sink_up") == Some(0.0)
    });
    assert!(down, "the outage did not show in /metrics:\n{}", run.log());
    let (status, h) = healthz(listen).unwrap();
    assert_eq!(status, 200, "nothing waits yet: {h}");
    assert_eq!(h["sink"]["status"], "down", "{h}");
    assert!(
        h["sink"]["last_error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "the reason is given: {h}"
    );

    // A new post during the outage waits, and past `stuck_after` the
    // process is unhealthy.
    write_feed(&feed, 2);
    let stuck = e2e::wait_until(Duration::from_secs(20), || {
        healthz(listen).is_some_and(|(s, _)| s == 503)
    });
    assert!(stuck, "/healthz never answered 503:\n{}", run.log());
    let (_, h) = healthz(listen).unwrap();
    assert_eq!(h["status"], "unhealthy");
    assert_eq!(h["sink"]["status"], "stuck", "{h}");
    assert!(h["sink"]["pending"].as_u64().unwrap() >= 1, "{h}");
    let (_, metrics) = http_get(listen, "/metrics").unwrap();
    let transport = metrics
        .lines()
        .find_map(|l| l.strip_prefix("earshot_sink_errors_total{kind=\"transport\"} "))
        .and_then(|v| v.trim().parse::<f64>().ok());
    assert!(transport.is_some_and(|n| n > 0.0), "{metrics}");

    // The librdkafka backoff has reached its cap by now (cut for seconds).
    relay.restore();
    let back = Instant::now();
    let resumed = e2e::wait_until(Duration::from_secs(30), || {
        healthz(listen).is_some_and(|(s, h)| s == 200 && h["sink"]["status"] == "ok")
    });
    let took = back.elapsed();
    assert!(resumed, "delivery did not resume:\n{}", run.log());
    eprintln!("delivery resumed {took:?} after the broker came back");
    assert!(
        took < Duration::from_secs(5),
        "delivery resumed only {took:?} after the broker came back"
    );
    assert_eq!(gauge(listen, "earshot_sink_up"), Some(1.0));
    let mut reader = Reader::new(&relay.addr.to_string(), &[FEEDBACK_TOPIC], 1);
    let both = e2e::wait_until(Duration::from_secs(30), || {
        let posts = delivered_posts(&mut reader);
        ["/1", "/2"]
            .iter()
            .all(|n| posts.iter().any(|u| u.ends_with(n)))
    });
    assert!(
        both,
        "read back: {:?}\n{}",
        delivered_posts(&mut reader),
        run.log()
    );

    run.sigterm();
    let status = run.wait(Duration::from_secs(15));
    assert!(status.success(), "{}", run.log());
}
