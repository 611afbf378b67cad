//! The cue-phrase matcher shared by intent and emotion detection: a small
//! pattern syntax compiled once into a table indexed by first word, the
//! split of a text into words, the search for every cue in them, and the
//! negation test.
//!
//! This module owns no phrase list and weighs no evidence: each detector
//! hands in its own `(kind, patterns)` table and decides what a found cue
//! means.
//!
//! Pattern syntax, one cue per string, matched word by word on lowercased
//! words with apostrophes removed (so `don't` and `dont` are the same word):
//! `word`, `word*` (any ending), `(a|b c)` (one of), `[a|b]` (optional) and
//! `..` (up to three other words). A cue never reaches across sentences.

use std::borrow::Cow;
use std::ops::Range;

use super::document::Document;
use super::fx::FxMap;

/// One word of a pattern.
#[derive(Debug)]
enum WordPat {
    Exact(String),
    Prefix(String),
}

impl WordPat {
    fn matches(&self, word: &str) -> bool {
        match self {
            WordPat::Exact(w) => w == word,
            WordPat::Prefix(p) => word.starts_with(p.as_str()),
        }
    }
}

#[derive(Debug)]
enum Elem {
    /// One of several word sequences; `optional` also allows none.
    OneOf {
        alts: Vec<Vec<WordPat>>,
        optional: bool,
    },
    /// Up to this many words of anything.
    Gap(usize),
}

/// One compiled cue, with what its detector says it is evidence of.
#[derive(Debug)]
pub(crate) struct Cue<K> {
    pub kind: K,
    elems: Vec<Elem>,
    /// The first word must be followed by a comma in the text.
    comma: bool,
}

/// The compiled cues, with the first words they can start with.
pub(crate) struct Table<K> {
    pub cues: Vec<Cue<K>>,
    by_word: FxMap<String, Vec<usize>>,
    /// First-word prefixes (`word*`) by their first byte, each list in
    /// pattern order: a word is compared with the few sharing its first
    /// byte, not with all of them.
    by_prefix: Vec<Vec<(String, usize)>>,
}

impl<K: Copy> Table<K> {
    /// Compiles a detector's cue lists. Panics on a malformed pattern: the
    /// lists are constants, and a unit test builds each table.
    pub fn new(lists: &[(K, &[&str])]) -> Table<K> {
        let mut table = Table {
            cues: Vec::new(),
            by_word: FxMap::default(),
            by_prefix: vec![Vec::new(); 256],
        };
        for (kind, patterns) in lists {
            for pattern in patterns.iter() {
                let index = table.cues.len();
                let elems = compile(pattern);
                let Some(Elem::OneOf {
                    alts,
                    optional: false,
                }) = elems.first()
                else {
                    panic!("cue {pattern:?} must start with a required word");
                };
                for alt in alts {
                    match &alt[0] {
                        WordPat::Exact(w) => {
                            table.by_word.entry(w.clone()).or_default().push(index)
                        }
                        WordPat::Prefix(p) => {
                            let first = *p.as_bytes().first().expect("a cue prefix has letters");
                            table.by_prefix[first as usize].push((p.clone(), index))
                        }
                    }
                }
                let comma = pattern
                    .split_whitespace()
                    .next()
                    .is_some_and(|w| w.ends_with(','));
                table.cues.push(Cue {
                    kind: *kind,
                    elems,
                    comma,
                });
            }
        }
        table
    }

    /// Every cue occurrence, then only the longest where one lies inside
    /// another ("would love to see" hides its "love"; "refund" inside
    /// "asking for a refund" counts once, as churn).
    pub fn find(&self, doc: &Document<'_>) -> Vec<Found> {
        let text = doc.text();
        let mut found = Vec::new();
        for (i, w) in doc.words().iter().enumerate() {
            let norm = doc.norm(i);
            let exact = self.by_word.get(norm).into_iter().flatten().copied();
            let first = norm.as_bytes().first().map_or(0, |&b| b as usize);
            let prefixed = self.by_prefix[first]
                .iter()
                .filter(|(p, _)| norm.starts_with(p.as_str()))
                .map(|&(_, c)| c);
            for cue in exact.chain(prefixed) {
                let c = &self.cues[cue];
                if let Some(end) = match_at(&c.elems, doc, i, w.sentence) {
                    if !c.comma || text[w.span.end..].starts_with(',') {
                        found.push(Found { cue, words: i..end });
                    }
                }
            }
        }
        longest(found)
    }
}

/// Drops every found cue that lies inside a longer one.
fn longest(mut found: Vec<Found>) -> Vec<Found> {
    found.sort_by_key(|f| (std::cmp::Reverse(f.words.len()), f.words.start));
    // A kept cue that holds `f` starts at most `longest` words before it, so
    // the furthest end of the kept cues starting at each word answers
    // "inside?" in a few steps instead of a pass over everything kept.
    let longest = found.first().map_or(0, |f| f.words.len());
    let mut reach: FxMap<usize, usize> = FxMap::default();
    let mut kept: Vec<Found> = Vec::with_capacity(found.len());
    for f in found {
        let from = f.words.start.saturating_sub(longest);
        let inside =
            (from..=f.words.start).any(|s| reach.get(&s).is_some_and(|&end| f.words.end <= end));
        if !inside {
            let end = reach.entry(f.words.start).or_insert(f.words.end);
            *end = (*end).max(f.words.end);
            kept.push(f);
        }
    }
    kept.sort_by_key(|f| f.words.start);
    kept
}

/// The word form cues are matched on: lowercase, apostrophes dropped.
/// Borrowed when the word is already in that form, as most words are, so
/// splitting a text allocates only for capitals and apostrophes.
pub(crate) fn normalize(word: &str) -> Cow<'_, str> {
    if word
        .chars()
        .all(|c| !matches!(c, '\'' | '’') && !c.is_uppercase())
    {
        return Cow::Borrowed(word);
    }
    Cow::Owned(
        word.chars()
            .filter(|c| !matches!(c, '\'' | '’'))
            .flat_map(char::to_lowercase)
            .collect(),
    )
}

fn compile(pattern: &str) -> Vec<Elem> {
    let word = |w: &str| match w.strip_suffix('*') {
        Some(p) => WordPat::Prefix(normalize(p).into_owned()),
        None => WordPat::Exact(normalize(w).into_owned()),
    };
    let group = |inner: &str| -> Vec<Vec<WordPat>> {
        inner
            .split('|')
            .map(|alt| alt.split_whitespace().map(word).collect())
            .collect()
    };
    let mut elems = Vec::new();
    let mut rest = pattern.trim();
    while !rest.is_empty() {
        let (open, close, optional) = match rest.as_bytes()[0] {
            b'(' => ('(', ')', false),
            b'[' => ('[', ']', true),
            _ => (' ', ' ', false),
        };
        if open != ' ' {
            let end = rest.find(close).expect("unclosed group in a cue");
            let alts = group(&rest[1..end]);
            elems.push(Elem::OneOf { alts, optional });
            rest = rest[end + 1..].trim_start();
            continue;
        }
        let end = rest.find(' ').unwrap_or(rest.len());
        let token = &rest[..end];
        if token == ".." {
            elems.push(Elem::Gap(3));
        } else {
            // A comma in a cue ("great, another") is punctuation the text
            // must have too; `Table::find` checks it separately.
            let bare = token.trim_end_matches(',');
            elems.push(Elem::OneOf {
                alts: vec![vec![word(bare)]],
                optional: false,
            });
        }
        rest = rest[end..].trim_start();
    }
    elems
}

/// A word of the text, with where it is and which sentence it belongs to.
/// Its [`normalize`]d form is read with [`Document::norm`].
#[derive(Debug, Clone)]
pub(crate) struct Word {
    pub span: Range<usize>,
    pub sentence: usize,
    /// Where the normalized form is in the buffer [`words`] filled, or
    /// `None` when the word is written in that form already.
    pub lower: Option<Range<usize>>,
}

/// Words are runs of letters and digits, with apostrophes inside them kept.
/// Appends them to `out` and the normalized forms that differ from the text
/// to `lower`, so that splitting allocates nothing once both have grown.
pub(crate) fn words(
    text: &str,
    sentences: &[Range<usize>],
    out: &mut Vec<Word>,
    lower: &mut String,
) {
    let mut sentence = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if !c.is_alphanumeric() {
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, c)) = chars.peek() {
            let inner_apostrophe = matches!(c, '\'' | '’')
                && text[i + c.len_utf8()..]
                    .chars()
                    .next()
                    .is_some_and(char::is_alphanumeric);
            if !(c.is_alphanumeric() || inner_apostrophe) {
                break;
            }
            end = i + c.len_utf8();
            chars.next();
        }
        while sentence + 1 < sentences.len() && sentences[sentence].end <= start {
            sentence += 1;
        }
        out.push(Word {
            span: start..end,
            sentence,
            lower: normalize_into(&text[start..end], lower),
        });
    }
}

/// Appends [`normalize`]`(word)` to `out` when it differs from `word`, and
/// says where; plain ASCII words are read and written byte by byte.
fn normalize_into(word: &str, out: &mut String) -> Option<Range<usize>> {
    let start = out.len();
    if word.is_ascii() {
        if !word.bytes().any(|b| b == b'\'' || b.is_ascii_uppercase()) {
            return None;
        }
        out.extend(
            word.bytes()
                .filter(|&b| b != b'\'')
                .map(|b| b.to_ascii_lowercase() as char),
        );
    } else {
        if word
            .chars()
            .all(|c| !matches!(c, '\'' | '’') && !c.is_uppercase())
        {
            return None;
        }
        out.extend(
            word.chars()
                .filter(|c| !matches!(c, '\'' | '’'))
                .flat_map(char::to_lowercase),
        );
    }
    Some(start..out.len())
}

/// A cue found in the text: which one, and the words it covers.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub cue: usize,
    pub words: Range<usize>,
}

/// Where the pattern ends if it matches from word `at`, within one sentence.
fn match_at(elems: &[Elem], doc: &Document<'_>, at: usize, sentence: usize) -> Option<usize> {
    let words = doc.words();
    let Some((first, rest)) = elems.split_first() else {
        return Some(at);
    };
    match first {
        Elem::Gap(max) => (0..=*max).find_map(|skip| {
            let next = at + skip;
            (next <= words.len() && (skip == 0 || words[next - 1].sentence == sentence))
                .then(|| match_at(rest, doc, next, sentence))
                .flatten()
        }),
        Elem::OneOf { alts, optional } => {
            let present = alts.iter().find_map(|alt| {
                let end = at + alt.len();
                let fits = end <= words.len()
                    && alt.iter().enumerate().all(|(k, pat)| {
                        words[at + k].sentence == sentence && pat.matches(doc.norm(at + k))
                    });
                fits.then(|| match_at(rest, doc, end, sentence)).flatten()
            });
            match present {
                Some(end) => Some(end),
                None if *optional => match_at(rest, doc, at, sentence),
                None => None,
            }
        }
    }
}

/// The text of each cue span, as written, each distinct text once, in order.
pub(crate) fn cue_texts(text: &str, spans: Vec<Range<usize>>) -> Vec<String> {
    let mut cues: Vec<String> = Vec::with_capacity(spans.len());
    for s in spans {
        let cue = &text[s];
        if !cues.iter().any(|c| c == cue) {
            cues.push(cue.to_string());
        }
    }
    cues
}

/// Words that turn the cue after them around.
const NEGATORS: &[&str] = &[
    "not", "no", "never", "dont", "doesnt", "didnt", "isnt", "wasnt", "arent", "werent", "wont",
    "wouldnt", "cant", "cannot", "couldnt", "shouldnt", "havent", "hasnt", "aint", "hardly",
    "barely", "without", "zero",
];

/// The negating word among the three before word `at` in the same clause,
/// if any. "never so disappointed" and "never been this bad" intensify
/// rather than negate, as in VADER.
pub(crate) fn negator(doc: &Document<'_>, at: usize) -> Option<usize> {
    let (text, words) = (doc.text(), doc.words());
    let sentence = words[at].sentence;
    for j in (at.saturating_sub(3)..at).rev() {
        let between = &text[words[j].span.end..words[j + 1].span.start];
        let w = doc.norm(j);
        if words[j].sentence != sentence
            || between.contains([',', ';', ':', '—'])
            || matches!(w, "but" | "though" | "although" | "however")
        {
            return None;
        }
        if NEGATORS.contains(&w) {
            let intensified =
                w == "never" && (j + 1..at).any(|x| matches!(doc.norm(x), "so" | "this" | "more"));
            return (!intensified).then_some(j);
        }
    }
    None
}
