//! SVG and MathML content: foreign elements nest by their tags alone
//! (`<svg><style>` is not raw text, `<math><mi/>` closes itself), until an
//! HTML block such as `<p>` or `<div>` breaks back out to HTML.

use super::super::stack::{Ns, HTML_POINT, MATH_TEXT};
use super::{Done, Flow, Reader};

/// Start tags (and `</br>`, `</p>`) that end foreign content.
const BREAKOUT: &[&[u8]] = &[
    b"b",
    b"big",
    b"blockquote",
    b"body",
    b"br",
    b"center",
    b"code",
    b"dd",
    b"div",
    b"dl",
    b"dt",
    b"em",
    b"embed",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"head",
    b"hr",
    b"i",
    b"img",
    b"li",
    b"listing",
    b"menu",
    b"meta",
    b"nobr",
    b"ol",
    b"p",
    b"pre",
    b"ruby",
    b"s",
    b"small",
    b"span",
    b"strong",
    b"strike",
    b"sub",
    b"sup",
    b"table",
    b"tt",
    b"u",
    b"ul",
    b"var",
];

impl Reader {
    pub(super) fn foreign_start(&mut self, name: &[u8]) -> Flow {
        if BREAKOUT.contains(&name) || name == b"font" && self.font_attr {
            self.break_out();
            return self.start_in(self.mode(), name);
        }
        let t = self.stack.top();
        let ns = self.stack.entries[t].ns;
        let ann = ns == Ns::Math && self.html_annotation.unwrap_or(false);
        self.stack.push(name, ns, ann, None);
        if self.self_closing {
            self.stack.pop();
        }
        Done(None)
    }

    fn break_out(&mut self) {
        while self.stack.len() > 1 {
            let t = self.stack.top();
            let e = &self.stack.entries[t];
            let svg_point = e.ns == Ns::Svg && self.stack.has_flag(t, HTML_POINT);
            if e.ns == Ns::Html || self.stack.has_flag(t, MATH_TEXT) || svg_point {
                return;
            }
            self.stack.pop();
        }
    }

    pub(super) fn foreign_end(&mut self, name: &[u8]) -> Flow {
        if name == b"br" || name == b"p" {
            self.break_out();
            return self.end_in(self.mode(), name);
        }
        let mut i = self.stack.top();
        let mut first = true;
        loop {
            if i == 0 {
                return Done(None);
            }
            if !first && self.stack.entries[i].ns == Ns::Html {
                return self.end_in(self.mode(), name);
            }
            if self.stack.name(i).eq_ignore_ascii_case(name) {
                self.stack.pop_to(i);
                return Done(None);
            }
            first = false;
            i -= 1;
        }
    }
}
