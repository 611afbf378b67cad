//! Sentiment items per second: ours against the Rust ports of VADER on
//! crates.io (`vader_sentiment`, `vader-sentimental`, which bills itself as
//! the faster one, and `vader-parity`), on the labelled evaluation texts, in
//! one run; and, beside our sentiment, what intent and emotion detection
//! cost on the same texts (group `cues`).
//! Run with `cargo bench --bench sentiment`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn texts() -> Vec<String> {
    let path = format!(
        "{}/fixtures/eval/sentiment.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let texts = texts();
    let mut g = c.benchmark_group("sentiment");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("earshot", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(earshot::classify::sentiment::score(black_box(t)));
            }
        })
    });
    let vader = vader_sentiment::SentimentIntensityAnalyzer::new();
    g.bench_function("vader_sentiment_crate", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(vader.polarity_scores(black_box(t)));
            }
        })
    });
    let sentimental = vader_sentimental::SentimentIntensityAnalyzer::new();
    g.bench_function("vader_sentimental_crate", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(sentimental.polarity_scores(black_box(t)));
            }
        })
    });
    let parity = vader_parity::SentimentIntensityAnalyzer::new();
    g.bench_function("vader_parity_crate", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(parity.polarity_scores(black_box(t)));
            }
        })
    });
    g.finish();
}

/// What reading intents and emotions adds to a mention, next to scoring its
/// sentiment, which every mention pays for already.
fn cues(c: &mut Criterion) {
    let texts = texts();
    let mut g = c.benchmark_group("cues");
    g.throughput(Throughput::Elements(texts.len() as u64));
    g.bench_function("sentiment", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(earshot::classify::sentiment::score(black_box(t)));
            }
        })
    });
    g.bench_function("intent", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(earshot::classify::intent::detect(black_box(t), 0.0));
            }
        })
    });
    g.bench_function("emotion", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(earshot::classify::emotion::detect(black_box(t)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench, cues);
criterion_main!(benches);
