//! `earshot run` as a process: its exit code says whether the final flush
//! delivered. A broker that never answers keeps records queued; at SIGTERM
//! the poll blocked on them is abandoned after `--grace`, the flush times
//! out (librdkafka's 30 s), and the process must exit 1, not 0.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/pipelines.rs"]
mod pipelines;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// The body of `GET path`, if the server answered.
fn get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    resp.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

#[test]
fn run_exits_1_when_the_final_flush_fails() {
    let dir = tempfile::tempdir().unwrap();
    let feed = root().join("fixtures/feeds/rss2.xml");
    let sink = "[sink.properties]\n\"message.timeout.ms\" = \"600000\"";
    let text = pipelines::one_feed_to_kafka("flush", &feed, "127.0.0.1:1", sink);
    let file = pipelines::write(dir.path(), &text);
    let addr = free_addr();
    let mut child = Command::new(env!("CARGO_BIN_EXE_earshot"))
        .args(["run", "-p", file.to_str().unwrap(), "--grace", "1s"])
        .args(["--listen", &addr.to_string()])
        .env_remove("RUST_LOG")
        .env("EARSHOT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // The fact to wait for: records are in flight to the broker.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pending = get(addr, "/healthz")
            .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
            .and_then(|h| h["sink"]["pending"].as_u64());
        if pending.is_some_and(|n| n > 0) {
            break;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("no delivery ever started");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());

    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("earshot did not exit after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("flushing the sink at shutdown"), "{stderr}");
}
