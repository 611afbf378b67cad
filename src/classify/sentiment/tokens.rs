//! Turns text into the token ids the sentiment rules read, in one pass and
//! into reused buffers: whitespace splitting, VADER's punctuation trimming
//! (which keeps emoticons like `:)` and `:D` whole), emoji expansion,
//! ALL-CAPS detection, sentence ends and multi-word phrases. It owns no word
//! lists (see `lexicon`) and computes no valence (see `rules`).

use super::lexicon::{Lexicon, PLAIN};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Token {
    pub id: u32,
    /// Has cased letters and all of them are capitals.
    pub upper: bool,
    /// Ends with `.`, `!` or `?`, or is followed by a line break.
    pub sentence_end: bool,
    /// Ends with `,`, `;` or `:`: the end of a clause, which negation and
    /// boosters do not cross ("Not perfect, but better").
    pub clause_end: bool,
}

/// A token as the scan found it, before phrases are joined, with where it is:
/// enough to rebuild the tokens of any part of the text that starts and ends
/// at white space without scanning it again (see [`Tokens::part`]).
#[derive(Clone, Debug)]
pub(super) struct Placed {
    pub id: u32,
    pub upper: bool,
    /// Ends with `.`, `!` or `?`.
    pub stop: bool,
    pub clause_end: bool,
    pub span: std::ops::Range<usize>,
    /// The first line break after it, before the next token.
    pub newline: Option<usize>,
}

/// A tokenized text. Kept between calls so that scoring allocates nothing once
/// its buffers have grown to the size of the texts it sees.
#[derive(Default)]
pub(super) struct Tokens {
    pub list: Vec<Token>,
    pub exclamations: usize,
    pub questions: usize,
    pub uppercase: usize,
    lower: String,
    /// Filled only by [`Tokens::scan_placed`].
    pub placed: Vec<Placed>,
    keep_places: bool,
}

impl Tokens {
    /// [`Tokens::scan`], keeping each token's place for [`Tokens::part`].
    pub fn scan_placed(&mut self, lex: &Lexicon, text: &str) {
        self.keep_places = true;
        self.placed.clear();
        self.scan(lex, text);
        self.keep_places = false;
    }

    /// The tokens of `text[range]` as [`Tokens::scan`] would give them,
    /// taken from `whole`, which [`Tokens::scan_placed`] filled for `text`.
    /// `range` must start and end at white space or at an end of the text,
    /// as sentences do.
    pub fn part(
        &mut self,
        lex: &Lexicon,
        whole: &Tokens,
        text: &str,
        range: std::ops::Range<usize>,
    ) {
        self.list.clear();
        let placed = &whole.placed;
        let first = placed.partition_point(|p| p.span.start < range.start);
        let last = first + placed[first..].partition_point(|p| p.span.end <= range.end);
        self.list.extend(placed[first..last].iter().map(|p| Token {
            id: p.id,
            upper: p.upper,
            sentence_end: p.stop || p.newline.is_some_and(|n| n < range.end),
            clause_end: p.clause_end,
        }));
        let part = &text.as_bytes()[range];
        self.exclamations = part.iter().filter(|&&b| b == b'!').count();
        self.questions = part.iter().filter(|&&b| b == b'?').count();
        self.uppercase = placed[first..last].iter().filter(|p| p.upper).count();
        self.join_phrases(lex);
    }

    pub fn scan(&mut self, lex: &Lexicon, text: &str) {
        self.list.clear();
        self.exclamations = 0;
        self.questions = 0;
        self.uppercase = 0;
        let mut start = None;
        for (i, c) in text.char_indices() {
            match c {
                '!' => self.exclamations += 1,
                '?' => self.questions += 1,
                _ => {}
            }
            if c.is_whitespace() {
                if let Some(s) = start.take() {
                    self.push_word(lex, text, s..i);
                }
                if c == '\n' {
                    if let Some(last) = self.list.last_mut() {
                        last.sentence_end = true;
                    }
                    if let Some(last) = self.placed.last_mut().filter(|_| self.keep_places) {
                        last.newline.get_or_insert(i);
                    }
                }
            } else if c.is_ascii() {
                start.get_or_insert(i);
            } else if is_emoji_modifier(c) {
                if let Some(s) = start.take() {
                    self.push_word(lex, text, s..i);
                }
            } else if let Some(ids) = lex.emoji(c) {
                // An emoji is a word of its own even when glued to text ("great😍").
                if let Some(s) = start.take() {
                    self.push_word(lex, text, s..i);
                }
                self.list.extend(ids.iter().map(|&id| Token {
                    id,
                    upper: false,
                    sentence_end: false,
                    clause_end: false,
                }));
                if self.keep_places {
                    self.placed.extend(ids.iter().map(|&id| Placed {
                        id,
                        upper: false,
                        stop: false,
                        clause_end: false,
                        span: i..i + c.len_utf8(),
                        newline: None,
                    }));
                }
            } else {
                start.get_or_insert(i);
            }
        }
        if let Some(s) = start {
            self.push_word(lex, text, s..text.len());
        }
        self.join_phrases(lex);
    }

    /// Releases memory beyond `tokens` entries.
    pub fn shrink_to(&mut self, tokens: usize) {
        if self.list.capacity() > tokens {
            self.list.clear();
            self.list.shrink_to(tokens);
        }
    }

    fn push_word(&mut self, lex: &Lexicon, text: &str, span: std::ops::Range<usize>) {
        let raw = &text[span.clone()];
        let Some(word) = clean(raw) else { return };
        lowercase_into(word, &mut self.lower);
        let upper = is_upper(word);
        self.uppercase += upper as usize;
        let trailing = raw.len()
            - raw
                .trim_end_matches(|c: char| c.is_ascii_punctuation())
                .len();
        let tail = &raw.as_bytes()[raw.len() - trailing..];
        let sentence_end = tail.iter().any(|b| matches!(b, b'.' | b'!' | b'?'));
        let clause_end = tail.iter().any(|b| matches!(b, b',' | b';' | b':'));
        let id = lex.id(&self.lower);
        self.list.push(Token {
            id,
            upper,
            sentence_end,
            clause_end,
        });
        if self.keep_places {
            self.placed.push(Placed {
                id,
                upper,
                stop: sentence_end,
                clause_end,
                span,
                newline: None,
            });
        }
    }

    /// Replaces each known phrase by its meaning, carried by its last word.
    fn join_phrases(&mut self, lex: &Lexicon) {
        for i in 0..self.list.len() {
            if !lex.entry(self.list[i].id).starts_phrase {
                continue;
            }
            let rest = &self.list[i..];
            let found = lex.phrases_from(self.list[i].id).find(|p| {
                p.words.len() <= rest.len()
                    && p.words.iter().zip(rest).all(|(&w, t)| w == t.id)
                    && !rest[..p.words.len() - 1]
                        .iter()
                        .any(|t| t.sentence_end || t.clause_end)
            });
            if let Some(phrase) = found {
                let last = i + phrase.words.len() - 1;
                for t in &mut self.list[i..last] {
                    t.id = PLAIN;
                }
                self.list[last].id = phrase.effect;
            }
        }
    }
}

/// VADER's word cleaning: trim ASCII punctuation from both ends unless that
/// leaves two characters or fewer (so `:)`, `:D` and `<3` stay whole), then
/// drop what is a single character.
pub(super) fn clean(raw: &str) -> Option<&str> {
    let trimmed = raw.trim_matches(|c: char| c.is_ascii_punctuation());
    let word = if trimmed.chars().nth(2).is_some() {
        trimmed
    } else {
        raw
    };
    word.chars().nth(1).is_some().then_some(word)
}

/// Lowercases `word` into `out`, reading a typographic apostrophe as `'` so
/// that "don’t" negates like "don't".
pub(super) fn lowercase_into(word: &str, out: &mut String) {
    out.clear();
    if word.is_ascii() {
        out.extend(word.bytes().map(|b| b.to_ascii_lowercase() as char));
        return;
    }
    for c in word.chars() {
        match c {
            '\u{2019}' => out.push('\''),
            c => out.extend(c.to_lowercase()),
        }
    }
}

fn is_upper(word: &str) -> bool {
    let mut cased = false;
    for c in word.chars() {
        if c.is_lowercase() {
            return false;
        }
        cased |= c.is_uppercase();
    }
    cased
}

/// Variation selectors, skin tones and joiners only decorate an emoji.
fn is_emoji_modifier(c: char) -> bool {
    matches!(
        c,
        '\u{FE0E}' | '\u{FE0F}' | '\u{200D}' | '\u{1F3FB}'..='\u{1F3FF}'
    )
}

#[cfg(test)]
mod tests {
    use super::super::lexicon::LEXICON;
    use super::*;

    fn ids(text: &str) -> Vec<u32> {
        let mut tokens = Tokens::default();
        tokens.scan(&LEXICON, text);
        tokens.list.iter().map(|t| t.id).collect()
    }

    fn id(word: &str) -> u32 {
        LEXICON.id(word)
    }

    #[test]
    fn cleaning_keeps_emoticons_and_drops_stray_letters() {
        assert_eq!(clean("great!!"), Some("great"));
        assert_eq!(clean("(really)"), Some("really"));
        assert_eq!(clean(":)"), Some(":)"));
        assert_eq!(clean(":D"), Some(":D"));
        assert_eq!(clean("<3"), Some("<3"));
        assert_eq!(clean(":-("), Some(":-("));
        assert_eq!(clean("a"), None);
        assert_eq!(clean("!"), None);
        assert_eq!(clean("isn't"), Some("isn't"));
    }

    #[test]
    fn words_emoticons_and_emoji_become_ids() {
        assert_eq!(
            ids("Love it :) <3"),
            vec![id("love"), id("it"), id(":)"), id("<3")]
        );
        let smile = LEXICON.emoji('😊').unwrap().to_vec();
        let mut expected = vec![id("great")];
        expected.extend(&smile);
        expected.extend(&smile);
        assert_eq!(ids("great😊\u{FE0F}😊🏽"), expected);
        assert_eq!(ids("we don’t"), vec![PLAIN, id("don't")]);
    }

    #[test]
    fn caps_counts_and_sentence_ends_are_recorded() {
        let mut tokens = Tokens::default();
        tokens.scan(&LEXICON, "This is GREAT!! Really?\nyes :D");
        let upper: Vec<bool> = tokens.list.iter().map(|t| t.upper).collect();
        assert_eq!(upper, [false, false, true, false, false, true]);
        let ends: Vec<bool> = tokens.list.iter().map(|t| t.sentence_end).collect();
        assert_eq!(ends, [false, false, true, true, false, false]);
        assert_eq!((tokens.exclamations, tokens.questions), (2, 1));
        assert_eq!(tokens.uppercase, 2);
    }

    #[test]
    fn phrases_replace_their_words() {
        let kind_of = ids("kind of good");
        assert_eq!(kind_of[0], PLAIN);
        assert_eq!(
            LEXICON.entry(kind_of[1]).booster,
            -super::super::lexicon::BOOST
        );
        let bomb = ids("this is the bomb");
        assert!(LEXICON.entry(bomb[3]).valence.unwrap() > 0.0);
        assert_eq!(
            ids("the. bomb")[1],
            id("bomb"),
            "no phrase across sentences"
        );
    }
}
