//! Bodies of the diagnostic subcommands (`items`, `classify`, `validate`),
//! kept out of `main.rs` so they can be tested as functions.
//!
//! `main.rs` owns argument parsing, logging and exit codes; the pipeline
//! modes live in [`crate::pipeline`].

use std::io::{BufRead, Write};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::classify::{Classifier, Fields};
use crate::config::{Location, Pipeline, SourceConfig, SourceKind};
use crate::model::{Mention, Sentiment};
use crate::source::{self, http::Fetched, http::HttpClient, SourceError};

/// Works out which source `spec` names: the id of a source of `pipeline`,
/// or a URL or path, read as a feed or, if it is HTML, as a page whose
/// feeds are discovered.
pub async fn resolve_source(
    spec: &str,
    pipeline: Option<&Pipeline>,
    client: &HttpClient,
) -> Result<SourceConfig, SourceError> {
    if let Some(src) = pipeline.and_then(|p| p.sources.iter().find(|s| s.id == spec)) {
        return Ok(src.clone());
    }
    let location = Location::parse(spec, Path::new(".")).map_err(|message| {
        SourceError::Fetch(source::http::FetchError::Network {
            url: spec.to_string(),
            message,
        })
    })?;
    let kind = match client.fetch(&location, None).await? {
        Fetched::Body(b) if looks_like_html_page(&b.bytes) => SourceKind::Page(None),
        _ => SourceKind::Feed,
    };
    Ok(SourceConfig {
        id: spec.to_string(),
        location,
        interval: None,
        kind,
    })
}

fn looks_like_html_page(bytes: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    head.contains("<html") || head.contains("<!doctype html")
}

/// Prints the items a source yields as JSON lines; returns how many.
pub async fn print_items(
    source: &SourceConfig,
    client: &HttpClient,
    out: &mut dyn Write,
) -> Result<usize, SourceError> {
    let poll = source::poll(client, source, &source::PollCtx::fresh()).await?;
    for e in &poll.errors {
        tracing::warn!(source = %source.id, error = %e, "Entry skipped.");
    }
    for item in &poll.items {
        serde_json::to_writer(&mut *out, item).expect("items serialize");
        writeln!(out).ok();
    }
    Ok(poll.items.len())
}

/// One input line of `earshot classify`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifyInput {
    pub id: serde_json::Value,
    pub text: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub author: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ClassifyOutput {
    pub id: serde_json::Value,
    pub sentiment: Sentiment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    pub mentions: Vec<Mention>,
}

/// Classifies JSON lines from `input` to `output`, one output line per
/// input line: a line that cannot be read gets `{"line": N, "error": ...}`
/// in its place, so outputs stay aligned with inputs. Returns the number of
/// bad lines.
pub fn classify_lines(
    classifier: &Classifier,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
) -> std::io::Result<usize> {
    let mut bad = 0;
    for (n, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let json = match serde_json::from_str::<ClassifyInput>(&line) {
            Ok(i) => {
                let c = classifier.classify(&Fields {
                    text: &i.text,
                    title: i.title.as_deref(),
                    author: i.author.as_deref(),
                    url: i.url.as_deref(),
                    lang: i.lang.as_deref(),
                });
                serde_json::to_string(&ClassifyOutput {
                    id: i.id,
                    sentiment: c.sentiment,
                    lang: c.lang,
                    mentions: c.mentions,
                })
            }
            Err(e) => {
                bad += 1;
                let msg = format!("stdin line {}: {e}", n + 1);
                tracing::warn!("{msg}");
                serde_json::to_string(&serde_json::json!({ "line": n + 1, "error": msg }))
            }
        };
        writeln!(output, "{}", json.expect("output serializes"))?;
    }
    output.flush()?;
    Ok(bad)
}

/// Checks each brand's `should_match` / `should_not_match` examples; returns
/// one message per example that the query gets wrong.
pub fn check_examples(pipeline: &Pipeline, classifier: &Classifier) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, b) in pipeline.brands.iter().enumerate() {
        let hit = |text: &str| {
            let f = Fields {
                text,
                title: None,
                author: None,
                url: None,
                lang: None,
            };
            classifier
                .classify(&f)
                .mentions
                .iter()
                .any(|m| m.brand == b.name)
        };
        for ex in &b.should_match {
            if !hit(ex) {
                problems.push(format!(
                    "brands[{i}].should_match: `{}` does not match \"{ex}\"",
                    b.name
                ));
            }
        }
        for ex in &b.should_not_match {
            if hit(ex) {
                problems.push(format!(
                    "brands[{i}].should_not_match: `{}` matches \"{ex}\"",
                    b.name
                ));
            }
        }
    }
    problems
}

/// Parses a backfill bound: RFC 3339, a date (midnight UTC), or a duration
/// meaning that long ago ("7d", "36h").
pub fn parse_time(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc());
    }
    if let Ok(d) = humantime::parse_duration(s) {
        return chrono::Duration::from_std(d)
            .map(|d| now - d)
            .map_err(|e| format!("`{s}`: {e}"));
    }
    Err(format!(
        "`{s}` is not a time: use RFC 3339 (2026-01-31T12:00:00Z), a date (2026-01-31) or a duration ago (7d, 36h)"
    ))
}

/// Runs the labelled evaluation sets in `dir` (`sentiment.jsonl`,
/// `brands.jsonl` with the queries of `brands.toml`) through our sentiment
/// scorer and classifier, and returns the report.
pub fn eval_report(dir: &Path) -> Result<String, crate::eval::EvalError> {
    #[derive(Deserialize)]
    struct BrandsFile {
        brands: Vec<crate::config::raw::RawBrand>,
    }
    let make = |text: &str| -> Result<crate::eval::BrandMatcher, String> {
        let file: BrandsFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let brands: Vec<crate::config::BrandConfig> = file
            .brands
            .into_iter()
            .map(|b| crate::config::BrandConfig {
                name: b.name,
                query: b.query,
                products: vec![],
                should_match: vec![],
                should_not_match: vec![],
            })
            .collect();
        let c = Classifier::new(&brands)?;
        Ok(Box::new(move |t: &str| {
            let f = Fields {
                text: t,
                ..Fields::default()
            };
            c.classify(&f)
                .mentions
                .into_iter()
                .map(|m| m.brand)
                .collect()
        }))
    };
    crate::eval::run_eval(dir, &make, &|t| crate::classify::sentiment::score(t).score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backfill_bounds_accept_three_spellings() {
        let now: DateTime<Utc> = "2026-03-10T00:00:00Z".parse().unwrap();
        assert_eq!(
            parse_time("2026-03-01", now).unwrap().to_rfc3339(),
            "2026-03-01T00:00:00+00:00"
        );
        assert_eq!(
            parse_time("2026-03-01T12:00:00+02:00", now)
                .unwrap()
                .to_rfc3339(),
            "2026-03-01T10:00:00+00:00"
        );
        assert_eq!(
            parse_time("2d", now).unwrap().to_rfc3339(),
            "2026-03-08T00:00:00+00:00"
        );
        let err = parse_time("yesterday", now).unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
    }

    #[test]
    fn classify_answers_every_line_and_names_bad_ones() {
        let c = Classifier::sentiment_only();
        let input = b"{\"id\": 1, \"text\": \"I love it!\"}\nnot json\n{\"id\": \"x\", \"text\": \"This is terrible.\"}\n";
        let mut out = Vec::new();
        let bad = classify_lines(&c, &mut &input[..], &mut out).unwrap();
        assert_eq!(bad, 1);
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["id"], 1);
        assert_eq!(lines[0]["sentiment"]["label"], "positive");
        assert_eq!(lines[1]["line"], 2);
        assert!(lines[1]["error"].as_str().unwrap().contains("line 2"));
        assert_eq!(lines[2]["id"], "x");
        assert_eq!(lines[2]["sentiment"]["label"], "negative");
        // Too short to tell its language; a longer English line is told.
        assert!(lines[0].get("lang").is_none());
        let long = b"{\"id\": 2, \"text\": \"The battery of this phone lasts two full days, which is wonderful.\"}\n";
        let mut out = Vec::new();
        classify_lines(&c, &mut &long[..], &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["lang"], "en");
    }
}
