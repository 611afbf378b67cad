//! JSON lines to a file or stdout: the embedded default sink.
//!
//! One record per line, exactly the JSON a Kafka consumer would receive. A
//! batch is acknowledged once it is written and, for a file, synced to disk.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use tokio::sync::Mutex;

use super::SinkError;
use crate::record::Record;

pub struct JsonlSink {
    out: Arc<Mutex<Output>>,
    name: String,
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
        // Taken before a blocking thread is: polls waiting for their turn
        // wait as tasks, not as hundreds of parked threads of the blocking
        // pool (each with its stack and malloc arena, memory that stays).
        let mut out = self.out.clone().lock_owned().await;
        let name = self.name.clone();
        // Writing and fsync block; keep them off the async workers.
        tokio::task::spawn_blocking(move || {
            let res = match &mut *out {
                Output::Stdout => {
                    let mut so = std::io::stdout().lock();
                    so.write_all(&buf).and_then(|_| so.flush())
                }
                Output::File(f) => f.write_all(&buf).and_then(|_| f.sync_data()),
            };
            res.map_err(|source| SinkError::Io { path: name, source })
        })
        .await
        // Cancelled at shutdown (a poll abandoned after the grace period)
        // or panicked: either way the lines were not written.
        .unwrap_or_else(|e| {
            Err(SinkError::Io {
                path: self.name.clone(),
                source: std::io::Error::other(format!("the write did not finish: {e}")),
            })
        })
    }

    pub async fn flush(&self) -> Result<(), SinkError> {
        // Every send already wrote and synced.
        Ok(())
    }
}
