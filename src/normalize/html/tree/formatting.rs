//! The list of active formatting elements and the adoption agency.
//!
//! A `<b>` closed early by a block end (`<p><b>x</p>`) is opened again
//! before the next text; a `</b>` after a block opened inside it moves the
//! block out. Neither changes the order of text, but both change which
//! elements are open, and so where later text lands (`</form>` takes the
//! form off the stack yet leaves what was opened inside it open).

use super::super::stack::{Ns, SCOPE, SPECIAL};
use super::Reader;

/// An entry of the list: a formatting element by name and stack id, or a
/// marker (cells, captions, objects, templates) that bounds it.
pub(super) enum Fmt {
    Marker,
    Element { name: Vec<u8>, id: u32 },
}

impl Reader {
    fn stack_index(&self, id: u32) -> Option<usize> {
        self.stack.entries.iter().rposition(|e| e.id == id)
    }

    fn fmt_position(&self, id: u32) -> Option<usize> {
        self.formatting
            .iter()
            .rposition(|f| matches!(f, Fmt::Element { id: i, .. } if *i == id))
    }

    /// The last entry named `name` after the last marker.
    fn fmt_named(&self, name: &[u8]) -> Option<(usize, u32)> {
        for (i, f) in self.formatting.iter().enumerate().rev() {
            match f {
                Fmt::Marker => return None,
                Fmt::Element { name: n, id } if n == name => return Some((i, *id)),
                Fmt::Element { .. } => {}
            }
        }
        None
    }

    pub(super) fn push_formatting(&mut self, name: &[u8]) {
        self.insert(name);
        let id = self.stack.entries[self.stack.top()].id;
        self.formatting.push(Fmt::Element {
            name: name.to_vec(),
            id,
        });
    }

    pub(super) fn push_marker(&mut self) {
        self.formatting.push(Fmt::Marker);
    }

    pub(super) fn clear_to_marker(&mut self) {
        while let Some(f) = self.formatting.pop() {
            if matches!(f, Fmt::Marker) {
                return;
            }
        }
    }

    fn is_open(&self, f: &Fmt) -> bool {
        match f {
            Fmt::Marker => true,
            Fmt::Element { id, .. } => self.stack_index(*id).is_some(),
        }
    }

    /// Opens again the formatting elements that were closed early.
    pub(super) fn reconstruct(&mut self) {
        let Some(last) = self.formatting.last() else {
            return;
        };
        if self.is_open(last) {
            return;
        }
        let mut i = self.formatting.len() - 1;
        while i > 0 && !self.is_open(&self.formatting[i - 1]) {
            i -= 1;
        }
        for j in i..self.formatting.len() {
            let Fmt::Element { name, .. } = &self.formatting[j] else {
                continue;
            };
            let name = name.clone();
            self.stack.push(&name, Ns::Html, false, None);
            let new = self.stack.entries[self.stack.top()].id;
            if let Fmt::Element { id, .. } = &mut self.formatting[j] {
                *id = new;
            }
        }
    }

    /// `<a>` inside an open `<a>` closes the first.
    pub(super) fn misnested_a(&mut self) {
        let Some((_, id)) = self.fmt_named(b"a") else {
            return;
        };
        self.adoption(b"a");
        if let Some(p) = self.fmt_position(id) {
            self.formatting.remove(p);
        }
        if let Some(i) = self.stack_index(id) {
            self.stack.remove(i);
        }
    }

    /// The adoption agency algorithm, on the stack and the list.
    pub(super) fn adoption(&mut self, subject: &[u8]) {
        let t = self.stack.top();
        if self.stack.is(t, subject) && self.fmt_position(self.stack.entries[t].id).is_none() {
            self.stack.pop();
            return;
        }
        for _ in 0..8 {
            let Some((fi, fe_id)) = self.fmt_named(subject) else {
                self.any_other_end(subject);
                return;
            };
            let Some(fe) = self.stack_index(fe_id) else {
                self.formatting.remove(fi);
                return;
            };
            if !self.in_scope_at(fe) {
                return;
            }
            let s = &self.stack;
            let Some(mut fb) = (fe + 1..s.len()).find(|&i| s.has_flag(i, SPECIAL)) else {
                self.stack.pop_to(fe);
                self.formatting.remove(fi);
                return;
            };
            // None: the new element takes the old one's place in the list.
            let mut bookmark: Option<u32> = None;
            let mut last_is_fb = true;
            let mut node = fb;
            let mut inner = 0;
            loop {
                inner += 1;
                node -= 1;
                if node == fe {
                    break;
                }
                let pos = self.fmt_position(self.stack.entries[node].id);
                if inner > 3 || pos.is_none() {
                    if let Some(p) = pos {
                        self.formatting.remove(p);
                    }
                    self.stack.remove(node);
                    fb -= 1;
                    continue;
                }
                let new = self.stack.new_id();
                self.stack.entries[node].id = new;
                if let Some(Fmt::Element { id, .. }) = pos.map(|p| &mut self.formatting[p]) {
                    *id = new;
                }
                if last_is_fb {
                    bookmark = Some(new);
                }
                last_is_fb = false;
            }
            let fe_entry = self.stack.entries[fe].clone();
            self.stack.remove(fe);
            fb -= 1;
            let new = self.stack.insert_clone(fb + 1, &fe_entry);
            let entry = Fmt::Element {
                name: subject.to_vec(),
                id: new,
            };
            match bookmark.and_then(|b| self.fmt_position(b)) {
                None => {
                    if let Some(p) = self.fmt_position(fe_id) {
                        self.formatting[p] = entry;
                    }
                }
                Some(after) => {
                    self.formatting.insert(after + 1, entry);
                    if let Some(p) = self.fmt_position(fe_id) {
                        self.formatting.remove(p);
                    }
                }
            }
            if self.stack.reparent_from(fe) {
                self.moved = true;
            }
        }
    }

    fn in_scope_at(&self, target: usize) -> bool {
        let s = &self.stack;
        for i in (0..s.len()).rev() {
            if i == target {
                return true;
            }
            if s.has_flag(i, SCOPE) {
                return false;
            }
        }
        false
    }
}
