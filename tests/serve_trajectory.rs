//! A person's sentiment trajectory in the embedded workspace, over real
//! HTTP on 127.0.0.1: praise on Mastodon, then complaints on the blog whose
//! author links that profile, delivered through the pipeline's own path
//! (state, sink, workspace); the influencer page charts one history across
//! both accounts, the turn raises one disengagement alert, and the silence
//! after it another once `quiet_after` has passed.

#[allow(dead_code)]
mod common;
mod serve {
    pub mod harness;
}

use chrono::{Duration, Utc};
use earshot::model::{Author, Item};
use earshot::pipeline::Window;
use earshot::source::Poll;
use reqwest::StatusCode;

use serve::harness::{Session, Workspace};

const DISENGAGEMENT: &str =
    "[route.disengagement]\nquiet_after = \"14d\"\nquiet_min_mentions = 3\n";

fn toot(n: u32, text: &str, days_ago: i64) -> Item {
    Item {
        key: format!("toot-{n}"),
        url: Some(format!("https://mastodon.example/@rant112/{n}")),
        text: text.into(),
        content_hash: format!("toot-{n}"),
        platform: "mastodon".into(),
        published: Some(Utc::now() - Duration::days(days_ago)),
        author: Some(Author {
            id: Some("https://mastodon.example/users/rant112".into()),
            handle: Some("rant112@mastodon.example".into()),
            name: Some("Rant112".into()),
            url: Some("https://mastodon.example/@rant112".into()),
            followers: Some(4_200),
            ..Author::default()
        }),
        ..Item::default()
    }
}

fn post(n: u32, text: &str, days_ago: i64) -> Item {
    Item {
        key: format!("https://rant112.example/{n}"),
        url: Some(format!("https://rant112.example/{n}")),
        text: text.into(),
        content_hash: format!("post-{n}"),
        platform: "web".into(),
        published: Some(Utc::now() - Duration::days(days_ago)),
        author: Some(Author {
            name: Some("Rant112".into()),
            links: vec!["https://mastodon.example/@rant112".into()],
            ..Author::default()
        }),
        ..Item::default()
    }
}

async fn deliver(w: &Workspace, source: &str, items: Vec<Item>) {
    let poll = Poll {
        items,
        ..Poll::default()
    };
    w.app
        .engine
        .deliver(source, poll, Window::default(), false)
        .await
        .unwrap();
}

fn disengagement_alerts(w: &Workspace) -> Vec<earshot::route::records::AlertRecord> {
    w.app.desk.read(|v| {
        v.alerts()
            .filter(|a| a.kind == earshot::route::records::AlertKind::Disengagement)
            .cloned()
            .collect()
    })
}

#[tokio::test]
async fn the_influencer_page_charts_one_history_across_accounts_and_the_turn_is_alerted_once() {
    let w = Workspace::start(DISENGAGEMENT).await;
    deliver(
        &w,
        "masto",
        vec![
            toot(1, "I love Acme Cloud, it is excellent.", 30),
            toot(2, "Acme Cloud is great, fast and reliable.", 25),
            toot(3, "Acme support was wonderful and helpful today.", 20),
        ],
    )
    .await;
    assert!(disengagement_alerts(&w).is_empty(), "praise raises nothing");
    deliver(
        &w,
        "blog",
        vec![
            post(1, "Acme Cloud lost my files. Awful.", 3),
            post(2, "Acme Cloud is terrible, broken again.", 2),
        ],
    )
    .await;
    deliver(
        &w,
        "blog",
        vec![post(3, "Acme support is useless and slow. Horrible.", 1)],
    )
    .await;

    let alerts = disengagement_alerts(&w);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let figures = alerts[0].disengagement.clone().unwrap();
    let person = figures.influencer_id.clone();
    assert!(
        alerts[0].reason.contains("Rant112 turned negative"),
        "{}",
        alerts[0].reason
    );

    let mut s = Session::default();
    s.login(&w, "ada").await;
    let (st, page) = s.get(&w, &format!("/influencers/{person}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("<svg"), "{page}");
    assert!(page.contains("on every account"), "the trajectory chart");
    assert!(page.contains("6 mentions"), "one history of six: {page}");
    assert!(page.contains("Recent mean: -"), "{page}");
    assert!(page.contains("Earlier mean: +"), "{page}");
    // Both platforms, each with its marker and in the legend.
    assert_eq!(page.matches(" on mastodon about Acme").count(), 3, "{page}");
    assert_eq!(page.matches(" on web about Acme").count(), 3, "{page}");
    let (_, list) = s.get(&w, "/alerts").await;
    assert!(list.contains("turned negative"), "{list}");
    assert!(
        list.contains(&format!(r#"href="/influencers/{person}""#)),
        "the alert links the person: {list}"
    );

    // The same records again (a second delivery of the blog): no repeat.
    let mut edit = post(
        3,
        "Acme support is useless and slow. Horrible. Still no answer.",
        1,
    );
    edit.content_hash = "post-3-edited".into();
    deliver(&w, "blog", vec![edit]).await;
    assert_eq!(disengagement_alerts(&w).len(), 1);

    // Silence: nothing before quiet_after, one alert after, then no more.
    w.app.desk.tick(Utc::now() + Duration::days(12)).unwrap();
    assert_eq!(disengagement_alerts(&w).len(), 1);
    w.app.desk.tick(Utc::now() + Duration::days(14)).unwrap();
    let alerts = disengagement_alerts(&w);
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    assert!(
        alerts[0].reason.contains("went quiet about Acme"),
        "{}",
        alerts[0].reason
    );
    w.app.desk.tick(Utc::now() + Duration::days(40)).unwrap();
    assert_eq!(disengagement_alerts(&w).len(), 2);

    // A restart reads the store back: the alerts are known, not raised again.
    let dir = w.stop().await;
    let w = Workspace::start_in(dir, DISENGAGEMENT).await;
    assert_eq!(disengagement_alerts(&w).len(), 2);
    w.app.desk.tick(Utc::now() + Duration::days(41)).unwrap();
    assert_eq!(disengagement_alerts(&w).len(), 2);
}

async fn slack(
    axum::extract::State(tx): axum::extract::State<
        std::sync::Arc<tokio::sync::mpsc::UnboundedSender<serde_json::Value>>,
    >,
    body: String,
) -> &'static str {
    let _ = tx.send(serde_json::from_str(&body).unwrap_or_default());
    "ok"
}

#[tokio::test]
async fn a_turn_to_the_negative_reaches_a_notify_channel_that_asks_for_disengagement() {
    let (tx, mut got) = tokio::sync::mpsc::unbounded_channel();
    let receiver = axum::Router::new()
        .route("/hooks/crm", axum::routing::post(slack))
        .with_state(std::sync::Arc::new(tx));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hooks/crm", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let extra = "[http]\nallow_hosts = [\"127.0.0.1\"]\n\n[[notify.channels]]\nname = \"crm\"\ntype = \"slack\"\nurl_env = \"CRM_HOOK\"\nkinds = [\"disengagement\"]\n";
    let text = serve::harness::pipeline_text(dir.path(), extra);
    let env = move |name: &str| (name == "CRM_HOOK").then(|| hook.clone());
    let pipeline = earshot::config::load_str(&text, &dir.path().join("p.toml"), &env)
        .unwrap_or_else(|e| panic!("{e}"));
    let opts = earshot::cli::serve::Options {
        listen: None,
        grace: std::time::Duration::from_secs(5),
        session_key: Some("a session key of thirty-two characters or more".into()),
        api_token: Some(serve::harness::TOKEN.into()),
    };
    let (app, _) = earshot::cli::serve::open(pipeline, &opts).unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let task = earshot::cli::serve::start_notifier(
        &app,
        earshot::route::decider::Clock::start(),
        stop.clone(),
    )
    .expect("a notifier runs");
    let items = vec![
        toot(1, "I love Acme Cloud, it is excellent.", 30),
        toot(2, "Acme Cloud is great, fast and reliable.", 25),
        toot(3, "Acme support was wonderful and helpful today.", 20),
        post(1, "Acme Cloud lost my files. Awful.", 3),
        post(2, "Acme Cloud is terrible, broken again.", 2),
        post(3, "Acme support is useless and slow. Horrible.", 1),
    ];
    let poll = Poll {
        items,
        ..Poll::default()
    };
    app.engine
        .deliver("mixed", poll, Window::default(), false)
        .await
        .unwrap();
    let body = got.recv().await.unwrap();
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("[disengagement] Acme:"), "{body}");
    assert!(text.contains("Rant112 turned negative"), "{body}");
    stop.cancel();
    task.await.unwrap();
    assert!(got.try_recv().is_err(), "one message: {:?}", got.try_recv());
}
