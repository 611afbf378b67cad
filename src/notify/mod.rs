//! Telling people about alerts: the `[notify]` section's channels (a
//! Slack-compatible incoming webhook, a generic JSON webhook signed with
//! HMAC-SHA256, email over SMTP in [`email`]), which alerts each channel
//! takes, and how often.
//!
//! [`config`] reads the section; [`throttle`] decides, purely, what goes
//! where and when (a minimum interval per channel and brand, with the alerts
//! inside it folded into the next message as a count; quiet hours and
//! digests per queue, whose local times [`schedule`] keeps); [`message`]
//! renders and signs the bodies, [`digest`] those of digests; [`send`]
//! delivers them through the shared HTTP client and its SSRF guard,
//! retrying with jittered backoff; [`run`] is the task that ties these to a
//! source of new alerts and a store of what was delivered, one lane per
//! channel; [`kafka`] runs it on the alerts topic for `earshot route` and
//! `earshot serve` on Kafka. Deciding that something is an alert is
//! routing's, not this module's.

pub mod config;
pub mod digest;
pub mod email;
pub mod kafka;
pub mod message;
pub mod run;
pub mod schedule;
pub mod send;
pub mod throttle;

#[cfg(test)]
mod tests;

pub use config::{Channel, ChannelKind, NotifyConfig};
