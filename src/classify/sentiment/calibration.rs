//! Calibration of the compound score to the scale people rate on: a score
//! of -0.4 should be as negative as what our raters call -0.4.
//!
//! VADER's compound is a squashed sum, not a rating. On our tuning set it
//! overstates praise (texts it scores 0.75 were rated about 0.5) and
//! understates mild complaints (-0.25 were rated about -0.38). A monotone,
//! piecewise-linear map through [`KNOTS`] corrects that. The knots are the
//! isotonic fit ([`fit`]) of the raters' scores on the raw compounds of
//! `fixtures/eval/sentiment.jsonl`; a test refits them, so a change to the
//! lexicon or the rules that moves the fit says so and prints new knots.
//! The map is strictly increasing and fixes 0 and ±0.05, the label
//! thresholds, so it never changes a label: only how far from neutral a
//! score sits. It also fixes ±1: the strongest text there is stays at the
//! end of the scale (few texts score there, too few to fit).

/// Where the map is pinned: the ends, the label thresholds and zero are
/// fixed; the others are fitted.
pub(super) const GRID: [f64; 11] = [
    -1.0, -0.75, -0.5, -0.25, -0.05, 0.0, 0.05, 0.25, 0.5, 0.75, 1.0,
];

/// Calibrated value at each point of [`GRID`].
#[rustfmt::skip]
pub(super) const KNOTS: [f64; 11] = [
    -1.0, -0.635, -0.428, -0.378, -0.05, 0.0, 0.05, 0.204, 0.337, 0.51, 1.0,
];

/// Half the width of the window of raw scores whose ratings fit a knot.
#[cfg(test)]
const WINDOW: f64 = 0.125;
/// Least slope between knots, so that the map stays strictly increasing.
#[cfg(test)]
const MIN_SLOPE: f64 = 0.05;

/// The calibrated score of a raw compound in [-1, 1].
pub(super) fn calibrate(raw: f64) -> f64 {
    let x = raw.clamp(-1.0, 1.0);
    let i = GRID.partition_point(|&g| g <= x).clamp(1, GRID.len() - 1);
    let (x0, x1) = (GRID[i - 1], GRID[i]);
    let t = (x - x0) / (x1 - x0);
    KNOTS[i - 1] + t * (KNOTS[i] - KNOTS[i - 1])
}

/// Fits the knots to (raw compound, rated score) pairs: the mean rating of
/// the texts near each grid point that is not pinned, made monotone by
/// pooling adjacent violators, then strictly increasing.
#[cfg(test)]
pub(super) fn fit(pairs: &[(f64, f64)]) -> [f64; 11] {
    let mut value = [0.0; 11];
    let mut weight = [0.0; 11];
    for (k, &x) in GRID.iter().enumerate() {
        if x.abs() <= 0.05 || x.abs() == 1.0 {
            // Pinned, and heavy enough that pooling never moves it.
            value[k] = x;
            weight[k] = 1e9;
            continue;
        }
        let near: Vec<f64> = pairs
            .iter()
            .filter(|(raw, _)| (raw - x).abs() <= WINDOW)
            .map(|&(_, rated)| rated)
            .collect();
        value[k] = near.iter().sum::<f64>() / near.len().max(1) as f64;
        weight[k] = near.len() as f64;
    }
    let mut knots = pool_adjacent_violators(&value, &weight);
    for k in 1..knots.len() {
        let least = knots[k - 1] + MIN_SLOPE * (GRID[k] - GRID[k - 1]);
        knots[k] = knots[k].max(least);
    }
    knots.map(|v| (v.clamp(-1.0, 1.0) * 1000.0).round() / 1000.0)
}

/// The non-decreasing sequence closest (weighted least squares) to `value`.
#[cfg(test)]
fn pool_adjacent_violators(value: &[f64; 11], weight: &[f64; 11]) -> [f64; 11] {
    // Blocks of (mean, weight, how many points).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for k in 0..value.len() {
        blocks.push((value[k], weight[k], 1));
        while blocks.len() > 1 && blocks[blocks.len() - 2].0 > blocks[blocks.len() - 1].0 {
            let (m2, w2, n2) = blocks.pop().expect("two blocks");
            let (m1, w1, n1) = blocks.pop().expect("two blocks");
            blocks.push(((m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, n1 + n2));
        }
    }
    let mut out = [0.0; 11];
    let mut k = 0;
    for (m, _, n) in blocks {
        out[k..k + n].fill(m);
        k += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sentiment;

    #[test]
    fn the_map_is_increasing_and_keeps_every_label() {
        let mut last = f64::NEG_INFINITY;
        for i in -1000..=1000 {
            let raw = i as f64 / 1000.0;
            let c = calibrate(raw);
            assert!(c > last, "{raw}: {c} after {last}");
            assert!((-1.0..=1.0).contains(&c));
            assert_eq!(
                Sentiment::from_score(c).label,
                Sentiment::from_score(raw).label,
                "{raw}"
            );
            last = c;
        }
        assert_eq!(calibrate(0.0), 0.0);
        assert_eq!(calibrate(7.0), calibrate(1.0), "clamped");
    }

    #[test]
    fn pooling_makes_a_dip_flat() {
        let v = [0.0, 1.0, 0.5, 2.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0];
        let w = [1.0; 11];
        let p = pool_adjacent_violators(&v, &w);
        assert_eq!(&p[..4], &[0.0, 0.75, 0.75, 2.0]);
    }

    #[test]
    fn the_knots_are_the_fit_on_the_tuning_set() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/eval/sentiment.jsonl");
        let text = std::fs::read_to_string(path).unwrap();
        let pairs: Vec<(f64, f64)> = text
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let raw = super::super::compound(v["text"].as_str().unwrap());
                (raw, v["score"].as_f64().unwrap())
            })
            .collect();
        let fitted = fit(&pairs);
        let stale = fitted.iter().zip(KNOTS).any(|(f, k)| (f - k).abs() > 0.002);
        assert!(
            !stale,
            "the scorer changed: refit the knots to {fitted:?} (were {KNOTS:?})"
        );
    }
}
