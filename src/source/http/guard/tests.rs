use super::*;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn guard(entries: &[&str]) -> Guard {
    Guard::new(entries.iter().map(|e| e.parse().unwrap()).collect())
}

#[test]
fn internal_addresses_are_refused_however_they_are_written() {
    let g = Guard::default();
    for u in [
        "http://127.0.0.1/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://0x7f.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[0:0:0:0:0:ffff:10.0.0.1]/",
        "http://[::10.0.0.1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:c0a8:0101::1]/",
        "http://10.0.0.1:8080/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://0/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://192.0.2.1/",
        "http://198.51.100.7/",
        "http://203.0.113.9/",
        "http://198.18.0.1/",
        "http://[fd00::1]/",
        "http://[fc00::1]/",
        "http://[fe80::1]/",
        "http://[ff02::1]/",
        "http://[2001:db8::1]/",
        "http://[::]/",
        "http://localhost:9000/",
        "http://api.localhost/",
        "http://LOCALHOST./",
    ] {
        let e = g.check_url(&url(u)).expect_err(u);
        assert!(
            e.to_string().contains("allow_hosts"),
            "{u}: the refusal names the setting: {e}"
        );
    }
}

#[test]
fn public_addresses_and_names_pass() {
    let g = Guard::default();
    for u in [
        "https://example.com/feed.xml",
        "http://93.184.215.14/",
        "http://8.8.8.8/",
        "http://[2606:4700::6810:84e5]/",
        "http://[::ffff:8.8.8.8]/",
        "http://[64:ff9b::808:808]/",
        "http://172.32.0.1/",
        "http://100.128.0.1/",
        "wss://jetstream.example/subscribe",
    ] {
        assert_eq!(g.check_url(&url(u)), Ok(()), "{u}");
    }
}

#[test]
fn only_http_schemes_are_fetched() {
    let g = Guard::default();
    assert_eq!(
        g.check_url(&url("file:///etc/passwd")),
        Err(Refusal::Scheme("file".into()))
    );
    assert!(g.check_url(&url("gopher://example.com/")).is_err());
}

#[test]
fn the_refusal_says_which_entry_would_allow_it() {
    let e = Guard::default()
        .check_url(&url("http://10.0.0.1:8080/x"))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "refused to connect to 10.0.0.1 (a private address (RFC 1918)); to allow it, add \
         \"10.0.0.1\" to [http] allow_hosts (or pass --allow-host 10.0.0.1)"
    );
}

#[test]
fn allow_entries_are_hosts_ports_and_blocks() {
    assert_eq!(
        "Intranet.Example".parse::<Allow>(),
        Ok(Allow::Name {
            name: "intranet.example".into(),
            port: None
        })
    );
    assert_eq!(
        "intranet.example:8443".parse::<Allow>(),
        Ok(Allow::Name {
            name: "intranet.example".into(),
            port: Some(8443)
        })
    );
    for (entry, shown) in [
        ("10.1.0.0/16", "10.1.0.0/16"),
        ("127.0.0.1", "127.0.0.1/32"),
        ("127.0.0.1:8080", "127.0.0.1:8080"),
        ("[::1]:8080", "[::1]:8080"),
        ("fd00::/8", "fd00::/8"),
    ] {
        assert_eq!(
            entry.parse::<Allow>().unwrap().to_string(),
            shown,
            "{entry}"
        );
    }
    for bad in ["", "http://x.example/", "10.0.0.0/99", "host:port", "a b"] {
        assert!(bad.parse::<Allow>().is_err(), "{bad:?}");
    }
}

#[test]
fn allowed_entries_let_exactly_those_through() {
    let g = guard(&[
        "10.1.0.0/16",
        "127.0.0.1:8080",
        "intranet.example",
        "localhost:3000",
    ]);
    assert_eq!(g.check_url(&url("http://10.1.200.3/")), Ok(()));
    assert!(g.check_url(&url("http://10.2.0.1/")).is_err());
    assert_eq!(g.check_url(&url("http://127.0.0.1:8080/")), Ok(()));
    assert!(
        g.check_url(&url("http://127.0.0.1:8081/")).is_err(),
        "another port of an allowed address"
    );
    assert!(g
        .check_url(&url("http://[::ffff:127.0.0.1]:8081/"))
        .is_err());
    assert_eq!(g.check_url(&url("http://[::ffff:127.0.0.1]:8080/")), Ok(()));
    assert_eq!(g.check_url(&url("http://localhost:3000/")), Ok(()));
    assert!(g.check_url(&url("http://localhost:3001/")).is_err());
}

#[test]
fn resolved_addresses_are_checked_by_name_and_block() {
    let g = guard(&["intranet.example", "10.1.0.0/16", "127.0.0.1:8080"]);
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    assert_eq!(
        g.check_resolved("feeds.example", ip("93.184.215.14")),
        Ok(())
    );
    assert_eq!(
        g.check_resolved("intranet.example.", ip("10.9.9.9")),
        Ok(())
    );
    assert_eq!(g.check_resolved("other.example", ip("10.1.0.7")), Ok(()));
    // DNS rebinding: a public name that now resolves inside.
    let e = g
        .check_resolved("rebind.example", ip("169.254.169.254"))
        .unwrap_err();
    assert!(
        e.to_string().contains("resolved from rebind.example"),
        "{e}"
    );
    // A port-bound address entry does not admit names resolving to it:
    // the resolver cannot see which port they were asked for.
    assert!(g.check_resolved("evil.example", ip("127.0.0.1")).is_err());
    assert!(g
        .check_resolved("evil.example", ip("::ffff:10.1.0.1"))
        .is_ok());
}

#[tokio::test]
async fn the_resolver_refuses_a_name_that_resolves_to_loopback() {
    // "localhost" resolves without any network; the URL check is bypassed
    // here on purpose, to exercise the resolver on its own.
    let err = resolve(&Guard::default(), "localhost", 80)
        .await
        .unwrap_err();
    let refusal = err.downcast_ref::<Refusal>().expect("a refusal");
    assert!(refusal.to_string().contains("loopback"), "{refusal}");
    let ok = resolve(&guard(&["localhost"]), "localhost", 80)
        .await
        .unwrap();
    assert!(ok.iter().all(|a| a.ip().is_loopback()));
}
