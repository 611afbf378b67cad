//! Atom 0.3 documents rewritten as Atom 1.0 before feed-rs reads them.
//!
//! feed-rs knows only Atom 1.0's namespace, so every element of an Atom 0.3
//! feed (`http://purl.org/atom/ns#`) is ignored and its entries vanish. This
//! module owns the mapping feedparser applies: the namespace, `issued` as
//! `published`, `modified` as `updated`, `tagline` as `subtitle`, `copyright`
//! as `rights`, a person's `url` as `uri`, and text constructs whose `type` is a MIME type with a
//! `mode` of `xml`, `escaped` or `base64` as Atom 1.0's `text`, `html` and
//! `xhtml`. It handles the namespace as a default one and under any number of
//! prefixes, and leaves same-named elements of other namespaces alone.

use std::sync::OnceLock;

use base64::Engine;
use regex::{Captures, Regex};

pub(super) const ATOM_03: &str = "http://purl.org/atom/ns#";
const ATOM_10: &str = "http://www.w3.org/2005/Atom";

/// `xml` with Atom 0.3 mapped to Atom 1.0; any other document is handed
/// back as it is.
pub(super) fn to_atom_10(xml: String) -> String {
    if !xml.contains(ATOM_03) {
        return xml;
    }
    let Some(p) = bound_names(&xml) else {
        return xml;
    };
    let xml = xml.replace(ATOM_03, ATOM_10);
    let renamed = Regex::new(&format!(
        r"<(/?)({p})(issued|modified|tagline|copyright|url)(\s|/|>)"
    ))
    .expect("escaped prefix");
    let xml = renamed.replace_all(&xml, |c: &Captures| {
        let name = match &c[3] {
            "issued" => "published",
            "modified" => "updated",
            "tagline" => "subtitle",
            "url" => "uri",
            _ => "rights",
        };
        let prefix = c.get(2).map_or("", |m| m.as_str());
        format!("<{}{prefix}{name}{}", &c[1], &c[4])
    });
    let text = Regex::new(&format!(
        r"(?s)<((?:{p})(?:title|subtitle|summary|content|rights))(\s[^>]*?)?(/?)>"
    ))
    .expect("escaped prefix");
    let mut out = String::with_capacity(xml.len());
    let mut rest: &str = &xml;
    while let Some(c) = text.captures(rest) {
        let whole = c.get(0).expect("group 0");
        out.push_str(&rest[..whole.start()]);
        let attrs = c.get(2).map_or("", |m| m.as_str());
        let after = &rest[whole.end()..];
        let (tag, consumed) = text_construct(&c[1], attrs, &c[3], after);
        out.push_str(&tag);
        rest = &after[consumed..];
    }
    out.push_str(rest);
    out
}

/// A regex alternation of the ways the document names Atom 0.3 elements:
/// every prefix bound to its namespace (`a03:|atom:`), and no prefix when it
/// is a default namespace. Elements of other vocabularies with the same
/// local name (an RSS `<url>`, a `dc:title`) are thereby left alone.
/// `None` when nothing is bound to it.
fn bound_names(xml: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"xmlns(?::([A-Za-z_][\w.-]*))?\s*=\s*["']http://purl\.org/atom/ns#["']"#)
            .expect("static regex")
    });
    let mut forms: Vec<String> = Vec::new();
    for c in re.captures_iter(xml) {
        let form = c
            .get(1)
            .map(|p| format!("{}:", regex::escape(p.as_str())))
            .unwrap_or_default();
        if !forms.contains(&form) {
            forms.push(form);
        }
    }
    // The empty form last, so that a prefix is matched whole when present.
    forms.sort_by_key(String::is_empty);
    (!forms.is_empty()).then(|| forms.join("|"))
}

/// The rewritten start tag (and, for base64, the decoded body and end tag),
/// and how many bytes of `after` that consumed.
fn text_construct(name: &str, attrs: &str, empty: &str, after: &str) -> (String, usize) {
    let media = attr(attrs, "type").unwrap_or_else(|| "text/plain".into());
    let mode = attr(attrs, "mode").unwrap_or_else(|| "xml".into());
    if media.contains('/') && !media.contains("+xml") && !media.starts_with("text/") {
        // An image or other inline media: nothing a reader can use as text.
        return (format!("<{name}{attrs}{empty}>"), 0);
    }
    let html = media.contains("html");
    let kind = match (html, mode.as_str()) {
        (true, "xml") if media.contains("xhtml") => "xhtml",
        (true, _) => "html",
        (false, _) => "text",
    };
    let kept: String = strip_attrs(attrs);
    let open = format!("<{name}{kept} type=\"{kind}\"{empty}>");
    if mode != "base64" || !empty.is_empty() {
        return (open, 0);
    }
    let close = format!("</{name}>");
    let Some(end) = after.find(&close) else {
        return (open, 0);
    };
    let encoded: String = after[..end].split_whitespace().collect();
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
        return (open, 0);
    };
    let body = String::from_utf8_lossy(&decoded)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    (format!("{open}{body}{close}"), end + close.len())
}

fn attr(attrs: &str, name: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"\s(type|mode)\s*=\s*(?:"([^"]*)"|'([^']*)')"#).expect("static regex")
    });
    re.captures_iter(attrs)
        .find(|c| &c[1] == name)
        .and_then(|c| {
            let value = c.get(2).or_else(|| c.get(3))?;
            Some(value.as_str().trim().to_ascii_lowercase())
        })
}

/// The attributes other than `type` and `mode`.
fn strip_attrs(attrs: &str) -> String {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"\s(?:type|mode)\s*=\s*(?:"[^"]*"|'[^']*')"#).expect("static regex")
    });
    re.replace_all(attrs, "").trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atom_03_names_and_text_constructs_become_atom_10() {
        let xml = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><tagline mode="escaped" type="text/html">&lt;b&gt;x&lt;/b&gt;</tagline><entry><issued>2025-01-06T10:00:00Z</issued><content type="text/plain" mode="base64">
            QSAmIEI8Yz4=
        </content></entry></feed>"#;
        assert_eq!(
            to_atom_10(xml.into()),
            r#"<feed version="0.3" xmlns="http://www.w3.org/2005/Atom"><subtitle type="html">&lt;b&gt;x&lt;/b&gt;</subtitle><entry><published>2025-01-06T10:00:00Z</published><content type="text">A &amp; B&lt;c&gt;</content></entry></feed>"#
        );
    }

    #[test]
    fn every_prefix_bound_to_atom_03_is_mapped_and_other_namespaces_are_not() {
        let xml = r#"<a:feed xmlns:a="http://purl.org/atom/ns#"><a:modified>x</a:modified><url>rss</url><a:entry><b:issued xmlns:b="http://purl.org/atom/ns#">y</b:issued><b:content mode="escaped" type="text/html">z</b:content><dc:title>d</dc:title></a:entry></a:feed>"#;
        assert_eq!(
            to_atom_10(xml.into()),
            r#"<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:updated>x</a:updated><url>rss</url><a:entry><b:published xmlns:b="http://www.w3.org/2005/Atom">y</b:published><b:content type="html">z</b:content><dc:title>d</dc:title></a:entry></a:feed>"#
        );
    }

    #[test]
    fn atom_10_is_untouched() {
        let xml =
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">x</title></feed>"#;
        assert_eq!(to_atom_10(xml.into()), xml);
    }
}
