//! What each item of a poll becomes: the pure middle of the driver.
//!
//! Two steps. [`classify`] reads the items this source has not delivered
//! with this content; it is the costly step and needs nothing shared, so the
//! polls of several sources run it side by side. [`decide`] then turns the
//! classified items into records against what is known: which items were
//! delivered, by which source, and which person an author is. It is cheap,
//! and the driver runs it under one lock with what other polls decided but
//! have not committed yet, so that two sources carrying the same post, or
//! the same author, agree. Both are pure: state is read through [`Known`],
//! and the changes to make once delivered come back in [`Processed::commit`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::classify::{Classifier, Fields};
use crate::model::{Classification, Item};
use crate::record::{self, Record};
use crate::state::{Commit, ItemClaim};

/// What [`process`] made of one poll's items.
#[derive(Debug, Default)]
pub struct Processed {
    pub records: Vec<Record>,
    pub commit: Commit,
    /// Items already delivered with the same content.
    pub unchanged: usize,
    /// Items that mentioned at least one brand.
    pub matched: usize,
    /// Items another source already delivered as fully: copies, not sent.
    pub copies: usize,
}

/// What state knows, as lookups, so that [`process`] stays pure.
pub struct Known<'a> {
    /// Content hash of an item key already delivered by this source.
    pub seen: &'a dyn Fn(&str) -> Option<String>,
    /// When an influencer was first seen.
    pub first_seen: &'a dyn Fn(&str) -> Option<DateTime<Utc>>,
    /// The person an address or account id belongs to.
    pub owner: &'a dyn Fn(&str) -> Option<String>,
    /// The accounts known of a person.
    pub accounts: &'a dyn Fn(&str) -> Vec<record::Account>,
    /// Which source delivered an item's feedback, by the item's identity
    /// ([`record::item_identity`]), and with what content.
    pub claim: &'a dyn Fn(&str) -> Option<ItemClaim>,
    /// A person's sentiment history, by person (influencer) id.
    pub trajectory: &'a dyn Fn(&str) -> Option<record::Trajectory>,
}

impl Known<'_> {
    /// Nothing known: a first run.
    pub fn nothing() -> Known<'static> {
        Known {
            seen: &|_| None,
            first_seen: &|_| None,
            owner: &|_| None,
            accounts: &|_| Vec::new(),
            claim: &|_| None,
            trajectory: &|_| None,
        }
    }
}

/// One poll's items after [`classify`]: what is left to decide.
#[derive(Debug, Default)]
pub struct Classified {
    steps: Vec<Step>,
    unchanged: usize,
}

#[derive(Debug)]
struct Step {
    index: usize,
    /// The content hash this source delivered the item with before.
    previous: Option<String>,
    class: Classification,
}

/// Decides what each item of a poll becomes: [`classify`] then [`decide`].
pub fn process(
    classifier: &Classifier,
    pipeline: &str,
    source_id: &str,
    items: &[Item],
    known: &Known<'_>,
    observed: DateTime<Utc>,
) -> Processed {
    let classified = classify(classifier, source_id, items, known.seen);
    decide(classified, pipeline, source_id, items, known, observed)
}

/// Classifies the items of a poll that are new or changed for this source.
pub fn classify(
    classifier: &Classifier,
    source_id: &str,
    items: &[Item],
    seen: &dyn Fn(&str) -> Option<String>,
) -> Classified {
    // A feed may list the same entry twice; the last copy wins.
    let mut last: HashMap<&str, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        last.insert(item.key.as_str(), i);
    }
    let mut out = Classified::default();
    for (index, item) in items.iter().enumerate() {
        if last[item.key.as_str()] != index {
            continue;
        }
        let previous = seen(&item.key);
        if previous.as_deref() == Some(item.content_hash.as_str()) {
            out.unchanged += 1;
            continue;
        }
        let class = classifier.classify(&fields(item));
        for m in &class.mentions {
            if let Some(c) = m.capped {
                tracing::warn!(
                    source = source_id,
                    item = %item.key,
                    brand = %m.brand,
                    occurrences = c.occurrences,
                    considered = c.considered,
                    "Mentions capped: sentiment and intents read from the first ones."
                );
            }
        }
        out.steps.push(Step {
            index,
            previous,
            class,
        });
    }
    out
}

/// Turns classified items into records, against what `known` says.
pub fn decide(
    classified: Classified,
    pipeline: &str,
    source_id: &str,
    items: &[Item],
    known: &Known<'_>,
    observed: DateTime<Utc>,
) -> Processed {
    let mut out = Processed {
        unchanged: classified.unchanged,
        ..Processed::default()
    };
    // What this poll learned, visible to its later items before the commit.
    let mut new_influencers: HashMap<String, DateTime<Utc>> = HashMap::new();
    let mut new_owners: HashMap<String, String> = HashMap::new();
    let mut new_people: HashMap<String, Vec<record::Account>> = HashMap::new();
    let mut new_claims: HashMap<String, ItemClaim> = HashMap::new();
    // Where each person's influencer record is in `out.records`: a later
    // item by the same person takes its history from there and supersedes
    // it (see `drop_superseded`).
    let mut latest: HashMap<String, usize> = HashMap::new();
    let mut superseded: Vec<usize> = Vec::new();
    for Step {
        index,
        previous,
        class,
    } in classified.steps
    {
        let item = &items[index];
        out.commit.seen.push(seen_entry(source_id, item));
        if class.mentions.is_empty() {
            continue;
        }
        let identity = record::item_identity(item, source_id);
        let mine = ItemClaim {
            source: source_id.to_string(),
            hash: item.content_hash.clone(),
            size: item.text.len() + item.title.as_ref().map_or(0, String::len),
        };
        let claim = new_claims
            .get(&identity)
            .cloned()
            .or_else(|| (known.claim)(&identity));
        // The same post through another source (a feed and the page that
        // announces it): one record per brand, from the fullest copy.
        if let Some(c) = claim.as_ref().filter(|c| c.source != source_id) {
            if !c.yields_to(&mine) {
                out.copies += 1;
                continue;
            }
        }
        let owner = |k: &str| new_owners.get(k).cloned().or_else(|| (known.owner)(k));
        let accounts = |p: &str| {
            new_people
                .get(p)
                .cloned()
                .unwrap_or_else(|| (known.accounts)(p))
        };
        let resolved = record::identity::resolve(item, &owner, &accounts);
        let inf = resolved.as_ref().map(|r| r.person.id.clone());
        let first_known = inf
            .as_deref()
            .and_then(|id| (known.first_seen)(id).or_else(|| new_influencers.get(id).copied()));
        let person = resolved.as_ref().map(|r| r.person.clone());
        let account = resolved.as_ref().map(|r| r.account.clone());
        let ctx = record::Context {
            pipeline,
            source_id,
            observed,
            // Delivered before, by this source or another: what follows
            // is a newer version of the same records.
            update: previous.is_some() || claim.is_some(),
            influencer_first_seen: first_known,
            trajectory: inf.as_deref().and_then(|id| match latest.get(id) {
                // The record this item's supersedes: its history moves.
                Some(&i)
                    if record::record_influencer_id(account.as_ref(), person.as_ref())
                        .as_deref()
                        == Some(id) =>
                {
                    influencer_mut(&mut out.records[i]).trajectory.take()
                }
                Some(&i) => influencer_mut(&mut out.records[i]).trajectory.clone(),
                None => (known.trajectory)(id),
            }),
            person,
            account,
        };
        let recs = record::build(item, &class, ctx);
        if recs.is_empty() {
            continue;
        }
        out.matched += 1;
        for (k, r) in recs.iter().enumerate() {
            if let Record::Influencer(i) = r {
                if let Some(old) = latest.insert(i.id.clone(), out.records.len() + k) {
                    superseded.push(old);
                }
            }
        }
        if let (Some(id), None) = (&inf, first_known) {
            new_influencers.insert(id.clone(), observed);
        }
        if let Some(record::identity::Resolved { person, claims, .. }) = resolved {
            let unclaimed: Vec<String> = claims
                .into_iter()
                .filter(|c| !new_owners.contains_key(c) && (known.owner)(c).is_none())
                .collect();
            for c in unclaimed {
                new_owners.insert(c, person.id.clone());
            }
            new_people.insert(person.id, person.accounts);
        }
        new_claims.insert(identity, mine);
        out.records.extend(recs);
    }
    out.commit.trajectories = latest
        .iter()
        .filter_map(|(id, &i)| {
            let t = influencer_mut(&mut out.records[i]).trajectory.clone()?;
            Some((id.clone(), t))
        })
        .collect();
    out.records = drop_superseded(out.records, superseded);
    out.commit.influencers = new_influencers.into_iter().collect();
    out.commit.owners = new_owners.into_iter().collect();
    out.commit.people = new_people.into_iter().collect();
    out.commit.claims = new_claims.into_iter().collect();
    out
}

/// The influencer record at `r`, which `decide` indexed as one.
fn influencer_mut(r: &mut Record) -> &mut record::InfluencerRecord {
    match r {
        Record::Influencer(i) => i,
        Record::Feedback(_) => unreachable!("indexed as an influencer record"),
    }
}

/// The records without the influencer records a later item of the poll
/// superseded: one per person per poll is kept, the last, which folds in
/// every mention the poll made. Every item by an author builds one, and all
/// of a poll's carry the same observation time, hence the same CloudEvents
/// id (`id:last_seen`), so a consumer that drops repeats by that id would
/// keep the first and least complete; they also made a backfill's output
/// several times larger, each carrying the whole history. Feedback records
/// keep their order, and the person's record stays after the feedback that
/// names it.
fn drop_superseded(records: Vec<Record>, mut superseded: Vec<usize>) -> Vec<Record> {
    if superseded.is_empty() {
        return records;
    }
    superseded.sort_unstable();
    let mut gone = superseded.into_iter().peekable();
    records
        .into_iter()
        .enumerate()
        .filter_map(|(i, r)| match gone.peek() == Some(&i) {
            true => {
                gone.next();
                None
            }
            false => Some(r),
        })
        .collect()
}

fn seen_entry(source_id: &str, item: &Item) -> (String, String, String) {
    (
        source_id.to_string(),
        item.key.clone(),
        item.content_hash.clone(),
    )
}

/// The classifier's view of an item.
pub fn fields(item: &Item) -> Fields<'_> {
    Fields {
        text: &item.text,
        title: item.title.as_deref(),
        author: item
            .author
            .as_ref()
            .and_then(|a| a.name.as_deref().or(a.handle.as_deref())),
        url: item.url.as_deref(),
        lang: item.lang.as_deref(),
    }
}
