//! Emotion of a text: Ekman's six (anger, disgust, fear, joy, surprise,
//! sadness), each with the cue words, phrases or emoji that show it, so a
//! reader can check the call.
//!
//! Detection is a fixed table of English cues ([`cues`]) read with the cue
//! matcher intent detection uses ([`crate::classify::cues`]): a cue with a
//! negating word among the three before it in its clause ("not worried",
//! "never happy") is dropped, and an intensifier just before one ("so
//! angry", "absolutely fuming") is kept in the cue and makes its emotion
//! stronger. Hits come strongest first. Disappointment counts as sadness,
//! frustration as anger.
//!
//! The cues were written by the earshot developers under the repository's
//! licence. Published lexicons were deliberately not used: NRC EmoLex, the
//! best known, may not be used commercially without a licence from its
//! owner. Like intent, this is meant for the excerpt around a mention; it
//! does not know which brand an emotion is about.

mod cues;
#[cfg(test)]
mod tests;

use std::ops::Range;

use crate::classify::cues::{self as matcher, negator};
use crate::classify::document::Document;

/// One of Ekman's six basic emotions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Emotion {
    Anger,
    Disgust,
    Fear,
    Joy,
    Surprise,
    Sadness,
}

impl Emotion {
    /// Every emotion, in the order reports list them.
    pub const ALL: [Emotion; 6] = [
        Emotion::Anger,
        Emotion::Disgust,
        Emotion::Fear,
        Emotion::Joy,
        Emotion::Surprise,
        Emotion::Sadness,
    ];

    /// The name used in records.
    pub fn as_str(self) -> &'static str {
        match self {
            Emotion::Anger => "anger",
            Emotion::Disgust => "disgust",
            Emotion::Fear => "fear",
            Emotion::Joy => "joy",
            Emotion::Surprise => "surprise",
            Emotion::Sadness => "sadness",
        }
    }
}

/// One emotion found in a text.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EmotionHit {
    pub emotion: Emotion,
    /// The cues found, as written in the text (words with the intensifier
    /// before them, or an emoji).
    pub cues: Vec<String>,
}

/// Words that make the cue right after them stronger.
const INTENSIFIERS: &[&str] = &[
    "so",
    "very",
    "really",
    "absolutely",
    "totally",
    "extremely",
    "super",
    "incredibly",
    "genuinely",
    "utterly",
    "completely",
    "truly",
    "properly",
    "bloody",
    "beyond",
    "deeply",
    "seriously",
    "massively",
    "hugely",
];

/// Cue places kept per emotion: enough to show a reader why, and a bound on
/// what a text full of cues costs.
const MAX_CUES: usize = 20;

/// Emotions of a text (typically the excerpt around a mention), strongest
/// first.
pub fn detect(text: &str) -> Vec<EmotionHit> {
    detect_in(&Document::new(text))
}

/// [`detect`] on a text split already.
pub(crate) fn detect_in(doc: &Document<'_>) -> Vec<EmotionHit> {
    let text = doc.text();
    let words = doc.words();
    let table = &*cues::TABLE;
    let mut evidence = Evidence::default();
    for found in table.find(doc) {
        let at = found.words.start;
        if negator(doc, at).is_some() {
            continue;
        }
        let from = intensifier(doc, at).unwrap_or(at);
        let weight = if from < at { 2.0 } else { 1.0 };
        let span = words[from].span.start..words[found.words.end - 1].span.end;
        evidence.add(table.cues[found.cue].kind, weight, span);
    }
    for (at, c) in text.char_indices() {
        // Emoji sit outside the words; most text has none, so this loop is
        // a byte scan that rarely stops.
        if c.is_ascii() || c.is_alphanumeric() {
            continue;
        }
        if let Some(&(emotion, _)) = cues::EMOJI.iter().find(|(_, set)| set.contains(&c)) {
            evidence.add(emotion, 1.0, at..at + c.len_utf8());
        }
    }
    evidence.into_hits(text)
}

/// The intensifier right before word `at`, in the same sentence with nothing
/// but spaces between.
fn intensifier(doc: &Document<'_>, at: usize) -> Option<usize> {
    let (text, words) = (doc.text(), doc.words());
    let before = at.checked_sub(1)?;
    let w = &words[before];
    let between = &text[w.span.end..words[at].span.start];
    (w.sentence == words[at].sentence
        && between.trim().is_empty()
        && INTENSIFIERS.contains(&doc.norm(before)))
    .then_some(before)
}

/// Emotions with their weight and the byte ranges of their cues, in order
/// of first evidence.
#[derive(Default)]
struct Evidence {
    hits: Vec<(Emotion, f64, Vec<Range<usize>>)>,
}

impl Evidence {
    fn add(&mut self, emotion: Emotion, weight: f64, span: Range<usize>) {
        let at = match self.hits.iter().position(|h| h.0 == emotion) {
            Some(at) => at,
            None => {
                self.hits.push((emotion, 0.0, Vec::new()));
                self.hits.len() - 1
            }
        };
        let (_, total, spans) = &mut self.hits[at];
        *total += weight;
        if spans.len() < MAX_CUES {
            spans.push(span);
        }
    }

    /// Strongest first, ties in order of first evidence; a cue written
    /// twice is listed once.
    fn into_hits(self, text: &str) -> Vec<EmotionHit> {
        let mut hits = self.hits;
        hits.sort_by(|a, b| b.1.total_cmp(&a.1));
        hits.into_iter()
            .map(|(emotion, _, spans)| EmotionHit {
                emotion,
                cues: matcher::cue_texts(text, spans),
            })
            .collect()
    }
}
