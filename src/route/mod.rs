//! `earshot route` and `earshot queue`: the CRM side of the feedback topic.
//!
//! Downstream of the sink, route turns the feedback topic into work queues
//! and makes sure nothing important waits: [`rules`] pick a queue (first
//! match wins), [`deadline`] tracks what the CRM acknowledged or resolved
//! and escalates what stalls, [`spike`] compares a brand's recent volume
//! with its baseline, [`disengage`] reads each person's sentiment history
//! for a turn to the negative or a silence, [`records`] are the shapes that go out. All four, and the
//! [`decider`] that combines them, are pure. [`consumer`] is the Kafka edge (consumer group, changelog, commits
//! after acknowledgement); [`queue`] reads a queue for a person; [`exposed`]
//! is what `/healthz` and `/metrics` say of a running route.

pub mod config;
pub mod consumer;
pub mod deadline;
pub mod decider;
pub mod disengage;
pub mod exposed;
pub mod queue;
pub mod records;
pub mod rules;
pub mod spike;
