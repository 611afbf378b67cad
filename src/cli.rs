//! Bodies of the subcommands (`items`, `items --feed`, `classify`, `validate`,
//! `healthcheck`, `serve`), kept out of `main.rs` so they can be tested as
//! functions.
//!
//! `main.rs` owns argument parsing, logging and exit codes; the pipeline
//! modes live in [`crate::pipeline`].

mod classify;
mod feed_report;
mod healthcheck;
pub mod serve;

pub use classify::{classify_lines, AuthorInput, ClassifyInput, ClassifyOutput, LineError};
pub use feed_report::{print_feed_report, FeedReport};
pub use healthcheck::{healthcheck, HealthcheckError, DEFAULT_URL as DEFAULT_HEALTH_URL};

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use crate::classify::{Classifier, Fields};
use crate::config::{Location, Pipeline, SourceConfig, SourceKind};
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
    // Neither a URL nor a file that exists: most likely a source id.
    if !spec.contains("://") && !Path::new(spec).exists() {
        return Err(SourceError::Unsupported(match pipeline {
            Some(p) => format!(
                "`{spec}` is neither a source of {} (its sources: {}) nor a file",
                p.file.display(),
                p.sources
                    .iter()
                    .map(|s| s.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => format!(
                "`{spec}` is not a file or URL (to name a source by its id, pass -p PIPELINE)"
            ),
        }));
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

/// Runs the labelled evaluation sets in `dir` (see `fixtures/eval/README.md`)
/// through our sentiment scorer, classifier, intent and emotion finders, and returns
/// the report.
pub fn eval_report(dir: &Path) -> Result<String, crate::eval::EvalError> {
    use crate::classify::{emotion, intent, sentiment};
    use crate::eval::{BrandMatcher, FoundMention, Scorers};
    #[derive(Deserialize)]
    struct BrandsFile {
        brands: Vec<crate::config::raw::RawBrand>,
    }
    let brands = |text: &str| -> Result<BrandMatcher, String> {
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
                .map(|m| FoundMention {
                    brand: m.brand,
                    sentiment: m.sentiment.label,
                })
                .collect()
        }))
    };
    // Intent is read around brand mentions; on a text with no brand the
    // finder reads the whole text, with its sentiment, as the intake does
    // for an item sent in for a brand its queries do not match.
    let intents = |t: &str| -> Vec<intent::Intent> {
        intent::detect(t, sentiment::score(t).score)
            .into_iter()
            .map(|h| h.intent)
            .collect()
    };
    let scorers = Scorers {
        brands: &brands,
        sentiment: &|t| sentiment::score(t).score,
        intents: &intents,
        emotions: &|t| emotion::detect(t).into_iter().map(|h| h.emotion).collect(),
    };
    crate::eval::run_eval(dir, &scorers)
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
}
