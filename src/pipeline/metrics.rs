//! Prometheus metrics of `run`, and what `[metrics]` sets about them.
//!
//! Counters are labelled by source so an operator sees which feed is quiet,
//! failing, restarted, stopped or slow. Series per source are what a large
//! pipeline pays for (10,000 feeds), so they are few: the fetch-duration
//! histogram, the bulk of them, is coarse by default and can be turned off
//! or made finer ([`SourceHistogram`]). The sink's gauges are read from its
//! [`crate::sink::status::SinkStatus`] when scraped, so they cannot go
//! stale. The endpoint serving them is [`super::exposition::serve`].

use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::health::Health;
use crate::sink::status::Snapshot;

/// `[metrics]`: how much `/metrics` says per source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Per-source fetch-duration histogram: "off", "coarse" (buckets 1s, 5s, 30s, +Inf; the default) or "full" (10 buckets, 50ms to 30s).
    #[serde(default)]
    pub source_histogram: SourceHistogram,
}

/// The buckets of `earshot_fetch_duration_seconds`, one histogram per source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceHistogram {
    /// No histogram: at 10,000 sources it is most of a scrape.
    Off,
    /// Fast, slow, very slow and timed out: 6 series a source.
    #[default]
    Coarse,
    /// Enough to read percentiles: 12 series a source.
    Full,
}

impl SourceHistogram {
    /// A new histogram of this kind (a function, as a metric family wants).
    fn constructor(self) -> Option<fn() -> Histogram> {
        match self {
            SourceHistogram::Off => None,
            SourceHistogram::Coarse => Some(|| Histogram::new([1.0, 5.0, 30.0])),
            SourceHistogram::Full => {
                Some(|| Histogram::new([0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0]))
            }
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SourceLabel {
    pub source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RecordLabel {
    pub source: String,
    pub kind: String,
}

/// A brand of the pipeline file and a sentiment label: both closed sets, so
/// the series stay few however much is read.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MentionLabel {
    pub brand: String,
    /// positive, neutral or negative
    pub sentiment: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabel {
    pub source: String,
    /// fetch, entry or sink
    pub stage: String,
}

/// The pipeline's metrics; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    pub items: Family<SourceLabel, Counter>,
    pub records: Family<RecordLabel, Counter>,
    pub errors: Family<ErrorLabel, Counter>,
    pub not_modified: Family<SourceLabel, Counter>,
    /// `None` with `source_histogram = "off"`.
    fetch_seconds: Option<Family<SourceLabel, Histogram>>,
    /// Unix time of each source's last delivered poll.
    pub last_success: Family<SourceLabel, Gauge>,
    /// Source tasks restarted after a panic.
    pub restarts: Family<SourceLabel, Counter>,
    /// 1 for a source no longer polled (HTTP 410 Gone).
    pub stopped: Family<SourceLabel, Gauge>,
    /// Records set aside because the sink refused them for good.
    pub dead_letters: Family<RecordLabel, Counter>,
    /// Feedback records delivered, by brand and sentiment around the mention.
    pub mentions: Family<MentionLabel, Counter>,
    sink: SinkGauges,
    registry: Arc<Mutex<Registry>>,
}

/// The sink's series, set from its status at each scrape (`run`'s sink,
/// `route`'s producer).
#[derive(Clone, Default)]
pub struct SinkGauges {
    up: Gauge,
    last_delivery: Gauge,
    pending: Gauge,
    errors: Family<KindLabel, Counter>,
}

impl SinkGauges {
    pub fn register(&self, r: &mut Registry) {
        r.register(
            "sink_up",
            "1 while the sink can deliver: no failed send and no broker error since the last success",
            self.up.clone(),
        );
        r.register(
            "sink_last_delivery_timestamp_seconds",
            "Unix time of the sink's last acknowledged delivery",
            self.last_delivery.clone(),
        );
        r.register("sink_pending", "Deliveries in flight", self.pending.clone());
        r.register(
            "sink_errors",
            "Sink and broker failures by kind (transport, tls, auth, timeout, io, other)",
            self.errors.clone(),
        );
    }

    pub fn set(&self, s: &Snapshot) {
        self.up.set(s.up() as i64);
        if let Some(t) = s.last_success {
            self.last_delivery.set(t.timestamp());
        }
        self.pending.set(s.pending as i64);
        for (kind, n) in s.errors {
            let c = self.errors.get_or_create(&KindLabel {
                kind: kind.as_str().into(),
            });
            // The status counts; the counter follows it (it only grows).
            c.inc_by(n.saturating_sub(c.get()));
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(&MetricsConfig::default())
    }
}

impl Metrics {
    pub fn new(config: &MetricsConfig) -> Self {
        let items = Family::<SourceLabel, Counter>::default();
        let records = Family::<RecordLabel, Counter>::default();
        let errors = Family::<ErrorLabel, Counter>::default();
        let not_modified = Family::<SourceLabel, Counter>::default();
        let fetch_seconds = config
            .source_histogram
            .constructor()
            .map(Family::<SourceLabel, Histogram>::new_with_constructor);
        let last_success = Family::<SourceLabel, Gauge>::default();
        let restarts = Family::<SourceLabel, Counter>::default();
        let stopped = Family::<SourceLabel, Gauge>::default();
        let dead_letters = Family::<RecordLabel, Counter>::default();
        let mentions = Family::<MentionLabel, Counter>::default();
        let mut r = Registry::with_prefix("earshot");
        r.register(
            "mentions",
            "Feedback records delivered, by brand and sentiment around the mention",
            mentions.clone(),
        );
        r.register(
            "items",
            "Items read from sources (new, changed or not)",
            items.clone(),
        );
        r.register("records", "Records delivered to the sink", records.clone());
        r.register("errors", "Errors by source and stage", errors.clone());
        r.register(
            "not_modified",
            "Fetches answered 304 Not Modified",
            not_modified.clone(),
        );
        if let Some(f) = &fetch_seconds {
            r.register("fetch_duration_seconds", "Time to poll a source", f.clone());
        }
        r.register(
            "source_last_success_timestamp_seconds",
            "Unix time of the source's last poll whose records were delivered",
            last_success.clone(),
        );
        let sink = SinkGauges::default();
        sink.register(&mut r);
        r.register(
            "source_restarts",
            "Source tasks restarted after a panic",
            restarts.clone(),
        );
        r.register(
            "source_stopped",
            "1 for a source no longer polled (HTTP 410 Gone)",
            stopped.clone(),
        );
        r.register(
            "dead_letters",
            "Records refused for good by the sink and set aside",
            dead_letters.clone(),
        );
        Metrics {
            items,
            restarts,
            stopped,
            dead_letters,
            mentions,
            records,
            errors,
            not_modified,
            fetch_seconds,
            last_success,
            sink,
            registry: Arc::new(Mutex::new(r)),
        }
    }

    /// One poll of `source` took `seconds`.
    pub fn fetched(&self, source: &str, seconds: f64) {
        if let Some(f) = &self.fetch_seconds {
            f.get_or_create(&SourceLabel {
                source: source.into(),
            })
            .observe(seconds);
        }
    }

    /// A poll of `source` was delivered.
    pub fn succeeded(&self, source: &str) {
        self.last_success
            .get_or_create(&SourceLabel {
                source: source.into(),
            })
            .set(chrono::Utc::now().timestamp());
    }

    /// Sets the sink's series from its state now (before a scrape).
    /// Lets another part of the process (the workspace) register its own
    /// series in the same registry, so one scrape reads them all.
    pub fn register(&self, f: impl FnOnce(&mut Registry)) {
        f(&mut self.registry.lock().expect("registry poisoned"));
    }

    pub fn observe_sink(&self, sink: &Snapshot) {
        self.sink.set(sink);
    }

    pub fn error(&self, source: &str, stage: &str, n: u64) {
        self.errors
            .get_or_create(&ErrorLabel {
                source: source.into(),
                stage: stage.into(),
            })
            .inc_by(n);
    }

    pub fn dead_letter(&self, source: &str, kind: &str) {
        self.dead_letters
            .get_or_create(&RecordLabel {
                source: source.into(),
                kind: kind.into(),
            })
            .inc();
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        let r = self.registry.lock().expect("registry poisoned");
        prometheus_client::encoding::text::encode(&mut out, &r).expect("encoding to a String");
        out
    }
}

/// Serves `/healthz` and `/metrics` of `run` until `shutdown` fires.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Metrics,
    health: Health,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    super::exposition::serve(listener, Served::new(metrics, health), shutdown).await
}

/// What `run` serves on `/healthz` and `/metrics`.
#[derive(Clone)]
pub struct Served {
    metrics: Metrics,
    health: Health,
}

impl Served {
    pub fn new(metrics: Metrics, health: Health) -> Served {
        Served { metrics, health }
    }
}

impl super::exposition::Exposed for Served {
    fn health(&self) -> (bool, serde_json::Value) {
        let report = self.health.report();
        let json = serde_json::to_value(&report).expect("the report serializes");
        (report.healthy(), json)
    }

    fn metrics(&self) -> String {
        self.metrics.observe_sink(&self.health.sink());
        self.metrics.encode()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The samples of source `a` after one delivered poll, in the classic
    /// format a scraper reads.
    fn series_of_one_source(histogram: SourceHistogram) -> Vec<String> {
        let m = Metrics::new(&MetricsConfig {
            source_histogram: histogram,
        });
        m.fetched("a", 0.3);
        m.succeeded("a");
        let text = super::super::exposition::classic(&m.encode());
        text.lines()
            .filter(|l| !l.starts_with('#') && l.contains("source=\"a\""))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn the_source_histogram_is_coarse_by_default_and_can_be_off_or_full() {
        let coarse = series_of_one_source(SourceHistogram::default());
        let buckets: Vec<&String> = coarse.iter().filter(|l| l.contains("_bucket")).collect();
        assert_eq!(buckets.len(), 4, "{coarse:?}");
        assert!(
            coarse.iter().any(|l| l
                .starts_with("earshot_fetch_duration_seconds_bucket{le=\"1.0\",source=\"a\"} 1")
                || l.starts_with(
                    "earshot_fetch_duration_seconds_bucket{source=\"a\",le=\"1.0\"} 1"
                )),
            "{coarse:?}"
        );
        let off = series_of_one_source(SourceHistogram::Off);
        assert!(!off.iter().any(|l| l.contains("fetch_duration")), "{off:?}");
        let full = series_of_one_source(SourceHistogram::Full);
        assert_eq!(full.len(), off.len() + 12, "{full:?}");
        assert_eq!(coarse.len(), off.len() + 6);
        assert!(
            off.iter()
                .any(|l| l
                    .starts_with("earshot_source_last_success_timestamp_seconds{source=\"a\"} "))
        );
    }

    #[test]
    fn sink_series_follow_its_status() {
        use crate::sink::status::{ErrorKind, SinkStatus};
        let m = Metrics::default();
        let status = SinkStatus::default();
        status.broker_error(ErrorKind::Tls, "SSL handshake failed");
        m.observe_sink(&status.snapshot());
        let text = m.encode();
        assert!(text.contains("earshot_sink_up 0\n"), "{text}");
        assert!(
            text.contains("earshot_sink_errors_total{kind=\"tls\"} 1\n"),
            "{text}"
        );
        status.broker_error(ErrorKind::Tls, "SSL handshake failed");
        status.begin().succeeded();
        m.observe_sink(&status.snapshot());
        let text = m.encode();
        assert!(text.contains("earshot_sink_up 1\n"), "{text}");
        assert!(
            text.contains("earshot_sink_errors_total{kind=\"tls\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("earshot_sink_last_delivery_timestamp_seconds "),
            "{text}"
        );
    }
}
