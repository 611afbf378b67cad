//! What `earshot route` serves on `/healthz` and `/metrics` (through the
//! same endpoint as `run`, [`crate::pipeline::exposition::serve`]).
//!
//! The consumer loop attaches its consumer's client context (which keeps
//! each assigned partition's lag from librdkafka's statistics, and the
//! brokers' errors) and its producer's status, and hands over its counts
//! after every batch. A scrape reads them as they are then, so a partition
//! that moved to another instance leaves this one's lag at once. Health is
//! judged as `run` judges it: unhealthy once output has waited longer than
//! `sink.stuck_after`; the consumer's broker errors are reported, not judged.
//! The people loop ([`super::people`]) attaches its consumer and reports its
//! counts beside the routing loop's: its lag joins the same series, and its
//! disengagement alerts are counted as `event="disengagement"`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use serde_json::json;

use super::decider::Stats;
use crate::pipeline::health::SinkHealth;
use crate::pipeline::metrics::SinkGauges;
use crate::sink::kafka::context::BrokerContext;
use crate::sink::status::SinkStatus;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PartitionLabel {
    topic: String,
    partition: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabel {
    /// routed, repeat, status, immediate, deadline, spike, disengagement or bad
    event: String,
}

#[derive(Default)]
struct Attached {
    consumer: Option<BrokerContext>,
    producer: Option<SinkStatus>,
    stats: Stats,
    /// The people loop's consumer and counts.
    people: Option<BrokerContext>,
    people_stats: Stats,
}

/// Shared by the consumer loop (which attaches and reports) and the
/// endpoint (which reads). Cheap to clone.
#[derive(Clone)]
pub struct Observer {
    attached: Arc<Mutex<Attached>>,
    stuck_after: Duration,
    lag: Family<PartitionLabel, Gauge>,
    events: Family<EventLabel, Counter>,
    sink: SinkGauges,
    registry: Arc<Mutex<Registry>>,
}

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observer").finish_non_exhaustive()
    }
}

impl Default for Observer {
    fn default() -> Self {
        Observer::new(crate::sink::Delivery::DEFAULT_STUCK_AFTER)
    }
}

impl Observer {
    pub fn new(stuck_after: Duration) -> Observer {
        let lag = Family::<PartitionLabel, Gauge>::default();
        let events = Family::<EventLabel, Counter>::default();
        let sink = SinkGauges::default();
        let mut r = Registry::with_prefix("earshot");
        r.register(
            "route_consumer_lag",
            "Messages behind the high watermark, per assigned partition (librdkafka's statistics)",
            lag.clone(),
        );
        r.register(
            "route_events",
            "What route did: routed, repeat, status, immediate, deadline, spike, disengagement, bad",
            events.clone(),
        );
        sink.register(&mut r);
        Observer {
            attached: Arc::new(Mutex::new(Attached::default())),
            stuck_after,
            lag,
            events,
            sink,
            registry: Arc::new(Mutex::new(r)),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Attached> {
        self.attached.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The consumer and producer of the loop, once created.
    pub fn attach(&self, consumer: BrokerContext, producer: SinkStatus) {
        let mut a = self.lock();
        a.consumer = Some(consumer);
        a.producer = Some(producer);
    }

    /// The loop's counts so far.
    pub fn stats(&self, stats: &Stats) {
        self.lock().stats = stats.clone();
    }

    /// The people loop's consumer, once created.
    pub fn attach_people(&self, consumer: BrokerContext) {
        self.lock().people = Some(consumer);
    }

    /// The people loop's counts so far.
    pub fn people_stats(&self, stats: &Stats) {
        self.lock().people_stats = stats.clone();
    }
}

impl crate::pipeline::exposition::Exposed for Observer {
    fn health(&self) -> (bool, serde_json::Value) {
        let a = self.lock();
        let sink = a
            .producer
            .as_ref()
            .map(|p| SinkHealth::of(p.snapshot(), self.stuck_after));
        let consumer = a.consumer.as_ref().map(|c| {
            let status = c.status().snapshot();
            let lag = c.lag();
            json!({
                "status": if status.up() { "ok" } else { "down" },
                "last_error": status.reason(),
                "lag_total": lag.values().sum::<i64>(),
                "lag": lag.iter().map(|((t, p), n)| (format!("{t}[{p}]"), *n)).collect::<std::collections::BTreeMap<_, _>>(),
            })
        });
        let healthy = !sink.as_ref().is_some_and(SinkHealth::stuck);
        let report = json!({
            "status": if healthy { "ok" } else { "unhealthy" },
            // Null until the consumer is created and the topics checked.
            "consumer": consumer,
            "sink": sink,
        });
        (healthy, report)
    }

    fn metrics(&self) -> String {
        {
            let a = self.lock();
            self.lag.clear();
            for c in a.consumer.iter().chain(&a.people) {
                for ((topic, partition), n) in c.lag() {
                    let label = PartitionLabel {
                        topic,
                        partition: partition.to_string(),
                    };
                    self.lag.get_or_create(&label).set(n);
                }
            }
            if let Some(p) = &a.producer {
                self.sink.set(&p.snapshot());
            }
            let (s, p) = (&a.stats, &a.people_stats);
            for (event, n) in [
                ("routed", s.routed),
                ("repeat", s.repeats),
                ("status", s.statuses),
                ("immediate", s.immediate),
                ("deadline", s.deadline),
                ("spike", s.spikes),
                ("disengagement", s.disengagement + p.disengagement),
                ("bad", s.bad + p.bad),
            ] {
                let c = self.events.get_or_create(&EventLabel {
                    event: event.into(),
                });
                c.inc_by(n.saturating_sub(c.get()));
            }
        }
        let mut out = String::new();
        let r = self.registry.lock().expect("registry poisoned");
        prometheus_client::encoding::text::encode(&mut out, &r).expect("encoding to a String");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::exposition::Exposed;

    fn count(text: &str, event: &str) -> Option<u64> {
        let prefix = format!("earshot_route_events_total{{event=\"{event}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map(|n| n.parse().unwrap())
    }

    #[test]
    fn the_people_loops_alerts_are_counted_beside_routes() {
        let o = Observer::default();
        o.stats(&Stats {
            routed: 4,
            bad: 1,
            ..Stats::default()
        });
        o.people_stats(&Stats {
            disengagement: 2,
            bad: 1,
            ..Stats::default()
        });
        let text = o.metrics();
        assert_eq!(count(&text, "disengagement"), Some(2), "{text}");
        assert_eq!(count(&text, "routed"), Some(4));
        assert_eq!(count(&text, "bad"), Some(2));
        // Counters only go up: a later report adds what is new.
        o.people_stats(&Stats {
            disengagement: 3,
            ..Stats::default()
        });
        assert_eq!(count(&o.metrics(), "disengagement"), Some(3));
    }
}
