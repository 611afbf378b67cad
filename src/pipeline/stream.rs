//! Live sources in `run`: a stream read without pause, delivered in batches.
//!
//! A firehose (Bluesky's Jetstream) or a streaming API (Mastodon's) is not
//! polled: it is read continuously. Frames gather in a [`Batch`] until it is
//! large or old enough; posts that match no brand query are dropped as they
//! arrive, before any other work is spent on them; then the batch goes
//! through [`Engine::deliver`] like a poll, and its cursor is committed with
//! it. A dropped connection delivers what it has, then reconnects from the
//! last committed cursor, so a failure repeats frames (which state drops as
//! already seen) and never skips them.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Engine, PollError, Window};
use crate::config::{SourceConfig, SourceKind};
use crate::model::Item;
use crate::source::social::{Frame, FrameStream};
use crate::source::{self, Poll};

/// When a batch is delivered: whichever comes first.
#[derive(Debug, Clone, Copy)]
pub struct Batching {
    pub max_frames: usize,
    pub max_wait: Duration,
}

impl Default for Batching {
    fn default() -> Self {
        Batching {
            max_frames: 2_000,
            max_wait: Duration::from_secs(1),
        }
    }
}

/// Frames read since the last delivery.
#[derive(Debug, Default)]
pub struct Batch {
    pub items: Vec<Item>,
    pub errors: Vec<String>,
    /// The cursor of the last frame that had one.
    pub cursor: Option<String>,
    pub frames: usize,
}

impl Batch {
    /// Takes in one frame; a post is kept only if `keep` says a brand may
    /// be in it.
    pub fn add(&mut self, frame: Frame, keep: &dyn Fn(&Item) -> bool) {
        self.frames += 1;
        match frame {
            Frame::Post { cursor, item } => {
                if keep(&item) {
                    self.items.push(item);
                }
                self.cursor = Some(cursor);
            }
            Frame::Skip { cursor } => self.cursor = Some(cursor),
            Frame::Bad { cursor, error } => {
                self.errors.push(error);
                if cursor.is_some() {
                    self.cursor = cursor;
                }
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.frames == 0
    }
}

/// How a connection ended.
enum Ended {
    Shutdown,
    Closed,
}

/// Follows a live source until shutdown, reconnecting with backoff.
pub async fn follow(
    engine: Arc<Engine>,
    source: SourceConfig,
    batching: Batching,
    shutdown: CancellationToken,
) {
    let sched = engine.pipeline.schedule.clone();
    let mut failures = 0u32;
    loop {
        if shutdown.is_cancelled() {
            return;
        }
        // Mastodon's stream starts at "now": what came since the cursor is
        // fetched first, or the gap while we were away would be lost.
        if matches!(source.kind, SourceKind::Mastodon(_)) {
            if let Err(e) = engine.poll_source(&source, true, Window::default()).await {
                tracing::warn!(source = %source.id, error = %e, "Catch-up poll failed.");
            }
        }
        let mut cursor = engine
            .state
            .snapshot()
            .and_then(|s| s.cursor(&source.id))
            .ok()
            .flatten();
        if matches!(source.kind, SourceKind::Bluesky(_)) {
            // Jetstream's advice for gapless replay: resume a little before
            // the cursor; what comes twice is dropped as already seen.
            cursor = cursor.and_then(|c| c.parse::<i64>().ok()).map(|t| {
                t.saturating_sub(crate::source::bluesky::REWIND)
                    .max(1)
                    .to_string()
            });
        }
        let result = match source::subscribe(&engine.client, &source, cursor.as_deref()).await {
            Ok(stream) => pump(&engine, &source, stream, batching, &shutdown).await,
            Err(e) => Err(e.into()),
        };
        let wait = match result {
            Ok(Ended::Shutdown) => return,
            Ok(Ended::Closed) => {
                failures = 0;
                tracing::info!(source = %source.id, "Stream closed by the server; reconnecting.");
                Duration::from_secs(1)
            }
            Err(e) => {
                failures += 1;
                let retry_after = match &e {
                    PollError::Source(s) => s.retry_after(),
                    _ => None,
                };
                let wait = super::schedule::after_error(&sched, failures, retry_after)
                    .min(Duration::from_secs(60));
                tracing::warn!(source = %source.id, error = %e, failures, ?wait, "Stream failed; reconnecting from the last delivered cursor.");
                wait
            }
        };
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

async fn pump(
    engine: &Engine,
    source: &SourceConfig,
    mut stream: FrameStream,
    batching: Batching,
    shutdown: &CancellationToken,
) -> Result<Ended, PollError> {
    let keep = |item: &Item| engine.classifier.mentions_any(&super::fields(item));
    let mut batch = Batch::default();
    let mut due: Option<Instant> = None;
    loop {
        let frame = tokio::select! {
            biased;
            _ = shutdown.cancelled() => {
                flush(engine, source, &mut batch).await?;
                return Ok(Ended::Shutdown);
            }
            _ = sleep_until(due) => {
                flush(engine, source, &mut batch).await?;
                due = None;
                continue;
            }
            f = stream.next() => f,
        };
        match frame {
            None => {
                flush(engine, source, &mut batch).await?;
                return Ok(Ended::Closed);
            }
            Some(Err(e)) => {
                // What was read before the failure is good: deliver it, so
                // the reconnect starts after it.
                flush(engine, source, &mut batch).await?;
                return Err(e.into());
            }
            Some(Ok(frame)) => {
                batch.add(frame, &keep);
                if batch.frames >= batching.max_frames {
                    flush(engine, source, &mut batch).await?;
                    due = None;
                } else if due.is_none() {
                    due = Some(Instant::now() + batching.max_wait);
                }
            }
        }
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
    }
}

async fn flush(engine: &Engine, source: &SourceConfig, batch: &mut Batch) -> Result<(), PollError> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut b = std::mem::take(batch);
    source::enrich(&engine.client, source, &mut b.items, &engine.profiles).await;
    let frames = b.frames;
    let poll = Poll {
        items: b.items,
        errors: b.errors,
        cursor: b.cursor,
        ..Poll::default()
    };
    let o = engine
        .deliver(&source.id, poll, Window::default(), true)
        .await?;
    tracing::debug!(source = %source.id, frames, items = o.items, records = o.records, "Stream batch delivered.");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(cursor: &str, text: &str) -> Frame {
        Frame::Post {
            cursor: cursor.into(),
            item: Item {
                key: cursor.into(),
                text: text.into(),
                ..Item::default()
            },
        }
    }

    #[test]
    fn a_batch_keeps_matching_posts_and_the_last_cursor_of_every_frame() {
        let keep = |i: &Item| i.text.contains("acme");
        let mut b = Batch::default();
        b.add(post("10", "acme is down"), &keep);
        b.add(post("11", "nothing to see"), &keep);
        b.add(
            Frame::Skip {
                cursor: "12".into(),
            },
            &keep,
        );
        assert_eq!(b.items.len(), 1);
        assert_eq!(
            b.cursor.as_deref(),
            Some("12"),
            "dropped posts still move the cursor"
        );
        b.add(
            Frame::Bad {
                cursor: None,
                error: "event 13: missing field `did`".into(),
            },
            &keep,
        );
        assert_eq!(
            b.cursor.as_deref(),
            Some("12"),
            "a frame without a cursor keeps the last one"
        );
        assert_eq!(b.errors.len(), 1);
        assert_eq!(b.frames, 4);
    }
}
