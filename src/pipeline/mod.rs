//! The driver: source -> normalize -> classify -> record -> sink, then state.
//!
//! [`Engine::poll_source`] is the one path every item takes, in `run` and in
//! `backfill` alike: poll a source, let [`process`] (pure) decide what each
//! item becomes, deliver the records, and only once the sink acknowledged
//! them commit to state that the items were seen and which validators came
//! with them (not after a windowed backfill: the window left items out, and
//! a validator would turn them into a 304 for the next `run`). Each outcome
//! is also noted in [`health`] for `/healthz`. The two modes ([`run`],
//! [`backfill`]) differ only in when they call it.

pub mod backfill;
pub mod exposition;
pub mod health;
pub mod metrics;
mod pending;
mod process;
pub mod run;
pub mod schedule;
pub mod stream;

use std::time::{Duration, Instant};

use chrono::Utc;

use crate::classify::Classifier;
use crate::config::{Location, Pipeline, SourceConfig};
use crate::model::Item;
use crate::record::{Record, RecordKind};
use crate::sink::{Sink, SinkError};
use crate::source::social::Profiles;
pub use crate::source::Window;
use crate::source::{self, http::HttpClient, Poll, PollCtx, SourceError};
use crate::state::{State, StateError};
use metrics::{Metrics, RecordLabel, SourceLabel};
use pending::Pending;
pub use process::{classify, decide, fields, process, Classified, Known, Processed};

/// Polls under way at once, per request slot (`schedule.concurrency`).
/// The HTTP client bounds the requests in flight, taking a host's permit
/// before a global one, so that polls queued behind a slow host hold no
/// slot a healthy host could use; this only bounds how many polls wait
/// (and so the memory they hold).
pub const POLLS_PER_SLOT: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error(transparent)]
    State(#[from] StateError),
}

impl PollError {
    /// The wait a server asked for (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            PollError::Source(s) => s.retry_after(),
            _ => None,
        }
    }
}

/// Counts of one poll, for summaries and schedules.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub items: usize,
    pub records: usize,
    pub matched: usize,
    pub unchanged: usize,
    pub entry_errors: usize,
    pub not_modified: usize,
    pub per_week: Option<usize>,
    pub floor: Option<Duration>,
}

/// Everything a pipeline runs with.
pub struct Engine {
    pub pipeline: Pipeline,
    pub classifier: std::sync::Arc<Classifier>,
    pub client: HttpClient,
    pub state: State,
    pub sink: Sink,
    pub metrics: Metrics,
    /// Social authors' profiles, so reach is looked up once, not per post.
    pub profiles: Profiles,
    /// Each source's state and the sink's, for `/healthz`.
    pub health: health::Health,
    /// Commits to state, grouped.
    commits: crate::group::Group<crate::state::Commit, StateError>,
    /// What polls decided and have not committed yet.
    pending: Pending,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Sink(#[from] SinkError),
}

impl Engine {
    /// Builds everything a validated pipeline needs: compiled queries, the
    /// HTTP client, the state store (locked for this process) and the sink.
    pub fn open(pipeline: Pipeline) -> Result<Engine, OpenError> {
        let classifier = pipeline.classifier.clone();
        let client =
            HttpClient::new(&pipeline.http)?.with_concurrency(pipeline.schedule.concurrency);
        let state = State::open(&pipeline.state_dir)?;
        let sink = Sink::open(&pipeline.sink, &pipeline.name, &pipeline.delivery)?;
        let metrics = Metrics::new(&pipeline.metrics);
        let health = health::Health::new(
            pipeline.sources.iter().map(|s| s.id.as_str()),
            sink.status(),
            pipeline.delivery.stuck_after,
        );
        Ok(Engine {
            pipeline,
            classifier,
            client,
            state,
            sink,
            metrics,
            profiles: Profiles::default(),
            health,
            commits: crate::group::Group::default(),
            pending: Pending::default(),
        })
    }

    /// Polls one source and delivers what it yields. With `cached`, saved
    /// validators make unchanged documents cost a 304; `window` limits which
    /// items count.
    pub async fn poll_source(
        &self,
        source: &SourceConfig,
        cached: bool,
        window: Window,
    ) -> Result<Outcome, PollError> {
        let started = Instant::now();
        // A document that moved for good is polled where it lives now.
        let configured = source.location.to_string();
        let (moved, cursor) = {
            let snapshot = self.state.snapshot()?;
            let moved = match &source.location {
                Location::Http(_) => snapshot.moved(&source.id, &configured)?,
                Location::File(_) => None,
            };
            // A backfill reads its window and leaves the live cursor alone.
            let cursor = match cached {
                true => snapshot.cursor(&source.id)?,
                false => None,
            };
            (moved, cursor)
        };
        let relocated;
        let source = match moved.and_then(|u| url::Url::parse(&u).ok()) {
            Some(url) => {
                relocated = SourceConfig {
                    location: Location::Http(url),
                    ..source.clone()
                };
                &relocated
            }
            None => source,
        };
        let state = self.state.clone();
        let id = source.id.clone();
        // Asked between requests: a snapshot each, not one held while the
        // network is waited on.
        let lookup = move |url: &str| {
            let snapshot = state.snapshot().ok()?;
            snapshot.validators(&id, url).ok().flatten()
        };
        let keep = |item: &Item| self.classifier.mentions_any(&fields(item));
        let ctx = PollCtx {
            validators: cached.then_some(&lookup as _),
            cursor: cursor.as_deref(),
            window: (!cached).then_some(window),
            keep: &keep,
            profiles: Some(&self.profiles),
        };
        let polled = source::poll(&self.client, source, &ctx).await;
        self.metrics
            .fetched(&source.id, started.elapsed().as_secs_f64());
        let mut poll: Poll = polled.inspect_err(|e| {
            self.metrics.error(&source.id, "fetch", 1);
            self.health.failed(&source.id, &e.to_string());
        })?;
        if let Some(m) = &mut poll.moved {
            tracing::info!(source = %source.id, from = %m.from, to = %m.to, "Document moved permanently; polling the new address from now on.");
            // Remembered against the pipeline file's URL, so that a chain of
            // moves keeps its origin and an edit of the file starts afresh.
            m.from = configured;
        }
        // Boxed, so that a poll waiting to fetch holds only this future and
        // not the (larger) state of delivering.
        Box::pin(self.deliver(&source.id, poll, window, cached)).await
    }

    /// Delivers what a poll (or a batch of a stream) yielded: process, send,
    /// and once the sink acknowledged, commit seen items, validators (unless
    /// a window left items out) and (with `cached`, i.e. not in a backfill)
    /// the cursor.
    pub async fn deliver(
        &self,
        source_id: &str,
        poll: Poll,
        window: Window,
        cached: bool,
    ) -> Result<Outcome, PollError> {
        let res = self.deliver_once(source_id, poll, window, cached).await;
        match &res {
            Ok(_) => {
                self.health.succeeded(source_id);
                self.metrics.succeeded(source_id);
            }
            Err(e) => self.health.failed(source_id, &e.to_string()),
        }
        res
    }

    async fn deliver_once(
        &self,
        source_id: &str,
        poll: Poll,
        window: Window,
        cached: bool,
    ) -> Result<Outcome, PollError> {
        let label = SourceLabel {
            source: source_id.to_string(),
        };
        for e in &poll.errors {
            tracing::warn!(source = %source_id, error = %e, "Entry skipped.");
        }
        self.metrics
            .error(source_id, "entry", poll.errors.len() as u64);
        self.metrics
            .not_modified
            .get_or_create(&label)
            .inc_by(poll.not_modified as u64);
        self.metrics
            .items
            .get_or_create(&label)
            .inc_by(poll.items.len() as u64);

        let now = Utc::now();
        let items: Vec<Item> = poll
            .items
            .into_iter()
            .filter(|i| window.contains(i))
            .collect();
        // Classifying is the costly, pure step: on the blocking pool, so
        // that the polls of several sources use every core without
        // stalling the async workers. Deciding stays here, cheap and under
        // the lock below.
        let (items, classified) = {
            let (classifier, state) = (self.classifier.clone(), self.state.clone());
            let sid = source_id.to_string();
            let job = crate::cores::run(crate::cores::Stage::Classify, move || {
                // Whether an item is new is asked here, ahead of the lock:
                // an item another poll delivers meanwhile is delivered
                // twice at worst, never lost.
                let snapshot = state.snapshot()?;
                let seen = |key: &str| snapshot.seen_hash(&sid, key).ok().flatten();
                let classified = classify(&classifier, &sid, &items, &seen);
                Ok::<_, StateError>((items, classified))
            });
            match job.await {
                Ok(done) => done?,
                // A panic stays a panic, for the supervisor to count.
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        };
        let (mut done, token) = {
            let mut pending = self.pending.lock();
            let done = {
                let p = &*pending;
                // Taken under the lock: what a poll committed after it is
                // still pending until this lock is let go, so `p` has it.
                let s = self.state.snapshot()?;
                let known = Known {
                    seen: &|key| s.seen_hash(source_id, key).ok().flatten(),
                    first_seen: &|id| s.influencer_first_seen(id).ok().flatten(),
                    owner: &|key| p.owner(key).or_else(|| s.owner(key).ok().flatten()),
                    accounts: &|person| {
                        p.accounts(person)
                            .unwrap_or_else(|| s.accounts(person).unwrap_or_default())
                    },
                    claim: &|identity| {
                        p.claim(identity)
                            .or_else(|| s.claim(identity).ok().flatten())
                    },
                    trajectory: &|person| {
                        p.trajectory(person)
                            .or_else(|| s.trajectory(person).ok().flatten())
                    },
                };
                decide(
                    classified,
                    &self.pipeline.name,
                    source_id,
                    &items,
                    &known,
                    now,
                )
            };
            let token = pending.add(&done.commit);
            (done, token)
        };
        let _release = pending::Release {
            pending: &self.pending,
            token,
        };
        if done.copies > 0 {
            tracing::debug!(source = %source_id, copies = done.copies, "Items another source already delivered as fully; not sent again.");
        }
        let delivered = self
            .sink
            .send(source_id, &done.records)
            .await
            .inspect_err(|_| self.metrics.error(source_id, "sink", 1))?;
        for (kind, _) in &delivered.dead_lettered {
            self.metrics.dead_letter(source_id, kind);
        }
        let set_aside = |r: &Record| {
            delivered
                .dead_lettered
                .iter()
                .any(|(k, id)| *k == r.kind().as_str() && id == r.id())
        };
        // Counted first, then added once per series: a label is owned
        // strings, and a lookup per record made them once per record.
        let mut delivered_of = [(RecordKind::Feedback, 0), (RecordKind::Influencer, 0)];
        let mut mentions: Vec<(&str, &str, u64)> = Vec::new();
        for r in done.records.iter().filter(|r| !set_aside(r)) {
            for (kind, n) in &mut delivered_of {
                *n += u64::from(*kind == r.kind());
            }
            if let Record::Feedback(f) = r {
                let label = (f.brand.as_str(), f.sentiment.label.as_str());
                match mentions.iter_mut().find(|(b, s, _)| (*b, *s) == label) {
                    Some((_, _, n)) => *n += 1,
                    None => mentions.push((label.0, label.1, 1)),
                }
            }
        }
        for (brand, sentiment, n) in mentions {
            self.metrics
                .mentions
                .get_or_create(&metrics::MentionLabel {
                    brand: brand.into(),
                    sentiment: sentiment.into(),
                })
                .inc_by(n);
        }
        for (kind, n) in delivered_of.into_iter().filter(|(_, n)| *n > 0) {
            self.metrics
                .records
                .get_or_create(&RecordLabel {
                    source: source_id.to_string(),
                    kind: kind.as_str().into(),
                })
                .inc_by(n);
        }
        // Delivered: now, and only now, remember it. Validators only when
        // every item of the documents was considered: after a window, the
        // next `run` must fetch the documents whole again.
        if window == Window::default() {
            done.commit.validators = poll
                .validators
                .into_iter()
                .map(|(url, v)| (source_id.to_string(), url, v))
                .collect();
        }
        if cached {
            done.commit
                .cursors
                .extend(poll.cursor.map(|c| (source_id.to_string(), c)));
        }
        done.commit.moved.extend(
            poll.moved
                .map(|m| (source_id.to_string(), m.from, m.to.to_string())),
        );
        let state = self.state.clone();
        let commit = std::mem::take(&mut done.commit);
        // Polls finishing together share one transaction and one sync;
        // the others wait as tasks, not as parked threads of the pool.
        self.commits
            .submit(commit, move |all| state.commit_all(all))
            .await
            .expect("state commit panicked")?;
        Ok(Outcome {
            items: items.len(),
            records: done.records.len(),
            matched: done.matched,
            unchanged: done.unchanged + done.copies,
            entry_errors: poll.errors.len(),
            not_modified: poll.not_modified,
            per_week: (poll.not_modified == 0).then(|| schedule::entries_per_week(&items, now)),
            floor: poll.min_interval,
        })
    }
}

#[cfg(test)]
mod tests;
