//! The English cue phrases behind intent detection, compiled once into a
//! table indexed by first word, and the matcher that finds them in a text.
//!
//! This file owns the phrase lists and their small pattern syntax; it does
//! not weigh evidence or look at sentiment (that is the parent module).
//!
//! Pattern syntax, one cue per string, matched word by word on lowercased
//! words with apostrophes removed (so `don't` and `dont` are the same word):
//! `word`, `word*` (any ending), `(a|b c)` (one of), `[a|b]` (optional) and
//! `..` (up to three other words). A cue never reaches across sentences.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::LazyLock;

/// What finding a cue is evidence of, before sentiment is considered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Leaving: unambiguous on its own.
    Churn,
    /// Leaving, but the words also describe ordinary moves ("moving to").
    ChurnWeak,
    Feature,
    /// Asking, even without a question mark.
    Question,
    /// A fault that is a complaint unless the text is clearly happy.
    Problem,
    /// A word that complains only when the text is negative overall.
    ProblemWeak,
    /// Sarcasm, regret and other phrases that complain whatever the score
    /// says ("thanks for nothing", "used to love").
    Grievance,
    /// Approval words: praise only when the text is positive; negated, a
    /// complaint.
    Praise,
    /// Set praise phrases, often with a negation in them ("can't recommend
    /// enough") that fools word-level sentiment: praise whatever the score.
    PraiseSet,
    Purchase,
    PurchaseWeak,
    /// Phrases that only exist to hide a cue inside them ("thanks in
    /// advance", "Best Buy").
    Shadow,
}

const CUES: &[(Kind, &[&str])] = &[
    (Kind::Churn, &[
        "cancel* [my|our|the] .. (subscription|subscriptions|membership|account|plan|contract)",
        "uninstall*", "delet* (the|this|their|my) [stupid] app", "delet* my account",
        "(close|closing|closed) my account", "last straw", "jump* ship",
        "(ask*|request*|demand*|want|wanted|get|getting|claim*) [for] a [full] refund",
        "want* my money back", "taking my (business|money) elsewhere",
        "(im|i am|we are|so|officially|totally|completely|finally) done with",
        "never (buy*|order*|use|using|fly*|shop*|go|going|come|coming|recommend*) .. again", "never again",
        "(wont|not) [be] renew*", "(switch*|mov*|migrat*) away from",
        "(wont|not) [be] (buy*|order*|use|using|shop*|fly*|go|going|come|coming) .. again",
        "(look*|shopping) for (an|another) (alternative|replacement|provider)",
        "unsubscrib*",
    ]),
    (Kind::ChurnWeak, &[
        "(switch*|mov*|migrat*|port*) [over] to", "(go*|went) back to", "alternatives to",
    ]),
    (Kind::Feature, &[
        "wish (it|they|you|u|this|there|the|its|their|acme) .. (had|would|could|was|were|supported|offered|let|allowed|came|did)",
        "please (add|bring back|let us|allow|consider|support|implement|include|give us)",
        "would be (great|nice|awesome|cool|amazing|lovely|helpful|useful|good) if",
        "(would|id) (love|like) (to see|it if)", "feature request*",
        "when (will|are|is) (you|they|it) .. (add|adding|support|supporting|bring|bringing|get|getting)",
        "(can|could) (you|they|u) [please] (add|bring back|support|make it)",
        "any plans (to|for)", "(should|need to|needs to) (add|support|bring back|offer|include)",
        "bring back the", "add support for",
        "(need|needs|want|should be) (an|a) (option|way|setting|toggle|button) to",
        "why (isnt there|is there no|cant i|cant we|doesnt it have|dont you have|dont they have)",
    ]),
    (Kind::Question, &[
        "(does|do|did|has) (anyone|anybody) (know|have|else|tried|use|used)",
        "(anyone|anybody) (know|tried|else)", "how (do|can|would|should) (i|we|you)",
        "is there (a|any) way", "is it possible to", "(can|could|will) (someone|anyone|somebody)",
        "any (idea|ideas|tips|advice|suggestions|recommendations)",
        "(what is|what are|whats) the best", "where (can|do|should) i", "quick question",
    ]),
    (Kind::Problem, &[
        "outage*", "crash*", "broken", "buggy", "unusable", "overcharged",
        "down (again|for)", "(site|app|service|server|servers|website|api|cloud) (is|are|was|been) down",
        "is it down", "(doesnt|dont|didnt|wont|cant|cannot|isnt|arent|not|never|stopped|stops) (work*|load*|connect*|sync*|charg*|respond*|boot*|open|opening|turn on)",
        "(cant|cannot|couldnt|unable to) (log|sign) (in|into)", "(cant|cannot|couldnt) login",
        "(support|service|they|agent|team|nobody|no one) (ignored|ignores|ignoring)",
        "(support|they|nobody|no one) .. never (replied|responded|answered|got back)",
        "no (reply|response|answer) (from|yet)", "still waiting (for|on)",
        "lost (my|all|our)", "charged (me|us) (twice|again|double)", "charged twice",
        "hung up on", "on hold", "(nobody|no one|never) (answers|answered|replies|replied|responds|responded|answer|reply|respond|helps)",
        "deleted (my|all|our)", "(data|files|photos|notes|account|messages) (was|were|got) (wiped|deleted|lost)",
        "(it|they|mine|which) (broke|breaks)", "broke (down|everything)",
        "arrived (scratched|damaged|broken|dented|opened|crushed|late|cracked)",
        "never (arrived|came|showed up|shipped)", "(hasnt|didnt|has not|did not) (arrived|arrive|shipped|ship)",
    ]),
    (Kind::ProblemWeak, &[
        "refund*", "down", "slow", "laggy", "lag*", "freez*", "frozen", "stuck", "glitch*",
        "bug", "bugs", "error", "errors", "problem", "problems", "issue", "issues", "late",
        "delayed", "scam", "ripoff", "rip off", "overpriced", "useless", "garbage", "trash",
        "junk", "worst", "terrible", "awful", "horrible", "disappoint*", "unacceptable",
        "ridiculous", "fed up", "sick of", "tired of", "annoying", "annoyed", "frustrat*",
        "hate", "hates", "hated", "pathetic", "rude", "spam", "worse", "damaged", "cracked",
        "disconnected",
    ]),
    (Kind::Grievance, &[
        "thanks for nothing", "oh great", "just great", "so much for", "what a joke",
        "yeah right", "great, another",
        "(love|loving|loved) (how|when|that) .. (crash*|break*|broke|fail*|freez*|delet*|charg*|ignor*|los*|lost|dies|dying|died)",
        "used to (love|like|be good|be great|be better|be reliable|work)",
        "(regret|regretting|regretted) (buying|ordering|getting|it|this)", "waste of (money|time)",
        "not worth", "ripped off",
    ]),
    (Kind::Praise, &[
        "love", "loving", "loved", "loves", "amazing", "awesome", "excellent", "fantastic",
        "brilliant", "perfect*", "outstanding", "incredible", "superb", "wonderful", "great",
        "best", "impressed", "impressive", "(happy|pleased|satisfied|thrilled) with",
        "thank*", "thank you", "thank* [you] so much for", "thx", "kudos", "shout out", "shoutout", "props to", "well done",
        "recommend*", "(5|five) stars", "game changer", "works (great|perfectly|flawlessly|like a charm)",
        "favorite", "favourite", "obsessed with", "worth (it|the money|every penny)",
    ]),
    (Kind::PraiseSet, &[
        "cant recommend .. enough", "couldnt be (happier|more pleased|more happy|more satisfied)",
        "no complaints", "cant live without", "never (disappoints|lets me down|fails)",
        "never been (happier|better)", "cant get enough",
    ]),
    (Kind::Purchase, &[
        "thinking (of|about) (buying|getting|ordering|purchasing|upgrading)",
        "should i (get|buy|order|upgrade|grab|go for|go with)",
        "where (can|do|should) i (buy|get|order|find)", "where to buy",
        "(want|wanna|going|gonna|planning|plan|about|looking|hoping|ready|saving|need) [up] [to] (buy|purchase|preorder)",
        "(planning|plan|looking|saving|hoping) [up] to get", "in the market for",
        "(just|finally) (ordered|preordered|pre ordered)", "ordering", "pre order*", "preorder*",
        "add* to (cart|basket)", "take my money", "cant wait to (get|buy|order)",
        "worth (buying|getting|upgrading)",
    ]),
    (Kind::PurchaseWeak, &["how much (is|are|does|do|for)"]),
    (Kind::Shadow, &[
        "thanks in advance", "best buy", "best regards", "no thanks", "thanks anyway",
        "thank you in advance", "love to know",
        "(charge*|cost*|pay|paid|paying|spend*|spent|ask*) so much for", "down to", "down the", "cancel* (the|my) order",
        // A fault reported as fixed is not a complaint.
        "(crash*|outage*|bug|bugs|issue|issues|problem|problems|glitch*|error|errors) [is|are|was|were|got|has been|have been] [finally|now] (fixed|gone|resolved|solved|sorted)",
        "(fixed|resolved|solved|sorted) (the|my|that|this|our|every) (crash*|outage*|bug|bugs|issue|issues|problem|problems|glitch*|error|errors)",
    ]),
];

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

#[derive(Debug)]
pub(super) struct Cue {
    pub kind: Kind,
    elems: Vec<Elem>,
}

/// The compiled cues, with the first words they can start with.
pub(super) struct Table {
    pub cues: Vec<Cue>,
    by_word: HashMap<String, Vec<usize>>,
    by_prefix: Vec<(String, usize)>,
}

pub(super) static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut table = Table {
        cues: Vec::new(),
        by_word: HashMap::new(),
        by_prefix: Vec::new(),
    };
    for (kind, patterns) in CUES {
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
                    WordPat::Exact(w) => table.by_word.entry(w.clone()).or_default().push(index),
                    WordPat::Prefix(p) => table.by_prefix.push((p.clone(), index)),
                }
            }
            table.cues.push(Cue { kind: *kind, elems });
        }
    }
    table
});

/// The word form cues are matched on: lowercase, apostrophes dropped.
pub(super) fn normalize(word: &str) -> String {
    word.chars()
        .filter(|c| !matches!(c, '\'' | '’'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn compile(pattern: &str) -> Vec<Elem> {
    let word = |w: &str| match w.strip_suffix('*') {
        Some(p) => WordPat::Prefix(normalize(p)),
        None => WordPat::Exact(normalize(w)),
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
            // must have too; the matcher checks it separately.
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
#[derive(Debug)]
pub(super) struct Word {
    pub norm: String,
    pub span: Range<usize>,
    pub sentence: usize,
}

/// Words are runs of letters and digits, with apostrophes inside them kept.
pub(super) fn words(text: &str, sentences: &[Range<usize>]) -> Vec<Word> {
    let mut out = Vec::new();
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
            norm: normalize(&text[start..end]),
            span: start..end,
            sentence,
        });
    }
    out
}

/// A cue found in the text: which one, and the words it covers.
#[derive(Debug, Clone)]
pub(super) struct Found {
    pub cue: usize,
    pub words: Range<usize>,
}

/// Every cue occurrence, then only the longest where one lies inside
/// another ("would love to see" hides its "love"; "refund" inside "asking
/// for a refund" counts once, as churn).
pub(super) fn find(text: &str, words: &[Word]) -> Vec<Found> {
    let table = &*TABLE;
    let mut found = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let exact = table.by_word.get(&w.norm).into_iter().flatten().copied();
        let prefixed = table
            .by_prefix
            .iter()
            .filter(|(p, _)| w.norm.starts_with(p.as_str()))
            .map(|&(_, c)| c);
        for cue in exact.chain(prefixed) {
            if let Some(end) = match_at(&table.cues[cue].elems, words, i, w.sentence) {
                let pattern_comma = CUE_COMMAS.contains(&cue);
                if !pattern_comma || text[w.span.end..].starts_with(',') {
                    found.push(Found { cue, words: i..end });
                }
            }
        }
    }
    found.sort_by_key(|f| (std::cmp::Reverse(f.words.len()), f.words.start));
    // A kept cue that holds `f` starts at most `longest` words before it, so
    // the furthest end of the kept cues starting at each word answers
    // "inside?" in a few steps instead of a pass over everything kept.
    let longest = found.first().map_or(0, |f| f.words.len());
    let mut reach: HashMap<usize, usize> = HashMap::new();
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

/// Cues whose first word must be followed by a comma in the text.
static CUE_COMMAS: LazyLock<Vec<usize>> = LazyLock::new(|| {
    let mut index = 0;
    let mut out = Vec::new();
    for (_, patterns) in CUES {
        for p in patterns.iter() {
            if p.split_whitespace()
                .next()
                .is_some_and(|w| w.ends_with(','))
            {
                out.push(index);
            }
            index += 1;
        }
    }
    out
});

/// Where the pattern ends if it matches from word `at`, within one sentence.
fn match_at(elems: &[Elem], words: &[Word], at: usize, sentence: usize) -> Option<usize> {
    let Some((first, rest)) = elems.split_first() else {
        return Some(at);
    };
    match first {
        Elem::Gap(max) => (0..=*max).find_map(|skip| {
            let next = at + skip;
            (next <= words.len() && (skip == 0 || words[next - 1].sentence == sentence))
                .then(|| match_at(rest, words, next, sentence))
                .flatten()
        }),
        Elem::OneOf { alts, optional } => {
            let present = alts.iter().find_map(|alt| {
                let end = at + alt.len();
                let fits = end <= words.len()
                    && alt
                        .iter()
                        .zip(&words[at..end])
                        .all(|(pat, w)| w.sentence == sentence && pat.matches(&w.norm));
                fits.then(|| match_at(rest, words, end, sentence)).flatten()
            });
            match present {
                Some(end) => Some(end),
                None if *optional => match_at(rest, words, at, sentence),
                None => None,
            }
        }
    }
}
