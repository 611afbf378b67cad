//! Mastodon's streaming API for hashtags: one long-lived server-sent-events
//! connection per hashtag, merged into one stream of frames.
//!
//! Owns finding the streaming host (an instance may serve it elsewhere, and
//! a redirect there would drop the token), connecting with the token, and
//! noticing a connection that went silent. It does not reconnect or fill
//! the gap a drop leaves: the caller does both, reconnecting and polling
//! from the last cursor. When one hashtag's connection ends the merged
//! stream ends, so that the caller's reconnect covers every hashtag.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use futures::stream::{self, BoxStream, StreamExt};
use reqwest::{header, Method};
use serde_json::Value;
use url::Url;

use super::parse::Cursor;
use super::sse::{event_frame, SseEvent, SseParser};
use super::{api_url, instance_host};
use crate::config::social::MastodonSource;
use crate::source::api::{error_message, limit_wait, ApiRequest};
use crate::source::http::{FetchError, HttpClient};
use crate::source::social::{Frame, FrameStream};
use crate::source::SourceError;

/// Mastodon sends a heartbeat every few seconds; this long without a byte
/// means the connection is dead even if no one said so.
const MIN_IDLE: Duration = Duration::from_secs(60);

/// The client's timeout covers a whole body, which a stream never finishes:
/// a connection is renewed after this long instead.
const MAX_CONNECTION: Duration = Duration::from_secs(24 * 3600);

/// Follows the configured hashtags live. `cursor` (a status id, or this
/// source's poll cursor) is where the caller stands: it is what an edit or
/// a delete carries until the first new status arrives.
pub async fn subscribe(
    cfg: &MastodonSource,
    client: &HttpClient,
    cursor: Option<&str>,
) -> Result<FrameStream, SourceError> {
    let Some(token) = cfg.token.as_ref() else {
        return Err(SourceError::Unsupported(
            "mastodon: streaming needs `token` (Mastodon streams only to signed-in apps)".into(),
        ));
    };
    if cfg.hashtags.is_empty() {
        return Err(SourceError::Unsupported(
            "mastodon: streaming follows `hashtags`, and none are set".into(),
        ));
    }
    let base = streaming_base(cfg, client).await;
    let host = instance_host(&cfg.instance);
    let latest = Arc::new(Mutex::new(cursor.map(Cursor::decode).and_then(|c| c.tag)));
    let settings = client.settings();
    let mut streams = Vec::new();
    for tag in &cfg.hashtags {
        let mut url = api_url(&base, &["api", "v1", "streaming", "hashtag"]);
        url.query_pairs_mut().append_pair("tag", tag);
        let resp = connect(client, &url, token.expose()).await?;
        streams.push(frames(Conn {
            body: resp.bytes_stream().boxed(),
            parser: SseParser::new(settings.max_body_bytes as usize),
            pending: VecDeque::new(),
            url: url.to_string(),
            host: host.clone(),
            title: format!("#{tag} on {host}"),
            latest: latest.clone(),
            idle: settings.timeout.max(MIN_IDLE),
            failed: false,
        }));
    }
    Ok(until_first_ends(streams))
}

/// Where the instance says its streaming API is (`configuration.urls.streaming`
/// of `/api/v2/instance`), as an http(s) URL; the instance itself when it
/// does not say.
async fn streaming_base(cfg: &MastodonSource, client: &HttpClient) -> Url {
    let url = api_url(&cfg.instance, &["api", "v2", "instance"]);
    let found = async {
        let resp = client.call(&ApiRequest::get(url)).await.ok()?;
        let v: Value = serde_json::from_slice(&resp.body).ok()?;
        let mut base = Url::parse(v.pointer("/configuration/urls/streaming")?.as_str()?).ok()?;
        let scheme = match base.scheme() {
            "wss" | "https" => "https",
            "ws" | "http" => "http",
            _ => return None,
        };
        base.set_scheme(scheme).ok()?;
        Some(base)
    };
    match found.await {
        Some(base) => base,
        None => {
            tracing::debug!(instance = %cfg.instance, "No streaming URL announced; using the instance.");
            cfg.instance.clone()
        }
    }
}

async fn connect(
    client: &HttpClient,
    url: &Url,
    token: &str,
) -> Result<reqwest::Response, SourceError> {
    let host = url.host_str().unwrap_or_default().to_string();
    client.limiter().ready(&host).await;
    let req = client
        .request(Method::GET, url.clone())
        .bearer_auth(token)
        .header(header::ACCEPT, "text/event-stream")
        .timeout(MAX_CONNECTION);
    let resp = client.open_stream(req).await?;
    let status = resp.status();
    let wait = limit_wait(status.as_u16(), resp.headers(), Utc::now(), false);
    if let Some(w) = wait {
        client.limiter().hold(&host, w);
    }
    if status.is_success() {
        return Ok(resp);
    }
    let body = tokio::time::timeout(MIN_IDLE, resp.bytes()).await;
    Err(SourceError::Fetch(FetchError::Api {
        url: url.to_string(),
        status: status.as_u16(),
        message: error_message(&body.ok().and_then(Result::ok).unwrap_or_default()),
        retry_after: wait,
    }))
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message = format!("{message}: {s}");
        source = s.source();
    }
    message
}

/// One hashtag's connection.
struct Conn {
    body: BoxStream<'static, reqwest::Result<Bytes>>,
    parser: SseParser,
    pending: VecDeque<Frame>,
    url: String,
    host: String,
    title: String,
    /// The newest status any of the connections announced.
    latest: Arc<Mutex<Option<String>>>,
    idle: Duration,
    failed: bool,
}

impl Conn {
    fn take(&mut self, ev: &SseEvent) {
        let mut latest = self.latest.lock().expect("cursor lock poisoned");
        let Some(mut frame) = event_frame(ev, &self.host, latest.as_deref()) else {
            return;
        };
        if ev.event == "update" {
            if let Frame::Post { cursor, .. }
            | Frame::Bad {
                cursor: Some(cursor),
                ..
            } = &frame
            {
                *latest = Some(cursor.clone());
            }
        }
        if let Frame::Post { item, .. } = &mut frame {
            item.source_title = Some(self.title.clone());
        }
        self.pending.push_back(frame);
    }
}

fn frames(conn: Conn) -> FrameStream {
    stream::unfold(conn, |mut c| async move {
        loop {
            if let Some(f) = c.pending.pop_front() {
                return Some((Ok(f), c));
            }
            if c.failed {
                return None;
            }
            let events = match tokio::time::timeout(c.idle, c.body.next()).await {
                Ok(None) => return None,
                Ok(Some(Ok(bytes))) => c.parser.push(&bytes).map_err(|e| e.to_string()),
                Ok(Some(Err(e))) => Err(chain(&e)),
                Err(_) => Err(format!(
                    "nothing received for {}s, not even a heartbeat",
                    c.idle.as_secs()
                )),
            };
            match events {
                Ok(events) => events.iter().for_each(|ev| c.take(ev)),
                Err(message) => {
                    c.failed = true;
                    let url = c.url.clone();
                    return Some((Err(SourceError::Stream { url, message }), c));
                }
            }
        }
    })
    .boxed()
}

/// The frames of all connections as they come, ending when the first ends.
fn until_first_ends(streams: Vec<FrameStream>) -> FrameStream {
    let marked = streams
        .into_iter()
        .map(|s| s.map(Some).chain(stream::once(async { None })).boxed());
    stream::select_all(marked)
        .take_while(|f| futures::future::ready(f.is_some()))
        .filter_map(futures::future::ready)
        .boxed()
}
