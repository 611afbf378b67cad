//! Server-sent events as Mastodon's streaming API sends them, and the
//! frames they become. No I/O: bytes in, events and frames out.
//!
//! Chunks of a stream end anywhere (inside a line, inside a character), so
//! the parser keeps what is unfinished; it keeps no more than a cap, since
//! a stream that never ends a line must not grow without bound. Statuses
//! inside events are read by [`super::parse`].

use serde_json::Value;

use super::parse::status;
use crate::source::social::Frame;

/// One server-sent event: its name (`message` when unnamed) and its data
/// lines joined by newlines.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub event: String,
    pub data: String,
}

/// A stream that went on without finishing an event.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("an event grew past {limit} bytes")]
pub struct TooLong {
    pub limit: usize,
}

/// Reads events from chunks; holds at most `limit` bytes of one unfinished
/// event.
#[derive(Debug)]
pub struct SseParser {
    buf: Vec<u8>,
    event: String,
    data: String,
    has_data: bool,
    after_cr: bool,
    limit: usize,
}

impl SseParser {
    pub fn new(limit: usize) -> SseParser {
        SseParser {
            buf: Vec::new(),
            event: String::new(),
            data: String::new(),
            has_data: false,
            after_cr: false,
            limit,
        }
    }

    /// The events `chunk` completes; `Err` once one event outgrows the limit.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<SseEvent>, TooLong> {
        if chunk.is_empty() {
            return Ok(Vec::new());
        }
        self.buf.extend_from_slice(chunk);
        let mut events = Vec::new();
        // The LF of a CRLF cut between two chunks.
        let mut start = usize::from(std::mem::take(&mut self.after_cr) && self.buf[0] == b'\n');
        while let Some(at) = self.buf[start..]
            .iter()
            .position(|b| matches!(b, b'\n' | b'\r'))
        {
            let end = start + at;
            let line = String::from_utf8_lossy(&self.buf[start..end]).into_owned();
            start = end + 1;
            if self.buf[end] == b'\r' {
                match self.buf.get(start) {
                    Some(b'\n') => start += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            events.extend(self.line(&line));
        }
        self.buf.drain(..start);
        if self.buf.len() + self.data.len() > self.limit {
            return Err(TooLong { limit: self.limit });
        }
        Ok(events)
    }

    fn line(&mut self, line: &str) -> Option<SseEvent> {
        if line.is_empty() {
            let event = std::mem::take(&mut self.event);
            let mut data = std::mem::take(&mut self.data);
            if !std::mem::take(&mut self.has_data) {
                return None;
            }
            data.pop();
            let event = if event.is_empty() {
                "message".into()
            } else {
                event
            };
            return Some(SseEvent { event, data });
        }
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        if line.starts_with(':') {
            return None; // a comment: the `:thump` heartbeat
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => self.event = value.to_string(),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            _ => {} // `id` and `retry`: Mastodon cannot resume from them
        }
        None
    }
}

/// An event of a hashtag stream as a frame. `latest` is the id of the
/// newest status the stream has announced: an edit or a delete is about an
/// older status, and resuming from that status's own id would only re-read
/// what is known. `None` for an event with nothing to say and no place to
/// resume from.
pub fn event_frame(ev: &SseEvent, host: &str, latest: Option<&str>) -> Option<Frame> {
    match ev.event.as_str() {
        "update" | "status.update" => {
            let v: Value = match serde_json::from_str(&ev.data) {
                Ok(v) => v,
                Err(e) => {
                    return Some(Frame::Bad {
                        cursor: None,
                        error: format!("{}: not JSON: {e}", ev.event),
                    })
                }
            };
            let own = v.get("id").and_then(Value::as_str);
            match status(&v, host) {
                Ok(s) => {
                    let cursor = match ev.event.as_str() {
                        "update" => s.id,
                        _ => latest.map_or(s.id, str::to_string),
                    };
                    Some(Frame::Post {
                        cursor,
                        item: s.item,
                    })
                }
                Err(e) => Some(Frame::Bad {
                    cursor: match ev.event.as_str() {
                        "update" => own.map(str::to_string),
                        _ => latest.or(own).map(str::to_string),
                    },
                    error: format!("status {}: {e}", own.unwrap_or("without id")),
                }),
            }
        }
        "delete" => Some(Frame::Skip {
            cursor: latest.unwrap_or(ev.data.trim()).to_string(),
        }),
        _ => latest.map(|c| Frame::Skip {
            cursor: c.to_string(),
        }),
    }
}
