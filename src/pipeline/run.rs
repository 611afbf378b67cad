//! `run`: poll every source on its own schedule until told to stop.
//!
//! Each source has a task that sleeps until it is due, polls through
//! [`Engine::poll_source`] and works out its next time from what it saw
//! ([`super::schedule`]): after a failure a jittered backoff, or the wait
//! the server asked for (`Retry-After`, up to `max_interval`); after a
//! success, the interval moved to the source's own slot
//! ([`schedule::spread`]) so that sources do not poll in lockstep. A source
//! whose document is gone for good (HTTP 410) is stopped; the others go on.
//! Every task runs under [`supervise`]: a panic is logged, counted and the
//! task restarted with backoff, so one bad source cannot end the process or
//! silently fall quiet. A semaphore bounds how many polls are under way
//! ([`super::POLLS_PER_SLOT`]); the HTTP client bounds the requests.
//! Shutdown is a token passed in (so tests can pull it): tasks stop
//! between polls, a poll in flight finishes and is committed, then the sink
//! is flushed, and a failed flush is returned (the process exits non-zero).
//! A poll still blocked after `grace` (a broker that never came back) is
//! abandoned; its items were not marked seen, so the next start delivers
//! them.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::health::Health;
use super::metrics::{Metrics, SourceLabel};
use super::{schedule, Engine, Outcome, PollError, Window};
use crate::config::Schedule;
use crate::retry::Backoff;
use crate::sink::SinkError;
use crate::source::SourceError;

pub async fn run(
    engine: Arc<Engine>,
    shutdown: CancellationToken,
    grace: Duration,
) -> Result<(), SinkError> {
    let polls = engine.pipeline.schedule.concurrency * super::POLLS_PER_SLOT;
    let permits = Arc::new(Semaphore::new(polls));
    let restart = schedule::backoff(&engine.pipeline.schedule);
    let mut tasks = tokio::task::JoinSet::new();
    // Shared, not copied into each task's closure and future: at 10,000
    // sources the copies were tens of megabytes.
    for source in engine.pipeline.sources.iter().cloned().map(Arc::new) {
        let (engine, permits, stop) = (engine.clone(), permits.clone(), shutdown.clone());
        let watch = Watch {
            id: source.id.clone(),
            health: engine.health.clone(),
            metrics: engine.metrics.clone(),
        };
        if crate::source::streams(&source) {
            // A live stream holds no poll permit: it never finishes.
            tasks.spawn(supervise(watch, restart, shutdown.clone(), move || {
                let f = super::stream::follow(
                    engine.clone(),
                    (*source).clone(),
                    super::stream::Batching::default(),
                    stop.clone(),
                );
                f.map(|()| Exit::Shutdown)
            }));
            continue;
        }
        tasks.spawn(supervise(
            watch.clone(),
            restart,
            shutdown.clone(),
            move || {
                let (engine, source, permits, stop, watch) = (
                    engine.clone(),
                    source.clone(),
                    permits.clone(),
                    stop.clone(),
                    watch.clone(),
                );
                async move {
                    let sched = &engine.pipeline.schedule;
                    poll_loop(&watch, sched, source.interval, &permits, &stop, || {
                        engine.poll_source(&source, true, Window::default())
                    })
                    .await
                }
            },
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
    engine.sink.flush().await.inspect_err(|e| {
        tracing::error!(error = %e, "Sink flush failed.");
    })
}

/// How a source task ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Exit {
    Shutdown,
    /// The source is not polled any more (410 Gone).
    Stopped,
}

/// Where a source task reports.
#[derive(Clone)]
pub struct Watch {
    pub id: String,
    pub health: Health,
    pub metrics: Metrics,
}

/// Runs the task `start` makes and, when it panics, logs, counts and
/// starts a new one after a jittered backoff. A task that ran longer than
/// the backoff's cap before panicking starts the backoff over.
pub async fn supervise<F, Fut>(
    watch: Watch,
    backoff: Backoff,
    shutdown: CancellationToken,
    mut start: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Exit>,
{
    let mut panics = 0u32;
    loop {
        let started = Instant::now();
        let panic = match AssertUnwindSafe(start()).catch_unwind().await {
            Ok(_) => return,
            Err(panic) => panic,
        };
        if started.elapsed() > backoff.max {
            panics = 0;
        }
        panics += 1;
        let message = panic_message(panic.as_ref());
        let wait = backoff.delay(panics);
        let label = SourceLabel {
            source: watch.id.clone(),
        };
        watch.metrics.restarts.get_or_create(&label).inc();
        watch
            .health
            .restarting(&watch.id, &message, chrono::Utc::now() + wait);
        tracing::error!(source = %watch.id, panic = %message, restarts = panics, ?wait, "Source task panicked; restarting it.");
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(s), _) => s.to_string(),
        (_, Some(s)) => s.clone(),
        _ => "a panic without a message".into(),
    }
}

/// Polls with `poll` whenever due, until shutdown or until the source is
/// gone. `fixed` is the source's own interval, if it set one.
pub async fn poll_loop<P, Fut>(
    watch: &Watch,
    sched: &Schedule,
    fixed: Option<Duration>,
    permits: &Semaphore,
    shutdown: &CancellationToken,
    mut poll: P,
) -> Exit
where
    P: FnMut() -> Fut,
    Fut: Future<Output = Result<Outcome, PollError>>,
{
    let id = watch.id.as_str();
    // Wall time read off tokio's clock (so the paused clock drives it in
    // tests), anchored to the system clock at start.
    let (anchor, started) = (wall_now(), Instant::now());
    let wall = || anchor + started.elapsed();
    let mut next = Instant::now();
    let mut failures = 0u32;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Exit::Shutdown,
            _ = tokio::time::sleep_until(next) => {}
        }
        let permit = tokio::select! {
            _ = shutdown.cancelled() => return Exit::Shutdown,
            p = permits.acquire() => p.expect("semaphore never closed"),
        };
        // Boxed: a poll's future is large (kilobytes: fetch, parse,
        // classify, deliver), and inline it would stay allocated in every
        // idle source's task between polls; boxed, it lives only while the
        // poll does, so memory follows the polls in flight, not the sources.
        let res = Box::pin(poll()).await;
        drop(permit);
        let wait = match res {
            Ok(o) => {
                failures = 0;
                tracing::info!(source = %id, items = o.items, records = o.records, unchanged = o.unchanged, not_modified = o.not_modified, "Source polled.");
                let interval = schedule::next_interval(sched, fixed, o.floor, o.per_week);
                schedule::spread(id, interval, wall())
            }
            Err(e) => {
                if let Some(url) = gone(&e) {
                    tracing::warn!(source = %id, %url, "Source is gone (HTTP 410); no longer polling it.");
                    let label = SourceLabel { source: id.into() };
                    watch.metrics.stopped.get_or_create(&label).set(1);
                    watch.health.stopped(id, &format!("HTTP 410 Gone: {url}"));
                    return Exit::Stopped;
                }
                failures += 1;
                let wait = schedule::after_error(sched, failures, e.retry_after());
                tracing::warn!(source = %id, error = %e, failures, ?wait, "Poll failed; backing off.");
                wait
            }
        };
        watch.health.next_poll(id, chrono::Utc::now() + wait);
        // `wait` is at most `max_interval`, but an `Instant` must not overflow.
        next = Instant::now()
            .checked_add(wait)
            .unwrap_or_else(|| Instant::now() + sched.max_interval);
    }
}

/// Time since the Unix epoch.
fn wall_now() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

/// The URL of a source that answered 410 Gone: it will not come back.
fn gone(e: &PollError) -> Option<&str> {
    match e {
        PollError::Source(SourceError::Fetch(f)) => f.gone(),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
