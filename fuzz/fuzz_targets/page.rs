//! Blog pages: posts and comments by a fixed set of CSS selectors (those of
//! the demo pipeline), and the feeds a page announces.
#![no_main]

use std::sync::OnceLock;

use earshot::source::page::{self, CompiledSelectors, Selectors};
use libfuzzer_sys::fuzz_target;
use url::Url;

fn selectors() -> &'static CompiledSelectors {
    static SELECTORS: OnceLock<CompiledSelectors> = OnceLock::new();
    SELECTORS.get_or_init(|| {
        let some = |s: &str| Some(s.to_string());
        Selectors {
            post: "article.post".into(),
            title: some("h1"),
            link: some("a[rel=bookmark]"),
            author: some(".byline .author"),
            author_link: some(".byline a"),
            date: some("time"),
            body: some(".entry-content"),
            comment: some(".comment"),
            comment_author: some(".comment-author"),
            comment_date: some("time"),
            comment_body: some(".comment-body"),
        }
        .compile()
        .expect("the fixed selectors compile")
    })
}

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let base = Url::parse("https://blog.example.net/2024/03/post").expect("static URL");
    let _ = page::extract_posts(&html, &base, selectors());
    let _ = page::discover_feeds(&html, &base);
});
