//! Prometheus metrics and the `/healthz` + `/metrics` endpoint of `run`.
//!
//! Counters are labelled by source so an operator sees which feed is quiet,
//! failing, restarted, stopped or slow. `/healthz` is the JSON report of
//! [`super::health`], served with 503 when the sink is stuck. The HTTP
//! server is axum on a listener the caller binds (port 0 in tests), stopped
//! by the same shutdown token as the pipeline.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

use super::health::Health;

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
    pub fetch_seconds: Family<SourceLabel, Histogram>,
    /// Source tasks restarted after a panic.
    pub restarts: Family<SourceLabel, Counter>,
    /// 1 for a source no longer polled (HTTP 410 Gone).
    pub stopped: Family<SourceLabel, Gauge>,
    /// Records set aside because the sink refused them for good.
    pub dead_letters: Family<RecordLabel, Counter>,
    /// Feedback records delivered, by brand and sentiment around the mention.
    pub mentions: Family<MentionLabel, Counter>,
    registry: Arc<Mutex<Registry>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let items = Family::<SourceLabel, Counter>::default();
        let records = Family::<RecordLabel, Counter>::default();
        let errors = Family::<ErrorLabel, Counter>::default();
        let not_modified = Family::<SourceLabel, Counter>::default();
        let fetch_seconds = Family::<SourceLabel, Histogram>::new_with_constructor(|| {
            Histogram::new([0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0])
        });
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
        r.register(
            "fetch_duration_seconds",
            "Time to poll a source",
            fetch_seconds.clone(),
        );
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
            registry: Arc::new(Mutex::new(r)),
        }
    }
}

impl Metrics {
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

#[derive(Clone)]
struct Served {
    metrics: Metrics,
    health: Health,
}

async fn healthz(State(s): State<Served>) -> impl IntoResponse {
    let report = s.health.report();
    let status = match report.healthy() {
        true => StatusCode::OK,
        false => StatusCode::SERVICE_UNAVAILABLE,
    };
    let mut body = serde_json::to_string_pretty(&report).expect("the report serializes");
    body.push('\n');
    (status, [(header::CONTENT_TYPE, "application/json")], body)
}

async fn metrics(State(s): State<Served>, headers: axum::http::HeaderMap) -> impl IntoResponse {
    use super::exposition::{classic, wants_openmetrics, CLASSIC, OPENMETRICS};
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let text = s.metrics.encode();
    match wants_openmetrics(accept) {
        true => ([(header::CONTENT_TYPE, OPENMETRICS)], text),
        false => ([(header::CONTENT_TYPE, CLASSIC)], classic(&text)),
    }
}

/// `/healthz` and `/metrics`, to serve alone or beside other routes.
pub fn router(metrics: Metrics, health: Health) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(self::metrics))
        .with_state(Served { metrics, health })
}

/// Serves `/healthz` and `/metrics` until `shutdown` fires.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Metrics,
    health: Health,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = router(metrics, health);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}
