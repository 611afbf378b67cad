//! The pages people read: queues, a queue, a feedback with its history
//! and actions, an influencer, a brand, the alerts. Rendered on the server
//! from the view; every action is a plain form (see [`super::forms`]).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, TimeDelta, Utc};
use maud::{html, Markup, PreEscaped};

use super::layout::Ctx;
use super::{may_see, ops, Refusal, Shared};
use crate::route::records::AlertKind;
use crate::serve::auth::Actor;
use crate::serve::config::Role;
use crate::serve::svg;
use crate::serve::trajectory;
use crate::serve::view::{Case, CaseState, HistoryKind};

/// The signed-in person, or the refusal that sends them to log in.
fn signed_in(ctx: &Ctx) -> Result<&Actor, Refusal> {
    ctx.actor.as_ref().ok_or(Refusal::Unauthorized)
}

/// "3h 20m left" or "overdue by 2h".
fn left(deadline: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Markup {
    let Some(d) = deadline else {
        return html! { span.muted { "no deadline" } };
    };
    let span = |t: TimeDelta| {
        let m = t.num_minutes().abs();
        match m {
            m if m >= 2 * 24 * 60 => format!("{}d", m / (24 * 60)),
            m if m >= 60 => format!("{}h {}m", m / 60, m % 60),
            m => format!("{m}m"),
        }
    };
    if d <= now {
        html! { span.overdue { "overdue by " (span(now - d)) } }
    } else {
        html! { span { (span(d - now)) " left" } }
    }
}

/// An address fetched from the open web, as a link only if it is http(s):
/// a feed may carry `javascript:` or `data:` links, which must never
/// become something a person clicks in the workspace.
fn web_link(u: &str) -> Markup {
    let safe = url::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "http" | "https"));
    html! {
        @if safe { a href=(u) rel="noopener noreferrer nofollow" { (u) } } @else { code { (u) } }
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn sentiment(score: f64, label: &str) -> Markup {
    let class = match label {
        "negative" => "bad",
        "positive" => "ok",
        _ => "muted",
    };
    html! { span class=(class) { (label) " (" (format!("{score:+.2}")) ")" } }
}

pub async fn queues(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let ctx = Ctx::new(&app, &headers);
    let who = match signed_in(&ctx) {
        Ok(a) => a.clone(),
        Err(r) => return ctx.refusal(&app, r, "/queues"),
    };
    let now = Utc::now();
    let list: Vec<_> = app.desk.read(|v| {
        v.queue_names()
            .filter(|q| may_see(&app, &who, q))
            .map(|q| v.summary(q, now))
            .collect()
    });
    let body = html! {
        h1 { "Queues" }
        div.cards {
            @for q in &list {
                section.card aria-labelledby=(format!("q-{}", q.name)) {
                    h2 id=(format!("q-{}", q.name)) { a href=(format!("/queues/{}", q.name)) { (q.name) } }
                    p { strong { (q.waiting) } " waiting" }
                    p class=(if q.overdue > 0 { "overdue" } else { "muted" }) { (q.overdue) " overdue" }
                    p.muted { (q.acknowledged) " acknowledged" }
                    @if let Some(o) = q.oldest {
                        p.muted { "Oldest: " (when(o)) }
                    }
                }
            }
        }
    };
    ctx.page(&app, StatusCode::OK, "Queues", body)
}

pub async fn queue(
    State(app): State<Shared>,
    Path(queue): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let ctx = Ctx::new(&app, &headers);
    let path = format!("/queues/{queue}");
    let who = match signed_in(&ctx) {
        Ok(a) => a.clone(),
        Err(r) => return ctx.refusal(&app, r, &path),
    };
    if !app.desk.read(|v| v.has_queue(&queue)) {
        return ctx.refusal(
            &app,
            Refusal::NotFound(format!("no queue `{queue}`")),
            &path,
        );
    }
    if !may_see(&app, &who, &queue) {
        let r = Refusal::Forbidden(format!("`{}` may not see queue `{queue}`", who.name));
        return ctx.refusal(&app, r, &path);
    }
    let size = app.cfg.page_size;
    let (filter, offset) = match ops::listing(&q, size) {
        Ok(x) => x,
        Err(r) => return ctx.refusal(&app, r, &path),
    };
    let now = Utc::now();
    let brands = app.brands();
    let (rows, total, summary) = app.desk.read(|v| {
        let p = v.page(&queue, &filter, offset, size);
        let rows: Vec<Case> = p.cases.into_iter().cloned().collect();
        (rows, p.total, v.summary(&queue, now))
    });
    let page = offset / size + 1;
    let pages = total.div_ceil(size).max(1);
    let keep = |page: usize| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for k in ["brand", "priority", "intent", "state"] {
            if let Some(v) = q.get(k).filter(|v| !v.is_empty()) {
                s.append_pair(k, v);
            }
        }
        s.append_pair("page", &page.to_string());
        format!("{path}?{}", s.finish())
    };
    let selected = |k: &str, v: &str| q.get(k).is_some_and(|x| x.eq_ignore_ascii_case(v));
    let body = html! {
        h1 { "Queue " (queue) }
        p {
            strong { (summary.waiting) } " waiting, "
            span class=(if summary.overdue > 0 { "overdue" } else { "" }) { (summary.overdue) " overdue" }
            ", " (summary.acknowledged) " acknowledged"
        }
        form.filters method="get" action=(path) aria-label="Filters" {
            div { label for="f-state" { "Show" }
                select id="f-state" name="state" {
                    option value="waiting" { "Waiting" }
                    option value="acknowledged" selected[selected("state", "acknowledged")] { "Acknowledged" }
                } }
            div { label for="f-brand" { "Brand" }
                select id="f-brand" name="brand" {
                    option value="" { "Any" }
                    @for (b, _) in &brands { option value=(b) selected[selected("brand", b)] { (b) } }
                } }
            div { label for="f-priority" { "Priority at least" }
                select id="f-priority" name="priority" {
                    option value="" { "Any" }
                    @for p in ["normal", "high", "urgent"] { option value=(p) selected[selected("priority", p)] { (p) } }
                } }
            div { label for="f-intent" { "Intent" }
                select id="f-intent" name="intent" {
                    option value="" { "Any" }
                    @for i in ["complaint", "question", "praise", "feature_request", "churn_risk", "purchase_intent"] {
                        option value=(i) selected[selected("intent", i)] { (i.replace('_', " ")) }
                    }
                } }
            button type="submit" { "Filter" }
        }
        @if rows.is_empty() {
            p.muted { "Nothing here." }
        } @else {
            table {
                thead { tr {
                    th { "Feedback" } th { "Priority" } th.wide { "Sentiment" } th.wide { "Author" } th { "Deadline" }
                } }
                tbody {
                    @for c in &rows {
                        @let fb = &c.routed.feedback;
                        tr {
                            td {
                                a href=(format!("/feedback/{}", fb.id)) { (fb.brand) @for p in &fb.products { " · " (p) } }
                                br; span { (fb.excerpt) }
                                br; @for i in &fb.intents {
                                    span.tag { (i.intent.as_str().replace('_', " ")) }
                                    @if !i.cues.is_empty() { span.muted { "“" (i.cues.join("”, “")) "” " } }
                                }
                            }
                            td { (format!("{:?}", fb.priority).to_lowercase()) }
                            td.wide { (sentiment(fb.sentiment.score, fb.sentiment.label.as_str())) }
                            td.wide {
                                (fb.author.as_deref().unwrap_or("unknown"))
                                @if let Some(f) = fb.author_followers { br; span.muted { (f) " followers" } }
                            }
                            td { (left(c.deadline, now)) }
                        }
                    }
                }
            }
            nav aria-label="Pages" {
                @if page > 1 { a href=(keep(page - 1)) rel="prev" { "← Previous page" } " " }
                span.muted { "Page " (page) " of " (pages) " (" (total) " items)" }
                @if page < pages { " " a href=(keep(page + 1)) rel="next" { "Next page →" } }
            }
        }
    };
    ctx.page(&app, StatusCode::OK, &format!("Queue {queue}"), body)
}

pub async fn case(
    State(app): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let ctx = Ctx::new(&app, &headers);
    let path = format!("/feedback/{id}");
    let who = match signed_in(&ctx) {
        Ok(a) => a.clone(),
        Err(r) => return ctx.refusal(&app, r, &path),
    };
    let c = match ops::visible(&app, &who, &id) {
        Ok(c) => c,
        Err(r) => return ctx.refusal(&app, r, &path),
    };
    let now = Utc::now();
    let fb = &c.routed.feedback;
    let influencer = fb.influencer_id.as_ref().and_then(|i| {
        app.desk
            .read(|v| v.influencer_of(i).map(|i| i.record.clone()))
    });
    let users: Vec<String> = app.cfg.users.iter().map(|u| u.name.clone()).collect();
    let acts = who.role >= Role::Member;
    let contact = ops::contact_standing(&app, &id, now);
    let state = match c.state {
        CaseState::Open => "open",
        CaseState::Acknowledged => "acknowledged",
        CaseState::Resolved => "resolved",
    };
    let body = html! {
        h1 { (fb.brand) " feedback" @if let Some(t) = &fb.title { ": " (t) } }
        p {
            span.tag { (state) } span.tag { "queue " a href=(format!("/queues/{}", c.queue())) { (c.queue()) } }
            span.tag { (format!("{:?}", fb.priority).to_lowercase()) " priority" }
            " " (left(if c.state == CaseState::Open { c.deadline } else { None }, now))
        }
        blockquote { (fb.excerpt) }
        dl {
            dt { "Sentiment" } dd { (sentiment(fb.sentiment.score, fb.sentiment.label.as_str())) }
            dt { "Products" } dd { @if fb.products.is_empty() { span.muted { "none named" } } @for p in &fb.products { span.tag { (p) } } }
            dt { "Intents" } dd { @if fb.intents.is_empty() { span.muted { "none read" } }
                @for i in &fb.intents { span.tag { (i.intent.as_str().replace('_', " ")) } span.muted { " (" (i.cues.join(", ")) ") " } } }
            dt { "Why this priority" } dd { (fb.priority_reason) }
            dt { "Heard on" } dd { (fb.source.platform) " · " (fb.source.id) @if let Some(t) = &fb.source.title { " · " (t) } }
            @if let Some(u) = &fb.url { dt { "Original" } dd { (web_link(u)) } }
            dt { "Assigned to" } dd { (c.assignee.as_deref().unwrap_or("nobody")) }
        }
        @if let Some(i) = &influencer {
            section.card aria-labelledby="inf" {
                h2 id="inf" { "Author: " a href=(format!("/influencers/{}", i.id)) { (i.name.as_deref().or(i.handle.as_deref()).unwrap_or(&i.id)) } }
                p { (i.platform) @if let Some(f) = i.reach.followers { " · " (f) " followers" } }
                @if let Some(u) = &i.profile_url { p { (web_link(u)) } }
                @if let Some(d) = &i.description { p { (d) } }
            }
        }
        @if acts {
            section aria-labelledby="act" {
                h2 id="act" { "Act" }
                form.inline method="post" action=(format!("/feedback/{id}/status")) {
                    (ctx.csrf_field())
                    label for="note" { "Note with the status (optional)" }
                    input type="text" id="note" name="note";
                    @if c.state == CaseState::Open { button name="status" value="acknowledged" { "Acknowledge" } " " }
                    @if c.state != CaseState::Resolved { button name="status" value="resolved" { "Resolve" } " " }
                    @if c.state != CaseState::Open { button.secondary name="status" value="reopened" { "Reopen" } }
                }
                form method="post" action=(format!("/feedback/{id}/activity")) {
                    (ctx.csrf_field()) input type="hidden" name="kind" value="assigned";
                    label for="to" { "Assign to" }
                    select id="to" name="to" { option value="" { "Nobody (back to the queue)" }
                        @for u in &users { option value=(u) selected[c.assignee.as_deref() == Some(u)] { (u) } } }
                    button type="submit" { "Assign" }
                }
                form method="post" action=(format!("/feedback/{id}/activity")) {
                    (ctx.csrf_field()) input type="hidden" name="kind" value="note";
                    label for="text" { "Add a note" }
                    textarea id="text" name="text" required {}
                    button type="submit" { "Add note" }
                }
                @if let Some(w) = contact.as_ref().and_then(|s| s.warning()) {
                    p.warn role="alert" id="contact-warning" { (w) }
                }
                form method="post" action=(format!("/feedback/{id}/activity")) {
                    (ctx.csrf_field()) input type="hidden" name="kind" value="contact";
                    label for="channel" { "Contact with the author: channel" }
                    input type="text" id="channel" name="channel" placeholder="blog comment, email, phone" required;
                    label for="summary" { "What was said" }
                    textarea id="summary" name="summary" required {}
                    @let capped = contact.as_ref().is_some_and(|s| s.capped);
                    label {
                        input type="checkbox" name="proactive" value="1" disabled[capped];
                        " We reached out first, unasked (proactive)"
                    }
                    @if let Some(s) = contact.as_ref().filter(|s| s.capped) {
                        p.muted id="contact-cap" { "Proactive contact: " (s.cap_message()) }
                    }
                    button type="submit" { "Log contact" }
                }
            }
        }
        section aria-labelledby="hist" {
            h2 id="hist" { "History" }
            ol.history {
                @for h in &c.history {
                    li {
                        span.muted { (when(h.at)) } " "
                        @if let Some(b) = &h.by { strong { (b) } " " }
                        (history(&h.what))
                    }
                }
            }
        }
    };
    ctx.page(
        &app,
        StatusCode::OK,
        &format!("{} feedback", fb.brand),
        body,
    )
}

fn history(k: &HistoryKind) -> Markup {
    match k {
        HistoryKind::Filed { category } => html! { "filed it: " (category) },
        HistoryKind::Routed { queue, rule } => html! {
            "Routed to " (queue) @if let Some(r) = rule { " by rule " code { (r) } }
        },
        HistoryKind::Escalated { reason } => html! { span.bad { "Escalated: " (reason) } },
        HistoryKind::Status { status, note } => html! {
            (format!("{status:?}").to_lowercase()) @if let Some(n) = note { ": " (n) }
        },
        HistoryKind::Note { text } => html! { "noted: " (text) },
        HistoryKind::Assigned { to } => {
            html! { "assigned it to " (to.as_deref().unwrap_or("nobody")) }
        }
        HistoryKind::Contact {
            channel,
            summary,
            proactive,
        } => {
            let how = if *proactive { ", proactive" } else { "" };
            html! { "contacted the author (" (channel) (how) "): " (summary) }
        }
    }
}

pub async fn influencer(
    State(app): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let ctx = Ctx::new(&app, &headers);
    let path = format!("/influencers/{id}");
    let who = match signed_in(&ctx) {
        Ok(a) => a.clone(),
        Err(r) => return ctx.refusal(&app, r, &path),
    };
    let found = app.desk.read(|v| {
        v.influencer_of(&id).map(|i| {
            let cases: Vec<Case> = i
                .feedback
                .iter()
                .filter_map(|f| v.case(f))
                .filter(|c| may_see(&app, &who, c.queue()))
                .cloned()
                .collect();
            // The history, without mentions in queues the reader may not see.
            let history = i.record.trajectory.as_ref().map(|t| {
                trajectory::visible(t, |fb| {
                    v.case(fb).is_none_or(|c| may_see(&app, &who, c.queue()))
                })
            });
            (i.record.clone(), cases, history)
        })
    });
    let Some((rec, cases, history)) = found else {
        return ctx.refusal(
            &app,
            Refusal::NotFound(format!("no influencer with id `{id}`")),
            &path,
        );
    };
    let mut points: Vec<(DateTime<Utc>, f64)> = cases
        .iter()
        .map(|c| {
            (
                c.routed
                    .feedback
                    .published
                    .unwrap_or(c.routed.feedback.observed),
                c.routed.feedback.sentiment.score,
            )
        })
        .collect();
    points.sort_by_key(|p| p.0);
    let name = rec
        .name
        .clone()
        .or(rec.handle.clone())
        .unwrap_or(rec.id.clone());
    let accounts = if rec.accounts.is_empty() {
        vec![(
            rec.platform.clone(),
            rec.handle.clone().or(rec.name.clone()),
            rec.profile_url.clone(),
            rec.reach.followers,
        )]
    } else {
        rec.accounts
            .iter()
            .map(|a| {
                (
                    a.platform.clone(),
                    a.handle.clone().or(a.name.clone()),
                    a.profile_url.clone(),
                    a.followers,
                )
            })
            .collect()
    };
    let body = html! {
        h1 { (name) }
        @if let Some(d) = &rec.description { p { (d) } }
        p { "Reach: " @match rec.reach.followers { Some(f) => { (f) " followers" }, None => { span.muted { "unknown" } } } }
        h2 { "Accounts" }
        ul { @for (platform, handle, url, followers) in &accounts {
            li { (platform) @if let Some(h) = handle { " · " (h) }
                @if let Some(u) = url { " · " (web_link(u)) }
                @if let Some(f) = followers { " · " (f) " followers" } }
        } }
        h2 { "Sentiment over time" }
        figure { (PreEscaped(match history.as_ref().filter(|t| !t.points.is_empty()) {
            Some(t) => trajectory::chart(&format!("Sentiment of {name}'s mentions over time, on every account"), t),
            None => svg::sentiment(&format!("Sentiment of {name}'s feedback over time"), &points),
        })) }
        h2 { "Feedback" }
        ul { @for c in &cases {
            li { a href=(format!("/feedback/{}", c.id())) { (c.routed.feedback.brand) ": " (c.routed.feedback.excerpt) } " "
                span.muted { (when(c.routed.feedback.published.unwrap_or(c.routed.feedback.observed))) } }
        } }
    };
    ctx.page(&app, StatusCode::OK, &name, body)
}

pub async fn brands(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let ctx = Ctx::new(&app, &headers);
    if let Err(r) = signed_in(&ctx) {
        return ctx.refusal(&app, r, "/brands");
    }
    let names: Vec<String> = app.brands().iter().map(|(b, _)| b.to_string()).collect();
    let body = html! {
        h1 { "Brands" }
        ul { @for b in &names { li { a href=(format!("/brands/{b}")) { (b) } } } }
    };
    ctx.page(&app, StatusCode::OK, "Brands", body)
}

pub async fn brand(
    State(app): State<Shared>,
    Path(brand): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let ctx = Ctx::new(&app, &headers);
    let path = format!("/brands/{brand}");
    if let Err(r) = signed_in(&ctx) {
        return ctx.refusal(&app, r, &path);
    }
    let daily = q.get("step").is_some_and(|s| s == "day");
    let (step, fmt, periods) = if daily {
        (TimeDelta::days(1), "%Y-%m-%d", 60)
    } else {
        (TimeDelta::hours(1), "%m-%d %H:00", 72)
    };
    let now = Utc::now();
    let data = app.desk.read(|v| {
        v.brand(&brand).map(|(name, s)| {
            let to = s
                .span()
                .map_or(now, |(_, last)| last.max(now.min(last + step * periods)));
            let from = to - step * (periods - 1);
            let spikes: Vec<DateTime<Utc>> = v
                .alerts()
                .filter(|a| a.kind == AlertKind::Spike && a.brand.eq_ignore_ascii_case(name))
                .filter_map(|a| a.spike.as_ref().map(|f| f.window_start))
                .collect();
            let alerts = v
                .alerts()
                .filter(|a| a.kind == AlertKind::Spike && a.brand.eq_ignore_ascii_case(name))
                .count();
            let products: Vec<(String, u32)> = s
                .top_products(5)
                .into_iter()
                .map(|(p, n)| (p.to_string(), n))
                .collect();
            let intents: Vec<(String, u32)> = s
                .top_intents(6)
                .into_iter()
                .map(|(p, n)| (p.to_string(), n))
                .collect();
            (
                name.to_string(),
                s.series(from, to, step),
                spikes,
                alerts,
                s.total(),
                products,
                intents,
            )
        })
    });
    let Some((name, series, spikes, alerts, total, products, intents)) = data else {
        let known = app
            .brands()
            .iter()
            .any(|(b, _)| b.eq_ignore_ascii_case(&brand));
        if !known {
            return ctx.refusal(
                &app,
                Refusal::NotFound(format!("no brand `{brand}`")),
                &path,
            );
        }
        let body = html! { h1 { (brand) } p.muted { "No feedback about this brand yet." } };
        return ctx.page(&app, StatusCode::OK, &brand, body);
    };
    let chart = svg::volume(
        &format!(
            "Mentions of {name} per {} and their negative share",
            if daily { "day" } else { "hour" }
        ),
        &series,
        &spikes,
        fmt,
    );
    let body = html! {
        h1 { (name) }
        p { (total.mentions) " mentions, " (format!("{:.0}%", total.negative_share() * 100.0)) " negative; " (alerts) " spike alerts" }
        p { "Per " @if daily { a href=(format!("{path}?step=hour")) { "hour" } " · day" } @else { "hour · " a href=(format!("{path}?step=day")) { "day" } } }
        figure {
            (PreEscaped(chart))
            figcaption.muted { "Bars: mentions. Red line: share of negative mentions (right axis). Red marks: spike alerts." }
        }
        div.cards {
            section.card { h2 { "Top products" } ol { @for (p, n) in &products { li { (p) " (" (n) ")" } } } @if products.is_empty() { p.muted { "none named" } } }
            section.card { h2 { "Top intents" } ol { @for (i, n) in &intents { li { (i.replace('_', " ")) " (" (n) ")" } } } @if intents.is_empty() { p.muted { "none read" } } }
        }
    };
    ctx.page(&app, StatusCode::OK, &name, body)
}

pub async fn alerts(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let ctx = Ctx::new(&app, &headers);
    let who = match signed_in(&ctx) {
        Ok(a) => a.clone(),
        Err(r) => return ctx.refusal(&app, r, "/alerts"),
    };
    let list: Vec<_> = app.desk.read(|v| {
        v.alerts()
            .filter(|a| a.queue.as_deref().is_none_or(|q| may_see(&app, &who, q)))
            .take(200)
            .cloned()
            .collect()
    });
    let body = html! {
        h1 { "Alerts" }
        @if list.is_empty() { p.muted { "No alerts." } }
        table { tbody { @for a in &list {
            tr {
                td { span.muted { (when(a.at)) } }
                td { span.tag { (format!("{:?}", a.kind).to_lowercase()) } }
                td { (a.reason) @if let Some(f) = &a.feedback_id { " " a href=(format!("/feedback/{f}")) { "Open" } }
                    @if let Some(d) = &a.disengagement { " " a href=(format!("/influencers/{}", d.influencer_id)) { "Author" } } }
            }
        } } }
    };
    ctx.page(&app, StatusCode::OK, "Alerts", body)
}

#[cfg(test)]
mod tests {
    use super::web_link;

    #[test]
    fn only_web_addresses_become_links() {
        let link = web_link("https://rant112.example/post?a=1&b=2").into_string();
        assert!(
            link.starts_with(r#"<a href="https://rant112.example/post?a=1&amp;b=2""#),
            "{link}"
        );
        for hostile in [
            "javascript:alert(1)",
            "data:text/html,<b>x</b>",
            "file:///etc/passwd",
            "\"><script>",
        ] {
            let out = web_link(hostile).into_string();
            assert!(!out.contains("href"), "{hostile}: {out}");
            assert!(
                !out.contains("<script>") && !out.contains("<b>"),
                "{hostile}: {out}"
            );
        }
    }
}
