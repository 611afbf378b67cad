//! Harness of the end-to-end tests: the earshot binary as a child process,
//! a Tansu broker as another, a TCP relay between them that can be cut, and
//! a plain rdkafka consumer reading back what arrived, and TLS in front of
//! the broker.
//!
//! Every wait here has a deadline and every child process is stopped when
//! its guard drops, panics included, so a failing test fails instead of
//! hanging or leaking brokers. Assertions about earshot live in the tests.
#![allow(dead_code)]

pub mod broker;
pub mod earshot;
pub mod reader;
pub mod relay;
pub mod tls;

use std::net::TcpListener;
use std::time::{Duration, Instant};

/// A port of 127.0.0.1 that was free a moment ago. The small race with
/// other processes is accepted: a clash shows as a bind error, not a hang.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding 127.0.0.1:0")
        .port()
}

/// Polls `done` every 50 ms until it holds or `within` passes; returns
/// whether it held.
pub fn wait_until(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
