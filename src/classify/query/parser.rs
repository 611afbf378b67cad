//! Turning lexemes into a query tree, with errors that point at a column.
//!
//! Owns the grammar: precedence (NEAR binds tightest, then NOT, AND, OR),
//! adjacency read as AND, and the checks that need structure (NEAR operands,
//! nested field restrictions, at least one positive term). It does not match
//! anything.
//!
//! ```text
//! query   := or
//! or      := and ("OR" and)*
//! and     := unary (["AND"] unary)*
//! unary   := "NOT" unary | near
//! near    := primary ("NEAR/n" primary)*
//! primary := term | phrase | "(" or ")" | ("title:" | "author:") primary
//!          | raw: | site: | url: | lang:
//! ```

use super::ast::{Expr, Kind, Word, AUTHOR, DEFAULT_FIELDS, TITLE};
use super::eval::punctuation;
use super::lexer::{err, lex, Lexeme, Scope, Tok};
use super::site;
use super::tokenize::{tokenize_query, Break, Token};
use super::QueryError;

pub(crate) fn parse_expr(input: &str) -> Result<Expr, QueryError> {
    let lexemes = lex(input)?;
    let mut p = Parser {
        lx: &lexemes,
        pos: 0,
        end_col: input.chars().count() + 1,
    };
    let expr = p.or("")?;
    if let Some(l) = p.lx.get(p.pos) {
        let found = match l.tok {
            Tok::RParen => "')' without a matching '('".to_string(),
            _ => l.describe(),
        };
        return Err(err(
            l.col,
            "an operator, a term or the end of the query",
            found,
        ));
    }
    if !expr.is_positive() {
        let (col, found) = expr.non_positive_culprit();
        return Err(err(col, "at least one positive term", found));
    }
    Ok(expr)
}

struct Parser<'a> {
    lx: &'a [Lexeme],
    pos: usize,
    /// Column reported for "end of query".
    end_col: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.lx.get(self.pos).map(|l| &l.tok)
    }

    fn or(&mut self, ctx: &str) -> Result<Expr, QueryError> {
        let mut xs = vec![self.and(ctx)?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            xs.push(self.and("after OR")?);
        }
        Ok(combine(xs, Kind::Or))
    }

    fn and(&mut self, ctx: &str) -> Result<Expr, QueryError> {
        let mut xs = vec![self.unary(ctx)?];
        loop {
            match self.peek() {
                Some(Tok::And) => {
                    self.pos += 1;
                    xs.push(self.unary("after AND")?);
                }
                Some(Tok::Or | Tok::RParen | Tok::Near { .. }) | None => break,
                // Anything else starts a term: adjacency means AND.
                Some(_) => xs.push(self.unary("")?),
            }
        }
        Ok(combine(xs, Kind::And))
    }

    fn unary(&mut self, ctx: &str) -> Result<Expr, QueryError> {
        match self.lx.get(self.pos) {
            Some(l) if l.tok == Tok::Not => {
                self.pos += 1;
                let inner = self.unary("after NOT")?;
                Ok(Expr {
                    kind: Kind::Not(Box::new(inner)),
                    col: l.col,
                })
            }
            _ => self.near(ctx),
        }
    }

    fn near(&mut self, ctx: &str) -> Result<Expr, QueryError> {
        let mut left = self.primary(ctx)?;
        loop {
            // `NOT NEAR/N` is one operator: the left side where the right
            // one is not near (a `NOT` scoped to the mention).
            let without = self.peek() == Some(&Tok::Not)
                && matches!(
                    self.lx.get(self.pos + 1).map(|l| &l.tok),
                    Some(Tok::Near { .. })
                );
            let Some(l) = self.lx.get(self.pos + usize::from(without)) else {
                break;
            };
            let Tok::Near {
                dist,
                ordered,
                across,
            } = l.tok
            else {
                break;
            };
            self.pos += 1 + usize::from(without);
            let op = match without {
                true => format!("NOT {}", l.describe()),
                false => l.describe(),
            };
            let right = self.primary(&format!("after {op}"))?;
            for side in [&left, &right] {
                if !side.is_positional() {
                    let expected =
                        format!("a word, phrase or OR-group of words and phrases beside {op}");
                    return Err(err(side.col, expected, side.describe()));
                }
            }
            let col = left.col;
            left = Expr {
                kind: Kind::Near {
                    left: Box::new(left),
                    right: Box::new(right),
                    dist,
                    ordered,
                    across,
                    without,
                },
                col,
            };
        }
        Ok(left)
    }

    fn primary(&mut self, ctx: &str) -> Result<Expr, QueryError> {
        let expected = if ctx.is_empty() {
            "a term or '('".to_string()
        } else {
            format!("a term or '(' {ctx}")
        };
        let Some(l) = self.lx.get(self.pos) else {
            return Err(err(self.end_col, expected, "end of query"));
        };
        self.pos += 1;
        let kind = match &l.tok {
            Tok::Term(text) => return words(text, None, l),
            Tok::Phrase { text, slop } => return words(text, Some(*slop), l),
            Tok::LParen => return self.group(l),
            Tok::Scope(scope) => return self.scoped(*scope, l),
            Tok::Raw(needle) => Kind::Raw {
                needle: needle.clone(),
                fields: DEFAULT_FIELDS,
            },
            Tok::Site(v) => Kind::Site(site::site_host(v).map_err(|found| {
                err(
                    l.text_col,
                    "a host name like example.com after site:",
                    found,
                )
            })?),
            Tok::Url(v) => Kind::Url(site::url_key(v)),
            Tok::Lang(v) => Kind::Lang(site::lang_tag(v).map_err(|found| {
                err(
                    l.text_col,
                    "a language code like en or pt-BR after lang:",
                    found,
                )
            })?),
            Tok::RParen | Tok::And | Tok::Or | Tok::Not | Tok::Near { .. } => {
                return Err(err(l.col, expected, l.describe()))
            }
        };
        Ok(Expr { kind, col: l.col })
    }

    fn group(&mut self, open: &Lexeme) -> Result<Expr, QueryError> {
        let inner = self.or("after '('")?;
        match self.lx.get(self.pos) {
            Some(l) if l.tok == Tok::RParen => {
                self.pos += 1;
                // Errors about a group as a whole point at its '('.
                let col = match inner.kind {
                    Kind::And(_) | Kind::Or(_) | Kind::Not(_) => open.col,
                    _ => inner.col,
                };
                Ok(Expr { col, ..inner })
            }
            next => Err(err(
                next.map_or(self.end_col, |l| l.col),
                format!("')' to close the '(' at column {}", open.col),
                next.map_or("end of query".to_string(), Lexeme::describe),
            )),
        }
    }

    fn scoped(&mut self, scope: Scope, l: &Lexeme) -> Result<Expr, QueryError> {
        let (fields, name) = match scope {
            Scope::Title => (TITLE, "title:"),
            Scope::Author => (AUTHOR, "author:"),
        };
        let mut inner = self.primary(&format!("after {name}"))?;
        if let Err(col) = inner.restrict(fields) {
            let expected = format!("a term without a field of its own inside {name}");
            return Err(err(col, expected, "a nested title: or author:"));
        }
        inner.col = l.col;
        Ok(inner)
    }
}

fn combine(mut xs: Vec<Expr>, kind: fn(Vec<Expr>) -> Kind) -> Expr {
    if xs.len() == 1 {
        return xs.pop().expect("one element");
    }
    let col = xs[0].col;
    Expr {
        kind: kind(xs),
        col,
    }
}

/// A bare term (`slop` = None) or a quoted phrase. Either may hold several
/// words, and then it is a phrase: `e-mail` and `索尼` match as sequences.
fn words(text: &str, slop: Option<Option<u32>>, l: &Lexeme) -> Result<Expr, QueryError> {
    let tokens = tokenize_query(text).map_err(|byte| {
        let col = l.text_col + text[..byte].chars().count();
        let c = text[byte..].chars().next().unwrap_or('*');
        err(
            col,
            "a letter or digit before the wildcard",
            format!("'{c}' at the start of a word"),
        )
    })?;
    if tokens.is_empty() {
        return Err(match slop {
            Some(_) if text.trim().is_empty() => err(
                l.col,
                "at least one word inside the quotes",
                "an empty phrase",
            ),
            Some(_) => err(
                l.col,
                "at least one word inside the quotes",
                format!("\"{text}\" (no letters or digits)"),
            ),
            None => err(
                l.col,
                "a word with letters, digits or emoji (use raw: for punctuation)",
                format!("'{text}'"),
            ),
        });
    }
    let joins = tokens
        .windows(2)
        .map(|w| match w[1].brk {
            Break::None => String::new(),
            _ => punctuation(&text[w[0].end..w[1].start]),
        })
        .collect();
    let mut words: Vec<Word> = tokens.into_iter().map(word).collect();
    let kind = if words.len() == 1 {
        Kind::Word {
            word: words.pop().expect("one word"),
            fields: DEFAULT_FIELDS,
        }
    } else {
        Kind::Phrase {
            words,
            slop: slop.flatten(),
            fields: DEFAULT_FIELDS,
            joins,
        }
    };
    Ok(Expr { kind, col: l.col })
}

fn word(t: Token) -> Word {
    if t.wild {
        Word::Wild(t.norm)
    } else {
        Word::Exact(t.norm)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (column, expected, found) of the error for `q`.
    fn error(q: &str) -> (usize, String, String) {
        let e = parse_expr(q).expect_err(q);
        (e.position, e.expected, e.found)
    }

    #[test]
    fn dangling_operator_points_past_the_end() {
        let e = parse_expr("acme AND ").unwrap_err();
        assert_eq!(
            e.to_string(),
            "column 10: expected a term or '(' after AND, found end of query"
        );
        assert_eq!(
            error("acme OR"),
            (8, "a term or '(' after OR".into(), "end of query".into())
        );
        assert_eq!(error("acme AND OR x").0, 10);
        assert_eq!(error("OR acme"), (1, "a term or '('".into(), "OR".into()));
        assert_eq!(
            error("acme NOT"),
            (9, "a term or '(' after NOT".into(), "end of query".into())
        );
        assert_eq!(
            error(""),
            (1, "a term or '('".into(), "end of query".into())
        );
    }

    #[test]
    fn unbalanced_parentheses_name_both_ends() {
        assert_eq!(
            error("(acme OR cloud"),
            (
                15,
                "')' to close the '(' at column 1".into(),
                "end of query".into()
            )
        );
        assert_eq!(error("acme OR cloud)").0, 14);
        assert_eq!(error("acme OR cloud)").2, "')' without a matching '('");
        assert_eq!(
            error("acme ()"),
            (7, "a term or '(' after '('".into(), "')'".into())
        );
    }

    #[test]
    fn phrase_errors() {
        assert_eq!(
            error("acme \"\""),
            (
                6,
                "at least one word inside the quotes".into(),
                "an empty phrase".into()
            )
        );
        assert_eq!(error("\"  \"").2, "an empty phrase");
        assert_eq!(error("\"!!\"").2, "\"!!\" (no letters or digits)");
        assert_eq!(
            error("x \"acme cloud"),
            (
                3,
                "a closing '\"' for this phrase".into(),
                "end of query".into()
            )
        );
        assert_eq!(error("\"acme cloud\"~x").0, 14);
        assert_eq!(error("\"acme cloud\"~").2, "end of query");
    }

    #[test]
    fn wildcard_at_start_of_a_word() {
        assert_eq!(
            error("*acme"),
            (
                1,
                "a letter or digit before the wildcard".into(),
                "'*' at the start of a word".into()
            )
        );
        assert_eq!(error("acme OR ?cme").0, 9);
        // Inside a phrase the column counts from the query start.
        assert_eq!(error("\"foo *bar\"").0, 6);
        assert_eq!(error("acme-*").0, 6);
    }

    #[test]
    fn bad_near_distances() {
        let expected =
            "a number of words after NEAR/ (like NEAR/5, NEAR/5f or NEAR/5x)".to_string();
        assert_eq!(
            error("acme NEAR/x cloud"),
            (11, expected.clone(), "'x'".into())
        );
        assert_eq!(
            error("acme NEAR/ cloud"),
            (11, expected.clone(), "nothing".into())
        );
        assert_eq!(error("acme NEAR/5g cloud").2, "'5g'");
        assert_eq!(error("acme NEAR/99999999999 cloud").0, 11);
        assert_eq!(error("acme NEAR cloud").0, 10);
        assert_eq!(error("acme NEAR/3").1, "a term or '(' after NEAR/3");
    }

    #[test]
    fn near_needs_positional_sides() {
        let (col, expected, found) = error("acme NEAR/3 (b AND c)");
        assert_eq!(col, 13);
        assert_eq!(
            expected,
            "a word, phrase or OR-group of words and phrases beside NEAR/3"
        );
        assert_eq!(found, "an AND group");
        assert_eq!(error("site:x.com NEAR/2f acme").2, "a site: restriction");
        assert_eq!(error("acme NEAR/3 NOT x").2, "NOT");
        assert!(parse_expr("(a OR \"b c\") NEAR/3 d NEAR/1 e").is_ok());
    }

    #[test]
    fn field_errors() {
        assert_eq!(error("acme foo:bar").0, 6);
        assert!(error("acme foo:bar")
            .1
            .starts_with("one of the fields title:"));
        assert_eq!(error("foo:bar").2, "'foo:'");
        assert_eq!(
            error("title: acme"),
            (7, "a value right after title:".into(), "a space".into())
        );
        assert_eq!(
            error("x title:(author:y)"),
            (
                10,
                "a term without a field of its own inside title:".into(),
                "a nested title: or author:".into()
            )
        );
        assert_eq!(error("site:example.com/blog").0, 6);
        assert_eq!(error("acme lang:en!").0, 11);
        assert_eq!(error("raw:\"\"").2, "an empty value");
    }

    #[test]
    fn a_query_needs_a_positive_term() {
        assert_eq!(
            error("NOT acme"),
            (
                1,
                "at least one positive term".into(),
                "only NOT terms".into()
            )
        );
        assert_eq!(error("NOT a NOT b").0, 1);
        assert_eq!(
            error("acme OR NOT cloud"),
            (
                9,
                "at least one positive term".into(),
                "an OR alternative made only of NOT terms".into()
            )
        );
        assert!(parse_expr("acme NOT cloud").is_ok());
        assert!(
            parse_expr("acme AND (cloud OR NOT x)").is_ok(),
            "acme anchors the query"
        );
    }

    #[test]
    fn terms_that_are_not_words_are_rejected() {
        assert_eq!(
            error("acme !!!"),
            (
                6,
                "a word with letters, digits or emoji (use raw: for punctuation)".into(),
                "'!!!'".into()
            )
        );
    }

    #[test]
    fn precedence_near_not_and_or() {
        let e = parse_expr("a OR b c NOT d NEAR/2 e").unwrap();
        let Kind::Or(alts) = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!(alts.len(), 2);
        let Kind::And(conj) = &alts[1].kind else {
            panic!("{e:?}")
        };
        assert_eq!(conj.len(), 3);
        let Kind::Not(neg) = &conj[2].kind else {
            panic!("{e:?}")
        };
        assert!(matches!(
            neg.kind,
            Kind::Near {
                dist: 2,
                ordered: false,
                ..
            }
        ));
    }

    #[test]
    fn terms_of_several_words_become_phrases() {
        let e = parse_expr("索尼").unwrap();
        assert_eq!(
            e.kind,
            Kind::Phrase {
                words: vec![Word::Exact("索".into()), Word::Exact("尼".into())],
                slop: None,
                fields: DEFAULT_FIELDS,
                joins: vec![String::new()],
            }
        );
        let e = parse_expr("title:\"Acme Clo*\"~2").unwrap();
        assert_eq!(
            e.kind,
            Kind::Phrase {
                words: vec![Word::Exact("acme".into()), Word::Wild("clo*".into())],
                slop: Some(2),
                fields: TITLE,
                joins: vec![String::new()],
            }
        );
    }
}
