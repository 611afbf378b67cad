//! The CSS selectors a pipeline file gives for a blog page, and their
//! compilation.
//!
//! Owns the user-facing shape of the `selectors` table and the reporting of
//! selectors that do not parse. It does not apply them; the page source does.

use scraper::Selector;
use serde::{Deserialize, Serialize};

/// CSS selectors that find posts, and the parts of a post, on a blog page.
/// Every selector but `post` is looked up inside one post (or one comment),
/// and parts that sit inside a comment never count for the post.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Selectors {
    /// Each element matching this is one post, e.g. `article.post`.
    pub post: String,
    /// The post's title, e.g. `h1, h2.entry-title`. When it is a link or holds
    /// one, that link is the post's address unless `link` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A link to the post's own page (its `href` is used), e.g. `a.permalink`.
    /// Without it or a linked title, a lone post on the page is the page
    /// itself (its canonical address), and one of several is the page
    /// address plus `#` and the post element's `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The author's name, e.g. `.byline .author`. When it is a link or holds
    /// one, that link is the author's address unless `author_link` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// A link to the author's profile or blog (its `href` is used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_link: Option<String>,
    /// The publication date: the `datetime` attribute of a `<time>` element
    /// when there is one, else the element's text ("March 9, 2024").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The post's text, e.g. `.entry-content`; several matches are joined.
    /// Without it the whole post element is the text, comments included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Each element matching this inside a post is one comment, e.g.
    /// `.comment`; replies nested in a comment are comments of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The commenter's name inside a comment; a link in it is their address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_author: Option<String>,
    /// The comment's date, read like `date`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_date: Option<String>,
    /// The comment's text, e.g. `.comment-body`. Without it the whole comment
    /// element is the text, its replies included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_body: Option<String>,
}

/// [`Selectors`] parsed and ready to apply.
#[derive(Debug, Clone)]
pub struct CompiledSelectors {
    pub(super) source: Selectors,
    pub(super) post: Selector,
    pub(super) title: Option<Selector>,
    pub(super) link: Option<Selector>,
    pub(super) author: Option<Selector>,
    pub(super) author_link: Option<Selector>,
    pub(super) date: Option<Selector>,
    pub(super) body: Option<Selector>,
    pub(super) comment: Option<Selector>,
    pub(super) comment_author: Option<Selector>,
    pub(super) comment_date: Option<Selector>,
    pub(super) comment_body: Option<Selector>,
}

impl CompiledSelectors {
    /// The selectors as written in the pipeline file.
    pub fn selectors(&self) -> &Selectors {
        &self.source
    }
}

/// A selector that does not parse as CSS.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{selector}` is not a CSS selector earshot can use ({message}); write one such as `article.post` or `.entry h2`")]
pub struct SelectorError {
    /// The field of [`Selectors`] that holds it.
    pub field: &'static str,
    pub selector: String,
    pub message: String,
}

/// Why a selector does not parse, in words for the person who wrote it.
/// scraper's own text for some errors is an internal dump that asks to be
/// reported to its developer, which is no help to a user.
fn reason(e: &scraper::error::SelectorErrorKind<'_>) -> String {
    use scraper::error::SelectorErrorKind as K;
    match e {
        K::UnexpectedToken(_) | K::ExpectedColonOnPseudoElement(_) => {
            let text = e.to_string();
            // "Token \"]\" was not expected"
            match text.split('"').nth(1) {
                Some(t) if !t.is_empty() => format!("`{t}` is not expected there"),
                _ => "a character is not expected there".into(),
            }
        }
        K::EndOfLine => "it ends where more is expected".into(),
        K::InvalidAtRule(_) | K::InvalidAtRuleBody => "@-rules are not selectors".into(),
        K::QualRuleInvalid => "a name in it is not valid".into(),
        K::ExpectedIdentityOnPseudoElement(_) => "a pseudo-element has no name".into(),
        K::UnexpectedSelectorParseError(_) => {
            "it uses syntax that is unsupported or incomplete, such as an unknown pseudo-class"
                .into()
        }
    }
}

impl Selectors {
    /// Parses every selector, reporting all that are invalid at once.
    pub fn compile(&self) -> Result<CompiledSelectors, Vec<SelectorError>> {
        let mut errors = Vec::new();
        let mut one = |field: &'static str, css: &str| match Selector::parse(css) {
            Ok(s) => Some(s),
            Err(e) => {
                let message = reason(&e);
                errors.push(SelectorError {
                    field,
                    selector: css.to_string(),
                    message,
                });
                None
            }
        };
        let post = one("post", &self.post);
        let mut opt = |field, css: &Option<String>| css.as_deref().and_then(|css| one(field, css));
        let compiled = CompiledSelectors {
            title: opt("title", &self.title),
            link: opt("link", &self.link),
            author: opt("author", &self.author),
            author_link: opt("author_link", &self.author_link),
            date: opt("date", &self.date),
            body: opt("body", &self.body),
            comment: opt("comment", &self.comment),
            comment_author: opt("comment_author", &self.comment_author),
            comment_date: opt("comment_date", &self.comment_date),
            comment_body: opt("comment_body", &self.comment_body),
            post: post.unwrap_or_else(|| Selector::parse("*").expect("static selector")),
            source: self.clone(),
        };
        if errors.is_empty() {
            Ok(compiled)
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selectors(post: &str) -> Selectors {
        Selectors {
            post: post.into(),
            title: None,
            link: None,
            author: None,
            author_link: None,
            date: None,
            body: None,
            comment: None,
            comment_author: None,
            comment_date: None,
            comment_body: None,
        }
    }

    #[test]
    fn every_invalid_selector_is_reported_with_its_field() {
        let mut s = selectors("article..post");
        s.title = Some("h1".into());
        s.comment_date = Some("time[".into());
        let errors = s.compile().unwrap_err();
        let fields: Vec<_> = errors
            .iter()
            .map(|e| (e.field, e.selector.as_str()))
            .collect();
        assert_eq!(
            fields,
            [("post", "article..post"), ("comment_date", "time[")]
        );
        assert!(errors[0]
            .to_string()
            .starts_with("`article..post` is not a CSS selector earshot can use ("));
    }

    #[test]
    fn a_selector_error_is_told_in_words_not_the_parser_internals() {
        for css in [":nosuch-pseudo", "a:hover::", "div >", "p[", "##x"] {
            let errors = selectors(css).compile().unwrap_err();
            let text = errors[0].to_string();
            assert!(
                text.starts_with(&format!("`{css}` is not a CSS selector")),
                "{text}"
            );
            assert!(!text.contains("developer"), "{text}");
            assert!(!text.contains('\n'), "{text}");
            assert!(text.contains("such as `article.post`"), "{text}");
        }
    }

    #[test]
    fn valid_selectors_compile_and_remember_their_source() {
        let mut s = selectors("article.post");
        s.body = Some(".entry-content".into());
        assert_eq!(s.compile().unwrap().selectors(), &s);
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let ok: Selectors = serde_json::from_str(r#"{"post": "article", "body": ".c"}"#).unwrap();
        assert_eq!(ok.body.as_deref(), Some(".c"));
        let err =
            serde_json::from_str::<Selectors>(r#"{"post": "article", "bdy": ".c"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `bdy`"), "{err}");
        assert!(
            serde_json::from_str::<Selectors>(r#"{"title": "h1"}"#).is_err(),
            "post is required"
        );
    }
}
