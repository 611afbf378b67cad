//! The two text formats Prometheus scrapers read, chosen by `Accept`.
//!
//! prometheus-client writes OpenMetrics, where a counter family is named
//! without its `_total` suffix (`# TYPE earshot_items counter`, sample
//! `earshot_items_total`). A scraper or tool that asks for the classic text
//! format (version 0.0.4, what `promtool check metrics` and many agents
//! read) then sees samples of no declared family and reads them as untyped.
//! [`classic`] rewrites the OpenMetrics text into the classic format: counter
//! families renamed to their samples' names, no `# UNIT` or `# EOF` lines.
//!
//! [`serve`] is the one HTTP endpoint of the long-running commands (`run`,
//! `route`): `/healthz` (JSON, 503 when unhealthy) and `/metrics`, for
//! whatever [`Exposed`] they give it. It is axum on a listener the caller
//! binds (port 0 in tests), stopped by the command's shutdown token.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio_util::sync::CancellationToken;

/// What a command serves on `/healthz` and `/metrics`.
pub trait Exposed: Clone + Send + Sync + 'static {
    /// Whether it is healthy, and the JSON report saying why.
    fn health(&self) -> (bool, serde_json::Value);
    /// Its metrics as OpenMetrics text.
    fn metrics(&self) -> String;
}

async fn healthz<E: Exposed>(State(e): State<E>) -> impl IntoResponse {
    let (healthy, report) = e.health();
    let status = match healthy {
        true => StatusCode::OK,
        false => StatusCode::SERVICE_UNAVAILABLE,
    };
    let mut body = serde_json::to_string_pretty(&report).expect("JSON serializes");
    body.push('\n');
    (status, [(header::CONTENT_TYPE, "application/json")], body)
}

async fn metrics<E: Exposed>(State(e): State<E>, headers: HeaderMap) -> impl IntoResponse {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let text = e.metrics();
    match wants_openmetrics(accept) {
        true => ([(header::CONTENT_TYPE, OPENMETRICS)], text),
        false => ([(header::CONTENT_TYPE, CLASSIC)], classic(&text)),
    }
}

/// `/healthz` and `/metrics` of `exposed`, to serve alone or beside other
/// routes (the workspace's).
pub fn router<E: Exposed>(exposed: E) -> Router {
    Router::new()
        .route("/healthz", get(healthz::<E>))
        .route("/metrics", get(metrics::<E>))
        .with_state(exposed)
}

/// Serves `/healthz` and `/metrics` until `shutdown` fires.
pub async fn serve<E: Exposed>(
    listener: tokio::net::TcpListener,
    exposed: E,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = router(exposed);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

/// The content type of OpenMetrics text.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The content type of the classic text format.
pub const CLASSIC: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whether an `Accept` header asks for OpenMetrics (Prometheus itself does,
/// with quality values); anything else gets the classic format.
pub fn wants_openmetrics(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',').any(|part| {
            let mut params = part.split(';').map(str::trim);
            let media = params.next().unwrap_or_default();
            let refused = params.any(|p| p.replace(' ', "") == "q=0");
            media.eq_ignore_ascii_case("application/openmetrics-text") && !refused
        })
    })
}

/// OpenMetrics text in the classic text format.
pub fn classic(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_once(' '))
        .filter(|(_, kind)| kind.trim() == "counter")
        .map(|(name, _)| name)
        .collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|p| line.strip_prefix(p).map(|rest| (p, rest)));
        match meta {
            Some((prefix, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                let suffix = if counters.contains(name) && !name.ends_with("_total") {
                    "_total"
                } else {
                    ""
                };
                out.push_str(&format!("{prefix}{name}{suffix} {tail}"));
            }
            // A counter's `_created` sample has no place in the classic format.
            None if counters
                .iter()
                .any(|c| line.starts_with(&format!("{c}_created"))) =>
            {
                continue
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OM: &str = "# HELP earshot_items Items read.\n# TYPE earshot_items counter\n\
        earshot_items_total{source=\"a\"} 3\nearshot_items_created{source=\"a\"} 1.7e9\n\
        # HELP earshot_fetch_seconds Fetch time.\n# TYPE earshot_fetch_seconds histogram\n\
        # UNIT earshot_fetch_seconds seconds\nearshot_fetch_seconds_bucket{le=\"+Inf\"} 1\n\
        earshot_fetch_seconds_sum 0.5\nearshot_fetch_seconds_count 1\n\
        # HELP earshot_up Up.\n# TYPE earshot_up gauge\nearshot_up 1\n# EOF\n";

    #[test]
    fn counters_are_named_as_their_samples_and_openmetrics_only_lines_go() {
        let c = classic(OM);
        assert!(
            c.contains("# HELP earshot_items_total Items read.\n"),
            "{c}"
        );
        assert!(c.contains("# TYPE earshot_items_total counter\n"), "{c}");
        assert!(c.contains("earshot_items_total{source=\"a\"} 3\n"), "{c}");
        assert!(!c.contains("_created"), "{c}");
        assert!(
            c.contains("# TYPE earshot_fetch_seconds histogram\n"),
            "{c}"
        );
        assert!(c.contains("# TYPE earshot_up gauge\nearshot_up 1\n"), "{c}");
        assert!(!c.contains("# EOF") && !c.contains("# UNIT"), "{c}");
    }

    #[test]
    fn openmetrics_only_when_asked_for() {
        let prometheus = "application/openmetrics-text;version=1.0.0;q=0.5,\
                          application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.1";
        assert!(wants_openmetrics(Some(prometheus)));
        assert!(!wants_openmetrics(Some("text/plain;version=0.0.4")));
        assert!(!wants_openmetrics(Some("*/*")));
        assert!(!wants_openmetrics(None));
        assert!(!wants_openmetrics(Some(
            "application/openmetrics-text; q=0"
        )));
    }
}
