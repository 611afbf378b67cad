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
    assert!(keys.contains(&"sources[1].intervl"), "{err}");
    assert!(keys.contains(&"sources[2].type"), "{err}");
    assert!(keys.contains(&"brands[0].query"), "{err}");
    assert!(keys.contains(&"sink.brokers"), "{err}");
    let text = err.to_string();
    assert!(text.contains("/etc/earshot/p.toml"), "{text}");
    assert!(text.contains("did you mean `interval`"), "{text}");
    assert!(text.contains("unsupported scheme `ftp`"), "{text}");
    assert!(text.contains("NOPE"), "{text}");
}

/// Each of these once hid the others: the first bad field of a section, an
/// unknown top-level key, a bad source type.
#[test]
fn a_file_with_many_mistakes_gets_every_one_with_its_key_and_line() {
    let text = r#"name = "t"
colour = "blue"

[schedule]
concurrency = "eight"
interval = "15x"
adaptive = "yes"

[http]
timeout = 30
max_attempts = -1
allow_hosts = "127.0.0.1"

[[sources]]
id = "a"
type = "feed"
url = "htp:/bad url"

[[sources]]
id = "b"
type = "fed"
url = "https://example.com/feed.xml"

[[sources]]
id = "c"
type = "page"
url = "https://example.com/blog"
selectors = { post = "article..post", titel = "h1" }

[[sources]]
id = "d"
type = "feed"
url = "https://example.com/feed.xml"
interval = "soon"
max_pages = 3

[[brands]]
name = "Acme"
query = "acme AND"
products = [{ name = "Cloud", query = "(cloud" }]

[sink]
type = "kafka"
brokers = "${BROKERS}"
broker_wait = "forever"
properties = { "sasl.password" = "${NOPE}" }

[route]
feedback_topic = "earshot.other"
default_queue = "support"
[[route.queues]]
name = "support"
deadline = "4 hours-ish"
[[route.rules]]
name = "x"
queue = "sales"
"#;
    let err = load(text).unwrap_err();
    let want = [
        ("colour", "unknown key"),
        (
            "schedule.concurrency",
            "found \"eight\"; expected a whole number such as 8",
        ),
        (
            "schedule.interval",
            "found \"15x\"; expected a duration such as 15m, 2h or 1d",
        ),
        ("schedule.adaptive", "found \"yes\"; expected true or false"),
        (
            "http.timeout",
            "found 30; expected a duration such as 15m, 2h or 1d",
        ),
        (
            "http.max_attempts",
            "found -1; expected a whole number such as 8",
        ),
        (
            "http.allow_hosts",
            "found \"127.0.0.1\"; expected a list such as [\"a\", \"b\"]",
        ),
        (
            "sources[0].url",
            "neither an http(s) URL nor an existing file",
        ),
        (
            "sources[1].type",
            "unknown type \"fed\"; did you mean \"feed\"?",
        ),
        (
            "sources[2].selectors.titel",
            "unknown key (did you mean `title`?)",
        ),
        (
            "sources[2].selectors.post",
            "`article..post` is not a CSS selector",
        ),
        (
            "sources[3].interval",
            "found \"soon\"; expected a duration such as 15m, 2h or 1d",
        ),
        (
            "sources[3].max_pages",
            "unknown key (known keys: id, url, interval)",
        ),
        ("brands[0].query", "acme AND"),
        ("brands[0].products[0].query", "(cloud"),
        (
            "sink.broker_wait",
            "found \"forever\"; expected a duration such as 15m, 2h or 1d",
        ),
        (
            "sink.properties.\"sasl.password\"",
            "environment variable `NOPE` is not set",
        ),
        (
            "route.feedback_topic",
            "the sink writes feedback to \"earshot.feedback\"",
        ),
        (
            "route.queues[0].deadline",
            "expected a duration such as 15m, 2h or 1d",
        ),
        ("route.rules[0].queue", "no queue named `sales`"),
    ];
    for (key, message) in want {
        let e = err.errors.iter().find(|e| e.key == key);
        let e = e.unwrap_or_else(|| panic!("{key} not reported:\n{err}"));
        assert!(e.message.contains(message), "{key}: {}", e.message);
    }
    assert_eq!(err.errors.len(), want.len(), "{err}");
    for e in &err.errors {
        for rust in [
            "usize",
            "invalid type",
            "i64",
            "u32",
            "developer",
            "struct ",
        ] {
            assert!(!e.message.contains(rust), "{}: {}", e.key, e.message);
        }
    }
    let line = |key: &str| err.errors.iter().find(|e| e.key == key).unwrap().line;
    assert_eq!(line("colour"), Some(2));
    assert_eq!(line("schedule.interval"), Some(6));
    assert_eq!(line("sources[0].url"), Some(17));
    assert_eq!(line("sources[2].selectors.titel"), Some(28));
    assert!(
        err.to_string()
            .contains("schedule.interval (line 6): found"),
        "{err}"
    );
}

#[test]
fn a_url_that_is_an_existing_file_is_still_read_as_a_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a:b.xml"), "<rss/>").unwrap();
    let file = dir.path().join("p.toml");
    let text = MINIMAL.replace("https://example.com/feed.xml", "a:b.xml");
    let p = load_str(&text, &file, &env).unwrap();
    assert_eq!(
        p.sources[0].location,
        Location::File(dir.path().join("a:b.xml"))
    );
    let text = MINIMAL.replace("https://example.com/feed.xml", "https://exa mple.com/x");
    let err = load_str(&text, &file, &env).unwrap_err();
    assert!(err.errors[0].message.contains("not a valid URL"), "{err}");
}

#[test]
fn route_reads_the_topic_the_sink_writes_and_expands_variables() {
    let text = format!(
        r#"{MINIMAL}
[sink]
type = "kafka"
brokers = "${{BROKERS}}"
feedback_topic = "acme.feedback"
[route]
feedback_topic = "acme.feedback"
group = "${{GROUP:-route-acme}}"
default_queue = "support"
[[route.queues]]
name = "support"
"#
    );
    let p = load(&text).unwrap();
    let route = p.route.unwrap();
    assert_eq!(route.group, "route-acme");
    assert_eq!(route.feedback_topic, "acme.feedback");
}

#[test]
fn unknown_top_level_keys_are_errors_with_a_position() {
    let err = load(&format!("sinks = 1\n{MINIMAL}")).unwrap_err();
    assert_eq!(err.errors.len(), 1, "{err}");
    assert_eq!(err.errors[0].key, "sinks", "{err}");
    assert_eq!(err.errors[0].message, "unknown key (did you mean `sink`?)");
    assert_eq!(err.errors[0].line, Some(1), "{err}");
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
    assert_eq!(e.key, "sink.properties.\"sasl.usernme\"");
    assert!(e.message.contains("sasl.usernme"), "{}", e.message);
    // Each bad property is reported, not only the first librdkafka meets.
    let bad = load(&kafka_sink(
        "\"security.protocol\" = \"SSH\"\n\"linger.ms\" = \"soon\"\n\"acks\" = \"all\"",
    ))
    .unwrap_err();
    let keys: Vec<&str> = bad.errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "sink.properties.\"security.protocol\"",
            "sink.properties.\"linger.ms\""
        ],
        "{bad}"
    );
    assert!(bad.errors[0].message.contains("security.protocol"), "{bad}");
    assert!(bad.errors[0].line.is_some(), "{bad}");
}

#[test]
fn a_listen_address_without_a_port_and_a_source_without_a_type_are_named() {
    let text = format!("listen = \"localhost\"\n{MINIMAL}[[sources]]\nid = \"b\"\nurl = \"x\"\n");
    let err = load(&text).unwrap_err();
    let keys: Vec<&str> = err.errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["listen", "sources[1].type"], "{err}");
    assert!(err.errors[0].message.contains("host:port"), "{err}");
    assert!(
        err.errors[1].message.contains("missing: one of feed, page"),
        "{err}"
    );
    let ok = format!("listen = \"[::1]:9187\"\n{MINIMAL}");
    assert_eq!(load(&ok).unwrap().listen.as_deref(), Some("[::1]:9187"));
}

#[test]
fn a_url_naming_an_unset_variable_gets_one_error_not_two() {
    let text = MINIMAL.replace("https://example.com/feed.xml", "https://${HOST}/feed.xml");
    let err = load(&text).unwrap_err();
    assert_eq!(err.errors.len(), 1, "{err}");
    assert_eq!(err.errors[0].key, "sources[0].url");
    assert!(err.errors[0].message.contains("`HOST` is not set"), "{err}");
}

#[test]
fn a_source_holds_its_kind_in_little_room() {
    // Pipelines of thousands of feeds keep every source in memory for the
    // life of the process; a feed must not pay for the largest kind.
    let room = std::mem::size_of::<SourceConfig>();
    assert!(room <= 160, "a source takes {room} bytes");
    assert!(std::mem::size_of::<SourceKind>() <= 16);
}
