//! The word knowledge behind the sentiment scorer: VADER's valence lexicon and
//! emoji descriptions (embedded, parsed once), the booster, negation and
//! function-word lists, and the multi-word phrases. Every word the rules care
//! about becomes one [`Entry`] reached through a single hash lookup, so the
//! scorer asks one question per token. This module does not tokenize or score.

use super::domain;
use super::tokens::{clean, lowercase_into};
use crate::classify::fx::FxMap;
use std::borrow::Cow;
use std::sync::LazyLock;

const VADER_LEXICON: &str = include_str!("vader_lexicon.txt");
const EMOJI_LEXICON: &str = include_str!("emoji_utf8_lexicon.txt");

/// Added to (or taken from) a valence by a booster or a dampener.
pub(super) const BOOST: f64 = 0.293;
/// Added to the magnitude of an ALL-CAPS word in mixed-case text.
pub(super) const CAPS_BOOST: f64 = 0.733;
/// Multiplier applied to a negated valence.
pub(super) const NEGATION: f64 = -0.74;

/// Id of a word with no role at all (also used to silence the inner words of
/// a matched phrase).
pub(super) const PLAIN: u32 = 0;
/// Id of an otherwise unknown word that contains "n't".
pub(super) const NT_NEGATOR: u32 = 1;

/// Words the rules recognise by identity rather than by valence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Word {
    #[default]
    Other,
    No,
    Never,
    So,
    This,
    Without,
    Doubt,
    Least,
    At,
    Very,
    Or,
    Nor,
    /// "but" and "however": the clause after them outweighs the one before.
    But,
}

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Entry {
    /// Mean human rating in [-4, 4], for sentiment-bearing words.
    pub valence: Option<f64>,
    /// Non-zero for intensifiers (positive) and dampeners (negative).
    pub booster: f64,
    pub negator: bool,
    pub word: Word,
    /// Some phrase begins with this word, so the tokenizer must look ahead.
    pub starts_phrase: bool,
    /// A phrase that, beside a complaint, means the opposite of its words.
    pub sarcasm: bool,
}

/// Words that, in sequence, replace their own meanings with `effect`, an
/// entry carried by the phrase's last word.
pub(super) struct Phrase {
    pub words: Vec<u32>,
    pub effect: u32,
}

pub(super) struct Lexicon {
    ids: FxMap<Cow<'static, str>, u32>,
    entries: Vec<Entry>,
    emoji: FxMap<char, (u32, u32)>,
    emoji_words: Vec<u32>,
    phrases: Vec<Phrase>,
    /// The phrases by their first word, each list in the order of
    /// `phrases`: a token looks at those that can start with it.
    by_first: FxMap<u32, Vec<u32>>,
}

pub(super) static LEXICON: LazyLock<Lexicon> = LazyLock::new(Lexicon::build);

#[rustfmt::skip]
const BOOSTERS: &[&str] = &[
    "absolutely", "amazingly", "awfully", "completely", "considerable", "considerably",
    "decidedly", "deeply", "effing", "enormous", "enormously", "entirely", "especially",
    "exceptional", "exceptionally", "extreme", "extremely", "fabulously", "flippin", "flipping",
    "frackin", "fracking", "frickin", "fricking", "friggin", "frigging", "fuckin", "fucking",
    "fuggin", "fugging", "fully", "greatly", "hella", "highly", "hugely", "incredible",
    "incredibly", "intensely", "major", "majorly", "more", "most", "particularly", "purely",
    "quite", "really", "remarkably", "so", "substantially", "thoroughly", "total", "totally",
    "tremendous", "tremendously", "uber", "unbelievably", "unusually", "utter", "utterly",
    "very",
];

#[rustfmt::skip]
const DAMPENERS: &[&str] = &[
    "almost", "barely", "hardly", "kind-of", "kinda", "kindof", "less", "little", "marginal",
    "marginally", "occasional", "occasionally", "partly", "scarce", "scarcely", "slight",
    "slightly", "somewhat", "sort-of", "sorta", "sortof",
];

#[rustfmt::skip]
const NEGATORS: &[&str] = &[
    "aint", "arent", "cannot", "cant", "couldnt", "darent", "despite", "didnt", "doesnt",
    "dont", "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neednt", "neither",
    "never", "none", "nope", "nor", "not", "nothing", "nowhere", "oughtnt", "rarely", "seldom",
    "shant", "shouldnt", "uh-uh", "uhuh", "wasnt", "werent", "without", "wont", "wouldnt",
];

#[rustfmt::skip]
const WORDS: &[(&str, Word)] = &[
    ("no", Word::No), ("never", Word::Never), ("so", Word::So), ("this", Word::This),
    ("without", Word::Without), ("doubt", Word::Doubt), ("least", Word::Least),
    ("at", Word::At), ("very", Word::Very), ("or", Word::Or), ("nor", Word::Nor),
    ("but", Word::But), ("however", Word::But),
];

#[derive(Clone, Copy)]
enum Effect {
    Valence(f64),
    Booster(f64),
    /// Praise that turns to sarcasm beside a complaint (see `rules`).
    Sarcasm(f64),
}

/// Idioms whose meaning is not the sum of their words. The first group are
/// VADER's special cases; the rest are ours.
const PHRASES: &[(&str, Effect)] = &[
    ("the shit", Effect::Valence(3.0)),
    ("the bomb", Effect::Valence(3.0)),
    ("bad ass", Effect::Valence(1.5)),
    ("bus stop", Effect::Valence(0.0)),
    ("yeah right", Effect::Valence(-2.0)),
    ("kiss of death", Effect::Valence(-1.5)),
    ("to die for", Effect::Valence(3.0)),
    ("beating heart", Effect::Valence(3.5)),
    ("broken heart", Effect::Valence(-2.9)),
    ("kind of", Effect::Booster(-BOOST)),
    ("sort of", Effect::Booster(-BOOST)),
    ("just enough", Effect::Booster(-BOOST)),
    // Amazement, not negation: "I can't believe how good this is".
    ("can't believe", Effect::Valence(0.0)),
    ("cant believe", Effect::Valence(0.0)),
    ("cannot believe", Effect::Valence(0.0)),
    ("cant stand", Effect::Valence(-2.0)),
    ("cannot stand", Effect::Valence(-2.0)),
    ("thumbs up", Effect::Valence(1.8)),
    ("thumbs down", Effect::Valence(-1.8)),
    // Sarcasm markers: praise that, said beside a complaint, is one. Only
    // those seldom meant straight in the same breath as a complaint. Each
    // keeps the valence of its praise word, so that said straight it
    // scores as VADER scores it ("just what I needed" has none there).
    ("oh great", Effect::Sarcasm(3.1)),
    ("oh joy", Effect::Sarcasm(2.8)),
    ("oh wonderful", Effect::Sarcasm(2.7)),
    ("oh perfect", Effect::Sarcasm(2.7)),
    ("oh good", Effect::Sarcasm(1.9)),
    ("just great", Effect::Sarcasm(3.1)),
    ("just perfect", Effect::Sarcasm(2.7)),
    ("just wonderful", Effect::Sarcasm(2.7)),
    ("love how", Effect::Sarcasm(3.2)),
    ("love it when", Effect::Sarcasm(3.2)),
    ("gotta love", Effect::Sarcasm(3.2)),
    ("got to love", Effect::Sarcasm(3.2)),
    ("nice of them", Effect::Sarcasm(1.8)),
    ("nice of you", Effect::Sarcasm(1.8)),
    ("great job", Effect::Sarcasm(3.1)),
    ("good job", Effect::Sarcasm(1.9)),
    ("well done", Effect::Sarcasm(1.1)),
    ("nice going", Effect::Sarcasm(1.8)),
    ("just what i needed", Effect::Sarcasm(2.0)),
    ("exactly what i needed", Effect::Sarcasm(2.0)),
    ("what a surprise", Effect::Sarcasm(1.1)),
    ("so glad i paid", Effect::Sarcasm(2.0)),
    ("thanks for nothing", Effect::Valence(-2.0)),
    ("what a joke", Effect::Valence(-1.8)),
];

/// Common emoji whose descriptions carry no sentiment word ("pouting face")
/// or the wrong one ("fire"), rated by us on VADER's [-4, 4] scale.
#[rustfmt::skip]
const EMOJI_VALENCE: &[(char, f64)] = &[
    ('👍', 1.8), ('👎', -1.8), ('😡', -2.5), ('🤬', -2.8), ('🙄', -1.3), ('🤮', -2.5), ('🤢', -2.0),
    ('💩', -1.5), ('🔥', 1.5), ('💯', 1.8), ('👏', 1.8), ('🙏', 1.0), ('😤', -1.6), ('😒', -1.4),
    ('🤡', -1.2), ('🤩', 2.5), ('😖', -1.8), ('😣', -1.2), ('🤦', -1.5), ('💪', 1.2), ('🙌', 1.8),
    ('😉', 1.0), ('🥺', -0.8),
];

impl Lexicon {
    pub fn entry(&self, id: u32) -> &Entry {
        &self.entries[id as usize]
    }

    /// Id of a lowercased token.
    pub fn id(&self, lower: &str) -> u32 {
        match self.ids.get(lower) {
            Some(&id) => id,
            None if lower.contains("n't") => NT_NEGATOR,
            None => PLAIN,
        }
    }

    /// The phrases that start with word `first`, in the order they were added.
    pub fn phrases_from(&self, first: u32) -> impl Iterator<Item = &Phrase> {
        self.by_first
            .get(&first)
            .into_iter()
            .flatten()
            .map(|&i| &self.phrases[i as usize])
    }

    /// The token ids an emoji stands for, if it is one we know.
    pub fn emoji(&self, c: char) -> Option<&[u32]> {
        let &(start, end) = self.emoji.get(&c)?;
        Some(&self.emoji_words[start as usize..end as usize])
    }

    fn build() -> Lexicon {
        let mut lex = Lexicon {
            ids: FxMap::default(),
            entries: vec![
                Entry::default(),
                Entry {
                    negator: true,
                    ..Entry::default()
                },
            ],
            emoji: FxMap::default(),
            emoji_words: Vec::new(),
            phrases: Vec::new(),
            by_first: FxMap::default(),
        };
        let mut phrases: Vec<(String, Effect)> = Vec::new();
        for line in VADER_LEXICON.lines() {
            let mut fields = line.split('\t');
            let (Some(word), Some(Ok(valence))) = (fields.next(), fields.next().map(str::parse))
            else {
                continue;
            };
            if word.contains(' ') {
                phrases.push((word.to_lowercase(), Effect::Valence(valence)));
            } else if word == word.to_lowercase() {
                lex.slot(Cow::Borrowed(word)).valence = Some(valence);
            } else {
                // A lowercase twin, when the file has one, wins: tokens are looked up lowercased.
                let slot = lex.slot(Cow::Owned(word.to_lowercase()));
                slot.valence.get_or_insert(valence);
            }
        }
        for &w in BOOSTERS {
            lex.slot(Cow::Borrowed(w)).booster = BOOST;
        }
        for &w in DAMPENERS {
            lex.slot(Cow::Borrowed(w)).booster = -BOOST;
        }
        for &w in NEGATORS {
            lex.slot(Cow::Borrowed(w)).negator = true;
        }
        for &(w, word) in WORDS {
            lex.slot(Cow::Borrowed(w)).word = word;
        }
        for (text, effect) in PHRASES {
            phrases.push((text.to_string(), *effect));
        }
        for &(w, valence) in domain::WORDS {
            lex.slot(Cow::Borrowed(w)).valence = Some(valence);
        }
        for (text, valence) in domain::phrases() {
            phrases.push((text, Effect::Valence(valence)));
        }
        for (text, effect) in phrases {
            lex.add_phrase(&text, effect);
        }
        for (i, p) in lex.phrases.iter().enumerate() {
            lex.by_first.entry(p.words[0]).or_default().push(i as u32);
        }
        // Apostrophe forms ("don't") are caught by their "n't", lexicon words included.
        for (key, &id) in &lex.ids {
            if key.contains("n't") {
                lex.entries[id as usize].negator = true;
            }
        }
        lex.add_emoji();
        lex
    }

    fn slot(&mut self, word: Cow<'static, str>) -> &mut Entry {
        let next = self.entries.len() as u32;
        let id = *self.ids.entry(word).or_insert(next);
        if id == next {
            self.entries.push(Entry::default());
        }
        &mut self.entries[id as usize]
    }

    fn id_or_insert(&mut self, word: &str) -> u32 {
        if let Some(&id) = self.ids.get(word) {
            return id;
        }
        self.slot(Cow::Owned(word.to_string()));
        self.entries.len() as u32 - 1
    }

    fn add_phrase(&mut self, text: &str, effect: Effect) {
        // A phrase the tokenizer would cut differently ("( '}{' )") could
        // never match. Single letters ("i") are dropped as the tokenizer
        // drops them.
        if text.split(' ').any(|w| clean(w).is_some_and(|c| c != w)) {
            return;
        }
        let words: Vec<u32> = text
            .split(' ')
            .filter(|w| clean(w).is_some())
            .map(|w| self.id_or_insert(w))
            .collect();
        if words.len() < 2 {
            return;
        }
        let Some(&first) = words.first() else { return };
        self.entries[first as usize].starts_phrase = true;
        let entry = match effect {
            Effect::Valence(v) => Entry {
                valence: Some(v),
                ..Entry::default()
            },
            Effect::Booster(b) => Entry {
                booster: b,
                ..Entry::default()
            },
            Effect::Sarcasm(v) => Entry {
                valence: Some(v),
                sarcasm: true,
                ..Entry::default()
            },
        };
        self.entries.push(entry);
        let effect = self.entries.len() as u32 - 1;
        self.phrases.push(Phrase { words, effect });
    }

    fn add_emoji(&mut self) {
        let mut lower = String::new();
        for line in EMOJI_LEXICON.lines() {
            let Some((emoji, description)) = line.split_once('\t') else {
                continue;
            };
            let mut chars = emoji.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                // Sequences (flags, skin tones, ZWJ families) are read char by char instead.
                continue;
            };
            let start = self.emoji_words.len() as u32;
            for raw in description.split_whitespace() {
                if let Some(word) = clean(raw) {
                    lowercase_into(word, &mut lower);
                    let id = self.id(&lower);
                    self.emoji_words.push(id);
                }
            }
            self.emoji.insert(c, (start, self.emoji_words.len() as u32));
        }
        for &(c, valence) in EMOJI_VALENCE {
            self.entries.push(Entry {
                valence: Some(valence),
                ..Entry::default()
            });
            let start = self.emoji_words.len() as u32;
            self.emoji_words.push(self.entries.len() as u32 - 1);
            self.emoji.insert(c, (start, start + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(word: &str) -> Entry {
        *LEXICON.entry(LEXICON.id(word))
    }

    #[test]
    fn the_embedded_lexicon_parses_completely() {
        assert!(
            LEXICON.entries.len() > 7_400,
            "{} entries",
            LEXICON.entries.len()
        );
        assert_eq!(entry("love").valence, Some(3.2));
        assert_eq!(entry(":)").valence, Some(2.0));
        assert_eq!(entry("<3").valence, Some(1.9));
        assert_eq!(entry("xyzzyq").valence, None);
    }

    #[test]
    fn function_words_carry_their_roles() {
        assert_eq!(entry("extremely").booster, BOOST);
        assert_eq!(entry("slightly").booster, -BOOST);
        assert!(entry("not").negator);
        assert!(entry("don't").negator, "lexicon words with n't negate");
        assert!(entry("shouldn't").negator);
        assert!(entry("hasn't").negator);
        assert_eq!(LEXICON.id("wouldn't've"), NT_NEGATOR);
        assert_eq!(entry("no").word, Word::No);
        assert!(entry("kind").starts_phrase);
    }

    #[test]
    fn emoji_map_to_description_words_or_our_own_valence() {
        let smile = LEXICON.emoji('😊').expect("in the emoji lexicon");
        let valences: Vec<_> = smile
            .iter()
            .filter_map(|&id| LEXICON.entry(id).valence)
            .collect();
        assert_eq!(valences, vec![2.0, 2.0], "smiling face with smiling eyes");
        let thumbs = LEXICON.emoji('👍').expect("ours");
        assert_eq!(thumbs.len(), 1);
        assert!(LEXICON.entry(thumbs[0]).valence.unwrap() > 0.0);
        assert!(LEXICON.emoji('a').is_none());
    }
}
