//! What librdkafka says about the brokers, kept and told once.
//!
//! librdkafka reports a broker it cannot reach many times a second, on every
//! connection attempt, in lines of its own ("0/1 brokers are down"). This
//! context keeps the last such error, so that earshot can say in one
//! message of its own why nothing is delivered ("SSL handshake failed:
//! certificate verify failed"), and passes librdkafka's lines on at a
//! bounded rate: errors as warnings at most every [`QUIET`], the rest at
//! debug level. The state is shared by every producer the sink creates, so
//! replacing a fenced producer does not forget it.
//!
//! Errors also go to the sink's [`SinkStatus`], and librdkafka's statistics
//! (every `statistics.interval.ms`) say when a broker connection is up
//! again, which ends the outage there. A consumer with this context (`earshot
//! route`) keeps each assigned partition's lag from the same statistics.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::Statistics;

use crate::sink::status::{ErrorKind, SinkStatus};

/// The least time between two warnings passed on from librdkafka.
pub const QUIET: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Shared {
    last_error: Mutex<Option<String>>,
    last_warned: Mutex<Option<Instant>>,
    /// Where broker errors and recoveries are reported, for `/healthz`.
    status: SinkStatus,
    /// A consumer's lag by (topic, partition), from the last statistics.
    lag: Mutex<BTreeMap<(String, i32), i64>>,
}

/// The producers' client context. Cheap to clone.
#[derive(Clone, Default)]
pub struct BrokerContext(Arc<Shared>);

impl BrokerContext {
    /// The last error librdkafka reported about the brokers, if any.
    pub fn last_error(&self) -> Option<String> {
        self.0.last_error.lock().expect("context lock").clone()
    }

    /// Forgets the last error once a delivery got through.
    pub fn clear(&self) {
        *self.0.last_error.lock().expect("context lock") = None;
        self.0.status.broker_up();
    }

    /// The status this context reports broker errors to.
    pub fn status(&self) -> SinkStatus {
        self.0.status.clone()
    }

    /// Messages behind the high watermark per assigned (topic, partition),
    /// as of the last statistics (a consumer's only).
    pub fn lag(&self) -> BTreeMap<(String, i32), i64> {
        self.0.lag.lock().expect("context lock").clone()
    }

    /// Whether a warning may go out now (at most one per [`QUIET`]).
    fn may_warn(&self) -> bool {
        let mut last = self.0.last_warned.lock().expect("context lock");
        let now = Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < QUIET) {
            return false;
        }
        *last = Some(now);
        true
    }
}

impl rdkafka::consumer::ConsumerContext for BrokerContext {}

impl ClientContext for BrokerContext {
    fn stats(&self, stats: Statistics) {
        if stats.brokers.values().any(|b| b.state == "UP") {
            self.0.status.broker_up();
        }
        let lag = stats
            .topics
            .values()
            .flat_map(|t| t.partitions.values().map(move |p| (t, p)))
            .filter_map(|(t, p)| Some(((t.topic.clone(), p.partition), partition_lag(p)?)))
            .collect();
        *self.0.lag.lock().expect("context lock") = lag;
    }

    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        if (level as i32) <= RDKafkaLogLevel::Error as i32 {
            *self.0.last_error.lock().expect("context lock") = Some(message.to_string());
            if self.may_warn() {
                tracing::warn!(facility = fac, "librdkafka: {message}");
                return;
            }
        }
        tracing::debug!(facility = fac, ?level, "librdkafka: {message}");
    }

    fn error(&self, error: KafkaError, reason: &str) {
        *self.0.last_error.lock().expect("context lock") = Some(reason.to_string());
        self.0.status.broker_error(kind(&error), reason);
        if self.may_warn() {
            tracing::warn!(%error, "Kafka brokers: {reason}");
        } else {
            tracing::debug!(%error, "Kafka brokers: {reason}");
        }
    }
}

/// The lag of one partition of a consumer's statistics: `None` for a
/// partition not assigned to it or not fetched yet (librdkafka says -1).
/// A partition the group never committed on, librdkafka also counts as -1,
/// but the group starts at the earliest offset, so everything retained is
/// still to be handled: an owned, empty partition is a lag of 0, not a
/// missing one.
fn partition_lag(p: &rdkafka::statistics::Partition) -> Option<i64> {
    if !p.desired || p.partition < 0 {
        return None;
    }
    if p.consumer_lag >= 0 {
        return Some(p.consumer_lag);
    }
    (p.committed_offset < 0 && p.hi_offset >= 0)
        .then(|| p.hi_offset - p.lo_offset.clamp(0, p.hi_offset))
}

/// The kind of a client-level error from librdkafka.
pub fn kind(error: &KafkaError) -> ErrorKind {
    use RDKafkaErrorCode::*;
    match error.rdkafka_error_code() {
        Some(
            BrokerTransportFailure
            | AllBrokersDown
            | Resolve
            | BrokerNotAvailable
            | NetworkException,
        ) => ErrorKind::Transport,
        Some(SSL) => ErrorKind::Tls,
        Some(Authentication | SaslAuthenticationFailed) => ErrorKind::Auth,
        Some(MessageTimedOut | RequestTimedOut) => ErrorKind::Timeout,
        _ => ErrorKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::statistics::Partition;

    #[test]
    fn the_last_error_is_kept_until_cleared_and_shared_by_clones() {
        let a = BrokerContext::default();
        let b = a.clone();
        a.error(
            KafkaError::Global(rdkafka::types::RDKafkaErrorCode::AllBrokersDown),
            "1/1 brokers are down",
        );
        b.error(
            KafkaError::Global(rdkafka::types::RDKafkaErrorCode::SSL),
            "SSL handshake failed: certificate verify failed",
        );
        assert_eq!(
            a.last_error().as_deref(),
            Some("SSL handshake failed: certificate verify failed")
        );
        b.clear();
        assert_eq!(a.last_error(), None);
    }

    fn partition(consumer_lag: i64, committed_offset: i64, lo: i64, hi: i64) -> Partition {
        Partition {
            partition: 0,
            desired: true,
            consumer_lag,
            committed_offset,
            lo_offset: lo,
            hi_offset: hi,
            ..Partition::default()
        }
    }

    #[test]
    fn an_owned_partition_has_a_lag_even_before_the_group_committed_on_it() {
        // Committed at 7 of 10: librdkafka's own count.
        assert_eq!(partition_lag(&partition(3, 7, 0, 10)), Some(3));
        // Never committed, empty: nothing to do, but owned.
        assert_eq!(partition_lag(&partition(-1, -1001, 0, 0)), Some(0));
        // Never committed: all that is retained is still to be handled.
        assert_eq!(partition_lag(&partition(-1, -1001, 4, 10)), Some(6));
        // Not fetched yet: no watermark, no lag to tell.
        assert_eq!(partition_lag(&partition(-1, -1001, -1, -1)), None);
        // A watermark below the log start (a broker's odd answer) is no
        // negative lag.
        assert_eq!(partition_lag(&partition(-1, -1001, 12, 10)), Some(0));
        let not_ours = Partition {
            desired: false,
            ..partition(3, 7, 0, 10)
        };
        assert_eq!(partition_lag(&not_ours), None);
        // librdkafka's internal "unassigned" partition.
        assert_eq!(
            partition_lag(&Partition {
                partition: -1,
                ..partition(0, 0, 0, 0)
            }),
            None
        );
    }

    #[test]
    fn warnings_are_rate_limited() {
        let c = BrokerContext::default();
        assert!(c.may_warn());
        assert!(!c.may_warn(), "a second warning within the quiet period");
    }
}
