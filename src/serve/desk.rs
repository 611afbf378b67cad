//! The workspace's state behind one lock: the view people read and, when
//! embedded, routing's pure decider and the store that keeps both.
//!
//! On Kafka the desk is a mirror ([`Desk::mirror`]): no decider (routing is
//! `earshot route`'s) and no store (the topics are), only the view, fed by
//! [`super::kafka`] with what it consumes and, at once, with what this
//! instance wrote, whose copy coming back from the topic is then skipped.
//!
//! Records reach the desk from the sink (as a [`crate::sink::Tap`]: the
//! items are marked seen only once the desk has stored what routing made of
//! them) and from people (status changes, notes, contacts). Every change is
//! stored before it is applied, so what a person was told is recorded is
//! on disk, and a refused write changes nothing. At start the store is read
//! back: the view is its fold, and the decider's clocks come back from the
//! deadline entries and status events it holds. Synchronous: the callers
//! are the async edges.
//!
//! Influencer records go to the decider too: their sentiment trajectory
//! raises disengagement alerts ([`crate::route::disengage`]), and at start
//! the stored records and alerts tell it who turned and who went quiet
//! already, so a restart raises neither again.
//!
//! With `[notify]`, every alert the desk stores is also handed to the
//! notifier ([`Desk::notify_to`]), and the notifier's deliveries are stored
//! here as [`Event::Notified`] ([`crate::notify::run::Store`]); the alerts
//! and deliveries read at start are its [`Backlog`], taken once.

use std::path::Path;
use std::sync::{Mutex, OnceLock, RwLock};

use chrono::{DateTime, Utc};

use super::events::{Activity, Event};
use super::log::{EventLog, LogError};
use super::view::View;
use crate::notify::run::Backlog;
use crate::record::Record;
use crate::route::config::RouteConfig;
use crate::route::deadline::Entry;
use crate::route::decider::{Decided, Decider, Output};
use crate::route::records::{AlertRecord, StatusEvent};

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("no feedback with id `{0}`")]
    Unknown(String),
    #[error(transparent)]
    Store(#[from] LogError),
}

struct Inner {
    decider: Decider,
    view: View,
    /// None for a mirror.
    log: Option<EventLog>,
    /// Hashes of messages this instance produced and already applied.
    own: std::collections::HashSet<blake3::Hash>,
}

impl Inner {
    fn store(&mut self, events: &[Event]) -> Result<(), LogError> {
        match &mut self.log {
            Some(log) => log.append(events),
            None => Ok(()),
        }
    }
}

pub struct Desk {
    /// Readers (every page) share it; a change takes it alone.
    inner: RwLock<Inner>,
    /// Woken when a change may have moved the next deadline.
    pub changed: tokio::sync::Notify,
    /// Where new alerts go, once a notifier runs.
    notifier: OnceLock<tokio::sync::mpsc::UnboundedSender<AlertRecord>>,
    /// The alerts and deliveries read at start, until the notifier takes them.
    backlog: Mutex<Backlog>,
}

/// Where [`Desk::catch_up`] got to in the JSONL sink, beside the store.
pub const OFFSET_FILE: &str = "workspace.sink-offset";

/// Every decider partition is 0: one process owns them all.
const PARTITION: i32 = 0;

impl Desk {
    /// Opens the store in `dir` and rebuilds the view and the clocks.
    pub fn open(route: RouteConfig, dir: &Path) -> Result<Desk, LogError> {
        let (log, events) = EventLog::open(dir)?;
        let mut decider = Decider::new(route.clone());
        // The view holds every feedback; a second copy per running clock
        // would double the memory of a large workspace.
        decider.deadlines.keep_light();
        let mut view = View::new(&route);
        let mut backlog = Backlog::default();
        for e in &events {
            match e {
                Event::Alert(a) => {
                    decider.disengagement.raised(a);
                    backlog.alerts.push(a.clone());
                }
                // The people's histories, for the disengagement alerts; what
                // they raise was raised, and stored, before.
                Event::Influencer(i) => {
                    decider.disengagement.observe(i, i.last_seen);
                }
                Event::Notified { alert_id, channel } => {
                    backlog
                        .delivered
                        .insert((alert_id.clone(), channel.clone()));
                }
                Event::Deadline(entry) => decider.restore(entry.clone(), PARTITION),
                Event::Forgotten(id) => {
                    decider.deadlines.remove(id);
                }
                // A status stored without its deadline entry (a crash in
                // between) still stops the clock.
                Event::Status(s) => decider.status(s.clone(), PARTITION, &mut Output::default()),
                _ => {}
            }
            view.apply(e);
        }
        tracing::info!(
            events = events.len(),
            cases = view.len(),
            "Workspace store read."
        );
        Ok(Desk {
            inner: RwLock::new(Inner {
                decider,
                view,
                log: Some(log),
                own: Default::default(),
            }),
            changed: tokio::sync::Notify::new(),
            notifier: OnceLock::new(),
            backlog: Mutex::new(backlog),
        })
    }

    /// A view of topics that others route and store.
    pub fn mirror(route: RouteConfig) -> Desk {
        Desk {
            inner: RwLock::new(Inner {
                view: View::new(&route),
                decider: Decider::new(route),
                log: None,
                own: Default::default(),
            }),
            changed: tokio::sync::Notify::new(),
            notifier: OnceLock::new(),
            backlog: Mutex::default(),
        }
    }

    /// Applies an event consumed from a topic, as `payload`; skipped if it
    /// is this instance's own, already applied when it was written.
    pub fn consumed(&self, event: &Event, payload: &[u8]) {
        let mut inner = self.inner.write().expect("desk lock");
        if inner.own.remove(&blake3::hash(payload)) {
            return;
        }
        inner.view.apply(event);
    }

    /// Applies an event this instance just wrote as `payload` (acknowledged
    /// by the broker), so that its author sees it at once.
    pub fn wrote(&self, event: &Event, payload: &[u8]) {
        let mut inner = self.inner.write().expect("desk lock");
        // Bounded: copies that never come back (a topic deleted) must not
        // pile up for ever.
        if inner.own.len() > 100_000 {
            inner.own.clear();
        }
        inner.own.insert(blake3::hash(payload));
        inner.view.apply(event);
    }

    /// Routes and stores delivered records; on a failed write nothing of
    /// them is kept, so that their items are delivered again.
    pub fn accept(&self, records: &[Record], now: DateTime<Utc>) -> Result<(), LogError> {
        let mut inner = self.inner.write().expect("desk lock");
        let mut out = Output::default();
        let mut events = Vec::new();
        let mut routed_ids = Vec::new();
        for r in records {
            match r {
                Record::Feedback(fb) => {
                    let before = out.decided.len();
                    inner.decider.feedback(fb.clone(), PARTITION, now, &mut out);
                    if out.decided.len() > before {
                        routed_ids.push(fb.id.clone());
                    }
                }
                Record::Influencer(i) => {
                    events.push(Event::Influencer(i.clone()));
                    inner.decider.influencer(i, now, &mut out);
                }
            }
        }
        events.extend(out.decided.into_iter().map(decided));
        if let Err(e) = inner.store(&events) {
            for id in routed_ids {
                inner.decider.deadlines.remove(&id);
            }
            for e in &events {
                if let Event::Alert(a) = e {
                    inner.decider.disengagement.retract(a);
                }
            }
            return Err(e);
        }
        for e in &events {
            inner.view.apply(e);
        }
        drop(inner);
        self.notify(&events);
        self.changed.notify_one();
        Ok(())
    }

    /// Applies a person's status change: stored, then applied to the clocks
    /// and the view.
    pub fn status(&self, ev: StatusEvent) -> Result<(), DeskError> {
        let mut inner = self.inner.write().expect("desk lock");
        if inner.view.case(&ev.feedback_id).is_none() {
            return Err(DeskError::Unknown(ev.feedback_id));
        }
        let stored = Event::Status(ev.clone());
        inner.store(std::slice::from_ref(&stored))?;
        let mut out = Output::default();
        inner.decider.status(ev, PARTITION, &mut out);
        inner.view.apply(&stored);
        // The deadline entry is stored too, though a restart would rebuild
        // it from the status: it keeps the store a replica of route's.
        let entries: Vec<Event> = out.decided.into_iter().map(decided).collect();
        if let Err(e) = inner.store(&entries) {
            tracing::warn!(error = %e, "Deadline entry not stored; it is rebuilt from the status at start.");
        }
        drop(inner);
        self.changed.notify_one();
        Ok(())
    }

    /// Stores a note, an assignment or a contact.
    pub fn activity(&self, a: Activity) -> Result<(), DeskError> {
        let mut inner = self.inner.write().expect("desk lock");
        if inner.view.case(&a.feedback_id).is_none() {
            return Err(DeskError::Unknown(a.feedback_id));
        }
        let e = Event::Activity(a);
        inner.store(std::slice::from_ref(&e))?;
        inner.view.apply(&e);
        Ok(())
    }

    /// Escalates what fell due and raises spike and gone-quiet alerts;
    /// returns when the next deadline falls.
    pub fn tick(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, LogError> {
        let mut inner = self.inner.write().expect("desk lock");
        let mut out = Output::default();
        inner.decider.tick(now, &mut out);
        let events: Vec<Event> = out.decided.into_iter().map(decided).collect();
        // A failed write loses these alerts to the view, not to routing:
        // the entries are already closed, as they are when route's produce
        // fails after its decision. Say so loudly.
        if let Err(e) = inner.store(&events) {
            tracing::error!(error = %e, alerts = events.len(), "Escalations not stored.");
        }
        for e in &events {
            inner.view.apply(e);
        }
        let next = inner.decider.deadlines.next_due();
        drop(inner);
        self.notify(&events);
        Ok(next)
    }

    /// Hands every alert stored from now on to `tx` (a notifier); set once,
    /// before records arrive.
    pub fn notify_to(&self, tx: tokio::sync::mpsc::UnboundedSender<AlertRecord>) {
        if self.notifier.set(tx).is_err() {
            tracing::warn!("A second notifier was refused.");
        }
    }

    /// The alerts and deliveries the store held at start; empty after the
    /// first call.
    pub fn take_backlog(&self) -> Backlog {
        std::mem::take(&mut *self.backlog.lock().expect("backlog lock"))
    }

    fn notify(&self, events: &[Event]) {
        let Some(tx) = self.notifier.get() else {
            return;
        };
        for e in events {
            if let Event::Alert(a) = e {
                // A notifier that stopped (shutdown) leaves the alert in
                // the store, for the next start.
                let _ = tx.send(a.clone());
            }
        }
    }

    /// Takes in what the JSONL sink at `path` holds beyond what was taken
    /// before (records a `backfill` or `run` of the same pipeline wrote),
    /// in batches; routing recognises feedback it already routed. Returns
    /// the records read. The offset reached is kept beside the store.
    pub fn catch_up(&self, path: &Path, dir: &Path) -> Result<usize, LogError> {
        use std::io::{BufRead, Seek};
        let mark = dir.join(OFFSET_FILE);
        let fail = |p: &Path| {
            let path = p.display().to_string();
            move |source| LogError { path, source }
        };
        let Ok(mut file) = std::fs::File::open(path) else {
            return Ok(0);
        };
        let len = file.metadata().map_err(fail(path))?.len();
        let from = std::fs::read_to_string(&mark)
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            // A file shorter than the mark was replaced: read it all.
            .filter(|&o| o <= len)
            .unwrap_or(0);
        file.seek(std::io::SeekFrom::Start(from))
            .map_err(fail(path))?;
        let mut reader = std::io::BufReader::new(file);
        let (mut read, mut offset, mut batch) = (0, from, Vec::new());
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line).map_err(fail(path))?;
            // A last line still being written is left for the next start.
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            offset += n as u64;
            match serde_json::from_slice::<Record>(&line) {
                Ok(r) => batch.push(r),
                Err(e) => {
                    tracing::warn!(path = %path.display(), offset, error = %e, "Sink line unreadable; skipped.")
                }
            }
            if batch.len() >= 1000 {
                read += batch.len();
                self.accept(&std::mem::take(&mut batch), Utc::now())?;
            }
        }
        read += batch.len();
        self.accept(&batch, Utc::now())?;
        std::fs::write(&mark, offset.to_string()).map_err(fail(&mark))?;
        Ok(read)
    }

    /// Reads the view under the lock.
    pub fn read<R>(&self, f: impl FnOnce(&View) -> R) -> R {
        f(&self.inner.read().expect("desk lock").view)
    }
}

fn decided(d: Decided) -> Event {
    match d {
        Decided::Routed(r) => Event::Routed(r),
        Decided::Alert(a) => Event::Alert(a),
        // The store keeps the clock, not another copy of the feedback.
        Decided::Deadline(e) => Event::Deadline(Entry {
            feedback: None,
            ..e
        }),
        Decided::Forgotten(id) => Event::Forgotten(id),
    }
}

impl crate::notify::run::Store for Desk {
    fn delivered(&self, ids: &[String], channel: &str) -> Result<(), String> {
        let events: Vec<Event> = ids
            .iter()
            .map(|id| Event::Notified {
                alert_id: id.clone(),
                channel: channel.to_string(),
            })
            .collect();
        let mut inner = self.inner.write().expect("desk lock");
        inner.store(&events).map_err(|e| e.to_string())
    }
}

impl crate::sink::Tap for Desk {
    fn accept(&self, records: &[Record]) -> Result<(), String> {
        Desk::accept(self, records, Utc::now()).map_err(|e| e.to_string())
    }
}
