//! The embedded workspace's store: an append-only file of [`Event`]s, one
//! JSON line each, in the pipeline's state directory.
//!
//! An append is written and synced before it returns, so whatever a person
//! was told is recorded is on disk. At start the file is read back in full
//! and folded into the view; a line that cannot be read (a write torn by a
//! crash, a hand edit) is reported with its number and skipped, and the
//! file is left as it is.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use super::events::Event;

#[derive(Debug, thiserror::Error)]
#[error("workspace store {path}: {source}")]
pub struct LogError {
    pub path: String,
    pub source: std::io::Error,
}

pub struct EventLog {
    path: PathBuf,
    file: File,
}

/// The file's name in the state directory.
pub const FILE_NAME: &str = "workspace.jsonl";

impl EventLog {
    /// Opens (creating it if need be) the store in `dir`, and reads back
    /// every event it holds.
    pub fn open(dir: &Path) -> Result<(EventLog, Vec<Event>), LogError> {
        let path = dir.join(FILE_NAME);
        let fail = |source| LogError {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(fail)?;
        let mut events = Vec::new();
        if path.exists() {
            let reader = BufReader::new(File::open(&path).map_err(fail)?);
            for (n, line) in reader.split(b'\n').enumerate() {
                let line = line.map_err(fail)?;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match serde_json::from_slice::<Event>(&line) {
                    Ok(e) => events.push(e),
                    Err(e) => tracing::warn!(
                        path = %path.display(),
                        line = n + 1,
                        error = %e,
                        "Workspace store line unreadable; skipped."
                    ),
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(fail)?;
        Ok((EventLog { path, file }, events))
    }

    /// Appends `events` and syncs them to disk.
    pub fn append(&mut self, events: &[Event]) -> Result<(), LogError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for e in events {
            serde_json::to_writer(&mut buf, e).expect("events serialize");
            buf.push(b'\n');
        }
        let fail = |source| LogError {
            path: self.path.display().to_string(),
            source,
        };
        self.file.write_all(&buf).map_err(fail)?;
        self.file.sync_data().map_err(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::events::{Activity, ActivityKind};

    fn note(id: &str) -> Event {
        Event::Activity(Activity {
            feedback_id: id.into(),
            at: "2026-11-30T10:00:00Z".parse().unwrap(),
            by: "pat".into(),
            what: ActivityKind::Note { text: "n".into() },
        })
    }

    #[test]
    fn appended_events_are_read_back_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let (mut log, none) = EventLog::open(dir.path()).unwrap();
        assert!(none.is_empty());
        log.append(&[note("a"), note("b")]).unwrap();
        drop(log);
        // A crash in the middle of a write leaves half a line.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join(FILE_NAME))
            .unwrap();
        f.write_all(br#"{"event":"activity","da"#).unwrap();
        f.write_all(b"\n").unwrap();
        drop(f);
        let (mut log, events) = EventLog::open(dir.path()).unwrap();
        assert_eq!(events, vec![note("a"), note("b")]);
        log.append(&[note("c")]).unwrap();
        let (_, events) = EventLog::open(dir.path()).unwrap();
        assert_eq!(events.len(), 3);
    }
}
