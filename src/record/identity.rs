//! One person behind several accounts: joining influencers by their links.
//!
//! A blogger who also posts on Mastodon and Bluesky is one influencer, not
//! three. Every account has addresses: its profile page, its blog, and the
//! links its profile names (Mastodon profile fields, a Bluesky bio or a
//! custom-domain handle). When an account names an address that another
//! account already owns, both belong to the same person, whose id is the
//! first account's. This module decides that; state remembers which address
//! belongs to whom, and the driver passes it in.

use serde::{Deserialize, Serialize};

use super::{canonical_url, influencer_id_named, site_root};
use crate::model::Item;

/// Sites whose bare root says nothing about who links to it: a profile
/// naming "https://github.com/" does not make two people one.
const SHARED_ROOTS: &[&str] = &[
    "github.com",
    "gitlab.com",
    "twitter.com",
    "x.com",
    "bsky.app",
    "bsky.social",
    "mastodon.social",
    "linktr.ee",
    "linkedin.com",
    "youtube.com",
    "instagram.com",
    "facebook.com",
    "medium.com",
    "substack.com",
    "reddit.com",
    "news.ycombinator.com",
];

/// One account of an influencer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    /// The account's own influencer id (what it would be on its own).
    pub id: String,
    pub platform: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub followers: Option<u64>,
}

/// The person an item's author belongs to, as far as state knows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Person {
    /// The influencer id every account of the person is delivered under.
    pub id: String,
    /// Every account known, this one included.
    pub accounts: Vec<Account>,
}

/// The author's account as it stands in this item.
pub fn account(item: &Item) -> Option<Account> {
    account_named(item, name_on_site(item).as_deref())
}

/// [`account`], given the author's [`name_on_site`]: both are read from the
/// same addresses, and each parse of one costs.
fn account_named(item: &Item, named: Option<&str>) -> Option<Account> {
    let a = item.author.as_ref()?;
    Some(Account {
        id: influencer_id_named(item, named)?,
        platform: item.platform.clone(),
        handle: a.handle.clone(),
        name: a.name.clone(),
        profile_url: profile_url(item),
        followers: a.followers,
    })
}

/// The address an author is known by: the profile URL, else (for a blog
/// post) the blog itself.
pub fn profile_url(item: &Item) -> Option<String> {
    let a = item.author.as_ref()?;
    a.url.clone().or_else(|| {
        item.parent
            .is_none()
            .then(|| item.url.as_deref().and_then(site_root))
            .flatten()
    })
}

/// Every address that identifies the author, canonical (host and path,
/// lower case, no scheme or trailing slash), shared roots left out.
pub fn addresses(item: &Item) -> Vec<String> {
    addresses_from(item, profile_url(item).as_deref())
}

/// [`addresses`], given the author's [`profile_url`].
fn addresses_from(item: &Item, profile: Option<&str>) -> Vec<String> {
    let Some(a) = item.author.as_ref() else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for url in profile
        .into_iter()
        .chain(a.links.iter().map(String::as_str))
    {
        let c = canonical_url(url);
        let bare_shared = !c.contains('/') && SHARED_ROOTS.contains(&c.as_str());
        if !c.is_empty() && !bare_shared && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// A web author's name on the site it speaks for: the host of its profile
/// link, else of the page it wrote on. The same name on the same site is one
/// person (a blogger's byline, their comments and a guest post linking back
/// to their blog); the same name elsewhere is not evidence enough. Shared
/// sites, where strangers share names, give none.
pub fn name_on_site(item: &Item) -> Option<String> {
    if item.platform != "web" {
        return None;
    }
    let a = item.author.as_ref()?;
    let name = a.name.as_deref()?.trim().to_lowercase();
    let host = |u: &str| {
        url::Url::parse(u)
            .ok()?
            .host_str()
            .map(|h| h.trim_start_matches("www.").to_lowercase())
    };
    let site = a
        .url
        .as_deref()
        .and_then(host)
        .or_else(|| item.url.as_deref().and_then(host))?;
    if name.is_empty() || SHARED_ROOTS.contains(&site.as_str()) {
        return None;
    }
    Some(format!("name:{name}@{site}"))
}

/// Which person an item's author is, as [`resolve`] decided.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The person, with this account updated in its list.
    pub person: Person,
    /// The addresses and ids to record as the person's.
    pub claims: Vec<String>,
    /// The author's own account as this item shows it ([`account`]).
    pub account: Account,
}

/// Decides which person an account belongs to. `owner` says which person
/// an address or account id already belongs to; `accounts` lists a person's
/// known accounts.
pub fn resolve(
    item: &Item,
    owner: &dyn Fn(&str) -> Option<String>,
    accounts: &dyn Fn(&str) -> Vec<Account>,
) -> Option<Resolved> {
    let named = name_on_site(item);
    let me = account_named(item, named.as_deref())?;
    let addrs = addresses_from(item, me.profile_url.as_deref());
    // A blog is known by its site, which its other authors share: a web
    // author joins a person through an address only if that person has no
    // web account yet (a Mastodon or Bluesky account naming the blog).
    let joinable = |person: &str| {
        item.platform != "web"
            || !accounts(person)
                .iter()
                .any(|a| a.platform == "web" && a.id != me.id)
    };
    let id = owner(&me.id)
        .or_else(|| named.as_deref().and_then(owner))
        .or_else(|| addrs.iter().filter_map(|a| owner(a)).find(|p| joinable(p)))
        .unwrap_or_else(|| me.id.clone());
    let mut known = accounts(&id);
    match known.iter_mut().find(|k| k.id == me.id) {
        Some(k) => *k = me.clone(),
        None => known.push(me.clone()),
    }
    let mut claims = addrs;
    claims.extend(named);
    claims.push(me.id.clone());
    Some(Resolved {
        person: Person {
            id,
            accounts: known,
        },
        claims,
        account: me,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Author;
    use std::collections::HashMap;

    fn blog_post() -> Item {
        Item {
            url: Some("https://rant112.blog/2026/acme-cloud".into()),
            author: Some(Author {
                name: Some("Rant112".into()),
                ..Author::default()
            }),
            platform: "web".into(),
            ..Item::default()
        }
    }

    fn toot(links: &[&str]) -> Item {
        Item {
            url: Some("https://mastodon.example/@rant112/1".into()),
            author: Some(Author {
                id: Some("https://mastodon.example/users/rant112".into()),
                handle: Some("rant112@mastodon.example".into()),
                url: Some("https://mastodon.example/@rant112".into()),
                followers: Some(4_200),
                links: links.iter().map(|s| s.to_string()).collect(),
                ..Author::default()
            }),
            platform: "mastodon".into(),
            ..Item::default()
        }
    }

    /// Plays items through `resolve` with an in-memory store, as the
    /// driver does with state.
    fn play(items: &[Item]) -> Vec<Person> {
        let mut owners: HashMap<String, String> = HashMap::new();
        let mut people: HashMap<String, Vec<Account>> = HashMap::new();
        let mut out = Vec::new();
        for item in items {
            let Resolved {
                person: p, claims, ..
            } = {
                let owner = |k: &str| owners.get(k).cloned();
                let accounts = |id: &str| people.get(id).cloned().unwrap_or_default();
                resolve(item, &owner, &accounts).unwrap()
            };
            for c in claims {
                owners.entry(c).or_insert_with(|| p.id.clone());
            }
            people.insert(p.id.clone(), p.accounts.clone());
            out.push(p);
        }
        out
    }

    #[test]
    fn a_profile_naming_a_known_blog_joins_the_blogger() {
        let people = play(&[blog_post(), toot(&["https://rant112.blog/"])]);
        assert_eq!(people[0].id, people[1].id, "one person");
        assert_eq!(people[1].accounts.len(), 2);
        assert!(people[1]
            .accounts
            .iter()
            .any(|a| a.platform == "mastodon" && a.followers == Some(4_200)));
    }

    #[test]
    fn the_join_works_whichever_account_is_seen_first() {
        let people = play(&[toot(&["https://rant112.blog"]), blog_post()]);
        assert_eq!(people[0].id, people[1].id);
        assert_eq!(people[1].accounts.len(), 2);
    }

    #[test]
    fn two_authors_of_one_blog_stay_two_people() {
        let mut other = blog_post();
        other.author.as_mut().unwrap().name = Some("Guest".into());
        let people = play(&[blog_post(), other.clone()]);
        assert_ne!(people[0].id, people[1].id);
        // Also once a toot has joined the first author to the blog.
        let people = play(&[blog_post(), toot(&["https://rant112.blog/"]), other]);
        assert_eq!(people[0].id, people[1].id);
        assert_ne!(people[2].id, people[0].id);
    }

    #[test]
    fn linking_a_shared_site_root_joins_nobody() {
        let mut other = toot(&["https://github.com/"]);
        other.author.as_mut().unwrap().id = Some("https://mastodon.example/users/b".into());
        other.author.as_mut().unwrap().url = Some("https://mastodon.example/@b".into());
        let people = play(&[toot(&["https://github.com/"]), other]);
        assert_ne!(people[0].id, people[1].id);
    }

    /// A guest post elsewhere whose byline links to the blog.
    fn guest_post() -> Item {
        Item {
            url: Some("https://grumbles.example.org/posts/guest".into()),
            author: Some(Author {
                name: Some("Rant112".into()),
                url: Some("https://rant112.blog/".into()),
                ..Author::default()
            }),
            platform: "web".into(),
            ..Item::default()
        }
    }

    #[test]
    fn the_same_name_on_the_same_site_is_one_person_however_it_was_seen() {
        let mut byline = blog_post();
        byline.author.as_mut().unwrap().url = Some("https://rant112.blog/about".into());
        let mut comment = blog_post();
        comment.url = Some("https://rant112.blog/2026/acme-cloud#c-7".into());
        comment.parent = Some("post".into());
        let items = [guest_post(), blog_post(), byline, comment];
        let people = play(&items);
        assert!(
            people.iter().all(|p| p.id == people[0].id),
            "one person: {people:?}"
        );
        // One web identity, the same whichever post is seen first: sources
        // polled side by side must not give the person two ids.
        assert_eq!(people[3].accounts.len(), 1);
        let reversed: Vec<Item> = items.iter().rev().cloned().collect();
        assert_eq!(play(&reversed)[0].id, people[0].id);
    }

    #[test]
    fn the_same_name_on_another_site_or_platform_stays_apart() {
        let mut elsewhere = blog_post();
        elsewhere.url = Some("https://forum.example.com/t/1".into());
        let mut toot = toot(&[]);
        toot.author.as_mut().unwrap().name = Some("Rant112".into());
        let people = play(&[blog_post(), elsewhere, toot]);
        assert_ne!(people[0].id, people[1].id, "another site");
        assert_ne!(people[0].id, people[2].id, "another platform, no link");
        let mut shared = blog_post();
        shared.url = Some("https://medium.com/@x/post".into());
        assert_eq!(name_on_site(&shared), None, "a shared site is no evidence");
    }

    #[test]
    fn a_second_post_updates_the_account_instead_of_adding_one() {
        let mut later = toot(&[]);
        later.author.as_mut().unwrap().followers = Some(9_000);
        let people = play(&[toot(&[]), later]);
        assert_eq!(people[1].accounts.len(), 1);
        assert_eq!(people[1].accounts[0].followers, Some(9_000));
    }
}
