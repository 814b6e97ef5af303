//! Zombie fencing of exactly-once source tasks (KIP-618; Kafka's
//! `DistributedHerder.fenceZombieSourceTasks` and `Worker.fenceZombies`).
//!
//! When a connector's task configs change, the tasks of the generation before may still be
//! running somewhere (a worker paused, cut off, not yet told). Before a task of the new
//! generation starts its producer, the leader fences out every transactional id of the previous
//! generation (`<group.id>-<connector>-<task>` for each task the last task count record counted),
//! then writes a new task count record (`tasks-fencing-<connector>`) with the new generation's
//! count. Any task of the cluster asks for it through the leader: directly when this worker
//! leads, else by the internal `PUT /connectors/{c}/fence` (signed under `sessioned`).
//!
//! Once a task's producer has started, the task checks that its connector has not committed
//! newer task configs meanwhile and that the task is still assigned to this worker (Kafka's
//! `verifyTaskGenerationAndOwnership`): otherwise a task of a generation already fenced for
//! would run beside the new one.
//!
//! Fencing a transactional id means registering a producer under it (`InitProducerId`, what
//! Kafka's `Admin.fenceProducers` sends): the coordinator bumps the id's epoch and aborts its open
//! transaction, and the older producer's next write or commit fails as fenced.

use std::collections::HashMap;
use std::sync::Weak;
use std::time::Duration;

use rdkafka::producer::{BaseProducer, Producer as _};
use tracing::{debug, info};

use super::herder::{encode_path, Cluster};
use super::rest_client::{sign, HMAC_SHA256, SIGNATURE_ALGORITHM_HEADER, SIGNATURE_HEADER};
use crate::error::{Error, Result};
use crate::kafka::log::QuietContext;
use crate::runtime::exactly_once::ProducerStartChecks;
use crate::runtime::herder::not_found;
use crate::runtime::plugin::ConnectorKind;
use crate::runtime::task_control::TaskId;

/// How long registering one transactional id may take.
const FENCE_TIMEOUT: Duration = Duration::from_secs(60);

/// Registers a producer under each transactional id, fencing out the producers that held them.
pub fn fence_transactional_ids(
    bootstrap_servers: &str,
    settings: &HashMap<String, String>,
    ids: &[String],
) -> Result<()> {
    for id in ids {
        let mut config = settings.clone();
        config.insert("transactional.id".into(), id.clone());
        let producer: BaseProducer<QuietContext> =
            crate::kafka::client_config(bootstrap_servers, &config).create_with_context(QuietContext)?;
        producer.init_transactions(FENCE_TIMEOUT).map_err(|e| {
            Error::Connector(format!("Failed to fence out the producers of transactional id {id}: {e}"))
        })?;
        debug!(transactional_id = %id, "fenced out earlier producers");
    }
    Ok(())
}

impl Cluster {
    /// The leader's round of zombie fencing for a connector (Kafka's `doFenceZombieSourceTasks`):
    /// nothing when its latest task configs were already fenced for; else the previous
    /// generation's producers are fenced out (unless both generations have one task, whose new
    /// producer fences the old one itself) and the new task count is recorded.
    pub(crate) fn fence_zombies(&self, connector: &str) -> Result<()> {
        self.leader_only("perform zombie fencing")?;
        let _writes = self.writes.lock().expect("writes lock");
        self.configs.read_to_end(self.config.worker_sync_timeout).map_err(|e| {
            Error::Connector(format!("Failed to read to end of config topic before performing zombie fencing: {e}"))
        })?;
        let snapshot = self.configs.snapshot();
        let Some(config) = snapshot.connectors.get(connector) else { return Err(not_found(connector)) };
        let class = config.get("connector.class").cloned().unwrap_or_default();
        if self.worker.plugin_loader().load_connector(&class).map(|c| c.kind()).ok() != Some(ConnectorKind::Source) {
            return Err(Error::BadRequest(format!("Connector {connector} is not a source connector")));
        }
        if !snapshot.pending_fencing.contains(connector) {
            debug!(connector, "Skipping zombie fencing: every earlier task generation is already fenced out");
            return Ok(());
        }
        let count = snapshot.task_counts.get(connector).copied().unwrap_or(0);
        match snapshot.fencing_counts.get(connector).copied() {
            Some(previous) if previous != 1 || count != 1 => {
                let eos = self.worker.config().exactly_once.as_ref().ok_or_else(|| {
                    Error::BadRequest("This worker does not have exactly-once source support enabled.".into())
                })?;
                let ids: Vec<String> = (0..previous).map(|task| eos.transactional_id(connector, task)).collect();
                info!(connector, tasks = previous, "Fencing out the producers of the previous task generation");
                let settings = super::security::librdkafka_settings(&self.worker.config().props);
                fence_transactional_ids(&self.worker.config().bootstrap_servers, &settings, &ids)?;
            }
            _ => debug!(connector, "No earlier producers to fence out; writing the task count record"),
        }
        self.configs.put_task_count_record(connector, count)
    }

    /// Run on an exactly-once source task's thread before its producer starts: a round of
    /// zombie fencing for its connector, by the leader, if one is still to do.
    pub(crate) fn preflight_fencing(&self, connector: &str) -> Result<()> {
        if !self.configs.snapshot().pending_fencing.contains(connector) {
            return Ok(());
        }
        let view = self.view();
        if view.is_leader {
            return self.fence_zombies(connector);
        }
        let leader = view.leader_url.ok_or_else(|| {
            Error::Retriable(format!("Cannot fence out the earlier tasks of {connector}: no leader is known yet"))
        })?;
        let mut headers = Vec::new();
        if view.signing {
            let key =
                self.configs.snapshot().session_key.ok_or_else(|| Error::Retriable("no session key yet".into()))?;
            headers.push((SIGNATURE_HEADER.to_owned(), sign(&key.key, b"")));
            headers.push((SIGNATURE_ALGORITHM_HEADER.to_owned(), HMAC_SHA256.to_owned()));
        }
        let url = format!("{}/connectors/{}/fence?forward=true", leader.trim_end_matches('/'), encode_path(connector));
        let answer = self.peers.send("PUT", &url, &headers, None)?;
        if answer.status >= 300 {
            return Err(Error::Connector(format!(
                "Failed to perform zombie fencing: the leader at {leader} answered {}: {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            )));
        }
        Ok(())
    }
}

/// The checks of a worker of a cluster around its exactly-once tasks' producer start.
pub(crate) struct ClusterChecks(pub Weak<Cluster>);

impl ProducerStartChecks for ClusterChecks {
    fn fence_earlier_generations(&self, connector: &str) -> Result<()> {
        match self.0.upgrade() {
            Some(cluster) => cluster.preflight_fencing(connector),
            None => Ok(()),
        }
    }

    fn task_generation(&self, connector: &str) -> Option<u32> {
        let cluster = self.0.upgrade()?;
        let generation = cluster.configs.snapshot().task_generations.get(connector).copied();
        generation
    }

    fn verify_generation_and_ownership(&self, task: &TaskId, generation: Option<u32>) -> Result<()> {
        let Some(cluster) = self.0.upgrade() else { return Ok(()) };
        debug!(task = %task, "Reading to end of config topic to ensure it is still safe to bring up source task {task} with exactly-once support");
        cluster
            .configs
            .read_to_end(cluster.config.worker_sync_timeout)
            .map_err(|e| Error::Connector(format!("Failed to read to end of config topic: {e}")))?;
        let current = cluster.configs.snapshot().task_generations.get(&task.connector).copied();
        let assigned =
            cluster.view().assigned_tasks.iter().any(|t| t.connector == task.connector && t.task == task.task);
        still_current(task, generation, current, assigned)
    }
}

/// Kafka's verdict, in its words.
fn still_current(task: &TaskId, initial: Option<u32>, current: Option<u32>, assigned: bool) -> Result<()> {
    if initial != current {
        return Err(Error::Connector(format!(
            "Cannot start source task {task} with exactly-once support as the connector has already generated a new \
             set of task configs"
        )));
    }
    if !assigned {
        return Err(Error::Connector(format!(
            "Cannot start source task {task} as it has already been revoked from this worker"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_starts_only_in_its_connectors_latest_generation_and_while_assigned_here() {
        let task = TaskId { connector: "c".into(), task: 1 };
        assert!(still_current(&task, Some(2), Some(2), true).is_ok());
        let newer = still_current(&task, Some(2), Some(3), true).unwrap_err().to_string();
        assert!(
            newer.contains(
                "Cannot start source task c-1 with exactly-once support as the connector has already generated a \
                 new set of task configs"
            ),
            "{newer}"
        );
        let revoked = still_current(&task, Some(2), Some(2), false).unwrap_err().to_string();
        assert!(revoked.contains("Cannot start source task c-1 as it has already been revoked from this worker"));
    }
}
