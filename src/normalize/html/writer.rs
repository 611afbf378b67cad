//! The text side of HTML to text, shared by the streaming reader and the
//! DOM walk: it collapses whitespace and defers line breaks until the next
//! visible character, so that empty blocks leave no blank lines.

/// Accumulates text, collapsing whitespace and deferring line breaks.
#[derive(Default)]
pub(super) struct TextWriter {
    out: String,
    /// Newlines owed before the next character (at most 2: one blank line).
    pending: u8,
    space: bool,
    /// Inside `<pre>`: whitespace is kept and newlines break lines.
    pub(super) pre: bool,
}

impl TextWriter {
    pub(super) fn with_capacity(n: usize) -> Self {
        TextWriter {
            out: String::with_capacity(n),
            ..TextWriter::default()
        }
    }

    pub(super) fn block(&mut self, newlines: u8) {
        if newlines > 0 {
            self.pending = self.pending.max(newlines);
            self.space = false;
        }
    }

    pub(super) fn line_break(&mut self) {
        self.pending = (self.pending + 1).min(2);
        self.space = false;
    }

    pub(super) fn text(&mut self, text: &str) {
        if self.pre {
            for c in text.chars() {
                if c == '\n' {
                    self.line_break();
                } else {
                    self.push(c);
                }
            }
            return;
        }
        // Runs of visible ASCII go in one copy; only whitespace and other
        // characters are looked at one by one.
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_graphic() {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_graphic() {
                    i += 1;
                }
                self.push_str(&text[start..i]);
            } else if b.is_ascii() {
                // ASCII whitespace and controls: `char::is_whitespace` on
                // ASCII is exactly space, \t, \n, \x0b, \x0c, \r.
                if matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
                    self.space = true;
                } else {
                    self.push(b as char);
                }
                i += 1;
            } else {
                let c = text[i..].chars().next().expect("char boundary");
                if c.is_whitespace() {
                    self.space = true;
                } else {
                    self.push(c);
                }
                i += c.len_utf8();
            }
        }
    }

    fn before_visible(&mut self) {
        if !self.out.is_empty() {
            if self.pending > 0 {
                for _ in 0..self.pending {
                    self.out.push('\n');
                }
            } else if self.space {
                self.out.push(' ');
            }
        }
        self.pending = 0;
        self.space = false;
    }

    fn push(&mut self, c: char) {
        self.before_visible();
        self.out.push(c);
    }

    fn push_str(&mut self, s: &str) {
        self.before_visible();
        self.out.push_str(s);
    }

    pub(super) fn finish(self) -> String {
        self.out
    }
}
