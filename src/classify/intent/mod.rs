//! Intent of a text a product manager can act on: complaint, question,
//! praise, feature request, churn risk and purchase intent, each with the
//! English cue phrases that gave it away, so a reader can check the call.
//!
//! Detection is a fixed table of cue phrases ([`cues`], compiled once) read
//! against the text, with negation ("don't love", "no crashes") and the
//! text's sentiment score deciding what ambiguous cues mean. It is meant for
//! the excerpt around a brand mention, not for long documents, and it does
//! not score sentiment itself or know which brand a cue is about: "switching
//! to Globex" is churn risk for whoever the author leaves, which the caller
//! knows better than this module.

mod cues;
#[cfg(test)]
mod tests;

use std::ops::Range;

use crate::classify::cues::{self as matcher, negator, Found};
use crate::classify::document::Document;
use cues::Kind;

/// Something the author wants, plans or feels that a team can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Complaint,
    Question,
    Praise,
    FeatureRequest,
    ChurnRisk,
    PurchaseIntent,
}

impl Intent {
    /// Every intent, in the order reports list them.
    pub const ALL: [Intent; 6] = [
        Intent::Complaint,
        Intent::Question,
        Intent::Praise,
        Intent::FeatureRequest,
        Intent::ChurnRisk,
        Intent::PurchaseIntent,
    ];

    /// The name used in records and routing rules.
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::Complaint => "complaint",
            Intent::Question => "question",
            Intent::Praise => "praise",
            Intent::FeatureRequest => "feature_request",
            Intent::ChurnRisk => "churn_risk",
            Intent::PurchaseIntent => "purchase_intent",
        }
    }

    /// Breaks ties between equally supported intents: losing a customer
    /// outranks an unhappy one, who outranks a wish, and so on.
    fn rank(self) -> u8 {
        match self {
            Intent::ChurnRisk => 0,
            Intent::Complaint => 1,
            Intent::FeatureRequest => 2,
            Intent::Question => 3,
            Intent::PurchaseIntent => 4,
            Intent::Praise => 5,
        }
    }
}

/// One intent found in a text.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct IntentHit {
    pub intent: Intent,
    /// The cue phrases found, as written in the text.
    pub cues: Vec<String>,
}

/// At or below this compound score a text reads as negative (VADER's
/// threshold).
const NEGATIVE: f64 = -0.05;
/// At or above this it reads as positive.
const POSITIVE: f64 = 0.05;
/// A fault named in a text this happy is being reported as fixed or absent
/// ("the crash is gone, love it"), not complained about.
const CLEARLY_HAPPY: f64 = 0.5;

/// A text at least this negative, with no complaint cue and no praise, may
/// still be a complaint: most complaints name what went wrong in words of
/// their own ("the kettle leaks from the base after a month").
const NEGATIVE_ENOUGH: f64 = -0.25;
/// ...when one of its sentences that asks nothing is at least this negative;
/// that sentence is the cue.
const COMPLAINING: f64 = -0.35;

/// Cue places kept per intent: enough to show a reader why, and a bound on
/// the work a text full of cues can cause (each new cue is compared with
/// those kept).
const MAX_CUES: usize = 50;

/// Intents of a text (typically the excerpt around a mention), strongest
/// evidence first; `sentiment` is that text's compound score, used to tell
/// praise from complaint where cues are ambiguous.
pub fn detect(text: &str, sentiment: f64) -> Vec<IntentHit> {
    detect_in(&Document::new(text), sentiment)
}

/// [`detect`] on a text split already.
pub(crate) fn detect_in(doc: &Document<'_>, sentiment: f64) -> Vec<IntentHit> {
    let text = doc.text();
    let sentences = doc.sentences();
    let words = doc.words();
    let questions: Vec<Option<Range<usize>>> = sentences
        .iter()
        .map(|s| question_mark(doc, s.clone()))
        .collect();
    let table = &*cues::TABLE;
    let mut evidence = Evidence::default();
    let mut asked = vec![false; sentences.len()];
    for Found { cue, words: range } in table.find(doc) {
        let kind = table.cues[cue].kind;
        let negator = match kind {
            Kind::Question | Kind::Shadow => None,
            _ => negator(doc, range.start),
        };
        let sentence = words[range.start].sentence;
        // Praise words in a question ask rather than praise ("which is best?").
        let in_question = questions.get(sentence).is_some_and(Option::is_some);
        let (intent, weight, from) = match (kind, negator) {
            (Kind::Shadow, _) => continue,
            (Kind::Praise, Some(n)) if sentiment < POSITIVE => (Intent::Complaint, 1.0, n),
            (_, Some(_)) => continue,
            (Kind::Churn, None) => (Intent::ChurnRisk, 2.0, range.start),
            (Kind::ChurnWeak, None) if sentiment <= NEGATIVE => {
                (Intent::ChurnRisk, 1.0, range.start)
            }
            (Kind::Feature, None) => (Intent::FeatureRequest, 2.0, range.start),
            (Kind::Question, None) => {
                asked[sentence] = true;
                (Intent::Question, 2.0, range.start)
            }
            (Kind::Problem, None) if sentiment < CLEARLY_HAPPY => {
                (Intent::Complaint, 2.0, range.start)
            }
            (Kind::ProblemWeak, None) if sentiment <= NEGATIVE => {
                (Intent::Complaint, 1.0, range.start)
            }
            (Kind::Grievance, None) => (Intent::Complaint, 2.0, range.start),
            (Kind::Praise, None) if sentiment >= POSITIVE && !in_question => {
                (Intent::Praise, 1.0, range.start)
            }
            (Kind::PraiseSet, None) => (Intent::Praise, 2.0, range.start),
            (Kind::Purchase, None) => (Intent::PurchaseIntent, 2.0, range.start),
            (Kind::PurchaseWeak, None) => (Intent::PurchaseIntent, 1.0, range.start),
            _ => continue,
        };
        evidence.add(
            intent,
            weight,
            words[from].span.start..words[range.end - 1].span.end,
        );
    }
    if sentiment <= NEGATIVE_ENOUGH
        && !evidence.has(Intent::Complaint)
        && !evidence.has(Intent::Praise)
    {
        if let Some(s) = complaining_sentence(text, sentences, &questions) {
            evidence.add(Intent::Complaint, 1.0, s);
        }
    }
    for (question, asked) in questions.into_iter().zip(asked) {
        if let (Some(marks), false) = (question, asked) {
            evidence.add(Intent::Question, 1.0, marks);
        }
    }
    evidence.into_hits(text, sentiment)
}

/// The most negative sentence of `text` that is not a question, if it is
/// negative enough to be a complaint: "How do I cancel?" asks, it does not
/// complain, however negative its words.
fn complaining_sentence(
    text: &str,
    sentences: &[Range<usize>],
    questions: &[Option<Range<usize>>],
) -> Option<Range<usize>> {
    sentences
        .iter()
        .zip(questions)
        .filter(|(_, q)| q.is_none())
        .map(|(s, _)| (crate::classify::sentiment::score(&text[s.clone()]).score, s))
        .filter(|(score, _)| *score <= COMPLAINING)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, s)| s.clone())
}

/// Intents with their accumulated weight and the byte ranges of their cues,
/// in order of first evidence.
#[derive(Default)]
struct Evidence {
    hits: Vec<(Intent, f64, Vec<Range<usize>>)>,
}

impl Evidence {
    fn has(&self, intent: Intent) -> bool {
        self.hits.iter().any(|h| h.0 == intent)
    }

    /// Cues of one intent that overlap are one cue ("app is down" and
    /// "down again" read as "app is down again"). Past [`MAX_CUES`] cue
    /// places an intent still gains weight, but no more cues.
    fn add(&mut self, intent: Intent, weight: f64, span: Range<usize>) {
        let at = match self.hits.iter().position(|h| h.0 == intent) {
            Some(at) => at,
            None => {
                self.hits.push((intent, 0.0, Vec::new()));
                self.hits.len() - 1
            }
        };
        let (_, total, spans) = &mut self.hits[at];
        *total += weight;
        match spans
            .iter_mut()
            .find(|s| s.start < span.end && span.start < s.end)
        {
            Some(s) => *s = s.start.min(span.start)..s.end.max(span.end),
            None => {
                if spans.len() < MAX_CUES {
                    spans.push(span);
                }
            }
        }
    }

    /// Strongest first; how strongly the text feels backs the intent that
    /// matches the feeling, and ties go to the intent costlier to miss.
    fn into_hits(self, text: &str, sentiment: f64) -> Vec<IntentHit> {
        let mut hits = self.hits;
        for (intent, total, _) in &mut hits {
            *total += match intent {
                Intent::Complaint => (-sentiment).max(0.0),
                Intent::Praise => sentiment.max(0.0),
                _ => 0.0,
            };
        }
        hits.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.rank().cmp(&b.0.rank())));
        hits.into_iter()
            .map(|(intent, _, spans)| IntentHit {
                intent,
                cues: matcher::cue_texts(text, spans),
            })
            .collect()
    }
}

/// Words a question usually opens with; the opener is the cue when there is
/// one, the question mark otherwise.
const OPENERS: &[&str] = &[
    "how", "hows", "what", "whats", "why", "whys", "when", "whens", "where", "wheres", "who",
    "whos", "which", "is", "are", "am", "was", "were", "do", "does", "did", "can", "could",
    "should", "would", "will", "wont", "has", "have", "any", "anyone", "anybody", "isnt", "arent",
    "doesnt", "dont", "didnt", "cant",
];

/// A sentence ending in "?" (trailing emoji and emoticons aside) is a
/// question; a "?" inside a link or a word is not. Returns the span of the
/// sentence's opening word when it is an interrogative one, else of the
/// question marks.
fn question_mark(doc: &Document<'_>, sentence: Range<usize>) -> Option<Range<usize>> {
    let (text, words) = (doc.text(), doc.words());
    let s = &text[sentence.clone()];
    let end = s.trim_end_matches(|c: char| !(c.is_alphanumeric() || c == '?'));
    let marks = end.len() - end.trim_end_matches('?').len();
    if marks == 0 {
        return None;
    }
    // Words are sorted and disjoint: the first at or after the sentence's
    // start is its first word, if it ends inside it.
    let first = words.partition_point(|w| w.span.start < sentence.start);
    let first = words
        .get(first)
        .filter(|w| w.span.end <= sentence.end)
        .map(|w| (w, doc.norm(first)));
    Some(match first {
        Some((w, norm)) if OPENERS.contains(&norm) => w.span.clone(),
        _ => sentence.start + end.len() - marks..sentence.start + end.len(),
    })
}
