//! Where relative links in a feed resolve, as far as the document says.
//!
//! Owns reading `xml:base` from the root element and from each entry's
//! start tag. feed-rs honours `xml:base` for the links it resolves, but the
//! author URIs we resolve ourselves would otherwise see only the root's.
//! The response's part (Content-Location, the fetch URL) is
//! [`super::ResponseMeta::base`].

use std::sync::OnceLock;

use regex::Regex;

/// The `xml:base` attribute of the document's root element, if any.
pub(super) fn root_xml_base(text: &str) -> Option<String> {
    let mut rest = text;
    // Skip the declaration, comments, doctype and processing instructions.
    let tag = loop {
        let start = rest.find('<')?;
        rest = &rest[start..];
        if rest.starts_with("<?") || rest.starts_with("<!") {
            rest = &rest[rest.find('>')? + 1..];
            continue;
        }
        break &rest[..rest.find('>')?];
    };
    attr_xml_base(tag)
}

/// The `xml:base` of each entry (`<item>`, `<entry>`, any prefix), in
/// document order; `None` unless exactly `entries` entry start tags were
/// found (an `<item>` inside a CDATA section or comment would shift them,
/// and a wrong base is worse than the root's).
pub(super) fn entry_bases(text: &str, entries: usize) -> Option<Vec<Option<String>>> {
    static START: OnceLock<Regex> = OnceLock::new();
    let start = START.get_or_init(|| {
        Regex::new(r"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)(\s[^>]*)?/?>").expect("static regex")
    });
    if !text.contains("xml:base") {
        return None;
    }
    let bases: Vec<Option<String>> = start
        .captures_iter(text)
        .map(|c| c.get(1).and_then(|attrs| attr_xml_base(attrs.as_str())))
        .collect();
    (bases.len() == entries && bases.iter().any(Option::is_some)).then_some(bases)
}

/// The `xml:base` value among a start tag's attributes.
fn attr_xml_base(attrs: &str) -> Option<String> {
    let at = attrs.find("xml:base")?;
    let after = attrs[at + "xml:base".len()..]
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &after[1..];
    Some(value[..value.find(quote)?].trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_xml_base_is_found_past_the_prolog() {
        let doc = "<?xml version=\"1.0\"?>\n<!-- c -->\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base='https://grumbles.example.org/'><entry xml:base=\"/x\"/></feed>";
        assert_eq!(
            root_xml_base(doc).as_deref(),
            Some("https://grumbles.example.org/")
        );
        assert_eq!(root_xml_base("<rss version=\"2.0\"><channel/></rss>"), None);
    }

    #[test]
    fn entry_bases_line_up_with_the_entries_or_are_not_used() {
        let doc = "<feed><entry><id>a</id></entry><a:entry xml:base='https://o.example/b/'/>\
                   <entry xml:base=\"/c/\"></entry></feed>";
        assert_eq!(
            entry_bases(doc, 3),
            Some(vec![
                None,
                Some("https://o.example/b/".into()),
                Some("/c/".into())
            ])
        );
        assert_eq!(entry_bases(doc, 2), None);
        assert_eq!(entry_bases("<rss><item/></rss>", 1), None);
        assert_eq!(
            entry_bases("<rdf:RDF xml:base='x'><items/><item/></rdf:RDF>", 1),
            None
        );
    }
}
