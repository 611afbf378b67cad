//! How well classification works, measured on labelled examples: sentiment
//! (accuracy, macro F1 over the three labels, Pearson correlation of the
//! scores) on the tuning set and on three held-out ones, sentiment per brand
//! mention in multi-brand posts, brand matching (precision and recall per
//! brand, and on posts using a name in both senses), intent and emotion
//! (precision and recall per intent and per emotion, micro and macro F1).
//! Per-mention sentiment, intent and emotion have a held-out file beside
//! the first, printed on lines of its own.
//!
//! The figures are pure functions of gold and predicted values
//! ([`metrics`]); the files' formats are in [`sets`]. [`run_eval`] is the
//! one place that reads files: it loads the evaluation set (a folder holding
//! at least `sentiment.jsonl`, `brands.jsonl` and `brands.toml`; the other
//! sets are scored when present) and formats a report. It does not know how
//! sentiment is scored, how brand queries are compiled or how intents are
//! found: the caller hands them all in ([`Scorers`]), so the same code
//! measures our classifier, a stand-in, or a candidate change.

pub mod metrics;
mod report;
pub mod sets;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use metrics::{
    label_metrics, pooled, precision_recall, sentiment_metrics, LabelMetrics, Metrics, Pooled,
    PrecisionRecall,
};
pub use report::sentiment_line;
pub use sets::{parse_brands, parse_sentiment, BrandExample, SentimentExample};

use crate::classify::emotion::Emotion;
use crate::classify::intent::Intent;
use crate::model::SentimentLabel;

/// The held-out sentiment sets, in the order `scripts/eval-vader` prints them.
const HELD_OUT: [&str; 3] = ["sentiment-social", "sentiment-reviews", "sentiment-news"];

/// Why the evaluation set could not be read.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}, line {line}: {source}")]
    Json {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
    #[error("{path}, line {line}: score {score} is outside [-1, 1]")]
    Score {
        path: PathBuf,
        line: usize,
        score: f64,
    },
    #[error("{path}: no examples")]
    Empty { path: PathBuf },
    #[error("{path}: {message}")]
    Brands { path: PathBuf, message: String },
}

/// One brand a text mentions, with the sentiment the classifier gave that
/// mention (not the whole text's).
#[derive(Debug, Clone, PartialEq)]
pub struct FoundMention {
    pub brand: String,
    pub sentiment: SentimentLabel,
}

/// Finds the brands a text mentions.
pub type BrandMatcher = Box<dyn Fn(&str) -> Vec<FoundMention>>;

/// The classifier under evaluation, one function per task.
pub struct Scorers<'a> {
    /// Compiles the text of a file of `[[brands]]` tables (`brands.toml`,
    /// `mentions.toml`) into a matcher, or says why the queries could not be
    /// compiled.
    pub brands: &'a dyn Fn(&str) -> Result<BrandMatcher, String>,
    /// Scores a text in [-1, 1]; labels come from the shared thresholds of
    /// [`crate::model::Sentiment::from_score`].
    pub sentiment: &'a dyn Fn(&str) -> f64,
    /// The intents of a whole text, as if it were one mention's excerpt.
    pub intents: &'a dyn Fn(&str) -> Vec<Intent>,
    /// The emotions of a whole text, as if it were one mention's excerpt.
    pub emotions: &'a dyn Fn(&str) -> Vec<Emotion>,
}

/// Runs the evaluation set in `dir` and returns the report: one line of
/// figures per set (and per brand and intent), named after the set.
pub fn run_eval(dir: &Path, scorers: &Scorers<'_>) -> Result<String, EvalError> {
    let mut report = String::new();
    let (path, text) = read(dir, "sentiment.jsonl")?;
    report.push_str(&report::sentiment(
        "sentiment",
        &path,
        &text,
        scorers.sentiment,
    )?);
    for name in HELD_OUT {
        if let Some((path, text)) = read_if_present(dir, &format!("{name}.jsonl"))? {
            report.push_str(&report::held_out(name, &path, &text, scorers.sentiment)?);
        }
    }
    if let Some((path, text)) = read_if_present(dir, "mentions.jsonl")? {
        let matcher = matcher(dir, "mentions.toml", scorers)?;
        report.push_str(&report::mentions("mentions", &path, &text, &matcher)?);
        if let Some((path, text)) = read_if_present(dir, "mentions-heldout.jsonl")? {
            report.push_str(&report::mentions(
                "mentions-heldout",
                &path,
                &text,
                &matcher,
            )?);
        }
    }
    let brands = matcher(dir, "brands.toml", scorers)?;
    let (path, text) = read(dir, "brands.jsonl")?;
    report.push_str(&report::brands(&path, &text, &brands)?);
    let both = read_if_present(dir, "brands-both.jsonl")?;
    if let Some((path, text)) = &both {
        report.push_str(&report::brands_both("", path, text, &brands)?);
    }
    // The same texts with exclusions scoped to the mention (`NOT NEAR`).
    if dir.join("brands-scoped.toml").exists() {
        let scoped = matcher(dir, "brands-scoped.toml", scorers)?;
        let (path, text) = read(dir, "brands.jsonl")?;
        report.push_str(&report::brands_pooled(
            "brands-scoped",
            &path,
            &text,
            &scoped,
        )?);
        if let Some((path, text)) = &both {
            report.push_str(&report::brands_both("-scoped", path, text, &scoped)?);
        }
    }
    let intent = read_if_present(dir, "intent.jsonl")?;
    let held = read_if_present(dir, "intent-heldout.jsonl")?;
    if let Some(file) = &intent {
        let files = std::slice::from_ref(file);
        report.push_str(&report::intents(
            ("intent", "intents"),
            files,
            scorers.intents,
        )?);
    }
    if let Some(file) = &held {
        let files = std::slice::from_ref(file);
        let names = ("intent-heldout", "intents-heldout");
        report.push_str(&report::intents(names, files, scorers.intents)?);
    }
    // Both intent files read as one set: the per-intent figures over every
    // labelled text, beside those of each file.
    if let (Some(intent), Some(held)) = (intent, held) {
        let names = ("intent-all", "intents-all");
        report.push_str(&report::intents(names, &[intent, held], scorers.intents)?);
    }
    // The emotion files stay apart: the cues were written with
    // `emotion.jsonl` in view, and pooling would blur what the held-out
    // figures show.
    for (names, name) in [
        (("emotion", "emotions"), "emotion.jsonl"),
        (
            ("emotion-heldout", "emotions-heldout"),
            "emotion-heldout.jsonl",
        ),
    ] {
        if let Some(file) = read_if_present(dir, name)? {
            report.push_str(&report::emotions(names, &[file], scorers.emotions)?);
        }
    }
    Ok(report)
}

fn read(dir: &Path, name: &str) -> Result<(PathBuf, String), EvalError> {
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((path, text)),
        Err(source) => Err(EvalError::Read { path, source }),
    }
}

/// As [`read`], `None` when the file does not exist: the sets beyond the
/// first three are optional, so a folder of one's own need not hold them.
fn read_if_present(dir: &Path, name: &str) -> Result<Option<(PathBuf, String)>, EvalError> {
    match read(dir, name) {
        Err(EvalError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        other => other.map(Some),
    }
}

fn matcher(dir: &Path, name: &str, scorers: &Scorers<'_>) -> Result<BrandMatcher, EvalError> {
    let (path, toml) = read(dir, name)?;
    (scorers.brands)(&toml).map_err(|message| EvalError::Brands { path, message })
}
