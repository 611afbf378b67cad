//! What happens when the notifiers' group moves partitions: on revocation
//! the running notifier task stops (after the delivery in flight), the
//! delivery records are flushed and the settled offsets committed, before
//! librdkafka gives the partitions up; on assignment the consumer loop is
//! told which partitions to start on.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tokio_util::sync::CancellationToken;

use super::deliveries::Deliveries;
use super::ledger::Ledger;
use crate::notify::run::RESEND_WITHIN;
use crate::route::decider::Clock;

/// The notifier task of one assignment.
pub struct Generation {
    pub token: CancellationToken,
    pub task: tokio::task::JoinHandle<()>,
}

/// State shared by the consumer loop and the rebalance callbacks.
pub struct Shared {
    topic: String,
    pub ledger: Arc<Mutex<Ledger>>,
    store: Arc<Deliveries>,
    clock: Clock,
    pub rt: tokio::runtime::Handle,
    generation: Mutex<Option<Generation>>,
    owned: Mutex<HashSet<i32>>,
    /// Partitions assigned and not yet started on.
    assigned: Mutex<Option<Vec<i32>>>,
}

impl Shared {
    /// Must be called inside the runtime the notifier tasks run on.
    pub fn new(
        topic: String,
        ledger: Arc<Mutex<Ledger>>,
        store: Arc<Deliveries>,
        clock: Clock,
    ) -> Shared {
        Shared {
            topic,
            ledger,
            store,
            clock,
            rt: tokio::runtime::Handle::current(),
            generation: Mutex::new(None),
            owned: Mutex::default(),
            assigned: Mutex::new(None),
        }
    }

    pub fn take_assigned(&self) -> Option<Vec<i32>> {
        self.assigned.lock().expect("assigned lock").take()
    }

    pub fn owns(&self, partition: i32) -> bool {
        self.owned.lock().expect("owned lock").contains(&partition)
    }

    pub fn begin(&self, g: Generation) {
        *self.generation.lock().expect("generation lock") = Some(g);
    }

    /// Commits what is settled, if it moved.
    pub fn commit<C: ConsumerContext>(&self, consumer: &BaseConsumer<C>, mode: CommitMode) {
        let since = self.clock.now() - RESEND_WITHIN;
        let offsets = self.ledger.lock().expect("ledger lock").commits(since);
        if offsets.is_empty() {
            return;
        }
        let mut tpl = TopicPartitionList::new();
        for (p, o) in offsets {
            if tpl
                .add_partition_offset(&self.topic, p, Offset::Offset(o))
                .is_err()
            {
                return;
            }
        }
        if let Err(e) = consumer.commit(&tpl, mode) {
            // The next commit carries the same offsets or later ones.
            tracing::warn!(error = %e, "Committing alert offsets failed.");
        }
    }

    /// Stops delivering for the partitions owned: the task ends after the
    /// delivery in flight, its records reach the broker, offsets are
    /// committed. Blocks; called on the consumer's thread.
    pub fn stop<C: ConsumerContext>(&self, consumer: &BaseConsumer<C>) {
        let g = self.generation.lock().expect("generation lock").take();
        if let Some(g) = g {
            g.token.cancel();
            if let Err(e) = self.rt.block_on(g.task) {
                tracing::error!(error = %e, "The notifier task failed.");
            }
        }
        self.store.flush();
        self.commit(consumer, CommitMode::Sync);
        self.ledger.lock().expect("ledger lock").clear();
        self.owned.lock().expect("owned lock").clear();
        self.assigned.lock().expect("assigned lock").take();
    }
}

/// The consumer's context: hooks [`Shared`] into librdkafka's rebalances.
pub struct Rebalancing(pub Arc<Shared>);

impl ClientContext for Rebalancing {}

impl ConsumerContext for Rebalancing {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(_) = rebalance {
            self.0.stop(consumer);
        }
    }

    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(tpl) => {
                let parts: Vec<i32> = tpl
                    .elements_for_topic(&self.0.topic)
                    .iter()
                    .map(|e| e.partition())
                    .collect();
                *self.0.owned.lock().expect("owned lock") = parts.iter().copied().collect();
                *self.0.assigned.lock().expect("assigned lock") = Some(parts);
            }
            Rebalance::Revoke(_) => {}
            Rebalance::Error(e) => tracing::warn!(error = %e, "Rebalancing the notifiers failed."),
        }
    }
}
