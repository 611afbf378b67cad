//! A signed-webhook receiver of the tests' own (axum on 127.0.0.1:0): it
//! checks the HMAC and its timestamp as a real receiver would, can answer
//! 500 to the first requests or to messages about given feedback, and
//! reports each request on a channel.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use tokio::sync::mpsc;

pub const KEY: &str = "route-notify-signing-key";

/// What the receiver did with one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Got {
    /// Accepted: the feedback ids of the message's alerts.
    Accepted(Vec<String>),
    Refused,
}

pub struct Receiver {
    /// Requests answered 500 before any is accepted.
    pub fail_first: Mutex<usize>,
    /// Messages about these feedback ids are answered 500.
    pub refuse: Mutex<Vec<String>>,
    tx: mpsc::UnboundedSender<Got>,
}

async fn hook(
    State(r): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    if !signed(&headers, &body) {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(msg) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let ids: Vec<String> = msg["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["feedback_id"].as_str().map(String::from))
        .collect();
    let refused = {
        let mut first = r.fail_first.lock().unwrap();
        let refuse = r.refuse.lock().unwrap();
        if *first > 0 {
            *first -= 1;
            true
        } else {
            ids.iter().any(|id| refuse.contains(id))
        }
    };
    if refused {
        let _ = r.tx.send(Got::Refused);
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let _ = r.tx.send(Got::Accepted(ids));
    StatusCode::OK
}

/// Checks the signature as a receiver would: HMAC of `t.body` with the
/// shared key, and a time within five minutes.
fn signed(headers: &HeaderMap, body: &[u8]) -> bool {
    headers
        .get("x-earshot-signature")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sig| {
            earshot::notify::message::verify(
                KEY.as_bytes(),
                sig,
                body,
                chrono::Utc::now().timestamp(),
                300,
            )
        })
}

pub async fn receiver(fail_first: usize) -> (String, Arc<Receiver>, mpsc::UnboundedReceiver<Got>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let r = Arc::new(Receiver {
        fail_first: Mutex::new(fail_first),
        refuse: Mutex::default(),
        tx,
    });
    let app = axum::Router::new()
        .route("/hook", post(hook))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), r, rx)
}
