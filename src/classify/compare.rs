//! Who wins a sentence that names several brands: comparisons, switches
//! and contrasts, read per mention.
//!
//! A sentence score says how the sentence feels; in "Globex is way better
//! than Acme now" it is positive, and giving that to both brands is wrong
//! for the one that loses. This module reads the few constructions that
//! decide it ("A is better than B", "A beats B", "switched from A to B",
//! "unlike A, B ...", "A ..., but B ...") and returns a score per brand.
//! Where none applies it returns nothing and the sentence score stands.
//! Pure and small: the sentence, where each brand is in it, and the
//! sentence's own score come in; scoring clauses goes through
//! [`super::sentiment`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use super::sentiment;

/// Comparatives that favour the side before "than".
const BETTER: &[&str] = &[
    "better",
    "faster",
    "cheaper",
    "cleaner",
    "easier",
    "nicer",
    "smoother",
    "quicker",
    "simpler",
    "stronger",
    "safer",
    "clearer",
    "friendlier",
    "kinder",
    "sharper",
    "superior",
    "happier",
    "lighter",
    "brighter",
    "prettier",
    "calmer",
    "saner",
    "healthier",
    "wiser",
    "greater",
];
/// Comparatives that count against the side before "than".
const WORSE: &[&str] = &[
    "worse", "slower", "pricier", "dearer", "costlier", "harder", "buggier", "weaker", "flakier",
    "clunkier", "uglier", "noisier", "laggier", "messier", "inferior", "rougher", "shadier",
    "greedier", "sadder", "heavier", "louder",
];
/// Verbs of one brand winning over the next: "A beats B".
const BEATS: &[&str] = &[
    "beats",
    "beat",
    "outperforms",
    "outclasses",
    "trounces",
    "crushes",
    "destroys",
    "smokes",
    "outshines",
    "tops",
    "trumps",
];
/// Verbs of leaving: "switched from A to B", "ditched A for B".
const LEAVING: &[&str] = &[
    "switched",
    "switching",
    "switch",
    "moved",
    "moving",
    "move",
    "migrated",
    "migrating",
    "went",
    "going",
    "ported",
    "porting",
    "changed",
    "changing",
    "jumped",
];
const DROPPING: &[&str] = &[
    "ditched",
    "ditching",
    "dropped",
    "dropping",
    "left",
    "leaving",
    "dumped",
    "dumping",
    "replaced",
    "replacing",
    "cancelled",
    "canceled",
    "quit",
    "abandoned",
    "deleted",
    "uninstalled",
    "closed",
];
/// Words that open a question: a comparison asked about is no verdict.
const ASKING: &[&str] = &[
    "is", "are", "does", "do", "did", "which", "who", "whose", "what", "should", "would", "could",
    "can", "has", "have", "anyone", "how",
];
/// Markers after which the next clause is judged on its own.
const CONTRAST: &[&str] = &[
    "but", "however", "whereas", "while", "although", "though", "yet",
];
/// Markers that set the brand after them against the rest of the sentence.
const AGAINST: &[&[&str]] = &[
    &["unlike"],
    &["instead", "of"],
    &["rather", "than"],
    &["except"],
    &["except", "for"],
];

/// The least strength a comparison is given when the sentence itself reads
/// as neutral: "A is faster than B" says something about both.
const FLOOR: f64 = 0.35;

struct Word<'a> {
    range: Range<usize>,
    /// Lowercased; the text itself when that changes nothing, as for most
    /// words, so that reading a sentence does not copy every word of it.
    lower: Cow<'a, str>,
}

fn words(s: &str) -> Vec<Word<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    let is_word = |c: char| c.is_alphanumeric() || c == '\'' || c == '’';
    let mut push = |range: Range<usize>| {
        let word = &s[range.clone()];
        let lower = match word.is_ascii() && !word.bytes().any(|b| b.is_ascii_uppercase()) {
            true => Cow::Borrowed(word),
            false => Cow::Owned(word.to_lowercase()),
        };
        out.push(Word { range, lower });
    };
    for (i, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
        match (start, is_word(c)) {
            (None, true) => start = Some(i),
            (Some(b), false) => {
                push(b..i);
                start = None;
            }
            _ => {}
        }
        // `A > B` is a comparison too.
        if c == '>' || c == '<' {
            push(i..i + 1);
        }
    }
    out
}

/// Scores per brand for one sentence, when a construction decides them.
/// `places` holds each brand's mentions in `sentence` as byte ranges
/// relative to it; `score` is the whole sentence's compound score.
pub(super) fn attribute(
    sentence: &str,
    places: &[(usize, Range<usize>)],
    score: f64,
) -> Option<HashMap<usize, f64>> {
    let ws = words(sentence);
    // Each brand's mentions as word positions, in text order.
    let mut at: Vec<(usize, usize, usize)> = places
        .iter()
        .filter_map(|(b, r)| {
            let first = ws.iter().position(|w| w.range.end > r.start)?;
            let last = ws.iter().rposition(|w| w.range.start < r.end)?;
            Some((first, last.max(first), *b))
        })
        .collect();
    at.sort();
    let brands: Vec<usize> = at.iter().map(|a| a.2).collect();
    if brands.iter().all(|&b| b == brands[0]) {
        return None;
    }
    let strength = score.abs().max(FLOOR);
    // "Is A cheaper than B?" asks; it decides nothing.
    let question = sentence.trim_end().ends_with('?')
        && ws
            .first()
            .is_some_and(|w| ASKING.contains(&w.lower.as_ref()));
    if question {
        return None;
    }
    let is = |i: usize, list: &[&str]| ws.get(i).is_some_and(|w| list.contains(&w.lower.as_ref()));
    // The nearest mentions of two different brands around word `i`.
    let around = |i: usize| {
        let before = at.iter().rev().find(|a| a.1 < i)?;
        let after = at.iter().find(|a| a.0 > i && a.2 != before.2)?;
        Some((before.2, after.2, before.1))
    };
    let verdict =
        |winner: usize, loser: usize| HashMap::from([(winner, strength), (loser, -strength)]);
    for i in 0..ws.len() {
        // "switched from A to B", "moving to B from A".
        if is(i, &["from", "off"]) && (0..i).any(|j| is(j, LEAVING) || is(j, DROPPING)) {
            if let Some(from) = at.iter().find(|a| a.0 > i) {
                if let Some(to) = at.iter().find(|a| a.2 != from.2) {
                    return Some(verdict(to.2, from.2));
                }
            }
        }
        // "ditched A for B", "replaced A with B".
        if is(i, DROPPING) {
            if let Some(a) = at.iter().find(|a| a.0 > i) {
                let rest = at.iter().find(|b| b.0 > a.1 && b.2 != a.2);
                let joined =
                    rest.is_some_and(|b| (a.1 + 1..b.0).any(|j| is(j, &["for", "with", "to"])));
                if let (Some(b), true) = (rest, joined) {
                    return Some(verdict(b.2, a.2));
                }
                // "Dropped A, kept B": the one dropped loses; the others
                // keep what the sentence says.
                if i + 1 == a.0 {
                    let mut out: HashMap<usize, f64> = brands.iter().map(|&b| (b, score)).collect();
                    out.insert(a.2, -strength);
                    return Some(out);
                }
            }
        }
        // "A is better than B", "A is even worse than B".
        if is(i, &["than"]) && !(i > 0 && is(i - 1, &["rather"])) {
            let Some((a, b, a_end)) = around(i) else {
                continue;
            };
            let between = a_end + 1..i;
            let Some(pol) = between.clone().rev().find_map(|j| comparative(&ws, j)) else {
                continue;
            };
            let even = between.clone().any(|j| is(j, &["even", "still"]));
            return Some(match even {
                true => HashMap::from([(a, pol * strength), (b, pol * strength)]),
                false => HashMap::from([(a, pol * strength), (b, -pol * strength)]),
            });
        }
        // "A beats B", "A > B", "prefer A over B".
        // "A is miles ahead of B", "A lags behind B".
        if (is(i, &["ahead"]) && is(i + 1, &["of"])) || is(i, &["behind"]) {
            if let Some((a, b, _)) = around(i) {
                return Some(match is(i, &["ahead"]) {
                    true => verdict(a, b),
                    false => verdict(b, a),
                });
            }
        }
        if is(i, BEATS)
            || is(i, &[">"])
            || (is(i, &["over"])
                && (0..i).any(|j| {
                    is(
                        j,
                        &[
                            "prefer",
                            "prefers",
                            "preferred",
                            "choose",
                            "chose",
                            "pick",
                            "picked",
                        ],
                    )
                }))
        {
            if let Some((a, b, _)) = around(i) {
                return Some(verdict(a, b));
            }
        }
        if is(i, &["<"]) {
            if let Some((a, b, _)) = around(i) {
                return Some(verdict(b, a));
            }
        }
    }
    // "unlike A, B is ...": A gets the opposite of the rest.
    for (i, _) in ws.iter().enumerate() {
        for marker in AGAINST {
            let fits = marker
                .iter()
                .enumerate()
                .all(|(k, m)| ws.get(i + k).is_some_and(|w| w.lower == **m));
            if !fits {
                continue;
            }
            let after = i + marker.len();
            let Some(&(_, last, against)) = at.iter().find(|a| a.0 >= after && a.0 <= after + 2)
            else {
                continue;
            };
            let rest = format!(
                "{}{}",
                &sentence[..ws[i].range.start],
                &sentence[ws[last].range.end..]
            );
            let rest_score = sentiment::score(&rest).score;
            // "A instead of B" prefers A even when it says nothing more.
            let prefers = marker[0] == "instead" || marker[0] == "rather";
            if prefers && rest_score > -0.05 {
                let mut out: HashMap<usize, f64> = brands.iter().map(|&b| (b, strength)).collect();
                out.insert(against, -strength);
                return Some(out);
            }
            if rest_score.abs() < 0.05 {
                return None;
            }
            let mut out: HashMap<usize, f64> = brands.iter().map(|&b| (b, rest_score)).collect();
            out.insert(against, -rest_score.signum() * rest_score.abs().max(FLOOR));
            return Some(out);
        }
    }
    // "A is fine, but B is a nightmare": each brand takes its clause.
    let cuts: Vec<usize> = (0..ws.len()).filter(|&i| is(i, CONTRAST)).collect();
    if cuts.is_empty() {
        return None;
    }
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().map(|&i| ws[i].range.start));
    bounds.push(sentence.len());
    let clause_of = |byte: usize| bounds.windows(2).position(|w| byte >= w[0] && byte < w[1]);
    let mut out = HashMap::new();
    let mut clauses = std::collections::HashSet::new();
    for &(first, _, b) in &at {
        let c = clause_of(ws[first].range.start)?;
        clauses.insert(c);
        let s = sentiment::score(&sentence[bounds[c]..bounds[c + 1]]).score;
        // A brand named in several clauses keeps the first (its subject).
        out.entry(b).or_insert(s);
    }
    (clauses.len() > 1).then_some(out)
}

/// The polarity of a comparative at word `j` ("better", "more reliable",
/// "less buggy"), if it is one.
fn comparative(ws: &[Word], j: usize) -> Option<f64> {
    let w = ws[j].lower.as_ref();
    if BETTER.contains(&w) || w == "ahead" {
        return Some(1.0);
    }
    if WORSE.contains(&w) || w == "behind" {
        return Some(-1.0);
    }
    // "more reliable", "less of a rip-off": the sign of the word after.
    let sign = match w {
        "more" => 1.0,
        "less" | "fewer" => -1.0,
        _ => return None,
    };
    let next: String = ws[j + 1..ws.len().min(j + 4)]
        .iter()
        .map(|w| w.lower.as_ref())
        .collect::<Vec<_>>()
        .join(" ");
    let s = sentiment::score(&next).score;
    (s.abs() >= 0.05).then(|| sign * s.signum())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores for a sentence naming brands 0 and 1 at their words.
    fn run(sentence: &str, a: &str, b: &str) -> Option<(f64, f64)> {
        let place = |name: &str| {
            let at = sentence.find(name).unwrap();
            at..at + name.len()
        };
        let score = sentiment::score(sentence).score;
        let out = attribute(sentence, &[(0, place(a)), (1, place(b))], score)?;
        Some((out[&0], out[&1]))
    }

    fn signs(r: Option<(f64, f64)>) -> Option<(i8, i8)> {
        let sign = |x: f64| {
            if x > 0.05 {
                1
            } else if x < -0.05 {
                -1
            } else {
                0
            }
        };
        r.map(|(a, b)| (sign(a), sign(b)))
    }

    #[test]
    fn a_comparison_gives_the_losing_side_the_other_sign() {
        assert_eq!(
            signs(run("Zorb is way better than Quux now", "Zorb", "Quux")),
            Some((1, -1))
        );
        assert_eq!(
            signs(run("Zorb is slower than Quux", "Zorb", "Quux")),
            Some((-1, 1))
        );
        assert_eq!(
            signs(run("Zorb feels more reliable than Quux", "Zorb", "Quux")),
            Some((1, -1))
        );
        assert_eq!(
            signs(run("Zorb is even worse than Quux", "Zorb", "Quux")),
            Some((-1, -1))
        );
        assert_eq!(
            signs(run("Zorb beats Quux on price", "Zorb", "Quux")),
            Some((1, -1))
        );
        assert_eq!(
            signs(run("zorb > quux, easily", "zorb", "quux")),
            Some((1, -1))
        );
        assert_eq!(
            signs(run("I prefer Zorb over Quux", "Zorb", "Quux")),
            Some((1, -1))
        );
    }

    #[test]
    fn switching_counts_against_the_brand_left() {
        assert_eq!(
            signs(run("Switched from Zorb to Quux last week", "Zorb", "Quux")),
            Some((-1, 1))
        );
        assert_eq!(
            signs(run("We ditched Zorb for Quux", "Zorb", "Quux")),
            Some((-1, 1))
        );
        assert_eq!(
            signs(run("I'm moving to Quux from Zorb", "Zorb", "Quux")),
            Some((-1, 1))
        );
    }

    #[test]
    fn contrast_reads_each_brand_in_its_own_clause() {
        assert_eq!(
            signs(run("Zorb is fine but Quux is a nightmare", "Zorb", "Quux")),
            Some((1, -1))
        );
        assert_eq!(
            signs(run(
                "Unlike Zorb, Quux actually answers support tickets quickly and kindly",
                "Zorb",
                "Quux"
            )),
            Some((-1, 1))
        );
    }

    #[test]
    fn leaving_ahead_of_and_instead_of_pick_a_side() {
        assert_eq!(
            signs(run("We migrated the team off Zorb to Quux", "Zorb", "Quux")),
            Some((-1, 1))
        );
        assert_eq!(
            signs(run("Dropped Zorb, kept Quux", "Zorb", "Quux")).map(|s| s.0),
            Some(-1)
        );
        assert_eq!(
            signs(run("Zorb is miles ahead of Quux here", "Zorb", "Quux")),
            Some((1, -1))
        );
        assert_eq!(
            signs(run("Zorb lags behind Quux on coverage", "Zorb", "Quux")),
            Some((-1, 1))
        );
        assert_eq!(
            signs(run(
                "Should have used Zorb instead of Quux tonight",
                "Zorb",
                "Quux"
            )),
            Some((1, -1))
        );
    }

    #[test]
    fn a_comparison_asked_about_decides_nothing() {
        assert_eq!(
            run("Is Zorb cheaper than Quux in Leeds?", "Zorb", "Quux"),
            None
        );
        assert_eq!(run("Does Zorb beat Quux on signal?", "Zorb", "Quux"), None);
    }

    #[test]
    fn plain_sentences_and_questions_are_left_to_the_sentence_score() {
        assert_eq!(
            run("Zorb and Quux both raised prices", "Zorb", "Quux"),
            None
        );
        assert_eq!(
            run("Which do you trust, Zorb or Quux?", "Zorb", "Quux"),
            None
        );
        // One brand alone decides nothing here.
        let s = "Zorb is better than ever";
        assert!(attribute(s, &[(0, 0..4)], 0.5).is_none());
    }
}
