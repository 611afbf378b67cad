//! One text as the cue readers see it, split once: its sentence spans and
//! its words (with their byte offsets, lowercased forms and sentence).
//!
//! [`super::Classifier`] builds one per item, over what is read of it (the
//! title, ".\n", then the text), and one per mention over the sentences that
//! mention's brand is read in; item emotion, the placing of each mention in
//! its sentences, and each mention's intent and emotion all read these
//! instead of splitting the same text again. The splitting rules stay with
//! their owners: sentences in [`super::sentiment`], words in [`super::cues`].
//! Sentiment's own tokens and the query tokenizer do not read it (yet).

use std::ops::Range;

use super::cues::{self, Word};
use super::sentiment;

/// A text with its sentences and words.
pub(crate) struct Document<'a> {
    text: &'a str,
    /// Where the item's text starts in `text`, after the title and its
    /// ".\n" (0 without a title).
    text_at: usize,
    sentences: Vec<Range<usize>>,
    words: Vec<Word<'a>>,
}

impl<'a> Document<'a> {
    /// Splits `text`, which is all body.
    pub fn new(text: &'a str) -> Document<'a> {
        Document::titled(text, 0)
    }

    /// Splits `read`, whose body starts at byte `text_at`. Everything before
    /// it must end in a line break (the title's ".\n"), so that no sentence
    /// reaches across and the body splits as it would alone.
    pub fn titled(read: &'a str, text_at: usize) -> Document<'a> {
        debug_assert!(text_at == 0 || read[..text_at].ends_with('\n'));
        let sentences = sentiment::sentences(read);
        let words = cues::words(read, &sentences);
        Document {
            text: read,
            text_at,
            sentences,
            words,
        }
    }

    /// The whole text read, title included.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// Trimmed, non-empty byte ranges of the sentences, in order.
    pub fn sentences(&self) -> &[Range<usize>] {
        &self.sentences
    }

    /// The words, in order, each with the index of its sentence.
    pub fn words(&self) -> &[Word<'a>] {
        &self.words
    }

    /// The sentences of the body alone, with offsets into the body: what
    /// [`sentiment::Sentences::new`] would give for it.
    pub fn body_sentences(&self) -> sentiment::Sentences {
        let at = self.text_at;
        let first = self.sentences.partition_point(|s| s.start < at);
        sentiment::Sentences::from_ranges(
            self.sentences[first..]
                .iter()
                .map(|s| s.start - at..s.end - at)
                .collect(),
            self.text.len() - at,
        )
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
                let doc = Document::titled(&read, title.len() + 2);
                let alone = sentiment::sentences(body);
                assert_eq!(doc.body_sentences().ranges(), alone, "{title:?} {body:?}");
            }
        }
    }

    #[test]
    fn words_carry_their_sentence() {
        let doc = Document::new("I love it. Don't go");
        let words: Vec<(&str, usize)> =
            doc.words().iter().map(|w| (&*w.norm, w.sentence)).collect();
        assert_eq!(
            words,
            [("i", 0), ("love", 0), ("it", 0), ("dont", 1), ("go", 1)]
        );
    }
}
