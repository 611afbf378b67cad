//! Compiling many parsed queries into one shared index.
//!
//! Owns the word vocabulary (every distinct query word gets a unit id), the
//! lookup from a document token to the units it satisfies, and the anchors
//! that pick which queries are worth evaluating for a document. It does not
//! evaluate query logic; `eval` does, over the hits this module finds.
//!
//! Every query has anchors: units, hosts or languages of which at least one
//! must be present for the query to match (a phrase needs each of its
//! words, an AND needs any one side, an OR needs one of each alternative).
//! A document only pays for the queries whose anchor it contains. Where a
//! query offers a choice (`refund AND acme`), it is anchored on the words
//! fewest other queries use, so a context word shared by thousands of
//! queries does not make all of them candidates.

use std::collections::HashMap;

use super::ast::{Expr, FieldSet, Kind, Word};
use super::site;
use super::tokenize::{tokenize, Token};
use crate::classify::fx::FxMap;

/// A query tree with its words replaced by unit ids.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Word {
        unit: u32,
        fields: FieldSet,
    },
    Phrase {
        units: Vec<u32>,
        slop: Option<u32>,
        fields: FieldSet,
        joins: Vec<String>,
    },
    Raw {
        needle: String,
        fields: FieldSet,
        /// The needle's first word: a raw match implies that token.
        anchor: Option<u32>,
    },
    Site(String),
    Url(String),
    Lang(String),
    Near {
        left: Box<Node>,
        right: Box<Node>,
        dist: u32,
        ordered: bool,
        across: bool,
        without: bool,
    },
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

#[derive(Clone)]
enum Anchor {
    Unit(u32),
    Host(String),
    Lang(String),
}

/// Positions (per field slot: text, title, author) where each unit occurs.
pub(crate) type Hits = FxMap<u32, [Vec<u32>; 3]>;

#[derive(Debug)]
struct WildUnit {
    unit: u32,
    pattern: Box<[char]>,
}

#[derive(Debug, Default)]
pub(crate) struct Index {
    pub roots: Vec<Node>,
    units: FxMap<Word, u32>,
    /// Per unit: (is exact, byte length), to break ties between anchors.
    unit_rank: Vec<(bool, usize)>,
    /// Per unit: how many queries use it.
    unit_uses: Vec<u32>,
    exact: FxMap<String, u32>,
    /// Wildcard units by the literal text before their first wildcard.
    wild: FxMap<String, Vec<WildUnit>>,
    /// Distinct byte lengths of those literal prefixes, ascending.
    wild_lens: Vec<usize>,
    by_unit: Vec<Vec<u32>>,
    by_host: HashMap<String, Vec<u32>>,
    by_lang: HashMap<String, Vec<u32>>,
    /// Per query: it has a `lang:` term, so its truth may hang on the
    /// item's language.
    reads_lang: Vec<bool>,
    /// Queries with no anchor (a `raw:` of punctuation only): always run.
    always: Vec<u32>,
}

impl Index {
    pub fn build<'a>(queries: impl IntoIterator<Item = &'a Expr>) -> Index {
        let mut ix = Index::default();
        for expr in queries {
            let root = ix.compile(expr);
            let mut used = Vec::new();
            units_of(&root, &mut used);
            used.sort_unstable();
            used.dedup();
            for u in used {
                ix.unit_uses[u as usize] += 1;
            }
            ix.reads_lang.push(reads_lang(&root));
            ix.roots.push(root);
        }
        for (q, root) in ix.roots.iter().enumerate() {
            let q = q as u32;
            let Some((_, anchors)) = ix.anchors(root) else {
                ix.always.push(q);
                continue;
            };
            for a in anchors {
                match a {
                    Anchor::Unit(u) => ix.by_unit[u as usize].push(q),
                    Anchor::Host(h) => ix.by_host.entry(h).or_default().push(q),
                    Anchor::Lang(l) => ix.by_lang.entry(l).or_default().push(q),
                }
            }
        }
        ix.wild_lens.sort_unstable();
        ix.wild_lens.dedup();
        ix
    }

    fn unit(&mut self, word: &Word) -> u32 {
        if let Some(&id) = self.units.get(word) {
            return id;
        }
        let id = self.unit_rank.len() as u32;
        let (Word::Exact(text) | Word::Wild(text)) = word;
        self.unit_rank
            .push((matches!(word, Word::Exact(_)), text.len()));
        match word {
            Word::Exact(w) => {
                self.exact.insert(w.clone(), id);
            }
            Word::Wild(p) => {
                let lit = &p[..p.find(['*', '?']).unwrap_or(p.len())];
                self.wild_lens.push(lit.len());
                let pattern = p.chars().collect();
                self.wild
                    .entry(lit.to_string())
                    .or_default()
                    .push(WildUnit { unit: id, pattern });
            }
        }
        self.units.insert(word.clone(), id);
        self.by_unit.push(Vec::new());
        self.unit_uses.push(0);
        id
    }

    fn compile(&mut self, e: &Expr) -> Node {
        match &e.kind {
            Kind::Word { word, fields } => Node::Word {
                unit: self.unit(word),
                fields: *fields,
            },
            Kind::Phrase {
                words,
                slop,
                fields,
                joins,
            } => Node::Phrase {
                units: words.iter().map(|w| self.unit(w)).collect(),
                slop: *slop,
                fields: *fields,
                joins: joins.clone(),
            },
            Kind::Raw { needle, fields } => {
                let first = tokenize(needle).into_iter().next();
                let anchor = first.map(|t| self.unit(&Word::Exact(t.bare().to_string())));
                Node::Raw {
                    needle: needle.clone(),
                    fields: *fields,
                    anchor,
                }
            }
            Kind::Site(h) => Node::Site(h.clone()),
            Kind::Url(k) => Node::Url(k.clone()),
            Kind::Lang(l) => Node::Lang(l.clone()),
            Kind::Near {
                left,
                right,
                dist,
                ordered,
                across,
                without,
            } => Node::Near {
                left: Box::new(self.compile(left)),
                right: Box::new(self.compile(right)),
                dist: *dist,
                ordered: *ordered,
                across: *across,
                without: *without,
            },
            Kind::And(xs) => Node::And(xs.iter().map(|x| self.compile(x)).collect()),
            Kind::Or(xs) => Node::Or(xs.iter().map(|x| self.compile(x)).collect()),
            Kind::Not(x) => Node::Not(Box::new(self.compile(x))),
        }
    }

    /// A set of anchors one of which every match contains, with its cost
    /// (roughly: how many queries share those anchors), or `None`.
    fn anchors(&self, n: &Node) -> Option<(u64, Vec<Anchor>)> {
        let cheapest = |sets: Vec<Option<(u64, Vec<Anchor>)>>| {
            sets.into_iter().flatten().min_by_key(|(c, _)| *c)
        };
        let unit = |u: u32| (self.unit_cost(u), vec![Anchor::Unit(u)]);
        match n {
            Node::Word { unit: u, .. } => Some(unit(*u)),
            Node::Phrase { units, .. } => units.iter().map(|&u| unit(u)).min_by_key(|(c, _)| *c),
            Node::Raw { anchor, .. } => anchor.map(unit),
            // Hosts narrow items down well; a language hardly does.
            Node::Site(h) => Some((HOST_COST, vec![Anchor::Host(h.clone())])),
            Node::Url(k) => Some((HOST_COST, vec![Anchor::Host(site::key_host(k).to_string())])),
            Node::Lang(l) => Some((
                LANG_COST,
                vec![Anchor::Lang(site::lang_primary(l).to_string())],
            )),
            // `NOT NEAR` matches where the right side is absent: only the
            // left side anchors it.
            Node::Near {
                left,
                without: true,
                ..
            } => self.anchors(left),
            Node::Near { left, right, .. } => {
                cheapest(vec![self.anchors(left), self.anchors(right)])
            }
            Node::And(xs) => cheapest(xs.iter().map(|x| self.anchors(x)).collect()),
            Node::Or(xs) => xs.iter().try_fold((0, Vec::new()), |(cost, mut acc), x| {
                let (c, a) = self.anchors(x)?;
                acc.extend(a);
                Some((cost + c, acc))
            }),
            Node::Not(_) => None,
        }
    }

    /// Queries sharing the unit first; then exact before wildcard, longer
    /// before shorter (a longer word is usually a rarer one).
    fn unit_cost(&self, u: u32) -> u64 {
        let (exact, len) = self.unit_rank[u as usize];
        let uses = u64::from(self.unit_uses[u as usize]);
        uses * 64 + if exact { 0 } else { 32 } + (31 - len.min(31) as u64)
    }

    /// Finds every unit the tokens satisfy. Each token costs one or two
    /// hash lookups plus one per distinct wildcard prefix length, however
    /// many queries there are.
    #[cfg(test)]
    pub fn scan(&self, slots: &[Vec<Token>; 3]) -> Hits {
        let mut hits = Hits::default();
        for (slot, tokens) in slots.iter().enumerate() {
            for (pos, tok) in tokens.iter().enumerate() {
                self.scan_token(&mut hits, slot, pos as u32, tok);
            }
        }
        hits
    }

    /// Records the units token `tok`, at position `pos` of field `slot`,
    /// satisfies.
    pub fn scan_token(&self, hits: &mut Hits, slot: usize, pos: u32, tok: &Token) {
        let mut found = |unit: u32| {
            let at = &mut hits.entry(unit).or_default()[slot];
            if at.last() != Some(&pos) {
                at.push(pos);
            }
        };
        self.lookup(&tok.norm, &mut found);
        // A bare query word also matches the hashtag or handle.
        if tok.sigil {
            self.lookup(tok.bare(), &mut found);
        }
    }

    fn lookup(&self, key: &str, found: &mut impl FnMut(u32)) {
        if let Some(&u) = self.exact.get(key) {
            found(u);
        }
        for &len in &self.wild_lens {
            if len > key.len() {
                break;
            }
            if !key.is_char_boundary(len) {
                continue;
            }
            for w in self.wild.get(&key[..len]).into_iter().flatten() {
                if glob(&w.pattern, key) {
                    found(w.unit);
                }
            }
        }
    }

    /// Whether the language of a document whose candidates (found without
    /// a language) are `candidates` could change what matches: some query
    /// is anchored on a language, or a candidate has a `lang:` term.
    pub fn needs_lang(&self, candidates: &[u32]) -> bool {
        !self.by_lang.is_empty() || candidates.iter().any(|&q| self.reads_lang[q as usize])
    }

    /// Queries worth evaluating for a document, ascending.
    pub fn candidates(&self, hits: &Hits, host: Option<&str>, lang: Option<&str>) -> Vec<u32> {
        let mut out = self.always.clone();
        for unit in hits.keys() {
            out.extend_from_slice(&self.by_unit[*unit as usize]);
        }
        for h in host.into_iter().flat_map(site::host_suffixes) {
            out.extend(self.by_host.get(h).into_iter().flatten());
        }
        if let Some(l) = lang {
            out.extend(
                self.by_lang
                    .get(site::lang_primary(l))
                    .into_iter()
                    .flatten(),
            );
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

const HOST_COST: u64 = 64 * 64;
const LANG_COST: u64 = 64 * 1_000_000;

fn units_of(n: &Node, out: &mut Vec<u32>) {
    match n {
        Node::Word { unit, .. } => out.push(*unit),
        Node::Phrase { units, .. } => out.extend_from_slice(units),
        Node::Raw { anchor, .. } => out.extend(anchor),
        Node::Near { left, right, .. } => {
            units_of(left, out);
            units_of(right, out);
        }
        Node::And(xs) | Node::Or(xs) => xs.iter().for_each(|x| units_of(x, out)),
        Node::Not(x) => units_of(x, out),
        Node::Site(_) | Node::Url(_) | Node::Lang(_) => {}
    }
}

fn reads_lang(n: &Node) -> bool {
    match n {
        Node::Lang(_) => true,
        Node::Near { left, right, .. } => reads_lang(left) || reads_lang(right),
        Node::And(xs) | Node::Or(xs) => xs.iter().any(reads_lang),
        Node::Not(x) => reads_lang(x),
        _ => false,
    }
}

/// `*` matches any run of characters (also none), `?` exactly one.
fn glob(pattern: &[char], text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            // Let the last star swallow one more character and retry.
            star = Some((sp, st + 1));
            p = sp + 1;
            t = st + 1;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::super::parser::parse_expr;
    use super::*;

    fn g(p: &str, t: &str) -> bool {
        glob(&p.chars().collect::<Vec<_>>(), t)
    }

    fn candidates_for(queries: &[String], body: &str) -> Vec<u32> {
        let exprs: Vec<Expr> = queries.iter().map(|q| parse_expr(q).unwrap()).collect();
        let ix = Index::build(&exprs);
        let hits = ix.scan(&[tokenize(body), Vec::new(), Vec::new()]);
        ix.candidates(&hits, None, None)
    }

    #[test]
    fn shared_context_words_do_not_become_anchors() {
        let queries: Vec<String> = (0..50)
            .flat_map(|i| {
                [
                    format!("refund AND brand{i}"),
                    format!("outage NEAR/3 brand{i}"),
                    format!("\"cloud brand{i}\""),
                ]
            })
            .collect();
        assert!(candidates_for(&queries, "refund outage cloud").is_empty());
        assert_eq!(candidates_for(&queries, "brand7 refund"), [21, 22, 23]);
    }

    #[test]
    fn or_needs_an_anchor_in_every_alternative() {
        let queries = ["(x OR y) NOT z".to_string(), "raw:\"+++\" OR w".to_string()];
        assert_eq!(
            candidates_for(&queries, "y"),
            [0, 1],
            "raw punctuation cannot be anchored"
        );
        assert_eq!(candidates_for(&queries, "nothing"), [1]);
    }

    #[test]
    fn glob_handles_stars_and_single_characters() {
        assert!(g("acme*", "acme"));
        assert!(g("acme*", "acmecorp"));
        assert!(!g("acme*", "acm"));
        assert!(g("colo?r", "colour"));
        assert!(!g("colo?r", "color"));
        assert!(g("a*b*c", "axxbyyc"));
        assert!(!g("a*b*c", "axxbyy"));
        assert!(g("caf?", "café"), "? is one character, not one byte");
    }
}
