//! `earshot healthcheck`, the probe the image's `HEALTHCHECK` and compose
//! run, against real servers on 127.0.0.1: the fixture server's fixed
//! statuses and a slow answer, a port nothing listens on, and `earshot
//! run`'s own `/healthz`.

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::start_server_thread;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn healthcheck(url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_earshot"))
        .args(["healthcheck", "--url", url])
        .env_remove("RUST_LOG")
        .env_remove("EARSHOT_LOG")
        .output()
        .expect("earshot runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

#[test]
fn a_200_is_healthy_and_exits_0_silently() {
    let server = start_server_thread();
    let out = healthcheck(&server.url("/status/200"));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.is_empty() && out.stderr.is_empty());
}

#[test]
fn a_503_exits_1_with_one_line_naming_the_status() {
    let server = start_server_thread();
    let url = server.url("/status/503");
    let out = healthcheck(&url);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("503") && err.contains(&url), "{err}");
}

#[test]
fn a_redirect_is_not_healthy() {
    let server = start_server_thread();
    let out = healthcheck(&server.url("/status/302"));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("302"), "{}", stderr(&out));
}

#[test]
fn nothing_listening_exits_1_with_the_reason() {
    let addr = free_addr();
    let out = healthcheck(&format!("http://{addr}/healthz"));
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&addr.to_string()) && err.contains("refused"),
        "{err}"
    );
}

#[test]
fn a_server_slower_than_the_timeout_exits_1() {
    let server = start_server_thread();
    let out = Command::new(env!("CARGO_BIN_EXE_earshot"))
        .args(["healthcheck", "--timeout", "1s", "--url"])
        .arg(server.url("/delay/10000/feeds/rss2.xml"))
        .output()
        .expect("earshot runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no answer in time"),
        "{}",
        stderr(&out)
    );
}

/// The image's default: `run --listen` and `healthcheck --url` on its
/// `/healthz` agree on what a healthy process answers.
#[test]
fn earshot_run_on_the_demo_pipeline_passes_its_own_healthcheck() {
    let dir = tempfile::tempdir().unwrap();
    let demo = std::fs::read_to_string(root().join("pipelines/demo.toml")).unwrap();
    let fixtures = format!("file://{}/", root().join("fixtures").display());
    let copy = demo
        .replace("file://../fixtures/", &fixtures)
        .replace("\"../state/demo\"", "\"state\"")
        .replace("\"../out/demo.jsonl\"", "\"out.jsonl\"");
    assert!(!copy.contains(".."), "demo pipeline changed shape:\n{copy}");
    let file = dir.path().join("demo.toml");
    std::fs::write(&file, copy).unwrap();
    let addr = free_addr();
    let mut child = Command::new(env!("CARGO_BIN_EXE_earshot"))
        .args(["run", "-p", file.to_str().unwrap(), "--listen"])
        .arg(addr.to_string())
        .env("EARSHOT_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://{addr}/healthz");
    let deadline = Instant::now() + Duration::from_secs(60);
    let last = loop {
        let out = healthcheck(&url);
        if out.status.success() || Instant::now() > deadline {
            break out;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    child.kill().ok();
    child.wait().ok();
    assert_eq!(last.status.code(), Some(0), "{}", stderr(&last));
}
