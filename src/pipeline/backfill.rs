//! `backfill`: every source once over a time window, then drain and exit.
//!
//! HTTP caches are ignored (a 304 would hide the past), but what state says
//! was already delivered is not sent again, so a second backfill over the
//! same window emits nothing new.

use std::sync::Arc;

use futures::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio_util::sync::CancellationToken;

use super::{Engine, Outcome, Window};

/// How one source fared.
#[derive(Debug)]
pub struct SourceSummary {
    pub id: String,
    pub outcome: Option<Outcome>,
    /// Set when the source failed outright.
    pub error: Option<String>,
    /// From the start of the backfill until this source was delivered (or
    /// failed).
    pub done_after: std::time::Duration,
}

#[derive(Debug)]
pub struct Summary {
    pub sources: Vec<SourceSummary>,
    pub elapsed: std::time::Duration,
    /// Set when the final flush of the sink failed: what was queued may not
    /// have arrived.
    pub flush_error: Option<String>,
}

impl Summary {
    pub fn failed(&self) -> usize {
        self.sources.iter().filter(|s| s.error.is_some()).count()
    }

    /// Whether everything the backfill meant to deliver was delivered.
    pub fn succeeded(&self) -> bool {
        self.failed() == 0 && self.flush_error.is_none()
    }

    pub fn totals(&self) -> Outcome {
        let mut t = Outcome::default();
        for o in self.sources.iter().filter_map(|s| s.outcome.as_ref()) {
            t.items += o.items;
            t.records += o.records;
            t.matched += o.matched;
            t.unchanged += o.unchanged;
            t.entry_errors += o.entry_errors;
        }
        t
    }

    /// A table for a person: one line per source, then the totals.
    pub fn render(&self) -> String {
        let mut s = format!(
            "{:<24} {:>7} {:>8} {:>8} {:>9} {:>7}  {}\n",
            "source", "items", "matched", "records", "unchanged", "errors", "status"
        );
        for src in &self.sources {
            let o = src.outcome.clone().unwrap_or_default();
            let status = match &src.error {
                Some(e) => format!("FAILED: {e}"),
                None => "ok".into(),
            };
            s += &format!(
                "{:<24} {:>7} {:>8} {:>8} {:>9} {:>7}  {}\n",
                src.id, o.items, o.matched, o.records, o.unchanged, o.entry_errors, status
            );
        }
        let t = self.totals();
        let secs = self.elapsed.as_secs_f64();
        s += &format!(
            "{:<24} {:>7} {:>8} {:>8} {:>9} {:>7}  {} failed, {:.2}s, {:.0} items/s\n",
            "total",
            t.items,
            t.matched,
            t.records,
            t.unchanged,
            t.entry_errors,
            self.failed(),
            secs,
            t.items as f64 / secs.max(1e-9)
        );
        if let Some(e) = &self.flush_error {
            s += &format!("sink flush FAILED: {e}\n");
        }
        s
    }
}

impl Summary {
    /// The summary as log events: one per source, then the totals.
    pub fn log(&self) {
        for s in &self.sources {
            let o = s.outcome.clone().unwrap_or_default();
            match &s.error {
                None => {
                    tracing::info!(source = %s.id, seconds = s.done_after.as_secs_f64(), items = o.items, matched = o.matched, records = o.records, unchanged = o.unchanged, errors = o.entry_errors, "Source backfilled.")
                }
                Some(e) => tracing::error!(source = %s.id, error = %e, "Source failed."),
            }
        }
        let t = self.totals();
        tracing::info!(
            items = t.items,
            matched = t.matched,
            records = t.records,
            unchanged = t.unchanged,
            errors = t.entry_errors,
            failed = self.failed(),
            seconds = self.elapsed.as_secs_f64(),
            "Backfill done."
        );
    }
}

/// Polls every source once, `schedule.concurrency` requests at a time.
pub async fn backfill(engine: Arc<Engine>, window: Window, progress: bool) -> Summary {
    backfill_until(engine, window, progress, CancellationToken::new()).await
}

/// How long the final flush may take after an interruption: whoever pressed
/// Ctrl-C wants the summary, and what is not delivered is not marked seen.
const FLUSH_WHEN_INTERRUPTED: std::time::Duration = std::time::Duration::from_secs(5);

/// [`backfill`], stopped early by `shutdown` (SIGINT, SIGTERM): sources not
/// yet delivered are cut short and reported as interrupted (nothing of
/// theirs is marked seen), the sink is flushed within a bound, and the
/// summary says what got through.
pub async fn backfill_until(
    engine: Arc<Engine>,
    window: Window,
    progress: bool,
    shutdown: CancellationToken,
) -> Summary {
    let started = std::time::Instant::now();
    // A backfill must end: unreachable brokers fail it after a bounded wait.
    engine.sink.give_up_after_broker_wait();
    // Sources by index, not cloned: a pipeline of thousands of sources
    // would otherwise hold its configuration twice.
    let count = engine.pipeline.sources.len();
    let bar = ProgressBar::with_draw_target(
        Some(count as u64),
        if progress {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} sources {msg}")
            .expect("static template")
            .progress_chars("=> "),
    );
    let concurrency = engine.pipeline.schedule.concurrency * super::POLLS_PER_SLOT;
    let mut summaries: Vec<(usize, SourceSummary)> = stream::iter(0..count)
        .map(|i| {
            let (engine, bar, shutdown) = (engine.clone(), bar.clone(), shutdown.clone());
            async move {
                // A task of its own, so that the polls' async work (parsing
                // what was read, deciding, producing) runs on every worker
                // thread, not only on the one driving this stream.
                let poll = {
                    let engine = engine.clone();
                    tokio::spawn(async move {
                        let src = &engine.pipeline.sources[i];
                        tokio::select! {
                            biased;
                            _ = shutdown.cancelled() => Err(INTERRUPTED.to_string()),
                            r = engine.poll_source(src, false, window) => r.map_err(|e| e.to_string()),
                        }
                    })
                };
                let src = &engine.pipeline.sources[i];
                let res = match poll.await {
                    Ok(res) => res,
                    // A panic stays a panic, as if the poll ran here.
                    Err(e) => std::panic::resume_unwind(e.into_panic()),
                };
                let done_after = started.elapsed();
                bar.inc(1);
                bar.set_message(src.id.clone());
                let summary = match res {
                    Ok(o) => SourceSummary {
                        id: src.id.clone(),
                        outcome: Some(o),
                        error: None,
                        done_after,
                    },
                    Err(e) => {
                        if e != INTERRUPTED {
                            tracing::error!(source = %src.id, error = %e, "Source failed.");
                        }
                        SourceSummary {
                            id: src.id.clone(),
                            outcome: None,
                            error: Some(e),
                            done_after,
                        }
                    }
                };
                (i, summary)
            }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    bar.finish_and_clear();
    // Keep the order of the pipeline file, whatever finished first.
    summaries.sort_unstable_by_key(|(i, _)| *i);
    let flushed = match shutdown.is_cancelled() {
        true => engine.sink.flush_within(FLUSH_WHEN_INTERRUPTED).await,
        false => engine.sink.flush().await,
    };
    let flush_error = flushed.err().map(|e| {
        tracing::error!(error = %e, "Sink flush failed.");
        e.to_string()
    });
    Summary {
        sources: summaries.into_iter().map(|(_, s)| s).collect(),
        elapsed: started.elapsed(),
        flush_error,
    }
}

/// What a source cut short by a signal reports.
const INTERRUPTED: &str = "interrupted before its records were delivered (nothing marked seen)";
