//! HTML named entities in feeds that declare none.
//!
//! Owns rewriting `&eacute;`, `&nbsp;`, `&mdash;` and the other HTML names
//! into numeric character references before the XML parser sees them: XML
//! knows only five names, and one unknown name makes the whole document
//! unreadable, while feeds written by HTML templates use them everywhere.
//! Numeric references to the C1 controls (`&#146;`) are read as the
//! Windows-1252 characters their writers meant (`’`), as browsers and
//! feedparser do. It leaves CDATA sections and comments alone (their `&` is literal) and
//! does not expand entities a document type declares for itself.

use std::sync::OnceLock;

use markup5ever::data::NAMED_ENTITIES;
use regex::Regex;

/// The names XML defines itself.
const XML_NAMES: [&str; 5] = ["amp", "lt", "gt", "quot", "apos"];

/// `xml` with HTML named entities as numeric references, and names nobody
/// defines escaped (`&foo;` becomes the text "&foo;"), as feedparser reads
/// them. A document needing neither is handed back as it is; one that needed
/// either was not well-formed XML, and `warnings` says so.
pub(super) fn html_entities_to_xml(xml: String, warnings: &mut Vec<String>) -> String {
    // A JSON Feed's strings are not XML; their `&` is literal.
    let is_xml = xml.trim_start().starts_with('<');
    if !is_xml || !has_foreign_name(&xml) || xml.contains("<!ENTITY") {
        return xml;
    }
    let mut seen = Seen::default();
    let out = rewrite(&xml, &mut seen);
    warnings.extend(seen.warnings());
    out
}

/// The references rewritten, for the warnings: a few examples of each kind.
#[derive(Default)]
struct Seen {
    html: Vec<String>,
    c1: Vec<String>,
    unknown: Vec<String>,
}

impl Seen {
    const EXAMPLES: usize = 3;

    fn note(list: &mut Vec<String>, reference: &str) {
        if list.len() < Self::EXAMPLES && !list.iter().any(|r| r == reference) {
            list.push(reference.to_string());
        }
    }

    fn warnings(&self) -> Vec<String> {
        let list = |refs: &[String]| refs.join(", ");
        let mut out = Vec::new();
        if !self.html.is_empty() {
            out.push(format!(
                "HTML entities that XML does not define ({}) were read as HTML",
                list(&self.html)
            ));
        }
        if !self.c1.is_empty() {
            out.push(format!(
                "references to C1 control characters ({}) were read as Windows-1252",
                list(&self.c1)
            ));
        }
        if !self.unknown.is_empty() {
            out.push(format!(
                "entities nobody defines ({}) were kept as text",
                list(&self.unknown)
            ));
        }
        out
    }
}

fn rewrite(xml: &str, seen: &mut Seen) -> String {
    let mut out = String::with_capacity(xml.len() + 64);
    let mut rest = xml;
    while let Some(at) = rest.find("<!") {
        replace_in(&rest[..at], &mut out, seen);
        rest = &rest[at..];
        let end = if rest.starts_with("<![CDATA[") {
            rest.find("]]>").map(|i| i + 3)
        } else if rest.starts_with("<!--") {
            rest.find("-->").map(|i| i + 3)
        } else {
            Some(2)
        };
        let end = end.unwrap_or(rest.len());
        out.push_str(&rest[..end]);
        rest = &rest[end..];
    }
    replace_in(rest, &mut out, seen);
    out
}

fn entity() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{0,31});")
            .expect("static regex")
    })
}

fn has_foreign_name(xml: &str) -> bool {
    entity().captures_iter(xml).any(|c| !is_native(&c[1]))
}

/// Whether XML reads the reference as its writer meant: one of its own
/// names, or a number outside the C1 controls.
fn is_native(name: &str) -> bool {
    match name.strip_prefix('#') {
        Some(number) => c1_as_windows_1252(number).is_none(),
        None => XML_NAMES.contains(&name),
    }
}

/// The Windows-1252 character for a reference to a C1 control (0x80-0x9F),
/// which no feed means literally.
fn c1_as_windows_1252(number: &str) -> Option<char> {
    let value = match number.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => number.parse().ok()?,
    };
    let byte = u8::try_from(value)
        .ok()
        .filter(|b| (0x80..=0x9F).contains(b))?;
    let bytes = [byte];
    let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&bytes);
    text.chars().next()
}

/// Appends `text`, which holds no CDATA section or comment, with its
/// entities rewritten.
fn replace_in(text: &str, out: &mut String, seen: &mut Seen) {
    let mut last = 0;
    for c in entity().captures_iter(text) {
        let whole = c.get(0).expect("group 0");
        let name = &c[1];
        if is_native(name) {
            continue;
        }
        out.push_str(&text[last..whole.start()]);
        if let Some(number) = name.strip_prefix('#') {
            let meant = c1_as_windows_1252(number).expect("not native");
            Seen::note(&mut seen.c1, whole.as_str());
            out.push_str(&format!("&#{};", u32::from(meant)));
            last = whole.end();
            continue;
        }
        match NAMED_ENTITIES.get(&format!("{name};")[..]) {
            Some(&(first, second)) => {
                Seen::note(&mut seen.html, whole.as_str());
                out.push_str(&format!("&#{first};"));
                if second != 0 {
                    out.push_str(&format!("&#{second};"));
                }
            }
            None => {
                Seen::note(&mut seen.unknown, whole.as_str());
                out.push_str("&amp;");
                out.push_str(&whole.as_str()[1..]);
            }
        }
        last = whole.end();
    }
    out.push_str(&text[last..]);
}

#[cfg(test)]
mod tests {
    fn html_entities_to_xml(xml: String) -> String {
        super::html_entities_to_xml(xml, &mut Vec::new())
    }

    #[test]
    fn each_kind_of_rewrite_is_reported_with_examples() {
        let mut warnings = Vec::new();
        let xml = "<t>&eacute;&eacute;&nbsp;&#146;&bogus;</t>";
        super::html_entities_to_xml(xml.into(), &mut warnings);
        assert_eq!(
            warnings,
            [
                "HTML entities that XML does not define (&eacute;, &nbsp;) were read as HTML",
                "references to C1 control characters (&#146;) were read as Windows-1252",
                "entities nobody defines (&bogus;) were kept as text",
            ]
        );
        super::html_entities_to_xml("<t>&amp;</t>".into(), &mut warnings);
        assert_eq!(warnings.len(), 3);
    }

    #[test]
    fn html_names_become_numeric_references_outside_cdata() {
        let xml = "<title>Caf&eacute;&nbsp;&mdash; &amp; &hellip;</title>\
                   <!-- &copy; --><d><![CDATA[&eacute;]]></d><x a=\"&reg;\">&bogus;</x>";
        assert_eq!(
            html_entities_to_xml(xml.into()),
            "<title>Caf&#233;&#160;&#8212; &amp; &#8230;</title>\
             <!-- &copy; --><d><![CDATA[&eacute;]]></d><x a=\"&#174;\">&amp;bogus;</x>"
        );
    }

    #[test]
    fn references_to_c1_controls_are_read_as_windows_1252() {
        assert_eq!(
            html_entities_to_xml("<t>don&#146;t &#x80;5 &#160;</t>".into()),
            "<t>don&#8217;t &#8364;5 &#160;</t>"
        );
    }

    #[test]
    fn documents_without_html_names_are_untouched() {
        let xml = "<t>&amp; &lt; &#233; AT&T</t>";
        assert_eq!(html_entities_to_xml(xml.into()), xml);
        let declared = "<!DOCTYPE rss [<!ENTITY eacute \"&#233;\">]><t>&eacute;</t>";
        assert_eq!(html_entities_to_xml(declared.into()), declared);
        let json = r#"{"title": "Caf&eacute;"}"#;
        assert_eq!(html_entities_to_xml(json.into()), json);
    }
}
