//! JSON lines to a file or stdout: the embedded default sink.
//!
//! One record per line, exactly the JSON a Kafka consumer would receive. A
//! batch is acknowledged once it is written and, for a file, synced to disk.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use std::sync::Mutex;

use super::SinkError;
use crate::group::Group;
use crate::record::Record;

pub struct JsonlSink {
    out: Arc<Mutex<Output>>,
    name: String,
    /// Writes of polls finishing together share one sync.
    group: Group<Vec<u8>, String>,
}

enum Output {
    Stdout,
    File(std::fs::File),
}

impl JsonlSink {
    /// Appends to `path` (creating its directory), or writes to stdout.
    pub fn open(path: Option<&Path>) -> Result<JsonlSink, SinkError> {
        let Some(path) = path else {
            return Ok(JsonlSink {
                out: Arc::new(Mutex::new(Output::Stdout)),
                name: "stdout".into(),
                group: Group::default(),
            });
        };
        let err = |source| SinkError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(err)?;
        Ok(JsonlSink {
            out: Arc::new(Mutex::new(Output::File(file))),
            name: path.display().to_string(),
            group: Group::default(),
        })
    }

    pub async fn send(&self, records: &[Record]) -> Result<(), SinkError> {
        let mut buf = Vec::with_capacity(records.len() * 512);
        for r in records {
            serde_json::to_writer(&mut buf, r).expect("records serialize");
            buf.push(b'\n');
        }
        self.write(buf).await
    }

    /// Appends ready lines and syncs them (also the dead-letter file's path).
    pub async fn write(&self, buf: Vec<u8>) -> Result<(), SinkError> {
        let out = self.out.clone();
        let written = self
            .group
            .submit(buf, move |bufs| {
                // A write cut short by shutdown leaves the file as it was
                // for the lines after it; the lock is only poisoned then.
                let mut out = out.lock().unwrap_or_else(|p| p.into_inner());
                let res = match &mut *out {
                    Output::Stdout => {
                        let mut so = std::io::stdout().lock();
                        bufs.iter()
                            .try_for_each(|b| so.write_all(b))
                            .and_then(|_| so.flush())
                    }
                    Output::File(f) => bufs
                        .iter()
                        .try_for_each(|b| f.write_all(b))
                        .and_then(|_| f.sync_data()),
                };
                res.map_err(|e| e.to_string())
            })
            .await;
        let io = |message: String| SinkError::Io {
            path: self.name.clone(),
            source: std::io::Error::other(message),
        };
        match written {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(io(e)),
            // Panicked: the lines were not written, as far as anyone knows.
            None => Err(io("the write did not finish".into())),
        }
    }

    pub async fn flush(&self) -> Result<(), SinkError> {
        // Every send already wrote and synced.
        Ok(())
    }
}
