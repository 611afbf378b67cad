//! A workspace (`earshot serve`'s app) on 127.0.0.1:0, on the embedded
//! store in a temporary directory, with a client that keeps its cookies.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use earshot::cli::serve::Options;
use earshot::serve::http::App;
use reqwest::header::{HeaderMap, COOKIE, SET_COOKIE};
use tokio_util::sync::CancellationToken;

pub const TOKEN: &str = "test-api-token-0123456789";
pub const PASSWORD: &str = "correct horse battery";

/// Queues: `support` (4h deadline) for complaints, `retention` (only
/// admins and the user `rita`), `community` for the rest.
pub const ROUTE: &str = r#"
[route]
default_queue = "community"

[[route.queues]]
name = "support"
deadline = "4h"

[[route.queues]]
name = "retention"
deadline = "1h"

[[route.queues]]
name = "community"

[[route.rules]]
name = "leaving"
queue = "retention"
intent = ["churn_risk"]

[[route.rules]]
name = "complaints"
queue = "support"
intent = ["complaint"]
"#;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub struct Workspace {
    pub base: String,
    pub app: Arc<App>,
    pub stop: CancellationToken,
    pub dir: tempfile::TempDir,
    pub http: reqwest::Client,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// The pipeline file of a test workspace: one feed, the demo brands, the
/// queues above, four users (`pat` member, `val` viewer, `rita` member
/// with access to retention, `ada` admin), all with [`PASSWORD`].
pub fn pipeline_text(dir: &std::path::Path, serve_extra: &str) -> String {
    let hash = earshot::serve::auth::hash_password(PASSWORD).unwrap();
    let users: String = [
        ("pat", "member"),
        ("val", "viewer"),
        ("rita", "member"),
        ("ada", "admin"),
    ]
    .iter()
    .map(|(n, r)| {
        format!("[[serve.users]]\nname = \"{n}\"\nrole = \"{r}\"\npassword_hash = '{hash}'\n\n")
    })
    .collect();
    format!(
        r#"
name = "workspace-test"
state_dir = "{state}"

[[sources]]
id = "rants"
type = "feed"
url = "file://{feed}"

{brands}

[sink]
type = "jsonl"
path = "{out}"

{ROUTE}

[serve]
{serve_extra}

{users}
[[serve.queues]]
name = "retention"
users = ["rita"]
"#,
        state = dir.join("state").display(),
        feed = fixtures().join("feeds/rss2.xml").display(),
        out = dir.join("out.jsonl").display(),
        brands = crate::common::DEMO_BRANDS,
    )
}

impl Workspace {
    /// A workspace whose `[serve]` section also holds `serve_extra`.
    pub async fn start(serve_extra: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        Self::start_in(dir, serve_extra).await
    }

    /// The same on an existing directory (a restart).
    pub async fn start_in(dir: tempfile::TempDir, serve_extra: &str) -> Workspace {
        let text = pipeline_text(dir.path(), serve_extra);
        let path = dir.path().join("pipeline.toml");
        let pipeline =
            earshot::config::load_str(&text, &path, &|_| None).unwrap_or_else(|e| panic!("{e}"));
        let opts = Options {
            listen: None,
            grace: std::time::Duration::from_secs(5),
            session_key: Some("a session key of thirty-two characters or more".into()),
            api_token: Some(TOKEN.into()),
        };
        let (app, _clock) = earshot::cli::serve::open(pipeline, &opts).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let stop = CancellationToken::new();
        let server = tokio::spawn(earshot::serve::http::serve(
            app.clone(),
            listener,
            stop.clone(),
        ));
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        Workspace {
            base,
            app,
            stop,
            dir,
            http,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// An API call with the admin token.
    pub fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(TOKEN)
    }

    /// Polls the pipeline's feed once, as `run` would.
    pub async fn poll(&self) -> earshot::pipeline::Outcome {
        let source = self.app.engine.pipeline.sources[0].clone();
        self.app
            .engine
            .poll_source(&source, false, earshot::pipeline::Window::default())
            .await
            .unwrap()
    }

    /// Ends the workspace and gives its directory back, for a restart.
    pub async fn stop(self) -> tempfile::TempDir {
        self.stop.cancel();
        self.server.await.unwrap().unwrap();
        drop(self.app);
        self.dir
    }
}

/// A browser-like session: cookies kept by hand from `Set-Cookie`.
#[derive(Default, Clone)]
pub struct Session {
    pub cookies: Vec<(String, String)>,
}

impl Session {
    pub fn keep(&mut self, headers: &HeaderMap) {
        for v in headers.get_all(SET_COOKIE) {
            let first = v.to_str().unwrap().split(';').next().unwrap();
            let (k, val) = first.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !val.is_empty() {
                self.cookies.push((k.to_string(), val.to_string()));
            }
        }
    }

    pub fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn has(&self, name: &str) -> bool {
        self.cookies.iter().any(|(k, _)| k == name)
    }

    /// GETs `path` and returns the status and the page.
    pub async fn get(&mut self, w: &Workspace, path: &str) -> (reqwest::StatusCode, String) {
        let r = w
            .http
            .get(w.url(path))
            .header(COOKIE, self.header())
            .send()
            .await
            .unwrap();
        self.keep(r.headers());
        (r.status(), r.text().await.unwrap())
    }

    /// POSTs a form; returns the status, the Location and the page.
    pub async fn post(
        &mut self,
        w: &Workspace,
        path: &str,
        form: &[(&str, &str)],
    ) -> (reqwest::StatusCode, Option<String>, String) {
        let r = w
            .http
            .post(w.url(path))
            .header(COOKIE, self.header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep(r.headers());
        let loc = r
            .headers()
            .get(reqwest::header::LOCATION)
            .map(|l| l.to_str().unwrap().to_string());
        (r.status(), loc, r.text().await.unwrap())
    }

    /// Logs in as `name`, returning the CSRF token of the pages.
    pub async fn login(&mut self, w: &Workspace, name: &str) -> String {
        let (_, page) = self.get(w, "/login").await;
        let csrf = csrf_of(&page);
        let (status, loc, _) = self
            .post(
                w,
                "/login",
                &[
                    ("csrf", &csrf),
                    ("name", name),
                    ("password", PASSWORD),
                    ("next", "/queues"),
                ],
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::SEE_OTHER, "login as {name}");
        assert_eq!(loc.as_deref(), Some("/queues"));
        csrf
    }
}

/// The CSRF token in a page's forms.
pub fn csrf_of(page: &str) -> String {
    let at =
        page.find(r#"name="csrf" value=""#).expect("a CSRF field") + r#"name="csrf" value=""#.len();
    page[at..at + page[at..].find('"').unwrap()].to_string()
}
