//! The workspace's HTTP edge: routes, who is asking, and how refusals look.
//!
//! Pages ([`pages`], [`forms`]) and the JSON API ([`api`]) call the same
//! desk and the same intake path; only the rendering differs. A request is
//! authenticated by the API token (`Authorization: Bearer`, an admin) or a
//! session cookie; a state-changing request made with a session must carry
//! the CSRF token of its form (or `X-CSRF-Token` for the API). Refusals name
//! what is wrong: 400 with the fields at fault, 401, 403, 404, 413, 429.

mod api;
mod forms;
mod layout;
mod ops;
mod pages;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::auth::{self, Actor, Keys, RateLimit};
use super::config::{Role, ServeConfig};
use super::desk::{Desk, DeskError};
use super::intake::FieldError;
use crate::pipeline::Engine;

/// Login attempts taken per client address per hour.
pub const LOGINS_PER_HOUR: u32 = 30;

/// Largest request body taken, in bytes; the public form has its own cap.
const MAX_BODY: usize = 64 * 1024;

/// Everything a handler needs.
pub struct App {
    pub engine: Arc<Engine>,
    pub desk: Arc<Desk>,
    pub cfg: ServeConfig,
    pub keys: Keys,
    pub limiter: Mutex<RateLimit>,
    /// Login attempts per client address: argon2 costs a core's tens of
    /// milliseconds, and guessing must stay slow.
    pub logins: Mutex<RateLimit>,
    /// The workspace's series in `/metrics`.
    pub metrics: crate::serve::metrics::WorkspaceMetrics,
    /// On Kafka: where people's changes are written. None when embedded.
    pub kafka: Option<crate::serve::kafka::Writer>,
    /// Embedded with `[notify]`: the desk's new alerts, until the notifier
    /// task takes them.
    pub alerts:
        Mutex<Option<tokio::sync::mpsc::UnboundedReceiver<crate::route::records::AlertRecord>>>,
}

impl App {
    pub fn title(&self) -> &str {
        self.cfg
            .title
            .as_deref()
            .unwrap_or(&self.engine.pipeline.name)
    }

    /// The configured brands with their products' names.
    pub fn brands(&self) -> Vec<(&str, Vec<&str>)> {
        self.engine
            .pipeline
            .brands
            .iter()
            .map(|b| {
                let products = b.products.iter().map(|p| p.name.as_str()).collect();
                (b.name.as_str(), products)
            })
            .collect()
    }
}

pub type Shared = Arc<App>;

/// Every route of the workspace, with `/healthz` and `/metrics`.
pub fn router(app: Shared) -> Router {
    let health = crate::pipeline::exposition::router(Exposed {
        served: crate::pipeline::metrics::Served::new(
            app.engine.metrics.clone(),
            app.engine.health.clone(),
        ),
        app: app.clone(),
    });
    let public_cap = app
        .cfg
        .public_form
        .as_ref()
        .map_or(MAX_BODY, |f| f.max_bytes * 3 + 4096);
    Router::new()
        .route("/", get(|| async { Redirect::to("/queues") }))
        .route("/login", get(forms::login_page).post(forms::login))
        .route("/logout", post(forms::logout))
        .route("/queues", get(pages::queues))
        .route("/queues/{queue}", get(pages::queue))
        .route("/feedback/{id}", get(pages::case))
        .route("/feedback/{id}/status", post(forms::status))
        .route("/feedback/{id}/activity", post(forms::activity))
        .route("/influencers/{id}", get(pages::influencer))
        .route("/brands", get(pages::brands))
        .route("/brands/{brand}", get(pages::brand))
        .route("/alerts", get(pages::alerts))
        .route("/new", get(forms::new_page).post(forms::new))
        .route(
            "/feedback",
            get(forms::public_page)
                .post(forms::public)
                .layer(DefaultBodyLimit::max(public_cap)),
        )
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/queues", get(api::queues))
        .route("/api/queues/{queue}", get(api::queue))
        .route("/api/feedback", post(api::intake))
        .route("/api/feedback/{id}", get(api::case))
        .route("/api/feedback/{id}/status", post(api::status))
        .route("/api/feedback/{id}/activity", post(api::activity))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
        .merge(health)
}

/// `/healthz` and `/metrics`: the pipeline's, with the queues' gauges set
/// from the view at each scrape.
#[derive(Clone)]
struct Exposed {
    served: crate::pipeline::metrics::Served,
    app: Shared,
}

impl crate::pipeline::exposition::Exposed for Exposed {
    fn health(&self) -> (bool, serde_json::Value) {
        self.served.health()
    }

    fn metrics(&self) -> String {
        self.app.desk.read(|v| self.app.metrics.observe(v));
        self.served.metrics()
    }
}

/// Serves the workspace on `listener` until `shutdown` fires.
pub async fn serve(
    app: Shared,
    listener: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
}

/// A cookie's value from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Who is asking, if anyone: the API token, else a session.
pub fn actor(app: &App, headers: &HeaderMap) -> Option<(Actor, Via)> {
    if let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    {
        return app.keys.api_token_ok(token.trim()).then(|| {
            let a = Actor {
                name: "api".into(),
                role: Role::Admin,
            };
            (a, Via::Token)
        });
    }
    let name = app.keys.session_user(
        cookie(headers, auth::SESSION_COOKIE)?,
        Utc::now().timestamp(),
    )?;
    let user = app.cfg.user(name)?;
    Some((
        Actor {
            name: user.name.clone(),
            role: user.role,
        },
        Via::Session,
    ))
}

/// How a request was authenticated: a session must also pass CSRF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Token,
    Session,
}

/// A refusal, rendered as JSON for the API and as a page for people.
#[derive(Debug)]
pub enum Refusal {
    Fields(Vec<FieldError>),
    Unauthorized,
    Forbidden(String),
    NotFound(String),
    TooMany(std::time::Duration),
    Unavailable(String),
    /// The action clashes with what the workspace holds (a cap reached).
    Conflict(String),
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Refusal::Fields(_) => StatusCode::BAD_REQUEST,
            Refusal::Unauthorized => StatusCode::UNAUTHORIZED,
            Refusal::Forbidden(_) => StatusCode::FORBIDDEN,
            Refusal::NotFound(_) => StatusCode::NOT_FOUND,
            Refusal::TooMany(_) => StatusCode::TOO_MANY_REQUESTS,
            Refusal::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::Conflict(_) => StatusCode::CONFLICT,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::Fields(f) => f
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
            Refusal::Unauthorized => "log in, or send the API token as a bearer token".into(),
            Refusal::Forbidden(m)
            | Refusal::NotFound(m)
            | Refusal::Unavailable(m)
            | Refusal::Conflict(m) => m.clone(),
            Refusal::TooMany(wait) => format!(
                "too many submissions from this address; try again in {} minutes",
                wait.as_secs().div_ceil(60).max(1)
            ),
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Refusal {
        Refusal::Fields(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }
}

impl From<crate::serve::kafka::WriteError> for Refusal {
    fn from(e: crate::serve::kafka::WriteError) -> Refusal {
        tracing::error!(error = %e, "Workspace write to Kafka failed.");
        Refusal::Unavailable(e.to_string())
    }
}

impl From<DeskError> for Refusal {
    fn from(e: DeskError) -> Refusal {
        match e {
            DeskError::Unknown(_) => Refusal::NotFound(e.to_string()),
            DeskError::Store(e) => {
                tracing::error!(error = %e, "Workspace store write failed.");
                Refusal::Unavailable(
                    "the workspace could not store this; nothing was changed".into(),
                )
            }
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a [FieldError]>,
}

/// The API's form of a refusal.
pub struct Json(pub Refusal);

impl IntoResponse for Json {
    fn into_response(self) -> Response {
        let r = self.0;
        let body = ErrorBody {
            error: r.message(),
            fields: match &r {
                Refusal::Fields(f) => Some(f),
                _ => None,
            },
        };
        let mut resp = (r.status(), axum::Json(body)).into_response();
        if let Refusal::TooMany(wait) = r {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, wait.as_secs().max(1).into());
        }
        resp
    }
}

/// Whether `actor` may see `queue`.
pub fn may_see(app: &App, actor: &Actor, queue: &str) -> bool {
    app.cfg.may_see(&actor.name, actor.role, queue)
}

/// Whether `actor` may act on cases (members and admins).
pub fn may_act(actor: &Actor) -> Result<(), Refusal> {
    if actor.role >= Role::Member {
        Ok(())
    } else {
        Err(Refusal::Forbidden(format!(
            "`{}` is a {}: only members and admins act on feedback",
            actor.name,
            actor.role.as_str()
        )))
    }
}
