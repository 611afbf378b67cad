//! `earshot serve`'s workspace on the embedded store, driven over real
//! HTTP on 127.0.0.1: intake, routing, statuses, the public form, logins,
//! pages, refusals, and a restart.

#[allow(dead_code)]
mod common;
mod serve {
    pub mod harness;
}

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use serve::harness::{csrf_of, Session, Workspace};

const FORM: &str = "[serve.public_form]\nbrand = \"Acme\"\nper_hour = 3\nmax_bytes = 500\n";

async fn json(r: reqwest::Response) -> (StatusCode, Value) {
    let s = r.status();
    let text = r.text().await.unwrap();
    (
        s,
        serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text)),
    )
}

/// `GET /api/feedback/{id}` with the admin token.
async fn case_of(w: &Workspace, id: &str) -> (StatusCode, Value) {
    json(
        w.api(Method::GET, &format!("/api/feedback/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn queue(w: &Workspace, name: &str) -> Vec<Value> {
    let (s, v) = json(
        w.api(Method::GET, &format!("/api/queues/{name}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["items"].as_array().unwrap().clone()
}

async fn waiting(w: &Workspace) -> Vec<(String, u64)> {
    let (_, v) = json(w.api(Method::GET, "/api/queues").send().await.unwrap()).await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["name"].as_str().unwrap().to_string(),
                q["waiting"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn routed_schema() -> jsonschema::Validator {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas");
    let load = |n: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(n)).unwrap()).unwrap()
    };
    let resource = |n: &str| {
        let fb = load(n);
        let id = fb["$id"].as_str().unwrap().to_string();
        (id, jsonschema::Resource::from_contents(fb).unwrap())
    };
    jsonschema::options()
        .with_resources([resource("feedback.v1.json"), resource("feedback.v2.json")].into_iter())
        .build(&load("routed.v1.json"))
        .unwrap()
}

async fn status(w: &Workspace, id: &str, status: &str) -> StatusCode {
    w.api(Method::POST, &format!("/api/feedback/{id}/status"))
        .json(&json!({"status": status, "note": format!("{status} by the test")}))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn intake_is_routed_and_its_status_changes_move_it_through_the_queue() {
    let w = Workspace::start("").await;
    let (s, v) = json(
        w.api(Method::POST, "/api/feedback")
            .json(&json!({
                "text": "Acme Cloud keeps failing to sync, this is the third outage and it is useless.",
                "kind": "post",
                "url": "https://rant112.example/acme-cloud-again",
                "influencer": {"screen_name": "Rant112", "url": "https://rant112.example/", "description": "Blogs about cloud storage."}
            }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_str().unwrap().to_string();

    let support = queue(&w, "support").await;
    assert_eq!(support.len(), 1);
    assert_eq!(support[0]["id"], id.as_str());
    assert_eq!(support[0]["routing"]["rule"], "complaints");
    assert_eq!(support[0]["source"]["platform"], "workspace");
    let errors: Vec<String> = routed_schema()
        .iter_errors(&support[0])
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "the earshot.routed/1 shape: {errors:?}");

    let (s, case) = case_of(&w, &id).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(case["state"], "open");
    assert_eq!(case["influencer"]["name"], "Rant112");
    assert_eq!(
        case["influencer"]["description"],
        "Blogs about cloud storage."
    );
    assert_eq!(case["history"][0]["kind"], "routed");
    assert_eq!(case["history"][1]["kind"], "filed");
    assert_eq!(case["history"][1]["by"], "api");

    assert_eq!(status(&w, &id, "acknowledged").await, StatusCode::OK);
    assert!(
        queue(&w, "support").await.is_empty(),
        "acknowledged: no longer waiting"
    );
    let (_, acked) = json(
        w.api(Method::GET, "/api/queues/support?state=acknowledged")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(acked["items"][0]["id"], id.as_str());

    assert_eq!(status(&w, &id, "resolved").await, StatusCode::OK);
    let (_, acked) = json(
        w.api(Method::GET, "/api/queues/support?state=acknowledged")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(acked["total"], 0, "resolved: out of the queue");

    assert_eq!(status(&w, &id, "reopened").await, StatusCode::OK);
    assert_eq!(queue(&w, "support").await.len(), 1, "reopened: back");
    let (_, case) = case_of(&w, &id).await;
    let deadline: chrono::DateTime<chrono::Utc> =
        case["deadline"].as_str().unwrap().parse().unwrap();
    let first: chrono::DateTime<chrono::Utc> = support[0]["routing"]["deadline"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(deadline > first, "a new deadline from the reopening");
    let statuses: Vec<(&str, &str)> = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["kind"] == "status")
        .map(|h| (h["status"].as_str().unwrap(), h["by"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("acknowledged", "api"),
            ("resolved", "api"),
            ("reopened", "api")
        ]
    );

    // Notes, assignments and contacts with the author are kept in order.
    for body in [
        json!({"kind": "assigned", "to": "pat"}),
        json!({"kind": "contact", "channel": "blog comment", "summary": "Offered a call about the outages."}),
        json!({"kind": "note", "text": "Rant112 answered; call on Monday."}),
    ] {
        let r = w
            .api(Method::POST, &format!("/api/feedback/{id}/activity"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let (_, case) = case_of(&w, &id).await;
    assert_eq!(case["assignee"], "pat");
    let kinds: Vec<&str> = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[kinds.len() - 3..], ["assigned", "contact", "note"]);

    // The records went through the pipeline's sink as well.
    let out = std::fs::read_to_string(w.dir.path().join("out.jsonl")).unwrap();
    assert!(
        out.contains(&id),
        "the feedback record is in the JSONL sink"
    );
    assert!(out.contains(r#""schema":"earshot.influencer/2""#));
}

#[tokio::test]
async fn fetched_items_are_routed_into_queues_and_survive_a_restart() {
    let w = Workspace::start("").await;
    let outcome = w.poll().await;
    assert!(outcome.records > 0, "the fixture feed mentions the brands");
    let before = waiting(&w).await;
    let total: u64 = before.iter().map(|(_, n)| n).sum();
    assert!(total > 0, "{before:?}");
    let (name, _) = before.iter().find(|(_, n)| *n > 0).unwrap();
    let id = queue(&w, name).await[0]["id"].as_str().unwrap().to_string();
    assert_eq!(status(&w, &id, "acknowledged").await, StatusCode::OK);
    let after = waiting(&w).await;

    let dir = w.stop().await;
    let w = Workspace::start_in(dir, "").await;
    assert_eq!(
        waiting(&w).await,
        after,
        "the store gives back the same queues"
    );
    let (_, case) = case_of(&w, &id).await;
    assert_eq!(case["state"], "acknowledged");
    // Polling again finds the same items seen: nothing is routed twice.
    let again = w.poll().await;
    assert_eq!(again.records, 0);
    assert_eq!(waiting(&w).await, after);
}

#[tokio::test]
async fn refusals_say_what_is_wrong() {
    let w = Workspace::start("").await;
    let r = w.http.get(w.url("/api/queues")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = w
        .http
        .get(w.url("/api/queues"))
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let (s, v) = json(
        w.api(Method::POST, "/api/feedback")
            .json(&json!({"text": "", "brand": "Initech", "kind": "gossip", "url": "htp:/bad url"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["text", "brand", "kind", "url"], "{v}");

    let (s, v) = json(
        w.api(Method::POST, "/api/feedback")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(v["error"].as_str().unwrap().starts_with("body: "), "{v}");

    let (s, v) = json(
        w.api(Method::POST, "/api/feedback")
            .json(&json!({"text": "The weather is lovely today."}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        v["fields"][0]["field"], "brand",
        "no brand named and none chosen: {v}"
    );

    let big = "x".repeat(70 * 1024);
    let r = w
        .api(Method::POST, "/api/feedback")
        .json(&json!({"text": big}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    assert_eq!(
        status(&w, "fb_nope", "resolved").await,
        StatusCode::NOT_FOUND
    );
    let r = w.api(Method::GET, "/api/queues/nope").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (s, v) = json(
        w.api(Method::POST, "/api/feedback/fb_nope/status")
            .json(&json!({"status": "done"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (s, v["fields"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("status"))
    );
    let r = w
        .api(Method::GET, "/api/queues/support?priority=asap")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // Sessions: a viewer reads but may not act; a member may not see a
    // restricted queue; a change without the CSRF header is refused.
    let (_, v) = json(
        w.api(Method::POST, "/api/feedback")
            .json(&json!({"text": "Acme support never answered my ticket, I am thinking of cancelling my subscription.", "brand": "Acme"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = v["id"].as_str().unwrap().to_string();
    let (_, case) = case_of(&w, &id).await;
    assert_eq!(case["feedback"]["routing"]["queue"], "retention", "{case}");

    let mut val = Session::default();
    let csrf = val.login(&w, "val").await;
    let with = |s: &Session, m: Method, path: &str| {
        w.http
            .request(m, w.url(path))
            .header(reqwest::header::COOKIE, s.header())
    };
    assert_eq!(
        with(&val, Method::GET, "/api/queues")
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let r = with(&val, Method::POST, &format!("/api/feedback/{id}/status"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"status": "acknowledged"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a viewer may not act");

    let mut pat = Session::default();
    let csrf = pat.login(&w, "pat").await;
    let r = with(&pat, Method::GET, &format!("/api/feedback/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "retention is not pat's");
    let names: Vec<String> = {
        let (_, v) = json(with(&pat, Method::GET, "/api/queues").send().await.unwrap()).await;
        v.as_array()
            .unwrap()
            .iter()
            .map(|q| q["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names, ["support", "community"]);

    let mut rita = Session::default();
    let rita_csrf = rita.login(&w, "rita").await;
    let r = with(&rita, Method::POST, &format!("/api/feedback/{id}/status"))
        .json(&json!({"status": "acknowledged"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "no CSRF header");
    let r = with(&rita, Method::POST, &format!("/api/feedback/{id}/status"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"status": "acknowledged"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "another session's token");
    let r = with(&rita, Method::POST, &format!("/api/feedback/{id}/status"))
        .header("x-csrf-token", &rita_csrf)
        .json(&json!({"status": "acknowledged"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, case) = case_of(&w, &id).await;
    assert_eq!(
        case["history"].as_array().unwrap().last().unwrap()["by"],
        "rita"
    );
}

#[tokio::test]
async fn the_public_form_files_feedback_and_refuses_bots_floods_and_essays() {
    let w = Workspace::start(FORM).await;
    let mut visitor = Session::default();
    let (s, page) = visitor.get(&w, "/feedback").await;
    assert_eq!(s, StatusCode::OK);
    assert!(visitor.has("earshot_csrf"));
    let csrf = csrf_of(&page);

    let (s, _, _) = visitor.post(&w, "/feedback", &[("text", "Love it")]).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "no CSRF token");

    let (s, _, page) = visitor
        .post(
            &w,
            "/feedback",
            &[
                ("csrf", &csrf),
                ("website", "http://spam.example"),
                ("text", "Buy now"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "a bot is thanked");
    assert!(page.contains("Thank you"));
    assert!(
        waiting(&w).await.iter().all(|(_, n)| *n == 0),
        "and nothing is filed"
    );

    let essay = "a".repeat(600);
    let (s, _, _) = visitor
        .post(&w, "/feedback", &[("csrf", &csrf), ("text", &essay)])
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);

    let (s, _, page) = visitor
        .post(
            &w,
            "/feedback",
            &[
                ("csrf", &csrf),
                ("email", "not-an-address"),
                ("text", "The app is slow."),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(page.contains("email"), "the field is named");

    let (s, _, page) = visitor
        .post(
            &w,
            "/feedback",
            &[
                ("csrf", &csrf),
                ("name", "Sam"),
                ("email", "sam@example.org"),
                (
                    "text",
                    "The new pricing page is confusing and the checkout failed twice.",
                ),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert!(page.contains("Thank you"));
    let community = queue(&w, "community").await;
    let support = queue(&w, "support").await;
    let filed: Vec<&Value> = community.iter().chain(&support).collect();
    assert_eq!(filed.len(), 1);
    assert_eq!(filed[0]["source"]["platform"], "web-form");
    assert_eq!(filed[0]["brand"], "Acme", "the form's brand");

    // Three an hour: the bot's try and the refused one counted too.
    let (s, _, _) = visitor
        .post(&w, "/feedback", &[("csrf", &csrf), ("text", "Once more")])
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn people_log_in_read_their_queues_and_act_through_the_pages() {
    let w = Workspace::start("").await;
    w.poll().await;
    let mut anon = Session::default();
    let (s, _) = anon.get(&w, "/queues").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "to the login form");

    let mut s = Session::default();
    let (_, page) = s.get(&w, "/login").await;
    let csrf = csrf_of(&page);
    let (st, _, page) = s
        .post(
            &w,
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "pat"),
                ("password", "wrong"),
                ("next", "/queues"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert!(page.contains("Wrong name or password"));
    let csrf = s.login(&w, "pat").await;

    let (st, page) = s.get(&w, "/queues").await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains(r#"href="/queues/support""#) && !page.contains(r#"href="/queues/retention""#)
    );
    let (_, page) = s.get(&w, "/queues/community").await;
    let at = page
        .find(r#"href="/feedback/"#)
        .expect("a feedback in community")
        + r#"href="/feedback/"#.len();
    let id = page[at..at + page[at..].find('"').unwrap()].to_string();
    let (st, case) = s.get(&w, &format!("/feedback/{id}")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(case.contains("Acknowledge"));

    let (st, _, _) = s
        .post(
            &w,
            &format!("/feedback/{id}/status"),
            &[("status", "acknowledged")],
        )
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "no CSRF token in the form");
    let (st, loc, _) = s
        .post(
            &w,
            &format!("/feedback/{id}/status"),
            &[
                ("csrf", &csrf),
                ("status", "acknowledged"),
                ("note", "Looking into it"),
            ],
        )
        .await;
    assert_eq!(
        (st, loc.as_deref()),
        (
            StatusCode::SEE_OTHER,
            Some(format!("/feedback/{id}").as_str())
        )
    );
    let (_, page) = s.get(&w, "/queues/community").await;
    assert!(
        !page.contains(&id),
        "acknowledged: gone from the waiting list"
    );
    let (_, case) = s.get(&w, &format!("/feedback/{id}")).await;
    assert!(case.contains("Looking into it") && case.contains("pat"));

    let (st, loc, _) = s
        .post(
            &w,
            "/new",
            &[
                ("csrf", &csrf),
                (
                    "text",
                    "Sales: a prospect says Globex offered them 40% off to switch from Acme Cloud.",
                ),
                ("kind", "anecdote"),
                ("brand", "Acme"),
                ("product", "Acme Cloud"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let new_id = loc.unwrap().trim_start_matches("/feedback/").to_string();
    let (_, case) = s.get(&w, &format!("/feedback/{new_id}")).await;
    assert!(
        case.contains("Sales or support anecdote"),
        "the kind is shown"
    );

    let (st, page) = s.get(&w, "/brands/Acme").await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("<svg") && page.contains("mentions"));
    let (st, _) = s.get(&w, "/alerts").await;
    assert_eq!(st, StatusCode::OK);

    let (st, loc, _) = s.post(&w, "/logout", &[("csrf", &csrf)]).await;
    assert_eq!(
        (st, loc.as_deref()),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
    let (st, _) = s.get(&w, "/queues").await;
    assert_eq!(st, StatusCode::SEE_OTHER, "logged out");
}

#[tokio::test]
async fn the_openapi_document_names_every_route_scripts_use() {
    let w = Workspace::start("").await;
    let (s, v) = json(w.http.get(w.url("/api/openapi.json")).send().await.unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    for path in [
        "/api/queues",
        "/api/queues/{queue}",
        "/api/feedback",
        "/api/feedback/{id}",
        "/api/feedback/{id}/status",
    ] {
        assert!(v["paths"][path].is_object(), "{path}");
    }
    let r = w.http.get(w.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn metrics_show_what_waits_in_each_queue_and_what_people_did() {
    let w = Workspace::start("").await;
    w.poll().await;
    let before = waiting(&w).await;
    let (name, n) = before.iter().find(|(_, n)| *n > 0).unwrap().clone();
    let id = queue(&w, &name).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(status(&w, &id, "acknowledged").await, StatusCode::OK);
    let text = w
        .http
        .get(w.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = format!("earshot_workspace_waiting{{queue=\"{name}\"}} {}", n - 1);
    assert!(text.contains(&line), "{line} in:\n{text}");
    assert!(text.contains(&format!(
        "earshot_workspace_acknowledged{{queue=\"{name}\"}} 1"
    )));
    assert!(
        text.contains("earshot_workspace_actions_total{action=\"acknowledged\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("earshot_items_total{"),
        "the pipeline's series too"
    );
}

#[tokio::test]
async fn what_a_backfill_delivered_before_is_in_the_queues_when_serve_starts() {
    let w = Workspace::start("").await;
    w.poll().await;
    let before = waiting(&w).await;
    let dir = w.stop().await;
    // As if only `earshot backfill` had run: the sink holds the records,
    // the workspace has no store yet.
    let state = dir.path().join("state");
    std::fs::remove_file(state.join("workspace.jsonl")).unwrap();
    let w = Workspace::start_in(dir, "").await;
    assert_eq!(waiting(&w).await, before);
    // Read once: a second start takes nothing twice.
    let dir = w.stop().await;
    let w = Workspace::start_in(dir, "").await;
    assert_eq!(waiting(&w).await, before);
    let store = std::fs::read_to_string(w.dir.path().join("state/workspace.jsonl")).unwrap();
    let routed = store
        .lines()
        .filter(|l| l.starts_with(r#"{"event":"routed""#))
        .count();
    assert_eq!(routed as u64, before.iter().map(|(_, n)| n).sum::<u64>());
}

#[tokio::test]
async fn password_guessing_is_limited_per_address() {
    let w = Workspace::start("").await;
    let mut s = Session::default();
    let (_, page) = s.get(&w, "/login").await;
    let csrf = csrf_of(&page);
    let limit = earshot::serve::http::LOGINS_PER_HOUR as usize;
    for guess in 0..limit {
        let (st, _, _) = s
            .post(
                &w,
                "/login",
                &[
                    ("csrf", &csrf),
                    ("name", "pat"),
                    ("password", &format!("guess{guess}")),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(st, StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits now.
    let (st, _, page) = s
        .post(
            &w,
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "pat"),
                ("password", serve::harness::PASSWORD),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("try again in"), "{page}");
}

/// Files a post by Rant112 through the API; returns the feedback id.
async fn file_rant(w: &Workspace, text: &str, url: &str) -> String {
    let (s, v) = json(
        w.api(Method::POST, "/api/feedback")
            .json(&json!({
                "text": text,
                "kind": "post",
                "url": url,
                "influencer": {"screen_name": "Rant112", "url": "https://rant112.example/"}
            }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn contacts_with_an_author_warn_before_the_next_and_proactive_ones_are_capped() {
    let w = Workspace::start("[serve.contact]\nwarn_within = \"7d\"\nproactive_cap = 1\n").await;
    let first = file_rant(
        &w,
        "Acme Cloud lost my files again, third outage this month.",
        "https://rant112.example/acme-cloud-outage",
    )
    .await;
    let second = file_rant(
        &w,
        "Acme Cloud support still has not answered my ticket.",
        "https://rant112.example/acme-cloud-support",
    )
    .await;
    let mut s = Session::default();
    let csrf = s.login(&w, "pat").await;
    let (_, page) = s.get(&w, &format!("/feedback/{second}")).await;
    assert!(!page.contains("contact-warning"), "no contact yet");

    // A reply on the first case: the second case, same author, warns.
    let (st, _, _) = s
        .post(
            &w,
            &format!("/feedback/{first}/activity"),
            &[
                ("csrf", &csrf),
                ("kind", "contact"),
                ("channel", "blog comment"),
                ("summary", "Apologised and asked for the ticket number."),
            ],
        )
        .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (_, page) = s.get(&w, &format!("/feedback/{second}")).await;
    let warning = page
        .split(r#"id="contact-warning""#)
        .nth(1)
        .expect("a warning before the next contact");
    assert!(
        warning.contains("by pat (blog comment)"),
        "{}",
        &warning[..200]
    );
    let (_, case) = case_of(&w, &second).await;
    assert_eq!(case["contact"]["recent"], true);
    assert_eq!(case["contact"]["last"]["feedback_id"], first.as_str());
    assert_eq!(case["contact"]["proactive"], 0);

    // One proactive contact is allowed; the second is refused, saying why.
    let contact = |proactive: bool| json!({"kind": "contact", "channel": "email", "summary": "Offered a call.", "proactive": proactive});
    let post = |id: &str, body: Value| {
        w.api(Method::POST, &format!("/api/feedback/{id}/activity"))
            .json(&body)
            .send()
    };
    assert_eq!(
        post(&second, contact(true)).await.unwrap().status(),
        StatusCode::OK
    );
    let (st, v) = json(post(&first, contact(true)).await.unwrap()).await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    assert!(v.to_string().contains("cap per author"), "{v}");
    let (_, case) = case_of(&w, &first).await;
    assert_eq!(case["contact"]["capped"], true);
    let proactive: Vec<&Value> = case["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["kind"] == "contact")
        .collect();
    assert_eq!(proactive.len(), 1, "the refused contact is not logged");
    // A reply is never capped; the page disables the proactive box.
    assert_eq!(
        post(&first, contact(false)).await.unwrap().status(),
        StatusCode::OK
    );
    let (_, page) = s.get(&w, &format!("/feedback/{first}")).await;
    assert!(page.contains(r#"name="proactive" value="1" disabled"#));
    assert!(page.contains(r#"id="contact-cap""#));
}
