//! HTML to text, and the cheap test that decides whether text is HTML.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let html = String::from_utf8_lossy(data);
    let _ = earshot::normalize::looks_like_html(&html);
    let _ = earshot::normalize::html_to_text(&html);
});
