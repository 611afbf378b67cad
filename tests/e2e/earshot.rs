//! The earshot binary under test: pipeline files for it, and its process.
//!
//! Pipelines read the fixture HTTP server (`tests/common`) and write either
//! to a JSON lines file (the reference of what should arrive) or to Kafka.
//! The process guard captures the binary's log in a file, gives signals by
//! pid, bounds every wait, and kills a process still running when the test
//! ends, printing its log if the test failed.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use crate::common::FixtureServer;

pub const FEEDBACK_TOPIC: &str = "e2e.feedback";
pub const INFLUENCER_TOPIC: &str = "e2e.influencers";

/// One source of a generated pipeline.
pub struct Src {
    pub id: String,
    /// Path on the fixture server, e.g. "/delay/3000/feeds/rss2.xml".
    pub path: String,
    /// A page read with the post/comment selectors of the blog fixture.
    pub with_selectors: bool,
}

impl Src {
    pub fn feed(id: &str, path: &str) -> Src {
        Src {
            id: id.into(),
            path: path.into(),
            with_selectors: false,
        }
    }
}

pub enum SinkSpec<'a> {
    Jsonl(&'a Path),
    Kafka {
        brokers: &'a str,
        /// librdkafka properties of `[sink.properties]`.
        properties: &'a [(&'a str, &'a str)],
    },
}

fn quoted(p: &Path) -> String {
    toml::Value::String(p.display().to_string()).to_string()
}

/// Writes `dir/<file>.toml`: every source concurrent (the fixture server is
/// one host), polled again every second in `run`.
pub fn pipeline(
    dir: &Path,
    file: &str,
    fixtures: &FixtureServer,
    sources: &[Src],
    state_dir: &Path,
    sink: SinkSpec,
) -> PathBuf {
    let mut t = format!(
        "name = \"e2e\"\nstate_dir = {}\n\n[http]\nper_host_concurrency = 32\nallow_hosts = [\"127.0.0.1\"]\n\n\
         [schedule]\ninterval = \"1s\"\nmin_interval = \"1s\"\nconcurrency = 32\n",
        quoted(state_dir)
    );
    for s in sources {
        t += &format!(
            "\n[[sources]]\nid = \"{}\"\ntype = \"{}\"\nurl = \"{}\"\n",
            s.id,
            if s.path.ends_with(".html") {
                "page"
            } else {
                "feed"
            },
            fixtures.url(&s.path)
        );
        if s.with_selectors {
            t += "\n[sources.selectors]";
            t += crate::common::POST_SELECTORS;
        }
    }
    t += crate::common::DEMO_BRANDS;
    t += &match sink {
        SinkSpec::Jsonl(path) => format!("\n[sink]\ntype = \"jsonl\"\npath = {}\n", quoted(path)),
        SinkSpec::Kafka {
            brokers,
            properties,
        } => {
            let mut k = format!(
                "\n[sink]\ntype = \"kafka\"\nbrokers = \"{brokers}\"\n\
                 feedback_topic = \"{FEEDBACK_TOPIC}\"\ninfluencer_topic = \"{INFLUENCER_TOPIC}\"\n\
                 \n[sink.properties]\n"
            );
            for (name, value) in properties {
                k += &format!("\"{name}\" = \"{value}\"\n");
            }
            k
        }
    };
    let path = dir.join(format!("{file}.toml"));
    std::fs::write(&path, t).expect("writing the pipeline");
    path
}

pub struct Earshot {
    child: Option<Child>,
    pid: u32,
    log: PathBuf,
}

impl Earshot {
    /// Starts `earshot ARGS`, its log (text, info) going to `dir/<label>.log`.
    pub fn spawn(dir: &Path, label: &str, args: &[&str]) -> Earshot {
        Earshot::spawn_env(dir, label, args, &[])
    }

    /// [`Earshot::spawn`] with environment variables set.
    pub fn spawn_env(dir: &Path, label: &str, args: &[&str], env: &[(&str, &str)]) -> Earshot {
        let log = dir.join(format!("{label}.log"));
        let out = std::fs::File::create(&log).expect("creating the log");
        let child = Command::new(env!("CARGO_BIN_EXE_earshot"))
            .args(args)
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log handle"))
            .stderr(out)
            .spawn()
            .expect("starting earshot");
        Earshot {
            pid: child.id(),
            child: Some(child),
            log,
        }
    }

    pub fn backfill(dir: &Path, label: &str, pipeline: &Path) -> Earshot {
        let p = pipeline.to_str().expect("UTF-8 path");
        Earshot::spawn(dir, label, &["backfill", "-p", p, "--no-progress"])
    }

    pub fn run(dir: &Path, label: &str, pipeline: &Path, listen: SocketAddr) -> Earshot {
        let p = pipeline.to_str().expect("UTF-8 path");
        let l = listen.to_string();
        Earshot::spawn(
            dir,
            label,
            &["run", "-p", p, "--listen", &l, "--grace", "10s"],
        )
    }

    /// SIGKILL, and reap.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().ok();
            c.wait().ok();
        }
    }

    pub fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -TERM {} failed", self.pid);
    }

    /// Waits for the exit; a process still running after `within` is
    /// killed and the test fails.
    pub fn wait(&mut self, within: Duration) -> ExitStatus {
        let child = self.child.as_mut().expect("process already reaped");
        let mut status = None;
        super::wait_until(within, || {
            status = child.try_wait().expect("waiting for earshot");
            status.is_some()
        });
        match status {
            Some(s) => {
                self.child = None;
                s
            }
            None => {
                self.kill();
                panic!(
                    "earshot (pid {}) still running after {within:?}; log:\n{}",
                    self.pid,
                    self.log()
                );
            }
        }
    }

    pub fn log(&self) -> String {
        let mut s = String::new();
        std::fs::File::open(&self.log)
            .and_then(|mut f| f.read_to_string(&mut s))
            .ok();
        s
    }

    /// Sources whose poll completed (delivered and committed to state):
    /// `run` logs "Source polled." only after both.
    pub fn polled_sources(&self) -> BTreeSet<String> {
        self.log()
            .lines()
            .filter(|l| l.contains("Source polled."))
            .filter_map(|l| l.split_whitespace().find_map(|w| w.strip_prefix("source=")))
            .map(str::to_string)
            .collect()
    }
}

impl Drop for Earshot {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!(
                "--- earshot log ({}) ---\n{}",
                self.log.display(),
                self.log()
            );
        }
    }
}

/// The records total of a backfill summary (its `total` row).
pub fn summary_records(log: &str) -> Option<usize> {
    let row = log.lines().find(|l| l.starts_with("total "))?;
    row.split_whitespace().nth(3)?.parse().ok()
}

/// A bare HTTP/1.1 GET: (status, body).
pub fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )?;
    let mut resp = String::new();
    s.read_to_string(&mut resp)?;
    let status = resp
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// The value of a sample line `name{source="id"} value` of /metrics.
pub fn metric(metrics: &str, name: &str, source: &str) -> Option<f64> {
    let prefix = format!("{name}{{source=\"{source}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
}
