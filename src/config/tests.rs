use std::path::Path;

use super::*;

fn env(name: &str) -> Option<String> {
    match name {
        "BROKERS" => Some("k1:9092,k2:9092".into()),
        "EMPTY" => Some(String::new()),
        _ => None,
    }
}

fn load(text: &str) -> Result<Pipeline, ConfigErrors> {
    load_str(text, Path::new("/etc/earshot/p.toml"), &env)
}

const MINIMAL: &str = r#"
name = "t"
[[sources]]
id = "a"
type = "feed"
url = "https://example.com/feed.xml"
"#;

#[test]
fn a_minimal_pipeline_gets_defaults() {
    let p = load(MINIMAL).unwrap();
    assert_eq!(p.sources.len(), 1);
    assert!(matches!(p.sink, SinkConfig::Jsonl(None)));
    assert_eq!(p.state_dir, Path::new("/etc/earshot/state/t"));
    assert_eq!(p.schedule.interval, std::time::Duration::from_secs(900));
}

#[test]
fn every_error_is_reported_at_once_with_its_key() {
    let text = r#"
name = "t"
[[sources]]
id = "a"
type = "feed"
url = "ftp://example.com/feed.xml"
[[sources]]
id = "a"
type = "feed"
url = "https://example.com/x"
intervl = "5m"
[[sources]]
id = "c"
type = "telegraph"
url = "x"
[[brands]]
name = "Acme"
query = "acme AND"
[sink]
type = "kafka"
brokers = "${NOPE}"
"#;
    let err = load(text).unwrap_err();
    let keys: Vec<&str> = err.errors.iter().map(|e| e.key.as_str()).collect();
    assert!(keys.contains(&"sources[0].url"), "{err}");
    assert!(keys.contains(&"sources[1]"), "{err}");
    assert!(keys.contains(&"sources[2]"), "{err}");
    assert!(keys.contains(&"brands[0].query"), "{err}");
    assert!(keys.contains(&"sink.brokers"), "{err}");
    let text = err.to_string();
    assert!(text.contains("/etc/earshot/p.toml"), "{text}");
    assert!(text.contains("intervl"), "unknown key is named: {text}");
    assert!(text.contains("unsupported scheme `ftp`"), "{text}");
    assert!(text.contains("NOPE"), "{text}");
}

#[test]
fn unknown_top_level_keys_are_errors_with_a_position() {
    let err = load(&format!("sinks = 1\n{MINIMAL}")).unwrap_err();
    assert_eq!(err.errors.len(), 1);
    assert!(err.errors[0].key.starts_with("line "), "{err}");
    assert!(err.errors[0].message.contains("sinks"), "{err}");
}

#[test]
fn secrets_come_from_the_environment() {
    let p = load(&format!(
        "{MINIMAL}\n[sink]\ntype = \"kafka\"\nbrokers = \"${{BROKERS}}\"\n[sink.properties]\n\"sasl.password\" = \"${{PW:-none}}\"\n"
    ))
    .unwrap();
    let SinkConfig::Kafka(k) = p.sink else {
        panic!("kafka sink")
    };
    assert_eq!(k.brokers, "k1:9092,k2:9092");
    assert_eq!(k.properties["sasl.password"], "none");
    assert_eq!(k.feedback_topic, "earshot.feedback");
}

#[test]
fn env_expansion_rules() {
    assert_eq!(
        expand_env("a${BROKERS}b", &env).unwrap(),
        "ak1:9092,k2:9092b"
    );
    assert_eq!(expand_env("$${BROKERS}", &env).unwrap(), "${BROKERS}");
    assert_eq!(expand_env("${EMPTY:-d}", &env).unwrap(), "d");
    assert_eq!(expand_env("cost: $5", &env).unwrap(), "cost: $5");
    assert_eq!(expand_env("${X}${Y}", &env).unwrap_err(), vec!["X", "Y"]);
}

#[test]
fn relative_file_urls_are_relative_to_the_pipeline_file() {
    let base = Path::new("/etc/earshot");
    assert_eq!(
        Location::parse("file://../fixtures/a.xml", base).unwrap(),
        Location::File("/etc/earshot/../fixtures/a.xml".into())
    );
    assert_eq!(
        Location::parse("file:///srv/a.xml", base).unwrap(),
        Location::File("/srv/a.xml".into())
    );
    assert!(matches!(
        Location::parse("https://example.com/f", base).unwrap(),
        Location::Http(_)
    ));
}

#[test]
fn the_shipped_pipelines_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            let env = |n: &str| (n == "KAFKA_BROKERS").then(|| "localhost:9092".to_string());
            if let Err(e) = load_str(&text, &path, &env) {
                panic!("{e}");
            }
        }
    }
}

#[test]
fn dead_letters_default_to_a_file_in_the_state_dir_and_take_a_topic_or_a_path() {
    let p = load(MINIMAL).unwrap();
    assert_eq!(p.delivery.dead_letter.topic, None);
    assert_eq!(
        p.delivery.dead_letter.path,
        Path::new("/etc/earshot/state/t/dead-letter.jsonl")
    );
    assert_eq!(p.delivery.stuck_after, std::time::Duration::from_secs(300));

    let kafka = format!(
        "{MINIMAL}[sink]\ntype = \"kafka\"\nbrokers = \"${{BROKERS}}\"\ndead_letter_topic = \"earshot.dead-letter\"\ndead_letter_path = \"dl/refused.jsonl\"\nstuck_after = \"90s\"\n"
    );
    let p = load(&kafka).unwrap();
    assert_eq!(
        p.delivery.dead_letter.topic.as_deref(),
        Some("earshot.dead-letter")
    );
    assert_eq!(
        p.delivery.dead_letter.path,
        Path::new("/etc/earshot/dl/refused.jsonl")
    );
    assert_eq!(p.delivery.stuck_after, std::time::Duration::from_secs(90));
}

#[test]
fn dead_letter_settings_that_cannot_work_are_errors() {
    let text = format!(
        "{MINIMAL}[sink]\ntype = \"kafka\"\nbrokers = \"k:9092\"\ndead_letter_topic = \"earshot.feedback\"\nstuck_after = \"0s\"\n"
    );
    let err = load(&text).unwrap_err();
    let keys: Vec<&str> = err.errors.iter().map(|e| e.key.as_str()).collect();
    assert!(keys.contains(&"sink.dead_letter_topic"), "{err}");
    assert!(keys.contains(&"sink.stuck_after"), "{err}");

    let jsonl = format!(
        "{MINIMAL}[sink]\ntype = \"jsonl\"\npath = \"out.jsonl\"\ndead_letter_path = \"out.jsonl\"\n"
    );
    let err = load(&jsonl).unwrap_err();
    assert_eq!(err.errors[0].key, "sink.dead_letter_path", "{err}");
    // A topic is a Kafka setting: the JSON-lines sink does not know the key.
    let topic = format!(
        "{MINIMAL}[sink]\ntype = \"jsonl\"\npath = \"out.jsonl\"\ndead_letter_topic = \"x\"\n"
    );
    assert!(load(&topic).is_err());
}

fn kafka_sink(properties: &str) -> String {
    format!(
        "{MINIMAL}\n[sink]\ntype = \"kafka\"\nbrokers = \"k1:9092\"\n[sink.properties]\n{properties}\n"
    )
}

#[test]
fn librdkafka_properties_are_checked_by_librdkafka() {
    // TLS and SASL are built in.
    let secured = kafka_sink(
        "\"security.protocol\" = \"SASL_SSL\"\n\"sasl.mechanism\" = \"SCRAM-SHA-512\"\n\
         \"sasl.username\" = \"u\"\n\"sasl.password\" = \"p\"",
    );
    load(&secured).unwrap();
    let typo = load(&kafka_sink("\"sasl.usernme\" = \"u\"")).unwrap_err();
    let e = &typo.errors[0];
    assert_eq!(e.key, "sink.properties");
    assert!(e.message.contains("sasl.usernme"), "{}", e.message);
    let bad = load(&kafka_sink("\"security.protocol\" = \"SSH\"")).unwrap_err();
    assert!(bad.errors[0].message.contains("security.protocol"), "{bad}");
}
