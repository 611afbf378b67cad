//! Text-level fixes applied to a feed before feed-rs sees it.
//!
//! Owns the repairs: making the XML declaration agree with a body that was
//! already decoded to UTF-8, labelling an `<rss>` root feed-rs would refuse
//! for its version, and closing a document that was cut off so the complete
//! entries before the cut can still be read. It does not parse
//! feeds; the tag scanner here knows only enough XML to count open elements.

use std::sync::OnceLock;

use regex::Regex;

/// Rewrites the XML declaration's `encoding` to `utf-8`: the body was decoded
/// already, and a parser honouring the old label would decode it twice. A
/// document that needs no change is handed back as it is, not copied (feeds
/// can be tens of megabytes).
pub(super) fn declare_utf8(xml: String) -> String {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r#"^(\s*<\?xml[^>]*?\sencoding\s*=\s*)("[^"]*"|'[^']*')"#).expect("static regex")
    });
    let relabel = re.captures(&xml).is_some_and(|c| {
        let label = c[2].trim_matches(['"', '\'']);
        !label.eq_ignore_ascii_case("utf-8")
    });
    if !relabel {
        return xml;
    }
    re.replace(&xml, r#"${1}"utf-8""#).into_owned()
}

/// feed-rs reads an `<rss>` root only when its `version` is 2.0, 0.91 or
/// 0.92 and calls anything else "not a feed"; feedparser reads every `<rss>`
/// as RSS. A root with no version or another one ("0.93", "2.0.1") is
/// labelled 2.0, whose reader understands the elements of every RSS
/// version. A missing version, or one no RSS specification defines, is noted
/// in `warnings`; 0.90 to 0.94 are real versions and are not.
pub(super) fn label_rss_version(xml: String, warnings: &mut Vec<String>) -> String {
    let Some((at, "rss", len)) = root_tag(&xml) else {
        return xml;
    };
    let tag = &xml[at..at + len];
    let fixed = match version_attr(tag) {
        Some((value, _)) if matches!(value.trim(), "2.0" | "0.91" | "0.92") => return xml,
        Some((value, span)) => {
            if !is_rss_version(value) {
                warnings.push(format!(
                    "the <rss> root's version \"{value}\" is no RSS version; read as RSS 2.0"
                ));
            }
            format!("{}\"2.0\"{}", &tag[..span.start], &tag[span.end..])
        }
        None => {
            warnings.push("the <rss> root has no version attribute; read as RSS 2.0".into());
            format!("<rss version=\"2.0\"{}", &tag[4..])
        }
    };
    format!("{}{fixed}{}", &xml[..at], &xml[at + len..])
}

/// The `version` an `<rss>` root declares: `Some(None)` when it has none,
/// `None` when the root is not `<rss>`.
pub(super) fn rss_version(xml: &str) -> Option<Option<&str>> {
    let (at, "rss", len) = root_tag(xml)? else {
        return None;
    };
    Some(version_attr(&xml[at..at + len]).map(|(v, _)| v.trim()))
}

fn is_rss_version(version: &str) -> bool {
    let v = version.trim();
    v == "2.0" || v == "2.00" || ("0.90"..="0.94").contains(&v) && v.len() == 4
}

/// The `version` attribute's value in a start tag, and the byte span of its
/// quoted value.
fn version_attr(tag: &str) -> Option<(&str, std::ops::Range<usize>)> {
    static VERSION: OnceLock<Regex> = OnceLock::new();
    let version = VERSION
        .get_or_init(|| Regex::new(r#"\sversion\s*=\s*("[^"]*"|'[^']*')"#).expect("static regex"));
    let quoted = version.captures(tag)?.get(1)?;
    let value = &tag[quoted.start() + 1..quoted.end() - 1];
    Some((value, quoted.range()))
}

/// Byte offset, name and length of the root element's start tag.
fn root_tag(xml: &str) -> Option<(usize, &str, usize)> {
    let at = root_offset(xml)?;
    let (name, len, _) = start_tag(&xml[at..])?;
    Some((at, name, len))
}

/// A cut-off XML document shortened to its last complete entry and closed,
/// or `None` when the document is whole (its root element is closed), is not
/// XML, or holds no complete entry.
///
/// Without this a truncated feed either fails outright or yields a last
/// entry with half its text, which would later look like an edit.
pub(super) fn close_truncated(xml: &str) -> Option<String> {
    let root = root_name(xml)?;
    if closes(xml, root) {
        return None;
    }
    static ENTRY_END: OnceLock<Regex> = OnceLock::new();
    let entry_end = ENTRY_END.get_or_init(|| {
        Regex::new(r"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>").expect("static regex")
    });
    let cut = entry_end.find_iter(xml).last()?.end();
    let kept = &xml[..cut];
    let closers: String = open_elements(kept)
        .iter()
        .rev()
        .map(|name| format!("</{name}>"))
        .collect();
    Some(format!("{kept}{closers}"))
}

/// Whether `xml` ends with the closing tag of `root`, ignoring trailing
/// comments and processing instructions some servers append.
fn closes(xml: &str, root: &str) -> bool {
    let mut tail = xml.trim_end();
    loop {
        let open = if tail.ends_with("-->") {
            tail.rfind("<!--")
        } else if tail.ends_with("?>") {
            tail.rfind("<?")
        } else {
            break;
        };
        match open {
            Some(at) => tail = tail[..at].trim_end(),
            None => return false,
        }
    }
    match (tail.rfind("</"), tail.strip_suffix('>')) {
        (Some(at), Some(inner)) => inner[at + 2..].trim() == root,
        _ => false,
    }
}

fn root_name(xml: &str) -> Option<&str> {
    let rest = &xml[root_offset(xml)? + 1..];
    let end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
    Some(&rest[..end])
}

/// Byte offset of the root element's `<`, past the declaration, comments,
/// doctype and processing instructions.
fn root_offset(xml: &str) -> Option<usize> {
    let mut rest = xml.trim_start();
    loop {
        let after = rest.strip_prefix('<')?;
        if after.starts_with('?') || after.starts_with('!') {
            let end = if after.starts_with("!--") {
                after.find("-->")? + 3
            } else {
                after.find('>')? + 1
            };
            rest = after[end..].trim_start();
            continue;
        }
        return Some(xml.len() - rest.len());
    }
}

/// Names of the elements still open at the end of `xml`, outermost first.
pub(super) fn open_elements(xml: &str) -> Vec<&str> {
    walk_tags(xml, |_, _| {})
}

/// Walks the tags of `xml` (skipping comments, CDATA sections, processing
/// instructions and declarations), calling `on_close` with the name of each
/// closing tag and the byte offset just past it. Returns the names of the
/// elements still open at the end, outermost first.
pub(super) fn walk_tags<'a>(xml: &'a str, mut on_close: impl FnMut(&str, usize)) -> Vec<&'a str> {
    let mut stack = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find('<') {
        rest = &rest[at..];
        let skip_to = |end: &str| rest.find(end).map(|i| i + end.len());
        let consumed = if rest.starts_with("<!--") {
            skip_to("-->")
        } else if rest.starts_with("<![CDATA[") {
            skip_to("]]>")
        } else if rest.starts_with("<?") {
            skip_to("?>")
        } else if rest.starts_with("<!") {
            skip_to(">")
        } else if let Some(body) = rest.strip_prefix("</") {
            let end = body.find('>');
            if let Some(end) = end {
                let name = body[..end].trim();
                if let Some(open) = stack.iter().rposition(|n| *n == name) {
                    stack.truncate(open);
                }
                on_close(name, xml.len() - rest.len() + end + 3);
            }
            end.map(|e| e + 3)
        } else {
            start_tag(rest).map(|(name, len, self_closing)| {
                if !self_closing {
                    stack.push(name);
                }
                len
            })
        };
        match consumed {
            Some(len) => rest = &rest[len..],
            None => break,
        }
    }
    stack
}

/// Name, byte length and self-closing flag of the start tag at the head of
/// `s`, minding `>` inside quoted attribute values.
fn start_tag(s: &str) -> Option<(&str, usize, bool)> {
    let name_end = s[1..].find(|c: char| c.is_whitespace() || c == '>' || c == '/')? + 1;
    let mut quote = None;
    for (i, c) in s.char_indices().skip(name_end) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => return Some((&s[1..name_end], i + 1, s[..i].ends_with('/'))),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declaration_is_rewritten_to_utf8() {
        let xml = "<?xml version='1.0' encoding='KOI8-R'?>\n<rss/>";
        assert_eq!(
            declare_utf8(xml.into()),
            "<?xml version='1.0' encoding=\"utf-8\"?>\n<rss/>"
        );
        assert_eq!(
            declare_utf8("<rss encoding='x'/>".into()),
            "<rss encoding='x'/>"
        );
        let utf8 = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss/>";
        assert_eq!(declare_utf8(utf8.into()), utf8);
    }

    #[test]
    fn an_rss_root_without_a_known_version_is_labelled_2_0() {
        let fix = |s: &str| label_rss_version(s.into(), &mut Vec::new());
        assert_eq!(
            fix("<?xml version=\"1.0\"?>\n<rss><channel/></rss>"),
            "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel/></rss>"
        );
        assert_eq!(
            fix("<!-- <rss> --><rss>"),
            "<!-- <rss> --><rss version=\"2.0\">"
        );
        assert_eq!(
            fix("<rss xmlns:dc='x' version='0.93'>"),
            "<rss xmlns:dc='x' version=\"2.0\">"
        );
        for whole in ["<rss version=\"0.91\"><channel/></rss>", "<feed/>", "{}"] {
            assert_eq!(fix(whole), whole);
        }
    }

    #[test]
    fn only_a_missing_or_invented_rss_version_is_a_warning() {
        let warnings = |s: &str| {
            let mut w = Vec::new();
            label_rss_version(s.into(), &mut w);
            w
        };
        assert_eq!(
            warnings("<rss><channel/></rss>"),
            ["the <rss> root has no version attribute; read as RSS 2.0"]
        );
        assert_eq!(
            warnings("<rss version='2.0.1'/>"),
            ["the <rss> root's version \"2.0.1\" is no RSS version; read as RSS 2.0"]
        );
        assert!(warnings("<rss version=\"0.93\"/>").is_empty());
        assert_eq!(rss_version("<rss version=' 0.94'/>"), Some(Some("0.94")));
        assert_eq!(rss_version("<rss/>"), Some(None));
        assert_eq!(rss_version("<feed/>"), None);
    }

    #[test]
    fn whole_documents_are_left_alone() {
        let xml = "<?xml version=\"1.0\"?>\n<!-- c --><rss version=\"2.0\"><channel></channel></rss >\n<!-- cached 12:00 -->\n";
        assert_eq!(close_truncated(xml), None);
        assert_eq!(close_truncated("{\"version\": 1}"), None);
    }

    #[test]
    fn truncated_rss_is_cut_after_the_last_whole_item_and_closed() {
        let xml = "<rss version=\"2.0\"><channel><title>T</title>\
                   <item><title>a</title><description><![CDATA[<p>x</item> y</p>]]></description></item>\
                   <item><title>b</title><description>half of";
        let fixed = close_truncated(xml).unwrap();
        assert!(
            fixed.ends_with("y</p>]]></description></item></channel></rss>"),
            "{fixed}"
        );
    }

    #[test]
    fn truncated_atom_keeps_attributes_with_angle_brackets() {
        let xml =
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><title type=\"html\">a</title>\
                   <link href=\"/x?a>b\"/></entry><entry><title>b";
        let fixed = close_truncated(xml).unwrap();
        assert!(
            fixed.ends_with("<link href=\"/x?a>b\"/></entry></feed>"),
            "{fixed}"
        );
    }

    #[test]
    fn nothing_to_salvage_without_a_complete_entry() {
        assert_eq!(close_truncated("<rss><channel><item><title>a"), None);
    }
}
