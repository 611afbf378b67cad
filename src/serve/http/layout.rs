//! The frame every page shares: header, navigation, a small stylesheet
//! inline (no external assets, so pages work offline), and the CSRF
//! cookie a page's forms are checked against.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use super::{actor, cookie, App, Refusal};
use crate::serve::auth::{hex, random, Actor, CSRF_COOKIE};

const STYLE: &str = r#"
:root{--fg:#1b1f24;--muted:#59636e;--line:#d0d7de;--bg:#fff;--accent:#0b5cad;--bad:#b42318;--warn:#9a6700;--ok:#1a7f37}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line)}
header strong{font-size:1.1rem}nav{display:flex;flex-wrap:wrap;gap:1rem}nav a{color:var(--accent)}
main{max-width:72rem;margin:0 auto;padding:1rem}h1{font-size:1.4rem;margin:.2rem 0 1rem}
a{color:var(--accent)}a:focus,button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #f0b400;outline-offset:1px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:1rem}
.card{border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem}
.muted{color:var(--muted)}.bad{color:var(--bad)}.warn{color:var(--warn)}.ok{color:var(--ok)}
.tag{display:inline-block;border:1px solid var(--line);border-radius:99px;padding:0 .5rem;font-size:.85rem;margin:0 .2rem .2rem 0}
.overdue{color:var(--bad);font-weight:600}
form.inline{display:inline}label{display:block;font-weight:600;margin-top:.6rem}
input[type=text],input[type=url],input[type=email],input[type=password],select,textarea{width:100%;max-width:40rem;padding:.45rem;font:inherit;border:1px solid var(--muted);border-radius:4px}
textarea{min-height:6rem}button{font:inherit;padding:.4rem .9rem;margin-top:.6rem;border:1px solid var(--accent);background:var(--accent);color:#fff;border-radius:4px;cursor:pointer}
button.secondary{background:#fff;color:var(--accent)}.error{border:1px solid var(--bad);color:var(--bad);padding:.6rem 1rem;border-radius:6px}
.notice{border:1px solid var(--ok);padding:.6rem 1rem;border-radius:6px}
.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end}.filters label{margin:0}.filters select,.filters input{width:auto}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
.skip{position:absolute;left:-10000px}.skip:focus{left:1rem;top:.5rem;background:#fff;padding:.3rem .6rem;z-index:1}
ol.history{padding-left:1.2rem}svg{max-width:100%;height:auto}
@media (max-width:40rem){td.wide,th.wide{display:none}main{padding:.6rem}}
"#;

/// What a page is rendered for: who, and the CSRF token of its forms.
pub struct Ctx {
    pub actor: Option<Actor>,
    pub csrf: String,
    /// A new CSRF cookie to set, when the request carried none.
    set_cookie: Option<String>,
}

impl Ctx {
    pub fn new(app: &App, headers: &HeaderMap) -> Ctx {
        let actor = actor(app, headers).map(|(a, _)| a);
        match cookie(headers, CSRF_COOKIE).filter(|c| c.len() == 32) {
            Some(c) => Ctx {
                actor,
                csrf: app.keys.csrf_token(c),
                set_cookie: None,
            },
            None => {
                let c = hex(&random::<16>());
                Ctx {
                    actor,
                    csrf: app.keys.csrf_token(&c),
                    set_cookie: Some(format!(
                        "{CSRF_COOKIE}={c}; Path=/; HttpOnly; SameSite=Strict"
                    )),
                }
            }
        }
    }

    /// The hidden field every form carries.
    pub fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name="csrf" value=(self.csrf); }
    }

    /// A whole page.
    pub fn page(&self, app: &App, status: StatusCode, title: &str, body: Markup) -> Response {
        let markup = html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · " (app.title()) }
                    style { (maud::PreEscaped(STYLE)) }
                }
                body {
                    a.skip href="#main" { "Skip to content" }
                    header {
                        strong { (app.title()) }
                        @if let Some(a) = &self.actor {
                            nav aria-label="Main" {
                                a href="/queues" { "Queues" }
                                a href="/alerts" { "Alerts" }
                                a href="/brands" { "Brands" }
                                @if a.role >= crate::serve::config::Role::Member {
                                    a href="/new" { "New feedback" }
                                }
                            }
                            form.inline method="post" action="/logout" {
                                (self.csrf_field())
                                span.muted { (a.name) " (" (a.role.as_str()) ") " }
                                button.secondary type="submit" { "Log out" }
                            }
                        }
                    }
                    main id="main" tabindex="-1" { (body) }
                }
            }
        };
        let mut resp = (status, axum::response::Html(markup.into_string())).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        // The workspace is never framed by another site.
        resp.headers_mut()
            .insert("x-frame-options", HeaderValue::from_static("DENY"));
        if let Some(c) = &self.set_cookie {
            if let Ok(v) = HeaderValue::from_str(c) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        resp
    }

    /// A refusal as a page; 401 sends people to the login form.
    pub fn refusal(&self, app: &App, r: Refusal, path: &str) -> Response {
        if matches!(r, Refusal::Unauthorized) {
            let to = format!(
                "/login?next={}",
                url::form_urlencoded::byte_serialize(path.as_bytes()).collect::<String>()
            );
            return axum::response::Redirect::to(&to).into_response();
        }
        let status = r.status();
        self.page(
            app,
            status,
            status.canonical_reason().unwrap_or("Error"),
            html! {
                h1 { (status.canonical_reason().unwrap_or("Error")) }
                p.error role="alert" { (r.message()) }
            },
        )
    }
}
