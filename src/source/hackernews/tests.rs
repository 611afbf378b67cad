use super::parse::*;
use crate::model::Item;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/fixtures/social/hackernews/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn by_id<'a>(page: &'a SearchPage, id: &str) -> &'a Item {
    &page.hits.iter().find(|h| h.id == id).expect(id).item
}

#[test]
fn a_page_keeps_its_good_hits_and_names_the_bad_ones() {
    let page = parse_search(&fixture("search_by_date.json")).unwrap();
    assert_eq!(page.seen, 6);
    assert_eq!(page.nb_hits, 6);
    let ids: Vec<&str> = page.hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, ["47211905", "47209877", "47209001", "47207777"]);
    assert_eq!(page.errors.len(), 2, "{:?}", page.errors);
    assert!(page.errors[0].contains("47208520") && page.errors[0].contains("created_at"));
    assert!(page.errors[1].contains("47208100") && page.errors[1].contains("is a string"));
}

#[test]
fn a_comment_is_plain_text_under_its_story() {
    let page = parse_search(&fixture("search_by_date.json")).unwrap();
    let c = by_id(&page, "47211905");
    assert_eq!(c.key, "https://news.ycombinator.com/item?id=47211905");
    assert_eq!(c.url.as_deref(), Some(c.key.as_str()));
    assert_eq!(c.title, None);
    assert_eq!(
        c.parent.as_deref(),
        Some("https://news.ycombinator.com/item?id=47209001")
    );
    assert!(c.text.starts_with("We moved our build cache to Acme Cloud"));
    assert!(c.text.contains("surprise / nobody") && c.text.contains("didn't expect"));
    assert!(!c.text.contains('<'), "{}", c.text);
    assert_eq!(c.platform, "hackernews");
    assert_eq!(c.source_title.as_deref(), Some("Hacker News"));
    assert_eq!(
        c.published.unwrap().to_rfc3339(),
        "2026-03-10T11:00:00+00:00"
    );
    let a = c.author.as_ref().unwrap();
    assert_eq!(a.handle.as_deref(), Some("mkrause"));
    assert_eq!(
        a.url.as_deref(),
        Some("https://news.ycombinator.com/user?id=mkrause")
    );
    // Comments have no points on Algolia.
    assert_eq!(c.engagement, None);
}

#[test]
fn a_story_carries_its_text_its_link_and_its_votes() {
    let page = parse_search(&fixture("search_by_date.json")).unwrap();
    let ask = by_id(&page, "47209001");
    assert_eq!(
        ask.title.as_deref(),
        Some("Ask HN: Has anyone migrated off Acme Cloud storage?")
    );
    assert!(
        ask.text.contains("went up 60%.\n\nHas anyone"),
        "{}",
        ask.text
    );
    assert!(ask.text.contains("\"cold tier\""));
    let e = ask.engagement.unwrap();
    assert_eq!((e.score, e.replies), (Some(143), Some(98)));
    assert_eq!(ask.parent, None);

    let show = by_id(&page, "47209877");
    assert_eq!(
        show.text.lines().last(),
        Some("https://github.com/tinkerlab/pi-acme-backup")
    );
    assert_ne!(show.content_hash, ask.content_hash);
}

#[test]
fn an_answer_that_is_not_a_search_result_is_refused() {
    assert!(parse_search(b"<html>busy</html>")
        .unwrap_err()
        .contains("JSON"));
    // Algolia's error body, should one arrive with a 200.
    let error = parse_search(&fixture("error.json")).unwrap_err();
    assert!(error.contains("hits"), "{error}");
    let no_hits = parse_search(br#"{"message":"oops","nbHits":0}"#).unwrap_err();
    assert!(no_hits.contains("hits"), "{no_hits}");
    let no_count = parse_search(br#"{"hits":[],"nbPages":0}"#).unwrap_err();
    assert!(no_count.contains("nbHits"), "{no_count}");
}

#[test]
fn a_user_gives_karma_and_the_links_of_the_bio() {
    let p = parse_user(&fixture("user.json")).unwrap().unwrap();
    assert_eq!(p.handle.as_deref(), Some("mkrause"));
    assert_eq!(p.followers, Some(8812));
    assert_eq!(
        p.links,
        [
            "https://mkrause.example/blog",
            "https://social.example/@mkrause"
        ]
    );
    assert_eq!(parse_user(b"null").unwrap(), None);
    assert!(parse_user(br#"{"id":"x","karma":"lots"}"#)
        .unwrap_err()
        .contains("karma"));
}

#[test]
fn urls_carry_the_slice_tags_and_page() {
    let base = url::Url::parse("https://hn.algolia.com/api/v1").unwrap();
    let both = ["story".to_string(), "comment".to_string()];
    let slice = Slice {
        since: Some(100),
        until: Some(200),
    };
    let u = search_url(&base, "acme cloud", &both, slice, 3);
    assert_eq!(u.path(), "/api/v1/search_by_date");
    let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
    assert_eq!(q["query"], "acme cloud");
    assert_eq!(q["tags"], "(story,comment)");
    assert_eq!(q["numericFilters"], "created_at_i>=100,created_at_i<200");
    assert_eq!(q["page"], "3");
    assert_eq!(q["hitsPerPage"], "100");

    let open = Slice {
        since: None,
        until: None,
    };
    let u = search_url(&base, "acme", &["story".into()], open, 0);
    assert!(u.query_pairs().all(|(k, _)| k != "numericFilters"));
    assert!(u.query_pairs().any(|(k, v)| k == "tags" && v == "story"));

    let slash = url::Url::parse("https://hacker-news.firebaseio.com/v0/").unwrap();
    assert_eq!(
        user_api_url(&slash, "pg").as_str(),
        "https://hacker-news.firebaseio.com/v0/user/pg.json"
    );
}

/// Reads `times` the way the source does, with `count` standing in for
/// Algolia's nbHits, and returns the slices read whole, in order.
fn leaves(times: &[i64], range: Slice, cap: u64, oldest_first: bool) -> Vec<Slice> {
    let inside =
        |s: &Slice, t: i64| s.since.is_none_or(|a| t >= a) && s.until.is_none_or(|b| t < b);
    let mut slicer = Slicer::new(range, oldest_first);
    let mut out = Vec::new();
    for _ in 0..100_000 {
        let Some(s) = slicer.pop() else { return out };
        let count = times.iter().filter(|&&t| inside(&s, t)).count() as u64;
        let newest = times.iter().copied().filter(|&t| inside(&s, t)).max();
        if count > cap && slicer.split(s, newest) {
            continue;
        }
        out.push(s);
    }
    panic!("slicing did not end");
}

#[test]
fn slicing_covers_the_range_once_with_pieces_algolia_serves_whole() {
    // A quiet day with one burst: 1,500 hits in ten minutes.
    let mut times: Vec<i64> = (0..1_000).map(|i| 1_000_000 + i * 86).collect();
    times.extend((0..1_500).map(|i| 1_040_000 + (i * 7) % 600));
    let range = Slice {
        since: Some(1_000_000),
        until: Some(1_086_400),
    };
    for oldest_first in [false, true] {
        let pieces = leaves(&times, range, MAX_REACHABLE, oldest_first);
        let mut total = 0;
        for p in &pieces {
            let n = times
                .iter()
                .filter(|&&t| t >= p.since.unwrap() && t < p.until.unwrap())
                .count();
            assert!(n as u64 <= MAX_REACHABLE, "{p:?} holds {n}");
            total += n;
        }
        assert_eq!(total, times.len());
        // Adjacent, in reading order, and spanning the range exactly.
        let mut sorted = pieces.clone();
        sorted.sort_by_key(|p| p.since);
        if oldest_first {
            assert_eq!(pieces, sorted);
        } else {
            assert_eq!(pieces.iter().rev().cloned().collect::<Vec<_>>(), sorted);
        }
        assert_eq!(sorted[0].since, range.since);
        assert_eq!(sorted.last().unwrap().until, range.until);
        assert!(sorted.windows(2).all(|w| w[0].until == w[1].since));
    }
}

#[test]
fn an_open_end_is_bounded_by_the_newest_hit_and_one_second_is_not_split() {
    let open = Slice {
        since: Some(10),
        until: None,
    };
    assert_eq!(open.halves(None), None);
    let (a, b) = open.halves(Some(29)).unwrap();
    assert_eq!(
        (a.since, a.until, b.since, b.until),
        (Some(10), Some(20), Some(20), Some(30))
    );
    let second = Slice {
        since: Some(5),
        until: Some(6),
    };
    assert_eq!(second.halves(None), None);
    // 1,200 hits in one second: read as far as can be, not split forever.
    let times = vec![7; 1_200];
    let pieces = leaves(
        &times,
        Slice {
            since: Some(0),
            until: Some(16),
        },
        1000,
        true,
    );
    assert!(pieces.contains(&Slice {
        since: Some(7),
        until: Some(8)
    }));
}

#[test]
fn a_cursor_reads_back_what_it_wrote_and_refuses_nonsense() {
    for c in [
        Cursor {
            from: 1_773_100_800,
            until: None,
        },
        Cursor {
            from: 1_773_100_800,
            until: Some(1_773_101_700),
        },
    ] {
        assert_eq!(c.to_string().parse::<Cursor>(), Ok(c));
    }
    assert_eq!("1773100800".parse::<Cursor>().unwrap().until, None);
    for bad in ["", "yesterday", "10..5", "1..x", "t3_abc"] {
        assert!(bad.parse::<Cursor>().is_err(), "{bad}");
    }
}
