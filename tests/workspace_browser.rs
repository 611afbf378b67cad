//! The workspace in a real headless Chromium, driven over WebDriver
//! (chromedriver): log in, open a queue and a feedback, acknowledge it and
//! see it leave the queue, file new feedback and see it routed, send the
//! public form, read a brand's chart. Each page is saved as a screenshot
//! under `target/screenshots/` to be looked at.
//!
//! One browser and one workspace for the whole binary's one test: a
//! browser start costs seconds.

#[allow(dead_code)]
mod common;
mod serve {
    pub mod harness;
}

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use serve::harness::{Workspace, PASSWORD};

/// chromedriver on a free port, killed when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

async fn driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver (Debian's chromium-driver; scripts/test installs it)");
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for _ in 0..100 {
        if http
            .get(format!("{url}/status"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Driver { child, url };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer within 10 s");
}

async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    // The flags a closed network needs: no background connections, no
    // component updates, no sync, no QUIC.
    let args = json!([
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        format!("--user-data-dir={}", profile.display()),
    ]);
    // Two TLS back ends are linked in; the WebDriver client needs one named.
    tokio_rustls::rustls::crypto::ring::default_provider()
        .install_default()
        .ok();
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({"binary": "/usr/bin/chromium", "args": args}),
    );
    ClientBuilder::rustls()
        .expect("rustls")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    std::fs::write(shots().join(format!("{name}.png")), png).unwrap();
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn type_into(c: &Client, id: &str, keys: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap()
        .send_keys(keys)
        .await
        .unwrap();
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn people_work_the_queues_in_a_real_browser() {
    let w = Workspace::start("title = \"Acme feedback\"\n[serve.public_form]\nbrand = \"Acme\"\n")
        .await;
    w.poll().await;
    let d = driver().await;
    let profile = tempfile::tempdir().unwrap();
    let c = browser(&d, profile.path()).await;

    // Not logged in: the login form, then back where we were going.
    c.goto(&w.url("/queues")).await.unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    shot(&c, "login").await;
    type_into(&c, "name", "pat").await;
    // From the keyboard: Enter in the password field submits the form.
    let enter = "\u{E007}";
    type_into(&c, "password", &format!("{PASSWORD}{enter}")).await;
    c.wait()
        .for_element(Locator::Css("div.cards"))
        .await
        .unwrap();
    assert_eq!(text(&c, "h1").await, "Queues");
    shot(&c, "queues").await;

    // A queue, then its oldest feedback.
    click(&c, "a[href='/queues/community']").await;
    c.wait().for_element(Locator::Css("table")).await.unwrap();
    let before = text(&c, "main > p").await;
    shot(&c, "queue").await;
    // Rant112's feedback, wherever the queue's order puts it.
    let mut mine = None;
    for row in c.find_all(Locator::Css("tbody tr")).await.unwrap() {
        if row.text().await.unwrap().contains("Rant112") {
            mine = Some(row.find(Locator::Css("td a")).await.unwrap());
            break;
        }
    }
    let first = mine.expect("a feedback of Rant112's in the community queue");
    let href = first.attr("href").await.unwrap().unwrap();
    first.click().await.unwrap();
    c.wait()
        .for_element(Locator::Css("ol.history"))
        .await
        .unwrap();
    shot(&c, "feedback").await;

    // Its author's page, and back.
    let author = c
        .find(Locator::Css("a[href^='/influencers/']"))
        .await
        .expect("the author's card");
    author.click().await.unwrap();
    c.wait()
        .for_element(Locator::Css("figure svg"))
        .await
        .unwrap();
    assert!(text(&c, "main").await.contains("Sentiment over time"));
    shot(&c, "influencer").await;
    c.back().await.unwrap();
    c.wait()
        .for_element(Locator::Css("ol.history"))
        .await
        .unwrap();

    // Acknowledge it: it leaves the waiting list.
    click(&c, "button[value=acknowledged]").await;
    c.wait()
        .for_element(Locator::Css("button[value=reopened]"))
        .await
        .unwrap();
    assert!(text(&c, "ol.history").await.contains("acknowledged"));
    c.goto(&w.url("/queues/community")).await.unwrap();
    let after = text(&c, "main > p").await;
    assert_ne!(before, after, "the counts changed");
    let links: Vec<String> = {
        let mut v = Vec::new();
        for a in c.find_all(Locator::Css("tbody tr td a")).await.unwrap() {
            v.push(a.attr("href").await.unwrap().unwrap_or_default());
        }
        v
    };
    assert!(!links.contains(&href), "{href} is no longer waiting");

    // New feedback from sales: filed, routed, shown with its history.
    click(&c, "a[href='/new']").await;
    c.wait().for_element(Locator::Id("text")).await.unwrap();
    type_into(&c, "text", "A prospect told sales that Acme Cloud keeps failing to sync for them, and Globex offered 40% off.").await;
    click(&c, "select#kind option[value=anecdote]").await;
    click(&c, "select#brand option[value=Acme]").await;
    type_into(&c, "screen_name", "Rant112").await;
    shot(&c, "new").await;
    click(&c, "form[action='/new'] button[type=submit]").await;
    c.wait()
        .for_element(Locator::Css("ol.history"))
        .await
        .unwrap();
    let history = text(&c, "ol.history").await;
    assert!(history.contains("Routed to"), "{history}");
    assert!(history.contains("Sales or support anecdote"), "{history}");

    // A brand's chart.
    c.goto(&w.url("/brands/Acme")).await.unwrap();
    let svg = c.find(Locator::Css("figure svg")).await.unwrap();
    assert!(
        svg.find_all(Locator::Css("rect")).await.unwrap().len() > 1,
        "bars"
    );
    shot(&c, "brand").await;

    // On a phone's width the queue still reads.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&w.url("/queues/community")).await.unwrap();
    shot(&c, "queue-phone").await;

    // The public form: no login needed.
    click(&c, "header form button").await;
    c.goto(&w.url("/feedback")).await.unwrap();
    type_into(&c, "text", "Your checkout page froze twice today.").await;
    click(&c, "form[action='/feedback'] button[type=submit]").await;
    c.wait()
        .for_element(Locator::Css("p.notice"))
        .await
        .unwrap();
    assert_eq!(text(&c, "h1").await, "Thank you");
    shot(&c, "public-thanks").await;

    c.close().await.unwrap();
    let filed = w.app.desk.read(|v| {
        v.queue_names()
            .flat_map(|q| {
                v.page(q, &Default::default(), 0, 1000)
                    .cases
                    .into_iter()
                    .map(|c| c.routed.feedback.source.platform.clone())
                    .collect::<Vec<_>>()
            })
            .filter(|p| p == "web-form")
            .count()
    });
    assert_eq!(filed, 1, "the public form's feedback is in a queue");
}
