use std::collections::HashMap;

use super::*;
use crate::config::{BrandConfig, ProductConfig};
use crate::model::Author;
use crate::record;

fn classifier() -> Classifier {
    Classifier::new(&[BrandConfig {
        name: "Acme".into(),
        query: "acme".into(),
        products: vec![ProductConfig {
            name: "Acme Cloud".into(),
            query: "\"acme cloud\"".into(),
        }],
        should_match: vec![],
        should_not_match: vec![],
    }])
    .unwrap()
}

fn item(key: &str, text: &str, hash: &str) -> Item {
    Item {
        key: key.into(),
        url: Some(format!("https://blog.example/{key}")),
        text: text.into(),
        content_hash: hash.into(),
        platform: "web".into(),
        author: Some(Author {
            name: Some("Rant112".into()),
            ..Author::default()
        }),
        ..Item::default()
    }
}

fn run(items: &[Item], seen: &HashMap<String, String>) -> Processed {
    let now = "2026-01-01T00:00:00Z".parse().unwrap();
    process(
        &classifier(),
        "demo",
        "blog",
        items,
        &Known {
            seen: &|k| seen.get(k).cloned(),
            ..Known::nothing()
        },
        now,
    )
}

#[test]
fn matching_items_become_records_and_every_item_is_marked_seen() {
    let items = [
        item("a", "Acme Cloud lost my files. Awful.", "h1"),
        item("b", "Nothing about brands here.", "h2"),
    ];
    let p = run(&items, &HashMap::new());
    assert_eq!(p.matched, 1);
    // One feedback plus one influencer.
    assert_eq!(p.records.len(), 2);
    assert_eq!(p.commit.seen.len(), 2);
    assert_eq!(p.commit.influencers.len(), 1);
}

#[test]
fn a_poll_sends_one_influencer_record_per_author_with_every_mention_folded_in() {
    let items = [
        item("a", "Acme Cloud lost my files. Awful.", "h1"),
        item("b", "Acme is great again.", "h2"),
        item("c", "Nothing about brands here.", "h3"),
        item("d", "Acme support never answered.", "h4"),
    ];
    let p = run(&items, &HashMap::new());
    assert_eq!(p.matched, 3);
    let kinds: Vec<&str> = p.records.iter().map(|r| r.kind().as_str()).collect();
    assert_eq!(
        kinds,
        ["feedback", "feedback", "feedback", "influencer"],
        "the person's record once, after the feedback naming it"
    );
    let inf = influencers(&p)[0];
    let t = inf.trajectory.as_ref().unwrap();
    assert_eq!(t.count, 3, "each feedback record is one point");
    let ids: Vec<&str> = t.points.iter().map(|pt| pt.feedback_id.as_str()).collect();
    for r in &p.records {
        if let Record::Feedback(f) = r {
            assert!(ids.contains(&f.id.as_str()), "{} folded in", f.id);
            assert_eq!(f.influencer_id.as_deref(), Some(inf.id.as_str()));
        }
    }
}

#[test]
fn delivered_items_are_not_sent_again_but_edits_are() {
    let items = [
        item("a", "Acme is great", "h1"),
        item("b", "Acme is awful", "h2-edited"),
    ];
    let seen = HashMap::from([
        ("a".to_string(), "h1".to_string()),
        ("b".to_string(), "h2".to_string()),
    ]);
    let p = run(&items, &seen);
    assert_eq!(p.unchanged, 1);
    let Record::Feedback(fb) = &p.records[0] else {
        panic!("feedback expected")
    };
    assert_eq!(fb.item_key, "b");
    assert_eq!(fb.event, record::Event::Updated);
}

#[test]
fn a_key_listed_twice_in_one_poll_counts_once() {
    let items = [item("a", "Acme v1", "h1"), item("a", "Acme v2", "h2")];
    let p = run(&items, &HashMap::new());
    assert_eq!(
        p.commit.seen,
        vec![("blog".into(), "a".into(), "h2".into())]
    );
    assert_eq!(p.matched, 1);
}

#[test]
fn one_author_in_two_items_is_first_seen_once() {
    let items = [item("a", "Acme one", "h1"), item("b", "Acme two", "h2")];
    let p = run(&items, &HashMap::new());
    assert_eq!(p.commit.influencers.len(), 1);
    let firsts: Vec<_> = p
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Influencer(i) => Some(i.first_seen),
            _ => None,
        })
        .collect();
    // One record for the person, folding in both items.
    assert_eq!(
        firsts,
        ["2026-01-01T00:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()]
    );
}

#[test]
fn window_keeps_undated_items_and_bounds_dated_ones() {
    let w = Window {
        since: Some("2026-01-01T00:00:00Z".parse().unwrap()),
        until: Some("2026-02-01T00:00:00Z".parse().unwrap()),
    };
    let mut i = Item::default();
    assert!(w.contains(&i));
    i.published = Some("2026-01-15T00:00:00Z".parse().unwrap());
    assert!(w.contains(&i));
    i.published = Some("2025-12-31T23:59:59Z".parse().unwrap());
    assert!(!w.contains(&i));
    i.published = Some("2026-02-01T00:00:00Z".parse().unwrap());
    assert!(!w.contains(&i));
}

#[test]
fn a_mastodon_account_naming_a_known_blog_is_delivered_as_the_same_influencer() {
    let blog = item("post", "Acme Cloud lost my files. Awful.", "h1");
    let mut toot = item("toot", "Acme Cloud is down again.", "h2");
    toot.platform = "mastodon".into();
    toot.url = Some("https://mastodon.example/@rant112/1".into());
    toot.author = Some(Author {
        id: Some("https://mastodon.example/users/rant112".into()),
        url: Some("https://mastodon.example/@rant112".into()),
        followers: Some(4_200),
        links: vec!["https://blog.example/".into()],
        ..Author::default()
    });
    let p = run(&[blog, toot], &HashMap::new());
    let ids: Vec<&str> = p
        .records
        .iter()
        .filter_map(|r| match r {
            Record::Feedback(f) => f.influencer_id.as_deref(),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0], ids[1], "both mentions point at one person");
    let Some(Record::Influencer(person)) = p.records.last() else {
        panic!("influencer record last")
    };
    assert_eq!(person.accounts.len(), 2);
    assert_eq!(person.reach.followers, Some(4_200));
    // State learns the blog, the profile and both account ids as the person's.
    assert!(p.commit.owners.iter().all(|(_, owner)| owner == ids[0]));
    assert!(p.commit.owners.len() >= 3);
}

/// Plays polls of several sources through `process` with an in-memory
/// store of claims and owners, committing each poll as the driver does.
struct Store {
    claims: HashMap<String, crate::state::ItemClaim>,
    owners: HashMap<String, String>,
}

impl Store {
    fn new() -> Store {
        Store {
            claims: HashMap::new(),
            owners: HashMap::new(),
        }
    }

    fn poll(&mut self, source: &str, items: &[Item]) -> Processed {
        let now = "2026-01-01T00:00:00Z".parse().unwrap();
        let p = {
            let claims = &self.claims;
            let owners = &self.owners;
            process(
                &classifier(),
                "demo",
                source,
                items,
                &Known {
                    claim: &|k| claims.get(k).cloned(),
                    owner: &|k| owners.get(k).cloned(),
                    ..Known::nothing()
                },
                now,
            )
        };
        for (k, c) in &p.commit.claims {
            self.claims.insert(k.clone(), c.clone());
        }
        for (k, o) in &p.commit.owners {
            self.owners.entry(k.clone()).or_insert_with(|| o.clone());
        }
        p
    }
}

fn feedback(p: &Processed) -> Vec<&record::FeedbackRecord> {
    p.records
        .iter()
        .filter_map(|r| match r {
            Record::Feedback(f) => Some(f),
            _ => None,
        })
        .collect()
}

#[test]
fn a_post_another_source_delivered_alike_is_a_copy_and_not_sent_again() {
    let post = item("a", "Acme Cloud lost my files.", "h1");
    let mut store = Store::new();
    assert_eq!(feedback(&store.poll("feed", &[post.clone()])).len(), 1);
    let again = store.poll("index", &[post]);
    assert!(again.records.is_empty(), "{:?}", again.records);
    assert_eq!(again.copies, 1);
    assert_eq!(again.commit.seen.len(), 1, "the copy is seen, not retried");
}

#[test]
fn the_fullest_copy_of_a_post_wins_whichever_source_comes_first() {
    let summary = item("a", "Acme Cloud lost my files.", "short");
    let full = item(
        "a",
        "Acme Cloud lost my files. Support never answered and the backup is gone too.",
        "full",
    );
    // The summary first: the full copy follows as an update of the same id.
    let mut store = Store::new();
    let first = store.poll("feed", &[summary.clone()]);
    let then = store.poll("page", &[full.clone()]);
    let (a, b) = (feedback(&first), feedback(&then));
    assert_eq!(a[0].id, b[0].id);
    assert_eq!(a[0].event, record::Event::Created);
    assert_eq!(b[0].event, record::Event::Updated);
    assert_eq!(b[0].revision, "full");
    assert_eq!(b[0].source.id, "page");
    // The full copy first: the summary is only a copy.
    let mut store = Store::new();
    let first = store.poll("page", &[full]);
    let then = store.poll("feed", &[summary]);
    assert_eq!(feedback(&first)[0].revision, "full");
    assert!(then.records.is_empty());
    assert_eq!(then.copies, 1);
}

#[test]
fn the_delivering_source_s_own_edit_goes_out_even_when_shorter() {
    let mut store = Store::new();
    store.poll(
        "page",
        &[item("a", "Acme Cloud lost my files, all of them.", "v1")],
    );
    let edit = store.poll("page", &[item("a", "Acme Cloud lost files.", "v2")]);
    let fb = feedback(&edit);
    assert_eq!(fb[0].revision, "v2");
    assert_eq!(fb[0].event, record::Event::Updated);
}

#[test]
fn items_without_an_address_are_never_copies_of_another_source_s() {
    let mut note = item("n", "Acme support answered fast.", "h");
    note.url = None;
    let mut store = Store::new();
    store.poll("feed", &[note.clone()]);
    let other = store.poll("other-feed", &[note]);
    assert_eq!(
        feedback(&other).len(),
        1,
        "keys are per source without a URL"
    );
}

/// Polls `items` of `source` against a real state, and commits them as
/// the driver does once the sink acknowledged.
fn poll_state(state: &crate::state::State, source: &str, items: &[Item], now: &str) -> Processed {
    let snapshot = state.snapshot().unwrap();
    let p = process(
        &classifier(),
        "demo",
        source,
        items,
        &Known {
            seen: &|k| snapshot.seen_hash(source, k).ok().flatten(),
            first_seen: &|id| snapshot.influencer_first_seen(id).ok().flatten(),
            owner: &|k| snapshot.owner(k).ok().flatten(),
            accounts: &|p| snapshot.accounts(p).unwrap_or_default(),
            claim: &|i| snapshot.claim(i).ok().flatten(),
            trajectory: &|p| snapshot.trajectory(p).ok().flatten(),
        },
        now.parse().unwrap(),
    );
    state.commit(&p.commit).unwrap();
    p
}

fn influencers(p: &Processed) -> Vec<&record::InfluencerRecord> {
    p.records
        .iter()
        .filter_map(|r| match r {
            Record::Influencer(i) => Some(i),
            _ => None,
        })
        .collect()
}

#[test]
fn two_accounts_of_one_person_share_one_sentiment_trajectory() {
    let dir = tempfile::tempdir().unwrap();
    let state = crate::state::State::open(dir.path()).unwrap();
    let toot = |n: u32, text: &str| {
        let mut t = item(&format!("toot{n}"), text, &format!("t{n}"));
        t.platform = "mastodon".into();
        t.url = Some(format!("https://mastodon.example/@rant112/{n}"));
        t.published = Some(format!("2026-03-0{n}T09:00:00Z").parse().unwrap());
        t.author = Some(Author {
            id: Some("https://mastodon.example/users/rant112".into()),
            handle: Some("rant112@mastodon.example".into()),
            url: Some("https://mastodon.example/@rant112".into()),
            ..Author::default()
        });
        t
    };
    // The blog's author links the Mastodon profile: the same person.
    let post = |n: u32, text: &str, hash: &str| {
        let mut p = item(&format!("post{n}"), text, hash);
        p.published = Some(format!("2026-03-1{n}T09:00:00Z").parse().unwrap());
        p.author.as_mut().unwrap().links = vec!["https://mastodon.example/@rant112".into()];
        p
    };
    let happy = [
        toot(1, "I love Acme Cloud, it is excellent."),
        toot(2, "Acme Cloud is great, fast and reliable."),
        toot(3, "Acme support was wonderful and helpful today."),
    ];
    let toots = poll_state(&state, "masto", &happy, "2026-03-03T10:00:00Z");
    let person = influencers(&toots)[0].id.clone();
    let angry = [
        post(1, "Acme Cloud lost my files. Awful.", "p1"),
        post(2, "Acme Cloud is terrible, broken again.", "p2"),
        post(3, "Acme support is useless and slow. Horrible.", "p3"),
    ];
    let posts = poll_state(&state, "blog", &angry, "2026-03-13T10:00:00Z");
    let last = *influencers(&posts).last().unwrap();
    assert_eq!(
        last.id, person,
        "the blog is one account of the same person"
    );
    assert_eq!(last.accounts.len(), 2);
    let t = last.trajectory.as_ref().unwrap();
    assert_eq!(t.count, 6);
    let platforms: Vec<&str> = t.points.iter().map(|p| p.platform.as_str()).collect();
    assert_eq!(
        platforms,
        ["mastodon", "mastodon", "mastodon", "web", "web", "web"]
    );
    assert!(t.earlier_mean.unwrap() > 0.0, "{t:?}");
    assert!(t.recent_mean < 0.0, "{t:?}");
    assert!(t.trend < 0.0);
    assert_eq!(
        state
            .snapshot()
            .unwrap()
            .trajectory(&person)
            .unwrap()
            .as_ref(),
        Some(t),
        "committed"
    );

    // An edit of a blog post replaces its point; the history stays six long.
    let edit = post(
        3,
        "Acme support is useless and slow. Horrible. Still waiting.",
        "p3b",
    );
    let edited = poll_state(&state, "blog", &[edit], "2026-03-14T10:00:00Z");
    let t2 = influencers(&edited)[0].trajectory.clone().unwrap();
    assert_eq!((t2.count, t2.points.len()), (6, 6));

    // What the records carry is enough for the detector: one alert.
    let mut d = crate::route::disengage::Disengagement::new(Default::default());
    let now = "2026-03-14T10:00:00Z".parse().unwrap();
    let alerts: Vec<_> = [&toots, &posts, &edited]
        .iter()
        .flat_map(|p| influencers(p))
        .filter_map(|i| d.observe(i, now))
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(
        alerts[0].disengagement.as_ref().unwrap().influencer_id,
        person
    );
}
