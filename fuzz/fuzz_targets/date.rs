//! Dates as feeds and pages write them (RFC 2822, RFC 3339 and the broken
//! variants in between).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let _ = earshot::normalize::parse_date(&s);
});
