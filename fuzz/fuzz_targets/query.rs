//! Brand queries: parse and compile any text, and run what compiles against
//! an item. The input's first line is the query; the rest, if any, is the
//! item's text (its second line also its title).
#![no_main]

use earshot::classify::query::{self, Fields, QuerySet};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let (query, text) = input.split_once('\n').unwrap_or((&input, ""));
    let Ok(query) = query::parse(query) else {
        return;
    };
    let set = QuerySet::new(vec![query]);
    let title = text.lines().next();
    let _ = set.matches(&Fields {
        text,
        title,
        author: Some("Rant112"),
        url: Some("https://rants.example.net/2024/03/acme"),
        lang: Some("en"),
    });
});
