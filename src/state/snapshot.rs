//! One consistent view of the state, for everything one poll looks up.
//!
//! A poll asks the state once per item, and more for items that mention a
//! brand (who owns the address, which source claimed the post, the
//! person's history). Each lookup in a read transaction of its own began
//! that transaction and opened its table again, and opening a table
//! checks its key and value type names, a few allocations each time; a
//! backfill spent 6% of its time there. A [`Snapshot`] is one read
//! transaction whose tables are opened on first use and then kept.
//!
//! It reads the state as of its making and never sees a later commit. The
//! driver makes the one it decides a poll with under the lock of the
//! pending commits, so that what it cannot see yet is still pending there.

use std::cell::{OnceCell, RefCell};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use redb::{Key, ReadOnlyTable, TableDefinition, Value};

use super::StateError;
use super::{
    error, per_source_key, ItemClaim, CLAIMS, CURSORS, INFLUENCERS, MOVED, OWNERS, PEOPLE, SEEN,
    TRAJECTORIES, VALIDATORS,
};
use crate::record::{Account, Trajectory};
use crate::source::http::Validators;

type Table = ReadOnlyTable<&'static str, &'static str>;

/// The state as of one moment; see the module doc.
pub struct Snapshot {
    tx: redb::ReadTransaction,
    path: Arc<str>,
    seen: OnceCell<Table>,
    validators: OnceCell<Table>,
    cursors: OnceCell<Table>,
    owners: OnceCell<Table>,
    people: OnceCell<Table>,
    moved: OnceCell<Table>,
    claims: OnceCell<Table>,
    trajectories: OnceCell<Table>,
    influencers: OnceCell<ReadOnlyTable<&'static str, i64>>,
    /// The last composite key looked up, reused for the next one.
    key: RefCell<String>,
}

impl Snapshot {
    pub(super) fn new(tx: redb::ReadTransaction, path: Arc<str>) -> Snapshot {
        Snapshot {
            tx,
            path,
            seen: OnceCell::new(),
            validators: OnceCell::new(),
            cursors: OnceCell::new(),
            owners: OnceCell::new(),
            people: OnceCell::new(),
            moved: OnceCell::new(),
            claims: OnceCell::new(),
            trajectories: OnceCell::new(),
            influencers: OnceCell::new(),
            key: RefCell::new(String::new()),
        }
    }

    fn err(&self, e: impl std::fmt::Display) -> StateError {
        error(&self.path, e)
    }

    /// `cell`'s table, opened in this transaction the first time.
    fn table<'s, K: Key + 'static, V: Value + 'static>(
        &self,
        cell: &'s OnceCell<ReadOnlyTable<K, V>>,
        definition: TableDefinition<K, V>,
    ) -> Result<&'s ReadOnlyTable<K, V>, StateError> {
        if let Some(t) = cell.get() {
            return Ok(t);
        }
        let t = self.tx.open_table(definition).map_err(|e| self.err(e))?;
        Ok(cell.get_or_init(|| t))
    }

    fn get_str(
        &self,
        cell: &OnceCell<Table>,
        definition: TableDefinition<&'static str, &'static str>,
        key: &str,
    ) -> Result<Option<String>, StateError> {
        let t = self.table(cell, definition)?;
        let v = t.get(key).map_err(|e| self.err(e))?;
        Ok(v.map(|v| v.value().to_string()))
    }

    /// [`Snapshot::get_str`] of the key `source` keeps `key` under.
    fn get_per_source(
        &self,
        cell: &OnceCell<Table>,
        definition: TableDefinition<&'static str, &'static str>,
        source: &str,
        key: &str,
    ) -> Result<Option<String>, StateError> {
        let mut k = self.key.borrow_mut();
        self.get_str(cell, definition, per_source_key(&mut k, source, key))
    }

    /// Content hash of an item already delivered, if it was.
    pub fn seen_hash(&self, source: &str, key: &str) -> Result<Option<String>, StateError> {
        self.get_per_source(&self.seen, SEEN, source, key)
    }

    /// Validators `source` saved for the document at `url`.
    pub fn validators(&self, source: &str, url: &str) -> Result<Option<Validators>, StateError> {
        Ok(self
            .get_per_source(&self.validators, VALIDATORS, source, url)?
            .and_then(|s| serde_json::from_str(&s).ok()))
    }

    pub fn cursor(&self, source: &str) -> Result<Option<String>, StateError> {
        self.get_str(&self.cursors, CURSORS, source)
    }

    /// Where the document of `source`, configured at `configured`, moved
    /// for good; `None` if it did not, or if the pipeline file has changed
    /// the URL since.
    pub fn moved(&self, source: &str, configured: &str) -> Result<Option<String>, StateError> {
        let Some(json) = self.get_str(&self.moved, MOVED, source)? else {
            return Ok(None);
        };
        let v: serde_json::Value = serde_json::from_str(&json).map_err(|e| self.err(e))?;
        Ok((v["from"] == configured)
            .then(|| v["to"].as_str().map(str::to_string))
            .flatten())
    }

    /// The person an address or account id belongs to.
    pub fn owner(&self, key: &str) -> Result<Option<String>, StateError> {
        self.get_str(&self.owners, OWNERS, key)
    }

    /// The accounts known of a person.
    pub fn accounts(&self, person: &str) -> Result<Vec<Account>, StateError> {
        Ok(self
            .get_str(&self.people, PEOPLE, person)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default())
    }

    /// Which source delivered the item with this identity, if one did.
    pub fn claim(&self, identity: &str) -> Result<Option<ItemClaim>, StateError> {
        Ok(self
            .get_str(&self.claims, CLAIMS, identity)?
            .and_then(|s| serde_json::from_str(&s).ok()))
    }

    /// A person's sentiment history, if any mention of theirs was delivered.
    pub fn trajectory(&self, person: &str) -> Result<Option<Trajectory>, StateError> {
        Ok(self
            .get_str(&self.trajectories, TRAJECTORIES, person)?
            .and_then(|s| serde_json::from_str(&s).ok()))
    }

    pub fn influencer_first_seen(&self, id: &str) -> Result<Option<DateTime<Utc>>, StateError> {
        let t = self.table(&self.influencers, INFLUENCERS)?;
        let v = t.get(id).map_err(|e| self.err(e))?;
        Ok(v.and_then(|v| DateTime::from_timestamp_millis(v.value())))
    }
}
