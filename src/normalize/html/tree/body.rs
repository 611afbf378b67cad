//! The "in body" rules: where most feed HTML is read.

use html5gum::State;

use super::super::stack::{Ns, SCOPE, SPECIAL};
use super::{Done, Flow, Reader, Scope, HEADINGS};

/// Blocks that close an open `<p>` and are closed by their end tag in scope.
const BLOCKS: &[&[u8]] = &[
    b"address",
    b"article",
    b"aside",
    b"blockquote",
    b"center",
    b"details",
    b"dialog",
    b"dir",
    b"div",
    b"dl",
    b"fieldset",
    b"figcaption",
    b"figure",
    b"footer",
    b"header",
    b"hgroup",
    b"main",
    b"menu",
    b"nav",
    b"ol",
    b"search",
    b"section",
    b"summary",
    b"ul",
];

impl Reader {
    pub(super) fn body_start(&mut self, name: &[u8]) -> Flow {
        if let Some(flow) = self.head_element(name) {
            return flow;
        }
        match name {
            b"html" | b"body" | b"frameset" | b"head" | b"caption" | b"col" | b"colgroup"
            | b"frame" | b"tbody" | b"td" | b"tfoot" | b"th" | b"thead" | b"tr" => {}
            _ if BLOCKS.contains(&name) || name == b"p" => {
                self.close_p();
                self.insert(name);
            }
            b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" => {
                self.close_p();
                if self.stack.top_in(HEADINGS) {
                    self.stack.pop();
                }
                self.insert(name);
            }
            b"pre" | b"listing" => {
                self.close_p();
                self.insert(name);
                self.ignore_lf = true;
            }
            b"form" => {
                let template = self.on_stack(b"template");
                if self.form.is_none() || template {
                    self.close_p();
                    self.insert(name);
                    if !template {
                        self.form = Some(self.stack.entries[self.stack.top()].id);
                    }
                }
            }
            b"li" | b"dd" | b"dt" => {
                let s = &self.stack;
                let mut close = None;
                for i in (0..s.len()).rev() {
                    let hit = if name == b"li" {
                        s.is(i, b"li")
                    } else {
                        s.is(i, b"dd") || s.is(i, b"dt")
                    };
                    if hit {
                        close = Some(s.name(i).to_vec());
                        break;
                    }
                    if s.has_flag(i, SPECIAL)
                        && !(s.is(i, b"address") || s.is(i, b"div") || s.is(i, b"p"))
                    {
                        break;
                    }
                }
                if let Some(close) = close {
                    self.implied_end(&close);
                    self.pop_until(&close);
                }
                self.close_p();
                self.insert(name);
            }
            b"plaintext" => {
                self.close_p();
                return self.raw_text(name, State::PlainText);
            }
            b"button" => {
                if self.in_scope(b"button", Scope::Default) {
                    self.implied_end(b"");
                    self.pop_until(b"button");
                }
                self.reconstruct();
                self.insert(name);
            }
            b"a" => {
                self.misnested_a();
                self.reconstruct();
                self.push_formatting(name);
            }
            b"b" | b"big" | b"code" | b"em" | b"font" | b"i" | b"s" | b"small" | b"strike"
            | b"strong" | b"tt" | b"u" => {
                self.reconstruct();
                self.push_formatting(name);
            }
            b"nobr" => {
                self.reconstruct();
                if self.in_scope(b"nobr", Scope::Default) {
                    self.adoption(b"nobr");
                    self.reconstruct();
                }
                self.push_formatting(name);
            }
            b"applet" | b"marquee" | b"object" => {
                self.reconstruct();
                self.insert(name);
                self.push_marker();
            }
            b"table" => {
                // Documents without a doctype are in quirks mode, where a
                // table does not close a paragraph; both give the same text.
                self.close_p();
                self.insert(name);
            }
            b"area" | b"br" | b"embed" | b"img" | b"keygen" | b"wbr" | b"input" => {
                self.reconstruct();
                self.insert_void(name);
            }
            b"param" | b"source" | b"track" => self.insert_void(name),
            b"image" => {
                self.reconstruct();
                self.insert_void(b"img");
            }
            b"hr" => {
                self.close_p();
                self.insert_void(name);
            }
            b"textarea" => {
                self.ignore_lf = true;
                return self.raw_text(name, State::RcData);
            }
            b"xmp" => {
                self.close_p();
                self.reconstruct();
                return self.raw_text(name, State::RawText);
            }
            // html5ever parses with scripting on: `<noscript>` is raw text.
            b"iframe" | b"noembed" | b"noscript" => return self.raw_text(name, State::RawText),
            b"optgroup" | b"option" => {
                if self.stack.top_is(b"option") {
                    self.stack.pop();
                }
                self.reconstruct();
                self.insert(name);
            }
            b"rb" | b"rtc" => {
                if self.in_scope(b"ruby", Scope::Default) {
                    self.implied_end(b"");
                }
                self.insert(name);
            }
            b"rp" | b"rt" => {
                if self.in_scope(b"ruby", Scope::Default) {
                    self.implied_end(b"rtc");
                }
                self.insert(name);
            }
            b"math" | b"svg" => {
                // html5ever does not reopen formatting here, unlike the
                // standard; the text follows html5ever.
                let ns = if name == b"math" { Ns::Math } else { Ns::Svg };
                let ann = self.html_annotation.unwrap_or(false);
                self.stack.push(name, ns, ann, None);
                if self.self_closing {
                    self.stack.pop();
                }
            }
            _ => {
                // `<select>` and any other element.
                self.reconstruct();
                self.insert(name);
            }
        }
        Done(None)
    }

    pub(super) fn body_end(&mut self, name: &[u8]) -> Flow {
        match name {
            b"template" => return self.template_end(),
            b"body" | b"html" => {}
            _ if BLOCKS.contains(&name) || matches!(name, b"button" | b"listing" | b"pre") => {
                if self.in_scope(name, Scope::Default) {
                    self.implied_end(b"");
                    self.pop_until(name);
                }
            }
            b"form" => {
                if self.on_stack(b"template") {
                    if self.in_scope(b"form", Scope::Default) {
                        self.implied_end(b"");
                        self.pop_until(b"form");
                    }
                } else if let Some(id) = self.form.take() {
                    if let Some(i) = self.scoped_id(id) {
                        self.implied_end(b"");
                        // The index may have moved as implied ends popped.
                        if let Some(i) = (i..self.stack.len())
                            .rev()
                            .find(|&j| self.stack.entries[j].id == id)
                        {
                            self.stack.remove(i);
                        }
                    }
                }
            }
            b"p" => {
                if !self.in_scope(b"p", Scope::Button) {
                    self.insert(b"p");
                }
                self.implied_end(b"p");
                self.pop_until(b"p");
            }
            b"li" | b"dd" | b"dt" => {
                let scope = if name == b"li" {
                    Scope::ListItem
                } else {
                    Scope::Default
                };
                if self.in_scope(name, scope) {
                    self.implied_end(name);
                    self.pop_until(name);
                }
            }
            b"h1" | b"h2" | b"h3" | b"h4" | b"h5" | b"h6" => {
                if self.any_in_scope(HEADINGS, Scope::Default) {
                    self.implied_end(b"");
                    self.pop_until_any(HEADINGS);
                }
            }
            b"a" | b"b" | b"big" | b"code" | b"em" | b"font" | b"i" | b"nobr" | b"s" | b"small"
            | b"strike" | b"strong" | b"tt" | b"u" => self.adoption(name),
            b"applet" | b"marquee" | b"object" => {
                if self.in_scope(name, Scope::Default) {
                    self.implied_end(b"");
                    self.pop_until(name);
                    self.clear_to_marker();
                }
            }
            b"br" => {
                self.reconstruct();
                self.insert_void(b"br");
            }
            _ => self.any_other_end(name),
        }
        Done(None)
    }

    /// Index of the entry `id` if it is in the default scope.
    fn scoped_id(&self, id: u32) -> Option<usize> {
        let s = &self.stack;
        for i in (0..s.len()).rev() {
            if s.entries[i].id == id {
                return Some(i);
            }
            if s.has_flag(i, SCOPE) {
                return None;
            }
        }
        None
    }

    pub(super) fn any_other_end(&mut self, name: &[u8]) {
        let s = &self.stack;
        for i in (1..s.len()).rev() {
            if s.is(i, name) {
                self.implied_end(name);
                self.stack.pop_to(i);
                return;
            }
            if s.has_flag(i, SPECIAL) {
                return;
            }
        }
    }
}
