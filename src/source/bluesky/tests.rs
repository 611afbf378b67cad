use super::jetstream::{parse_event, subscribe_url};
use super::parse::*;
use crate::source::social::Frame;
use crate::source::SourceError;

const JETSTREAM: &str = include_str!("../../../fixtures/social/bluesky/jetstream.jsonl");
const PAGE_1: &[u8] = include_bytes!("../../../fixtures/social/bluesky/search_posts.1.json");
const PAGE_2: &[u8] = include_bytes!("../../../fixtures/social/bluesky/search_posts.2.json");
const PAGE_3: &[u8] = include_bytes!("../../../fixtures/social/bluesky/search_posts.3.json");
const PROFILES: &[u8] = include_bytes!("../../../fixtures/social/bluesky/get_profiles.json");
const SESSION: &[u8] = include_bytes!("../../../fixtures/social/bluesky/create_session.json");

const JANE: &str = "did:plc:k4bq2lmz7tnd3wqv6hxyep5c";
const RANT: &str = "did:plc:r7nt2bwq5vxe3kzm4dyl6ahc";

fn frames(langs: &[&str]) -> Vec<Frame> {
    let langs: Vec<String> = langs.iter().map(|s| s.to_string()).collect();
    JETSTREAM.lines().map(|l| parse_event(l, &langs)).collect()
}

fn posts(frames: &[Frame]) -> Vec<&crate::model::Item> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Post { item, .. } => Some(item),
            _ => None,
        })
        .collect()
}

#[test]
fn a_created_post_becomes_an_item_keyed_by_its_at_uri() {
    let all = frames(&[]);
    let Frame::Post { cursor, item } = &all[1] else {
        panic!("second event is Jane's post: {:?}", all[1]);
    };
    assert_eq!(cursor, "1795165205000919");
    let key = format!("at://{JANE}/app.bsky.feed.post/3m6xk2a4ssc2p");
    assert_eq!(item.key, key);
    assert_eq!(
        item.url.as_deref(),
        Some(format!("https://bsky.app/profile/{JANE}/post/3m6xk2a4ssc2p").as_str())
    );
    assert!(item
        .text
        .starts_with("Acme Cloud sync has been stuck on \"preparing\""));
    assert_eq!(item.platform, "bluesky");
    assert_eq!(item.lang.as_deref(), Some("en"));
    assert_eq!(item.source_title.as_deref(), Some("Bluesky"));
    assert_eq!(
        item.published.unwrap().to_rfc3339(),
        "2026-11-20T09:00:04.812+00:00"
    );
    assert_eq!(item.updated, None);
    let author = item.author.as_ref().unwrap();
    assert_eq!(author.id.as_deref(), Some(JANE));
    assert_eq!(
        author.url.as_deref(),
        Some(format!("https://bsky.app/profile/{JANE}").as_str())
    );
}

#[test]
fn an_edit_keeps_the_key_and_changes_the_hash() {
    let all = frames(&[]);
    let found = posts(&all);
    let versions: Vec<_> = found
        .iter()
        .filter(|i| i.key.ends_with("/3m6xk2a4ssc2p"))
        .collect();
    assert_eq!(versions.len(), 2, "the create and the update");
    let (first, edit) = (versions[0], versions[1]);
    assert_ne!(first.content_hash, edit.content_hash);
    assert!(edit.text.contains("EDIT: fixed"));
    assert_eq!(edit.published, first.published, "createdAt is unchanged");
    assert_eq!(
        edit.updated.unwrap().timestamp_micros(),
        1795165240000352,
        "the edit is dated when Jetstream saw it"
    );
}

#[test]
fn a_reply_names_its_parent() {
    let all = frames(&[]);
    let reply = posts(&all)
        .into_iter()
        .find(|i| i.author.as_ref().unwrap().id.as_deref() == Some(RANT))
        .unwrap();
    assert_eq!(
        reply.parent.as_deref(),
        Some(format!("at://{JANE}/app.bsky.feed.post/3m6xk2a4ssc2p").as_str())
    );
}

#[test]
fn events_of_no_use_are_skips_that_still_move_the_cursor() {
    let all = frames(&[]);
    // account, like, identity, delete, unknown kind, delete, follow.
    for i in [0, 2, 5, 9, 10, 19, 21] {
        let line: serde_json::Value =
            serde_json::from_str(JETSTREAM.lines().nth(i).unwrap()).unwrap();
        let want = line["time_us"].as_u64().unwrap().to_string();
        assert_eq!(all[i], Frame::Skip { cursor: want }, "event {i}");
    }
}

#[test]
fn bad_events_name_the_post_and_keep_a_cursor_when_they_have_one() {
    let bad: Vec<(Option<String>, String)> = frames(&[])
        .into_iter()
        .filter_map(|f| match f {
            Frame::Bad { cursor, error } => Some((cursor, error)),
            _ => None,
        })
        .collect();
    assert_eq!(bad.len(), 4, "{bad:#?}");
    let (no_text, string_time, number_text, cut) = (&bad[0], &bad[1], &bad[2], &bad[3]);
    let line: serde_json::Value = serde_json::from_str(JETSTREAM.lines().nth(6).unwrap()).unwrap();
    let at = line["time_us"].as_u64().unwrap().to_string();
    assert_eq!(no_text.0.as_deref(), Some(at.as_str()));
    assert!(no_text.1.contains("/3m6xk2mnr4s2f") && no_text.1.contains("text"));
    assert_eq!(
        string_time.0, None,
        "a time_us of the wrong type is no cursor"
    );
    assert!(string_time.1.contains("time_us"), "{}", string_time.1);
    assert!(number_text.0.is_some());
    assert!(
        number_text.1.contains("/3m6xk3g6mmv2t"),
        "{}",
        number_text.1
    );
    assert_eq!(cut.0, None);
    assert!(cut.1.contains("not a JSON event"), "{}", cut.1);
}

#[test]
fn the_langs_setting_skips_posts_in_other_languages() {
    let every = posts(&frames(&[])).len();
    let all_en = frames(&["en"]);
    let en = posts(&all_en);
    let langs: Vec<Option<&str>> = en.iter().map(|i| i.lang.as_deref()).collect();
    // de-only, ja-only and the post declaring no language are skipped;
    // "en-US" and ["de", "en"] pass.
    assert_eq!(en.len(), every - 3, "{langs:?}");
    assert!(langs.contains(&Some("en-US")));
    assert!(langs.contains(&Some("de")), "a post declaring de and en");
    assert!(!langs.contains(&Some("ja")));
    assert!(en.iter().all(|i| i.lang.is_some()));
    assert!(lang_wanted(&["EN-gb".into()], &["en".into()]));
    assert!(!lang_wanted(&[], &["en".into()]));
    assert!(lang_wanted(&[], &[]));
}

#[test]
fn the_subscribe_url_asks_for_posts_from_the_cursor() {
    let base: url::Url =
        "wss://jetstream2.us-east.bsky.network/subscribe?wantedDids=did:plc:x&cursor=1"
            .parse()
            .unwrap();
    let u = subscribe_url(&base, Some("1795165205000919"));
    let q: Vec<(String, String)> = u.query_pairs().into_owned().collect();
    assert_eq!(
        q,
        [
            ("wantedDids", "did:plc:x"),
            ("wantedCollections", "app.bsky.feed.post"),
            ("cursor", "1795165205000919")
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    assert_eq!(u.path(), "/subscribe");
    let live = subscribe_url(&base, None);
    assert!(!live.query().unwrap().contains("cursor"));
}

#[test]
fn search_pages_carry_authors_engagement_and_the_next_cursor() {
    let p1 = parse_search(PAGE_1, "https://svc.example/p1").unwrap();
    assert_eq!(p1.cursor.as_deref(), Some("3"));
    assert_eq!((p1.seen, p1.items.len(), p1.errors.len()), (3, 3, 0));
    let priya = &p1.items[0];
    assert_eq!(
        priya.key,
        "at://did:plc:p4tw6kxz3qmr7bdn2ychv5le/app.bsky.feed.post/3m6ulq7cxbk2s"
    );
    let e = priya.engagement.unwrap();
    assert_eq!(
        (e.likes, e.reposts, e.replies),
        (Some(208), Some(31), Some(14))
    );
    let a = priya.author.as_ref().unwrap();
    assert_eq!(a.handle.as_deref(), Some("priya.bsky.social"));
    assert_eq!(a.name.as_deref(), Some("Priya Raman"));
    assert_eq!(
        a.url.as_deref(),
        Some("https://bsky.app/profile/priya.bsky.social")
    );
    assert!(a.links.is_empty(), "a bsky.social handle names no site");
    let bytes = p1.items[1].author.as_ref().unwrap();
    assert_eq!(bytes.links, ["https://bytesized.tech/"]);
    assert_eq!(
        p1.items[1].url.as_deref(),
        Some("https://bsky.app/profile/did:plc:b7zq3kmx5twd2rnv6hyel4ac/post/3m6ujw2mrfc2z"),
        "the post's address is built on the DID, not the handle"
    );

    let p3 = parse_search(PAGE_3, "https://svc.example/p3").unwrap();
    assert_eq!(p3.cursor, None, "the last page");
    assert_eq!(p3.items[0].lang.as_deref(), Some("de"));
}

#[test]
fn one_bad_post_in_a_page_is_named_and_the_rest_kept() {
    let p2 = parse_search(PAGE_2, "https://svc.example/p2").unwrap();
    assert_eq!((p2.seen, p2.items.len()), (3, 2));
    assert_eq!(p2.errors.len(), 1);
    let e = &p2.errors[0];
    assert!(
        e.contains(&format!("at://{RANT}/app.bsky.feed.post/3m6u6rfnyd22q")),
        "{e}"
    );
    assert!(e.contains("post 1"), "{e}");
}

#[test]
fn a_page_of_the_wrong_shape_names_its_url() {
    let err = parse_search(br#"{"hits":"soon"}"#, "https://svc.example/xrpc/q").unwrap_err();
    match err {
        SourceError::Payload { url, message } => {
            assert_eq!(url, "https://svc.example/xrpc/q");
            assert!(message.contains("posts"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn profiles_give_reach_and_the_sites_they_name() {
    let all = parse_profiles(PROFILES, "https://appview.example/p").unwrap();
    let get = |did: &str| all.iter().find(|(d, _)| d == did).map(|(_, p)| p).unwrap();
    let rant = get(RANT);
    assert_eq!(rant.followers, Some(12004));
    assert_eq!(rant.handle.as_deref(), Some("rant112.blog"));
    assert_eq!(
        rant.url.as_deref(),
        Some("https://bsky.app/profile/rant112.blog")
    );
    assert_eq!(
        rant.links,
        [
            "https://rant112.blog/",
            "https://buttondown.example/rant112"
        ],
        "description links without trailing punctuation, the handle's site once"
    );
    let jane = get(JANE);
    assert_eq!(jane.followers, Some(1832));
    assert!(jane.links.is_empty());
    let misc = get("did:plc:m3tv5kqz2xwd7rnb6hyel4pc");
    assert_eq!(misc.name, None, "an empty display name is no name");
    let broken = br#"{"profiles":[{"handle":"no-did.example"},{"did":"did:plc:a","handle":"a.bsky.social"}]}"#;
    assert_eq!(parse_profiles(broken, "u").unwrap().len(), 1);
}

#[test]
fn handles_on_own_domains_name_a_site() {
    assert_eq!(
        handle_site("Rant112.Blog").as_deref(),
        Some("https://rant112.blog/")
    );
    assert_eq!(handle_site("jane.bsky.social"), None);
    assert_eq!(handle_site("someone.mastodon.social.ap.brid.gy"), None);
    assert_eq!(handle_site("handle.invalid"), None);
    assert_eq!(
        description_links("see https://a.example/x, and (https://b.example/y). http://"),
        ["https://a.example/x", "https://b.example/y"]
    );
}

#[test]
fn post_uris_split_only_for_posts() {
    assert_eq!(
        split_post_uri("at://did:plc:a/app.bsky.feed.post/3k2"),
        Some(("did:plc:a", "3k2"))
    );
    assert_eq!(
        split_post_uri("at://did:plc:a/app.bsky.feed.like/3k2"),
        None
    );
    assert_eq!(split_post_uri("at://did:plc:a/app.bsky.feed.post/"), None);
    assert_eq!(split_post_uri("https://bsky.app/x"), None);
}

#[test]
fn a_session_keeps_its_tokens_out_of_debug_output() {
    let s = parse_session(SESSION, "https://svc.example/s").unwrap();
    assert_eq!(s.handle, "acme-watch.bsky.social");
    assert_eq!(s.access_jwt, "ACCESS");
    let shown = format!("{s:?}");
    assert!(
        !shown.contains("ACCESS") && !shown.contains("REFRESH"),
        "{shown}"
    );
    let err = parse_session(br#"{"error":"nope"}"#, "https://svc.example/s").unwrap_err();
    assert!(err.to_string().contains("https://svc.example/s"), "{err}");
}
