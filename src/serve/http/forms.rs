//! The forms: logging in and out, acting on a feedback, filing new
//! feedback, and the public form. Each checks its CSRF token, answers a
//! refusal with the form again and what is wrong, and redirects after a
//! change so that a reload does not repeat it.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};

use super::layout::Ctx;
use super::ops::{self, Channel, RawActivity};
use super::{cookie, may_act, Refusal, Shared};
use crate::serve::auth::{self, CSRF_COOKIE, SESSION_COOKIE};
use crate::serve::intake::{self, Kind, RawAuthor, RawIntake};

type Fields = HashMap<String, String>;

fn csrf_ok(app: &Shared, headers: &HeaderMap, form: &Fields) -> bool {
    app.keys.csrf_ok(
        cookie(headers, CSRF_COOKIE),
        form.get("csrf").map(String::as_str),
    )
}

fn csrf_refusal() -> Refusal {
    Refusal::Forbidden(
        "the form's security token is missing or stale: reload the page and try again".into(),
    )
}

/// A local path to go back to after logging in, never another site.
fn local(next: Option<&String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .cloned()
        .unwrap_or_else(|| "/queues".into())
}

fn errors(list: &[intake::FieldError]) -> Markup {
    html! {
        @if !list.is_empty() {
            div.error role="alert" {
                p { "Please correct:" }
                ul { @for e in list { li { strong { (e.field) } ": " (e.message) } } }
            }
        }
    }
}

fn login_form(ctx: &Ctx, next: &str, failed: bool) -> Markup {
    html! {
        h1 { "Log in" }
        @if failed { p.error role="alert" { "Wrong name or password." } }
        form method="post" action="/login" {
            (ctx.csrf_field())
            input type="hidden" name="next" value=(next);
            label for="name" { "Name" }
            input type="text" id="name" name="name" autocomplete="username" required autofocus;
            label for="password" { "Password" }
            input type="password" id="password" name="password" autocomplete="current-password" required;
            button type="submit" { "Log in" }
        }
    }
}

pub async fn login_page(
    State(app): State<Shared>,
    Query(q): Query<Fields>,
    headers: HeaderMap,
) -> Response {
    let ctx = Ctx::new(&app, &headers);
    let next = local(q.get("next"));
    ctx.page(
        &app,
        StatusCode::OK,
        "Log in",
        login_form(&ctx, &next, false),
    )
}

pub async fn login(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let ctx = Ctx::new(&app, &headers);
    if !csrf_ok(&app, &headers, &f) {
        return ctx.refusal(&app, csrf_refusal(), "/login");
    }
    let trust = app
        .cfg
        .public_form
        .as_ref()
        .is_some_and(|p| p.trust_forwarded_for);
    let taken = app
        .logins
        .lock()
        .expect("login limit lock")
        .take(client(peer, &headers, trust), std::time::Instant::now());
    if let Err(wait) = taken {
        tracing::warn!("Login attempts over the limit from one address.");
        return ctx.refusal(&app, Refusal::TooMany(wait), "/login");
    }
    let next = local(f.get("next"));
    let (name, password) = (
        f.get("name").cloned().unwrap_or_default(),
        f.get("password").cloned().unwrap_or_default(),
    );
    // argon2 is slow by design: off the async threads.
    let cfg = app.cfg.clone();
    let who = tokio::task::spawn_blocking(move || auth::login(&cfg, &name, &password))
        .await
        .ok()
        .flatten();
    let Some(who) = who else {
        tracing::info!("Login refused.");
        return ctx.page(
            &app,
            StatusCode::UNAUTHORIZED,
            "Log in",
            login_form(&ctx, &next, true),
        );
    };
    tracing::info!(user = %who.name, "Logged in.");
    let value = app.keys.session(&who.name, chrono::Utc::now().timestamp());
    let cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
        auth::SESSION_TTL.as_secs()
    );
    let mut resp = Redirect::to(&next).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

pub async fn logout(
    State(app): State<Shared>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    if !csrf_ok(&app, &headers, &f) {
        let ctx = Ctx::new(&app, &headers);
        return ctx.refusal(&app, csrf_refusal(), "/logout");
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("earshot_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    resp
}

/// The signed-in person for a form post, with its CSRF token checked.
fn poster(
    app: &Shared,
    ctx: &Ctx,
    headers: &HeaderMap,
    f: &Fields,
) -> Result<auth::Actor, Refusal> {
    let who = ctx.actor.clone().ok_or(Refusal::Unauthorized)?;
    if !csrf_ok(app, headers, f) {
        return Err(csrf_refusal());
    }
    Ok(who)
}

/// Answers a form's change to feedback `id`: back to its page, or the
/// refusal.
fn answer(app: &Shared, ctx: &Ctx, id: &str, done: Result<(), Refusal>) -> Response {
    let path = format!("/feedback/{id}");
    match done {
        Ok(()) => Redirect::to(&path).into_response(),
        Err(r) => ctx.refusal(app, r, &path),
    }
}

pub async fn status(
    State(app): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let ctx = Ctx::new(&app, &headers);
    let status = ops::parse_status(f.get("status").map_or("", String::as_str));
    let done = match (poster(&app, &ctx, &headers, &f), status) {
        (Ok(who), Ok(status)) => {
            ops::set_status(&app, &who, &id, status, f.get("note").cloned()).await
        }
        (Err(r), _) | (_, Err(r)) => Err(r),
    };
    answer(&app, &ctx, &id, done)
}

pub async fn activity(
    State(app): State<Shared>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let ctx = Ctx::new(&app, &headers);
    let raw = RawActivity {
        kind: f.get("kind").cloned().unwrap_or_default(),
        text: f.get("text").cloned(),
        to: f.get("to").cloned(),
        channel: f.get("channel").cloned(),
        summary: f.get("summary").cloned(),
        // A checkbox: present when ticked, whatever its value.
        proactive: f.contains_key("proactive"),
    };
    let done = match poster(&app, &ctx, &headers, &f) {
        Ok(who) => ops::act(&app, &who, &id, raw).await,
        Err(r) => Err(r),
    };
    answer(&app, &ctx, &id, done)
}

fn new_form(app: &Shared, ctx: &Ctx, f: &Fields, errs: &[intake::FieldError]) -> Markup {
    let v = |k: &str| f.get(k).cloned().unwrap_or_default();
    let brands = app.brands();
    html! {
        h1 { "New feedback" }
        p.muted { "Something customers said where no feed listens: a post you came across, the web statistics, a sales or support anecdote." }
        (errors(errs))
        form method="post" action="/new" {
            (ctx.csrf_field())
            label for="text" { "What was said or seen" }
            textarea id="text" name="text" required { (v("text")) }
            label for="kind" { "Kind" }
            select id="kind" name="kind" {
                @for k in Kind::ALL { option value=(k.as_str()) selected[v("kind") == k.as_str()] { (k.label()) } }
            }
            label for="brand" { "Brand" }
            select id="brand" name="brand" {
                option value="" { "Find it in the text" }
                @for (b, _) in &brands { option value=(b) selected[v("brand") == *b] { (b) } }
            }
            label for="product" { "Product (optional)" }
            input type="text" id="product" name="product" list="products" value=(v("product"));
            datalist id="products" { @for (_, ps) in &brands { @for p in ps { option value=(p) {} } } }
            label for="url" { "Address of the post (optional)" }
            input type="url" id="url" name="url" value=(v("url"));
            fieldset {
                legend { "The author, if known" }
                label for="screen_name" { "Screen name" }
                input type="text" id="screen_name" name="screen_name" value=(v("screen_name"));
                label for="influencer_url" { "Profile or blog address" }
                input type="url" id="influencer_url" name="influencer_url" value=(v("influencer_url"));
                label for="description" { "Who they are" }
                input type="text" id="description" name="description" value=(v("description"));
            }
            button type="submit" { "File feedback" }
        }
    }
}

pub async fn new_page(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let ctx = Ctx::new(&app, &headers);
    match ctx
        .actor
        .as_ref()
        .ok_or(Refusal::Unauthorized)
        .and_then(|a| may_act(a))
    {
        Ok(()) => ctx.page(
            &app,
            StatusCode::OK,
            "New feedback",
            new_form(&app, &ctx, &Fields::new(), &[]),
        ),
        Err(r) => ctx.refusal(&app, r, "/new"),
    }
}

pub async fn new(State(app): State<Shared>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let ctx = Ctx::new(&app, &headers);
    let who = match poster(&app, &ctx, &headers, &f).and_then(|w| may_act(&w).map(|_| w)) {
        Ok(w) => w,
        Err(r) => return ctx.refusal(&app, r, "/new"),
    };
    let g = |k: &str| f.get(k).cloned().filter(|s| !s.trim().is_empty());
    let raw = RawIntake {
        text: f.get("text").cloned().unwrap_or_default(),
        title: None,
        brand: g("brand"),
        product: g("product"),
        kind: g("kind"),
        url: g("url"),
        influencer: Some(RawAuthor {
            screen_name: g("screen_name"),
            url: g("influencer_url"),
            description: g("description"),
        }),
    };
    let result = match intake::check(&raw, &app.brands()) {
        Ok(checked) => ops::file(&app, checked, Channel::Workspace, Some(&who)).await,
        Err(e) => Err(Refusal::Fields(e)),
    };
    match result {
        Ok(id) => Redirect::to(&format!("/feedback/{id}")).into_response(),
        Err(Refusal::Fields(e)) => ctx.page(
            &app,
            StatusCode::BAD_REQUEST,
            "New feedback",
            new_form(&app, &ctx, &f, &e),
        ),
        Err(r) => ctx.refusal(&app, r, "/new"),
    }
}

fn public_form(ctx: &Ctx, f: &Fields, errs: &[intake::FieldError]) -> Markup {
    let v = |k: &str| f.get(k).cloned().unwrap_or_default();
    html! {
        h1 { "Tell us what you think" }
        p { "We read every message. Name and email are optional: leave them out to stay anonymous, or give them if you would like an answer." }
        (errors(errs))
        form method="post" action="/feedback" {
            (ctx.csrf_field())
            label for="name" { "Your name (optional)" }
            input type="text" id="name" name="name" autocomplete="name" value=(v("name"));
            label for="email" { "Your email (optional)" }
            input type="email" id="email" name="email" autocomplete="email" value=(v("email"));
            label for="text" { "Your feedback" }
            textarea id="text" name="text" required { (v("text")) }
            // Bots fill every field; people never see this one.
            div.hp aria-hidden="true" {
                label for="website" { "Leave this empty" }
                input type="text" id="website" name="website" tabindex="-1" autocomplete="off";
            }
            button type="submit" { "Send" }
        }
    }
}

fn public_off(app: &Shared, ctx: &Ctx) -> Option<Response> {
    app.cfg.public_form.is_none().then(|| {
        ctx.refusal(
            app,
            Refusal::NotFound("there is no public feedback form here".into()),
            "/feedback",
        )
    })
}

pub async fn public_page(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let ctx = Ctx::new(&app, &headers);
    if let Some(r) = public_off(&app, &ctx) {
        return r;
    }
    ctx.page(
        &app,
        StatusCode::OK,
        "Feedback",
        public_form(&ctx, &Fields::new(), &[]),
    )
}

/// The client's address: the peer, or the first `X-Forwarded-For` hop
/// when the pipeline file says a proxy of ours sets it.
fn client(peer: SocketAddr, headers: &HeaderMap, trust_forwarded: bool) -> std::net::IpAddr {
    let forwarded = trust_forwarded
        .then(|| {
            headers
                .get("x-forwarded-for")?
                .to_str()
                .ok()?
                .split(',')
                .next()?
                .trim()
                .parse()
                .ok()
        })
        .flatten();
    forwarded.unwrap_or(peer.ip())
}

pub async fn public(
    State(app): State<Shared>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let ctx = Ctx::new(&app, &headers);
    if let Some(r) = public_off(&app, &ctx) {
        return r;
    }
    let form = app.cfg.public_form.clone().expect("checked above");
    if !csrf_ok(&app, &headers, &f) {
        return ctx.refusal(&app, csrf_refusal(), "/feedback");
    }
    let text = f.get("text").cloned().unwrap_or_default();
    if text.len() > form.max_bytes {
        let body = html! {
            h1 { "Too long" }
            p.error role="alert" { "Your message is longer than " (form.max_bytes) " bytes. Please shorten it." }
        };
        return ctx.page(&app, StatusCode::PAYLOAD_TOO_LARGE, "Too long", body);
    }
    let ip = client(peer, &headers, form.trust_forwarded_for);
    let taken = app
        .limiter
        .lock()
        .expect("rate limit lock")
        .take(ip, std::time::Instant::now());
    if let Err(wait) = taken {
        let r = Refusal::TooMany(wait);
        let mut resp = ctx.refusal(&app, r, "/feedback");
        resp.headers_mut()
            .insert(header::RETRY_AFTER, wait.as_secs().max(1).into());
        return resp;
    }
    let thanks = |ctx: &Ctx| {
        let body = html! {
            h1 { "Thank you" }
            p.notice role="status" { "Your feedback has reached us. If you left an email address, we may write back." }
        };
        ctx.page(&app, StatusCode::OK, "Thank you", body)
    };
    if f.get("website").is_some_and(|w| !w.is_empty()) {
        // A bot: it is told what a person is told, and nothing is filed.
        tracing::info!(client = %ip, "Public form: honeypot filled; dropped.");
        return thanks(&ctx);
    }
    let g = |k: &str| f.get(k).cloned().filter(|s| !s.trim().is_empty());
    let email = g("email");
    let mut errs = Vec::new();
    if let Some(e) = &email {
        let ok = e.len() <= 254
            && e.split_once('@')
                .is_some_and(|(a, d)| !a.is_empty() && d.contains('.') && !d.starts_with('.'));
        if !ok {
            errs.push(intake::FieldError {
                field: "email".into(),
                message: format!("`{e}` is not an email address"),
            });
        }
    }
    if g("name").is_some_and(|n| n.chars().count() > 100) {
        errs.push(intake::FieldError {
            field: "name".into(),
            message: "longer than 100 characters".into(),
        });
    }
    let raw = RawIntake {
        text,
        brand: form.brand.clone(),
        kind: Some("other".into()),
        ..RawIntake::default()
    };
    let checked = intake::check(&raw, &app.brands());
    if let Err(e) = &checked {
        errs.extend(e.iter().cloned());
    }
    if !errs.is_empty() {
        return ctx.page(
            &app,
            StatusCode::BAD_REQUEST,
            "Feedback",
            public_form(&ctx, &f, &errs),
        );
    }
    let mut checked = checked.expect("no errors");
    if g("name").is_some() || email.is_some() {
        checked.author = Some(crate::model::Author {
            name: g("name"),
            handle: email,
            ..Default::default()
        });
    }
    match ops::file(&app, checked, Channel::WebForm, None).await {
        Ok(_) => thanks(&ctx),
        Err(Refusal::Fields(e)) => ctx.page(
            &app,
            StatusCode::BAD_REQUEST,
            "Feedback",
            public_form(&ctx, &f, &e),
        ),
        Err(r) => ctx.refusal(&app, r, "/feedback"),
    }
}
