//! `earshot route` with `[notify]`: alerts route writes to the alerts topic
//! reach a signed-webhook receiver of the test's own (axum on 127.0.0.1:0,
//! checking the HMAC), through its 500s, and a restarted notifier sends
//! what was not acknowledged and nothing that was. The broker is
//! librdkafka's mock cluster, one for this binary; each test has its own
//! topics and groups.

use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use earshot::config::{Pipeline, SinkConfig};
use earshot::notify::kafka::{run, Topics};
use earshot::notify::send::Sender;
use earshot::record::FeedbackRecord;
use earshot::retry::Backoff;
use earshot::sink::kafka::{KafkaSink, Outgoing};

#[path = "common/mock.rs"]
mod mock;
use mock::{cluster, create_topic};
#[path = "notify_route/receiver.rs"]
mod receiver;
use receiver::{receiver, Got, KEY};

/// A pipeline file on the mock cluster, with topics named after `test`
/// (all created), a rule that escalates every Acme record, and a signed webhook
/// channel to the URL in `CRM_HOOK`; `extra` is appended.
fn pipeline_text(test: &str, extra: &str) -> String {
    for t in ["feedback", "status", "deadlines", "queue.support"] {
        create_topic(&format!("{test}.{t}"), 2);
    }
    // The `share` test's alerts spread over partitions; the others' keep
    // their order in one.
    create_topic(
        &format!("{test}.alerts"),
        if test == "share" { 4 } else { 1 },
    );
    create_topic(&format!("{test}.notified"), 2);
    format!(
        r#"
name = "{test}"
state_dir = "{state}"

[http]
allow_hosts = ["127.0.0.1"]

[[sources]]
id = "blog"
type = "feed"
url = "file:///nonexistent/feed.xml"

[[brands]]
name = "Acme"
query = "acme"

[[brands]]
name = "Bolt"
query = "bolt"

[sink]
type = "kafka"
brokers = "{brokers}"
feedback_topic = "{test}.feedback"
influencer_topic = "{test}.influencers"

[sink.properties]
"message.timeout.ms" = "10000"
"consumer.session.timeout.ms" = "6000"
"consumer.heartbeat.interval.ms" = "500"

[route]
feedback_topic = "{test}.feedback"
status_topic = "{test}.status"
alerts_topic = "{test}.alerts"
changelog_topic = "{test}.deadlines"
notified_topic = "{test}.notified"
group = "{test}-route"
default_queue = "support"
[[route.queues]]
name = "support"
topic = "{test}.queue.support"
[[route.rules]]
name = "all-acme"
queue = "support"
brand = ["Acme", "Bolt"]
escalate = true

[[notify.channels]]
name = "crm"
type = "webhook"
url_env = "CRM_HOOK"
secret_env = "CRM_KEY"
{extra}
"#,
        state = std::env::temp_dir()
            .join(format!("earshot-{test}-{}", std::process::id()))
            .display(),
        brokers = cluster().bootstrap,
    )
}

/// [`pipeline_text`], read with `hook` as the channel's URL.
fn pipeline(test: &str, hook: &str, extra: &str) -> Pipeline {
    load(&pipeline_text(test, extra), hook)
}

fn load(text: &str, hook: &str) -> Pipeline {
    let hook = hook.to_string();
    let env = move |name: &str| match name {
        "CRM_HOOK" => Some(hook.clone()),
        "CRM_KEY" => Some(KEY.to_string()),
        _ => None,
    };
    let file = std::env::temp_dir().join("notify-route.toml");
    earshot::config::load_str(text, &file, &env).unwrap_or_else(|e| panic!("{e}"))
}

fn kafka(p: &Pipeline) -> earshot::config::KafkaConfig {
    let SinkConfig::Kafka(k) = &p.sink else {
        panic!("a Kafka sink")
    };
    k.clone()
}

/// The pipeline's HTTP client, with short waits between attempts: the
/// tests assert what arrives, not when.
fn sender(p: &Pipeline, attempts: u32) -> Sender {
    let mut s = Sender::new(earshot::source::http::HttpClient::new(&p.http).unwrap());
    s.backoff = Backoff::new(Duration::from_millis(5), Duration::from_millis(20));
    s.attempts = attempts;
    s
}

fn start_route(p: &Pipeline, stop: &CancellationToken) -> tokio::task::JoinHandle<()> {
    let (route, kafka, stop) = (p.route.clone().unwrap(), kafka(p), stop.clone());
    let opts = earshot::route::consumer::Options {
        check_every: Duration::from_millis(100),
        instance: "route".into(),
        ..Default::default()
    };
    tokio::spawn(async move {
        earshot::route::consumer::run(route, &kafka, opts, stop)
            .await
            .expect("route runs");
    })
}

fn start_notifier(
    p: &Pipeline,
    attempts: u32,
    instance: &str,
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let stop = CancellationToken::new();
    let (cfg, topics, kafka) = (
        p.notify.clone().unwrap(),
        Topics::of(p.route.as_ref().unwrap()),
        kafka(p),
    );
    let (sender, instance, s) = (sender(p, attempts), instance.to_string(), stop.clone());
    let task = tokio::spawn(async move {
        run(cfg, sender, topics, &kafka, &instance, s)
            .await
            .expect("the notifier runs");
    });
    (stop, task)
}

fn feedback(n: usize, brand: &str) -> FeedbackRecord {
    serde_json::from_value(json!({
        "schema": "earshot.feedback/1",
        "id": format!("fb_{n:032x}"),
        "event": "created",
        "revision": "r1",
        "brand": brand,
        "products": [],
        "terms": [brand.to_lowercase()],
        "intents": [],
        "sentiment": {"score": -0.6, "label": "negative"},
        "item_sentiment": {"score": -0.6, "label": "negative"},
        "excerpt": format!("{brand} lost my data, post {n}."),
        "url": format!("https://blog.example/{n}"),
        "source": {"pipeline": "t", "id": "blog", "platform": "web"},
        "item_key": format!("k{n}"),
        "lang": "en",
        "observed": "2026-11-22T10:00:00Z",
        "status": "open",
        "priority": "high",
        "priority_reason": "negative",
    }))
    .unwrap()
}

/// Produces feedback records, in order, to one partition of the feedback
/// topic, as the pipeline would.
async fn produce(p: &Pipeline, records: &[FeedbackRecord]) {
    let k = kafka(p);
    let sink = KafkaSink::new(&k, "test").unwrap();
    let out = records
        .iter()
        .map(|r| Outgoing {
            topic: k.feedback_topic.clone(),
            key: r.id.clone(),
            payload: Some(serde_json::to_vec(r).unwrap()),
            headers: Default::default(),
            partition: Some(0),
        })
        .collect();
    sink.send_messages(out).await.unwrap();
    sink.flush().await.unwrap();
}

/// The next message the receiver accepted, counting the refusals before it.
async fn next_accepted(rx: &mut mpsc::UnboundedReceiver<Got>) -> (Vec<String>, usize) {
    let mut refused = 0;
    loop {
        match rx.recv().await.expect("the receiver runs") {
            Got::Accepted(ids) => return (ids, refused),
            Got::Refused => refused += 1,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_that_route_raises_reach_the_webhook_through_its_500s() {
    let (hook, _r, mut got) = receiver(2).await;
    let p = pipeline("reach", &hook, "");
    let route_stop = CancellationToken::new();
    let route = start_route(&p, &route_stop);
    let (stop, notifier) = start_notifier(&p, 4, "a");
    let records: Vec<FeedbackRecord> = (1..=3).map(|n| feedback(n, "Acme")).collect();
    produce(&p, &records).await;

    let mut seen = Vec::new();
    let mut refused = 0;
    while seen.len() < 3 {
        let (ids, r) = next_accepted(&mut got).await;
        refused += r;
        seen.extend(ids);
    }
    let want: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
    assert_eq!(seen, want, "each alert once, in the topic's order");
    assert_eq!(refused, 2, "the first two attempts were answered 500");

    stop.cancel();
    notifier.await.unwrap();
    route_stop.cancel();
    route.await.unwrap();
    let recorded = read_deliveries("reach.notified", 3);
    for r in &records {
        let alert = earshot::record::stable_id("al", &["immediate", &r.id]);
        assert!(recorded.contains(&format!("{alert}/crm")), "{recorded:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_notifier_sends_what_was_owed_and_nothing_accepted_twice() {
    let (hook, r, mut got) = receiver(0).await;
    let p = pipeline("restart", &hook, "");
    let route_stop = CancellationToken::new();
    let route = start_route(&p, &route_stop);
    let attempts = 3;
    let (stop, notifier) = start_notifier(&p, attempts, "first");
    // B's alert comes first in the alerts topic and is refused every time
    // (and held: about another brand, so A is not folded into it); A's,
    // after it, is accepted.
    let (b, a, c) = (
        feedback(10, "Bolt"),
        feedback(11, "Acme"),
        feedback(12, "Acme"),
    );
    r.refuse.lock().unwrap().push(b.id.clone());
    produce(&p, &[b.clone(), a.clone()]).await;
    let (ids, refused) = next_accepted(&mut got).await;
    assert_eq!(ids, vec![a.id.clone()]);
    let mut refused = refused;
    while refused < attempts as usize {
        assert_eq!(got.recv().await, Some(Got::Refused));
        refused += 1;
    }
    // Every attempt at B failed: it is held, not acknowledged.
    stop.cancel();
    notifier.await.unwrap();

    r.refuse.lock().unwrap().clear();
    let (stop, notifier) = start_notifier(&p, attempts, "second");
    let (ids, refused) = next_accepted(&mut got).await;
    assert_eq!((ids, refused), (vec![b.id.clone()], 0), "B, owed, is sent");
    // A follows B in the topic: resent, it would arrive before C.
    produce(&p, std::slice::from_ref(&c)).await;
    let (ids, refused) = next_accepted(&mut got).await;
    assert_eq!(
        (ids, refused),
        (vec![c.id.clone()], 0),
        "A is not sent again"
    );

    stop.cancel();
    notifier.await.unwrap();
    route_stop.cancel();
    route.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_kafka_sends_the_alerts_route_raises() {
    let (hook, _r, mut got) = receiver(0).await;
    let p = pipeline(
        "serve",
        &hook,
        "[serve]\nactivity_topic = \"serve.activity\"\n",
    );
    let route_stop = CancellationToken::new();
    let route = start_route(&p, &route_stop);
    let opts = earshot::cli::serve::Options {
        listen: None,
        grace: Duration::from_secs(5),
        session_key: None,
        api_token: Some("serve-notify-test-token".into()),
    };
    let (app, _) = earshot::cli::serve::open(p, &opts).unwrap();
    let stop = CancellationToken::new();
    let notifier = earshot::cli::serve::start_kafka_notifier(&app, stop.clone())
        .unwrap()
        .expect("serve on Kafka with [notify] runs a notifier");
    let fb = feedback(20, "Acme");
    produce(&app.engine.pipeline, std::slice::from_ref(&fb)).await;
    assert_eq!(next_accepted(&mut got).await, (vec![fb.id], 0));
    stop.cancel();
    notifier.await.unwrap().unwrap();
    route_stop.cancel();
    route.await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn earshot_route_sends_notifications_and_stops_cleanly_on_sigterm() {
    let (hook, _r, mut got) = receiver(0).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("route.toml");
    let text = pipeline_text("binary", "");
    std::fs::write(&file, &text).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_earshot"))
        .args(["route", "-p", file.to_str().unwrap()])
        .env_remove("RUST_LOG")
        .env("EARSHOT_LOG", "warn")
        .env("CRM_HOOK", &hook)
        .env("CRM_KEY", KEY)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let p = load(&text, &hook);
    let fb = feedback(30, "Acme");
    produce(&p, std::slice::from_ref(&fb)).await;
    let arrived = tokio::time::timeout(Duration::from_secs(60), next_accepted(&mut got)).await;
    let term = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = tokio::task::spawn_blocking(move || {
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        (status, stderr)
    });
    let (status, stderr) = tokio::time::timeout(Duration::from_secs(60), status)
        .await
        .expect("earshot route exits after SIGTERM")
        .unwrap();
    assert_eq!(arrived.ok(), Some((vec![fb.id], 0)), "{stderr}");
    assert_eq!(status.code(), Some(0), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifiers_joining_and_leaving_send_each_alert_once() {
    let (hook, _r, mut got) = receiver(0).await;
    let p = pipeline("share", &hook, "");
    let route_stop = CancellationToken::new();
    let route = start_route(&p, &route_stop);
    let mut want = Vec::new();
    let mut seen = Vec::new();
    let mut batch = |from: usize| -> Vec<FeedbackRecord> {
        let records: Vec<FeedbackRecord> = (from..from + 6).map(|n| feedback(n, "Acme")).collect();
        want.extend(records.iter().map(|r| r.id.clone()));
        records
    };
    let (stop_a, a) = start_notifier(&p, 3, "a");
    produce(&p, &batch(100)).await;
    while seen.len() < 6 {
        seen.extend(next_accepted(&mut got).await.0);
    }
    // A second instance joins: the partitions are split between the two.
    let (stop_b, b) = start_notifier(&p, 3, "b");
    produce(&p, &batch(200)).await;
    while seen.len() < 12 {
        seen.extend(next_accepted(&mut got).await.0);
    }
    // The first leaves: the second takes its partitions over.
    stop_a.cancel();
    a.await.unwrap();
    produce(&p, &batch(300)).await;
    while seen.len() < 18 {
        seen.extend(next_accepted(&mut got).await.0);
    }
    stop_b.cancel();
    b.await.unwrap();
    route_stop.cancel();
    route.await.unwrap();
    // Everything either instance ever sent has arrived by now.
    while let Ok(g) = got.try_recv() {
        if let Got::Accepted(ids) = g {
            seen.extend(ids);
        }
    }
    seen.sort();
    want.sort();
    assert_eq!(seen, want, "each alert exactly once");
}

/// The keys of the deliveries topic, read until `expect` came.
fn read_deliveries(topic: &str, expect: usize) -> Vec<String> {
    // It blocks: hand the runtime worker over, so no task waits behind it.
    tokio::task::block_in_place(|| {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        use rdkafka::Message;
        let consumer: BaseConsumer = rdkafka::ClientConfig::new()
            .set("bootstrap.servers", &cluster().bootstrap)
            .set("group.id", "test-reader")
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        let mut tpl = rdkafka::TopicPartitionList::new();
        for p in 0..2 {
            tpl.add_partition_offset(topic, p, rdkafka::Offset::Beginning)
                .unwrap();
        }
        consumer.assign(&tpl).unwrap();
        let mut keys = Vec::new();
        let until = std::time::Instant::now() + Duration::from_secs(30);
        while keys.len() < expect && std::time::Instant::now() < until {
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(100)) {
                keys.push(String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned());
            }
        }
        keys
    })
}
