//! The JSON API: the workspace's operations for scripts and other tools,
//! described by the OpenAPI document at `/api/openapi.json`. The names are
//! a contract (scripts rely on them); see `openapi.json` beside this file.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{json, Value};

use super::ops::{self, Channel, RawActivity};
use super::{actor, cookie, may_see, Json, Refusal, Shared, Via};
use crate::serve::auth::{Actor, CSRF_COOKIE};
use crate::serve::intake::{self, RawIntake};

type Reply = Result<axum::response::Response, Json>;

const OPENAPI: &str = include_str!("openapi.json");

pub async fn openapi() -> impl IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        OPENAPI,
    )
}

/// The caller; for a change made with a session, its CSRF header too.
fn caller(app: &Shared, headers: &HeaderMap, changes: bool) -> Result<Actor, Json> {
    let (a, via) = actor(app, headers).ok_or(Json(Refusal::Unauthorized))?;
    if changes && via == Via::Session {
        let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
        if !app.keys.csrf_ok(cookie(headers, CSRF_COOKIE), token) {
            return Err(Json(Refusal::Forbidden(
                "missing or wrong X-CSRF-Token for this session".into(),
            )));
        }
    }
    Ok(a)
}

fn body<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, Json> {
    serde_json::from_slice(bytes).map_err(|e| {
        Json(Refusal::field(
            "body",
            format!("not the JSON expected: {e}"),
        ))
    })
}

pub async fn queues(State(app): State<Shared>, headers: HeaderMap) -> Reply {
    let who = caller(&app, &headers, false)?;
    let now = chrono::Utc::now();
    let list: Vec<_> = app.desk.read(|v| {
        v.queue_names()
            .filter(|q| may_see(&app, &who, q))
            .map(|q| v.summary(q, now))
            .collect()
    });
    Ok(axum::Json(list).into_response())
}

pub async fn queue(
    State(app): State<Shared>,
    Path(queue): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Reply {
    let who = caller(&app, &headers, false)?;
    if !app.desk.read(|v| v.has_queue(&queue)) {
        return Err(Json(Refusal::NotFound(format!("no queue `{queue}`"))));
    }
    if !may_see(&app, &who, &queue) {
        return Err(Json(Refusal::Forbidden(format!(
            "`{}` may not see queue `{queue}`",
            who.name
        ))));
    }
    let limit = match q.get("limit").map(|s| s.trim().parse::<usize>()) {
        None => app.cfg.page_size,
        Some(Ok(n)) if (1..=500).contains(&n) => n,
        Some(_) => {
            return Err(Json(Refusal::field(
                "limit",
                "a whole number from 1 to 500",
            )))
        }
    };
    let (filter, offset) = ops::listing(&q, limit).map_err(Json)?;
    let (items, total) = app.desk.read(|v| {
        let p = v.page(&queue, &filter, offset, limit);
        let items: Vec<Value> = p
            .cases
            .iter()
            .map(|c| serde_json::to_value(&c.routed).expect("routed records serialize"))
            .collect();
        (items, p.total)
    });
    Ok(axum::Json(json!({ "items": items, "total": total })).into_response())
}

pub async fn case(State(app): State<Shared>, Path(id): Path<String>, headers: HeaderMap) -> Reply {
    let who = caller(&app, &headers, false)?;
    let case = ops::visible(&app, &who, &id).map_err(Json)?;
    let influencer = case.routed.feedback.influencer_id.as_ref().and_then(|i| {
        app.desk
            .read(|v| v.influencer_of(i).map(|i| i.record.clone()))
    });
    Ok(axum::Json(json!({
        "feedback": case.routed,
        "state": case.state,
        "deadline": case.deadline,
        "assignee": case.assignee,
        "history": case.history,
        "influencer": influencer,
        "contact": ops::contact_standing(&app, &id, chrono::Utc::now()),
    }))
    .into_response())
}

pub async fn intake(State(app): State<Shared>, headers: HeaderMap, bytes: Bytes) -> Reply {
    let who = caller(&app, &headers, true)?;
    super::may_act(&who).map_err(Json)?;
    let raw: RawIntake = body(&bytes)?;
    let checked = intake::check(&raw, &app.brands()).map_err(|f| Json(Refusal::Fields(f)))?;
    let id = ops::file(&app, checked, Channel::Workspace, Some(&who))
        .await
        .map_err(Json)?;
    Ok((StatusCode::CREATED, axum::Json(json!({ "id": id }))).into_response())
}

#[derive(Deserialize)]
struct StatusBody {
    #[serde(default)]
    status: String,
    note: Option<String>,
}

pub async fn status(
    State(app): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Reply {
    let who = caller(&app, &headers, true)?;
    let b: StatusBody = body(&bytes)?;
    let status = ops::parse_status(&b.status).map_err(Json)?;
    ops::set_status(&app, &who, &id, status, b.note)
        .await
        .map_err(Json)?;
    Ok(axum::Json(json!({ "id": id, "status": status })).into_response())
}

pub async fn activity(
    State(app): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Reply {
    let who = caller(&app, &headers, true)?;
    let raw: RawActivity = body(&bytes)?;
    ops::act(&app, &who, &id, raw).await.map_err(Json)?;
    Ok(axum::Json(json!({ "id": id })).into_response())
}
