//! One text as its readers see it, split once: its sentence spans, its
//! words (with their byte offsets, normalized forms and sentence) and, for
//! an item, its sentiment tokens.
//!
//! [`super::Classifier`] builds one per item, over what is read of it (the
//! title, ".\n", then the text), and one per mention over the sentences that
//! mention's brand is read in. Item sentiment and emotion, the placing of
//! each mention in its sentences, the scoring of those sentences, and each
//! mention's intent and emotion all read these instead of splitting or
//! scanning the same text again. Buffers are kept per thread and reused by
//! the next document. The splitting rules stay with their owners: sentences
//! and sentiment tokens in [`super::sentiment`], words in [`super::cues`].
//! The query tokenizer, with its own word breaks, does not read it.

use std::cell::RefCell;
use std::ops::Range;

use super::cues::{self, Word};
use super::sentiment;

/// A text with its sentences and words.
pub(crate) struct Document<'a> {
    text: &'a str,
    /// Where the item's text starts in `text`, after the title and its
    /// ".\n" (0 without a title).
    text_at: usize,
    buffers: Buffers,
    /// Whether `buffers.reading` holds this text ([`Document::item`]).
    scanned: bool,
}

/// What a document fills; kept between documents (see [`SPARE`]).
#[derive(Default)]
struct Buffers {
    sentences: Vec<Range<usize>>,
    words: Vec<Word>,
    /// The normalized forms of the words not written that way.
    lower: String,
    /// Sentiment tokens, for an item's document only.
    reading: sentiment::Reading,
}

thread_local! {
    /// Buffers of dropped documents, for the next ones: an item's document
    /// is alive while each of its mentions builds its own, so a few.
    static SPARE: RefCell<Vec<Buffers>> = const { RefCell::new(Vec::new()) };
}

/// Documents' buffers a thread keeps; one per nesting level is enough.
const SPARE_SETS: usize = 4;
/// Words a kept buffer has room for; one huge text must not pin its buffers
/// for the life of the thread.
const KEPT_WORDS: usize = 1 << 14;

impl<'a> Document<'a> {
    /// Splits `text`, which is all body.
    pub fn new(text: &'a str) -> Document<'a> {
        Document::titled(text, 0)
    }

    /// An item's document: splits `read`, whose body starts at byte
    /// `text_at`, and scans it for sentiment too, so that its sentences
    /// can be scored without being scanned again. Everything before the
    /// body must end in a line break (the title's ".\n"), so that no
    /// sentence reaches across and the body splits as it would alone.
    pub fn item(read: &'a str, text_at: usize) -> Document<'a> {
        let mut doc = Document::titled(read, text_at);
        doc.buffers.reading.scan(read);
        doc.scanned = true;
        doc
    }

    fn titled(read: &'a str, text_at: usize) -> Document<'a> {
        debug_assert!(text_at == 0 || read[..text_at].ends_with('\n'));
        let mut buffers = SPARE
            .with(|spare| spare.borrow_mut().pop())
            .unwrap_or_default();
        sentiment::sentences_into(read, &mut buffers.sentences);
        cues::words(
            read,
            &buffers.sentences,
            &mut buffers.words,
            &mut buffers.lower,
        );
        Document {
            text: read,
            text_at,
            buffers,
            scanned: false,
        }
    }

    /// The whole text read, title included.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Trimmed, non-empty byte ranges of the sentences, in order.
    pub fn sentences(&self) -> &[Range<usize>] {
        &self.buffers.sentences
    }

    /// The words, in order, each with the index of its sentence.
    pub fn words(&self) -> &[Word] {
        &self.buffers.words
    }

    /// Word `i` in the form cues are matched on ([`cues::normalize`]).
    pub fn norm(&self, i: usize) -> &str {
        let w = &self.buffers.words[i];
        match &w.lower {
            Some(r) => &self.buffers.lower[r.clone()],
            None => &self.text[w.span.clone()],
        }
    }

    /// [`sentiment::score`] of the whole text; an item's document only.
    pub fn sentiment(&self) -> crate::model::Sentiment {
        assert!(self.scanned, "sentiment of a document not scanned for it");
        self.buffers.reading.score()
    }

    /// [`sentiment::score`] of `range` of the body (a sentence or a run of
    /// them, as [`Document::body_sentences`] places them); an item's
    /// document only.
    pub fn body_sentiment(&self, range: Range<usize>) -> crate::model::Sentiment {
        assert!(self.scanned, "sentiment of a document not scanned for it");
        let at = self.text_at;
        self.buffers
            .reading
            .score_part(self.text, range.start + at..range.end + at)
    }

    /// The sentences of the body alone, with offsets into the body: what
    /// [`sentiment::Sentences::new`] would give for it.
    pub fn body_sentences(&self) -> sentiment::Sentences {
        let at = self.text_at;
        let sentences = self.sentences();
        let first = sentences.partition_point(|s| s.start < at);
        sentiment::Sentences::from_ranges(
            sentences[first..]
                .iter()
                .map(|s| s.start - at..s.end - at)
                .collect(),
            self.text.len() - at,
        )
    }
}

impl Drop for Document<'_> {
    fn drop(&mut self) {
        let mut buffers = std::mem::take(&mut self.buffers);
        if buffers.words.capacity() > KEPT_WORDS || buffers.reading.capacity() > KEPT_WORDS {
            return;
        }
        buffers.sentences.clear();
        buffers.words.clear();
        buffers.lower.clear();
        // `try_with`: a document dropped while the thread exits finds no pool.
        let _ = SPARE.try_with(|spare| {
            let mut spare = spare.borrow_mut();
            if spare.len() < SPARE_SETS {
                spare.push(buffers);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_splits_after_a_title_as_it_does_alone() {
        let titles = [
            "Hi",
            "Dr",
            "Love it! :)",
            "e.g",
            "He said \"no\"",
            "wow...",
            " ",
            "two\nlines",
            "😍",
        ];
        let bodies = [
            "",
            "  one\r\n\r\n two.  three! :) four",
            "it was... fine. Then... Nothing.",
            "Smith agreed. J. R. Doe agreed.",
            "lowercase start. and more",
            ":) first",
            "\n\nlate start",
        ];
        for title in titles {
            for body in bodies {
                let read = format!("{title}.\n{body}");
                let doc = Document::item(&read, title.len() + 2);
                let alone = sentiment::sentences(body);
                assert_eq!(doc.body_sentences().ranges(), alone, "{title:?} {body:?}");
            }
        }
    }

    #[test]
    fn words_carry_their_sentence() {
        let doc = Document::new("I love it. Don't go, Ça va");
        let words: Vec<(&str, usize)> = (0..doc.words().len())
            .map(|i| (doc.norm(i), doc.words()[i].sentence))
            .collect();
        assert_eq!(
            words,
            [
                ("i", 0),
                ("love", 0),
                ("it", 0),
                ("dont", 1),
                ("go", 1),
                ("ça", 1),
                ("va", 1)
            ]
        );
    }

    #[test]
    fn normalized_forms_are_the_cue_matchers_written_once_in_a_buffer() {
        let text = "acme Acme DON'T don’t İstanbul ǅemal Ünïcode café NAÏVE x2 O'Brien";
        let doc = Document::new(text);
        for (i, w) in doc.words().iter().enumerate() {
            let word = &text[w.span.clone()];
            assert_eq!(doc.norm(i), cues::normalize(word), "{word:?}");
            // Only what differs from the text is written out.
            assert_eq!(w.lower.is_some(), doc.norm(i) != word, "{word:?}");
        }
        // Buffers come back cleared for the next document.
        drop(doc);
        let next = Document::new("Fine");
        assert_eq!(next.norm(0), "fine");
        assert_eq!(next.words().len(), 1);
        assert_eq!(next.sentences().to_vec(), vec![0..4]);
    }
}
