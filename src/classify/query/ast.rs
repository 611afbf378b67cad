//! The parsed form of a query: what it asks for, with words already
//! normalized and columns kept for error messages.
//!
//! Owns the tree and the structural rules on it (which nodes can stand
//! beside NEAR, which ones count as positive). It does not parse text or
//! match documents.

/// Which parts of an item a word may occur in, as a bit set.
pub(crate) type FieldSet = u8;
pub(crate) const TEXT: FieldSet = 1;
pub(crate) const TITLE: FieldSet = 2;
pub(crate) const AUTHOR: FieldSet = 4;
/// Terms with no `title:`/`author:` look in the title and the text.
pub(crate) const DEFAULT_FIELDS: FieldSet = TEXT | TITLE;

/// One query word, normalized like document tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Word {
    Exact(String),
    /// Holds `*` (any run of characters) and `?` (one character).
    Wild(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    pub kind: Kind,
    /// 1-based column where the node starts in the query text.
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Word {
        word: Word,
        fields: FieldSet,
    },
    /// Consecutive words; with `slop`, any order with at most `slop` other
    /// words among them.
    Phrase {
        words: Vec<Word>,
        slop: Option<u32>,
        fields: FieldSet,
        /// Per gap between two words: the punctuation the phrase itself has
        /// there when it would end a phrase (`"U.S. Steel"`: `.`), which
        /// the text may then have too; empty for an ordinary gap.
        joins: Vec<String>,
    },
    /// Case- and punctuation-exact substring of the raw field text.
    Raw {
        needle: String,
        fields: FieldSet,
    },
    /// Normalized host (see `site::site_host`).
    Site(String),
    /// Normalized URL prefix (see `site::url_key`).
    Url(String),
    /// Normalized language tag (see `site::lang_tag`).
    Lang(String),
    /// At most `dist` words between the two sides; `ordered`: left first.
    Near {
        left: Box<Expr>,
        right: Box<Expr>,
        dist: u32,
        ordered: bool,
        /// `NEAR/Nx`: the sides may be in different sentences; otherwise
        /// a sentence end between them keeps them apart.
        across: bool,
        /// `NOT NEAR/N`: the left side where the right one is *not* near.
        without: bool,
    },
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
}

impl Expr {
    /// Can this node only match where some positive evidence is present?
    /// A query must, or it would match nearly every item.
    pub fn is_positive(&self) -> bool {
        match &self.kind {
            Kind::And(xs) => xs.iter().any(Expr::is_positive),
            Kind::Or(xs) => xs.iter().all(Expr::is_positive),
            Kind::Not(_) => false,
            _ => true,
        }
    }

    /// The node to blame when [`Self::is_positive`] is false, with a
    /// description of it.
    pub fn non_positive_culprit(&self) -> (usize, &'static str) {
        match &self.kind {
            Kind::Or(xs) => match xs.iter().find(|x| !x.is_positive()) {
                Some(x) if matches!(x.kind, Kind::Or(_)) => x.non_positive_culprit(),
                Some(x) => (x.col, "an OR alternative made only of NOT terms"),
                None => (self.col, "only NOT terms"),
            },
            _ => (self.col, "only NOT terms"),
        }
    }

    /// Nodes with word positions, which NEAR can measure distances between.
    pub fn is_positional(&self) -> bool {
        match &self.kind {
            Kind::Word { .. } | Kind::Phrase { .. } | Kind::Near { .. } => true,
            Kind::Or(xs) => xs.iter().all(Expr::is_positional),
            _ => false,
        }
    }

    /// How an error message names this node.
    pub fn describe(&self) -> &'static str {
        match &self.kind {
            Kind::Word { .. } => "a word",
            Kind::Phrase { .. } => "a phrase",
            Kind::Raw { .. } => "a raw: match",
            Kind::Site(_) => "a site: restriction",
            Kind::Url(_) => "a url: restriction",
            Kind::Lang(_) => "a lang: restriction",
            Kind::Near { .. } => "a NEAR",
            Kind::And(_) => "an AND group",
            Kind::Or(_) => "an OR group with a non-word alternative",
            Kind::Not(_) => "a NOT",
        }
    }

    /// Restricts every term below to `fields`; `Err` is the column of a
    /// term that already had its own restriction.
    pub fn restrict(&mut self, fields: FieldSet) -> Result<(), usize> {
        let col = self.col;
        match &mut self.kind {
            Kind::Word { fields: f, .. }
            | Kind::Phrase { fields: f, .. }
            | Kind::Raw { fields: f, .. } => {
                if *f != DEFAULT_FIELDS {
                    return Err(col);
                }
                *f = fields;
            }
            Kind::Near { left, right, .. } => {
                left.restrict(fields)?;
                right.restrict(fields)?;
            }
            Kind::And(xs) | Kind::Or(xs) => {
                for x in xs {
                    x.restrict(fields)?;
                }
            }
            Kind::Not(x) => x.restrict(fields)?,
            Kind::Site(_) | Kind::Url(_) | Kind::Lang(_) => {}
        }
        Ok(())
    }
}
