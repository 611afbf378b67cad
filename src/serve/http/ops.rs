//! The operations behind both the pages and the API, so that a form and a
//! script are checked and recorded the same way: filing feedback, changing
//! a status, adding a note, an assignment or a contact.

use chrono::Utc;

use super::{may_act, may_see, App, Refusal};
use crate::record::{self, Record};
use crate::route::records::{StatusEvent, StatusKind};
use crate::serve::auth::{hex, random, Actor};
use crate::serve::events::{Activity, ActivityKind};
use crate::serve::intake::{self, Intake};
use crate::serve::view::Case;

/// Where feedback came in: the platform and source id its records carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// Filed by an employee.
    Workspace,
    /// The public form.
    WebForm,
}

impl Channel {
    fn platform(self) -> &'static str {
        match self {
            Channel::Workspace => "workspace",
            Channel::WebForm => "web-form",
        }
    }
}

/// Files checked intake through the same classification, records and sink
/// as fetched items; returns the feedback id once delivered and routed.
pub async fn file(
    app: &App,
    intake: Intake,
    channel: Channel,
    by: Option<&Actor>,
) -> Result<String, Refusal> {
    let now = Utc::now();
    let key = format!("intake:{}", hex(&random::<12>()));
    let item = intake::item(&intake, key, channel.platform(), now);
    let Some(class) = intake::classify(&app.engine.classifier, &item, &intake) else {
        let names: Vec<&str> = app.brands().into_iter().map(|(n, _)| n).collect();
        return Err(Refusal::field(
            "brand",
            format!(
                "the text names none of the brands ({}): choose one",
                names.join(", ")
            ),
        ));
    };
    let ctx = record::Context {
        pipeline: &app.engine.pipeline.name,
        source_id: channel.platform(),
        observed: now,
        update: false,
        influencer_first_seen: None,
        person: None,
        account: None,
        // The author's history as the workspace knows it, so that filing
        // one more mention extends it rather than starting it afresh.
        trajectory: record::influencer_id(&item).and_then(|id| {
            app.desk.read(|v| {
                v.influencer_of(&id)
                    .and_then(|i| i.record.trajectory.clone())
            })
        }),
    };
    let records = record::build(&item, &class, ctx);
    let id = records
        .iter()
        .find_map(|r| match r {
            Record::Feedback(f) => Some(f.id.clone()),
            _ => None,
        })
        .expect("a classification with a mention makes feedback");
    app.engine
        .sink
        .send(channel.platform(), &records)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "Intake not delivered.");
            Refusal::Unavailable(format!(
                "the feedback could not be delivered ({e}); nothing was filed"
            ))
        })?;
    app.metrics.acted("filed");
    let by = by.map_or("public form", |a| a.name.as_str());
    let filed = Activity {
        feedback_id: id.clone(),
        at: now,
        by: by.to_string(),
        what: ActivityKind::Filed {
            category: intake.kind.label().to_string(),
        },
    };
    let noted = match &app.kafka {
        // On Kafka the feedback is routed later, by route: the note waits
        // in the activity topic and joins the case when it arrives.
        Some(k) => k
            .activity(&app.engine.sink, &app.desk, filed)
            .await
            .map_err(|e| e.to_string()),
        None => app.desk.activity(filed).map_err(|e| e.to_string()),
    };
    if let Err(e) = noted {
        // The feedback is filed; only who filed it is missing.
        tracing::warn!(error = %e, feedback = %id, "Filing not noted in the history.");
    }
    Ok(id)
}

/// The case `id`, if `actor` may see its queue.
pub fn visible(app: &App, actor: &Actor, id: &str) -> Result<Case, Refusal> {
    let case = app
        .desk
        .read(|v| v.case(id).cloned())
        .ok_or_else(|| Refusal::NotFound(format!("no feedback with id `{id}`")))?;
    if !may_see(app, actor, case.queue()) {
        return Err(Refusal::Forbidden(format!(
            "`{}` may not see queue `{}`",
            actor.name,
            case.queue()
        )));
    }
    Ok(case)
}

fn text(
    field: &str,
    value: Option<String>,
    max: usize,
    required: bool,
) -> Result<Option<String>, Refusal> {
    let v = value
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    match v {
        None if required => Err(Refusal::field(field, "missing")),
        Some(s) if s.chars().count() > max => Err(Refusal::field(
            field,
            format!("longer than {max} characters"),
        )),
        v => Ok(v),
    }
}

/// Reads a status name as the API and the forms send it.
pub fn parse_status(s: &str) -> Result<StatusKind, Refusal> {
    match s.trim().to_ascii_lowercase().as_str() {
        "acknowledged" => Ok(StatusKind::Acknowledged),
        "resolved" => Ok(StatusKind::Resolved),
        "reopened" => Ok(StatusKind::Reopened),
        other => Err(Refusal::field(
            "status",
            format!("`{other}` is not one of acknowledged, resolved, reopened"),
        )),
    }
}

/// Records a status change by `actor`.
pub async fn set_status(
    app: &App,
    actor: &Actor,
    id: &str,
    status: StatusKind,
    note: Option<String>,
) -> Result<(), Refusal> {
    may_act(actor)?;
    visible(app, actor, id)?;
    let note = text("note", note, 2000, false)?;
    let ev = StatusEvent {
        feedback_id: id.to_string(),
        status,
        at: Utc::now(),
        by: Some(actor.name.clone()),
        note,
    };
    let action = format!("{status:?}").to_lowercase();
    match &app.kafka {
        Some(k) => k.status(&app.engine.sink, &app.desk, ev).await?,
        None => app.desk.status(ev)?,
    }
    app.metrics.acted(&action);
    Ok(())
}

/// What a person can add to a case besides a status.
#[derive(Debug, Default, serde::Deserialize)]
pub struct RawActivity {
    #[serde(default)]
    pub kind: String,
    pub text: Option<String>,
    pub to: Option<String>,
    pub channel: Option<String>,
    pub summary: Option<String>,
    /// contact: started by the company unasked (counts against the cap).
    #[serde(default)]
    pub proactive: bool,
}

/// Records a note, an assignment or a contact by `actor`.
pub async fn act(app: &App, actor: &Actor, id: &str, raw: RawActivity) -> Result<(), Refusal> {
    may_act(actor)?;
    visible(app, actor, id)?;
    let what = match raw.kind.trim() {
        "note" => ActivityKind::Note {
            text: text("text", raw.text, 5000, true)?.unwrap_or_default(),
        },
        "assigned" | "assign" => {
            let to = text("to", raw.to, 64, false)?;
            if let Some(name) = &to {
                if app.cfg.user(name).is_none() {
                    return Err(Refusal::field("to", format!("no user named `{name}`")));
                }
            }
            ActivityKind::Assigned { to }
        }
        "contact" => {
            if raw.proactive {
                capped(app, id)?;
            }
            ActivityKind::Contact {
                channel: text("channel", raw.channel, 100, true)?.unwrap_or_default(),
                summary: text("summary", raw.summary, 5000, true)?.unwrap_or_default(),
                proactive: raw.proactive,
            }
        }
        other => {
            return Err(Refusal::field(
                "kind",
                format!("`{other}` is not one of note, assigned, contact"),
            ))
        }
    };
    let action = match &what {
        ActivityKind::Filed { .. } => "filed",
        ActivityKind::Note { .. } => "note",
        ActivityKind::Assigned { .. } => "assigned",
        ActivityKind::Contact { .. } => "contact",
    };
    let a = Activity {
        feedback_id: id.to_string(),
        at: Utc::now(),
        by: actor.name.clone(),
        what,
    };
    match &app.kafka {
        Some(k) => k.activity(&app.engine.sink, &app.desk, a).await?,
        None => app.desk.activity(a)?,
    }
    app.metrics.acted(action);
    Ok(())
}

/// Refuses a proactive contact with the author of case `id` once the
/// person reached the cap of `[serve.contact]`. Checked against what this
/// instance has seen: on Kafka a contact logged on another instance a
/// moment ago may not have arrived yet, so the cap is a guard, not a lock.
fn capped(app: &App, id: &str) -> Result<(), Refusal> {
    let s = contact_standing(app, id, Utc::now());
    match s {
        Some(s) if s.capped => Err(Refusal::Conflict(format!(
            "not logged as proactive: {}",
            s.cap_message()
        ))),
        _ => Ok(()),
    }
}

/// Where the author of case `id` stands against the contact policy; none
/// when the case has no known author.
pub fn contact_standing(
    app: &App,
    id: &str,
    now: chrono::DateTime<Utc>,
) -> Option<crate::serve::contact::Standing> {
    app.desk.read(|v| {
        let author = v.case(id)?.routed.feedback.influencer_id.clone()?;
        Some(v.contact_standing(&author, &app.cfg.contact, now))
    })
}

/// A queue listing's query: `brand`, `priority` (this or higher),
/// `intent`, `state=acknowledged`, `page` (from 1).
pub fn listing(
    q: &std::collections::HashMap<String, String>,
    page_size: usize,
) -> Result<(crate::serve::view::Filter, usize), Refusal> {
    use crate::serve::view::Filter;
    let given = |k: &str| q.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let name = |k: &str| given(k).map(|s| serde_json::Value::String(s.to_ascii_lowercase()));
    let mut f = Filter {
        brand: given("brand").map(str::to_string),
        ..Filter::default()
    };
    if let Some(v) = name("priority") {
        f.priority = Some(
            serde_json::from_value(v)
                .map_err(|_| Refusal::field("priority", "one of low, normal, high, urgent"))?,
        );
    }
    if let Some(v) = name("intent") {
        f.intent = Some(serde_json::from_value(v).map_err(|_| {
            Refusal::field(
                "intent",
                "one of complaint, question, praise, feature_request, churn_risk, purchase_intent",
            )
        })?);
    }
    match given("state") {
        None | Some("waiting") => {}
        Some("acknowledged") => f.acknowledged = true,
        Some(other) => {
            return Err(Refusal::field(
                "state",
                format!("`{other}` is not one of waiting, acknowledged"),
            ))
        }
    }
    let page = match given("page") {
        None => 1,
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|p| (1..=1_000_000).contains(p))
            .ok_or_else(|| Refusal::field("page", "a page number from 1"))?,
    };
    Ok((f, (page - 1) * page_size))
}
