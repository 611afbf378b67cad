//! `run` against the fixture server, watched through its own `/healthz` and
//! `/metrics`: a source answering 410 Gone is stopped while the others go
//! on, and a sink that cannot deliver turns `/healthz` to 503.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{start_server, until, DEMO_BRANDS};
use earshot::config;
use earshot::pipeline::health::SourceState;
use earshot::pipeline::{metrics, run, Engine};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

fn feed_source(id: &str, url: &str) -> String {
    format!("[[sources]]\nid = \"{id}\"\ntype = \"feed\"\nurl = \"{url}\"\n\n")
}

fn open(dir: &Path, sources: &str, sink: &str) -> Arc<Engine> {
    let text = format!(
        "name = \"it\"\nstate_dir = \"state\"\n\n[http]\nmax_attempts = 1\ntimeout = \"5s\"\nallow_hosts = [\"127.0.0.1\"]\n\n{sources}\n{DEMO_BRANDS}\n[sink]\ntype = \"jsonl\"\n{sink}\n"
    );
    let file = dir.join("pipeline.toml");
    std::fs::write(&file, text).unwrap();
    let p = config::load(&file).unwrap_or_else(|e| panic!("{e}"));
    Arc::new(Engine::open(p).unwrap_or_else(|e| panic!("{e}")))
}

/// A running pipeline with its endpoint.
struct Running {
    engine: Arc<Engine>,
    addr: SocketAddr,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), earshot::sink::SinkError>>,
}

async fn start(engine: Arc<Engine>) -> Running {
    let shutdown = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(metrics::serve(
        listener,
        engine.metrics.clone(),
        engine.health.clone(),
        shutdown.clone(),
    ));
    let task = tokio::spawn(run::run(
        engine.clone(),
        shutdown.clone(),
        Duration::from_secs(5),
    ));
    Running {
        engine,
        addr,
        shutdown,
        task,
    }
}

async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let r = reqwest::get(format!("http://{addr}{path}")).await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_gone_source_is_stopped_while_the_others_go_on_and_healthz_says_so() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let sources = [
        feed_source("gone", &server.url("/status/410")),
        feed_source("news", &server.url("/static/feeds/rss2.xml")),
    ]
    .concat();
    let r = start(open(dir.path(), &sources, "path = \"out.jsonl\"")).await;
    let h = r.engine.health.clone();
    until("gone stopped and news delivered", || {
        h.source("gone")
            .is_some_and(|s| s.state == SourceState::Stopped)
            && h.source("news").is_some_and(|s| s.last_success.is_some())
    })
    .await;

    let (status, body) = get(r.addr, "/healthz").await;
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["status"], "ok");
    assert_eq!(report["sink"]["status"], "ok");
    assert!(report["sink"]["last_success"].is_string(), "{report}");
    let gone = &report["sources"]["gone"];
    assert_eq!(gone["state"], "stopped");
    assert!(
        gone["stopped_reason"]
            .as_str()
            .unwrap()
            .contains("/status/410"),
        "{gone}"
    );
    let news = &report["sources"]["news"];
    assert_eq!(news["state"], "ok");
    assert_eq!(news["consecutive_failures"], 0);
    assert!(news["last_success"].is_string() && news["next_poll"].is_string());

    let (_, m) = get(r.addr, "/metrics").await;
    assert!(
        m.contains("earshot_source_stopped{source=\"gone\"} 1"),
        "{m}"
    );
    promtool_accepts(&m);
    // Mentions by brand and sentiment: the demo feed's Acme posts.
    assert!(
        m.lines()
            .any(|l| l.starts_with("earshot_mentions_total{brand=\"Acme\",sentiment=\"")),
        "{m}"
    );
    let om = openmetrics(r.addr).await;
    assert!(om.ends_with("# EOF\n"), "OpenMetrics when asked for:\n{om}");
    assert_eq!(server.hits.get("/status/410"), 1);

    r.shutdown.cancel();
    r.task.await.unwrap().expect("the final flush succeeded");
    let out = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
    assert!(out.lines().any(|l| l.contains("\"id\":\"news\"")), "{out}");
    // Every record delivered is counted once under its source and kind,
    // and every feedback record once under its brand and sentiment.
    let records: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let of_schema = |schema: &'static str| records.iter().filter(move |r| r["schema"] == schema);
    for (kind, schema) in [
        ("feedback", earshot::record::FEEDBACK_SCHEMA),
        ("influencer", earshot::record::INFLUENCER_SCHEMA),
    ] {
        let series = format!("earshot_records_total{{source=\"news\",kind=\"{kind}\"}}");
        let n = of_schema(schema).count();
        assert!(n > 0, "the demo feed makes {kind} records:\n{out}");
        assert_eq!(value(&m, &series), Some(n as f64), "{m}");
    }
    let mut mentions = std::collections::BTreeMap::<String, usize>::new();
    for f in of_schema(earshot::record::FEEDBACK_SCHEMA) {
        let (brand, label) = (&f["brand"], &f["sentiment"]["label"]);
        let series = format!("earshot_mentions_total{{brand={brand},sentiment={label}}}",);
        *mentions.entry(series).or_default() += 1;
    }
    for (series, n) in &mentions {
        assert_eq!(value(&m, series), Some(*n as f64), "{series} in\n{m}");
    }
}

/// The value of one series in a Prometheus exposition, if it is there.
fn value(exposition: &str, series: &str) -> Option<f64> {
    exposition
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn healthz_answers_503_once_the_sink_has_failed_for_longer_than_stuck_after() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let sources = feed_source("news", &server.url("/static/feeds/rss2.xml"));
    // `/dev/full` refuses every write: every delivery fails.
    let sink = "path = \"/dev/full\"\nstuck_after = \"200ms\"";
    let r = start(open(dir.path(), &sources, sink)).await;
    let h = r.engine.health.clone();
    until("a failed delivery", || h.report().sink.last_error.is_some()).await;
    until("the sink stuck", || !h.report().healthy()).await;

    let (status, body) = get(r.addr, "/healthz").await;
    assert_eq!(status, 503, "{body}");
    let report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["status"], "unhealthy");
    assert_eq!(report["sink"]["status"], "stuck");
    assert!(report["sink"]["waiting_seconds"].as_f64().unwrap() >= 0.2);
    assert!(
        report["sink"]["last_error"]
            .as_str()
            .unwrap()
            .contains("/dev/full"),
        "{report}"
    );
    let news = &report["sources"]["news"];
    assert_eq!(news["state"], "failing");
    assert!(news["consecutive_failures"].as_u64().unwrap() >= 1);
    assert!(news["last_error"].as_str().unwrap().contains("/dev/full"));

    r.shutdown.cancel();
    r.task.await.unwrap().unwrap();
}

/// `/metrics` as a scraper that asks for OpenMetrics reads it.
async fn openmetrics(addr: std::net::SocketAddr) -> String {
    reqwest::Client::new()
        .get(format!("http://{addr}/metrics"))
        .header("accept", "application/openmetrics-text;version=1.0.0")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Prometheus's own linter on the classic text format: every family typed,
/// with help, named as its samples.
fn promtool_accepts(metrics: &str) {
    use std::io::Write;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package) is installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "promtool check metrics:\n{report}\n{metrics}"
    );
}
