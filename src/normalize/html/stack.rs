//! The stack of open elements that the streaming reader keeps in place of a
//! DOM, and the text events an element gives when it opens and closes.
//!
//! An entry remembers what its DOM ancestors decided (inside a dropped
//! element, inside `<pre>`, deeper than the flattening limit) so that an
//! element taken off the stack out of order, as `</form>` and misnested
//! formatting do, leaves its descendants as the tree would.

use super::writer::TextWriter;
use super::{block_break, image_alt, is_dropped, MAX_DEPTH};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Ns {
    Html,
    Svg,
    Math,
}

/// Ends "any other end tag" and is the furthest block of misnested tags.
pub(super) const SPECIAL: u16 = 1;
/// Bounds the default scope.
pub(super) const SCOPE: u16 = 4;
/// A MathML text integration point (`<mi>` ...).
pub(super) const MATH_TEXT: u16 = 8;
/// An HTML integration point (`<foreignObject>`, `<desc>` ...).
pub(super) const HTML_POINT: u16 = 16;
/// Table and select parts, whose presence changes the insertion mode.
pub(super) const MODAL: u16 = 32;
/// Where the list of active formatting elements has a marker.
pub(super) const MARKER: u16 = 64;

#[derive(Clone, Debug)]
pub(super) struct Entry {
    name_at: u32,
    name_len: u32,
    pub(super) ns: Ns,
    pub(super) flags: u16,
    pub(super) id: u32,
    own_dropped: bool,
    pub(super) dropped: bool,
    pub(super) pre: bool,
    pub(super) flat: bool,
    depth: u32,
    brk: u8,
}

/// Open elements, bottom first; `entries[0]` is the root (`<html>` for a
/// fragment, `<body>` for a document) and is never popped.
pub(super) struct Stack {
    pub(super) entries: Vec<Entry>,
    names: Vec<u8>,
    next_id: u32,
    /// Open entries with the [`MODAL`] flag: none means plain body rules.
    pub(super) modal: usize,
    pub(super) out: TextWriter,
}

fn html_flags(name: &[u8]) -> u16 {
    let mut f = match name {
        b"address" | b"area" | b"article" | b"aside" | b"base" | b"basefont" | b"bgsound"
        | b"blockquote" | b"body" | b"br" | b"button" | b"center" | b"col" | b"colgroup"
        | b"dd" | b"details" | b"dir" | b"div" | b"dl" | b"dt" | b"embed" | b"fieldset"
        | b"figcaption" | b"figure" | b"footer" | b"form" | b"frame" | b"frameset" | b"h1"
        | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" | b"head" | b"header" | b"hgroup" | b"hr"
        | b"iframe" | b"img" | b"input" | b"isindex" | b"li" | b"link" | b"listing" | b"main"
        | b"menu" | b"meta" | b"nav" | b"noembed" | b"noframes" | b"noscript" | b"ol" | b"p"
        | b"param" | b"plaintext" | b"pre" | b"script" | b"section" | b"select" | b"source"
        | b"style" | b"summary" | b"tbody" | b"textarea" | b"tfoot" | b"thead" | b"title"
        | b"tr" | b"track" | b"ul" | b"wbr" | b"xmp" => SPECIAL,
        b"applet" | b"caption" | b"html" | b"table" | b"td" | b"th" | b"marquee" | b"object"
        | b"template" => SPECIAL | SCOPE,
        _ => 0,
    };
    if matches!(
        name,
        b"select"
            | b"td"
            | b"th"
            | b"tr"
            | b"tbody"
            | b"thead"
            | b"tfoot"
            | b"caption"
            | b"colgroup"
            | b"table"
            | b"template"
    ) {
        f |= MODAL;
    }
    if matches!(
        name,
        b"td" | b"th" | b"caption" | b"applet" | b"marquee" | b"object" | b"template"
    ) {
        f |= MARKER;
    }
    f
}

fn flags(name: &[u8], ns: Ns, html_annotation: bool) -> u16 {
    match ns {
        Ns::Html => html_flags(name),
        Ns::Math => match name {
            b"mi" | b"mo" | b"mn" | b"ms" | b"mtext" => SCOPE | MATH_TEXT,
            b"annotation-xml" if html_annotation => HTML_POINT,
            _ => 0,
        },
        Ns::Svg => match name {
            b"foreignobject" | b"desc" | b"title" => SCOPE | HTML_POINT,
            _ => 0,
        },
    }
}

impl Stack {
    pub(super) fn new(capacity: usize) -> Self {
        let mut stack = Stack {
            entries: Vec::with_capacity(32),
            names: Vec::with_capacity(256),
            next_id: 0,
            modal: 0,
            out: TextWriter::with_capacity(capacity),
        };
        stack.push_root(b"html");
        stack
    }

    fn push_root(&mut self, name: &[u8]) {
        let at = self.names.len() as u32;
        self.names.extend_from_slice(name);
        let id = self.bump_id();
        self.entries.push(Entry {
            name_at: at,
            name_len: name.len() as u32,
            ns: Ns::Html,
            flags: html_flags(name),
            id,
            own_dropped: false,
            dropped: false,
            pre: false,
            flat: false,
            depth: 0,
            brk: 0,
        });
    }

    /// A document's body, which takes the root's place once head content
    /// (read but never shown) is behind.
    pub(super) fn start_body(&mut self) {
        self.entries.truncate(1);
        self.modal = 0;
        self.push_root(b"body");
    }

    fn bump_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(super) fn name(&self, i: usize) -> &[u8] {
        let e = &self.entries[i];
        &self.names[e.name_at as usize..(e.name_at + e.name_len) as usize]
    }

    /// Whether entry `i` is the HTML element `name`.
    pub(super) fn is(&self, i: usize, name: &[u8]) -> bool {
        self.entries[i].ns == Ns::Html && self.name(i) == name
    }

    pub(super) fn top(&self) -> usize {
        self.entries.len() - 1
    }

    pub(super) fn top_is(&self, name: &[u8]) -> bool {
        self.is(self.top(), name)
    }

    pub(super) fn top_in(&self, names: &[&[u8]]) -> bool {
        let t = self.top();
        self.entries[t].ns == Ns::Html && names.contains(&self.name(t))
    }

    pub(super) fn has_flag(&self, i: usize, flag: u16) -> bool {
        self.entries[i].flags & flag != 0
    }

    /// Opens an element: it becomes the current node and gives its opening
    /// events (a break, `- ` for a list item, an emoji's alt text).
    pub(super) fn push(&mut self, name: &[u8], ns: Ns, html_annotation: bool, alt: Option<&str>) {
        let at = self.names.len() as u32;
        self.names.extend_from_slice(name);
        let flags = flags(name, ns, html_annotation);
        if flags & MODAL != 0 {
            self.modal += 1;
        }
        let mut entry = Entry {
            name_at: at,
            name_len: name.len() as u32,
            ns,
            flags,
            id: self.bump_id(),
            own_dropped: is_dropped(name),
            dropped: false,
            pre: false,
            flat: false,
            depth: 0,
            brk: block_break(name),
        };
        inherit(&mut entry, &self.entries[self.top()], name);
        if !entry.dropped && !entry.flat {
            self.out.pre = entry.pre;
            self.out.block(entry.brk);
            match name {
                b"br" => self.out.line_break(),
                b"li" => self.out.text("- "),
                b"img" => {
                    if let Some(alt) = alt {
                        image_alt(alt, &mut self.out);
                    }
                }
                _ => {}
            }
        }
        self.entries.push(entry);
    }

    /// Closes the current node with its closing events.
    pub(super) fn pop(&mut self) {
        if self.entries.len() <= 1 {
            return;
        }
        let e = self.entries.pop().expect("non-empty");
        if e.flags & MODAL != 0 {
            self.modal -= 1;
        }
        let start = e.name_at as usize;
        let end = start + e.name_len as usize;
        let cell = matches!(self.names.get(start..end), Some(b"td" | b"th"));
        if end == self.names.len() {
            self.names.truncate(start);
        }
        if !e.dropped && !e.flat {
            if cell {
                self.out.pre = e.pre;
                self.out.text(" ");
            }
            self.out.block(e.brk);
        }
    }

    /// Pops until `len` entries are left.
    pub(super) fn pop_to(&mut self, len: usize) {
        while self.entries.len() > len.max(1) {
            self.pop();
        }
    }

    /// Takes entry `i` off the stack without closing it: in the tree it
    /// stays the parent of what was opened inside it.
    pub(super) fn remove(&mut self, i: usize) {
        if i == 0 {
            return;
        }
        let e = self.entries.remove(i);
        if e.flags & MODAL != 0 {
            self.modal -= 1;
        }
    }

    /// Puts a copy of entry `from` (a formatting element the adoption agency
    /// recreates) at `at`.
    pub(super) fn insert_clone(&mut self, at: usize, from: &Entry) -> u32 {
        let mut e = from.clone();
        e.id = self.bump_id();
        let id = e.id;
        if e.flags & MODAL != 0 {
            self.modal += 1;
        }
        self.entries.insert(at, e);
        id
    }

    /// A fresh id, for an element the adoption agency recreates in place.
    pub(super) fn new_id(&mut self) -> u32 {
        self.bump_id()
    }

    /// Recomputes what entries from `from` up inherit, after the adoption
    /// agency gave them new parents. Returns whether that changed whether
    /// their content is shown, which for text already read is too late.
    pub(super) fn reparent_from(&mut self, from: usize) -> bool {
        let mut changed = false;
        for i in from.max(1)..self.entries.len() {
            let parent = self.entries[i - 1].clone();
            let name = self.name(i).to_vec();
            let before = (
                self.entries[i].dropped,
                self.entries[i].pre,
                self.entries[i].flat,
            );
            inherit(&mut self.entries[i], &parent, &name);
            let e = &self.entries[i];
            changed |= before != (e.dropped, e.pre, e.flat);
        }
        changed
    }

    /// Text for the current node: shown unless it sits in a dropped element.
    pub(super) fn text(&mut self, s: &str) {
        let top = &self.entries[self.entries.len() - 1];
        if !top.dropped {
            self.out.pre = top.pre;
            self.out.text(s);
        }
    }
}

/// What an element takes from its parent, as the DOM walk decides it: a
/// dropped element hides everything inside, below the depth limit text is
/// shown flat (dropped elements included, no breaks).
fn inherit(e: &mut Entry, parent: &Entry, name: &[u8]) {
    e.depth = parent.depth + 1;
    e.flat = parent.flat || e.depth as usize > MAX_DEPTH;
    e.dropped = parent.dropped || (e.own_dropped && !parent.flat);
    e.pre = parent.pre || (name == b"pre" && !e.flat);
}
