//! Throughput of the pure middle of the pipeline: parse a feed, classify
//! its items, build records. Run with `cargo bench --bench pipeline`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use earshot::classify::Classifier;
use earshot::config::{BrandConfig, ProductConfig};
use earshot::pipeline::{process, Known};
use earshot::source::feed::{parse_feed, ResponseMeta};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/fixtures/feeds/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn brands(n: usize) -> Vec<BrandConfig> {
    let mut v = vec![BrandConfig {
        name: "Acme".into(),
        query: r#"acme OR "acme corp" OR #acme"#.into(),
        products: vec![ProductConfig {
            name: "Acme Cloud".into(),
            query: r#""acme cloud" OR (acme NEAR/3 (storage OR sync OR backup))"#.into(),
        }],
        should_match: vec![],
        should_not_match: vec![],
    }];
    for i in 1..n {
        v.push(BrandConfig {
            name: format!("Brand{i}"),
            query: format!("brand{i} NOT (brand{i} NEAR/2 corporation)"),
            products: vec![],
            should_match: vec![],
            should_not_match: vec![],
        });
    }
    v
}

fn bench(c: &mut Criterion) {
    let rss = fixture("rss2.xml");
    let atom = fixture("atom.xml");
    let mut g = c.benchmark_group("feed");
    g.throughput(Throughput::Bytes(rss.len() as u64));
    g.bench_function("parse_rss2", |b| {
        b.iter(|| {
            parse_feed(
                black_box(&rss),
                &ResponseMeta::url("https://example.com/feed"),
            )
            .unwrap()
        })
    });
    g.finish();

    let mut items = parse_feed(&rss, &ResponseMeta::url("https://example.com/feed"))
        .unwrap()
        .items;
    items.extend(
        parse_feed(&atom, &ResponseMeta::url("https://example.com/atom"))
            .unwrap()
            .items,
    );
    let now = chrono::Utc::now();
    // The classifier alone (queries, sentiment, intent, language), one core.
    let mut g = c.benchmark_group("classify");
    g.throughput(Throughput::Elements(items.len() as u64));
    for n in [1, 100, 10_000] {
        let classifier = Classifier::new(&brands(n)).unwrap();
        g.bench_function(format!("{n}_queries"), |b| {
            b.iter(|| {
                for item in &items {
                    black_box(classifier.classify(&earshot::pipeline::fields(black_box(item))));
                }
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("process");
    g.throughput(Throughput::Elements(items.len() as u64));
    for n in [1, 100, 10_000] {
        let classifier = Classifier::new(&brands(n)).unwrap();
        g.bench_function(format!("classify_and_build_records/{n}_brands"), |b| {
            b.iter(|| {
                process(
                    &classifier,
                    "bench",
                    "src",
                    black_box(&items),
                    &Known::nothing(),
                    now,
                )
            })
        });
    }
    g.finish();
}

/// Sentences of a long post that names the brand in each: praise,
/// complaints, questions and wishes, so sentiment and intents have work.
const SENTENCES: [&str; 4] = [
    "I love my Acme phone, it is great.",
    "Acme Cloud lost my files again.",
    "Is the Acme app down??",
    "Please add dark mode to Acme.",
];

/// One text with `n` mentions, one per sentence.
fn many_mentions(n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(SENTENCES[i % SENTENCES.len()]);
        text.push(' ');
    }
    text
}

/// One text that names a brand thousands of times: the cost should grow
/// with the text, not with the text times its mentions.
fn bench_many_mentions(c: &mut Criterion) {
    let classifier = Classifier::new(&brands(1)).unwrap();
    let mut g = c.benchmark_group("many_mentions");
    g.sample_size(10);
    for n in [5_000, 20_000] {
        let text = many_mentions(n);
        g.throughput(Throughput::Bytes(text.len() as u64));
        let fields = earshot::classify::Fields {
            text: &text,
            ..Default::default()
        };
        g.bench_function(format!("{n}_mentions_{}_kb", text.len() / 1000), |b| {
            b.iter(|| black_box(classifier.classify(black_box(&fields))))
        });
    }
    g.finish();
}

criterion_group!(benches, bench, bench_many_mentions);
criterion_main!(benches);
