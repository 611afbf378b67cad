//! The workspace's log of contacts with authors, kept per person so that a
//! contact on one account counts for all of them.
//!
//! Contacts are logged under the influencer id of the case they were made
//! on; a person's accounts are joined at read time through the accounts the
//! influencer records list, so the order in which records and contacts
//! arrive changes nothing.

use std::collections::{BTreeSet, HashMap};

use crate::serve::contact::Contacted;

/// Contacts kept per author; older ones go first. A year of weekly
/// contacts, far beyond any cap, so no standing loses what it counts.
const MAX_PER_AUTHOR: usize = 64;

#[derive(Debug, Default)]
pub(super) struct Contacts {
    by_author: HashMap<String, Vec<Contacted>>,
    /// Account id → the id of the person record that lists it.
    person_of: HashMap<String, String>,
    /// Person record id → its account ids.
    accounts: HashMap<String, Vec<String>>,
}

impl Contacts {
    pub(super) fn log(&mut self, author: &str, c: Contacted) {
        let log = self.by_author.entry(author.to_string()).or_default();
        log.push(c);
        if log.len() > MAX_PER_AUTHOR {
            log.sort_by_key(|c| c.at);
            log.remove(0);
        }
    }

    /// Learns that record `person` stands for `accounts`.
    pub(super) fn join(&mut self, person: &str, accounts: impl Iterator<Item = String>) {
        let accounts: Vec<String> = accounts.filter(|a| a != person).collect();
        for a in &accounts {
            self.person_of.insert(a.clone(), person.to_string());
        }
        if !accounts.is_empty() {
            self.accounts.insert(person.to_string(), accounts);
        }
    }

    /// Every id the person behind `id` is known by.
    fn ids<'a>(&'a self, id: &'a str) -> BTreeSet<&'a str> {
        let person = self.person_of.get(id).map_or(id, String::as_str);
        let mut ids = BTreeSet::from([id, person]);
        ids.extend(
            self.accounts
                .get(person)
                .into_iter()
                .flatten()
                .map(String::as_str),
        );
        ids
    }

    /// The contacts with the person behind `id`, on any of their accounts.
    pub(super) fn of<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Contacted> {
        self.ids(id)
            .into_iter()
            .filter_map(|i| self.by_author.get(i))
            .flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(day: u32, feedback: &str) -> Contacted {
        Contacted {
            at: format!("2026-11-{day:02}T10:00:00Z").parse().unwrap(),
            by: "pat".into(),
            channel: "email".into(),
            proactive: false,
            feedback_id: feedback.into(),
        }
    }

    #[test]
    fn a_contact_on_one_account_counts_for_every_account_of_the_person() {
        let mut log = Contacts::default();
        log.log("mastodon:@rant112@social.example", c(1, "fb_1"));
        log.log("name:Rant112@rant.example", c(2, "fb_2"));
        log.log("reddit:someone_else", c(3, "fb_3"));
        // The join arrives after the contacts: it still applies.
        log.join(
            "name:Rant112@rant.example",
            ["mastodon:@rant112@social.example".to_string()].into_iter(),
        );
        for id in [
            "mastodon:@rant112@social.example",
            "name:Rant112@rant.example",
        ] {
            let mut got: Vec<&str> = log.of(id).map(|c| c.feedback_id.as_str()).collect();
            got.sort_unstable();
            assert_eq!(got, ["fb_1", "fb_2"], "{id}");
        }
        assert_eq!(log.of("reddit:someone_else").count(), 1);
        assert_eq!(log.of("nobody").count(), 0);
    }

    #[test]
    fn the_log_of_an_author_is_bounded_and_keeps_the_newest() {
        let mut log = Contacts::default();
        for i in 0..(MAX_PER_AUTHOR + 5) {
            let mut x = c(1, &format!("fb_{i}"));
            x.at += chrono::TimeDelta::hours(i as i64);
            log.log("a", x);
        }
        let kept: Vec<_> = log.of("a").collect();
        assert_eq!(kept.len(), MAX_PER_AUTHOR);
        assert!(kept.iter().all(|c| c.feedback_id != "fb_0"));
    }
}
