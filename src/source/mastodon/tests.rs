use serde_json::{json, Value};

use super::parse::*;
use super::sse::*;
use crate::source::social::Frame;

const TIMELINE: &str = include_str!("../../../fixtures/social/mastodon/tag_timeline.json");
const STREAM: &str = include_str!("../../../fixtures/social/mastodon/stream_acme.sse");
const HOST: &str = "mastodon.example";

fn fixture() -> Vec<Value> {
    serde_json::from_str(TIMELINE).unwrap()
}

fn page() -> Parsed {
    parse_statuses(TIMELINE.as_bytes(), HOST).unwrap()
}

/// The newest item whose text contains `needle`.
fn item_with(parsed: &Parsed, needle: &str) -> crate::model::Item {
    let found = parsed.items.iter().find(|i| i.text.contains(needle));
    found
        .unwrap_or_else(|| panic!("no item says {needle:?}"))
        .clone()
}

#[test]
fn a_bad_status_is_named_and_the_page_goes_on() {
    let statuses = fixture();
    let p = page();
    assert_eq!(p.read, statuses.len());
    assert_eq!(p.ids.len(), statuses.len(), "bad statuses still page");
    assert_eq!(p.items.len() + p.errors.len(), statuses.len());
    let no_account = statuses
        .iter()
        .find(|s| s.get("account").is_none())
        .unwrap();
    let bad_date = statuses
        .iter()
        .find(|s| s["created_at"].is_number())
        .unwrap();
    let id = |s: &Value| s["id"].as_str().unwrap().to_string();
    assert_eq!(p.errors.len(), 2, "{:?}", p.errors);
    assert!(p
        .errors
        .iter()
        .any(|e| e.contains(&id(no_account)) && e.contains("`account`")));
    assert!(p
        .errors
        .iter()
        .any(|e| e.contains(&id(bad_date)) && e.contains("`created_at` is a number")));
}

#[test]
fn a_body_that_is_not_a_list_of_statuses_is_refused() {
    assert!(parse_statuses(b"<html>maintenance</html>", HOST).is_err());
    let e = parse_statuses(br#"{"error":"Record not found"}"#, HOST).unwrap_err();
    assert!(e.to_string().contains("got an object"), "{e}");
    let one = json!({"statuses": [fixture()[0]], "accounts": [], "hashtags": []});
    let found = parse_search(one.to_string().as_bytes(), HOST).unwrap();
    assert_eq!(found.items.len(), 1);
    assert!(parse_search(br#"{"accounts":[]}"#, HOST).is_err());
}

#[test]
fn a_boost_is_read_as_the_status_it_boosts() {
    let statuses = fixture();
    let boost = statuses.iter().find(|s| s["reblog"].is_object()).unwrap();
    let original = &boost["reblog"];
    let p = page();
    let item = p
        .items
        .iter()
        .find(|i| i.key == original["uri"].as_str().unwrap())
        .expect("the original is an item");
    assert_ne!(item.key, boost["uri"].as_str().unwrap());
    assert_eq!(item.url.as_deref(), original["url"].as_str());
    let author = item.author.as_ref().unwrap();
    assert_eq!(author.id.as_deref(), original["account"]["uri"].as_str());
    assert_eq!(item.published, parse_date_of(original));
    assert!(
        !item.text.is_empty(),
        "the wrapper's empty content is not used"
    );
    // Paging follows the boost's own place in the timeline.
    assert!(p.ids.contains(&boost["id"].as_str().unwrap().to_string()));
}

fn parse_date_of(v: &Value) -> Option<chrono::DateTime<chrono::Utc>> {
    crate::normalize::parse_date(v["created_at"].as_str()?)
}

#[test]
fn handles_name_their_instance_and_names_fall_back_to_usernames() {
    let p = page();
    let local = item_with(&p, "flawless for our team");
    let a = local.author.unwrap();
    assert_eq!(a.handle.as_deref(), Some("jdoe@mastodon.example"));
    assert_eq!(a.name.as_deref(), Some("Jane Doe"));
    assert_eq!(a.id.as_deref(), Some("https://mastodon.example/users/jdoe"));
    assert_eq!(a.followers, Some(1843));
    let remote = item_with(&p, "bricht die Synchronisierung").author.unwrap();
    assert_eq!(remote.handle.as_deref(), Some("kai@fosstodon.example"));
    let unnamed = item_with(&p, "ate 4 GB of RAM").author.unwrap();
    assert_eq!(unnamed.name.as_deref(), Some("sysadmin_sam"));
}

#[test]
fn profile_links_skip_hashtags_and_mentions() {
    let p = page();
    let jane = item_with(&p, "flawless for our team").author.unwrap();
    assert_eq!(
        jane.links,
        vec!["https://janedoe.example/blog"],
        "deduplicated"
    );
    let lena = item_with(&p, "migrating from Acme to Globex")
        .author
        .unwrap();
    assert_eq!(lena.links, vec!["https://lena.example"]);
    let acme = item_with(&p, "investigating elevated sync errors")
        .author
        .unwrap();
    assert_eq!(
        acme.links,
        vec![
            "https://acme.example",
            "https://support.acme.example",
            "https://status.acme.example"
        ]
    );
}

#[test]
fn text_is_the_warning_then_the_content_and_edits_are_dated() {
    let p = page();
    let cw = item_with(&p, "egress I never used");
    assert!(
        cw.text
            .starts_with("Acme Cloud billing rant, long\n\nI was charged"),
        "{}",
        cw.text
    );
    assert!(cw.text.contains("#acme"), "hashtags stay in the text");
    let edited: Vec<_> = p.items.iter().filter(|i| i.updated.is_some()).collect();
    assert!(!edited.is_empty());
    for i in edited {
        assert!(i.updated > i.published);
        assert!(i.text.contains("Edit:"));
    }
    let fr = item_with(&p, "deux jours sur une charge");
    assert_eq!(fr.lang.as_deref(), Some("fr"));
    assert_eq!(fr.platform, "mastodon");
    assert_eq!(
        fr.content_hash,
        crate::normalize::content_hash(None, &fr.text)
    );
}

#[test]
fn engagement_and_parents_come_from_the_status() {
    let statuses = fixture();
    let p = page();
    let first = &statuses[0];
    let e = p.items[0].engagement.unwrap();
    assert_eq!(e.likes, first["favourites_count"].as_u64());
    assert_eq!(e.reposts, first["reblogs_count"].as_u64());
    assert_eq!(e.replies, first["replies_count"].as_u64());
    let replies: Vec<_> = statuses
        .iter()
        .filter(|s| s["in_reply_to_id"].is_string())
        .collect();
    assert!(!replies.is_empty());
    for r in replies {
        let parent = statuses
            .iter()
            .find(|s| s["id"] == r["in_reply_to_id"])
            .unwrap();
        let item = p
            .items
            .iter()
            .find(|i| i.key == r["uri"].as_str().unwrap())
            .unwrap();
        assert_eq!(item.parent.as_deref(), parent["uri"].as_str());
    }
}

#[test]
fn a_status_without_url_is_found_at_its_uri_and_loose_counters_do_not_spoil_it() {
    let mut s = fixture()[0].clone();
    s["url"] = Value::Null;
    s["favourites_count"] = json!("many");
    s["language"] = Value::Null;
    let p = parse_statuses(json!([s]).to_string().as_bytes(), HOST).unwrap();
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let item = &p.items[0];
    assert_eq!(item.url.as_deref(), s["uri"].as_str());
    assert_eq!(item.engagement.unwrap().likes, None);
    assert_eq!(item.lang, None);
}

#[test]
fn link_headers_give_older_and_newer_pages() {
    let h = r#"<https://m.example/api/v1/timelines/tag/acme?any%5B%5D=acmecloud&max_id=1130>; rel="next", <https://m.example/api/v1/timelines/tag/acme?any%5B%5D=acmecloud&min_id=1150>; rel="prev""#;
    let l = parse_link_header(h);
    assert!(l.next.unwrap().ends_with("max_id=1130"));
    assert!(l.prev.unwrap().ends_with("min_id=1150"));
    let reversed =
        parse_link_header("<https://a/?min_id=9>;rel=prev,<https://a/?max_id=1>; rel=\"next\"");
    assert_eq!(reversed.next.as_deref(), Some("https://a/?max_id=1"));
    assert_eq!(reversed.prev.as_deref(), Some("https://a/?min_id=9"));
    assert_eq!(
        parse_link_header("<https://a/>; rel=\"self\""),
        Links::default()
    );
    assert_eq!(parse_link_header("garbage"), Links::default());
}

#[test]
fn cursors_keep_one_id_per_endpoint_and_accept_a_bare_id() {
    let c = Cursor {
        tag: Some("116158920939611514".into()),
        search: Some("116158000000000000".into()),
    };
    assert_eq!(Cursor::decode(&c.encode()), c);
    let bare = Cursor::decode("116158920939611514");
    assert_eq!(bare.tag.as_deref(), Some("116158920939611514"));
    assert_eq!(bare.search, None);
    assert_eq!(Cursor::decode(""), Cursor::default());
    assert_eq!(Cursor::decode("{broken"), Cursor::default());
}

fn events_in_chunks(bytes: &[u8], size: usize) -> Vec<SseEvent> {
    let mut parser = SseParser::new(1 << 20);
    let mut events = Vec::new();
    for chunk in bytes.chunks(size) {
        events.extend(parser.push(chunk).unwrap());
    }
    events
}

#[test]
fn events_are_the_same_however_the_stream_is_cut() {
    let whole = events_in_chunks(STREAM.as_bytes(), STREAM.len());
    let names: Vec<&str> = whole.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(
        names,
        [
            "update",
            "update",
            "status.update",
            "delete",
            "update",
            "update"
        ],
        "heartbeats are no events"
    );
    for size in [1, 2, 3, 7, 64, 1000] {
        assert_eq!(
            events_in_chunks(STREAM.as_bytes(), size),
            whole,
            "chunks of {size}"
        );
    }
    let crlf = STREAM.replace('\n', "\r\n");
    for size in [1, 5, 4096] {
        assert_eq!(
            events_in_chunks(crlf.as_bytes(), size),
            whole,
            "CRLF, chunks of {size}"
        );
    }
    assert_eq!(
        events_in_chunks(STREAM.replace('\n', "\r").as_bytes(), 3),
        whole
    );
}

#[test]
fn data_lines_join_and_unfinished_events_wait() {
    let mut p = SseParser::new(1 << 10);
    assert!(p
        .push(b"event: delete\ndata: 1\ndata:2\n")
        .unwrap()
        .is_empty());
    let ev = p.push(b"\n").unwrap();
    assert_eq!(
        ev,
        vec![SseEvent {
            event: "delete".into(),
            data: "1\n2".into()
        }]
    );
    assert_eq!(p.push(b"data: x\n\n").unwrap()[0].event, "message");
    let mut small = SseParser::new(64);
    assert_eq!(small.push(&[b'a'; 100]), Err(TooLong { limit: 64 }));
}

#[test]
fn stream_events_become_frames_that_resume_from_the_newest_status() {
    let events = events_in_chunks(STREAM.as_bytes(), STREAM.len());
    let statuses = fixture();
    let first = event_frame(&events[0], HOST, Some("1"));
    let Some(Frame::Post { cursor, item }) = first else {
        panic!("an update is a post: {first:?}")
    };
    let new1: Value = serde_json::from_str(&events[0].data).unwrap();
    assert_eq!(cursor, new1["id"].as_str().unwrap());
    assert!(item.text.contains("Acme Cloud is down again"));

    let edit = event_frame(&events[2], HOST, Some("42")).unwrap();
    let Frame::Post { cursor, item } = edit else {
        panic!("an edit is a post: {edit:?}")
    };
    assert_eq!(cursor, "42", "an edit does not move the cursor back");
    assert_eq!(item.key, statuses[0]["uri"].as_str().unwrap());
    assert!(item.updated.is_some() && item.text.contains("never mind"));

    assert_eq!(
        event_frame(&events[3], HOST, Some("42")),
        Some(Frame::Skip {
            cursor: "42".into()
        })
    );
    let Some(Frame::Skip { cursor }) = event_frame(&events[3], HOST, None) else {
        panic!("a delete is skipped")
    };
    assert_eq!(cursor, statuses[5]["id"].as_str().unwrap());
    assert!(matches!(
        event_frame(&events[4], HOST, None),
        Some(Frame::Bad { cursor: None, .. })
    ));
    let other = SseEvent {
        event: "filters_changed".into(),
        data: "undefined".into(),
    };
    assert_eq!(event_frame(&other, HOST, None), None);
}
