//! The workspace's own series, in the pipeline's registry: what waits and
//! what is overdue per queue (set at each scrape from the view), and what
//! people did (counted as it happens). Labels are bounded: queues come from
//! the pipeline file, and the rest are closed sets.

use chrono::Utc;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use super::view::View;
use crate::pipeline::metrics::Metrics;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct QueueLabel {
    pub queue: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActionLabel {
    /// filed, acknowledged, resolved, reopened, note, assigned, contact.
    pub action: String,
}

#[derive(Clone, Default)]
pub struct WorkspaceMetrics {
    waiting: Family<QueueLabel, Gauge>,
    overdue: Family<QueueLabel, Gauge>,
    acknowledged: Family<QueueLabel, Gauge>,
    actions: Family<ActionLabel, Counter>,
}

impl WorkspaceMetrics {
    /// Registers the series beside the pipeline's.
    pub fn register(metrics: &Metrics) -> WorkspaceMetrics {
        let w = WorkspaceMetrics::default();
        metrics.register(|r| {
            r.register(
                "workspace_waiting",
                "Feedback waiting in each queue (open, not acknowledged)",
                w.waiting.clone(),
            );
            r.register(
                "workspace_overdue",
                "Waiting feedback past its queue's deadline",
                w.overdue.clone(),
            );
            r.register(
                "workspace_acknowledged",
                "Acknowledged, unresolved feedback in each queue",
                w.acknowledged.clone(),
            );
            r.register(
                "workspace_actions",
                "What people did in the workspace, by action",
                w.actions.clone(),
            );
        });
        w
    }

    /// Sets the queue gauges from the view.
    pub fn observe(&self, view: &View) {
        let now = Utc::now();
        for q in view.queue_names() {
            let s = view.summary(q, now);
            let label = QueueLabel {
                queue: q.to_string(),
            };
            self.waiting.get_or_create(&label).set(s.waiting as i64);
            self.overdue.get_or_create(&label).set(s.overdue as i64);
            self.acknowledged
                .get_or_create(&label)
                .set(s.acknowledged as i64);
        }
    }

    pub fn acted(&self, action: &str) {
        self.actions
            .get_or_create(&ActionLabel {
                action: action.to_string(),
            })
            .inc();
    }
}
