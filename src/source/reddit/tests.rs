use super::parse::*;
use crate::model::Item;
use crate::source::http::headers::MAX_WAIT;
use std::time::Duration;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/fixtures/social/reddit/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn by_key<'a>(page: &'a Listing, key: &str) -> &'a Item {
    &page
        .posts
        .iter()
        .find(|p| p.item.key == key)
        .expect(key)
        .item
}

#[test]
fn a_listing_keeps_its_good_posts_and_names_the_bad_ones() {
    let page = parse_listing(&fixture("new.json")).unwrap();
    assert_eq!(page.seen, 6);
    assert_eq!(page.after.as_deref(), Some("t3_1j8e8vn"));
    let keys: Vec<&str> = page.posts.iter().map(|p| p.item.key.as_str()).collect();
    assert_eq!(
        keys,
        ["t3_1j8kq2x", "t3_1j8jz9d", "t3_1j8hx41", "t3_1j8e8vn"]
    );
    assert_eq!(page.errors.len(), 2, "{:?}", page.errors);
    assert!(page.errors[0].contains("t3_1j8gq7m") && page.errors[0].contains("created_utc"));
    assert!(page.errors[1].contains("t3_1j8f2c1") && page.errors[1].contains("is a string"));
}

#[test]
fn a_self_post_keeps_its_markdown_as_text() {
    let page = parse_listing(&fixture("new.json")).unwrap();
    let p = by_key(&page, "t3_1j8kq2x");
    assert_eq!(
        p.url.as_deref(),
        Some("https://www.reddit.com/r/acmecloud/comments/1j8kq2x/acme_cloud_sync_stuck_at_99_since_the_update/")
    );
    assert_eq!(
        p.title.as_deref(),
        Some("Acme Cloud sync stuck at 99% since the update")
    );
    assert!(
        p.text.contains("at **99%** forever on one folder & never"),
        "{}",
        p.text
    );
    assert!(p.text.contains("* clearing the local cache"));
    assert_eq!(p.platform, "reddit");
    assert_eq!(p.source_title.as_deref(), Some("r/acmecloud"));
    assert_eq!(
        p.published.unwrap().to_rfc3339(),
        "2026-03-10T11:00:00+00:00"
    );
    assert_eq!(p.updated.unwrap().to_rfc3339(), "2026-03-10T11:10:00+00:00");
    let a = p.author.as_ref().unwrap();
    assert_eq!(a.id.as_deref(), Some("t2_8x2kq"));
    assert_eq!(a.handle.as_deref(), Some("byte_farmer"));
    assert_eq!(
        a.url.as_deref(),
        Some("https://www.reddit.com/user/byte_farmer")
    );
    let e = p.engagement.unwrap();
    assert_eq!((e.score, e.replies), (Some(184), Some(57)));
}

#[test]
fn a_link_post_says_where_it_points_and_a_deleted_one_has_no_author() {
    let page = parse_listing(&fixture("new.json")).unwrap();
    let link = by_key(&page, "t3_1j8jz9d");
    assert_eq!(link.text, "https://acme.example/blog/cold-tier");
    let gone = by_key(&page, "t3_1j8hx41");
    assert_eq!(gone.author, None);
    assert_eq!(gone.text, "", "the [deleted] marker is not text");
    assert_eq!(
        gone.title.as_deref(),
        Some("Is Acme Cloud worth it for a 3-person studio?")
    );
    // A self post's own URL is not appended.
    let own = by_key(&page, "t3_1j8e8vn");
    assert!(!own.text.contains("https://"), "{}", own.text);
}

#[test]
fn an_answer_that_is_not_a_listing_is_refused() {
    assert!(
        parse_listing(b"<html>Our CDN was unable to reach our servers</html>")
            .unwrap_err()
            .contains("JSON")
    );
    assert!(parse_listing(br#"{"kind":"t2","data":{}}"#)
        .unwrap_err()
        .contains("Listing"));
    assert!(
        parse_listing(br#"{"kind":"Listing","data":{"after":null}}"#)
            .unwrap_err()
            .contains("children")
    );
}

#[test]
fn a_token_is_read_and_a_refusal_in_a_200_is_an_error() {
    let t = parse_token(&fixture("token.json")).unwrap();
    assert!(t.access_token.ends_with(".c2lnbmF0dXJl"));
    assert_eq!(t.expires_in.as_secs(), 86_400);
    let refused = parse_token(br#"{"error": "unsupported_grant_type"}"#).unwrap_err();
    assert!(refused.contains("unsupported_grant_type"), "{refused}");
    assert!(parse_token(br#"{"access_token":"x","token_type":"mac"}"#).is_err());
}

#[test]
fn a_token_with_an_absurd_lifetime_does_not_panic() {
    let t = parse_token(br#"{"access_token":"x","expires_in":1e300}"#).unwrap();
    assert_eq!(t.expires_in, MAX_WAIT);
    let t = parse_token(br#"{"access_token":"x","expires_in":-5}"#).unwrap();
    assert_eq!(t.expires_in, Duration::ZERO);
}

#[test]
fn a_user_gives_karma_a_display_name_and_links() {
    let p = parse_user(&fixture("about.json")).unwrap();
    assert_eq!(p.handle.as_deref(), Some("byte_farmer"));
    assert_eq!(p.name.as_deref(), Some("Byte Farmer"));
    assert_eq!(p.followers, Some(21_997));
    assert_eq!(
        p.links,
        [
            "https://bytefarmer.example/",
            "https://social.example/@bytefarmer"
        ]
    );
    // Older answers have no total: the two kinds of karma add up.
    let old = parse_user(br#"{"kind":"t2","data":{"name":"x","link_karma":5,"comment_karma":7}}"#);
    assert_eq!(old.unwrap().followers, Some(12));
}

#[test]
fn urls_for_each_listing() {
    let api = url::Url::parse("https://oauth.reddit.com").unwrap();
    let subs = ["acme".to_string(), "acmecloud".to_string()];
    let new = feeds(&subs, None);
    assert_eq!(new.len(), 2);
    let u = new[1].url(&api, Some("t3_abc"));
    assert_eq!(u.path(), "/r/acmecloud/new.json");
    let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
    assert_eq!(
        (
            q["limit"].as_str(),
            q["after"].as_str(),
            q["raw_json"].as_str()
        ),
        ("100", "t3_abc", "1")
    );
    assert_eq!(new[1].label(), "r/acmecloud/new");

    let search = feeds(&subs, Some("acme phone"));
    let u = search[0].url(&api, None);
    assert_eq!(u.path(), "/r/acme/search.json");
    let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
    assert_eq!(
        (
            q["q"].as_str(),
            q["restrict_sr"].as_str(),
            q["sort"].as_str()
        ),
        ("acme phone", "1", "new")
    );
    assert!(!q.contains_key("after"));

    let everywhere = feeds(&[], Some("acme"));
    assert_eq!(everywhere[0].label(), "search");
    let u = everywhere[0].url(&api, None);
    assert_eq!(u.path(), "/search.json");
    assert!(u.query_pairs().all(|(k, _)| k != "restrict_sr"));

    let auth = url::Url::parse("https://www.reddit.com/").unwrap();
    assert_eq!(
        token_url(&auth).as_str(),
        "https://www.reddit.com/api/v1/access_token"
    );
    assert_eq!(
        about_url(&api, "byte_farmer").path(),
        "/user/byte_farmer/about.json"
    );
}

#[test]
fn a_cursor_reads_back_what_it_wrote() {
    let mut c = Cursor::default();
    c.0.insert("r/acme/new".into(), 1_773_140_400.0);
    c.0.insert("search".into(), 1_773_139_020.5);
    assert_eq!(Cursor::parse(&c.to_string()), Ok(c));
    assert!(Cursor::parse("1773140400").is_err());
    assert!(Cursor::parse(r#"{"r/acme/new":"yesterday"}"#).is_err());
}

fn post_at(created: f64) -> Post {
    Post {
        item: Item {
            key: format!("t3_{created}"),
            ..Item::default()
        },
        created,
    }
}

#[test]
fn a_walk_takes_the_window_and_stops_past_the_floor() {
    let page = || [50.0, 40.0, 30.0, 20.0].map(post_at).to_vec();
    let (taken, reached) = step(page(), Some(30.0), None);
    let times: Vec<f64> = taken.iter().map(|p| p.created).collect();
    assert_eq!((times, reached), (vec![50.0, 40.0, 30.0], true));
    // Until is exclusive, like the driver's window.
    let (taken, reached) = step(page(), Some(10.0), Some(40.0));
    let times: Vec<f64> = taken.iter().map(|p| p.created).collect();
    assert_eq!((times, reached), (vec![30.0, 20.0], false));
    let (taken, reached) = step(page(), None, None);
    assert_eq!((taken.len(), reached), (4, false));
}
