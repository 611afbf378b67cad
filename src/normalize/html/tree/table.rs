//! Tables and `<select>`: rows and cells close each other, and table parts
//! outside a table are ignored, as in the HTML standard's table modes.

use html5gum::State;

use super::{Again, Done, Flow, Reader, Scope, TABLE_OUTER};

const TABLE_CONTEXT: &[&[u8]] = &[b"table", b"template", b"html"];
const BODY_CONTEXT: &[&[u8]] = &[b"tbody", b"tfoot", b"thead", b"template", b"html"];
const ROW_CONTEXT: &[&[u8]] = &[b"tr", b"template", b"html"];
const CELLS: &[&[u8]] = &[b"td", b"th"];

impl Reader {
    pub(super) fn table_start(&mut self, name: &[u8]) -> Flow {
        match name {
            b"caption" | b"colgroup" | b"tbody" | b"tfoot" | b"thead" => {
                self.clear_to(TABLE_CONTEXT);
                if name == b"caption" {
                    self.push_marker();
                }
                self.insert(name);
            }
            b"col" => {
                self.clear_to(TABLE_CONTEXT);
                self.insert(b"colgroup");
                return Again;
            }
            b"td" | b"th" | b"tr" => {
                self.clear_to(TABLE_CONTEXT);
                self.insert(b"tbody");
                return Again;
            }
            b"table" => {
                if self.in_scope(b"table", Scope::Table) {
                    self.pop_until(b"table");
                    return Again;
                }
            }
            b"style" | b"script" | b"template" => {
                return self.head_element(name).unwrap_or(Done(None));
            }
            b"input" if self.type_hidden == Some(true) => self.insert_void(name),
            b"form" => {
                if !self.on_stack(b"template") && self.form.is_none() {
                    self.insert(name);
                    self.form = Some(self.stack.entries[self.stack.top()].id);
                    self.stack.pop();
                }
            }
            _ => {
                if self.stack.top_in(TABLE_OUTER) {
                    self.moved = true;
                }
                return self.body_start(name);
            }
        }
        Done(None)
    }

    pub(super) fn table_end(&mut self, name: &[u8]) -> Flow {
        match name {
            b"table" => {
                if self.in_scope(b"table", Scope::Table) {
                    self.pop_until(b"table");
                }
            }
            b"body" | b"caption" | b"col" | b"colgroup" | b"html" | b"tbody" | b"td" | b"tfoot"
            | b"th" | b"thead" | b"tr" => {}
            b"template" => return self.template_end(),
            _ => {
                // `</p>` and `</br>` insert an element, which would go in
                // front of the table.
                if matches!(name, b"p" | b"br") && self.stack.top_in(TABLE_OUTER) {
                    self.moved = true;
                }
                return self.body_end(name);
            }
        }
        Done(None)
    }

    pub(super) fn table_body_start(&mut self, name: &[u8]) -> Flow {
        match name {
            b"tr" => {
                self.clear_to(BODY_CONTEXT);
                self.insert(name);
            }
            b"th" | b"td" => {
                self.clear_to(BODY_CONTEXT);
                self.insert(b"tr");
                return Again;
            }
            b"caption" | b"col" | b"colgroup" | b"tbody" | b"tfoot" | b"thead" => {
                return self.leave_section();
            }
            _ => return self.table_start(name),
        }
        Done(None)
    }

    /// Closes the open table section so the token is read in the table.
    fn leave_section(&mut self) -> Flow {
        if self.any_in_scope(&[b"table", b"tbody", b"tfoot"], Scope::Table) {
            self.clear_to(BODY_CONTEXT);
            self.stack.pop();
            return Again;
        }
        Done(None)
    }

    pub(super) fn table_body_end(&mut self, name: &[u8]) -> Flow {
        match name {
            b"tbody" | b"tfoot" | b"thead" => {
                if self.in_scope(name, Scope::Table) {
                    self.clear_to(BODY_CONTEXT);
                    self.stack.pop();
                }
            }
            b"table" => return self.leave_section(),
            b"body" | b"caption" | b"col" | b"colgroup" | b"html" | b"td" | b"th" | b"tr" => {}
            _ => return self.table_end(name),
        }
        Done(None)
    }

    pub(super) fn row_start(&mut self, name: &[u8]) -> Flow {
        match name {
            b"th" | b"td" => {
                self.clear_to(ROW_CONTEXT);
                self.insert(name);
                self.push_marker();
            }
            b"caption" | b"col" | b"colgroup" | b"tbody" | b"tfoot" | b"thead" | b"tr" => {
                return self.leave_row();
            }
            _ => return self.table_start(name),
        }
        Done(None)
    }

    fn leave_row(&mut self) -> Flow {
        if self.in_scope(b"tr", Scope::Table) {
            self.clear_to(ROW_CONTEXT);
            self.stack.pop();
            return Again;
        }
        Done(None)
    }

    pub(super) fn row_end(&mut self, name: &[u8]) -> Flow {
        match name {
            b"tr" => {
                if self.in_scope(b"tr", Scope::Table) {
                    self.clear_to(ROW_CONTEXT);
                    self.stack.pop();
                }
            }
            b"table" => return self.leave_row(),
            b"tbody" | b"tfoot" | b"thead" => {
                if self.in_scope(name, Scope::Table) {
                    return self.leave_row();
                }
            }
            b"body" | b"caption" | b"col" | b"colgroup" | b"html" | b"td" | b"th" => {}
            _ => return self.table_end(name),
        }
        Done(None)
    }

    fn close_cell(&mut self) -> Flow {
        self.implied_end(b"");
        self.pop_until_any(CELLS);
        self.clear_to_marker();
        Again
    }

    pub(super) fn cell_start(&mut self, name: &[u8]) -> Flow {
        match name {
            b"caption" | b"col" | b"colgroup" | b"tbody" | b"td" | b"tfoot" | b"th" | b"thead"
            | b"tr" => {
                if self.any_in_scope(CELLS, Scope::Table) {
                    return self.close_cell();
                }
                Done(None)
            }
            _ => self.body_start(name),
        }
    }

    pub(super) fn cell_end(&mut self, name: &[u8]) -> Flow {
        match name {
            b"td" | b"th" => {
                if self.in_scope(name, Scope::Table) {
                    self.implied_end(b"");
                    self.pop_until(name);
                    self.clear_to_marker();
                }
                Done(None)
            }
            b"body" | b"caption" | b"col" | b"colgroup" | b"html" => Done(None),
            b"table" | b"tbody" | b"tfoot" | b"thead" | b"tr" => {
                if self.in_scope(name, Scope::Table) {
                    return self.close_cell();
                }
                Done(None)
            }
            _ => self.body_end(name),
        }
    }

    pub(super) fn caption_start(&mut self, name: &[u8]) -> Flow {
        match name {
            b"caption" | b"col" | b"colgroup" | b"tbody" | b"td" | b"tfoot" | b"th" | b"thead"
            | b"tr" => self.leave_caption(false),
            _ => self.body_start(name),
        }
    }

    fn leave_caption(&mut self, end: bool) -> Flow {
        if self.in_scope(b"caption", Scope::Table) {
            self.implied_end(b"");
            self.pop_until(b"caption");
            self.clear_to_marker();
            return if end { Done(None) } else { Again };
        }
        Done(None)
    }

    pub(super) fn caption_end(&mut self, name: &[u8]) -> Flow {
        match name {
            b"caption" => self.leave_caption(true),
            b"table" => self.leave_caption(false),
            b"body" | b"col" | b"colgroup" | b"html" | b"tbody" | b"td" | b"tfoot" | b"th"
            | b"thead" | b"tr" => Done(None),
            _ => self.body_end(name),
        }
    }

    pub(super) fn colgroup_start(&mut self, name: &[u8]) -> Flow {
        match name {
            b"html" => Done(None),
            b"col" => {
                self.insert_void(name);
                Done(None)
            }
            b"template" => self.head_element(name).unwrap_or(Done(None)),
            _ => self.leave_colgroup(),
        }
    }

    fn leave_colgroup(&mut self) -> Flow {
        if self.stack.top_is(b"colgroup") {
            self.stack.pop();
            return Again;
        }
        Done(None)
    }

    pub(super) fn colgroup_end(&mut self, name: &[u8]) -> Flow {
        match name {
            b"colgroup" => {
                if self.stack.top_is(b"colgroup") {
                    self.stack.pop();
                }
                Done(None)
            }
            b"col" => Done(None),
            b"template" => self.template_end(),
            _ => self.leave_colgroup(),
        }
    }

    pub(super) fn select_start(&mut self, name: &[u8]) -> Flow {
        match name {
            b"option" => {
                if self.stack.top_is(b"option") {
                    self.stack.pop();
                }
                self.insert(name);
            }
            b"optgroup" | b"hr" => {
                if self.stack.top_is(b"option") {
                    self.stack.pop();
                }
                if self.stack.top_is(b"optgroup") {
                    self.stack.pop();
                }
                self.insert(name);
                if name == b"hr" {
                    self.stack.pop();
                }
            }
            b"select" if self.in_scope(b"select", Scope::Select) => self.pop_until(b"select"),
            b"input" | b"keygen" | b"textarea" if self.in_scope(b"select", Scope::Select) => {
                self.pop_until(b"select");
                return Again;
            }
            b"script" => return self.raw_text(name, State::ScriptData),
            b"template" => {
                self.insert(name);
                self.push_marker();
            }
            _ => {}
        }
        Done(None)
    }

    pub(super) fn select_end(&mut self, name: &[u8]) -> Flow {
        match name {
            b"optgroup" => {
                let s = &self.stack;
                let n = s.len();
                if n >= 2 && s.top_is(b"option") && s.is(n - 2, b"optgroup") {
                    self.stack.pop();
                }
                if self.stack.top_is(b"optgroup") {
                    self.stack.pop();
                }
            }
            b"option" if self.stack.top_is(b"option") => self.stack.pop(),
            b"select" if self.in_scope(b"select", Scope::Select) => self.pop_until(b"select"),
            b"template" => return self.template_end(),
            _ => {}
        }
        Done(None)
    }

    pub(super) fn select_in_table_start(&mut self, name: &[u8]) -> Flow {
        match name {
            b"caption" | b"table" | b"tbody" | b"tfoot" | b"thead" | b"tr" | b"td" | b"th" => {
                self.pop_until(b"select");
                Again
            }
            _ => self.select_start(name),
        }
    }

    pub(super) fn select_in_table_end(&mut self, name: &[u8]) -> Flow {
        match name {
            b"caption" | b"table" | b"tbody" | b"tfoot" | b"thead" | b"tr" | b"td" | b"th" => {
                if self.in_scope(name, Scope::Table) {
                    self.pop_until(b"select");
                    return Again;
                }
                Done(None)
            }
            _ => self.select_end(name),
        }
    }
}
