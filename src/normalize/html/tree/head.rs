//! A document's head, and the elements the body reads by the head's rules.
//! Head content is never shown; a document's text starts with its body.

use html5gum::State;

use super::{Again, Done, Flow, Reader, THOROUGH_END};

impl Reader {
    pub(super) fn head_start(&mut self, name: &[u8]) -> Flow {
        match name {
            b"html" | b"head" | b"base" | b"basefont" | b"bgsound" | b"link" | b"meta" => {
                Done(None)
            }
            b"title" => self.raw_text(name, State::RcData),
            b"noscript" | b"noframes" | b"style" => self.raw_text(name, State::RawText),
            b"script" => self.raw_text(name, State::ScriptData),
            b"template" => {
                // Template content is body-like and never shown.
                self.insert(name);
                self.push_marker();
                Done(None)
            }
            b"body" => {
                self.stack.start_body();
                self.in_head = false;
                Done(None)
            }
            _ => {
                self.stack.start_body();
                self.in_head = false;
                Again
            }
        }
    }

    pub(super) fn head_end(&mut self, name: &[u8]) -> Flow {
        match name {
            b"body" | b"html" | b"br" => {
                self.stack.start_body();
                self.in_head = false;
                Again
            }
            _ => Done(None),
        }
    }

    /// Elements the body takes by the head's rules.
    pub(super) fn head_element(&mut self, name: &[u8]) -> Option<Flow> {
        Some(match name {
            b"base" | b"basefont" | b"bgsound" | b"link" | b"meta" => {
                self.insert_void(name);
                Done(None)
            }
            b"title" => self.raw_text(name, State::RcData),
            b"noframes" | b"style" => self.raw_text(name, State::RawText),
            b"script" => self.raw_text(name, State::ScriptData),
            b"template" => {
                self.insert(name);
                self.push_marker();
                Done(None)
            }
            _ => return None,
        })
    }

    pub(super) fn template_end(&mut self) -> Flow {
        if self.on_stack(b"template") {
            while self.stack.top_in(THOROUGH_END) {
                self.stack.pop();
            }
            self.pop_until(b"template");
            self.clear_to_marker();
        }
        Done(None)
    }
}
