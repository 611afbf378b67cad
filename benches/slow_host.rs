//! A backfill of 50 feeds where one host is slow: when the healthy ones are
//! delivered. Ten feeds live on a host that takes 5 s per answer and serves
//! one request at a time ("localhost"); forty live on a healthy host (the
//! loopback address) and are listed after them. Prints when each group was
//! delivered, counted from the start of the backfill; asserts nothing.
//!
//!     cargo bench --bench slow_host
//!
//! Under `cargo test --all-targets` it runs as a smoke run with 200 ms
//! answers.

use std::sync::Arc;
use std::time::Duration;

#[path = "../tests/hostile/server.rs"]
mod server;

const SLOW: usize = 10;
const HEALTHY: usize = 40;

fn pipeline(h: &server::Hostile, delay_ms: u64) -> String {
    let port = h.addr.port();
    let mut t = format!(
        "name = \"slow-host\"\nstate_dir = \"state\"\n\n[http]\nmax_attempts = 1\n\
         timeout = \"30s\"\nper_host_concurrency = 1\n\
         allow_hosts = [\"{}\", \"localhost:{port}\"]\n\n[schedule]\nconcurrency = 8\n",
        h.addr
    );
    for i in 0..SLOW {
        t += &format!(
            "\n[[sources]]\nid = \"slow-{i}\"\ntype = \"feed\"\n\
             url = \"http://localhost:{port}/delay/{delay_ms}/feed.xml?n={i}\"\n"
        );
    }
    for i in 0..HEALTHY {
        t += &format!(
            "\n[[sources]]\nid = \"healthy-{i}\"\ntype = \"feed\"\nurl = \"{}?n={i}\"\n",
            h.url("/feed.xml")
        );
    }
    t + "\n[[brands]]\nname = \"Acme\"\nquery = \"acme\"\n\n[sink]\ntype = \"jsonl\"\npath = \"out.jsonl\"\n"
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let delay_ms = if full { 5000 } else { 200 };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let h = server::start().await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pipeline.toml");
        std::fs::write(&file, pipeline(&h, delay_ms)).unwrap();
        let p = earshot::config::load(&file).unwrap();
        let engine = Arc::new(earshot::pipeline::Engine::open(p).unwrap());
        let summary =
            earshot::pipeline::backfill::backfill(engine, Default::default(), false).await;
        assert_eq!(summary.failed(), 0, "{}", summary.render());
        let times = |prefix: &str| {
            let mut t: Vec<Duration> = summary
                .sources
                .iter()
                .filter(|s| s.id.starts_with(prefix))
                .map(|s| s.done_after)
                .collect();
            t.sort();
            t
        };
        let (healthy, slow) = (times("healthy-"), times("slow-"));
        println!(
            "slow_host: {SLOW} feeds on a host answering in {delay_ms} ms one at a time, \
             {HEALTHY} healthy feeds listed after them, concurrency 8"
        );
        for (name, t) in [("healthy", &healthy), ("slow", &slow)] {
            println!(
                "  {name:<8} delivered after: min {:>6.3}s  median {:>6.3}s  max {:>6.3}s",
                t[0].as_secs_f64(),
                quantile(t, 0.5).as_secs_f64(),
                t[t.len() - 1].as_secs_f64()
            );
        }
        println!("  backfill total {:.3}s", summary.elapsed.as_secs_f64());
    });
}
