use super::*;

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct T {
    name: String,
    #[serde(default, deserialize_with = "duration")]
    interval: Option<std::time::Duration>,
    concurrency: Option<usize>,
    inner: Option<Inner>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct Inner {
    post: Option<String>,
    tags: Option<Vec<String>>,
}

fn check(text: &str) -> (Option<T>, Vec<ConfigError>) {
    let mut errors = Vec::new();
    let t = section::<T>("s", toml::from_str(text).unwrap(), &mut errors);
    (t, errors)
}

#[test]
fn every_bad_key_of_a_section_is_reported_in_user_terms() {
    let (t, errors) = check(
        r#"
name = "x"
concurrency = "eight"
interval = "15x"
intervl = "5m"
inner = { post = 5, tags = "a" }
"#,
    );
    assert!(t.is_some(), "bad optional keys fall back to defaults");
    let got: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e.key.as_str(), e.message.as_str()))
        .collect();
    let want = [
        (
            "s.concurrency",
            "found \"eight\"; expected a whole number such as 8",
        ),
        (
            "s.interval",
            "found \"15x\"; expected a duration such as 15m, 2h or 1d",
        ),
        ("s.intervl", "unknown key (did you mean `interval`?)"),
        (
            "s.inner.post",
            "found 5; expected text in quotes, such as \"acme\"",
        ),
        (
            "s.inner.tags",
            "found \"a\"; expected a list such as [\"a\", \"b\"]",
        ),
    ];
    for w in want {
        assert!(got.contains(&w), "{w:?} not in {got:#?}");
    }
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for e in &errors {
        assert!(!e.message.contains("usize"), "{e:?}");
        assert!(!e.message.contains("invalid type"), "{e:?}");
    }
}

#[test]
fn a_missing_or_bad_required_key_is_named_once() {
    let (t, errors) = check("interval = 15\n");
    assert!(t.is_none());
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(errors[0].key, "s.interval");
    assert_eq!(
        errors[0].message,
        "found 15; expected a duration such as 15m, 2h or 1d"
    );
    assert_eq!(errors[1].key, "s.name");
    assert!(errors[1].message.starts_with("missing"), "{errors:?}");

    let (t, errors) = check("name = 1\n");
    assert!(t.is_none());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].key, "s.name");
}

#[test]
fn a_far_off_unknown_key_lists_the_known_ones() {
    let (_, errors) = check("name = \"x\"\nzebra = 1\n");
    assert_eq!(errors[0].key, "s.zebra");
    assert!(
        errors[0].message.contains("known keys: name, interval"),
        "{errors:?}"
    );
}

#[test]
fn keys_that_need_quotes_are_quoted_in_paths() {
    assert_eq!(
        join(
            "sink.properties",
            &[Segment::Map {
                key: "sasl.password".into()
            }]
        ),
        "sink.properties.\"sasl.password\""
    );
}

#[test]
fn a_secret_of_the_wrong_type_is_not_shown() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct S {
        token: Option<String>,
    }
    let mut errors = Vec::new();
    let v = toml::from_str("token = 123456789").unwrap();
    section::<S>("sources[0]", v, &mut errors);
    assert_eq!(errors[0].key, "sources[0].token");
    assert!(!errors[0].message.contains("123456789"), "{errors:?}");
    assert!(errors[0].message.contains("text in quotes"), "{errors:?}");
}

#[test]
fn a_url_is_shown_without_its_credentials() {
    assert_eq!(
        shown("https://user:pw@exa mple.com/feed"),
        "https://***@exa mple.com/feed"
    );
    assert_eq!(shown("htp:/bad url"), "htp:/bad url");
}
