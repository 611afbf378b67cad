//! Pipeline files for tests that send one feed to a Kafka sink. Included
//! by path (`#[path]`), so that a binary needing only this does not build
//! the HTTP harness of `common`.

use std::path::Path;

/// A pipeline named `name` with its state in `state/` beside the file:
/// the feed file at `feed` as source `news`, brand Acme (`acme`), and a
/// Kafka sink at `brokers` with the further `[sink]` lines `sink` (topics,
/// then any `[sink.properties]`).
pub fn one_feed_to_kafka(name: &str, feed: &Path, brokers: &str, sink: &str) -> String {
    format!(
        r#"name = "{name}"
state_dir = "state"
[[sources]]
id = "news"
type = "feed"
url = "file://{}"
[[brands]]
name = "Acme"
query = "acme"
[sink]
type = "kafka"
brokers = "{brokers}"
{sink}
"#,
        feed.display()
    )
}

/// Writes `text` as `dir/pipeline.toml` and returns its path.
pub fn write(dir: &Path, text: &str) -> std::path::PathBuf {
    let file = dir.join("pipeline.toml");
    std::fs::write(&file, text).unwrap();
    file
}
