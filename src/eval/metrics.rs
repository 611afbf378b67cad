//! The figures of an evaluation, as pure functions of gold and predicted
//! values: accuracy, macro F1 and Pearson r for sentiment labels and scores,
//! and precision and recall for yes/no questions asked of every item (is
//! this brand mentioned, does this text carry that intent). Nothing here
//! reads files or knows a classifier.

use crate::model::SentimentLabel;

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
    /// Mean absolute difference of gold and predicted scores: how far a
    /// score is from the rating, which is what calibration lowers.
    pub mae: f64,
}

pub(super) const LABELS: [SentimentLabel; 3] = [
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
    let gold_labels: Vec<SentimentLabel> = gold.iter().map(|g| g.0).collect();
    let labels: Vec<Option<SentimentLabel>> = predicted.iter().map(|p| Some(p.0)).collect();
    let m = label_metrics(&gold_labels, &labels);
    let xs: Vec<f64> = gold.iter().map(|g| g.1).collect();
    let ys: Vec<f64> = predicted.iter().map(|p| p.1).collect();
    Metrics {
        n: m.n,
        accuracy: m.accuracy,
        macro_f1: m.macro_f1,
        pearson: pearson(&xs, &ys),
        mae: mean(
            &xs.iter()
                .zip(&ys)
                .map(|(x, y)| (x - y).abs())
                .collect::<Vec<f64>>(),
        ),
    }
}

/// Label figures where the classifier may have found nothing to label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelMetrics {
    pub n: usize,
    /// Share of gold labels predicted exactly; a missing prediction is wrong.
    pub accuracy: f64,
    /// As [`Metrics::macro_f1`]; a missing prediction is a miss of its gold
    /// label and a false alarm for none.
    pub macro_f1: f64,
    /// Gold items with no prediction.
    pub missing: usize,
}

/// Compares predicted labels (`None`: the item was not found) with gold ones.
///
/// # Panics
/// When the two slices differ in length.
pub fn label_metrics(
    gold: &[SentimentLabel],
    predicted: &[Option<SentimentLabel>],
) -> LabelMetrics {
    assert_eq!(
        gold.len(),
        predicted.len(),
        "gold and predicted differ in length"
    );
    let n = gold.len();
    let pairs = || gold.iter().zip(predicted);
    let right = pairs().filter(|(g, p)| Some(**g) == **p).count();
    let mut f1s = Vec::new();
    for label in LABELS {
        let tp = pairs()
            .filter(|(g, p)| **g == label && **p == Some(label))
            .count();
        let in_gold = gold.iter().filter(|g| **g == label).count();
        let in_pred = predicted.iter().filter(|p| **p == Some(label)).count();
        if in_gold + in_pred > 0 {
            f1s.push(2.0 * tp as f64 / (in_gold + in_pred) as f64);
        }
    }
    LabelMetrics {
        n,
        accuracy: ratio(right, n),
        macro_f1: mean(&f1s),
        missing: predicted.iter().filter(|p| p.is_none()).count(),
    }
}

fn pearson(xs: &[f64], ys: &[f64]) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
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

/// How well a classifier answers one yes/no question (is this brand
/// mentioned, does the text carry this intent) over a set of items.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionRecall {
    /// What was asked: a brand's or an intent's name.
    pub name: String,
    /// tp / (tp + fp); 0 when the classifier said yes to nothing.
    pub precision: f64,
    /// tp / (tp + fn); 0 when no item is a yes.
    pub recall: f64,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl PrecisionRecall {
    /// Counts the answers, `(gold, predicted)` per item.
    pub fn count(name: &str, answers: impl Iterator<Item = (bool, bool)>) -> PrecisionRecall {
        let (mut tp, mut fp, mut fn_) = (0, 0, 0);
        for answer in answers {
            match answer {
                (true, true) => tp += 1,
                (false, true) => fp += 1,
                (true, false) => fn_ += 1,
                (false, false) => {}
            }
        }
        PrecisionRecall {
            name: name.to_string(),
            precision: ratio(tp, tp + fp),
            recall: ratio(tp, tp + fn_),
            tp,
            fp,
            fn_,
        }
    }

    /// Harmonic mean of precision and recall; 0 when both are.
    pub fn f1(&self) -> f64 {
        ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn_)
    }
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
            let answers = gold
                .iter()
                .zip(predicted)
                .map(|(g, p)| (g.as_deref() == Some(brand.as_str()), p.contains(brand)));
            PrecisionRecall::count(brand, answers)
        })
        .collect()
}

/// Figures pooled over several yes/no questions asked of the same items.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pooled {
    /// From the summed counts: frequent questions weigh more.
    pub precision: f64,
    pub recall: f64,
    pub micro_f1: f64,
    /// Mean of the per-question F1, every question weighing the same;
    /// questions nobody answered yes (gold or predicted) are left out.
    pub macro_f1: f64,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

/// Pools the rows of [`PrecisionRecall`] of one evaluation.
pub fn pooled(rows: &[PrecisionRecall]) -> Pooled {
    let (tp, fp, fn_) = rows
        .iter()
        .fold((0, 0, 0), |a, r| (a.0 + r.tp, a.1 + r.fp, a.2 + r.fn_));
    let f1s: Vec<f64> = rows
        .iter()
        .filter(|r| r.tp + r.fp + r.fn_ > 0)
        .map(PrecisionRecall::f1)
        .collect();
    Pooled {
        precision: ratio(tp, tp + fp),
        recall: ratio(tp, tp + fn_),
        micro_f1: ratio(2 * tp, 2 * tp + fp + fn_),
        macro_f1: mean(&f1s),
        tp,
        fp,
        fn_,
    }
}

pub(super) fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
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
    fn a_mention_not_found_is_wrong_but_no_false_alarm() {
        let gold = [Pos, Pos, Neg, Neu];
        let pred = [Some(Pos), None, Some(Neg), Some(Neg)];
        let m = label_metrics(&gold, &pred);
        assert_eq!((m.n, m.missing), (4, 1));
        assert_eq!(m.accuracy, 0.5);
        // Positive: tp 1, gold 2, predicted 1 -> 2/3; negative: tp 1, gold 1,
        // predicted 2 -> 2/3; neutral: tp 0 -> 0.
        assert!((m.macro_f1 - 4.0 / 9.0).abs() < 1e-12, "{}", m.macro_f1);
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
    fn pooled_figures_weigh_counts_or_questions() {
        let a = PrecisionRecall::count("a", [(true, true); 3].into_iter());
        let b = PrecisionRecall::count("b", [(true, false), (false, true)].into_iter());
        let never = PrecisionRecall::count("c", [(false, false)].into_iter());
        assert_eq!((a.f1(), b.f1(), never.f1()), (1.0, 0.0, 0.0));
        let p = pooled(&[a, b, never]);
        assert_eq!((p.tp, p.fp, p.fn_), (3, 1, 1));
        assert_eq!((p.precision, p.recall), (0.75, 0.75));
        assert!((p.micro_f1 - 0.75).abs() < 1e-12);
        // "c" was never asked of anything: out of the mean.
        assert_eq!(p.macro_f1, 0.5);
    }
}
