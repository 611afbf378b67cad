//! Jetstream, Bluesky's firehose as JSON over a websocket: the connection
//! and the reading of its events into frames.
//!
//! Owns the subscribe URL (posts only, from a cursor), the websocket
//! connection (pings are answered by tungstenite as frames are read) and
//! [`parse_event`], which is pure: one text message in, one [`Frame`] out,
//! with the event's `time_us` as its cursor. It does not decide how long to
//! read or where to resume: `poll` does.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::Value;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::header::{HeaderValue, USER_AGENT};
use tokio_tungstenite::tungstenite::Message;

use super::parse::{at_uri, lang_wanted, post_item, PostRecord, POST_COLLECTION};
use crate::config::social::BlueskySource;
use crate::source::http::guard::ConnectError;
use crate::source::http::{FetchError, HttpClient};
use crate::source::social::{Frame, FrameStream};
use crate::source::SourceError;

/// The subscribe address for posts from `cursor` (µs since the epoch) on,
/// or live without one. Other query parameters of `base` are kept.
pub fn subscribe_url(base: &url::Url, cursor: Option<&str>) -> url::Url {
    let mut url = base.clone();
    let kept: Vec<(String, String)> = base
        .query_pairs()
        .filter(|(k, _)| k != "cursor" && k != "wantedCollections")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut q = url.query_pairs_mut();
        q.clear().extend_pairs(kept);
        q.append_pair("wantedCollections", POST_COLLECTION);
        if let Some(c) = cursor {
            q.append_pair("cursor", c);
        }
    }
    url
}

// Borrowed where the JSON allows: most events are read only to be skipped
// or dropped by the brand filter, and the firehose is large.
#[derive(Deserialize)]
struct Event<'a> {
    #[serde(borrow)]
    did: Option<Cow<'a, str>>,
    time_us: Option<u64>,
    #[serde(borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    commit: Option<Commit<'a>>,
}

#[derive(Deserialize)]
struct Commit<'a> {
    #[serde(borrow)]
    operation: Option<Cow<'a, str>>,
    #[serde(borrow)]
    collection: Option<Cow<'a, str>>,
    #[serde(borrow)]
    rkey: Option<Cow<'a, str>>,
    record: Option<PostRecord>,
}

/// One Jetstream message as a frame. Posts in none of `langs` (when set),
/// deletes, other collections and non-commit events are skips.
pub fn parse_event(text: &str, langs: &[String]) -> Frame {
    let ev: Event = match serde_json::from_str(text) {
        Ok(ev) => ev,
        Err(e) => return salvage(text, e),
    };
    let Some(time_us) = ev.time_us else {
        return bad(None, "event has no `time_us`".into());
    };
    let cursor = time_us.to_string();
    let (Some("commit"), Some(commit)) = (ev.kind.as_deref(), ev.commit) else {
        return Frame::Skip { cursor };
    };
    let op = commit.operation.as_deref();
    if commit.collection.as_deref() != Some(POST_COLLECTION)
        || !matches!(op, Some("create" | "update"))
    {
        return Frame::Skip { cursor };
    }
    let (Some(did), Some(rkey)) = (ev.did, commit.rkey) else {
        return bad(Some(cursor), "post event without `did` or `rkey`".into());
    };
    let Some(record) = commit.record else {
        return bad(
            Some(cursor),
            format!("{}: no `record`", at_uri(&did, &rkey)),
        );
    };
    if !lang_wanted(record.langs.as_deref().unwrap_or_default(), langs) {
        return Frame::Skip { cursor };
    }
    // Jetstream saw the edit at `time_us`; the record keeps its createdAt.
    let edited = (op == Some("update"))
        .then(|| DateTime::<Utc>::from_timestamp_micros(time_us as i64))
        .flatten();
    match post_item(&did, &rkey, record, edited) {
        Ok(item) => Frame::Post { cursor, item },
        Err(e) => bad(Some(cursor), format!("{}: {e}", at_uri(&did, &rkey))),
    }
}

fn bad(cursor: Option<String>, error: String) -> Frame {
    Frame::Bad { cursor, error }
}

/// An event that did not fit the typed reading: find what it was, so that
/// a malformed like is a skip and a malformed post is named.
fn salvage(text: &str, err: serde_json::Error) -> Frame {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return bad(None, format!("not a JSON event: {err}"));
    };
    let Some(time_us) = v.get("time_us").and_then(Value::as_u64) else {
        return bad(
            None,
            format!("`time_us` is not a number of microseconds: {err}"),
        );
    };
    let cursor = time_us.to_string();
    let commit = &v["commit"];
    let is_post = v["kind"] == "commit"
        && commit["collection"] == POST_COLLECTION
        && commit["operation"] != "delete";
    if !is_post {
        return Frame::Skip { cursor };
    }
    let name = match (v["did"].as_str(), commit["rkey"].as_str()) {
        (Some(did), Some(rkey)) => at_uri(did, rkey),
        _ => format!("post at {cursor}"),
    };
    bad(Some(cursor), format!("{name}: {err}"))
}

fn stream_error(url: &url::Url, message: impl ToString) -> SourceError {
    SourceError::Stream {
        url: url.to_string(),
        message: message.to_string(),
    }
}

/// Connects to Jetstream and reads posts from `cursor` (µs) on, or live.
/// The stream ends (`None`) when the server closes the connection properly;
/// a dropped connection, or no message for the HTTP timeout, ends it with
/// an `Err` after which the caller resumes from its last cursor.
pub async fn subscribe(
    cfg: &BlueskySource,
    client: &HttpClient,
    cursor: Option<&str>,
) -> Result<FrameStream, SourceError> {
    let url = subscribe_url(&cfg.jetstream, cursor);
    let mut req = url
        .as_str()
        .into_client_request()
        .map_err(|e| stream_error(&url, e))?;
    let settings = client.settings();
    if let Ok(ua) = HeaderValue::from_str(&settings.user_agent) {
        req.headers_mut().insert(USER_AGENT, ua);
    }
    let idle = settings.timeout;
    let connect = async {
        // Through the SSRF guard: tungstenite would resolve and connect
        // wherever the URL says.
        let tcp = crate::source::http::guard::connect(client.guard(), &url)
            .await
            .map_err(|e| match e {
                ConnectError::Refused(refusal) => SourceError::Fetch(FetchError::Refused {
                    url: url.to_string(),
                    refusal,
                }),
                ConnectError::Io(e) => stream_error(&url, e),
            })?;
        tokio_tungstenite::client_async_tls(req, tcp)
            .await
            .map_err(|e| stream_error(&url, e))
    };
    let (ws, _) = tokio::time::timeout(idle, connect)
        .await
        .map_err(|_| stream_error(&url, "timed out connecting"))??;
    let langs = cfg.langs.clone();
    Ok(frames(ws, url, langs, idle).boxed())
}

struct Reader<S> {
    ws: S,
    url: url::Url,
    langs: Vec<String>,
    idle: std::time::Duration,
}

fn frames<S>(
    ws: S,
    url: url::Url,
    langs: Vec<String>,
    idle: std::time::Duration,
) -> impl Stream<Item = Result<Frame, SourceError>>
where
    S: Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin + Send,
{
    let reader = Reader {
        ws,
        url,
        langs,
        idle,
    };
    futures::stream::unfold(Some(reader), |state| async move {
        let mut r = state?;
        loop {
            let failed = match tokio::time::timeout(r.idle, r.ws.next()).await {
                Err(_) => format!("no message for {}s", r.idle.as_secs()),
                Ok(None) => "connection dropped without a close frame".to_string(),
                Ok(Some(Err(e))) => e.to_string(),
                Ok(Some(Ok(Message::Text(t)))) => {
                    let frame = parse_event(t.as_str(), &r.langs);
                    return Some((Ok(frame), Some(r)));
                }
                Ok(Some(Ok(Message::Binary(_)))) => {
                    let error = "binary message: compressed events were not asked for";
                    return Some((Ok(bad(None, error.into())), Some(r)));
                }
                Ok(Some(Ok(Message::Close(_)))) => return None,
                // Pings are answered by tungstenite on the next read.
                Ok(Some(Ok(_))) => continue,
            };
            return Some((Err(stream_error(&r.url, failed)), None));
        }
    })
}
