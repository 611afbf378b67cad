//! Cutting a query string into lexemes: operators, terms, phrases, fields.
//!
//! Owns the surface syntax (what counts as an operator, how quotes, `~N`,
//! `NEAR/N` and `field:` prefixes are spelled) and the column numbers errors
//! point at. It does not decide what terms mean or how they combine; that
//! is the parser's job.

use super::QueryError;

/// Fields that restrict the terms after them rather than taking a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Title,
    Author,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    LParen,
    RParen,
    And,
    Or,
    Not,
    Near {
        dist: u32,
        ordered: bool,
        /// `x`: the two sides may be in different sentences.
        across: bool,
    },
    /// A bare term as written; it may hold several words or wildcards.
    Term(String),
    Phrase {
        text: String,
        slop: Option<u32>,
    },
    Scope(Scope),
    Raw(String),
    Site(String),
    Url(String),
    Lang(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Lexeme {
    pub tok: Tok,
    /// 1-based character column where the lexeme starts.
    pub col: usize,
    /// 1-based column of the first character of the term or phrase text.
    pub text_col: usize,
}

impl Lexeme {
    /// How an error message names this lexeme.
    pub fn describe(&self) -> String {
        match &self.tok {
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::And => "AND".into(),
            Tok::Or => "OR".into(),
            Tok::Not => "NOT".into(),
            Tok::Near {
                dist,
                ordered,
                across,
            } => format!(
                "NEAR/{dist}{}{}",
                if *ordered { "f" } else { "" },
                if *across { "x" } else { "" }
            ),
            Tok::Term(t) => format!("'{t}'"),
            Tok::Phrase { text, .. } => format!("\"{text}\""),
            Tok::Scope(Scope::Title) => "title:".into(),
            Tok::Scope(Scope::Author) => "author:".into(),
            Tok::Raw(v) => format!("raw:{v}"),
            Tok::Site(v) => format!("site:{v}"),
            Tok::Url(v) => format!("url:{v}"),
            Tok::Lang(v) => format!("lang:{v}"),
        }
    }
}

pub(crate) fn err(
    position: usize,
    expected: impl Into<String>,
    found: impl Into<String>,
) -> QueryError {
    QueryError {
        position,
        expected: expected.into(),
        found: found.into(),
    }
}

/// Names a character (or the end of input) for an error message.
pub(crate) fn describe_char(c: Option<char>) -> String {
    match c {
        None => "end of query".into(),
        Some(c) if c.is_whitespace() => "a space".into(),
        Some(c) => format!("'{c}'"),
    }
}

const FIELDS: &str = "one of the fields title:, author:, site:, url:, lang:, raw: (quote text that contains a colon)";

pub(crate) fn lex(input: &str) -> Result<Vec<Lexeme>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        let simple = |tok| Lexeme {
            tok,
            col,
            text_col: col,
        };
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(simple(Tok::LParen));
            i += 1;
        } else if c == ')' {
            out.push(simple(Tok::RParen));
            i += 1;
        } else if c == '"' {
            let (text, next) = quoted(&chars, i)?;
            let (slop, next) = slop(&chars, next)?;
            out.push(Lexeme {
                tok: Tok::Phrase { text, slop },
                col,
                text_col: col + 1,
            });
            i = next;
        } else {
            let end = run_end(&chars, i, |c| {
                c.is_whitespace() || matches!(c, '(' | ')' | '"')
            });
            let word: String = chars[i..end].iter().collect();
            i = match field_name(&word) {
                Some(name) => field(&chars, i, name, &mut out)?,
                None => {
                    out.push(bare(word, col)?);
                    end
                }
            };
        }
    }
    Ok(out)
}

fn run_end(chars: &[char], mut i: usize, stop: impl Fn(char) -> bool) -> usize {
    while i < chars.len() && !stop(chars[i]) {
        i += 1;
    }
    i
}

/// Reads `"..."` starting at the opening quote; returns the text and the
/// index after the closing quote.
fn quoted(chars: &[char], open: usize) -> Result<(String, usize), QueryError> {
    let close = run_end(chars, open + 1, |c| c == '"');
    if close == chars.len() {
        return Err(err(
            open + 1,
            "a closing '\"' for this phrase",
            "end of query",
        ));
    }
    Ok((chars[open + 1..close].iter().collect(), close + 1))
}

fn slop(chars: &[char], i: usize) -> Result<(Option<u32>, usize), QueryError> {
    if chars.get(i) != Some(&'~') {
        return Ok((None, i));
    }
    let end = run_end(chars, i + 1, |c| !c.is_ascii_digit());
    let digits: String = chars[i + 1..end].iter().collect();
    match digits.parse::<u32>() {
        Ok(n) => Ok((Some(n), end)),
        Err(_) if digits.is_empty() => Err(err(
            i + 2,
            "a number of words after '~' (like \"acme cloud\"~3)",
            describe_char(chars.get(i + 1).copied()),
        )),
        Err(_) => Err(err(
            i + 2,
            "a number of words small enough to count",
            format!("'{digits}'"),
        )),
    }
}

/// `Some(name)` when `word` starts with letters and a colon.
fn field_name(word: &str) -> Option<String> {
    let (name, _) = word.split_once(':')?;
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| name.to_ascii_lowercase())
}

/// Lexes `name:value` starting at `i`; returns the index to continue from.
fn field(
    chars: &[char],
    i: usize,
    name: String,
    out: &mut Vec<Lexeme>,
) -> Result<usize, QueryError> {
    let col = i + 1;
    let vi = i + name.chars().count() + 1;
    let next = chars.get(vi).copied();
    let no_value = match next {
        None | Some(')') => true,
        Some(c) => c.is_whitespace(),
    };
    if no_value {
        return Err(err(
            vi + 1,
            format!("a value right after {name}:"),
            describe_char(next),
        ));
    }
    let scope = match name.as_str() {
        "title" => Some(Scope::Title),
        "author" => Some(Scope::Author),
        "raw" | "site" | "url" | "lang" => None,
        _ => return Err(err(col, FIELDS, format!("'{name}:'"))),
    };
    if let Some(scope) = scope {
        out.push(Lexeme {
            tok: Tok::Scope(scope),
            col,
            text_col: vi + 1,
        });
        return Ok(vi);
    }
    let (value, end) = if next == Some('"') {
        quoted(chars, vi)?
    } else {
        let end = run_end(chars, vi, |c| c.is_whitespace() || c == ')');
        (chars[vi..end].iter().collect(), end)
    };
    if value.trim().is_empty() {
        return Err(err(
            vi + 1,
            format!("a value for {name}:"),
            "an empty value",
        ));
    }
    let tok = match name.as_str() {
        "raw" => Tok::Raw(value),
        "site" => Tok::Site(value),
        "url" => Tok::Url(value),
        _ => Tok::Lang(value),
    };
    out.push(Lexeme {
        tok,
        col,
        text_col: vi + 1,
    });
    Ok(end)
}

fn bare(word: String, col: usize) -> Result<Lexeme, QueryError> {
    let tok = match word.as_str() {
        "AND" => Tok::And,
        "OR" => Tok::Or,
        "NOT" => Tok::Not,
        "NEAR" => return Err(err(
            col + 4,
            "'/' and a distance after NEAR (like NEAR/5; quote \"NEAR\" to search for the word)",
            "a space",
        )),
        w if w.starts_with("NEAR/") => near(&w[5..], col + 5)?,
        // Web-search habit: `-acme` would silently search for acme.
        w if w
            .strip_prefix('-')
            .is_some_and(|r| r.starts_with(char::is_alphanumeric)) =>
        {
            return Err(err(
                col,
                "NOT before a term to exclude it (NOT acme)",
                format!("'{w}'"),
            ))
        }
        _ => Tok::Term(word.clone()),
    };
    Ok(Lexeme {
        tok,
        col,
        text_col: col,
    })
}

fn near(spec: &str, col: usize) -> Result<Tok, QueryError> {
    let (rest, across) = match spec.strip_suffix('x') {
        Some(d) => (d, true),
        None => (spec, false),
    };
    let (digits, ordered) = match rest.strip_suffix('f') {
        Some(d) => (d, true),
        None => (rest, false),
    };
    let bad = || {
        let found = if spec.is_empty() {
            "nothing".to_string()
        } else {
            format!("'{spec}'")
        };
        err(
            col,
            "a number of words after NEAR/ (like NEAR/5, NEAR/5f or NEAR/5x)",
            found,
        )
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    let dist = digits.parse::<u32>().map_err(|_| bad())?;
    Ok(Tok::Near {
        dist,
        ordered,
        across,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(q: &str) -> Vec<Tok> {
        lex(q).unwrap().into_iter().map(|l| l.tok).collect()
    }

    #[test]
    fn lexes_operators_phrases_and_fields() {
        assert_eq!(
            toks(r#"(acme OR "acme cloud"~3) NEAR/5f title:x site:example.com) raw:"A B+""#),
            [
                Tok::LParen,
                Tok::Term("acme".into()),
                Tok::Or,
                Tok::Phrase {
                    text: "acme cloud".into(),
                    slop: Some(3)
                },
                Tok::RParen,
                Tok::Near {
                    dist: 5,
                    ordered: true,
                    across: false
                },
                Tok::Scope(Scope::Title),
                Tok::Term("x".into()),
                Tok::Site("example.com".into()),
                Tok::RParen,
                Tok::Raw("A B+".into()),
            ]
        );
    }

    #[test]
    fn lowercase_operators_are_plain_words() {
        assert_eq!(
            toks("and or not near"),
            ["and", "or", "not", "near"].map(|w| Tok::Term(w.into()))
        );
    }

    #[test]
    fn url_values_keep_their_colons_and_slashes() {
        assert_eq!(
            toks("url:https://example.com/blog?x=1 lang:en-GB"),
            [
                Tok::Url("https://example.com/blog?x=1".into()),
                Tok::Lang("en-GB".into())
            ]
        );
    }

    #[test]
    fn a_leading_minus_asks_for_not() {
        let e = lex("acme -refund").unwrap_err();
        assert_eq!((e.position, e.found.as_str()), (6, "'-refund'"));
        assert!(
            lex("wi-fi \"-x\"").is_ok(),
            "inside a word or quoted, '-' is punctuation"
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let lexemes = lex("café AND x").unwrap();
        assert_eq!(lexemes[1].col, 6);
        assert_eq!(lexemes[2].col, 10);
    }
}
