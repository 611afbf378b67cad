//! The pure half of the page source: blog HTML in, posts and comments out.
//!
//! Owns applying the pipeline's CSS [`Selectors`] to a page and finding the
//! feeds a page links to. It does not fetch or decode bodies (the caller runs
//! `normalize::decode` first) and does not follow links to other pages.

pub mod config;
mod selectors;

pub use selectors::{CompiledSelectors, SelectorError, Selectors};

use std::collections::HashSet;

use scraper::{ElementRef, Html, Selector};
use url::Url;

use crate::model::{Author, Item};
use crate::normalize;

/// Feed types a `<link rel="alternate">` may announce.
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
];

/// What a page yielded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedPage {
    /// The page's `<title>`.
    pub title: Option<String>,
    /// Posts, each followed by its comments.
    pub items: Vec<Item>,
    /// Posts and comments that were skipped, and why.
    pub errors: Vec<String>,
}

/// Feeds announced by `<link rel="alternate">` with a feed type, resolved,
/// deduplicated, in document order.
pub fn discover_feeds(html: &str, base: &Url) -> Vec<Url> {
    let doc = crate::normalize::parse_document(html);
    let base = document_base(&doc, base);
    let mut seen = HashSet::new();
    doc.select(&css("link[rel][href]"))
        .filter(|link| {
            let attr = |name| link.value().attr(name).unwrap_or("");
            let alternate = attr("rel")
                .split_ascii_whitespace()
                .any(|r| r.eq_ignore_ascii_case("alternate"));
            let mime = attr("type")
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            alternate && FEED_TYPES.contains(&mime.as_str())
        })
        .filter_map(|link| base.join(link.value().attr("href")?.trim()).ok())
        // WordPress announces its REST API as `application/json` on every
        // page; it is not a feed.
        .filter(|url| !url.path().contains("/wp-json/"))
        .filter(|url| seen.insert(url.clone()))
        .collect()
}

/// Applies `selectors` to a page fetched from `base`.
pub fn extract_posts(html: &str, base: &Url, selectors: &CompiledSelectors) -> ParsedPage {
    let doc = crate::normalize::parse_document(html);
    let root = doc.root_element();
    let base = document_base(&doc, base);
    let canonical = doc
        .select(&css("link[rel=canonical][href]"))
        .find_map(|l| base.join(l.value().attr("href")?.trim()).ok());
    let page = PageContext {
        title: doc
            .select(&css("title"))
            .next()
            .map(one_line)
            .filter(|t| !t.is_empty()),
        lang: root
            .value()
            .attr("lang")
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from),
        base: link_base(base, canonical.as_ref()),
        canonical,
        sel: selectors,
    };
    let posts: Vec<_> = doc.select(&selectors.post).collect();
    let mut out = ParsedPage {
        title: page.title.clone(),
        ..ParsedPage::default()
    };
    let mut seen = HashSet::new();
    for (index, post) in posts.iter().enumerate() {
        let item = match page.post(*post, posts.len() == 1) {
            Ok(item) => item,
            Err(why) => {
                out.errors
                    .push(format!("post {} of the page: {why}; skipped", index + 1));
                continue;
            }
        };
        if !seen.insert(item.key.clone()) {
            out.errors.push(format!(
                "post {} of the page ({}): an earlier post has the same key; skipped",
                index + 1,
                item.key
            ));
            continue;
        }
        let comments = page.comments(*post, &item, &mut out.errors);
        out.items.push(item);
        out.items
            .extend(comments.into_iter().filter(|c| seen.insert(c.key.clone())));
    }
    out
}

struct PageContext<'a> {
    base: Url,
    title: Option<String>,
    lang: Option<String>,
    canonical: Option<Url>,
    sel: &'a CompiledSelectors,
}

impl PageContext<'_> {
    fn post(&self, post: ElementRef<'_>, alone: bool) -> Result<Item, &'static str> {
        let sel = self.sel;
        let part = |s: &Option<Selector>| {
            s.as_ref()
                .and_then(|s| own(post, s, sel.comment.as_ref()).next())
        };
        let title_el = part(&sel.title);
        let title = title_el.map(one_line).filter(|t| !t.is_empty());
        let text = match &sel.body {
            Some(body) => join_text(own(post, body, sel.comment.as_ref())),
            None => normalize::html_to_text(&post.inner_html()),
        };
        if title.is_none() && text.is_empty() {
            return Err("no title and no text");
        }
        let link = part(&sel.link)
            .and_then(|el| self.href(el))
            .or_else(|| {
                title_el.and_then(|el| self.href(el).or_else(|| self.enclosing_href(el, post)))
            })
            .or_else(|| self.fallback_link(post, alone));
        let key = normalize::item_key(None, link.as_deref(), title.as_deref(), &text);
        Ok(Item {
            content_hash: normalize::content_hash(title.as_deref(), &text),
            key,
            url: link,
            title,
            text,
            published: part(&sel.date).and_then(date_of),
            author: self.author(part(&sel.author), part(&sel.author_link)),
            ..self.item()
        })
    }

    fn comments(&self, post: ElementRef<'_>, parent: &Item, errors: &mut Vec<String>) -> Vec<Item> {
        let sel = self.sel;
        let Some(comment_sel) = &sel.comment else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (index, comment) in post.select(comment_sel).enumerate() {
            let part = |s: &Option<Selector>| {
                s.as_ref()
                    .and_then(|s| own(comment, s, Some(comment_sel)).next())
            };
            let text = match &sel.comment_body {
                Some(body) => join_text(own(comment, body, Some(comment_sel))),
                None => normalize::html_to_text(&comment.inner_html()),
            };
            if text.is_empty() {
                errors.push(format!(
                    "comment {} of post {}: no text; skipped",
                    index + 1,
                    parent.key
                ));
                continue;
            }
            let author_el = part(&sel.comment_author);
            let author = self.author(author_el, None);
            let id = comment.value().id().filter(|id| !id.is_empty());
            let name = author.as_ref().and_then(|a| a.name.as_deref());
            let suffix = match id {
                Some(id) => id.to_string(),
                None => normalize::content_hash(name, &text)[..16].to_string(),
            };
            out.push(Item {
                key: format!("{}#c{suffix}", parent.key),
                url: parent.url.as_deref().map(|u| with_fragment(u, id)),
                content_hash: normalize::content_hash(None, &text),
                text,
                published: part(&sel.comment_date).and_then(date_of),
                author,
                parent: Some(parent.key.clone()),
                ..self.item()
            });
        }
        out
    }

    /// The fields every item of this page shares.
    fn item(&self) -> Item {
        Item {
            source_title: self.title.clone(),
            platform: "web".into(),
            lang: self.lang.clone(),
            ..Item::default()
        }
    }

    fn author(
        &self,
        name_el: Option<ElementRef<'_>>,
        link_el: Option<ElementRef<'_>>,
    ) -> Option<Author> {
        let author = Author {
            name: name_el.map(one_line).filter(|n| !n.is_empty()),
            // A profile is a web page; a `mailto:` or a path is no profile.
            url: link_el
                .or(name_el)
                .and_then(|el| self.href(el))
                .filter(|u| u.starts_with("http://") || u.starts_with("https://")),
            ..Author::default()
        };
        (!author.is_empty()).then_some(author)
    }

    /// The `href` of the element, or of the first link inside it, resolved.
    fn href(&self, el: ElementRef<'_>) -> Option<String> {
        let own = el.value().attr("href");
        let inner = || {
            el.select(&css("a[href]"))
                .next()
                .and_then(|a| a.value().attr("href"))
        };
        let href = own.or_else(inner)?.trim();
        self.base.join(href).ok().map(String::from)
    }

    /// Themes wrap a whole title in a link (`<a><h2>…</h2></a>`).
    fn enclosing_href(&self, el: ElementRef<'_>, post: ElementRef<'_>) -> Option<String> {
        el.ancestors()
            .take_while(|n| n.id() != post.id())
            .filter_map(ElementRef::wrap)
            .find(|a| a.value().name() == "a")
            .and_then(|a| self.href(a))
    }

    /// A lone post is the page itself; one of several is the element's anchor.
    fn fallback_link(&self, post: ElementRef<'_>, alone: bool) -> Option<String> {
        if alone {
            let page = self.canonical.as_ref().unwrap_or(&self.base);
            return Some(page.to_string());
        }
        let id = post.value().id().filter(|id| !id.is_empty())?;
        Some(with_fragment(self.base.as_str(), Some(id)))
    }
}

/// Matches of `sel` inside `scope` that do not belong to a nested element
/// matching `nested` (a comment inside the post, a reply inside a comment).
fn own<'a: 's, 's>(
    scope: ElementRef<'a>,
    sel: &'s Selector,
    nested: Option<&'s Selector>,
) -> impl Iterator<Item = ElementRef<'a>> + 's {
    scope.select(sel).filter(move |el| {
        let Some(nested) = nested else { return true };
        std::iter::once(*el)
            .chain(el.ancestors().filter_map(ElementRef::wrap))
            .take_while(|a| a.id() != scope.id())
            .all(|a| !nested.matches(&a))
    })
}

fn join_text<'a>(parts: impl Iterator<Item = ElementRef<'a>>) -> String {
    let texts: Vec<_> = parts
        .map(|el| normalize::html_to_text(&el.inner_html()))
        .filter(|t| !t.is_empty())
        .collect();
    texts.join("\n\n")
}

/// The `datetime` attribute of the element or a `<time>` inside it, else its
/// text, read leniently.
fn date_of(el: ElementRef<'_>) -> Option<chrono::DateTime<chrono::Utc>> {
    let attr = el.value().attr("datetime").or_else(|| {
        el.select(&css("time[datetime]"))
            .next()
            .and_then(|t| t.value().attr("datetime"))
    });
    attr.and_then(normalize::parse_date)
        .or_else(|| normalize::parse_date(&one_line(el)))
}

fn one_line(el: ElementRef<'_>) -> String {
    let text = normalize::html_to_text(&el.inner_html());
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn with_fragment(url: &str, fragment: Option<&str>) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            u.set_fragment(fragment);
            u.into()
        }
        Err(_) => url.to_string(),
    }
}

/// The page address, or the `<base href>` it declares.
fn document_base(doc: &Html, fetched_from: &Url) -> Url {
    doc.select(&css("base[href]"))
        .next()
        .and_then(|b| fetched_from.join(b.value().attr("href")?.trim()).ok())
        .unwrap_or_else(|| fetched_from.clone())
}

/// What the links of posts resolve against: the document's base, unless that
/// is a `file://` path, which says where a copy of the page is stored, not
/// where readers find it; its canonical address stands in then.
fn link_base(base: Url, canonical: Option<&Url>) -> Url {
    match canonical {
        Some(c) if !matches!(base.scheme(), "http" | "https") => c.clone(),
        _ => base,
    }
}

fn css(selector: &str) -> Selector {
    Selector::parse(selector).expect("static selector")
}

#[cfg(test)]
mod tests;
