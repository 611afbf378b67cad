//! HTML to text in one pass over html5gum's tokens, without a DOM.
//!
//! Text extraction only needs to know, for each run of text, which elements
//! it sits in and where elements open and close. So this keeps the stack of
//! open elements ([`super::stack`]) and applies the parts of the HTML
//! standard's tree construction that move those points, as html5ever does
//! them: implicit closes (`<p>` before a block, `<li>` after `<li>`, table
//! cells and rows), scopes, `</p>` without a `<p>`, `</br>`, `<select>`,
//! `</form>`, misnested formatting (the adoption agency), SVG and MathML
//! with their integration points, and the tokenizer states that `<script>`,
//! `<style>`, `<textarea>` and the like switch to.
//!
//! Two moves of content already read are deliberately not made, because a
//! single pass cannot take text back:
//! - foster parenting: text or elements written directly inside a table,
//!   outside any cell, stay where they were written; html5ever moves them
//!   in front of the table;
//! - a block that the adoption agency moves out of a dropped element that
//!   is not a block itself (`<b><canvas><div>x</b>`): what it held before
//!   the move stays hidden; html5ever shows it.
//!
//! The differential tests skip inputs where either happened (`moved`).

use html5gum::{State, Tokenizer};

use super::stack::{Ns, Stack, HTML_POINT, MATH_TEXT, SCOPE};

/// Text of `html`, before [`crate::normalize::tidy`].
pub(super) fn raw_text(html: &str, document: bool) -> String {
    raw_text_and_moved(html, document).0
}

/// The text and whether the tree builder would have moved content already
/// read (see the module doc).
pub(super) fn raw_text_and_moved(html: &str, document: bool) -> (String, bool) {
    let mut reader = Reader::new(html.len(), document);
    let mut tokenizer = Tokenizer::new_with_emitter(html, &mut reader);
    // Reading a string cannot fail; the iterator yields no tokens.
    for _ in tokenizer.by_ref() {}
    (std::mem::take(&mut reader.stack.out).finish(), reader.moved)
}

/// Insertion modes that matter for text; others read as `Body`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Body,
    Table,
    TableBody,
    Row,
    Cell,
    Caption,
    ColGroup,
    Select,
    SelectInTable,
}

/// What a rule asks of the dispatcher.
enum Flow {
    Done(Option<State>),
    Again,
}

use Flow::{Again, Done};

const IMPLIED_END: &[&[u8]] = &[
    b"dd",
    b"dt",
    b"li",
    b"optgroup",
    b"option",
    b"p",
    b"rb",
    b"rp",
    b"rt",
    b"rtc",
];
const THOROUGH_END: &[&[u8]] = &[
    b"dd",
    b"dt",
    b"li",
    b"optgroup",
    b"option",
    b"p",
    b"rb",
    b"rp",
    b"rt",
    b"rtc",
    b"caption",
    b"colgroup",
    b"tbody",
    b"td",
    b"tfoot",
    b"th",
    b"thead",
    b"tr",
];
const HEADINGS: &[&[u8]] = &[b"h1", b"h2", b"h3", b"h4", b"h5", b"h6"];
const TABLE_OUTER: &[&[u8]] = &[b"table", b"tbody", b"tfoot", b"thead", b"tr"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Default,
    ListItem,
    Button,
    Table,
    Select,
}

/// The html5gum emitter: collects each token and feeds it to the rules.
struct Reader {
    stack: Stack,
    tag: Vec<u8>,
    end_tag: bool,
    self_closing: bool,
    attr_name: Vec<u8>,
    attr_value: Vec<u8>,
    in_attr: bool,
    alt: Option<String>,
    type_hidden: Option<bool>,
    html_annotation: Option<bool>,
    font_attr: bool,
    last_start: Vec<u8>,
    /// A document before its body: head content is read and not shown.
    in_head: bool,
    /// Inside a raw-text element (`<script>`, `<title>` ...): the next end
    /// tag closes it.
    raw: bool,
    /// A newline right after `<pre>`, `<listing>` or `<textarea>` is dropped.
    ignore_lf: bool,
    form: Option<u32>,
    /// The tree builder moved content already read (see the module doc).
    moved: bool,
    text: Vec<u8>,
    formatting: Vec<formatting::Fmt>,
}

impl Reader {
    fn new(capacity: usize, document: bool) -> Self {
        let mut stack = Stack::new(capacity);
        if document {
            // Until the body starts, elements go into a head that is not shown.
            stack.push(b"head", Ns::Html, false, None);
        }
        Reader {
            stack,
            tag: Vec::with_capacity(16),
            end_tag: false,
            self_closing: false,
            attr_name: Vec::new(),
            attr_value: Vec::new(),
            in_attr: false,
            alt: None,
            type_hidden: None,
            html_annotation: None,
            font_attr: false,
            last_start: Vec::new(),
            in_head: document,
            raw: false,
            ignore_lf: false,
            form: None,
            moved: false,
            text: Vec::with_capacity(256),
            formatting: Vec::new(),
        }
    }

    fn finish_attr(&mut self) {
        if !self.in_attr {
            return;
        }
        self.in_attr = false;
        match self.attr_name.as_slice() {
            b"alt" if self.alt.is_none() => {
                self.alt = Some(String::from_utf8_lossy(&self.attr_value).into_owned());
            }
            b"type" if self.type_hidden.is_none() => {
                self.type_hidden = Some(self.attr_value.eq_ignore_ascii_case(b"hidden"));
            }
            b"encoding" if self.html_annotation.is_none() => {
                let v = &self.attr_value;
                self.html_annotation = Some(
                    v.eq_ignore_ascii_case(b"text/html")
                        || v.eq_ignore_ascii_case(b"application/xhtml+xml"),
                );
            }
            b"color" | b"face" | b"size" => self.font_attr = true,
            _ => {}
        }
    }

    fn reset_tag(&mut self, end: bool) {
        self.tag.clear();
        self.end_tag = end;
        self.self_closing = false;
        self.in_attr = false;
        self.alt = None;
        self.type_hidden = None;
        self.html_annotation = None;
        self.font_attr = false;
    }

    // ---- the stack, as the tree builder asks about it ----

    fn in_scope(&self, name: &[u8], scope: Scope) -> bool {
        let s = &self.stack;
        for i in (0..s.len()).rev() {
            if s.is(i, name) {
                return true;
            }
            if boundary(s, i, scope) {
                return false;
            }
        }
        false
    }

    fn any_in_scope(&self, names: &[&[u8]], scope: Scope) -> bool {
        names.iter().any(|n| self.in_scope(n, scope))
    }

    fn on_stack(&self, name: &[u8]) -> bool {
        (0..self.stack.len()).any(|i| self.stack.is(i, name))
    }

    fn implied_end(&mut self, except: &[u8]) {
        while self.stack.top_in(IMPLIED_END) && !self.stack.top_is(except) {
            self.stack.pop();
        }
    }

    fn pop_until(&mut self, name: &[u8]) {
        while self.stack.len() > 1 {
            let done = self.stack.top_is(name);
            self.stack.pop();
            if done {
                return;
            }
        }
    }

    fn pop_until_any(&mut self, names: &[&[u8]]) {
        while self.stack.len() > 1 {
            let done = self.stack.top_in(names);
            self.stack.pop();
            if done {
                return;
            }
        }
    }

    /// Pops until the current node is one of `names` (or the root).
    fn clear_to(&mut self, names: &[&[u8]]) {
        while self.stack.len() > 1 && !self.stack.top_in(names) {
            self.stack.pop();
        }
    }

    fn close_p(&mut self) {
        if self.in_scope(b"p", Scope::Button) {
            self.implied_end(b"p");
            self.pop_until(b"p");
        }
    }

    fn insert(&mut self, name: &[u8]) {
        let alt = self.alt.take();
        let ann = self.html_annotation.unwrap_or(false);
        self.stack.push(name, Ns::Html, ann, alt.as_deref());
    }

    fn insert_void(&mut self, name: &[u8]) {
        self.insert(name);
        self.stack.pop();
    }

    fn raw_text(&mut self, name: &[u8], state: State) -> Flow {
        self.insert(name);
        self.raw = true;
        Done(Some(state))
    }

    fn mode(&self) -> Mode {
        let s = &self.stack;
        if s.modal == 0 {
            return Mode::Body;
        }
        for i in (0..s.len()).rev() {
            if s.entries[i].ns != Ns::Html {
                continue;
            }
            match s.name(i) {
                b"select" => {
                    for j in (0..i).rev() {
                        if s.is(j, b"template") {
                            return Mode::Select;
                        }
                        if s.is(j, b"table") {
                            return Mode::SelectInTable;
                        }
                    }
                    return Mode::Select;
                }
                b"td" | b"th" if i > 0 => return Mode::Cell,
                b"tr" => return Mode::Row,
                b"tbody" | b"thead" | b"tfoot" => return Mode::TableBody,
                b"caption" => return Mode::Caption,
                b"colgroup" => return Mode::ColGroup,
                b"table" => return Mode::Table,
                b"template" | b"body" | b"html" => return Mode::Body,
                _ => {}
            }
        }
        Mode::Body
    }

    /// Whether the token goes by the foreign-content rules.
    fn foreign(&self, start: Option<&[u8]>, chars: bool) -> bool {
        let s = &self.stack;
        let t = s.top();
        let e = &s.entries[t];
        if e.ns == Ns::Html {
            return false;
        }
        if s.has_flag(t, MATH_TEXT)
            && (chars || start.is_some_and(|n| n != b"mglyph" && n != b"malignmark"))
        {
            return false;
        }
        if s.has_flag(t, HTML_POINT) && (chars || start.is_some()) {
            return false;
        }
        !(e.ns == Ns::Math && s.name(t) == b"annotation-xml" && start == Some(b"svg"))
    }

    // ---- tokens ----

    /// Reads the text collected since the last tag: html5gum hands it over
    /// in pieces that may split a character.
    fn flush_text(&mut self) {
        if self.text.is_empty() {
            return;
        }
        let buf = std::mem::take(&mut self.text);
        self.chars(&buf);
        self.text = buf;
        self.text.clear();
    }

    fn chars(&mut self, s: &[u8]) {
        let mut s = s;
        if std::mem::take(&mut self.ignore_lf) && s.first() == Some(&b'\n') {
            s = &s[1..];
        }
        if s.is_empty() {
            return;
        }
        let text = match std::str::from_utf8(s) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(s),
        };
        if self.raw {
            self.stack.text(&text);
            return;
        }
        if self.in_head && !self.on_stack(b"template") {
            let rest = text.trim_start_matches([' ', '\t', '\n', '\x0c', '\r']);
            if rest.is_empty() {
                return;
            }
            self.stack.start_body();
            self.in_head = false;
            self.body_chars(rest);
            return;
        }
        if self.foreign(None, true) {
            self.stack.text(&text.replace('\0', "\u{fffd}"));
            return;
        }
        match self.mode() {
            Mode::Table | Mode::TableBody | Mode::Row if self.stack.top_in(TABLE_OUTER) => {
                if text.bytes().any(|b| !is_space(b)) {
                    self.moved = true;
                    self.body_chars(&text);
                } else {
                    self.stack.text(&text);
                }
            }
            Mode::ColGroup if self.stack.top_is(b"colgroup") => {
                let ws = text.len()
                    - text
                        .trim_start_matches([' ', '\t', '\n', '\x0c', '\r'])
                        .len();
                self.stack.text(&text[..ws]);
                if ws < text.len() {
                    self.stack.pop();
                    self.moved = true;
                    self.body_chars(&text[ws..]);
                }
            }
            Mode::Select | Mode::SelectInTable => self.stack.text(&text.replace('\0', "")),
            _ => self.body_chars(&text),
        }
    }

    /// Text by the body rules: NUL is dropped, and formatting closed early
    /// is opened again first.
    fn body_chars(&mut self, text: &str) {
        if text.contains('\0') {
            let text = text.replace('\0', "");
            if !text.is_empty() {
                self.reconstruct();
                self.stack.text(&text);
            }
        } else {
            self.reconstruct();
            self.stack.text(text);
        }
    }

    fn on_start_tag(&mut self) -> Option<State> {
        self.ignore_lf = false;
        let name = std::mem::take(&mut self.tag);
        self.last_start.clear();
        self.last_start.extend_from_slice(&name);
        let state = loop {
            match self.dispatch_start(&name) {
                Done(state) => break state,
                Again => continue,
            }
        };
        self.tag = name;
        state
    }

    fn dispatch_start(&mut self, name: &[u8]) -> Flow {
        if self.in_head && !self.on_stack(b"template") {
            return self.head_start(name);
        }
        if self.foreign(Some(name), false) {
            return self.foreign_start(name);
        }
        self.start_in(self.mode(), name)
    }

    fn start_in(&mut self, mode: Mode, name: &[u8]) -> Flow {
        match mode {
            Mode::Body => self.body_start(name),
            Mode::Table => self.table_start(name),
            Mode::TableBody => self.table_body_start(name),
            Mode::Row => self.row_start(name),
            Mode::Cell => self.cell_start(name),
            Mode::Caption => self.caption_start(name),
            Mode::ColGroup => self.colgroup_start(name),
            Mode::Select => self.select_start(name),
            Mode::SelectInTable => self.select_in_table_start(name),
        }
    }

    fn on_end_tag(&mut self) {
        self.ignore_lf = false;
        let name = std::mem::take(&mut self.tag);
        if self.raw {
            self.raw = false;
            self.stack.pop();
        } else {
            while let Again = self.dispatch_end(&name) {}
        }
        self.tag = name;
    }

    fn dispatch_end(&mut self, name: &[u8]) -> Flow {
        if self.in_head && !self.on_stack(b"template") {
            return self.head_end(name);
        }
        if self.foreign(None, false) {
            return self.foreign_end(name);
        }
        self.end_in(self.mode(), name)
    }

    fn end_in(&mut self, mode: Mode, name: &[u8]) -> Flow {
        match mode {
            Mode::Body => self.body_end(name),
            Mode::Table => self.table_end(name),
            Mode::TableBody => self.table_body_end(name),
            Mode::Row => self.row_end(name),
            Mode::Cell => self.cell_end(name),
            Mode::Caption => self.caption_end(name),
            Mode::ColGroup => self.colgroup_end(name),
            Mode::Select => self.select_end(name),
            Mode::SelectInTable => self.select_in_table_end(name),
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0c | b'\r')
}

fn boundary(s: &Stack, i: usize, scope: Scope) -> bool {
    let html = s.entries[i].ns == Ns::Html;
    match scope {
        Scope::Default => s.has_flag(i, SCOPE),
        Scope::ListItem => s.has_flag(i, SCOPE) || html && matches!(s.name(i), b"ol" | b"ul"),
        Scope::Button => s.has_flag(i, SCOPE) || s.is(i, b"button"),
        Scope::Table => html && matches!(s.name(i), b"html" | b"table" | b"template"),
        Scope::Select => !(html && matches!(s.name(i), b"optgroup" | b"option")),
    }
}

mod body;
mod emit;
mod foreign;
mod formatting;
mod head;
mod table;
