//! How well classification works, measured on labelled examples: sentiment
//! (accuracy, macro F1 over the three labels, Pearson correlation of the
//! scores) and brand matching (precision and recall per brand).
//!
//! The metrics are pure functions of gold and predicted values. [`run_eval`]
//! is the one place that reads files: it loads the evaluation set (a folder
//! holding `sentiment.jsonl`, `brands.jsonl` and `brands.toml`) and formats a
//! report. It does not know how sentiment is scored or how brand queries are
//! compiled: the caller hands in both, so the same code measures our scorer,
//! a stand-in, or a candidate change.

use std::path::{Path, PathBuf};

use crate::model::{Sentiment, SentimentLabel};

/// Sentiment figures over `n` examples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    pub n: usize,
    /// Share of examples whose label was predicted exactly.
    pub accuracy: f64,
    /// Mean of the per-label F1 scores, so that a scorer which calls
    /// everything positive is not rewarded for a positive-heavy set. Labels
    /// absent from both gold and predictions are left out of the mean.
    pub macro_f1: f64,
    /// Pearson correlation of gold and predicted scores; 0 when either side
    /// is constant (the correlation is undefined there).
    pub pearson: f64,
}

const LABELS: [SentimentLabel; 3] = [
    SentimentLabel::Positive,
    SentimentLabel::Neutral,
    SentimentLabel::Negative,
];

/// Compares predicted (label, score) pairs with gold ones, item by item.
///
/// # Panics
/// When the two slices differ in length: they must describe the same items.
pub fn sentiment_metrics(
    gold: &[(SentimentLabel, f64)],
    predicted: &[(SentimentLabel, f64)],
) -> Metrics {
    assert_eq!(
        gold.len(),
        predicted.len(),
        "gold and predicted differ in length"
    );
    let n = gold.len();
    if n == 0 {
        return Metrics {
            n,
            accuracy: 0.0,
            macro_f1: 0.0,
            pearson: 0.0,
        };
    }
    let right = gold
        .iter()
        .zip(predicted)
        .filter(|(g, p)| g.0 == p.0)
        .count();
    let mut f1s = Vec::new();
    for label in LABELS {
        let tp = gold
            .iter()
            .zip(predicted)
            .filter(|(g, p)| g.0 == label && p.0 == label)
            .count();
        let in_gold = gold.iter().filter(|g| g.0 == label).count();
        let in_pred = predicted.iter().filter(|p| p.0 == label).count();
        if in_gold + in_pred > 0 {
            f1s.push(2.0 * tp as f64 / (in_gold + in_pred) as f64);
        }
    }
    let xs: Vec<f64> = gold.iter().map(|g| g.1).collect();
    let ys: Vec<f64> = predicted.iter().map(|p| p.1).collect();
    Metrics {
        n,
        accuracy: right as f64 / n as f64,
        macro_f1: f1s.iter().sum::<f64>() / f1s.len() as f64,
        pearson: pearson(&xs, &ys),
    }
}

fn pearson(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

/// How well one brand's query finds that brand.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionRecall {
    pub brand: String,
    /// tp / (tp + fp); 0 when the query matched nothing.
    pub precision: f64,
    /// tp / (tp + fn); 0 when no example mentions the brand.
    pub recall: f64,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

/// Precision and recall of each of `brands`, where `gold[i]` is the brand
/// example `i` mentions (`None`: none of them) and `predicted[i]` the brands
/// the classifier found in it.
///
/// # Panics
/// When `gold` and `predicted` differ in length.
pub fn precision_recall(
    brands: &[String],
    gold: &[Option<String>],
    predicted: &[Vec<String>],
) -> Vec<PrecisionRecall> {
    assert_eq!(
        gold.len(),
        predicted.len(),
        "gold and predicted differ in length"
    );
    brands
        .iter()
        .map(|brand| {
            let (mut tp, mut fp, mut fn_) = (0, 0, 0);
            for (g, p) in gold.iter().zip(predicted) {
                match (g.as_deref() == Some(brand.as_str()), p.contains(brand)) {
                    (true, true) => tp += 1,
                    (false, true) => fp += 1,
                    (true, false) => fn_ += 1,
                    (false, false) => {}
                }
            }
            PrecisionRecall {
                brand: brand.clone(),
                precision: ratio(tp, tp + fp),
                recall: ratio(tp, tp + fn_),
                tp,
                fp,
                fn_,
            }
        })
        .collect()
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

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

/// One line of `sentiment.jsonl`.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentimentExample {
    pub text: String,
    pub label: SentimentLabel,
    pub score: f64,
}

/// One line of `brands.jsonl`: the brand the text mentions, if any.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrandExample {
    pub text: String,
    pub brand: Option<String>,
}

/// Parses JSON lines, skipping blank ones, each with its 1-based line number.
fn parse_lines<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
) -> Result<Vec<(usize, T)>, EvalError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(line).map_err(|source| EvalError::Json {
            path: path.to_path_buf(),
            line: i + 1,
            source,
        })?;
        out.push((i + 1, value));
    }
    if out.is_empty() {
        return Err(EvalError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(out)
}

/// The examples of a `sentiment.jsonl` file's contents.
pub fn parse_sentiment(path: &Path, text: &str) -> Result<Vec<SentimentExample>, EvalError> {
    parse_lines::<SentimentExample>(path, text)?
        .into_iter()
        .map(|(line, e)| {
            if (-1.0..=1.0).contains(&e.score) {
                Ok(e)
            } else {
                Err(EvalError::Score {
                    path: path.to_path_buf(),
                    line,
                    score: e.score,
                })
            }
        })
        .collect()
}

/// The examples of a `brands.jsonl` file's contents.
pub fn parse_brands(path: &Path, text: &str) -> Result<Vec<BrandExample>, EvalError> {
    Ok(parse_lines(path, text)?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}

/// Finds the brands a text mentions.
pub type BrandMatcher = Box<dyn Fn(&str) -> Vec<String>>;

/// Runs the evaluation set in `dir` and returns the report.
///
/// `brands_from_toml` receives the text of `dir/brands.toml` (a pipeline
/// file's `[[brands]]` tables) and returns a matcher, or a message saying why
/// the queries could not be compiled. `sentiment` scores a text in [-1, 1];
/// labels come from the shared thresholds of [`Sentiment::from_score`].
pub fn run_eval(
    dir: &Path,
    brands_from_toml: &dyn Fn(&str) -> Result<BrandMatcher, String>,
    sentiment: &dyn Fn(&str) -> f64,
) -> Result<String, EvalError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read_to_string(&path)
            .map(|text| (path.clone(), text))
            .map_err(|source| EvalError::Read { path, source })
    };
    let (path, text) = read("sentiment.jsonl")?;
    let examples = parse_sentiment(&path, &text)?;
    let gold: Vec<(SentimentLabel, f64)> = examples.iter().map(|e| (e.label, e.score)).collect();
    let predicted: Vec<(SentimentLabel, f64)> = examples
        .iter()
        .map(|e| {
            let s = Sentiment::from_score(sentiment(&e.text));
            (s.label, s.score)
        })
        .collect();
    let mut report = sentiment_line(&sentiment_metrics(&gold, &predicted));
    report.push('\n');
    report.push_str(&confusion(&gold, &predicted));

    let (toml_path, toml) = read("brands.toml")?;
    let matcher = brands_from_toml(&toml).map_err(|message| EvalError::Brands {
        path: toml_path,
        message,
    })?;
    let (path, text) = read("brands.jsonl")?;
    let examples = parse_brands(&path, &text)?;
    let gold: Vec<Option<String>> = examples.iter().map(|e| e.brand.clone()).collect();
    let predicted: Vec<Vec<String>> = examples.iter().map(|e| matcher(&e.text)).collect();
    let mut brands: Vec<String> = Vec::new();
    for b in gold.iter().flatten().chain(predicted.iter().flatten()) {
        if !brands.contains(b) {
            brands.push(b.clone());
        }
    }
    let rows = precision_recall(&brands, &gold, &predicted);
    for r in &rows {
        report.push_str(&format!(
            "brand {}: precision={:.3} recall={:.3} tp={} fp={} fn={}\n",
            r.brand, r.precision, r.recall, r.tp, r.fp, r.fn_
        ));
    }
    let (tp, fp, fn_) = rows
        .iter()
        .fold((0, 0, 0), |a, r| (a.0 + r.tp, a.1 + r.fp, a.2 + r.fn_));
    report.push_str(&format!(
        "brands (all, n={}): precision={:.3} recall={:.3} tp={tp} fp={fp} fn={fn_}\n",
        examples.len(),
        ratio(tp, tp + fp),
        ratio(tp, tp + fn_)
    ));
    Ok(report)
}

/// The report's sentiment line; `scripts/eval-vader` prints the same format
/// for the reference implementation, so the two can be compared line to line.
pub fn sentiment_line(m: &Metrics) -> String {
    format!(
        "sentiment: n={} accuracy={:.3} macro_f1={:.3} pearson={:.3}",
        m.n, m.accuracy, m.macro_f1, m.pearson
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

#[cfg(test)]
mod tests {
    use super::*;
    use SentimentLabel::{Negative as Neg, Neutral as Neu, Positive as Pos};

    #[test]
    fn sentiment_metrics_by_hand() {
        let gold = [(Pos, 0.8), (Pos, 0.4), (Neu, 0.0), (Neg, -0.5), (Neg, -0.9)];
        let pred = [(Pos, 0.6), (Neu, 0.0), (Neu, 0.02), (Pos, 0.1), (Neg, -0.7)];
        let m = sentiment_metrics(&gold, &pred);
        assert_eq!(m.n, 5);
        assert!((m.accuracy - 0.6).abs() < 1e-12);
        // F1 positive: tp 1, gold 2, predicted 2 -> 0.5; neutral: tp 1, gold 1,
        // predicted 2 -> 2/3; negative: tp 1, gold 2, predicted 1 -> 2/3.
        let want = (0.5 + 2.0 / 3.0 + 2.0 / 3.0) / 3.0;
        assert!((m.macro_f1 - want).abs() < 1e-12, "{}", m.macro_f1);
        // Means -0.04 and 0.004; sums of products 1.0608, 1.852 and 0.86032
        // give 1.0608 / sqrt(1.852 * 0.86032) = 0.8404.
        assert!((m.pearson - 0.840_4).abs() < 1e-4, "{}", m.pearson);
    }

    #[test]
    fn perfect_and_degenerate_predictions() {
        let gold = [(Pos, 0.5), (Neg, -0.5), (Neu, 0.0)];
        let m = sentiment_metrics(&gold, &gold);
        assert_eq!((m.accuracy, m.macro_f1), (1.0, 1.0));
        assert!((m.pearson - 1.0).abs() < 1e-12);
        // A scorer that says "neutral, 0" to everything: one label right,
        // no correlation, and macro F1 exposes it (F1 neutral 0.5, others 0).
        let flat = [(Neu, 0.0); 3];
        let m = sentiment_metrics(&gold, &flat);
        assert!((m.accuracy - 1.0 / 3.0).abs() < 1e-12);
        assert!((m.macro_f1 - 0.5 / 3.0).abs() < 1e-12);
        assert_eq!(m.pearson, 0.0);
        // Labels nobody used do not drag the mean down.
        let m = sentiment_metrics(&[(Pos, 0.3)], &[(Pos, 0.9)]);
        assert_eq!(m.macro_f1, 1.0);
        assert_eq!(sentiment_metrics(&[], &[]).n, 0);
    }

    #[test]
    fn precision_and_recall_per_brand() {
        let s = |v: &[&str]| v.iter().map(|b| b.to_string()).collect::<Vec<_>>();
        let gold =
            [Some("Apple"), Some("Apple"), None, None, Some("Shell")].map(|b| b.map(String::from));
        let pred = [
            s(&["Apple"]),
            s(&[]),
            s(&["Apple"]),
            s(&[]),
            s(&["Shell", "Apple"]),
        ];
        let rows = precision_recall(&s(&["Apple", "Shell", "Dove"]), &gold, &pred);
        let apple = &rows[0];
        assert_eq!((apple.tp, apple.fp, apple.fn_), (1, 2, 1));
        assert!((apple.precision - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(apple.recall, 0.5);
        assert_eq!((rows[1].precision, rows[1].recall), (1.0, 1.0));
        assert_eq!(
            (rows[2].tp, rows[2].fp, rows[2].fn_, rows[2].precision),
            (0, 0, 0, 0.0)
        );
    }

    #[test]
    fn fixtures_errors_name_file_and_line() {
        let path = Path::new("eval/sentiment.jsonl");
        let ok = "{\"text\": \"fine\", \"label\": \"positive\", \"score\": 0.2}\n\n";
        assert_eq!(parse_sentiment(path, ok).unwrap()[0].label, Pos);
        let bad_label = format!("{ok}{{\"text\": \"x\", \"label\": \"good\", \"score\": 0.2}}");
        let err = parse_sentiment(path, &bad_label).unwrap_err().to_string();
        assert!(err.starts_with("eval/sentiment.jsonl, line 3:"), "{err}");
        let bad_score = "{\"text\": \"x\", \"label\": \"negative\", \"score\": -3}";
        let err = parse_sentiment(path, bad_score).unwrap_err().to_string();
        assert!(err.contains("line 1: score -3 is outside"), "{err}");
        assert!(matches!(
            parse_brands(path, "\n"),
            Err(EvalError::Empty { .. })
        ));
        let brand = parse_brands(path, "{\"text\": \"Shell profits\", \"brand\": null}").unwrap();
        assert_eq!(brand[0].brand, None);
    }

    #[test]
    fn run_eval_reports_both_tasks() {
        let dir = std::env::temp_dir().join(format!("earshot-eval-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lines = [
            r#"{"text": "I love it", "label": "positive", "score": 0.7}"#,
            r#"{"text": "It broke", "label": "negative", "score": -0.6}"#,
            r#"{"text": "It is blue", "label": "neutral", "score": 0.0}"#,
        ];
        std::fs::write(dir.join("sentiment.jsonl"), lines.join("\n")).unwrap();
        let brands = [
            r#"{"text": "Shell profits rise", "brand": "Shell"}"#,
            r#"{"text": "a shell on the beach", "brand": null}"#,
        ];
        std::fs::write(dir.join("brands.jsonl"), brands.join("\n")).unwrap();
        std::fs::write(dir.join("brands.toml"), "shell-query").unwrap();
        let make = |toml: &str| -> Result<BrandMatcher, String> {
            assert_eq!(toml, "shell-query");
            Ok(Box::new(|t: &str| {
                if t.contains("shell") || t.contains("Shell") {
                    vec!["Shell".to_string()]
                } else {
                    vec![]
                }
            }))
        };
        let score = |t: &str| {
            if t.contains("love") {
                0.6
            } else if t.contains("broke") {
                -0.4
            } else {
                0.3
            }
        };
        let report = run_eval(&dir, &make, &score).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let first = report.lines().next().unwrap();
        // "It is blue" scores 0.3: labelled positive, so 2 of 3 right; F1 is
        // 2/3 positive, 1 negative, 0 neutral; r(0.7 -0.6 0, 0.6 -0.4 0.3) = 0.963.
        assert_eq!(
            first,
            "sentiment: n=3 accuracy=0.667 macro_f1=0.556 pearson=0.963"
        );
        assert!(
            report.contains("brand Shell: precision=0.500 recall=1.000 tp=1 fp=1 fn=0"),
            "{report}"
        );
        assert!(
            report.contains("brands (all, n=2): precision=0.500 recall=1.000"),
            "{report}"
        );
        let failing =
            |_: &str| -> Result<BrandMatcher, String> { Err("brand X: column 3: bad".into()) };
        let err = run_eval(Path::new("/nonexistent-eval-dir"), &failing, &score).unwrap_err();
        assert!(matches!(err, EvalError::Read { .. }), "{err}");
    }
}
