//! Posts per second handled from the Jetstream fixture: 20,000 generated
//! firehose events (most not about Acme) played by the fixture websocket
//! server on 127.0.0.1, read through the real client, filtered by the demo
//! brand query as they arrive, the kept ones enriched (getProfiles, batched
//! and cached) and turned into records. The server's own work is in the
//! figure. Prints the figure; asserts nothing.
//!
//!     cargo bench --bench jetstream [-- N]

use std::time::{Duration, Instant};

use futures::StreamExt;

use earshot::classify::Classifier;
use earshot::config::social::{BlueskySource, Secret};
use earshot::config::BrandConfig;
use earshot::pipeline::stream::Batch;
use earshot::pipeline::{fields, process, Known};
use earshot::source::bluesky;
use earshot::source::http::HttpClient;
use earshot::source::social::Profiles;

#[path = "../tests/common/bluesky.rs"]
mod bluesky_api;

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this
    // too, as a quick smoke run on a tenth of the data.
    let full = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if full { 20_000 } else { 2_000 });
    let hose = bluesky_api::firehose(n);
    let classifier = Classifier::new(&[BrandConfig {
        name: "Acme".into(),
        query: r#"acme OR "acme corp" OR #acme"#.into(),
        products: vec![],
        should_match: vec![],
        should_not_match: vec![],
    }])
    .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let state = bluesky_api::BlueskyState::with_events(hose.lines.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = bluesky_api::router(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let cfg = BlueskySource {
            jetstream: format!("ws://{addr}/subscribe").parse().unwrap(),
            service: format!("http://{addr}").parse().unwrap(),
            appview: format!("http://{addr}").parse().unwrap(),
            query: None,
            handle: Some(state.handle()),
            app_password: Some(Secret("bench".into())),
            langs: vec![],
            max_pages: 10,
        };
        // The fixture firehose listens on loopback, which the SSRF guard refuses.
        let settings = earshot::config::HttpSettings {
            allow_hosts: vec!["127.0.0.1".parse().unwrap()],
            ..Default::default()
        };
        let client = HttpClient::new(&settings).unwrap();
        let profiles = Profiles::default();
        let keep = |i: &earshot::model::Item| classifier.mentions_any(&fields(i));

        let started = Instant::now();
        let first = hose.lines[0].clone();
        let cursor = serde_json::from_str::<serde_json::Value>(&first).unwrap()["time_us"].to_string();
        let mut stream = bluesky::subscribe(&cfg, &client, Some(&cursor)).await.unwrap();
        let mut batch = Batch::default();
        let (mut records, mut frames) = (0usize, 0usize);
        let limit = started + Duration::from_secs(120);
        while let Some(Ok(frame)) = stream.next().await {
            batch.add(frame, &keep);
            if batch.frames >= 2_000 || Instant::now() > limit {
                records += deliver(&mut batch, &cfg, &client, &profiles, &classifier).await;
                frames += 2_000;
            }
        }
        frames += batch.frames;
        records += deliver(&mut batch, &cfg, &client, &profiles, &classifier).await;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "jetstream: {frames} events ({} posts) in {secs:.2} s = {:.0} posts/s, {:.0} events/s; {} posts kept by the brand query, {records} records",
            hose.posts,
            hose.posts as f64 / secs,
            frames as f64 / secs,
            hose.acme.len(),
        );
    });
}

async fn deliver(
    batch: &mut Batch,
    cfg: &BlueskySource,
    client: &HttpClient,
    profiles: &Profiles,
    classifier: &Classifier,
) -> usize {
    let mut b = std::mem::take(batch);
    bluesky::enrich(cfg, client, &mut b.items, profiles).await;
    let done = process(
        classifier,
        "bench",
        "bsky",
        &b.items,
        &Known::nothing(),
        chrono::Utc::now(),
    );
    done.records.len()
}
