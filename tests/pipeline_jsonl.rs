//! Whole pipelines, sources to JSON lines: backfills (and a `run` after one)
//! over the fixture server and `file://` copies, checked against the
//! published record schemas and against what the state remembers afterwards.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::{fixtures_dir, start_server, until, FixtureServer, DEMO_BRANDS, POST_SELECTORS};
use earshot::config;
use earshot::pipeline::backfill::{backfill, Summary};
use earshot::pipeline::{Engine, Window};
use earshot::state::State;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// The demo pipeline's sources, served by the fixture server.
fn demo_sources(server: &FixtureServer) -> String {
    let url = |p: &str| server.url(&format!("/static/{p}"));
    format!(
        r#"
[[sources]]
id = "acme-news"
type = "feed"
url = "{}"

[[sources]]
id = "gadget-blog"
type = "feed"
url = "{}"

[[sources]]
id = "reviews-json"
type = "feed"
url = "{}"

[[sources]]
id = "rdf-digest"
type = "feed"
url = "{}"

[[sources]]
id = "ru-forum"
type = "feed"
url = "{}"

[[sources]]
id = "rant112-blog"
type = "page"
url = "{}"

[sources.selectors]
{POST_SELECTORS}
[[sources]]
id = "blog-index"
type = "page"
url = "{}"
"#,
        url("feeds/rss2.xml"),
        url("feeds/atom.xml"),
        url("feeds/feed.json"),
        url("feeds/rss1.rdf"),
        url("feeds/koi8r.xml"),
        url("blog/post.html"),
        url("blog/index.html"),
    )
}

fn feed_source(id: &str, url: &str) -> String {
    format!("[[sources]]\nid = \"{id}\"\ntype = \"feed\"\nurl = \"{url}\"\n\n")
}

/// A pipeline in `dir`: state in `dir/state`, records to `sink` (relative
/// to `dir`), `max_attempts = 1` so that failures fail fast.
fn pipeline(sources: &str, sink: &str) -> String {
    format!(
        "name = \"it\"\nstate_dir = \"state\"\n\n[http]\nmax_attempts = 1\ntimeout = \"5s\"\nallow_hosts = [\"127.0.0.1\"]\n\n{sources}\n{DEMO_BRANDS}\n[sink]\ntype = \"jsonl\"\npath = \"{sink}\"\n"
    )
}

fn open(dir: &Path, text: &str) -> Engine {
    let file = dir.join("pipeline.toml");
    std::fs::write(&file, text).unwrap();
    let p = config::load(&file).unwrap_or_else(|e| panic!("{e}"));
    Engine::open(p).unwrap_or_else(|e| panic!("{e}"))
}

/// One backfill; the engine (and its lock on the state) is gone after.
async fn run(dir: &Path, text: &str, window: Window) -> Summary {
    backfill(Arc::new(open(dir, text)), window, false).await
}

fn lines(path: &Path) -> Vec<Value> {
    match std::fs::read_to_string(path) {
        Ok(s) => s
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect(),
        Err(_) => Vec::new(),
    }
}

fn feedback(records: &[Value]) -> Vec<&Value> {
    records
        .iter()
        .filter(|r| r["schema"] == "earshot.feedback/2")
        .collect()
}

fn seen_count(dir: &Path) -> u64 {
    State::open(&dir.join("state"))
        .unwrap()
        .seen_count()
        .unwrap()
}

fn ids(records: &[Value]) -> BTreeSet<String> {
    records
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

fn schema(name: &str) -> jsonschema::Validator {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(name);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

#[tokio::test]
async fn a_backfill_writes_records_that_match_the_published_schemas() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let summary = run(
        dir.path(),
        &pipeline(&demo_sources(&server), "out.jsonl"),
        Window::default(),
    )
    .await;
    assert_eq!(summary.failed(), 0, "{}", summary.render());

    let records = lines(&dir.path().join("out.jsonl"));
    assert_eq!(records.len(), summary.totals().records);
    let fb = schema("feedback.v2.json");
    let inf = schema("influencer.v2.json");
    let (mut n_fb, mut n_inf) = (0, 0);
    for r in &records {
        let validator = match r["schema"].as_str() {
            Some("earshot.feedback/2") => {
                n_fb += 1;
                &fb
            }
            Some("earshot.influencer/2") => {
                n_inf += 1;
                &inf
            }
            other => panic!("unknown schema {other:?}: {r}"),
        };
        let errors: Vec<String> = validator.iter_errors(r).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?} in {r}");
    }
    assert!(n_fb > 0 && n_inf > 0, "{n_fb} feedback, {n_inf} influencer");

    // Rant112's guest post quitting Acme Cloud: negative feedback on the
    // product, and Rant112 as the influencer behind it.
    let quit = records
        .iter()
        .find(|r| {
            r["schema"] == "earshot.feedback/2"
                && r["title"] == "Guest post: why I quit Acme Cloud"
                && r["brand"] == "Acme"
        })
        .expect("feedback on the guest post");
    assert_eq!(quit["products"], serde_json::json!(["Acme Cloud"]));
    assert_eq!(quit["sentiment"]["label"], "negative", "{quit}");
    assert_eq!(quit["author"], "Rant112");
    assert_eq!(quit["source"]["id"], "gadget-blog");
    let author = records
        .iter()
        .find(|r| r["id"] == quit["influencer_id"])
        .expect("an influencer record for the author");
    assert_eq!(author["schema"], "earshot.influencer/2");
    assert_eq!(author["name"], "Rant112");
    assert_eq!(author["profile_url"], "https://rants.example.net/");
}

#[tokio::test]
async fn the_rant112_outage_post_reads_as_negative_about_acme_cloud() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    run(
        dir.path(),
        &pipeline(&demo_sources(&server), "out.jsonl"),
        Window::default(),
    )
    .await;
    let records = lines(&dir.path().join("out.jsonl"));
    let post = feedback(&records)
        .into_iter()
        .find(|r| {
            r["source"]["id"] == "rant112-blog"
                && r["brand"] == "Acme"
                && r["title"] == "Acme Cloud ate my weekend (again)"
        })
        .expect("feedback on the outage post");
    assert_eq!(post["products"], serde_json::json!(["Acme Cloud"]));
    assert_eq!(post["sentiment"]["label"], "negative", "{post}");
    assert!(records
        .iter()
        .any(|r| r["id"] == post["influencer_id"] && r["name"] == "Rant112"));
}

#[tokio::test]
async fn a_second_backfill_over_the_same_state_emits_nothing() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let text = pipeline(&demo_sources(&server), "out.jsonl");
    let first = run(dir.path(), &text, Window::default()).await;
    let written = lines(&dir.path().join("out.jsonl")).len();
    assert!(written > 0);

    let second = run(dir.path(), &text, Window::default()).await;
    assert_eq!(second.failed(), 0, "{}", second.render());
    let t = second.totals();
    assert_eq!(t.records, 0);
    assert_eq!(t.unchanged, t.items);
    assert_eq!(t.items, first.totals().items);
    assert_eq!(lines(&dir.path().join("out.jsonl")).len(), written);
}

#[tokio::test]
async fn an_edited_entry_comes_back_as_updated_with_the_same_ids() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.xml");
    let original = std::fs::read_to_string(fixtures_dir().join("feeds/rss2.xml")).unwrap();
    std::fs::write(&feed, &original).unwrap();
    let text = pipeline(
        &feed_source("news", &format!("file://{}", feed.display())),
        "out.jsonl",
    );
    let out = dir.path().join("out.jsonl");

    run(dir.path(), &text, Window::default()).await;
    let before = lines(&out);
    let post_key = "rants-example-net-post-1042";
    let of_post = |rs: &[Value]| -> Vec<Value> {
        feedback(rs)
            .into_iter()
            .filter(|r| r["item_key"] == post_key)
            .cloned()
            .collect()
    };
    let created = of_post(&before);
    assert!(!created.is_empty());
    assert!(created.iter().all(|r| r["event"] == "created"));

    let edited = original.replace("Rant over.", "Rant over. Still down on Monday.");
    assert_ne!(edited, original);
    std::fs::write(&feed, edited).unwrap();
    let summary = run(dir.path(), &text, Window::default()).await;
    assert_eq!(summary.totals().unchanged, 5);

    let after = lines(&out);
    let new = &after[before.len()..];
    let updated = of_post(new);
    assert_eq!(
        feedback(new).len(),
        updated.len(),
        "only the edited entry is sent again"
    );
    assert!(
        updated.iter().all(|r| r["event"] == "updated"),
        "{updated:?}"
    );
    assert_eq!(ids(&updated), ids(&created));
    for (c, u) in created.iter().zip(&updated) {
        assert_ne!(c["revision"], u["revision"]);
    }
}

#[tokio::test]
async fn a_broken_source_never_stops_the_others() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-feed.xml");
    let sources = [
        feed_source("news", &server.url("/static/feeds/rss2.xml")),
        feed_source("down", &server.url("/status/500")),
        feed_source("gone", &format!("file://{}", missing.display())),
        feed_source("grumbles", &server.url("/static/feeds/atom.xml")),
    ]
    .concat();
    let summary = run(
        dir.path(),
        &pipeline(&sources, "out.jsonl"),
        Window::default(),
    )
    .await;

    assert_eq!(summary.failed(), 2, "{}", summary.render());
    let by_id = |id: &str| summary.sources.iter().find(|s| s.id == id).unwrap();
    let down = by_id("down").error.as_deref().unwrap();
    assert!(
        down.contains("500") && down.contains("/status/500"),
        "{down}"
    );
    let gone = by_id("gone").error.as_deref().unwrap();
    assert!(gone.contains("no-such-feed.xml"), "{gone}");
    for ok in ["news", "grumbles"] {
        let o = by_id(ok).outcome.as_ref().expect("delivered");
        assert!(o.records > 0, "{ok} delivered nothing");
    }
    let delivered: BTreeSet<String> = feedback(&lines(&dir.path().join("out.jsonl")))
        .iter()
        .map(|r| r["source"]["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        delivered,
        BTreeSet::from(["grumbles".to_string(), "news".to_string()])
    );
    assert!(summary.render().contains("2 failed"));
}

#[tokio::test]
async fn a_window_delivers_only_what_is_inside_and_remembers_nothing_else() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let text = pipeline(
        &feed_source("news", &server.url("/static/feeds/rss2.xml")),
        "out.jsonl",
    );
    let out = dir.path().join("out.jsonl");
    let since = "2024-03-05T00:00:00Z".parse().unwrap();
    let until = "2024-03-08T00:00:00Z".parse().unwrap();
    let window = Window {
        since: Some(since),
        until: Some(until),
    };

    let narrow = run(dir.path(), &text, window).await;
    // Of six entries, the 6th and 7th of March are inside; the entry with a
    // date that cannot be read has no time and is let through.
    assert_eq!(narrow.totals().items, 3, "{}", narrow.render());
    let first = lines(&out);
    assert!(!first.is_empty());
    for r in feedback(&first) {
        if let Some(p) = r["published"].as_str() {
            let p: chrono::DateTime<chrono::Utc> = p.parse().unwrap();
            assert!(since <= p && p < until, "{p} is outside the window");
        }
    }
    assert_eq!(seen_count(dir.path()), 3);

    let wide = run(dir.path(), &text, Window::default()).await;
    assert_eq!(wide.totals().items, 6);
    assert_eq!(wide.totals().unchanged, 3);
    let second = lines(&out);
    let later: BTreeSet<&str> = feedback(&second[first.len()..])
        .iter()
        .filter_map(|r| r["published"].as_str())
        .collect();
    assert_eq!(
        later,
        BTreeSet::from(["2024-03-04T08:15:00Z", "2024-03-09T17:45:00Z"])
    );
    assert_eq!(seen_count(dir.path()), 6);
}

#[tokio::test]
async fn a_run_after_a_backfill_until_delivers_what_the_window_left_out() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let text = pipeline(
        &feed_source("news", &server.url("/static/feeds/rss2.xml")),
        "out.jsonl",
    );
    let out = dir.path().join("out.jsonl");
    let window = Window {
        since: None,
        until: Some("2024-03-08T00:00:00Z".parse().unwrap()),
    };
    let windowed = run(dir.path(), &text, window).await;
    assert_eq!(windowed.failed(), 0, "{}", windowed.render());
    let before = lines(&out);
    let latest = "2024-03-09T17:45:00Z";
    assert!(!feedback(&before).is_empty());
    assert!(feedback(&before).iter().all(|r| r["published"] != latest));

    let engine = Arc::new(open(dir.path(), &text));
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(earshot::pipeline::run::run(
        engine.clone(),
        shutdown.clone(),
        Duration::from_secs(5),
    ));
    until("the run's first poll of news", || {
        engine
            .health
            .source("news")
            .is_some_and(|h| h.last_success.is_some())
    })
    .await;
    shutdown.cancel();
    running.await.unwrap().unwrap();

    let after = lines(&out);
    let new: BTreeSet<&str> = feedback(&after[before.len()..])
        .iter()
        .filter_map(|r| r["published"].as_str())
        .collect();
    // Had the backfill saved the feed's ETag, this poll would have been
    // answered 304 and the entry after the window never delivered.
    assert!(new.contains(latest), "{new:?}");
    assert!(
        !engine
            .metrics
            .encode()
            .contains("earshot_not_modified_total{source=\"news\"} 1"),
        "the run fetched the feed whole"
    );
    assert_eq!(server.hits.get("/static/feeds/rss2.xml"), 2);
}

#[tokio::test]
async fn a_source_added_on_a_url_another_source_polled_is_not_answered_304() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let url = server.url("/static/feeds/rss2.xml");
    let one = pipeline(&feed_source("news", &url), "out.jsonl");
    {
        let e = open(dir.path(), &one);
        let o = e
            .poll_source(&e.pipeline.sources[0], true, Window::default())
            .await
            .unwrap();
        assert!(o.records > 0);
    }
    let both = [feed_source("news", &url), feed_source("news-copy", &url)].concat();
    let e = open(dir.path(), &pipeline(&both, "out.jsonl"));
    let again = e
        .poll_source(&e.pipeline.sources[0], true, Window::default())
        .await
        .unwrap();
    assert_eq!(again.not_modified, 1, "the first source's validators work");
    let copy = e
        .poll_source(&e.pipeline.sources[1], true, Window::default())
        .await
        .unwrap();
    assert_eq!(copy.not_modified, 0, "{copy:?}");
    assert!(copy.records > 0, "{copy:?}");
}

#[test]
fn a_sink_under_a_regular_file_is_refused_at_start_naming_its_path() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("not-a-dir"), "").unwrap();
    let text = pipeline(
        &feed_source("news", "https://example.com/feed.xml"),
        "not-a-dir/out.jsonl",
    );
    let file = dir.path().join("pipeline.toml");
    std::fs::write(&file, text).unwrap();
    let err = Engine::open(config::load(&file).unwrap())
        .err()
        .expect("the sink cannot be opened");
    assert!(err.to_string().contains("not-a-dir"), "{err}");
}

/// `/dev/full` opens fine and refuses every write: a sink that fails on
/// `send`, after the items were fetched.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn items_are_remembered_only_once_the_sink_acknowledged() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let sources = feed_source("news", &server.url("/static/feeds/rss2.xml"));

    let failed = run(
        dir.path(),
        &pipeline(&sources, "/dev/full"),
        Window::default(),
    )
    .await;
    assert_eq!(failed.failed(), 1, "{}", failed.render());
    let err = failed.sources[0].error.as_deref().unwrap();
    assert!(err.contains("/dev/full"), "{err}");
    assert_eq!(seen_count(dir.path()), 0);

    let good = run(
        dir.path(),
        &pipeline(&sources, "out.jsonl"),
        Window::default(),
    )
    .await;
    assert_eq!(good.failed(), 0, "{}", good.render());
    assert_eq!(good.totals().unchanged, 0, "nothing was remembered before");
    let records = lines(&dir.path().join("out.jsonl"));
    assert_eq!(records.len(), good.totals().records);
    assert!(!feedback(&records).is_empty());
    assert_eq!(seen_count(dir.path()), 6);
}

#[tokio::test]
async fn ids_do_not_depend_on_the_run() {
    let server = start_server().await;
    let text = pipeline(&demo_sources(&server), "out.jsonl");
    let mut sets = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        run(dir.path(), &text, Window::default()).await;
        sets.push(ids(&lines(&dir.path().join("out.jsonl"))));
    }
    assert!(sets[0].len() > 10);
    assert_eq!(sets[0], sets[1]);
}
