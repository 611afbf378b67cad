//! The VADER-family rules that turn token ids into one compound score:
//! each sentiment word's valence is adjusted by ALL-CAPS, by boosters and
//! negations among the three words before it (never across a sentence end),
//! by "no" and "least"; a "but" in a sentence shifts weight to the clause
//! after it; exclamation and question marks push the sum away from zero; the
//! sum is squashed into [-1, 1]. Tokenizing and word lists live elsewhere.

use super::lexicon::{Lexicon, Word, CAPS_BOOST, NEGATION};
use super::tokens::{Token, Tokens};

/// How far the squashing x / sqrt(x² + ALPHA) lets a sum approach ±1.
const ALPHA: f64 = 15.0;
/// A booster's effect fades with distance: full, then 95%, then 90%.
const BOOSTER_DECAY: [f64; 3] = [1.0, 0.95, 0.9];
/// "never so good" is an emphasis, not a negation.
const NEVER_SO: f64 = 1.25;
const BEFORE_BUT: f64 = 0.5;
const AFTER_BUT: f64 = 1.5;

/// What the positive words of a sarcastic sentence count for, turned
/// negative: "Oh great, another outage" is a complaint, a little milder
/// than it would be said plainly.
const SARCASM: f64 = -0.8;

/// One sentence's share of the compound score.
#[derive(Clone, Copy, Default)]
struct Part {
    positive: f64,
    negative: f64,
    /// Holds a sarcasm marker ("oh great", "love how", "great job").
    marker: bool,
    /// Opens with "but" or "however".
    but: bool,
}

impl Part {
    fn sum(&self) -> f64 {
        self.positive + self.negative
    }
}

/// Compound score in [-1, 1] of a scanned text.
pub(super) fn compound(lex: &Lexicon, tokens: &Tokens) -> f64 {
    let list = tokens.list.as_slice();
    let caps = tokens.uppercase > 0 && tokens.uppercase < list.len();
    // Sentence by sentence, with the one before and the one after in view
    // and nothing allocated.
    let mut start = 0;
    let mut next_part = || {
        if start >= list.len() {
            return None;
        }
        let end = list[start..]
            .iter()
            .position(|t| t.sentence_end)
            .map_or(list.len(), |p| start + p + 1);
        let mut part = sentence(lex, &list[start..end], caps);
        part.but = lex.entry(list[start].id).word == Word::But;
        start = end;
        Some(part)
    };
    let mut sum = 0.0;
    let mut before: Option<Part> = None;
    let mut current = next_part();
    while let Some(p) = current {
        let after = next_part();
        // A marker is sarcasm only beside a complaint: in its own sentence,
        // or the one before or after ("Another bug. Great job, guys.").
        // Without one, "oh great" and "love how" are what they say.
        let complains = |q: &Option<Part>| q.is_some_and(|q| q.sum() < 0.0);
        let sarcastic = p.marker && (p.negative < 0.0 || complains(&before) || complains(&after));
        let mut value = if sarcastic {
            p.negative + SARCASM * p.positive
        } else {
            p.sum()
        };
        // "Great. But ..." discounts the sentence before the "but".
        if after.is_some_and(|q| q.but) {
            value *= BEFORE_BUT;
        }
        sum += value;
        before = Some(p);
        current = after;
    }
    if sum != 0.0 {
        sum += sum.signum() * punctuation(tokens.exclamations, tokens.questions);
    }
    (sum / (sum * sum + ALPHA).sqrt()).clamp(-1.0, 1.0)
}

fn sentence(lex: &Lexicon, words: &[Token], caps: bool) -> Part {
    let but = words.iter().position(|t| lex.entry(t.id).word == Word::But);
    let mut part = Part::default();
    for i in 0..words.len() {
        let weight = match but {
            Some(b) if i < b => BEFORE_BUT,
            Some(b) if i > b => AFTER_BUT,
            _ => 1.0,
        };
        let v = weight * valence(lex, words, i, caps);
        if v > 0.0 {
            part.positive += v;
        } else {
            part.negative += v;
        }
        part.marker |= lex.entry(words[i].id).sarcasm;
    }
    part
}

/// Valence of the word at `i` in its context, 0 for words without sentiment.
fn valence(lex: &Lexicon, words: &[Token], i: usize, caps: bool) -> f64 {
    let entry = lex.entry(words[i].id);
    let Some(mut v) = entry.valence else {
        return 0.0;
    };
    if entry.booster != 0.0 {
        return 0.0;
    }
    let word = |j: usize| lex.entry(words[j].id).word;
    let lexical = |j: usize| lex.entry(words[j].id).valence.is_some();
    // "no" as a determiner ("no problems") lends its sentiment to the next word.
    if entry.word == Word::No && i + 1 < words.len() && lexical(i + 1) {
        v = 0.0;
    }
    // How many words back modifiers reach: three, but not past a clause end.
    let reach = (1..=3.min(i))
        .take_while(|&d| !words[i - d].clause_end)
        .count();
    let no_before = (reach >= 1 && word(i - 1) == Word::No)
        || (reach >= 2 && word(i - 2) == Word::No)
        || (reach >= 3 && word(i - 3) == Word::No && matches!(word(i - 1), Word::Or | Word::Nor));
    if no_before {
        v *= NEGATION;
    }
    if words[i].upper && caps {
        v += CAPS_BOOST * sign(v);
    }
    for distance in 1..=reach {
        let j = i - distance;
        // A sentiment word in between has its own modifiers; it shields this one.
        if lexical(j) {
            continue;
        }
        v += boost(lex, words[j], v, caps) * BOOSTER_DECAY[distance - 1];
        v = negate(lex, &words[j..i], v);
    }
    if reach >= 1 && word(i - 1) == Word::Least && !lexical(i - 1) {
        let at_least = i >= 2 && matches!(word(i - 2), Word::At | Word::Very);
        if !at_least {
            v *= NEGATION;
        }
    }
    v
}

/// What a booster or dampener adds to valence `v`: it pushes away from zero
/// (or towards it), more so when it is shouted.
fn boost(lex: &Lexicon, token: Token, v: f64, caps: bool) -> f64 {
    let b = lex.entry(token.id).booster;
    if b == 0.0 {
        return 0.0;
    }
    let mut b = if v < 0.0 { -b } else { b };
    if token.upper && caps {
        b += CAPS_BOOST * if v > 0.0 { 1.0 } else { -1.0 };
    }
    b
}

/// Applies the negation, if any, that the first of `between` (the words
/// from the candidate negator up to the sentiment word) exerts.
fn negate(lex: &Lexicon, between: &[Token], v: f64) -> f64 {
    let word = |t: &Token| lex.entry(t.id).word;
    let first = word(&between[0]);
    let rest = &between[1..];
    if first == Word::Never
        && rest
            .iter()
            .any(|t| matches!(word(t), Word::So | Word::This))
    {
        v * NEVER_SO
    } else if first == Word::Without && rest.iter().any(|t| word(t) == Word::Doubt) {
        v
    } else if lex.entry(between[0].id).negator {
        v * NEGATION
    } else {
        v
    }
}

fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Emphasis from "!" (up to four) and from two or more "?".
fn punctuation(exclamations: usize, questions: usize) -> f64 {
    let bang = exclamations.min(4) as f64 * 0.292;
    let query = match questions {
        0 | 1 => 0.0,
        2 | 3 => questions as f64 * 0.18,
        _ => 0.96,
    };
    bang + query
}

#[cfg(test)]
mod tests {
    use super::super::lexicon::LEXICON;
    use super::*;

    fn compound_of(text: &str) -> f64 {
        let mut tokens = Tokens::default();
        tokens.scan(&LEXICON, text);
        compound(&LEXICON, &tokens)
    }

    #[test]
    fn exclamations_count_up_to_four_and_questions_from_two() {
        assert!(compound_of("good!") > compound_of("good"));
        assert_eq!(compound_of("good!!!!"), compound_of("good!!!!!!!"));
        assert_eq!(compound_of("good?"), compound_of("good"));
        assert!(compound_of("good??") > compound_of("good?"));
        assert_eq!(
            compound_of("on Tuesday!!!"),
            0.0,
            "punctuation alone carries no sentiment"
        );
    }

    #[test]
    fn negation_and_but_stay_within_their_sentence() {
        // The reference negates "great" from the previous sentence (-0.51).
        assert!(compound_of("It did not arrive. Great news from the courier anyway.") > 0.5);
        // ...and halves every earlier sentence for a "but" in a later one (0.59 here).
        let later_but = compound_of("I love it. The box was dented but fine.");
        assert!(later_but > compound_of("I love it."), "{later_but}");
    }

    #[test]
    fn a_sentence_opening_with_but_discounts_the_one_before() {
        let plain = compound_of("The old one was great. This one is awful.");
        let but = compound_of("The old one was great. But this one is awful.");
        assert!(plain > 0.0 && but < -0.3, "{plain} {but}");
    }

    #[test]
    fn sarcasm_markers_turn_negative_only_beside_a_complaint() {
        for text in [
            "Oh great, another outage.",
            "Love how the app crashes every time I try to pay.",
            "Another update, another bug. Great job, guys.",
            "Just what I needed. The courier lost my parcel.",
        ] {
            assert!(compound_of(text) < -0.05, "{text:?}: {}", compound_of(text));
        }
        for text in [
            "Oh great, it arrived a day early!",
            "Love how light the new case is.",
            "Great job, guys. The new release is fast.",
            "Just what I needed for the trip.",
        ] {
            assert!(compound_of(text) > 0.05, "{text:?}: {}", compound_of(text));
        }
    }

    #[test]
    fn negation_and_boosters_stop_at_a_clause_end() {
        // Without the comma "not" would reach "better", three words on.
        assert!(compound_of("Not perfect, but better than the last version.") > 0.0);
        assert!(compound_of("Not perfect but better than the last version.") < 0.0);
        assert!(compound_of("It is not, good") > 0.0);
        assert!(compound_of("It is not good") < 0.0);
    }

    #[test]
    fn caps_emphasis_needs_mixed_case() {
        assert!(compound_of("The app is GOOD") > compound_of("The app is good"));
        assert_eq!(
            compound_of("THE APP IS GOOD"),
            compound_of("the app is good")
        );
    }
}
