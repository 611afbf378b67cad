//! What polls decided but have not committed yet.
//!
//! A poll's claims (which source delivers an item, which person an address
//! belongs to, a person's accounts) reach state only after the sink
//! acknowledged its records. Polls of several sources run side by side, so
//! without this a second source carrying the same post or the same author
//! would decide before the first committed, and deliver the post again or
//! give the author a second id, or fold a mention into a person's
//! sentiment history that the other poll is about to replace. The driver decides under this lock, reads
//! these before state, and releases a poll's entries once its commit is
//! written or has failed.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::record::{Account, Trajectory};
use crate::state::{Commit, ItemClaim};

#[derive(Default)]
pub struct Pending {
    inner: Mutex<Inner>,
}

/// Each entry with the poll (its token) that made it.
#[derive(Default)]
pub struct Inner {
    next: u64,
    claims: HashMap<String, (u64, ItemClaim)>,
    owners: HashMap<String, (u64, String)>,
    people: HashMap<String, (u64, Vec<Account>)>,
    trajectories: HashMap<String, (u64, Trajectory)>,
}

impl Pending {
    /// Held while a poll decides, so that two polls never decide at once.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while deciding leaves the maps consistent (each insert is
        // whole), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets what the poll with `token` added, once its commit is written
    /// (state has it now) or failed (it never happened).
    pub fn release(&self, token: u64) {
        let mut inner = self.lock();
        inner.claims.retain(|_, (t, _)| *t != token);
        inner.owners.retain(|_, (t, _)| *t != token);
        inner.people.retain(|_, (t, _)| *t != token);
        inner.trajectories.retain(|_, (t, _)| *t != token);
    }
}

impl Inner {
    pub fn claim(&self, identity: &str) -> Option<ItemClaim> {
        self.claims.get(identity).map(|(_, c)| c.clone())
    }

    pub fn owner(&self, key: &str) -> Option<String> {
        self.owners.get(key).map(|(_, p)| p.clone())
    }

    pub fn accounts(&self, person: &str) -> Option<Vec<Account>> {
        self.people.get(person).map(|(_, a)| a.clone())
    }

    pub fn trajectory(&self, person: &str) -> Option<Trajectory> {
        self.trajectories.get(person).map(|(_, t)| t.clone())
    }

    /// Adds what a poll decided; returns the token to release it by.
    pub fn add(&mut self, commit: &Commit) -> u64 {
        self.next += 1;
        let token = self.next;
        for (k, c) in &commit.claims {
            self.claims.insert(k.clone(), (token, c.clone()));
        }
        for (k, p) in &commit.owners {
            self.owners.insert(k.clone(), (token, p.clone()));
        }
        for (k, a) in &commit.people {
            self.people.insert(k.clone(), (token, a.clone()));
        }
        for (k, t) in &commit.trajectories {
            self.trajectories.insert(k.clone(), (token, t.clone()));
        }
        token
    }
}

/// Releases a poll's entries however its delivery ends.
pub struct Release<'a> {
    pub pending: &'a Pending,
    pub token: u64,
}

impl Drop for Release<'_> {
    fn drop(&mut self) {
        self.pending.release(self.token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(source: &str) -> ItemClaim {
        ItemClaim {
            source: source.into(),
            hash: "h".into(),
            size: 1,
        }
    }

    #[test]
    fn a_poll_sees_what_another_decided_until_it_is_released() {
        let pending = Pending::default();
        let a = pending.lock().add(&Commit {
            claims: vec![("post".into(), claim("feed"))],
            owners: vec![("name:rant112@blog".into(), "inf_1".into())],
            ..Commit::default()
        });
        let b = pending.lock().add(&Commit {
            claims: vec![("other".into(), claim("page"))],
            ..Commit::default()
        });
        assert_eq!(pending.lock().claim("post"), Some(claim("feed")));
        assert_eq!(
            pending.lock().owner("name:rant112@blog").as_deref(),
            Some("inf_1")
        );
        drop(Release {
            pending: &pending,
            token: a,
        });
        assert_eq!(pending.lock().claim("post"), None);
        assert_eq!(pending.lock().owner("name:rant112@blog"), None);
        assert_eq!(
            pending.lock().claim("other"),
            Some(claim("page")),
            "b's stay"
        );
        pending.release(b);
        assert_eq!(pending.lock().claim("other"), None);
    }

    #[test]
    fn a_later_poll_s_entry_is_not_released_by_an_earlier_one() {
        let pending = Pending::default();
        let a = pending.lock().add(&Commit {
            claims: vec![("post".into(), claim("feed"))],
            ..Commit::default()
        });
        pending.lock().add(&Commit {
            claims: vec![("post".into(), claim("page"))],
            ..Commit::default()
        });
        pending.release(a);
        assert_eq!(pending.lock().claim("post"), Some(claim("page")));
    }
}
