//! What a pipeline remembers between polls and across restarts.
//!
//! An embedded redb database in the pipeline's state directory holds the
//! items already delivered (with their content hash, so an edit is
//! noticed), HTTP validators per source and document, source cursors, when
//! each influencer was first seen and each person's sentiment history.
//! Validators are keyed by source as well as URL: two sources reading one
//! document (or a source added later) must each see it once, not be
//! answered 304 for what the other one delivered. The old URL-only
//! `validators` table of earlier versions is left alone and unread.
//!
//! Lookups go through a [`Snapshot`], one read transaction for all of a
//! poll's. Everything learned from one poll is written in one transaction
//! by [`State::commit`], which the driver calls only after the sink
//! acknowledged that poll's records: a crash before it loses nothing, it
//! only repeats work. redb locks the file, so two processes cannot share
//! one state directory by accident.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::source::http::Validators;

mod snapshot;
pub use snapshot::Snapshot;

const SEEN: TableDefinition<&str, &str> = TableDefinition::new("seen");
/// Source id and document URL -> validators, as JSON.
const VALIDATORS: TableDefinition<&str, &str> = TableDefinition::new("source_validators");
const CURSORS: TableDefinition<&str, &str> = TableDefinition::new("cursors");
const INFLUENCERS: TableDefinition<&str, i64> = TableDefinition::new("influencers");
/// Address or account id -> the person (influencer id) it belongs to.
const OWNERS: TableDefinition<&str, &str> = TableDefinition::new("owners");
/// Person id -> its accounts, as JSON.
const PEOPLE: TableDefinition<&str, &str> = TableDefinition::new("people");
/// Source id -> where its document moved for good, as JSON `{from, to}`:
/// `from` is the URL of the pipeline file, so editing it starts afresh.
const MOVED: TableDefinition<&str, &str> = TableDefinition::new("moved");
/// An item's identity (what its feedback ids hash) -> the [`ItemClaim`] of
/// the source that delivered it, as JSON.
const CLAIMS: TableDefinition<&str, &str> = TableDefinition::new("item_claims");
/// Person (influencer) id -> its [`crate::record::Trajectory`], as JSON.
const TRAJECTORIES: TableDefinition<&str, &str> = TableDefinition::new("trajectories");

/// Which source delivered an item's feedback, and with what content. The
/// same post reached through two sources (a feed, and the page whose feed
/// is discovered) is delivered once per brand, by the fullest copy.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemClaim {
    pub source: String,
    /// The content hash of the copy delivered.
    pub hash: String,
    /// Bytes of its title and text.
    pub size: usize,
}

impl ItemClaim {
    /// Whether `other`, a copy from another source, replaces this one: a
    /// fuller copy does, and the hash decides between equal sizes, so that
    /// what is delivered last is the same whichever source was polled first.
    pub fn yields_to(&self, other: &ItemClaim) -> bool {
        (other.size, other.hash.as_str()) > (self.size, self.hash.as_str())
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("state at {path}: {message}")]
pub struct StateError {
    pub path: String,
    pub message: String,
}

/// Everything one acknowledged poll teaches the state.
#[derive(Debug, Default)]
pub struct Commit {
    /// (source id, item key, content hash)
    pub seen: Vec<(String, String, String)>,
    /// (source id, document URL, validators)
    pub validators: Vec<(String, String, Validators)>,
    /// (influencer id, first seen)
    pub influencers: Vec<(String, DateTime<Utc>)>,
    /// (source id, cursor)
    pub cursors: Vec<(String, String)>,
    /// (address or account id, person id): kept only where none is known.
    pub owners: Vec<(String, String)>,
    /// (person id, accounts)
    pub people: Vec<(String, Vec<crate::record::Account>)>,
    /// (source id, the pipeline file's URL, where it moved for good)
    pub moved: Vec<(String, String, String)>,
    /// (item identity, the claim of the source that delivered it)
    pub claims: Vec<(String, ItemClaim)>,
    /// (person id, sentiment history)
    pub trajectories: Vec<(String, crate::record::Trajectory)>,
}

impl Commit {
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
            && self.validators.is_empty()
            && self.influencers.is_empty()
            && self.cursors.is_empty()
            && self.owners.is_empty()
            && self.people.is_empty()
            && self.moved.is_empty()
            && self.claims.is_empty()
            && self.trajectories.is_empty()
    }
}

#[derive(Clone)]
pub struct State {
    db: Arc<Database>,
    path: Arc<str>,
}

/// redb's page cache. Its default (1 GiB) lets a process grow with the
/// state file; the hot pages (the seen table's upper levels, the last
/// polls' leaves: a source's keys sit together) fit in far less, and a
/// miss is a read from the OS page cache, not from disk. A backfill of
/// 1,600 feeds (a 37 MB state) ran as fast with 4 MiB as with 32 MiB,
/// whose cache then held 19 MB of the process's memory, and as fast with
/// 2 MiB, for 3,000 more reads of the file at 400 feeds (a pread from the
/// page cache each). At 1 MiB the reads were ten times as many.
const CACHE_BYTES: usize = 2 * 1024 * 1024;

/// Source id and a key of that source, in one table key, written into
/// `out` (whose earlier contents go): callers keep one buffer for many.
fn per_source_key<'a>(out: &'a mut String, source: &str, key: &str) -> &'a str {
    out.clear();
    out.push_str(source);
    out.push('\u{1f}');
    out.push_str(key);
    out
}

fn error(path: &str, e: impl std::fmt::Display) -> StateError {
    StateError {
        path: path.to_string(),
        message: e.to_string(),
    }
}

impl State {
    /// Opens (or creates) the state database in `dir`.
    pub fn open(dir: &Path) -> Result<State, StateError> {
        let path = dir.join("state.redb");
        let err = |message: String| StateError {
            path: path.display().to_string(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| err(format!("cannot create directory: {e}")))?;
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(&path)
            .map_err(|e| err(e.to_string()))?;
        // Create the tables up front so readers never meet a missing table.
        let tx = db.begin_write().map_err(|e| err(e.to_string()))?;
        {
            tx.open_table(SEEN).map_err(|e| err(e.to_string()))?;
            tx.open_table(VALIDATORS).map_err(|e| err(e.to_string()))?;
            tx.open_table(CURSORS).map_err(|e| err(e.to_string()))?;
            tx.open_table(INFLUENCERS).map_err(|e| err(e.to_string()))?;
            tx.open_table(OWNERS).map_err(|e| err(e.to_string()))?;
            tx.open_table(PEOPLE).map_err(|e| err(e.to_string()))?;
            tx.open_table(MOVED).map_err(|e| err(e.to_string()))?;
            tx.open_table(CLAIMS).map_err(|e| err(e.to_string()))?;
            tx.open_table(TRAJECTORIES)
                .map_err(|e| err(e.to_string()))?;
        }
        tx.commit().map_err(|e| err(e.to_string()))?;
        Ok(State {
            db: Arc::new(db),
            path: path.display().to_string().into(),
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> StateError {
        error(&self.path, e)
    }

    /// The state as committed now, for lookups (see [`Snapshot`]).
    pub fn snapshot(&self) -> Result<Snapshot, StateError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        Ok(Snapshot::new(tx, self.path.clone()))
    }

    /// Number of items remembered as delivered.
    pub fn seen_count(&self) -> Result<u64, StateError> {
        let tx = self.db.begin_read().map_err(|e| self.err(e))?;
        let t = tx.open_table(SEEN).map_err(|e| self.err(e))?;
        t.len().map_err(|e| self.err(e))
    }

    /// Writes what one acknowledged poll learned, durably, in one transaction.
    pub fn commit(&self, c: &Commit) -> Result<(), StateError> {
        self.commit_all(std::slice::from_ref(c))
    }

    /// Writes what several acknowledged polls learned, in their order, in
    /// one transaction: one sync for all of them.
    pub fn commit_all(&self, commits: &[Commit]) -> Result<(), StateError> {
        if commits.iter().all(Commit::is_empty) {
            return Ok(());
        }
        let tx = self.db.begin_write().map_err(|e| self.err(e))?;
        self.apply(&tx, commits)?;
        tx.commit().map_err(|e| self.err(e))
    }

    /// Writes `commits` table by table, each table opened once, and in
    /// each table in the commits' order (tables do not depend on each
    /// other, so this is what applying them one by one would leave).
    fn apply(&self, tx: &redb::WriteTransaction, commits: &[Commit]) -> Result<(), StateError> {
        let mut seen = tx.open_table(SEEN).map_err(|e| self.err(e))?;
        let mut k = String::new();
        for (source, key, hash) in commits.iter().flat_map(|c| &c.seen) {
            seen.insert(per_source_key(&mut k, source, key), hash.as_str())
                .map_err(|e| self.err(e))?;
        }
        let mut val = tx.open_table(VALIDATORS).map_err(|e| self.err(e))?;
        for (source, url, v) in commits.iter().flat_map(|c| &c.validators) {
            let key = per_source_key(&mut k, source, url);
            if v.is_empty() {
                val.remove(key).map_err(|e| self.err(e))?;
            } else {
                let json = serde_json::to_string(v).expect("validators serialize");
                val.insert(key, json.as_str()).map_err(|e| self.err(e))?;
            }
        }
        let mut cur = tx.open_table(CURSORS).map_err(|e| self.err(e))?;
        for (source, cursor) in commits.iter().flat_map(|c| &c.cursors) {
            cur.insert(source.as_str(), cursor.as_str())
                .map_err(|e| self.err(e))?;
        }
        let mut owners = tx.open_table(OWNERS).map_err(|e| self.err(e))?;
        for (key, person) in commits.iter().flat_map(|c| &c.owners) {
            // The first claim wins: a person's id never moves.
            if owners.get(key.as_str()).map_err(|e| self.err(e))?.is_none() {
                owners
                    .insert(key.as_str(), person.as_str())
                    .map_err(|e| self.err(e))?;
            }
        }
        let mut people = tx.open_table(PEOPLE).map_err(|e| self.err(e))?;
        for (person, accounts) in commits.iter().flat_map(|c| &c.people) {
            // Polls of two sources may each add an account to a person
            // and commit in either order: merge, so neither is lost.
            let mut merged: Vec<crate::record::Account> = people
                .get(person.as_str())
                .map_err(|e| self.err(e))?
                .and_then(|v| serde_json::from_str(v.value()).ok())
                .unwrap_or_default();
            for a in accounts {
                match merged.iter_mut().find(|m| m.id == a.id) {
                    Some(m) => *m = a.clone(),
                    None => merged.push(a.clone()),
                }
            }
            let json = serde_json::to_string(&merged).expect("accounts serialize");
            people
                .insert(person.as_str(), json.as_str())
                .map_err(|e| self.err(e))?;
        }
        let mut claims = tx.open_table(CLAIMS).map_err(|e| self.err(e))?;
        for (identity, claim) in commits.iter().flat_map(|c| &c.claims) {
            // Polls of two sources commit in either order: a claim is
            // replaced by its own source's edit or by a fuller copy.
            let old: Option<ItemClaim> = claims
                .get(identity.as_str())
                .map_err(|e| self.err(e))?
                .and_then(|v| serde_json::from_str(v.value()).ok());
            if old.is_some_and(|o| o.source != claim.source && !o.yields_to(claim)) {
                continue;
            }
            let json = serde_json::to_string(claim).expect("claims serialize");
            claims
                .insert(identity.as_str(), json.as_str())
                .map_err(|e| self.err(e))?;
        }
        let mut traj = tx.open_table(TRAJECTORIES).map_err(|e| self.err(e))?;
        for (person, t) in commits.iter().flat_map(|c| &c.trajectories) {
            // Two polls decide one after the other but may commit in either
            // order: fold what this one adds into what is stored.
            let old: crate::record::Trajectory = traj
                .get(person.as_str())
                .map_err(|e| self.err(e))?
                .and_then(|v| serde_json::from_str(v.value()).ok())
                .unwrap_or_default();
            let json = serde_json::to_string(&old.merge(t)).expect("trajectory serializes");
            traj.insert(person.as_str(), json.as_str())
                .map_err(|e| self.err(e))?;
        }
        let mut moved = tx.open_table(MOVED).map_err(|e| self.err(e))?;
        for (source, from, to) in commits.iter().flat_map(|c| &c.moved) {
            let json = serde_json::json!({ "from": from, "to": to }).to_string();
            moved
                .insert(source.as_str(), json.as_str())
                .map_err(|e| self.err(e))?;
        }
        let mut inf = tx.open_table(INFLUENCERS).map_err(|e| self.err(e))?;
        for (id, first) in commits.iter().flat_map(|c| &c.influencers) {
            // Keep the earliest sighting.
            let old = inf
                .get(id.as_str())
                .map_err(|e| self.err(e))?
                .map(|v| v.value());
            let ms = first.timestamp_millis();
            if old.is_none_or(|o| ms < o) {
                inf.insert(id.as_str(), ms).map_err(|e| self.err(e))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_committed_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = State::open(dir.path()).unwrap();
            assert_eq!(s.snapshot().unwrap().seen_hash("blog", "k1").unwrap(), None);
            let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
            s.commit(&Commit {
                seen: vec![("blog".into(), "k1".into(), "h1".into())],
                validators: vec![(
                    "blog".into(),
                    "https://x/feed".into(),
                    Validators {
                        etag: Some("\"v1\"".into()),
                        last_modified: None,
                    },
                )],
                influencers: vec![("inf_1".into(), t0)],
                cursors: vec![("masto".into(), "123".into())],
                ..Commit::default()
            })
            .unwrap();
        }
        let s = State::open(dir.path()).unwrap();
        assert_eq!(
            s.snapshot()
                .unwrap()
                .seen_hash("blog", "k1")
                .unwrap()
                .as_deref(),
            Some("h1")
        );
        assert_eq!(
            s.snapshot().unwrap().seen_hash("other", "k1").unwrap(),
            None
        );
        assert_eq!(
            s.snapshot()
                .unwrap()
                .validators("blog", "https://x/feed")
                .unwrap()
                .unwrap()
                .etag
                .as_deref(),
            Some("\"v1\"")
        );
        assert_eq!(
            s.snapshot()
                .unwrap()
                .validators("other", "https://x/feed")
                .unwrap(),
            None,
            "validators belong to the source that saved them"
        );
        assert_eq!(
            s.snapshot().unwrap().cursor("masto").unwrap().as_deref(),
            Some("123")
        );
        assert!(s
            .snapshot()
            .unwrap()
            .influencer_first_seen("inf_1")
            .unwrap()
            .is_some());
        assert_eq!(s.seen_count().unwrap(), 1);
    }

    #[test]
    fn url_only_validators_of_earlier_versions_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        {
            let db = Database::create(dir.path().join("state.redb")).unwrap();
            let tx = db.begin_write().unwrap();
            {
                let old: TableDefinition<&str, &str> = TableDefinition::new("validators");
                let mut t = tx.open_table(old).unwrap();
                t.insert("https://x/feed", r#"{"etag":"\"old\""}"#).unwrap();
            }
            tx.commit().unwrap();
        }
        let s = State::open(dir.path()).unwrap();
        assert_eq!(
            s.snapshot()
                .unwrap()
                .validators("blog", "https://x/feed")
                .unwrap(),
            None
        );
    }

    #[test]
    fn a_snapshot_reads_the_state_as_of_its_making() {
        // The driver decides a poll on a snapshot taken under the pending
        // lock; a commit after it must not show through half-way.
        let dir = tempfile::tempdir().unwrap();
        let s = State::open(dir.path()).unwrap();
        let before = s.snapshot().unwrap();
        assert_eq!(
            before.seen_hash("blog", "k1").unwrap(),
            None,
            "opens its tables"
        );
        s.commit(&Commit {
            seen: vec![("blog".into(), "k1".into(), "h1".into())],
            owners: vec![("name:rant112@blog".into(), "inf_1".into())],
            ..Commit::default()
        })
        .unwrap();
        assert_eq!(before.seen_hash("blog", "k1").unwrap(), None);
        assert_eq!(before.owner("name:rant112@blog").unwrap(), None);
        let after = s.snapshot().unwrap();
        assert_eq!(
            after.seen_hash("blog", "k1").unwrap().as_deref(),
            Some("h1")
        );
        assert_eq!(
            after.seen_hash("blog", "k2").unwrap(),
            None,
            "its key buffer is reused"
        );
        assert_eq!(
            after.seen_hash("blo", "gk1").unwrap(),
            None,
            "source and key stay apart"
        );
        assert_eq!(
            after.owner("name:rant112@blog").unwrap().as_deref(),
            Some("inf_1")
        );
    }

    #[test]
    fn commits_written_together_leave_what_they_would_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let s = State::open(dir.path()).unwrap();
        let poll = |n: &str| Commit {
            seen: vec![("blog".into(), format!("k{n}"), format!("h{n}"))],
            cursors: vec![("masto".into(), n.into())],
            owners: vec![("name:rant112@blog".into(), format!("inf_{n}"))],
            ..Commit::default()
        };
        s.commit_all(&[poll("1"), poll("2")]).unwrap();
        let now = s.snapshot().unwrap();
        assert_eq!(now.seen_hash("blog", "k1").unwrap().as_deref(), Some("h1"));
        assert_eq!(now.seen_hash("blog", "k2").unwrap().as_deref(), Some("h2"));
        assert_eq!(
            now.cursor("masto").unwrap().as_deref(),
            Some("2"),
            "the later cursor"
        );
        assert_eq!(
            now.owner("name:rant112@blog").unwrap().as_deref(),
            Some("inf_1"),
            "the first owner"
        );
    }

    #[test]
    fn first_seen_keeps_the_earliest_sighting() {
        let dir = tempfile::tempdir().unwrap();
        let s = State::open(dir.path()).unwrap();
        let early: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
        let late: DateTime<Utc> = "2026-05-01T00:00:00Z".parse().unwrap();
        for t in [early, late] {
            s.commit(&Commit {
                influencers: vec![("inf".into(), t)],
                ..Commit::default()
            })
            .unwrap();
        }
        assert_eq!(
            s.snapshot().unwrap().influencer_first_seen("inf").unwrap(),
            Some(early)
        );
    }
}
