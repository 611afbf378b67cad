//! Feed bytes to items: whatever a server sends must come back as items,
//! entry errors or a `FeedError`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The charset header takes a different decoding path from a body that
    // declares its own; odd lengths try the header so both are reached.
    let content_type = (data.len() % 2 == 1).then_some("text/xml; charset=windows-1251");
    let _ =
        earshot::source::feed::parse_feed(data, "https://feeds.example.org/feed.xml", content_type);
});
