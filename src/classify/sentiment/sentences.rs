//! Sentence boundaries for scoring the text around a brand mention. A
//! sentence ends at a line break, or at a run of `.`, `!` or `?` followed by
//! white space (closing quotes and brackets included), unless the dot closes
//! an abbreviation ("e.g.", "Dr.", "J.") or an ellipsis or dotted word runs on
//! into a lowercase word ("it was... fine", "9 a.m. sharp"). Emoticons and
//! emoji right after a sentence end ("Love it! :)") belong to that sentence.
//! Scoring is not done here.

use super::lexicon::LEXICON;
use std::ops::Range;

/// Never end a sentence, whatever follows them. Other dotted words ("a.m.",
/// "U.S.") end one unless a lowercase word follows.
const ABBREVIATIONS: &[&str] = &[
    "approx", "cf", "dr", "e.g", "eg", "etc", "fig", "i.e", "ie", "jr", "mr", "mrs", "ms", "mt",
    "prof", "sr", "st", "vol", "vs",
];

/// Iterator over the trimmed, non-empty byte ranges of the sentences of a text.
pub(super) struct Sentences<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Sentences<'a> {
    pub fn new(text: &'a str) -> Self {
        Sentences { text, pos: 0 }
    }
}

impl Iterator for Sentences<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        let text = self.text;
        let rest = &text[self.pos..];
        let start = self.pos + (rest.len() - rest.trim_start().len());
        if start >= text.len() {
            self.pos = text.len();
            return None;
        }
        let bytes = text.as_bytes();
        let mut i = start;
        let end = loop {
            let Some(found) = bytes[i..]
                .iter()
                .position(|b| matches!(b, b'\n' | b'.' | b'!' | b'?'))
            else {
                break text.len();
            };
            i += found;
            if bytes[i] == b'\n' {
                break i;
            }
            let run_end = i + bytes[i..]
                .iter()
                .position(|b| !matches!(b, b'.' | b'!' | b'?'))
                .unwrap_or(bytes.len() - i);
            let after = text[run_end..].trim_start_matches(is_closing);
            let close_end = text.len() - after.len();
            let followed = after.is_empty() || after.starts_with(char::is_whitespace);
            if followed && ends_here(&text[start..i], &text[i..run_end], after) {
                break with_trailing_emoticons(text, close_end);
            }
            i = close_end;
        };
        self.pos = end;
        let sentence = text[start..end].trim_end();
        Some(start..start + sentence.len())
    }
}

/// Whether the terminator `run` ends the sentence `before` it, given the
/// text `after` it.
fn ends_here(before: &str, run: &str, after: &str) -> bool {
    let next = after.trim_start_matches([' ', '\t']);
    if next.is_empty() || next.starts_with(['\n', '\r']) || run.contains(['!', '?']) {
        return true;
    }
    // Social posts are often all lowercase, so only an ellipsis or a dotted
    // abbreviation ("a.m.") lets a lowercase word continue the sentence.
    let continues = next.chars().next().is_some_and(char::is_lowercase);
    let word = before
        .rsplit(char::is_whitespace)
        .next()
        .unwrap_or("")
        .trim_start_matches(|c: char| c.is_ascii_punctuation() && c != '.');
    if run.len() == 1 && ABBREVIATIONS.iter().any(|a| a.eq_ignore_ascii_case(word)) {
        return false;
    }
    if run.len() > 1 || word.contains('.') {
        return !continues;
    }
    let mut chars = word.chars();
    let initial = matches!((chars.next(), chars.next()), (Some(c), None) if c.is_uppercase());
    !initial
}

fn is_closing(c: char) -> bool {
    matches!(
        c,
        ')' | ']' | '"' | '\'' | '\u{201D}' | '\u{2019}' | '\u{BB}'
    )
}

/// Extends a sentence ending at `end` over emoticons and emoji that follow it
/// on the same line.
fn with_trailing_emoticons(text: &str, mut end: usize) -> usize {
    loop {
        let rest = &text[end..];
        let word_start = rest.trim_start_matches([' ', '\t']);
        let word_len = word_start
            .find(char::is_whitespace)
            .unwrap_or(word_start.len());
        let word = &word_start[..word_len];
        if word.is_empty() || !is_emoticon(word) {
            return end;
        }
        end = text.len() - word_start.len() + word_len;
    }
}

fn is_emoticon(word: &str) -> bool {
    // Emoji, hearts and other symbols: no letters, not plain punctuation.
    if !word.chars().any(char::is_alphanumeric) && !word.is_ascii() {
        return true;
    }
    let mut buf = [0u8; 8];
    if word.len() > buf.len() || !word.is_ascii() || !word.bytes().any(|b| b.is_ascii_punctuation())
    {
        return false;
    }
    for (slot, b) in buf.iter_mut().zip(word.bytes()) {
        *slot = b.to_ascii_lowercase();
    }
    let lower = std::str::from_utf8(&buf[..word.len()]).unwrap_or("");
    LEXICON.entry(LEXICON.id(lower)).valence.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> Vec<&str> {
        Sentences::new(text).map(|r| &text[r]).collect()
    }

    #[test]
    fn lowercase_posts_still_split_at_each_full_stop() {
        assert_eq!(
            split("battery died. support was useless! never again"),
            ["battery died.", "support was useless!", "never again"]
        );
    }

    #[test]
    fn abbreviations_initials_numbers_and_urls_stay_inside() {
        assert_eq!(
            split("Ask Dr. Smith, e.g. Monday at 9 a.m. about v2.5 on acme.com. J. R. Doe agreed."),
            [
                "Ask Dr. Smith, e.g. Monday at 9 a.m. about v2.5 on acme.com.",
                "J. R. Doe agreed."
            ]
        );
        assert_eq!(
            split("It was... fine. Then... Nothing."),
            ["It was... fine.", "Then...", "Nothing."]
        );
    }

    #[test]
    fn closing_quotes_and_trailing_emoticons_stay_with_their_sentence() {
        assert_eq!(
            split("He said \"no way!\" Then left. Love it! :) 😍 Support :( was slow"),
            [
                "He said \"no way!\"",
                "Then left.",
                "Love it! :) 😍",
                "Support :( was slow"
            ]
        );
        assert_eq!(split("Great?! ❤️ XD ok"), ["Great?! ❤️", "XD ok"]);
    }

    #[test]
    fn ranges_are_trimmed_and_skip_blank_lines() {
        let text = "  one\r\n\r\n two.  ";
        let ranges: Vec<_> = Sentences::new(text).collect();
        assert_eq!(ranges, [2..5, 10..14]);
    }
}
