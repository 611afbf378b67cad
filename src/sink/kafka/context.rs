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

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;

/// The least time between two warnings passed on from librdkafka.
pub const QUIET: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Shared {
    last_error: Mutex<Option<String>>,
    last_warned: Mutex<Option<Instant>>,
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

impl ClientContext for BrokerContext {
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
        if self.may_warn() {
            tracing::warn!(%error, "Kafka brokers: {reason}");
        } else {
            tracing::debug!(%error, "Kafka brokers: {reason}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn warnings_are_rate_limited() {
        let c = BrokerContext::default();
        assert!(c.may_warn());
        assert!(!c.may_warn(), "a second warning within the quiet period");
    }
}
