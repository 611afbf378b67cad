//! From where a brand's queries matched in an item to the [`Mention`] a
//! record is made of: the sentiment of the sentences around the matches,
//! the excerpt, the intents and emotions read in those sentences.
//!
//! Work here is proportional to the item, not to the item times its
//! mentions: the text is split into sentences once (the item's `Document`),
//! each mention is placed by a binary search, each sentence is scored once
//! whichever brands it mentions, and a brand is read at its first
//! [`MAX_OCCURRENCES`] places only, with [`Capped`] saying so. Which queries matched is decided in
//! [`super::query`]; this module does not look at queries.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::document::Document;
use super::{compare, emotion, intent, sentiment};
use crate::model::{Capped, Mention, Sentiment};

/// Places of one brand read per item. A post that names a brand more often
/// than this is a list, a spam run or a dump, and its first few hundred
/// mentions say how it feels as well as all of them would; reading all of
/// them would let one item of the open web cost as much as millions.
pub const MAX_OCCURRENCES: usize = 200;

/// The longest excerpt kept in a record, in characters.
const EXCERPT_CHARS: usize = 400;

/// What a brand's queries found in one item.
#[derive(Default)]
pub(super) struct Found {
    pub products: Vec<String>,
    terms: Vec<String>,
    seen_terms: HashSet<String>,
    pub spans: Vec<Range<usize>>,
}

impl Found {
    /// Adds matched surface terms, keeping the first [`MAX_OCCURRENCES`]
    /// distinct ones in order.
    pub fn add_terms(&mut self, terms: Vec<String>) {
        for t in terms {
            if self.terms.len() < MAX_OCCURRENCES && self.seen_terms.insert(t.clone()) {
                self.terms.push(t);
            }
        }
    }
}

/// One item's text, with what is worth computing once for all its brands.
pub(super) struct Item<'a> {
    text: &'a str,
    title: Option<&'a str>,
    /// Sentiment of the whole item, for mentions found outside the text.
    whole: Sentiment,
    /// The item as read, split once; its body is `text`.
    doc: &'a Document<'a>,
    /// The body's sentences, taken from `doc` on first use: most items
    /// mention no brand.
    sentences: Option<sentiment::Sentences>,
    /// Compound score of each sentence range scored so far.
    scores: HashMap<Range<usize>, f64>,
    /// Every brand's places in the text, for sentences naming several.
    places: Vec<(usize, Range<usize>)>,
    /// Per sentence naming several brands: each one's score, when a
    /// comparison or contrast decides it (see [`compare`]).
    verdicts: HashMap<Range<usize>, Option<HashMap<usize, f64>>>,
}

impl<'a> Item<'a> {
    pub fn new(
        doc: &'a Document<'a>,
        text: &'a str,
        title: Option<&'a str>,
        whole: Sentiment,
    ) -> Item<'a> {
        Item {
            text,
            title,
            whole,
            doc,
            sentences: None,
            scores: HashMap::new(),
            places: Vec::new(),
            verdicts: HashMap::new(),
        }
    }

    /// Says where every brand of the item is, before any [`Item::mention`]:
    /// a sentence naming two brands is read per brand.
    pub fn set_places(&mut self, places: Vec<(usize, Range<usize>)>) {
        self.places = places;
    }

    /// The mention of `brand` made of what its queries found.
    pub fn mention(&mut self, id: usize, brand: &str, found: Found) -> Mention {
        let Found {
            products,
            terms,
            mut spans,
            ..
        } = found;
        spans.sort_by_key(|s| s.start);
        let capped = cap(&mut spans);
        let (sentiment, sentences) = match self.sentiment(id, spans) {
            Some((s, ranges)) => (s, ranges.into_iter().map(|r| &self.text[r]).collect()),
            // Matched in the title or author only.
            None => (self.whole, vec![self.title.unwrap_or(self.text)]),
        };
        let read = sentences.join("\n");
        let read = Document::new(&read);
        let intents = intent::detect_in(&read, sentiment.score);
        let emotions = emotion::detect_in(&read);
        Mention {
            brand: brand.to_string(),
            products,
            terms,
            sentiment,
            excerpt: excerpt(sentences[0]),
            intents,
            emotions,
            capped,
        }
    }

    /// Sentiment of a brand's mentions (`spans`, sorted): the mean over the
    /// distinct sentences that mention it (a post may praise a product early
    /// and curse it at the end), with those sentences in order of mention.
    fn sentiment(
        &mut self,
        id: usize,
        spans: Vec<Range<usize>>,
    ) -> Option<(Sentiment, Vec<Range<usize>>)> {
        if spans.is_empty() {
            return None;
        }
        let text = self.text;
        let doc = self.doc;
        let sentences = self.sentences.get_or_insert_with(|| doc.body_sentences());
        let mut seen: Vec<Range<usize>> = Vec::new();
        let mut distinct: HashSet<Range<usize>> = HashSet::new();
        for span in spans {
            let range = sentences.around(span.clone()).unwrap_or_else(|| {
                let at = span.start.min(text.len());
                at..at
            });
            if distinct.insert(range.clone()) {
                seen.push(range);
            }
        }
        let mut sum = 0.0;
        for range in &seen {
            let whole = *self
                .scores
                .entry(range.clone())
                .or_insert_with(|| doc.body_sentiment(range.clone()).score);
            sum += self.verdict(id, range, whole).unwrap_or(whole);
        }
        let mean = sum / seen.len() as f64;
        Some((Sentiment::from_score(mean), seen))
    }
}

impl Item<'_> {
    /// This brand's score in a sentence that names others too, when a
    /// comparison or contrast decides it.
    fn verdict(&mut self, id: usize, range: &Range<usize>, whole: f64) -> Option<f64> {
        let places = &self.places;
        let text = self.text;
        let verdict = self.verdicts.entry(range.clone()).or_insert_with(|| {
            let inside: Vec<(usize, Range<usize>)> = places
                .iter()
                .filter(|(_, p)| p.start >= range.start && p.end <= range.end)
                .map(|(b, p)| (*b, p.start - range.start..p.end - range.start))
                .collect();
            let several = inside.iter().any(|(b, _)| *b != inside[0].0);
            several
                .then(|| compare::attribute(&text[range.clone()], &inside, whole))
                .flatten()
        });
        verdict.as_ref().and_then(|v| v.get(&id).copied())
    }
}

/// Keeps the spans of the first [`MAX_OCCURRENCES`] places; says how many
/// places there were when that dropped some. Overlapping spans are one place
/// ("Acme Cloud" matched by the brand's query and by its product's).
fn cap(spans: &mut Vec<Range<usize>>) -> Option<Capped> {
    let mut places = 0;
    let mut reach = 0;
    let mut cut = None;
    for (i, s) in spans.iter().enumerate() {
        if i == 0 || s.start >= reach {
            places += 1;
            if places == MAX_OCCURRENCES + 1 {
                cut = Some(i);
            }
        }
        reach = reach.max(s.end);
    }
    let cut = cut?;
    spans.truncate(cut);
    Some(Capped {
        occurrences: places,
        considered: MAX_OCCURRENCES,
    })
}

fn excerpt(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(EXCERPT_CHARS) {
        Some((i, _)) => format!("{}…", s[..i].trim_end()),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_spans_are_one_place_and_the_cap_keeps_the_first() {
        // Two spans per place, as a brand and its product query give.
        let mut spans: Vec<Range<usize>> = (0..MAX_OCCURRENCES + 5)
            .flat_map(|i| [i * 20..i * 20 + 4, i * 20..i * 20 + 10])
            .collect();
        let capped = cap(&mut spans).expect("over the cap");
        assert_eq!(capped.occurrences, MAX_OCCURRENCES + 5);
        assert_eq!(capped.considered, MAX_OCCURRENCES);
        assert_eq!(spans.len(), 2 * MAX_OCCURRENCES);
        assert_eq!(spans.last().unwrap().start, (MAX_OCCURRENCES - 1) * 20);

        let mut exactly: Vec<Range<usize>> =
            (0..MAX_OCCURRENCES).map(|i| i * 20..i * 20 + 4).collect();
        assert_eq!(cap(&mut exactly), None);
        assert_eq!(exactly.len(), MAX_OCCURRENCES);
    }

    #[test]
    fn a_sentence_mentioned_twice_counts_once_in_the_mean() {
        let text = "Acme is great and acme is fast. Acme is awful.";
        let whole = sentiment::score(text);
        let doc = Document::item(text, 0);
        let mut item = Item::new(&doc, text, None, whole);
        let spans = vec![0..4, 18..22, 32..36];
        let (s, ranges) = item.sentiment(0, spans).unwrap();
        let first = sentiment::score("Acme is great and acme is fast.").score;
        let second = sentiment::score("Acme is awful.").score;
        assert_eq!(ranges, [0..31, 32..46]);
        assert_eq!(s.score, (first + second) / 2.0);
    }
}
