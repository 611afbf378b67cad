//! HTML to text over realistic feed-item bodies: paragraphs, lists, links,
//! entities, scripts and styles, nested inline tags, a few KB each.
//! Run with `cargo bench --bench html -- html`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const WORDS: &[&str] = &[
    "Acme", "Cloud", "was", "down", "again", "this", "morning", "and", "support", "said",
    "nothing", "useful", "the", "sync", "client", "keeps", "crashing", "on", "startup", "but",
    "Globex", "works", "fine", "café", "naïve", "résumé", "really", "love", "hate", "new",
];

/// A deterministic sentence of `n` words with some inline markup.
fn sentence(seed: &mut u64, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let w = WORDS[(*seed >> 33) as usize % WORDS.len()];
        if i > 0 {
            s.push(' ');
        }
        match (*seed >> 20) % 23 {
            0 => s.push_str(&format!(
                "<a href=\"https://example.com/{w}?a=1&amp;b=2\">{w}</a>"
            )),
            1 => s.push_str(&format!("<strong><em>{w}</em></strong>")),
            2 => s.push_str(&format!("{w}&nbsp;&amp;&#8212;")),
            3 => s.push_str(&format!("<code>{w}&lt;T&gt;</code>")),
            4 => s.push_str(&format!("<span class=\"x\">{w}</span>")),
            _ => s.push_str(w),
        }
    }
    s.push('.');
    s
}

/// One item body, about 3 KB.
fn item(k: u64) -> String {
    let mut seed = k;
    let mut h = String::new();
    h.push_str("<div class=\"entry\">\n");
    for p in 0..6 {
        h.push_str(&format!("<p>{}</p>\n", sentence(&mut seed, 40)));
        if p == 2 {
            h.push_str("<ul>\n");
            for _ in 0..4 {
                h.push_str(&format!("  <li>{}</li>\n", sentence(&mut seed, 8)));
            }
            h.push_str("</ul>\n<blockquote><p>");
            h.push_str(&sentence(&mut seed, 15));
            h.push_str("</p></blockquote>\n");
        }
    }
    h.push_str("<script type=\"text/javascript\">var x = '<p>' + 1 < 2;</script>\n");
    h.push_str("<style>.entry p { margin: 0 }</style>\n");
    h.push_str("<p><img src=\"/e.png\" class=\"wp-smiley\" alt=\"😍\"> ");
    h.push_str("<img src=\"/shot.png\" alt=\"screenshot\"><br>\nThanks!</p>\n");
    h.push_str("<pre>let a = 1;\n  let b = a &lt; 2;\n</pre>\n</div>");
    h
}

fn bench(c: &mut Criterion) {
    let items: Vec<String> = (1..=20).map(item).collect();
    let bytes: usize = items.iter().map(String::len).sum();
    let mut g = c.benchmark_group("html");
    g.sample_size(20);
    g.measurement_time(std::time::Duration::from_secs(4));
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("html_to_text", |b| {
        b.iter(|| {
            for h in &items {
                black_box(earshot::normalize::html_to_text(black_box(h)));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
