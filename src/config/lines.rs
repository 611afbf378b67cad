//! Line numbers for key paths, so an error points into the file.
//!
//! Errors are found on the parsed values, which have no positions; this
//! looks a key path such as `sources[1].selectors.post` up in the file's
//! text (through toml_edit, which keeps spans) and gives the line of the
//! deepest part of it that exists there. A key that is missing has the line
//! of the table that lacks it.

use toml_edit::{Array, ArrayOfTables, ImDocument, InlineTable, Item, Table, Value};

/// The file's text, parsed once for every lookup.
pub struct Lines<'a> {
    text: &'a str,
    doc: Option<ImDocument<&'a str>>,
}

/// Where a lookup is in the document.
#[derive(Clone, Copy)]
enum Node<'d> {
    Table(&'d Table),
    Inline(&'d InlineTable),
    Tables(&'d ArrayOfTables),
    Array(&'d Array),
    Leaf,
}

impl<'d> Node<'d> {
    fn of_item(item: &'d Item) -> Node<'d> {
        match item {
            Item::Table(t) => Node::Table(t),
            Item::ArrayOfTables(a) => Node::Tables(a),
            Item::Value(v) => Node::of_value(v),
            Item::None => Node::Leaf,
        }
    }

    fn of_value(value: &'d Value) -> Node<'d> {
        match value {
            Value::InlineTable(t) => Node::Inline(t),
            Value::Array(a) => Node::Array(a),
            _ => Node::Leaf,
        }
    }

    /// The child at `segment` and where it starts in the text.
    fn child(self, segment: &Segment) -> Option<(Node<'d>, Option<usize>)> {
        let start = |span: Option<std::ops::Range<usize>>| span.map(|s| s.start);
        match (self, segment) {
            (Node::Table(t), Segment::Key(k)) => {
                let at = start(t.key(k).and_then(|k| k.span()));
                t.get(k).map(|i| (Node::of_item(i), at))
            }
            (Node::Inline(t), Segment::Key(k)) => {
                let at = start(t.key(k).and_then(|k| k.span()));
                t.get(k).map(|v| (Node::of_value(v), at))
            }
            (Node::Tables(a), Segment::Index(i)) => {
                a.get(*i).map(|t| (Node::Table(t), start(t.span())))
            }
            (Node::Array(a), Segment::Index(i)) => {
                a.get(*i).map(|v| (Node::of_value(v), start(v.span())))
            }
            _ => None,
        }
    }
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        Lines {
            text,
            doc: ImDocument::parse(text).ok(),
        }
    }

    /// The 1-based line of `key`, or of the closest enclosing part of it.
    pub fn of(&self, key: &str) -> Option<usize> {
        let doc = self.doc.as_ref()?;
        let mut node = Node::Table(doc.as_table());
        let mut at = None;
        for segment in segments(key) {
            let Some((next, start)) = node.child(&segment) else {
                break;
            };
            at = start.or(at);
            node = next;
        }
        at.map(|offset: usize| {
            self.text[..offset.min(self.text.len())]
                .matches('\n')
                .count()
                + 1
        })
    }
}

enum Segment {
    Key(String),
    Index(usize),
}

/// Splits `a.b[0]."c.d"` into its keys and indexes.
fn segments(key: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut chars = key.chars().peekable();
    let mut cur = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '.' => {
                if !cur.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut cur)));
                }
            }
            '[' => {
                if !cur.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut cur)));
                }
                let digits: String = chars.by_ref().take_while(|c| *c != ']').collect();
                if let Ok(i) = digits.parse() {
                    out.push(Segment::Index(i));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(Segment::Key(cur));
    }
    out
}
