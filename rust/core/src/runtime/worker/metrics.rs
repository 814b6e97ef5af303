//! The worker's metrics: a view of what it runs now, taken under its lock, read by
//! `metrics::WorkerMetrics` (Kafka Connect's groups and names, see `crate::metrics`).

use super::Worker;
use crate::metrics::{ConnectorView, Reading, TaskView};
use crate::runtime::status::State;

impl Worker {
    /// Every metric of this worker and of the connectors and tasks it runs now (Kafka Connect's
    /// groups and names, see `metrics`); empty with `ferroconnect.metrics.enabled=false`.
    pub fn metrics(&self) -> Vec<Reading> {
        if !self.inner.metrics.enabled() {
            return Vec::new();
        }
        let distributed = self.inner.reconfiguration_handler.get().is_some();
        let connectors = self.lock();
        let views: Vec<ConnectorView> = connectors
            .iter()
            .map(|(name, entry)| {
                let status = entry.status.lock().expect("status lock").clone();
                let kind = entry.connector.as_ref().or(entry.factory.as_ref()).map(|c| c.kind());
                let tasks = entry
                    .tasks
                    .iter()
                    .map(|(index, task)| {
                        let (running_ratio, pause_ratio) = task.control().state_ratios();
                        let restarts = self.inner.restarts.status(&task.control().id);
                        TaskView {
                            restarts: restarts.map(|r| (r.attempts, r.next_attempt_ms)),
                            task: *index,
                            state: state_name(task.control().status().state),
                            running_ratio,
                            pause_ratio,
                            metrics: task.metrics().cloned(),
                        }
                    })
                    .collect();
                ConnectorView {
                    name: name.clone(),
                    // A standalone worker runs every connector it has; a distributed one those assigned.
                    runs_here: entry.instance_assigned || !distributed,
                    class: entry.config.get("connector.class").cloned().unwrap_or_default(),
                    version: status.version.unwrap_or_default(),
                    kind: kind.map_or("unknown", |k| k.as_str()),
                    state: state_name(status.state),
                    tasks,
                }
            })
            .collect();
        drop(connectors);
        self.inner.metrics.readings(&views, self.inner.restarts.total_restarts())
    }
}

/// A state as Kafka's status metrics name it: lower case.
fn state_name(state: State) -> String {
    format!("{state:?}").to_lowercase()
}
