//! Pipeline files: TOML text to a validated `Pipeline` or a list of errors.
//! `${VAR}`s find no environment here, so the run does not depend on the
//! machine's.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = earshot::config::load_str(text, Path::new("pipelines/fuzz.toml"), &|_| None);
});
