//! End to end: the `earshot` binary, the fixture HTTP server and a separate
//! Kafka-protocol broker (Tansu), checked by reading the topics back.
//!
//! What should arrive is never hard-coded: each test first runs a JSON lines
//! backfill of the same pipeline (its own state) and expects exactly its
//! feedback records on Kafka, whatever happens in between (a SIGKILL, a
//! broker outage). A delivery is (source id, record id, revision). Needs the
//! `tansu` executable (see `scripts/test`).

mod common;
mod e2e;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use common::{start_server_thread, FixtureServer};
use e2e::broker::Broker;
use e2e::earshot::{
    http_get, metric, pipeline, summary_records, Earshot, SinkSpec, Src, FEEDBACK_TOPIC,
    INFLUENCER_TOPIC,
};
use e2e::reader::{delivery, is_feedback, is_influencer, read_jsonl, Reader};
use e2e::relay::Relay;

const PARTITIONS: i32 = 3;
const FEEDS: [&str; 6] = [
    "feeds/rss2.xml",
    "feeds/atom.xml",
    "feeds/feed.json",
    "feeds/rss1.rdf",
    "feeds/koi8r.xml",
    "feeds/cp1251.xml",
];

type Delivery = (String, String, String);

fn create_topics(broker: &Broker) {
    broker.create_topic(FEEDBACK_TOPIC, PARTITIONS as u32);
    broker.create_topic(INFLUENCER_TOPIC, PARTITIONS as u32);
}

fn stem(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.split('.').next().unwrap_or(file)
}

/// Feeds named `<prefix>-<stem>`, each served through `route` ("/static",
/// "/delay/3000").
fn feeds(prefix: &str, route: &str, paths: &[&str]) -> Vec<Src> {
    paths
        .iter()
        .map(|p| Src::feed(&format!("{prefix}-{}", stem(p)), &format!("{route}/{p}")))
        .collect()
}

/// Starts the JSON lines backfill whose output is the expectation; read it
/// with [`expected_deliveries`] once it exited.
fn start_reference(
    dir: &Path,
    fixtures: &FixtureServer,
    sources: &[Src],
) -> (Earshot, std::path::PathBuf) {
    let out = dir.join("reference.jsonl");
    let p = pipeline(
        dir,
        "reference",
        fixtures,
        sources,
        &dir.join("state-reference"),
        SinkSpec::Jsonl(&out),
    );
    (Earshot::backfill(dir, "reference", &p), out)
}

/// Writes the pipeline under test: the same sources, into Kafka through
/// `brokers`, with its own state directory.
fn kafka_pipeline(
    dir: &Path,
    fixtures: &FixtureServer,
    sources: &[Src],
    brokers: &str,
    properties: &[(&str, &str)],
) -> std::path::PathBuf {
    pipeline(
        dir,
        "kafka",
        fixtures,
        sources,
        &dir.join("state-kafka"),
        SinkSpec::Kafka {
            brokers,
            properties,
        },
    )
}

fn expected_deliveries(reference: &mut Earshot, out: &Path) -> BTreeSet<Delivery> {
    let status = reference.wait(Duration::from_secs(60));
    assert!(
        status.success(),
        "reference backfill failed:\n{}",
        reference.log()
    );
    let expected: BTreeSet<Delivery> = read_jsonl(out)
        .iter()
        .filter(|v| is_feedback(v))
        .map(delivery)
        .collect();
    assert!(
        !expected.is_empty(),
        "the reference backfill found no mention"
    );
    expected
}

fn consumed_deliveries(reader: &Reader) -> HashMap<Delivery, usize> {
    let mut m = HashMap::new();
    for c in reader.on(FEEDBACK_TOPIC) {
        *m.entry(delivery(&c.value)).or_default() += 1;
    }
    m
}

fn has_all(consumed: &[e2e::reader::Consumed], expected: &BTreeSet<Delivery>) -> bool {
    let got: BTreeSet<Delivery> = consumed
        .iter()
        .filter(|c| c.topic == FEEDBACK_TOPIC)
        .map(|c| delivery(&c.value))
        .collect();
    expected.is_subset(&got)
}

fn schema(name: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("reading a schema");
    let schema: Value = serde_json::from_str(&text).expect("schema JSON");
    jsonschema::validator_for(&schema).expect("a valid schema")
}

fn listen_addr() -> SocketAddr {
    ([127, 0, 0, 1], e2e::free_port()).into()
}

#[test]
fn backfill_delivers_every_record_to_kafka() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let fixtures = start_server_thread();
    let broker = Broker::start(dir);
    create_topics(&broker);

    // Every kind of source: feeds of each format and encoding, a page read
    // with selectors, a page whose feeds are discovered.
    let mut sources = feeds("feed", "/static", &FEEDS);
    sources.push(Src {
        with_selectors: true,
        ..Src::feed("blog-post", "/static/blog/post.html")
    });
    sources.push(Src::feed("blog-index", "/static/blog/index.html"));

    let (mut reference, out) = start_reference(dir, &fixtures, &sources);
    let kafka = kafka_pipeline(dir, &fixtures, &sources, &broker.bootstrap(), &[]);
    let mut first = Earshot::backfill(dir, "kafka-1", &kafka);
    let status = first.wait(Duration::from_secs(60));
    assert!(status.success(), "backfill failed:\n{}", first.log());
    // Waits for the reference and checks it found something.
    expected_deliveries(&mut reference, &out);
    let want = read_jsonl(&out);
    // Sources are polled side by side, so which copy of a post reached
    // through two of them is delivered first, and so how many updates
    // follow, differs from run to run; what each id ends as does not.
    let want_fb = final_revisions(want.iter().filter(|v| is_feedback(v)));
    let want_inf: BTreeSet<String> = want
        .iter()
        .filter(|v| is_influencer(v))
        .map(|v| v["id"].as_str().unwrap_or_default().to_string())
        .collect();
    let delivered = summary_records(&first.log()).expect("a summary");

    let mut reader = Reader::new(
        &broker.bootstrap(),
        &[FEEDBACK_TOPIC, INFLUENCER_TOPIC],
        PARTITIONS,
    );
    let complete = reader.read_until(Duration::from_secs(30), |got| got.len() >= delivered);
    assert!(
        complete,
        "read {} of the {delivered} records the backfill's summary counts",
        reader.got.len()
    );

    // The same records as the JSON lines sink: each id ends with the same
    // content, the same influencer ids, and every feedback id `created`
    // once.
    let got_fb = final_revisions(reader.on(FEEDBACK_TOPIC).map(|c| &c.value));
    assert_eq!(got_fb, want_fb);
    let id = |v: &Value| v["id"].as_str().unwrap_or_default().to_string();
    let got_inf: BTreeSet<String> = reader.on(INFLUENCER_TOPIC).map(|c| id(&c.value)).collect();
    assert_eq!(got_inf, want_inf);
    let mut created: HashMap<String, usize> = HashMap::new();
    for c in reader.on(FEEDBACK_TOPIC) {
        if c.value["event"] == "created" {
            *created.entry(id(&c.value)).or_default() += 1;
        }
    }
    assert!(created.values().all(|&n| n == 1), "{created:?}");
    assert_eq!(created.len(), want_fb.len());

    let feedback_schema = schema("feedback.v2.json");
    let influencer_schema = schema("influencer.v2.json");
    for c in &reader.got {
        let (validator, ce_type) = if c.topic == FEEDBACK_TOPIC {
            (&feedback_schema, "dev.earshot.feedback.v2")
        } else {
            (&influencer_schema, "dev.earshot.influencer.v2")
        };
        let errors: Vec<String> = validator
            .iter_errors(&c.value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{} on {}: {errors:?}", c.value, c.topic);
        assert_eq!(
            c.value["id"].as_str(),
            Some(c.key.as_str()),
            "key is the record id"
        );
        let h = &c.headers;
        assert_eq!(h.get("ce_specversion").map(String::as_str), Some("1.0"));
        assert_eq!(h.get("ce_type").map(String::as_str), Some(ce_type));
        assert_eq!(h.get("ce_source").map(String::as_str), Some("earshot/e2e"));
        assert_eq!(h.get("ce_subject"), Some(&c.key));
        assert!(h
            .get("ce_id")
            .is_some_and(|id| id.starts_with(&format!("{}:", c.key))));
        assert!(h
            .get("ce_time")
            .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()));
        assert_eq!(
            h.get("content-type").map(String::as_str),
            Some("application/json")
        );
    }

    // Same state, same sources: nothing is new.
    let before = reader.got.len();
    let mut second = Earshot::backfill(dir, "kafka-2", &kafka);
    let status = second.wait(Duration::from_secs(60));
    assert!(
        status.success(),
        "second backfill failed:\n{}",
        second.log()
    );
    assert_eq!(summary_records(&second.log()), Some(0));
    // The backfill flushed before exiting, so anything it sent is readable.
    reader.read_for(Duration::from_secs(2));
    assert_eq!(
        reader.got.len(),
        before,
        "the second backfill delivered again"
    );
}

#[test]
fn run_killed_with_sigkill_loses_nothing_and_repeats_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let fixtures = start_server_thread();
    let broker = Broker::start(dir);
    create_topics(&broker);

    // Half the feeds answer at once, half after 8 s: the kill lands after
    // the fast ones were delivered and committed, while the slow ones are
    // still being fetched.
    let fast = feeds("fast", "/static", &FEEDS);
    let slow = feeds("slow", "/delay/8000", &FEEDS);
    let sources: Vec<Src> = fast.into_iter().chain(slow).collect();
    let ids = |prefix: &str| -> BTreeSet<String> {
        sources
            .iter()
            .filter(|s| s.id.starts_with(prefix))
            .map(|s| s.id.clone())
            .collect()
    };
    let (fast_ids, slow_ids) = (ids("fast-"), ids("slow-"));
    let all_ids: BTreeSet<String> = fast_ids.union(&slow_ids).cloned().collect();

    let (mut reference, out) = start_reference(dir, &fixtures, &sources);
    let kafka = kafka_pipeline(dir, &fixtures, &sources, &broker.bootstrap(), &[]);
    let mut reader = Reader::new(&broker.bootstrap(), &[FEEDBACK_TOPIC], PARTITIONS);

    let mut first = Earshot::run(dir, "run-1", &kafka, listen_addr());
    let started = Instant::now();
    let fast_done = e2e::wait_until(Duration::from_secs(20), || {
        reader.read_for(Duration::from_millis(100));
        reader.on(FEEDBACK_TOPIC).next().is_some() && first.polled_sources().is_superset(&fast_ids)
    });
    assert!(
        fast_done,
        "fast sources not delivered within 20s:\n{}",
        first.log()
    );
    first.kill();
    let polled = first.polled_sources();
    assert!(
        polled.is_disjoint(&slow_ids),
        "the kill came too late ({:?} after start): slow sources {:?} had already finished",
        started.elapsed(),
        polled.intersection(&slow_ids).collect::<Vec<_>>()
    );

    let expected = expected_deliveries(&mut reference, &out);
    assert!(
        expected.iter().any(|(src, _, _)| slow_ids.contains(src)),
        "slow sources must have records, or the kill proves nothing"
    );

    let metrics_addr = listen_addr();
    let mut second = Earshot::run(dir, "run-2", &kafka, metrics_addr);
    let complete = e2e::wait_until(Duration::from_secs(40), || {
        reader.read_for(Duration::from_millis(100));
        has_all(&reader.got, &expected) && second.polled_sources().is_superset(&all_ids)
    });
    assert!(
        complete,
        "after the restart, {} of {} deliveries arrived; polled: {:?}",
        consumed_deliveries(&reader).len(),
        expected.len(),
        second.polled_sources()
    );

    // The endpoint of `run`.
    let (status, body) = http_get(metrics_addr, "/healthz").expect("GET /healthz");
    let health: Value = serde_json::from_str(&body).expect("/healthz is JSON");
    assert_eq!(
        (status, health["status"].as_str()),
        (200, Some("ok")),
        "{body}"
    );
    for id in &all_ids {
        assert!(
            health["sources"][id]["last_success"].is_string(),
            "{id} in {body}"
        );
    }
    let (status, metrics) = http_get(metrics_addr, "/metrics").expect("GET /metrics");
    assert_eq!(status, 200);
    for id in &slow_ids {
        let items = metric(&metrics, "earshot_items_total", id);
        assert!(
            items.is_some_and(|n| n > 0.0),
            "{id}: items {items:?} in\n{metrics}"
        );
    }
    // Fast sources were committed with their validators before the kill,
    // so the restart's polls are answered 304.
    for id in &fast_ids {
        let n = metric(&metrics, "earshot_not_modified_total", id);
        assert!(
            n.is_some_and(|n| n > 0.0),
            "{id}: not_modified {n:?} in\n{metrics}"
        );
        assert!(
            metric(&metrics, "earshot_items_total", id).is_some(),
            "{id} has no items_total"
        );
    }

    second.sigterm();
    let status = second.wait(Duration::from_secs(15));
    assert!(
        status.success(),
        "run exited with {status} on SIGTERM:\n{}",
        second.log()
    );

    // Anything sent twice would be readable by now.
    reader.read_for(Duration::from_secs(1));
    let consumed = consumed_deliveries(&reader);
    let repeated: Vec<_> = consumed.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "delivered more than once: {repeated:?}"
    );
    let got: BTreeSet<Delivery> = consumed.into_keys().collect();
    assert_eq!(got, expected);
}

/// A backfill through a relay that is cut 1 s in for 5 s; returns the
/// backfill's log.
fn backfill_across_outage(properties: &[(&str, &str)]) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let fixtures = start_server_thread();
    // The broker advertises the relay, so the producer's every connection
    // goes through it.
    let port = e2e::free_port();
    let relay = Relay::start(([127, 0, 0, 1], port).into());
    let broker = Broker::start_on(dir, port, relay.addr);
    create_topics(&broker);

    // Fast feeds deliver before the outage, 3 s ones during it, 8 s ones
    // after it.
    let mut sources = feeds("fast", "/static", &FEEDS[..4]);
    sources.extend(feeds("during", "/delay/3000", &FEEDS[..4]));
    sources.extend(feeds("after", "/delay/8000", &FEEDS[4..]));
    let (mut reference, out) = start_reference(dir, &fixtures, &sources);
    let kafka = kafka_pipeline(dir, &fixtures, &sources, &broker.bootstrap(), properties);

    let mut backfill = Earshot::backfill(dir, "kafka", &kafka);
    std::thread::sleep(Duration::from_secs(1));
    relay.cut();
    std::thread::sleep(Duration::from_secs(5));
    relay.restore();
    let status = backfill.wait(Duration::from_secs(60));
    assert!(
        status.success(),
        "backfill failed across the outage:\n{}",
        backfill.log()
    );
    assert!(
        relay.refused() > 0,
        "nothing tried to reach the broker during the outage (severed {}), so it tested nothing",
        relay.severed()
    );

    let expected = expected_deliveries(&mut reference, &out);
    let mut reader = Reader::new(&relay.addr.to_string(), &[FEEDBACK_TOPIC], PARTITIONS);
    let complete = reader.read_until(Duration::from_secs(30), |got| has_all(got, &expected));
    // A record whose acknowledgement was lost is produced again: repeats
    // are allowed here (consumers drop them by id), losses are not.
    let got: BTreeSet<Delivery> = consumed_deliveries(&reader).into_keys().collect();
    let missing: Vec<_> = expected.difference(&got).collect();
    assert!(complete, "lost across the outage: {missing:?}");
    assert_eq!(got, expected);
    backfill.log()
}

/// With the producer defaults, librdkafka holds records through the outage
/// and delivers them once the broker is back.
#[test]
fn broker_outage_during_backfill_loses_nothing() {
    backfill_across_outage(&[]);
}

/// An outage longer than `message.timeout.ms`: librdkafka gives records up,
/// and earshot must produce them again itself.
///
/// Idempotence is off here because Tansu refuses the epoch an idempotent
/// librdkafka producer bumps by itself after timed-out requests (every later
/// produce gets ProducerFenced, for ever), which is Tansu's gap, not what
/// this test is about.
#[test]
fn outage_longer_than_message_timeout_is_retried_by_earshot() {
    let log = backfill_across_outage(&[
        ("message.timeout.ms", "2000"),
        ("enable.idempotence", "false"),
    ]);
    assert!(
        log.contains("producing again"),
        "no delivery timed out during the outage, so the retry was not tested:\n{log}"
    );
}

/// The same outage with the default idempotent producer. Tansu may fence the
/// producer after librdkafka bumps its epoch (about one run in five); the
/// sink must then replace the producer rather than produce into the fence
/// for ever, so the backfill still completes with everything delivered.
#[test]
fn outage_longer_than_message_timeout_with_an_idempotent_producer_completes() {
    let log = backfill_across_outage(&[("message.timeout.ms", "2000")]);
    if log.contains("ProducerFenced") {
        assert!(
            log.contains("replacing it"),
            "fenced but not replaced:\n{log}"
        );
    }
}

/// The last revision of each feedback id, in the order given (a topic keeps
/// the order of each key).
fn final_revisions<'a>(records: impl Iterator<Item = &'a Value>) -> BTreeMap<String, String> {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    records.map(|v| (s(&v["id"]), s(&v["revision"]))).collect()
}
