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

/// Compound score in [-1, 1] of a scanned text.
pub(super) fn compound(lex: &Lexicon, tokens: &Tokens) -> f64 {
    let list = tokens.list.as_slice();
    let caps = tokens.uppercase > 0 && tokens.uppercase < list.len();
    let mut sum = 0.0;
    // The previous sentence's sum is held back: "Great. But ..." discounts it.
    let mut previous = 0.0;
    let mut start = 0;
    while start < list.len() {
        let end = list[start..]
            .iter()
            .position(|t| t.sentence_end)
            .map_or(list.len(), |p| start + p + 1);
        if lex.entry(list[start].id).word == Word::But {
            previous *= BEFORE_BUT;
        }
        sum += previous;
        previous = sentence(lex, &list[start..end], caps);
        start = end;
    }
    sum += previous;
    if sum != 0.0 {
        sum += sum.signum() * punctuation(tokens.exclamations, tokens.questions);
    }
    (sum / (sum * sum + ALPHA).sqrt()).clamp(-1.0, 1.0)
}

fn sentence(lex: &Lexicon, words: &[Token], caps: bool) -> f64 {
    let but = words.iter().position(|t| lex.entry(t.id).word == Word::But);
    let mut sum = 0.0;
    for i in 0..words.len() {
        let weight = match but {
            Some(b) if i < b => BEFORE_BUT,
            Some(b) if i > b => AFTER_BUT,
            _ => 1.0,
        };
        sum += weight * valence(lex, words, i, caps);
    }
    sum
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
    let no_before = (i >= 1 && word(i - 1) == Word::No)
        || (i >= 2 && word(i - 2) == Word::No)
        || (i >= 3 && word(i - 3) == Word::No && matches!(word(i - 1), Word::Or | Word::Nor));
    if no_before {
        v *= NEGATION;
    }
    if words[i].upper && caps {
        v += CAPS_BOOST * sign(v);
    }
    for distance in 1..=3.min(i) {
        let j = i - distance;
        // A sentiment word in between has its own modifiers; it shields this one.
        if lexical(j) {
            continue;
        }
        v += boost(lex, words[j], v, caps) * BOOSTER_DECAY[distance - 1];
        v = negate(lex, &words[j..i], v);
    }
    if i >= 1 && word(i - 1) == Word::Least && !lexical(i - 1) {
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
    fn caps_emphasis_needs_mixed_case() {
        assert!(compound_of("The app is GOOD") > compound_of("The app is good"));
        assert_eq!(
            compound_of("THE APP IS GOOD"),
            compound_of("the app is good")
        );
    }
}
