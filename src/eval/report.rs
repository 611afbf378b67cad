//! One section of the report per labelled set: parse the file's contents,
//! run the classifier's function on every example, compute the figures and
//! format them as `name: n=.. key=value ..` lines. The sentiment lines match
//! `scripts/eval-vader`'s, label for label, so the two outputs line up.

use std::path::{Path, PathBuf};

use super::metrics::{
    label_metrics, pooled, precision_recall, sentiment_metrics, Metrics, PrecisionRecall, LABELS,
};
use super::sets::{self, EmotionExample, IntentExample, MentionsExample};
use super::{BrandMatcher, EvalError};
use crate::classify::emotion::Emotion;
use crate::classify::intent::Intent;
use crate::model::{Sentiment, SentimentLabel};

type Pairs = Vec<(SentimentLabel, f64)>;

fn score_sentiment(
    path: &Path,
    text: &str,
    scorer: &dyn Fn(&str) -> f64,
) -> Result<(Pairs, Pairs), EvalError> {
    let examples = sets::parse_sentiment(path, text)?;
    let gold = examples.iter().map(|e| (e.label, e.score)).collect();
    let predicted = examples
        .iter()
        .map(|e| {
            let s = Sentiment::from_score(scorer(&e.text));
            (s.label, s.score)
        })
        .collect();
    Ok((gold, predicted))
}

/// The tuning set's line, then its confusion table.
pub(super) fn sentiment(
    name: &str,
    path: &Path,
    text: &str,
    scorer: &dyn Fn(&str) -> f64,
) -> Result<String, EvalError> {
    let (gold, predicted) = score_sentiment(path, text, scorer)?;
    let line = sentiment_line(name, &sentiment_metrics(&gold, &predicted));
    Ok(format!("{line}\n{}", confusion(&gold, &predicted)))
}

/// A held-out set's line.
pub(super) fn held_out(
    name: &str,
    path: &Path,
    text: &str,
    scorer: &dyn Fn(&str) -> f64,
) -> Result<String, EvalError> {
    let (gold, predicted) = score_sentiment(path, text, scorer)?;
    Ok(sentiment_line(name, &sentiment_metrics(&gold, &predicted)) + "\n")
}

/// A sentiment set's line; `scripts/eval-vader` prints the same format for
/// the reference implementation, so the two can be compared line to line.
pub fn sentiment_line(name: &str, m: &Metrics) -> String {
    format!(
        "{name}: n={} accuracy={:.3} macro_f1={:.3} pearson={:.3} mae={:.3}",
        m.n, m.accuracy, m.macro_f1, m.pearson, m.mae
    )
}

/// Gold labels down, predicted across.
fn confusion(gold: &[(SentimentLabel, f64)], predicted: &[(SentimentLabel, f64)]) -> String {
    let name = SentimentLabel::as_str;
    let mut out = format!(
        "{:>10} {:>9} {:>9} {:>9}\n",
        "gold\\pred", "positive", "neutral", "negative"
    );
    for g in LABELS {
        out.push_str(&format!("{:>10}", name(g)));
        for p in LABELS {
            let count = gold
                .iter()
                .zip(predicted)
                .filter(|(a, b)| a.0 == g && b.0 == p)
                .count();
            out.push_str(&format!(" {count:>9}"));
        }
        out.push('\n');
    }
    out
}

/// Per-mention sentiment on the line `name:`: each labelled mention against
/// the sentiment of the mention the matcher found for that brand in the
/// post; one it did not find is wrong, and counted.
pub(super) fn mentions(
    name: &str,
    path: &Path,
    text: &str,
    matcher: &BrandMatcher,
) -> Result<String, EvalError> {
    let examples: Vec<MentionsExample> = sets::parse(path, text)?;
    let (mut gold, mut predicted) = (Vec::new(), Vec::new());
    for e in &examples {
        let found = matcher(&e.text);
        for m in &e.mentions {
            gold.push(m.label);
            predicted.push(
                found
                    .iter()
                    .find(|f| f.brand == m.brand)
                    .map(|f| f.sentiment),
            );
        }
    }
    let m = label_metrics(&gold, &predicted);
    Ok(format!(
        "{name}: n={} accuracy={:.3} macro_f1={:.3} not_found={}\n",
        m.n, m.accuracy, m.macro_f1, m.missing
    ))
}

/// Brands found in each example, and the rows of the brands seen in gold
/// or predictions, in order of first appearance.
fn brand_rows(
    path: &Path,
    text: &str,
    matcher: &BrandMatcher,
) -> Result<(usize, Vec<PrecisionRecall>), EvalError> {
    let examples = sets::parse_brands(path, text)?;
    let gold: Vec<Option<String>> = examples.iter().map(|e| e.brand.clone()).collect();
    let predicted: Vec<Vec<String>> = examples
        .iter()
        .map(|e| matcher(&e.text).into_iter().map(|f| f.brand).collect())
        .collect();
    let mut brands: Vec<String> = Vec::new();
    for b in gold.iter().flatten().chain(predicted.iter().flatten()) {
        if !brands.contains(b) {
            brands.push(b.clone());
        }
    }
    Ok((examples.len(), precision_recall(&brands, &gold, &predicted)))
}

/// `brands.jsonl`: a line per brand, then all brands pooled.
pub(super) fn brands(path: &Path, text: &str, matcher: &BrandMatcher) -> Result<String, EvalError> {
    let (n, rows) = brand_rows(path, text, matcher)?;
    let mut out = String::new();
    for r in &rows {
        out.push_str(&format!(
            "brand {}: precision={:.3} recall={:.3} tp={} fp={} fn={}\n",
            r.name, r.precision, r.recall, r.tp, r.fp, r.fn_
        ));
    }
    out.push_str(&pooled_line(&format!("brands (all, n={n}):"), &rows));
    Ok(out)
}

/// All brands of `rows` pooled, on one line headed `head`.
fn pooled_line(head: &str, rows: &[PrecisionRecall]) -> String {
    let p = pooled(rows);
    format!(
        "{head} precision={:.3} recall={:.3} tp={} fp={} fn={}\n",
        p.precision, p.recall, p.tp, p.fp, p.fn_
    )
}

/// `brands-both.jsonl`, with the queries of `brands.jsonl`: all brands
/// pooled on one line, kept apart so that the `brands` figures stay
/// comparable with those reported before this set existed.
/// `suffix` names the query file when it is not `brands.toml`.
pub(super) fn brands_both(
    suffix: &str,
    path: &Path,
    text: &str,
    matcher: &BrandMatcher,
) -> Result<String, EvalError> {
    let (n, rows) = brand_rows(path, text, matcher)?;
    Ok(pooled_line(
        &format!("brands-both-senses{suffix}: n={n}"),
        &rows,
    ))
}

/// `brands.jsonl` with another query file, all brands pooled on one line.
pub(super) fn brands_pooled(
    name: &str,
    path: &Path,
    text: &str,
    matcher: &BrandMatcher,
) -> Result<String, EvalError> {
    let (n, rows) = brand_rows(path, text, matcher)?;
    Ok(pooled_line(&format!("{name} (all, n={n}):"), &rows))
}

/// Intent files (`intent.jsonl`, `intent-heldout.jsonl`, or several read
/// as one set): a line per intent headed `one NAME:`, then a `none` line
/// (texts with no intent, gold and predicted; not in the pooled figures),
/// then the six intents pooled, headed `all (whole text, n=..)`.
pub(super) fn intents(
    names: (&str, &str),
    files: &[(PathBuf, String)],
    finder: &dyn Fn(&str) -> Vec<Intent>,
) -> Result<String, EvalError> {
    let mut examples: Vec<IntentExample> = Vec::new();
    for (path, text) in files {
        examples.extend(sets::parse::<IntentExample>(path, text)?);
    }
    let predicted: Vec<Vec<Intent>> = examples.iter().map(|e| finder(&e.text)).collect();
    let gold: Vec<&[Intent]> = examples.iter().map(|e| e.intents.as_slice()).collect();
    let labels = Intent::ALL.map(|i| (i, i.as_str()));
    Ok(multi_label(names, &labels, &gold, &predicted))
}

/// Emotion files, as [`intents`]: a line per emotion, `none`, then the six
/// pooled.
pub(super) fn emotions(
    names: (&str, &str),
    files: &[(PathBuf, String)],
    finder: &dyn Fn(&str) -> Vec<Emotion>,
) -> Result<String, EvalError> {
    let mut examples: Vec<EmotionExample> = Vec::new();
    for (path, text) in files {
        examples.extend(sets::parse::<EmotionExample>(path, text)?);
    }
    let predicted: Vec<Vec<Emotion>> = examples.iter().map(|e| finder(&e.text)).collect();
    let gold: Vec<&[Emotion]> = examples.iter().map(|e| e.emotions.as_slice()).collect();
    let labels = Emotion::ALL.map(|e| (e, e.as_str()));
    Ok(multi_label(names, &labels, &gold, &predicted))
}

/// A set where each text has any number of labels: one line per label
/// (each its own yes/no question over every text), a `none` line (no label,
/// gold and predicted; not in the pooled figures), then the labels pooled
/// (micro F1) and averaged (macro F1). `names` is what one line and the
/// pooled line are called.
fn multi_label<L: PartialEq + Copy>(
    (one, all): (&str, &str),
    labels: &[(L, &str)],
    gold: &[&[L]],
    predicted: &[Vec<L>],
) -> String {
    let pairs = || gold.iter().zip(predicted);
    let rows: Vec<PrecisionRecall> = labels
        .iter()
        .map(|&(l, name)| {
            PrecisionRecall::count(name, pairs().map(|(g, p)| (g.contains(&l), p.contains(&l))))
        })
        .collect();
    let none = PrecisionRecall::count("none", pairs().map(|(g, p)| (g.is_empty(), p.is_empty())));
    let mut out = String::new();
    for r in rows.iter().chain([&none]) {
        out.push_str(&format!(
            "{one} {}: precision={:.3} recall={:.3} f1={:.3} tp={} fp={} fn={}\n",
            r.name,
            r.precision,
            r.recall,
            r.f1(),
            r.tp,
            r.fp,
            r.fn_
        ));
    }
    let p = pooled(&rows);
    out.push_str(&format!(
        "{all} (whole text, n={}): precision={:.3} recall={:.3} micro_f1={:.3} macro_f1={:.3}\n",
        gold.len(),
        p.precision,
        p.recall,
        p.micro_f1,
        p.macro_f1
    ));
    out
}
