//! Tests of the page source against the fixtures and their goldens.

use super::*;

const POST_URL: &str = "https://rants.example.net/2024/03/acme-cloud-outage";

fn fixture(name: &str) -> String {
    let path = format!("{}/fixtures/blog/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Compares with `NAME.expected.json`; `UPDATE_GOLDENS=1` rewrites it,
/// after which the diff must be read by a person.
fn assert_golden(name: &str, items: &[Item]) {
    let path = format!(
        "{}/fixtures/blog/{name}.expected.json",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("UPDATE_GOLDENS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(items).unwrap() + "\n").unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let expected: Vec<Item> = serde_json::from_str(&golden).unwrap();
    assert_eq!(items, expected, "{name} differs from its golden");
}

/// The selectors documented for the blog fixtures.
fn blog_selectors(title: &str) -> CompiledSelectors {
    let css = |s: &str| Some(s.to_string());
    Selectors {
        post: "article.post".into(),
        title: css(title),
        link: None,
        author: css(".byline .author"),
        author_link: None,
        date: css("time"),
        body: css(".entry-content"),
        comment: css(".comment"),
        comment_author: css(".comment-author"),
        comment_date: css("time"),
        comment_body: css(".comment-body"),
    }
    .compile()
    .unwrap()
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

#[test]
fn post_page_matches_golden() {
    let page = extract_posts(&fixture("post.html"), &url(POST_URL), &blog_selectors("h1"));
    assert_golden("post", &page.items);
    assert_eq!(
        page.title.as_deref(),
        Some("Acme Cloud ate my weekend (again) – Rant112 & Friends")
    );
    assert_eq!(
        page.errors,
        [format!("comment 4 of post {POST_URL}: no text; skipped")]
    );
}

#[test]
fn a_lone_post_served_elsewhere_is_keyed_by_its_canonical_address() {
    let mirror = url("http://127.0.0.1:8080/blog/post.html");
    let page = extract_posts(&fixture("post.html"), &mirror, &blog_selectors("h1"));
    assert_eq!(page.items[0].key, POST_URL);
    // Without a canonical link the page address stands in.
    let html = fixture("post.html").replace("rel=\"canonical\"", "rel=\"shortlink\"");
    let page = extract_posts(&html, &mirror, &blog_selectors("h1"));
    assert_eq!(page.items[0].key, mirror.as_str());
}

#[test]
fn replies_are_comments_of_the_post_with_their_own_parts() {
    let page = extract_posts(&fixture("post.html"), &url(POST_URL), &blog_selectors("h1"));
    let keys: Vec<_> = page
        .items
        .iter()
        .map(|i| i.key.strip_prefix(POST_URL).unwrap_or(&i.key))
        .collect();
    assert_eq!(keys[..3], ["", "#ccomment-201", "#ccomment-202"]);
    assert!(
        keys[3].starts_with("#c") && keys[3].len() == 2 + 16,
        "hashed key {}",
        keys[3]
    );
    let outer = &page.items[1];
    assert_eq!(
        outer.text,
        "Switched to Globex last year, zero outages since. Just saying."
    );
    assert_eq!(
        outer.author.as_ref().unwrap().name.as_deref(),
        Some("GlobexFan")
    );
    assert!(page.items[1..]
        .iter()
        .all(|c| c.parent.as_deref() == Some(POST_URL) && c.title.is_none()));
}

#[test]
fn post_date_ignores_times_inside_comments() {
    let html = r#"<article class="post" id="p1"><h1>T</h1><div class="entry-content">x</div>
        <div class="comment"><time datetime="2024-01-02T00:00:00Z"></time><p class="comment-body">c</p></div>
        <time datetime="2024-01-01T00:00:00Z"></time></article>"#;
    let page = extract_posts(html, &url("https://b.example.com/"), &blog_selectors("h1"));
    assert_eq!(
        page.items[0].published.unwrap().to_rfc3339(),
        "2024-01-01T00:00:00+00:00"
    );
}

#[test]
fn index_page_matches_golden() {
    let page = extract_posts(
        &fixture("index.html"),
        &url("https://rants.example.net/"),
        &blog_selectors(".entry-title"),
    );
    assert_golden("index", &page.items);
    let links: Vec<_> = page
        .items
        .iter()
        .map(|i| i.url.as_deref().unwrap())
        .collect();
    assert_eq!(
        links,
        [
            POST_URL,
            "https://rants.example.net/2024/03/acme-phone-5-review",
            "https://rants.example.net/#post-1040",
        ]
    );
    assert_eq!(
        page.errors,
        ["post 4 of the page: no title and no text; skipped"]
    );
}

#[test]
fn feeds_are_discovered_in_order_without_duplicates() {
    let feeds = discover_feeds(&fixture("index.html"), &url("https://rants.example.net/"));
    let feeds: Vec<_> = feeds.iter().map(Url::as_str).collect();
    assert_eq!(
        feeds,
        [
            "https://rants.example.net/feeds/rss2.xml",
            "https://rants.example.net/feeds/atom.xml"
        ]
    );
}

#[test]
fn discovery_honours_base_and_skips_the_wordpress_api() {
    let html = r#"<head><base href="https://cdn.example.com/blog/">
        <link rel="alternate" type="application/json" href="https://b.example.com/wp-json/wp/v2/posts/5">
        <link rel="Alternate home" type="application/feed+json; charset=utf-8" href="feed.json">
        <link rel="alternate" type="text/html" href="/amp/"></head>"#;
    let feeds = discover_feeds(html, &url("https://b.example.com/post"));
    assert_eq!(feeds, [url("https://cdn.example.com/blog/feed.json")]);
}

#[test]
fn several_posts_without_ids_or_links_are_keyed_by_content() {
    let html = "<div class=p><h1>One</h1></div><div class=p><h1>Two</h1></div>";
    let sel = Selectors {
        post: ".p".into(),
        ..blog_selectors("h1").selectors().clone()
    }
    .compile()
    .unwrap();
    let page = extract_posts(html, &url("https://b.example.com/"), &sel);
    assert_eq!(page.items.len(), 2);
    assert!(page
        .items
        .iter()
        .all(|i| i.url.is_none() && i.key.starts_with("h:")));
}

#[test]
fn a_page_read_from_a_file_resolves_links_against_its_canonical_address() {
    let stored = url("file:///srv/mirror/blog/post.html");
    let page = extract_posts(&fixture("post.html"), &stored, &blog_selectors("h1"));
    let author = page.items[0].author.as_ref().unwrap();
    // The byline's `/about` is the blog's page, not a path on this disk.
    assert_eq!(
        author.url.as_deref(),
        Some("https://rants.example.net/about")
    );
    assert!(page
        .items
        .iter()
        .all(|i| i.url.as_deref().is_some_and(|u| u.starts_with("https://"))));
    // Without a canonical link there is no web address to resolve against:
    // a relative profile link is dropped rather than made a file path.
    let html = fixture("post.html").replace("rel=\"canonical\"", "rel=\"shortlink\"");
    let page = extract_posts(&html, &stored, &blog_selectors("h1"));
    assert_eq!(page.items[0].author.as_ref().unwrap().url, None);
}
