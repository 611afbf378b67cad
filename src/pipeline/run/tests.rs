//! The run loop's timing and supervision, on tokio's paused clock: polls
//! are closures, so what is tested is when they are called and what
//! happens after they fail or panic.

use std::sync::Mutex;

use super::*;
use crate::pipeline::health::SourceState;
use crate::sink::status::SinkStatus;
use crate::source::http::FetchError;

fn schedule() -> Schedule {
    Schedule {
        interval: Duration::from_secs(900),
        adaptive: false,
        min_interval: Duration::from_secs(300),
        max_interval: Duration::from_secs(86_400),
        concurrency: 1,
    }
}

fn watch() -> Watch {
    Watch {
        id: "s".into(),
        health: Health::new(["s"], SinkStatus::default(), Duration::from_secs(300)),
        metrics: Metrics::default(),
    }
}

fn refused(status: u16, retry_after: Option<Duration>) -> PollError {
    PollError::Source(SourceError::Fetch(FetchError::Status {
        url: "http://feeds.example/x.xml".into(),
        status,
        retry_after,
    }))
}

/// Runs a poll loop whose polls answer from `answers` (then succeed) and
/// that stops after `polls` polls; returns how it ended and the times of
/// the polls, from the start.
async fn poll_times(
    watch: &Watch,
    answers: Vec<Result<Outcome, PollError>>,
    polls: usize,
) -> (Exit, Vec<Duration>) {
    let start = Instant::now();
    let times = Mutex::new(Vec::new());
    let answers = Mutex::new(answers.into_iter());
    let shutdown = CancellationToken::new();
    let permits = Semaphore::new(1);
    let exit = poll_loop(watch, &schedule(), None, &permits, &shutdown, || {
        let mut t = times.lock().unwrap();
        t.push(start.elapsed());
        if t.len() >= polls {
            shutdown.cancel();
        }
        let answer = answers
            .lock()
            .unwrap()
            .next()
            .unwrap_or(Ok(Outcome::default()));
        async move { answer }
    })
    .await;
    (exit, times.into_inner().unwrap())
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_longer_than_max_retry_after_moves_the_next_poll_to_it() {
    let hour = Duration::from_secs(3600);
    let (_, times) = poll_times(&watch(), vec![Err(refused(429, Some(hour)))], 3).await;
    // Polled at once, again when the server said, then on the schedule
    // (moved to the source's slot).
    assert_eq!(&times[..2], &[Duration::ZERO, hour]);
    assert_on_schedule(times[2] - times[1]);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_max_interval_waits_only_max_interval() {
    let year = Duration::from_secs(365 * 86_400);
    let (_, times) = poll_times(&watch(), vec![Err(refused(503, Some(year)))], 2).await;
    assert_eq!(times, vec![Duration::ZERO, Duration::from_secs(86_400)]);
}

#[tokio::test(start_paused = true)]
async fn failures_back_off_with_jitter_and_a_success_resets_it() {
    let w = watch();
    let answers = (0..3).map(|_| Err(refused(500, None))).collect();
    let (_, times) = poll_times(&w, answers, 5).await;
    let gaps: Vec<Duration> = times.windows(2).map(|p| p[1] - p[0]).collect();
    let b = schedule::backoff(&schedule());
    for (i, gap) in gaps.iter().take(3).enumerate() {
        let cap = b.ceiling(i as u32 + 1);
        assert!(
            *gap >= cap / 2 && *gap <= cap,
            "gap {i}: {gap:?} for {cap:?}"
        );
    }
    assert_on_schedule(gaps[3]);
}

/// A wait after a success: the interval, moved to the source's slot.
fn assert_on_schedule(gap: Duration) {
    let i = Duration::from_secs(900);
    assert!(
        gap >= i / 2 && gap <= i * 3 / 2,
        "{gap:?} is not about {i:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_first_poll_is_at_once_and_later_ones_keep_the_sources_slot() {
    let (_, times) = poll_times(&watch(), vec![], 5).await;
    assert_eq!(times[0], Duration::ZERO);
    assert_on_schedule(times[1]);
    let gaps: Vec<Duration> = times.windows(2).map(|p| p[1] - p[0]).collect();
    assert_eq!(&gaps[1..], &[Duration::from_secs(900); 3], "{times:?}");
}

#[tokio::test(start_paused = true)]
async fn a_gone_source_is_stopped_and_polled_no_more() {
    let w = watch();
    let (exit, times) = poll_times(&w, vec![Err(refused(410, None))], 2).await;
    assert_eq!(exit, Exit::Stopped);
    assert_eq!(times.len(), 1);
    let h = w.health.source("s").unwrap();
    assert_eq!(h.state, SourceState::Stopped);
    assert!(h
        .stopped_reason
        .unwrap()
        .contains("http://feeds.example/x.xml"));
    assert!(w
        .metrics
        .encode()
        .contains("earshot_source_stopped{source=\"s\"} 1"));
}

#[tokio::test(start_paused = true)]
async fn a_panicking_source_task_is_restarted_with_backoff_and_counted() {
    let w = watch();
    let backoff = Backoff::new(Duration::from_secs(10), Duration::from_secs(600));
    let starts = Mutex::new(Vec::new());
    let t0 = Instant::now();
    supervise(w.clone(), backoff, CancellationToken::new(), || {
        let n = {
            let mut s = starts.lock().unwrap();
            s.push(t0.elapsed());
            s.len()
        };
        async move {
            if n <= 2 {
                panic!("bad entry {n}");
            }
            Exit::Shutdown
        }
    })
    .await;
    let starts = starts.into_inner().unwrap();
    assert_eq!(starts.len(), 3, "two panics, then a clean exit");
    let first = starts[1] - starts[0];
    let second = starts[2] - starts[1];
    assert!(first >= Duration::from_secs(5) && first <= Duration::from_secs(10));
    assert!(second >= Duration::from_secs(10) && second <= Duration::from_secs(20));
    let h = w.health.source("s").unwrap();
    assert_eq!(h.restarts, 2);
    assert_eq!(h.last_error.as_deref(), Some("bad entry 2"));
    assert!(w
        .metrics
        .encode()
        .contains("earshot_source_restarts_total{source=\"s\"} 2"));
}

#[tokio::test(start_paused = true)]
async fn shutdown_during_a_restart_backoff_ends_the_supervisor() {
    let shutdown = CancellationToken::new();
    let backoff = Backoff::new(Duration::from_secs(3600), Duration::from_secs(3600));
    let lives = Mutex::new(0);
    let stop = shutdown.clone();
    let supervised = supervise(watch(), backoff, shutdown.clone(), || {
        *lives.lock().unwrap() += 1;
        async {
            if true {
                panic!("always");
            }
            Exit::Shutdown
        }
    });
    let trigger = async {
        tokio::time::sleep(Duration::from_secs(60)).await;
        stop.cancel();
    };
    tokio::join!(supervised, trigger);
    assert_eq!(*lives.lock().unwrap(), 1);
}
