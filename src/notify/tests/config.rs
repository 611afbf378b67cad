//! The `[notify]` section as read from a pipeline file.

use crate::config::load_str;

const FILE: &str = r#"
name = "p"
[[sources]]
id = "f"
type = "feed"
url = "http://127.0.0.1:1/feed.xml"
[[brands]]
name = "Acme"
query = "acme"
[sink]
type = "jsonl"
path = "out.jsonl"
"#;

fn env(name: &str) -> Option<String> {
    match name {
        "HOOK_URL" => Some("https://hooks.example.com/T000/SECRETPATH".into()),
        "HOOK_KEY" => Some("k3y".into()),
        "NOT_A_URL" => Some("SECRETVALUE".into()),
        _ => None,
    }
}

#[test]
fn channels_are_read_with_their_secrets_from_the_environment() {
    let text = format!(
            "{FILE}\n[[notify.channels]]\nname = \"ops\"\ntype = \"webhook\"\nurl_env = \"HOOK_URL\"\nsecret_env = \"HOOK_KEY\"\nkinds = [\"deadline\"]\nmin_interval = \"15m\"\n"
        );
    let p = load_str(&text, std::path::Path::new("p.toml"), &env).unwrap();
    let n = p.notify.unwrap();
    assert_eq!(n.channels.len(), 1);
    let c = &n.channels[0];
    assert_eq!(c.min_interval, std::time::Duration::from_secs(900));
    assert!(matches!(&c.kind, super::ChannelKind::Webhook { key, .. } if key.expose() == "k3y"));
    assert!(!format!("{c:?}").contains("SECRETPATH"));
}

#[test]
fn an_email_channel_is_read_with_its_port_from_the_tls_mode() {
    let text = format!(
            "{FILE}\n[[notify.channels]]\nname = \"mail\"\ntype = \"email\"\nhost = \"smtp.example.com\"\ntls = \"tls\"\nusername = \"u\"\npassword_env = \"HOOK_KEY\"\nfrom = \"earshot <a@example.com>\"\nto = [\"b@example.com\"]\n\
             [[notify.channels]]\nname = \"bad\"\ntype = \"email\"\nhost = \"h\"\ntls = \"ssl\"\n"
        );
    let e = load_str(&text, std::path::Path::new("p.toml"), &env).unwrap_err();
    assert!(e.to_string().contains("notify.channels[1].tls"), "{e}");
    let good = text
        .split("[[notify.channels]]\nname = \"bad\"")
        .next()
        .unwrap();
    let p = load_str(good, std::path::Path::new("p.toml"), &env).unwrap();
    let c = &p.notify.unwrap().channels[0];
    let super::ChannelKind::Email(m) = &c.kind else {
        panic!("not email: {c:?}");
    };
    assert_eq!(
        (m.port, m.security),
        (465, crate::notify::email::Security::Tls)
    );
    assert_eq!(m.password.as_ref().map(|p| p.expose()), Some("k3y"));
    assert!(!format!("{c:?}").contains("k3y"));
}

#[test]
fn every_bad_channel_is_reported_and_no_secret_is_shown() {
    let text = format!(
            "{FILE}\n[[notify.channels]]\nname = \"a\"\ntype = \"webhook\"\nurl_env = \"NOT_A_URL\"\nsecret_env = \"HOOK_KEY\"\n\
             [[notify.channels]]\nname = \"a\"\ntype = \"slack\"\nurl_env = \"UNSET\"\n\
             [[notify.channels]]\nname = \"c\"\ntype = \"pager\"\n\
             [[notify.channels]]\nname = \"d\"\ntype = \"slack\"\nurl_env = \"HOOK_URL\"\nkinds = [\"urgent\"]\n"
        );
    let e = load_str(&text, std::path::Path::new("p.toml"), &env).unwrap_err();
    let shown = e.to_string();
    for want in [
        "notify.channels[0].url_env",
        "NOT_A_URL does not hold",
        "notify.channels[1].name",
        "UNSET is not set",
        "notify.channels[2].type",
        "notify.channels[3].kinds",
    ] {
        assert!(shown.contains(want), "{want} missing from:\n{shown}");
    }
    assert!(!shown.contains("SECRETVALUE"), "{shown}");
}

#[test]
fn levels_quiet_hours_and_digests_are_read_in_their_time_zone() {
    let text = format!(
            "{FILE}\n[[notify.channels]]\nname = \"management\"\ntype = \"slack\"\nurl_env = \"HOOK_URL\"\nlevels = [2]\n\
             quiet_hours = {{ start = \"22:00\", end = \"07:00\", tz = \"Europe/Berlin\" }}\n\
             digest = \"daily\"\ndigest_at = \"09:30\"\ndigest_kinds = [\"spike\"]\n\
             [[notify.channels]]\nname = \"owners\"\ntype = \"slack\"\nurl_env = \"HOOK_URL\"\ndigest = \"1h\"\n"
        );
    let p = load_str(&text, std::path::Path::new("p.toml"), &env).unwrap();
    let n = p.notify.unwrap();
    let m = &n.channels[0];
    assert_eq!(m.filter.levels, [2]);
    let q = m.quiet.as_ref().unwrap();
    assert_eq!(q.tz, chrono_tz::Europe::Berlin);
    let d = m.digest.as_ref().unwrap();
    // The daily digest takes the quiet hours' zone when the channel has none.
    assert_eq!(
        d.every,
        super::Every::Daily {
            at: super::time_of_day("09:30").unwrap(),
            tz: chrono_tz::Europe::Berlin
        }
    );
    assert_eq!(d.kinds, [crate::route::records::AlertKind::Spike]);
    let o = n.channels[1].digest.as_ref().unwrap();
    assert_eq!(
        o.every,
        super::Every::Period(std::time::Duration::from_secs(3600))
    );
    assert!(n.channels[1].quiet.is_none());
}

#[test]
fn bad_levels_zones_times_and_digests_are_each_reported() {
    let text = format!(
            "{FILE}\n[[notify.channels]]\nname = \"a\"\ntype = \"slack\"\nurl_env = \"HOOK_URL\"\nlevels = [3]\ntz = \"Mars/Olympus\"\n\
             quiet_hours = {{ start = \"25:00\", end = \"07:00\" }}\ndigest = \"weekly\"\n\
             [[notify.channels]]\nname = \"b\"\ntype = \"slack\"\nurl_env = \"HOOK_URL\"\ndigest_kinds = [\"spike\"]\n\
             quiet_hours = {{ start = \"07:00\", end = \"07:00\" }}\n"
        );
    let e = load_str(&text, std::path::Path::new("p.toml"), &env).unwrap_err();
    let shown = e.to_string();
    for want in [
        "notify.channels[0].levels[0]",
        "notify.channels[0].tz",
        "Mars/Olympus",
        "notify.channels[0].quiet_hours.start",
        "notify.channels[0].digest",
        "notify.channels[1].digest",
        "notify.channels[1].quiet_hours.end",
    ] {
        assert!(shown.contains(want), "{want} missing from:\n{shown}");
    }
}

#[test]
fn a_private_authority_for_the_relay_must_be_a_readable_pem_and_used_with_tls() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let channel = |i: usize, tls: &str, ca: &str| {
        format!(
            "[[notify.channels]]\nname = \"m{i}\"\ntype = \"email\"\nhost = \"smtp.example.com\"\ntls = \"{tls}\"\nfrom = \"a@example.com\"\nto = [\"b@example.com\"]\nca_file = \"{ca}\"\n"
        )
    };
    let text = format!(
        "{FILE}\n{}{}{}",
        channel(0, "plain", &junk.display().to_string()),
        channel(
            1,
            "starttls",
            &dir.path().join("missing.pem").display().to_string()
        ),
        channel(2, "tls", &junk.display().to_string()),
    );
    let shown = load_str(&text, std::path::Path::new("p.toml"), &env)
        .unwrap_err()
        .to_string();
    for want in [
        "notify.channels[0].ca_file",
        "uses no certificates",
        "notify.channels[1].ca_file",
        "cannot read",
        "notify.channels[2].ca_file",
        "holds no PEM certificate",
    ] {
        assert!(shown.contains(want), "{want} missing from:\n{shown}");
    }
}
