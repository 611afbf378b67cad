//! A Tansu broker (Kafka protocol, in-memory storage) run as a child process
//! for one test.
//!
//! Each test starts its own: Tansu is ready in milliseconds, and a broker
//! per test needs no process-wide static, whose destructor would never run.
//! Tansu is started under a small shell that kills it when its stdin closes,
//! so the broker also goes away when the test process dies without
//! unwinding. What the broker does not do: create topics on first use (they
//! are created here) or report reliable high watermarks (tests count what
//! they consume instead).

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The Tansu executable: `$TANSU`, else `tansu` on `PATH`, else cargo's bin
/// directory (where `cargo install tansu` puts it).
pub fn tansu_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("TANSU") {
        return PathBuf::from(p);
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("tansu"))
        .find(|p| p.is_file());
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    on_path
        .or_else(|| cargo_home.map(|c| c.join("bin").join("tansu")))
        .filter(|p| p.is_file())
        .expect(
            "the end-to-end tests need the Tansu broker: \
             `cargo install tansu --locked --features dynostore` (scripts/test does it), \
             or set TANSU to its path",
        )
}

/// Runs a short command, killing it if it outlives `within`.
pub fn run_bounded(cmd: &mut Command, within: Duration) -> Option<Output> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning a command");
    let deadline = Instant::now() + within;
    loop {
        match child.try_wait().expect("waiting for a command") {
            Some(_) => return child.wait_with_output().ok(),
            None if Instant::now() >= deadline => {
                child.kill().ok();
                child.wait().ok();
                return None;
            }
            None => std::thread::sleep(Duration::from_millis(25)),
        }
    }
}

pub struct Broker {
    /// Where Tansu listens.
    pub port: u16,
    /// What Tansu tells clients to connect to (itself, or a relay).
    pub advertised: SocketAddr,
    log: PathBuf,
    shell: Child,
    stdin: Option<ChildStdin>,
}

impl Broker {
    /// Starts a broker on a free port that advertises itself.
    pub fn start(dir: &Path) -> Broker {
        let port = super::free_port();
        Broker::start_on(dir, port, ([127, 0, 0, 1], port).into())
    }

    /// Starts a broker on `port` that advertises `advertised`, and waits
    /// until it answers.
    pub fn start_on(dir: &Path, port: u16, advertised: SocketAddr) -> Broker {
        let log = dir.join(format!("tansu-{port}.log"));
        let out = std::fs::File::create(&log).expect("creating the broker log");
        let mut shell = Command::new("sh")
            .arg("-c")
            .arg(r#""$@" & pid=$!; read _line; kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null"#)
            .arg("sh")
            .arg(tansu_bin())
            .arg("broker")
            .arg("--listener-url")
            .arg(format!("tcp://127.0.0.1:{port}"))
            .arg("--advertised-listener-url")
            .arg(format!("tcp://{advertised}"))
            .arg("--storage-engine")
            .arg("memory://tansu/")
            .stdin(Stdio::piped())
            .stdout(out.try_clone().expect("log handle"))
            .stderr(out)
            .spawn()
            .expect("starting tansu");
        let stdin = shell.stdin.take();
        let broker = Broker {
            port,
            advertised,
            log,
            shell,
            stdin,
        };
        let ready = super::wait_until(Duration::from_secs(20), || {
            broker
                .tansu(&["topic", "list"])
                .is_some_and(|o| o.status.success())
        });
        assert!(ready, "tansu did not answer within 20s:\n{}", broker.log());
        broker
    }

    /// `host:port` for `bootstrap.servers`.
    pub fn bootstrap(&self) -> String {
        self.advertised.to_string()
    }

    fn tansu(&self, args: &[&str]) -> Option<Output> {
        run_bounded(
            Command::new(tansu_bin())
                .args(args)
                .arg("--broker")
                .arg(format!("tcp://127.0.0.1:{}", self.port)),
            Duration::from_secs(10),
        )
    }

    pub fn create_topic(&self, name: &str, partitions: u32) {
        let out = self
            .tansu(&[
                "topic",
                "create",
                name,
                "--partitions",
                &partitions.to_string(),
            ])
            .unwrap_or_else(|| panic!("`tansu topic create {name}` hung"));
        assert!(
            out.status.success(),
            "`tansu topic create {name}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn log(&self) -> String {
        let mut s = String::new();
        std::fs::File::open(&self.log)
            .and_then(|mut f| f.read_to_string(&mut s))
            .ok();
        s
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        // Closing stdin makes the shell kill Tansu and exit.
        drop(self.stdin.take());
        let gone = super::wait_until(Duration::from_secs(5), || {
            matches!(self.shell.try_wait(), Ok(Some(_)))
        });
        if !gone {
            self.shell.kill().ok();
            self.shell.wait().ok();
        }
        if std::thread::panicking() {
            eprintln!("--- tansu log ({}) ---\n{}", self.log.display(), self.log());
        }
    }
}
