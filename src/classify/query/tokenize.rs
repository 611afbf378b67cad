//! Splitting text into comparable words, for documents and for query terms.
//!
//! Owns the one definition of "a word" that both sides share, so a query
//! term and the text it should match can never disagree about boundaries or
//! normalization. It does not know about operators, fields or matching.
//!
//! A word is a run of letters, digits, combining marks and `_`; apostrophes
//! and other punctuation split words. `#`, `@` and `$` right before a word
//! (and not glued to a previous word) stay on it, so `#acme` is one token.
//! Characters of scripts written without spaces (Han, kana, Hangul, Thai,
//! Lao, Khmer, Myanmar) are one token each, and so is every emoji.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// What stands between a word and the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum Break {
    /// Spaces, or joiners (`-`, `'`, `&`, `/`, ...), or one `.`, `,` or
    /// `:` inside a word (`acme.com`, `3,000`, `10:30`): a phrase goes on.
    #[default]
    None,
    /// A comma, colon, semicolon, bracket or dash between words: a phrase
    /// ends, a sentence goes on.
    Phrase,
    /// A full stop, `!`, `?`, an ellipsis or a line break: the sentence ends.
    Sentence,
}

/// How the text between two words (`gap`) separates them.
pub(crate) fn gap_break(gap: &str) -> Break {
    if gap == " " {
        return Break::None;
    }
    let mut chars = gap.chars();
    if let (Some('.' | ',' | ':'), None) = (chars.next(), chars.next()) {
        return Break::None;
    }
    let mut out = Break::None;
    for c in gap.chars() {
        match c {
            '.' | '!' | '?' | '…' | '\n' | '\r' | '\u{2028}' | '\u{2029}' | '。' | '！' | '？' => {
                return Break::Sentence
            }
            ',' | ';' | ':' | '(' | ')' | '[' | ']' | '{' | '}' | '<' | '>' | '—' | '–' | '|'
            | '•' | '、' | '，' | '；' | '：' | '（' | '）' => out = Break::Phrase,
            _ => {}
        }
    }
    out
}

/// One word of a text, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// Byte offsets of the surface form in the tokenized string.
    pub start: usize,
    pub end: usize,
    /// Normalized form: compatibility-decomposed, marks stripped, lowercase.
    pub norm: String,
    /// `norm` starts with a `#`, `@` or `$` sigil.
    pub sigil: bool,
    /// Query terms only: `norm` holds `*` or `?` wildcards.
    pub wild: bool,
    /// What separates it from the word before (`None` for the first).
    pub brk: Break,
}

impl Token {
    /// The normalized word without its sigil.
    pub fn bare(&self) -> &str {
        if self.sigil {
            &self.norm[1..]
        } else {
            &self.norm
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Word,
    /// A letter of a script written without spaces: a token on its own.
    Cluster,
    Emoji,
    Mark,
    Other,
}

fn class(c: char) -> Class {
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() || c == '_' {
            Class::Word
        } else {
            Class::Other
        };
    }
    if is_combining_mark(c) {
        return Class::Mark;
    }
    if c.is_alphanumeric() {
        return if is_unspaced_script(c) {
            Class::Cluster
        } else {
            Class::Word
        };
    }
    if is_emoji(c) {
        return Class::Emoji;
    }
    Class::Other
}

fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF          // Thai, Lao
        | 0x1000..=0x109F        // Myanmar
        | 0x1100..=0x11FF        // Hangul jamo
        | 0x1780..=0x17FF        // Khmer
        | 0x3040..=0x30FF        // Hiragana, Katakana
        | 0x3130..=0x318F        // Hangul compatibility jamo
        | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF        // Han extension A
        | 0x4E00..=0x9FFF        // Han
        | 0xAC00..=0xD7AF        // Hangul syllables
        | 0xF900..=0xFAFF
        | 0xFF66..=0xFF9F        // half-width katakana
        | 0x20000..=0x3FFFF)
}

fn is_emoji(c: char) -> bool {
    // Skin-tone modifiers only tint the emoji before them: not a word.
    matches!(c as u32,
        0x1F000..=0x1F3FA | 0x1F400..=0x1FAFF | 0x2300..=0x23FF | 0x2600..=0x27BF | 0x2B00..=0x2BFF)
}

/// Word characters that take part in spaced-word boundaries (`raw:` uses
/// this: a raw match must not start or end inside such a word).
pub(crate) fn is_spaced_word_char(c: char) -> bool {
    matches!(class(c), Class::Word | Class::Mark)
}

/// Tokenizes document text. Never fails: anything unknown is a separator.
pub(crate) fn tokenize(s: &str) -> Vec<Token> {
    let mut out = Vec::new();
    each(s, |t| out.push(t.clone()));
    out
}

/// Hands each token of document text to `f` in order, without holding them
/// all: a long text is scanned against the index token by token, and one
/// token's buffer serves them all.
pub(crate) fn each(s: &str, f: impl FnMut(&Token)) {
    // Document text has no wildcards, so this cannot fail.
    run(s, false, f).ok();
}

/// Tokenizes a query term, where `*` and `?` are wildcards inside a word.
/// `Err` holds the byte offset of a wildcard that starts a word.
pub(crate) fn tokenize_query(s: &str) -> Result<Vec<Token>, usize> {
    let mut out = Vec::new();
    run(s, true, |t| out.push(t.clone()))?;
    Ok(out)
}

/// The character at byte `b`, if any. Walking by byte offsets rather than
/// collecting the characters first keeps a long text's cost at its own size.
fn char_at(s: &str, b: usize) -> Option<char> {
    s[b..].chars().next()
}

fn class_at(s: &str, b: usize) -> Class {
    char_at(s, b).map_or(Class::Other, class)
}

fn run(s: &str, query: bool, mut emit: impl FnMut(&Token)) -> Result<(), usize> {
    let mut tok = Token {
        start: 0,
        end: 0,
        norm: String::new(),
        sigil: false,
        wild: false,
        brk: Break::None,
    };
    let mut prev_end = None;
    let mut emit = |start, end, sigil| {
        make(s, start, end, sigil, &mut tok);
        tok.brk = prev_end.map_or(Break::None, |p| gap_break(&s[p..start]));
        prev_end = Some(end);
        emit(&tok);
    };
    let mut b = 0;
    while let Some(c) = char_at(s, b) {
        let next = b + c.len_utf8();
        match class(c) {
            Class::Word => {
                let end = word_end(s, b, query);
                emit(b, end, false);
                b = end;
            }
            Class::Cluster => {
                let end = cluster_end(s, next, query);
                emit(b, end, false);
                b = end;
            }
            Class::Emoji => {
                emit(b, next, false);
                b = next;
            }
            Class::Mark | Class::Other => {
                let glued = s[..b]
                    .chars()
                    .next_back()
                    .is_some_and(|p| matches!(class(p), Class::Word | Class::Cluster));
                let after = class_at(s, next);
                if matches!(c, '#' | '@' | '$') && !glued && after == Class::Word {
                    let end = word_end(s, next, query);
                    emit(b, end, true);
                    b = end;
                    continue;
                }
                if query && (c == '*' || (c == '?' && after == Class::Word)) {
                    return Err(b);
                }
                b = next;
            }
        }
    }
    Ok(())
}

fn is_wildcard(s: &str, b: usize) -> bool {
    let mut chars = s[b..].chars();
    match chars.next() {
        Some('*') => true,
        // A trailing `?` is a question mark, not a wildcard: `"what's up?"`.
        Some('?') => chars
            .next()
            .is_some_and(|n| matches!(n, '?' | '*') || class(n) == Class::Word),
        _ => false,
    }
}

fn word_end(s: &str, mut b: usize, query: bool) -> usize {
    let bytes = s.as_bytes();
    loop {
        // Most words are plain ASCII: their letters, digits and `_` are
        // word characters, stepped over a byte at a time, undecoded.
        while bytes
            .get(b)
            .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'_')
        {
            b += 1;
        }
        match char_at(s, b) {
            Some(c)
                if matches!(class(c), Class::Word | Class::Mark)
                    || (query && is_wildcard(s, b)) =>
            {
                b += c.len_utf8()
            }
            _ => return b,
        }
    }
}

/// The end of a cluster whose first character ends at `b`.
fn cluster_end(s: &str, mut b: usize, query: bool) -> usize {
    while let Some(c) = char_at(s, b) {
        if class(c) == Class::Mark || (query && is_wildcard(s, b)) {
            b += c.len_utf8();
        } else {
            break;
        }
    }
    b
}

/// Fills `tok` with the word at `start..end`, reusing its buffer.
fn make(s: &str, start: usize, end: usize, sigil: bool, tok: &mut Token) {
    let surface = &s[start..end];
    let norm = &mut tok.norm;
    norm.clear();
    let body = if sigil {
        norm.push_str(&surface[..1]);
        &surface[1..]
    } else {
        surface
    };
    normalize_into(body, norm);
    tok.wild = norm.contains(['*', '?']);
    tok.start = start;
    tok.end = end;
    tok.sigil = sigil;
}

/// Case- and accent-folds one word. Unspaced scripts keep their marks
/// (stripping the voicing mark would merge distinct kana), spaced ones lose
/// them so `Café` and `cafe` compare equal.
fn normalize_into(word: &str, out: &mut String) {
    if word.is_ascii() {
        let from = out.len();
        out.push_str(word);
        out[from..].make_ascii_lowercase();
        return;
    }
    if word.chars().next().is_some_and(is_unspaced_script) {
        out.extend(word.nfkc().flat_map(char::to_lowercase));
        return;
    }
    for c in word.nfkd().filter(|&c| !is_combining_mark(c)) {
        for l in c.to_lowercase().filter(|&l| !is_combining_mark(l)) {
            if l == 'ß' {
                out.push_str("ss");
            } else {
                out.push(l);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norms(s: &str) -> Vec<String> {
        tokenize(s).into_iter().map(|t| t.norm).collect()
    }

    #[test]
    fn folds_case_accents_and_compatibility_forms() {
        assert_eq!(
            norms("Café Crème ＡＣＭＥ Straße"),
            ["cafe", "creme", "acme", "strasse"]
        );
        // Decomposed input (e + combining acute) folds the same way.
        assert_eq!(norms("Cafe\u{301}"), ["cafe"]);
    }

    #[test]
    fn splits_on_punctuation_and_apostrophes_and_keeps_offsets() {
        let toks = tokenize("Apple's e-mail: acme.com/blog");
        let words: Vec<_> = toks.iter().map(|t| t.norm.as_str()).collect();
        assert_eq!(words, ["apple", "s", "e", "mail", "acme", "com", "blog"]);
        assert_eq!(
            &"Apple's e-mail: acme.com/blog"[toks[4].start..toks[4].end],
            "acme"
        );
    }

    #[test]
    fn keeps_hashtags_handles_and_cashtags_but_not_emails() {
        let toks = tokenize("#Acme @acme_support $TSLA mail@acme.com C#");
        let words: Vec<_> = toks.iter().map(|t| (t.norm.as_str(), t.sigil)).collect();
        assert_eq!(
            words,
            [
                ("#acme", true),
                ("@acme_support", true),
                ("$tsla", true),
                ("mail", false),
                ("acme", false),
                ("com", false),
                ("c", false)
            ]
        );
        assert_eq!(toks[0].bare(), "acme");
    }

    #[test]
    fn unspaced_scripts_and_emoji_are_one_token_per_character() {
        assert_eq!(norms("我爱索尼手机"), ["我", "爱", "索", "尼", "手", "机"]);
        assert_eq!(norms("love🍎apple❤️"), ["love", "🍎", "apple", "❤"]);
        // Kana keep their voicing marks: ガ and カ stay distinct.
        assert_ne!(norms("ガ"), norms("カ"));
        assert_eq!(norms("ｶﾞ")[0], "カ", "half-width kana fold to full width");
    }

    fn breaks(s: &str) -> Vec<Break> {
        tokenize(s).into_iter().map(|t| t.brk).collect()
    }

    #[test]
    fn each_word_knows_what_separates_it_from_the_one_before() {
        use Break::*;
        assert_eq!(breaks("red hat"), [None, None]);
        assert_eq!(breaks("red. Hat"), [None, Sentence]);
        assert_eq!(breaks("blue, bottle"), [None, Phrase]);
        for sep in [",", ";", ":", " (", ") ", " [", "] ", " — ", " – ", " | "] {
            assert_eq!(breaks(&format!("a{sep} b")), [None, Phrase], "{sep:?}");
        }
        for sep in ["!", "?", "…", "\n", "\r\n", "...", "?!"] {
            assert_eq!(breaks(&format!("a{sep} b")), [None, Sentence], "{sep:?}");
        }
        assert_eq!(breaks("a\nb"), [None, Sentence], "a line break");
        // Joiners and single marks inside a word keep a phrase going.
        for joined in [
            "e-mail", "don't", "don’t", "AT&T", "and/or", "acme.com", "3,000", "10:30",
        ] {
            assert_eq!(breaks(joined), [None, None], "{joined}");
        }
        assert_eq!(breaks("#acme cloud"), [None, None]);
        assert_eq!(breaks("我爱。索尼"), [None, None, Sentence, None]);
    }

    #[test]
    fn query_wildcards_stay_inside_words() {
        let toks = tokenize_query("acme* colo?r up?").unwrap();
        let words: Vec<_> = toks.iter().map(|t| (t.norm.as_str(), t.wild)).collect();
        assert_eq!(words, [("acme*", true), ("colo?r", true), ("up", false)]);
        assert_eq!(tokenize_query("ok *acme"), Err(3));
        assert_eq!(tokenize_query("?acme"), Err(0));
        // In document text the same characters are plain punctuation.
        assert_eq!(norms("acme* *x"), ["acme", "x"]);
    }
}
