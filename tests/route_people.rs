//! `earshot route`'s people loop against librdkafka's mock cluster: the
//! influencer records of one person turning from positive to negative, on
//! the influencer topic, raise exactly one disengagement alert on the
//! alerts topic; a person gone quiet raises one on the clock; a restart in
//! the same group reads both back and raises nothing new. Each test waits
//! for facts: the group's committed offsets at the topic's end, the alerts
//! topic read to its end.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use earshot::config::KafkaConfig;
use earshot::route::config::{validate, RouteConfig};
use earshot::route::consumer::{Options, Stats};
use earshot::route::exposed::Observer;
use earshot::sink::kafka::{KafkaSink, Outgoing};

#[path = "common/mock.rs"]
mod mock;
use mock::{cluster, create_topic, wait_owned};

const PARTITIONS: i32 = 4;
/// Long enough for any step on the mock cluster; a failing test waits it.
const WAIT: Duration = Duration::from_secs(30);

fn kafka(test: &str) -> KafkaConfig {
    let props = [
        ("message.timeout.ms", "10000"),
        ("consumer.session.timeout.ms", "6000"),
        ("consumer.heartbeat.interval.ms", "500"),
        // The lag of `/metrics` says which partitions an instance owns.
        ("consumer.statistics.interval.ms", "100"),
    ];
    KafkaConfig {
        brokers: cluster().bootstrap.clone(),
        feedback_topic: format!("{test}.feedback"),
        influencer_topic: format!("{test}.influencers"),
        broker_wait: KafkaConfig::DEFAULT_BROKER_WAIT,
        properties: props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
    }
}

/// A `[route]` section over the test's topics, influencer and alerts
/// topics created.
fn route_config(test: &str, disengagement: &str) -> RouteConfig {
    let text = format!(
        "alerts_topic = \"{test}.alerts\"\ngroup = \"{test}-group\"\n\
         default_queue = \"triage\"\n[[queues]]\nname = \"triage\"\n\
         [disengagement]\n{disengagement}\n"
    );
    let cfg = validate(toml::from_str(&text).unwrap()).expect("valid route section");
    create_topic(&kafka(test).influencer_topic, PARTITIONS);
    create_topic(&cfg.alerts_topic, PARTITIONS);
    cfg
}

/// Person `id`'s record after mentions of Acme scored `scores`, one a day,
/// the last at `last`: the history the pipeline carries on each record.
fn record(id: &str, scores: &[f64], last: DateTime<Utc>) -> Value {
    let points: Vec<Value> = scores
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let at = last - chrono::Duration::days((scores.len() - 1 - i) as i64);
            json!({"at": at, "score": s, "brand": "Acme", "platform": "mastodon",
                   "feedback_id": format!("fb_{id}_{i}")})
        })
        .collect();
    json!({
        "schema": "earshot.influencer/2", "id": id, "platform": "mastodon",
        "handle": format!("{id}@mastodon.example"), "reach": {},
        "first_seen": last, "last_seen": last,
        "trajectory": {"count": scores.len(), "recent_mean": 0.0, "trend": 0.0, "points": points},
    })
}

/// Produces each record keyed by its id, as the pipeline's sink does.
async fn produce(topic: &str, records: &[Value]) {
    let placed: Vec<(Option<i32>, Value)> = records.iter().map(|r| (None, r.clone())).collect();
    produce_to(topic, &placed).await;
}

/// The same, each to the partition given (else by key).
async fn produce_to(topic: &str, records: &[(Option<i32>, Value)]) {
    let sink = KafkaSink::new(&kafka("unused"), "test").unwrap();
    let out = records
        .iter()
        .map(|(partition, r)| Outgoing {
            topic: topic.into(),
            key: r["id"].as_str().unwrap().into(),
            payload: Some(serde_json::to_vec(r).unwrap()),
            headers: Default::default(),
            partition: *partition,
        })
        .collect();
    sink.send_messages(out).await.unwrap();
    sink.flush().await.unwrap();
}

fn client(group: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", &cluster().bootstrap)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .unwrap()
}

fn high_watermarks(c: &BaseConsumer, topic: &str) -> Vec<i64> {
    (0..PARTITIONS)
        .map(|p| c.fetch_watermarks(topic, p, WAIT).unwrap().1)
        .collect()
}

/// Waits until `group` has committed the end of every partition of `topic`.
///
/// This and the helpers below block, so each hands its runtime worker over
/// first: a task parked in a blocked worker's next-task slot cannot be
/// stolen, and an instance would stall for the whole wait.
fn wait_committed(group: &str, topic: &str) {
    tokio::task::block_in_place(|| {
        let c = client(group);
        let want = high_watermarks(&c, topic);
        let started = Instant::now();
        loop {
            let mut tpl = TopicPartitionList::new();
            for p in 0..PARTITIONS {
                tpl.add_partition(topic, p);
            }
            let got: Vec<i64> = c
                .committed_offsets(tpl, WAIT)
                .unwrap()
                .elements()
                .iter()
                .map(|e| match e.offset() {
                    Offset::Offset(o) => o,
                    _ => 0,
                })
                .collect();
            if got == want {
                return;
            }
            assert!(
                started.elapsed() < WAIT,
                "{group} committed {got:?} of {want:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    })
}

/// Every alert on `topic`, read to its end; with `at_least`, first waits
/// for that many to be there.
fn alerts(topic: &str, at_least: usize) -> Vec<(String, Value)> {
    tokio::task::block_in_place(|| {
        let c = client("test-reader");
        let started = Instant::now();
        loop {
            let high = high_watermarks(&c, topic);
            if high.iter().sum::<i64>() as usize >= at_least || started.elapsed() > WAIT {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let high = high_watermarks(&c, topic);
        let mut tpl = TopicPartitionList::new();
        for p in 0..PARTITIONS {
            tpl.add_partition_offset(topic, p, Offset::Beginning)
                .unwrap();
        }
        c.assign(&tpl).unwrap();
        let mut out = Vec::new();
        while (out.len() as i64) < high.iter().sum::<i64>() {
            assert!(
                started.elapsed() < 2 * WAIT,
                "read {} of {high:?}",
                out.len()
            );
            if let Some(Ok(m)) = c.poll(Duration::from_millis(100)) {
                let key = String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned();
                out.push((key, serde_json::from_slice(m.payload().unwrap()).unwrap()));
            }
        }
        out
    })
}

fn start(
    cfg: &RouteConfig,
    test: &str,
    instance: &str,
) -> (CancellationToken, tokio::task::JoinHandle<Stats>) {
    start_observed(cfg, test, instance, Observer::default())
}

fn start_observed(
    cfg: &RouteConfig,
    test: &str,
    instance: &str,
    observer: Observer,
) -> (CancellationToken, tokio::task::JoinHandle<Stats>) {
    let token = CancellationToken::new();
    let (cfg, k, t) = (cfg.clone(), kafka(test), token.clone());
    let opts = Options {
        check_every: Duration::from_millis(100),
        instance: instance.into(),
        observer,
        ..Options::default()
    };
    let handle = tokio::spawn(async move {
        earshot::route::people::run(cfg, &k, opts, t)
            .await
            .expect("the people loop runs")
    });
    (token, handle)
}

/// Five warm mentions, then three angry ones.
const TURN: [f64; 8] = [0.8, 0.7, 0.8, 0.6, 0.7, -0.5, -0.6, -0.5];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_turning_negative_raises_one_alert_and_a_restart_none() {
    let test = "turn";
    let cfg = route_config(test, "");
    let (topic, group) = (
        kafka(test).influencer_topic,
        earshot::route::people::group(&cfg.group),
    );
    let now = Utc::now();
    // One record per mention, each with the history so far; a steady
    // person beside them.
    let mut records: Vec<Value> = (1..=TURN.len())
        .map(|n| record("inf_a", &TURN[..n], now))
        .collect();
    records.push(record("inf_s", &[0.4; 7], now));
    produce(&topic, &records).await;
    let (stop, first) = start(&cfg, test, "a");
    wait_committed(&group, &topic);
    stop.cancel();
    assert_eq!(first.await.unwrap().disengagement, 1);
    let got = alerts(&cfg.alerts_topic, 1);
    assert_eq!(got.len(), 1, "{got:?}");
    let (key, a) = &got[0];
    assert_eq!(a["kind"], "disengagement");
    assert_eq!(a["id"].as_str(), Some(key.as_str()), "keyed by alert id");
    assert_eq!(a["disengagement"]["trigger"], "turned_negative");
    assert_eq!(a["disengagement"]["influencer_id"], "inf_a");
    // It points at the mention that made the turn.
    assert_eq!(a["feedback_id"], "fb_inf_a_7");

    // Restarted, in the same group: the person, still negative, says more.
    // Alone, this record would show a turn (five warm, then four angry):
    // only the history read back says it was raised.
    let more = [&TURN[..], &[-0.8]].concat();
    produce(&topic, &[record("inf_a", &more, now)]).await;
    let (stop, second) = start(&cfg, test, "b");
    wait_committed(&group, &topic);
    stop.cancel();
    assert_eq!(second.await.unwrap().disengagement, 0);
    assert_eq!(alerts(&cfg.alerts_topic, 1).len(), 1, "nothing new");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_gone_quiet_raises_one_alert_and_a_restart_none() {
    let test = "quiet";
    let cfg = route_config(test, "quiet_after = \"1d\"\nquiet_min_mentions = 5\n");
    let (topic, group) = (
        kafka(test).influencer_topic,
        earshot::route::people::group(&cfg.group),
    );
    // Six mentions of Acme, the last three days ago.
    let last = Utc::now() - chrono::Duration::days(3);
    produce(&topic, &[record("inf_q", &[0.3; 6], last)]).await;
    let (stop, first) = start(&cfg, test, "a");
    let got = alerts(&cfg.alerts_topic, 1);
    stop.cancel();
    assert_eq!(first.await.unwrap().disengagement, 1);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1["disengagement"]["trigger"], "gone_quiet");
    assert_eq!(got[0].1["disengagement"]["influencer_id"], "inf_q");

    // Restarted: the quiet person is read back, the alert found raised. A
    // new person's record, committed, shows the restore is done (it is
    // decided after the read-back, which is checked at once).
    let (stop, second) = start(&cfg, test, "b");
    produce(&topic, &[record("inf_new", &[0.5], Utc::now())]).await;
    wait_committed(&group, &topic);
    stop.cancel();
    let second = second.await.unwrap();
    assert_eq!((second.disengagement, second.repeats), (0, 1), "{second:?}");
    assert_eq!(alerts(&cfg.alerts_topic, 1).len(), 1, "nothing new");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_the_people_and_the_one_left_takes_them_over() {
    let test = "share";
    let cfg = route_config(test, "");
    let (topic, group) = (
        kafka(test).influencer_topic,
        earshot::route::people::group(&cfg.group),
    );
    let now = Utc::now();
    // A person on every partition whose record shows the turn; each later
    // record, alone, would show a turn again.
    let round = |name: &str, scores: &[f64]| -> Vec<(Option<i32>, Value)> {
        (0..PARTITIONS)
            .map(|p| (Some(p), record(&format!("inf_{name}{p}"), scores, now)))
            .collect()
    };
    let more = [&TURN[..], &[-0.8]].concat();
    let most = [&more[..], &[-0.9]].concat();
    produce_to(&topic, &round("one", &TURN)).await;
    let (obs_a, obs_b) = (Observer::default(), Observer::default());
    let (stop_a, a) = start_observed(&cfg, test, "a", obs_a.clone());
    wait_committed(&group, &topic);
    assert_eq!(alerts(&cfg.alerts_topic, 4).len(), 4);

    // A second instance joins: each owns two partitions.
    let (stop_b, b) = start_observed(&cfg, test, "b", obs_b.clone());
    wait_owned(&[(&obs_a, 2), (&obs_b, 2)], &topic).await;
    let mut second = round("one", &more);
    second.extend(round("two", &TURN));
    produce_to(&topic, &second).await;
    wait_committed(&group, &topic);

    // The first leaves; the other takes its people over.
    stop_a.cancel();
    let a = a.await.unwrap();
    wait_owned(&[(&obs_b, 4)], &topic).await;
    let mut third = round("one", &most);
    third.extend(round("two", &more));
    produce_to(&topic, &third).await;
    wait_committed(&group, &topic);
    stop_b.cancel();
    let b = b.await.unwrap();

    let got = alerts(&cfg.alerts_topic, 8);
    let ids: std::collections::HashSet<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!((got.len(), ids.len()), (8, 8), "each turn once: {got:?}");
    // Two of the new persons were on each instance's partitions.
    assert_eq!((a.disengagement, b.disengagement), (6, 2), "{a:?} {b:?}");
}
