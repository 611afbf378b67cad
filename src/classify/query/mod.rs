//! Brand queries: the Boolean language analysts write one query per brand
//! or topic in, and a matcher that checks thousands of them per item.
//!
//! This module owns parsing ([`parse`]), the errors users see
//! ([`QueryError`]) and matching ([`QuerySet`]). It does not load queries
//! from configuration, decide what a match means downstream, or read item
//! metadata beyond the [`Fields`] it is given.
//!
//! # The language
//!
//! - `acme AND (outage OR down) NOT refund`: `AND`, `OR`, `NOT` in capitals,
//!   parentheses for grouping. Precedence: `NEAR` binds tightest, then `NOT`,
//!   `AND`, `OR`. Terms written side by side are ANDed (`acme outage` is
//!   `acme AND outage`), so `a NOT b` reads as `a AND NOT b`. Lowercase
//!   `and`, `or`, `not`, `near` are ordinary words; to search for an
//!   uppercase operator word, quote it (`"NEAR"`). A leading minus
//!   (`-refund`) is rejected rather than read as a word: write `NOT refund`.
//! - `acme`: a word, case- and accent-insensitive (compatibility-decomposed,
//!   marks stripped, lowercased: `cafe` matches `Café`). It also matches the
//!   hashtag `#acme`, the handle `@acme` and the cashtag `$acme`; the query
//!   `#acme` matches only the hashtag. A term made of several words once
//!   tokenized (`e-mail`, `acme.com`, `索尼`) is a phrase of those words.
//! - `"acme cloud"`: the words in this order, adjacent. `"acme cloud"~3`: the
//!   words in any order with at most 3 other words among them.
//! - `a NEAR/5 b`: at most 5 words between `a` and `b`, either order (`NEAR/0`
//!   is adjacent); `a NEAR/5f b`: `a` first. Sides are words, phrases,
//!   parenthesised OR-groups of them, or another NEAR.
//! - `acme*` (any ending, including none) and `colo?r` (exactly one
//!   character). A wildcard may not start a word. A `?` at the end of a word
//!   is a question mark, not a wildcard.
//! - `raw:"ACME+"` or `raw:ACME+`: exact case and punctuation, as a substring
//!   of the text or title that does not start or end inside a word.
//! - `title:x`, `author:x` restrict a term, phrase, `raw:` or parenthesised
//!   group to that field; by default terms look in the title and the text.
//!   Within a field, phrases and NEAR never reach across into another field.
//! - `site:example.com`: the item's host is that host or a subdomain of it.
//!   `url:example.com/blog`: the item URL starts with that prefix (scheme and
//!   a leading `www.` ignored, host case-insensitive, path case-sensitive; a
//!   prefix that ends at the host must end the item's host too).
//!   `lang:en`: the item language is `en` or a variant like `en-GB`.
//!
//! Words are runs of letters, digits, marks and `_`; apostrophes split them
//! (`apple` matches `Apple's`). Scripts written without spaces (Chinese,
//! Japanese, Korean, Thai, ...) are matched character by character, and every
//! emoji is a word of its own.
//!
//! A query must contain something positive: `NOT acme` alone, or an OR with
//! an alternative made only of NOT terms, is rejected, because it would match
//! almost every item.

mod ast;
mod eval;
mod index;
mod lexer;
mod parser;
mod site;
mod tokenize;

#[cfg(test)]
mod tests;

use std::ops::Range;

use eval::Doc;
use index::Index;

/// A parsed brand query. Build with [`parse`] (or `str::parse`).
#[derive(Debug, Clone)]
pub struct Query {
    source: String,
    root: ast::Expr,
}

impl Query {
    /// The query text as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }
}

impl std::str::FromStr for Query {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Query, QueryError> {
        parse(s)
    }
}

/// Why a query could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {position}: expected {expected}, found {found}")]
pub struct QueryError {
    /// 1-based character column in the query text (one past the end for
    /// "end of query").
    pub position: usize,
    pub expected: String,
    pub found: String,
}

/// Parses one query.
pub fn parse(input: &str) -> Result<Query, QueryError> {
    Ok(Query {
        source: input.to_string(),
        root: parser::parse_expr(input)?,
    })
}

/// The parts of an item queries look at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fields<'a> {
    pub text: &'a str,
    pub title: Option<&'a str>,
    pub author: Option<&'a str>,
    pub url: Option<&'a str>,
    pub lang: Option<&'a str>,
}

/// One query that matched an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryMatch {
    /// Position of the query in the list given to [`QuerySet::new`].
    pub index: usize,
    /// Matched surface text from the item (title first, then text, then
    /// author), deduplicated, in order of appearance.
    pub terms: Vec<String>,
    /// Byte ranges in `Fields::text` of the positive hits, sorted, with
    /// overlapping hits merged; empty if the hits were only in the title or
    /// author.
    pub spans: Vec<Range<usize>>,
}

/// Many queries compiled into one index, to be shared across threads.
#[derive(Debug)]
pub struct QuerySet {
    index: Index,
}

impl QuerySet {
    pub fn new(queries: Vec<Query>) -> QuerySet {
        QuerySet {
            index: Index::build(queries.iter().map(|q| &q.root)),
        }
    }

    pub fn len(&self) -> usize {
        self.index.roots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.roots.is_empty()
    }

    /// Every query that matches, in index order. Each field is tokenized
    /// once; only queries with an anchor present in the item are evaluated.
    pub fn matches(&self, fields: &Fields<'_>) -> Vec<QueryMatch> {
        self.matches_detecting(fields, || None)
    }

    /// As [`matches`](Self::matches), for an item whose language
    /// `fields.lang` may not say: `detect` is called (at most once) for it
    /// only when a `lang:` term could change the answer.
    pub fn matches_detecting(
        &self,
        fields: &Fields<'_>,
        detect: impl FnOnce() -> Option<String>,
    ) -> Vec<QueryMatch> {
        let mut doc = self.prepare(fields);
        let candidates = |d: &Doc| {
            let host = d.url_key.as_deref().map(site::key_host);
            self.index.candidates(&d.hits, host, d.lang.as_deref())
        };
        let mut found = candidates(&doc);
        if doc.lang.is_none() && self.index.needs_lang(&found) {
            doc.lang = detect().map(|l| lang_key(&l));
            if doc.lang.is_some() {
                found = candidates(&doc);
            }
        }
        found
            .into_iter()
            .map(|q| q as usize)
            .filter(|&q| eval::truth(&self.index.roots[q], &doc))
            .map(|q| evidence(q, &self.index.roots[q], &doc))
            .collect()
    }

    fn prepare<'a>(&self, fields: &Fields<'a>) -> Doc<'a> {
        let text = [
            fields.text,
            fields.title.unwrap_or(""),
            fields.author.unwrap_or(""),
        ];
        // Tokens go straight into the index scan; only where they are is
        // kept, so a long text does not hold a normalized copy of each word.
        let mut hits = index::Hits::default();
        let mut breaks: [Vec<tokenize::Break>; 3] = Default::default();
        let tokens = std::array::from_fn(|slot| {
            let mut offsets = Vec::new();
            tokenize::each(text[slot], |tok| {
                self.index
                    .scan_token(&mut hits, slot, offsets.len() as u32, tok);
                offsets.push(tok.start..tok.end);
                breaks[slot].push(tok.brk);
            });
            offsets
        });
        Doc {
            text,
            tokens,
            breaks,
            hits,
            url_key: fields.url.map(site::url_key),
            lang: fields.lang.map(lang_key),
        }
    }
}

/// A language tag as `lang:` terms compare it: lowercase, `-` for `_`.
fn lang_key(tag: &str) -> String {
    tag.to_ascii_lowercase().replace('_', "-")
}

fn evidence(index: usize, root: &index::Node, doc: &Doc) -> QueryMatch {
    let mut hits = Vec::new();
    eval::collect(root, doc, &mut hits);
    // Title reads before text, author last.
    hits.sort_by_key(|(slot, r)| ([1, 0, 2][*slot], r.start, r.end));
    let mut merged: Vec<(usize, Range<usize>)> = Vec::with_capacity(hits.len());
    for (slot, r) in hits {
        match merged.last_mut() {
            Some((s, last)) if *s == slot && r.start < last.end => last.end = last.end.max(r.end),
            _ => merged.push((slot, r)),
        }
    }
    let mut terms: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<&str> = Default::default();
    for (slot, r) in &merged {
        let surface = &doc.text[*slot][r.clone()];
        if seen.insert(surface) {
            terms.push(surface.to_string());
        }
    }
    let spans = merged
        .into_iter()
        .filter(|(s, _)| *s == 0)
        .map(|(_, r)| r)
        .collect();
    QueryMatch {
        index,
        terms,
        spans,
    }
}
