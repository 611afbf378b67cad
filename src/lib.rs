//! earshot: social-listening ingestion.
//!
//! A pipeline reads left to right, and so does this crate:
//!
//! - [`source`]: fetches feeds, pages and social posts (Mastodon, Bluesky,
//!   Hacker News, Reddit) through one shared HTTP client, and turns
//!   documents into [`model::Item`]s (pure parsers).
//! - [`normalize`]: HTML to text, stable item keys, content hashes, encodings.
//! - [`classify`]: brand queries (a Boolean language) and sentiment.
//! - [`record`]: feedback and influencer records with deterministic ids.
//! - [`sink`]: JSON lines or Kafka; the only place that acknowledges.
//! - [`route`]: downstream of Kafka, feedback into work queues, escalation
//!   and spike alerts.
//! - [`notify`]: alerts to people: Slack and signed webhooks, throttled.
//! - [`serve`]: the workspace where people work the queues (pages, API).
//! - [`state`]: what was delivered, HTTP validators, cursors.
//! - [`pipeline`]: the driver shared by `run` and `backfill`.
//! - [`config`]: pipeline files, validated and compiled.
//! - [`cores`] and [`memory`]: one CPU job per core, and the memory the
//!   jobs freed handed back to the system.
//! - [`retry`]: the one jittered backoff that sources and sinks share.
//! - [`cli`]: the subcommands' bodies, used by `main.rs`.
//! - [`eval`]: accuracy of sentiment, brand queries and intent on labelled sets.

pub mod classify;
pub mod cli;
pub mod config;
pub mod cores;
pub mod eval;
pub mod group;
pub mod memory;
pub mod model;
pub mod normalize;
pub mod notify;
pub mod pipeline;
pub mod record;
pub mod retry;
pub mod route;
pub mod serve;
pub mod sink;
pub mod source;
pub mod state;
