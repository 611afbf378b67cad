//! Feed bytes to items: whatever a server sends must come back as items,
//! entry errors or a `FeedError`, never a panic.
#![no_main]

use earshot::source::feed::{parse_feed, ResponseMeta};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The charset header takes a different decoding path from a body that
    // declares its own; odd lengths try the header so both are reached,
    // and a Content-Location the base of relative links.
    let odd = data.len() % 2 == 1;
    let meta = ResponseMeta {
        url: "https://feeds.example.org/feed.xml",
        content_type: odd.then_some("text/xml; charset=windows-1251"),
        content_location: odd.then_some("../mirror/feed.xml"),
    };
    let _ = parse_feed(data, &meta);
});
