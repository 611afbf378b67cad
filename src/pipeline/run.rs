//! `run`: poll every source on its own schedule until told to stop.
//!
//! Each source has a task that sleeps until it is due, polls through
//! [`Engine::poll_source`] and works out its next time from what it saw
//! ([`super::schedule`]). A global semaphore bounds how many polls run at
//! once. Shutdown is a token passed in (so tests can pull it): tasks stop
//! between polls, a poll in flight finishes and is committed, then the sink
//! is flushed. A poll still blocked after `grace` (a broker that never came
//! back) is abandoned; its items were not marked seen, so the next start
//! delivers them.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{schedule, Engine, Window};
use crate::config::SourceConfig;

pub async fn run(engine: Arc<Engine>, shutdown: CancellationToken, grace: Duration) {
    let permits = Arc::new(Semaphore::new(engine.pipeline.schedule.concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for source in engine.pipeline.sources.clone() {
        if crate::source::streams(&source) {
            // A live stream holds no poll permit: it never finishes.
            tasks.spawn(super::stream::follow(
                engine.clone(),
                source,
                super::stream::Batching::default(),
                shutdown.clone(),
            ));
            continue;
        }
        tasks.spawn(poll_forever(
            engine.clone(),
            source,
            permits.clone(),
            shutdown.clone(),
        ));
    }
    shutdown.cancelled().await;
    tracing::info!("Shutting down: finishing polls in flight.");
    let drained =
        tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(?grace, "Polls still blocked after the grace period; abandoning them (their items will be delivered on the next start).");
        tasks.abort_all();
    }
    if let Err(e) = engine.sink.flush().await {
        tracing::error!(error = %e, "Sink flush failed.");
    }
}

async fn poll_forever(
    engine: Arc<Engine>,
    source: SourceConfig,
    permits: Arc<Semaphore>,
    shutdown: CancellationToken,
) {
    let sched = &engine.pipeline.schedule;
    let mut next = Instant::now();
    let mut failures = 0u32;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep_until(next) => {}
        }
        let permit = tokio::select! {
            _ = shutdown.cancelled() => return,
            p = permits.acquire() => p.expect("semaphore never closed"),
        };
        let res = engine.poll_source(&source, true, Window::default()).await;
        drop(permit);
        let wait = match res {
            Ok(o) => {
                failures = 0;
                tracing::info!(
                    source = %source.id,
                    items = o.items,
                    records = o.records,
                    unchanged = o.unchanged,
                    not_modified = o.not_modified,
                    "Source polled."
                );
                schedule::next_interval(sched, source.interval, o.floor, o.per_week)
            }
            Err(e) => {
                failures += 1;
                let retry_after = match &e {
                    super::PollError::Source(s) => s.retry_after(),
                    _ => None,
                };
                let wait = schedule::after_error(sched, failures, retry_after);
                tracing::warn!(source = %source.id, error = %e, failures, ?wait, "Poll failed; backing off.");
                wait
            }
        };
        next = Instant::now() + wait;
    }
}
