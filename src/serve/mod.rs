//! `earshot serve`: the workspace where people work the queues.
//!
//! Embedded (the pipeline's sink is not Kafka): one process runs the
//! sources as `run` does, hands every delivered batch to the [`desk`]
//! (routing's pure decider, the [`view`], and the [`log`] that stores
//! both in the state directory), escalates what stalls on a timer, and
//! serves pages and the JSON API ([`http`]). People's changes are
//! [`events`]; feedback filed by hand goes through [`intake`] into the
//! same classification, records and sink as fetched items. Who may do
//! what is [`config`] and [`auth`]; charts are [`svg`], a person's
//! sentiment history [`trajectory`].

pub mod auth;
pub mod config;
pub mod contact;
pub mod desk;
pub mod events;
pub mod http;
pub mod intake;
pub mod kafka;
pub mod log;
pub mod metrics;
pub mod svg;
pub mod trajectory;
pub mod view;

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::route::decider::Clock;
use desk::Desk;

/// Longest wait between two deadline checks: spike alerts are checked on
/// the same tick, and a new deadline may come sooner than the known ones.
pub const TICK: Duration = Duration::from_secs(60);

/// Escalates what falls due, until `shutdown`: wakes at the next deadline
/// (on tokio's clock, so tests can drive it with a paused clock), after a
/// change, or every [`TICK`].
pub async fn deadlines(desk: Arc<Desk>, clock: Clock, shutdown: CancellationToken) {
    loop {
        let next = match desk.tick(clock.now()) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "Deadline check failed.");
                None
            }
        };
        let cap = tokio::time::Instant::now() + TICK;
        let wake = next.map_or(cap, |t| clock.instant_of(t).min(cap));
        tokio::select! {
            _ = tokio::time::sleep_until(wake) => {}
            _ = desk.changed.notified() => {}
            _ = shutdown.cancelled() => return,
        }
    }
}

#[cfg(test)]
mod tests;
