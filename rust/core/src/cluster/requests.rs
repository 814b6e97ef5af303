//! What the REST API asks of a worker of a cluster, with Kafka Connect's rules on who answers
//! (`DistributedHerder` and `HerderRequestHandler`): reads come from this worker's view of the
//! config and status topics; config changes, deletes, stops and restart plans are made by the
//! leader (others answer [`Error::Forward`], which the REST layer turns into a forwarded request);
//! pause and resume are written by any worker; a plain restart runs where the connector or task
//! runs.

use crate::cluster::herder::Cluster;
use crate::cluster::protocol::ConnectorTaskId as ProtocolTaskId;
use crate::cluster::rest_client::{verify, HMAC_SHA256};
use crate::error::{Error, Result};
use crate::runtime::cluster_requests::{ClusterRequests, RequestSignature};
use crate::runtime::entities::ConnectorInfo;
use crate::runtime::herder::{not_found, Herder};
use crate::runtime::plugin::Config;
use crate::runtime::status::{ConnectorStateInfo, State, Status, TaskState};
use crate::runtime::worker::TargetState;
use crate::runtime::worker::Worker;

/// Kafka's answer while no leader is known (`HerderRequestHandler`): 409.
const NO_LEADER: &str =
    "Cannot complete request momentarily due to no known leader URL, likely because a rebalance is underway.";

/// How long a request waits for a rebalance in progress to end before it is answered 409.
const SETTLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

impl Cluster {
    /// A task's automatic restarts, known to the worker running it only (they are not written to
    /// the status topic): shown when that worker answers.
    fn local_restarts(&self, connector: &str, task: u32) -> Option<crate::runtime::auto_restart::RestartStatus> {
        let id = crate::runtime::task_control::TaskId { connector: connector.to_owned(), task };
        self.worker.auto_restarts().status(&id)
    }

    /// Ok on the leader; otherwise where to forward the request.
    pub(crate) fn leader_only(&self, what: &str) -> Result<()> {
        let view = self.settled_view(SETTLE_TIMEOUT);
        if view.is_leader && !view.rebalancing {
            return Ok(());
        }
        match view.leader_url {
            Some(url) if !view.rebalancing && !view.is_leader => {
                Err(Error::Forward { url: Some(url), message: format!("Only the leader can {what}.") })
            }
            _ => Err(Error::Forward { url: None, message: NO_LEADER.to_owned() }),
        }
    }

    /// Checks an internal request's signature under `sessioned` (KIP-507), with Kafka's statuses:
    /// no signature 400, unknown algorithm 400, no key yet 503, bad signature 403.
    fn check_signature(&self, body: &[u8], signature: RequestSignature) -> Result<()> {
        if self.view().signing {
            let snapshot = self.configs.snapshot();
            let Some(signature_value) = signature.signature else {
                return Err(Error::BadRequest("Internal request missing required signature".into()));
            };
            let algorithm = signature.algorithm.unwrap_or_default();
            if !self.config.inter_worker_verification_algorithms.contains(&algorithm) || algorithm != HMAC_SHA256 {
                return Err(Error::BadRequest(format!(
                    "This worker does not support the signature algorithm {algorithm:?}; supported: {:?}",
                    self.config.inter_worker_verification_algorithms
                )));
            }
            let Some(key) = snapshot.session_key else {
                return Err(Error::Unavailable(
                    "This worker is still starting up and has not been able to read a session key from the config topic yet"
                        .into(),
                ));
            };
            if !verify(&key.key, body, &signature_value) {
                return Err(Error::Forbidden("Internal request contained invalid signature.".into()));
            }
        }
        Ok(())
    }

    /// Reads the config topic to its end before a leader decision (`worker.sync.timeout.ms`).
    fn caught_up(&self) -> Result<()> {
        self.configs.read_to_end(self.config.worker_sync_timeout)
    }

    /// Where a connector or task runs: here (`None`), or a worker's URL. The leader knows from
    /// its last assignment; other workers go by the status topic's `worker_id`.
    fn owner_url(&self, leader_knows: Option<String>, status: Option<(Status, i32)>) -> Result<Option<String>> {
        if let Some(url) = leader_knows {
            return Ok((url.trim_end_matches('/') != self.url.trim_end_matches('/')).then_some(url));
        }
        let Some((status, _)) = status.filter(|(s, _)| s.state != State::Unassigned) else {
            return Err(Error::Forward { url: None, message: NO_LEADER.to_owned() });
        };
        if status.worker_id == self.worker().config().worker_id {
            return Ok(None);
        }
        let view = self.view();
        let url =
            view.member_urls.get(&status.worker_id).cloned().unwrap_or_else(|| format!("http://{}/", status.worker_id));
        Ok(Some(url))
    }
}

impl ClusterRequests for Cluster {
    fn worker(&self) -> &Worker {
        &self.worker
    }

    fn connectors(&self) -> Vec<String> {
        self.settled_view(SETTLE_TIMEOUT);
        self.configs.snapshot().connectors.keys().cloned().collect()
    }

    fn connector_config(&self, name: &str) -> Option<Config> {
        self.configs.snapshot().connectors.get(name).cloned()
    }

    fn target_state(&self, name: &str) -> Option<TargetState> {
        let snapshot = self.configs.snapshot();
        snapshot.contains(name).then(|| snapshot.target(name).unwrap_or(TargetState::Started))
    }

    fn task_configs(&self, name: &str) -> Option<Vec<Config>> {
        let snapshot = self.configs.snapshot();
        if !snapshot.contains(name) {
            return None;
        }
        Some(snapshot.tasks(name).iter().filter_map(|t| snapshot.task_config(name, *t).cloned()).collect())
    }

    /// The status topic's view of a connector and its current tasks.
    fn status(&self, herder: &Herder, name: &str) -> Result<ConnectorStateInfo> {
        let no_status = || Error::NotFound(format!("No status found for connector {name}"));
        let snapshot = self.configs.snapshot();
        let config = snapshot.connectors.get(name).ok_or_else(no_status)?;
        let (connector, _) = self.statuses.connector(name).ok_or_else(no_status)?;
        let current = snapshot.tasks(name);
        let tasks = self
            .statuses
            .tasks(name)
            .into_iter()
            .filter(|(task, _)| current.contains(task))
            .map(|(id, status)| TaskState { id, status, restarts: self.local_restarts(name, id) })
            .collect();
        Ok(ConnectorStateInfo { name: name.to_owned(), connector, tasks, kind: herder.kind_name(config) })
    }

    fn task_status(&self, name: &str, task: u32) -> Result<TaskState> {
        let missing = || Error::NotFound(format!("No status found for task {name}-{task}"));
        if !self.configs.snapshot().tasks(name).contains(&task) {
            return Err(missing());
        }
        let (status, _) = self.statuses.task(name, task).ok_or_else(missing)?;
        Ok(TaskState { id: task, status, restarts: self.local_restarts(name, task) })
    }

    /// `POST /connectors` and `PUT /connectors/{c}/config` on the leader: written to the config
    /// topic, read back; the connector starts wherever the next rebalance places it.
    fn put_connector_config(
        &self,
        herder: &Herder,
        name: &str,
        config: Config,
        allow_replace: bool,
        initial: Option<TargetState>,
    ) -> Result<(bool, ConnectorInfo)> {
        self.leader_only("set connector configs")?;
        let _writes = self.writes.lock().expect("writes lock");
        self.caught_up()?;
        let exists = self.configs.snapshot().contains(name);
        if exists && !allow_replace {
            return Err(Error::Conflict(format!("Connector {name} already exists")));
        }
        let target = if exists { None } else { initial };
        self.configs.put_connector_config(name, &config, target)?;
        self.caught_up()?;
        Ok((!exists, herder.connector_info(name)?))
    }

    /// `DELETE /connectors/{c}` on the leader: tombstones for its config and target state.
    fn delete_connector(&self, name: &str) -> Result<()> {
        self.leader_only("delete connectors")?;
        let _writes = self.writes.lock().expect("writes lock");
        self.caught_up()?;
        if !self.configs.snapshot().contains(name) {
            return Err(not_found(name));
        }
        self.configs.remove_connector_config(name)?;
        self.caught_up()
    }

    /// `PUT /connectors/{c}/pause|resume`: any worker writes the target state (not forwarded).
    fn set_target_state(&self, name: &str, target: TargetState) -> Result<()> {
        self.caught_up()?;
        if !self.configs.snapshot().contains(name) {
            return Err(Error::NotFound(format!("Unknown connector {name}")));
        }
        self.configs.put_target_state(name, target)
    }

    /// `PUT /connectors/{c}/stop` on the leader: STOPPED, and no task configs (KIP-875).
    fn stop_connector(&self, name: &str) -> Result<()> {
        self.leader_only("stop connectors")?;
        let _writes = self.writes.lock().expect("writes lock");
        self.caught_up()?;
        if !self.configs.snapshot().contains(name) {
            return Err(Error::NotFound(format!("Unknown connector {name}")));
        }
        self.configs.put_target_state(name, TargetState::Stopped)?;
        self.configs.put_task_configs(name, &[])?;
        self.caught_up()
    }

    /// A restart plan (KIP-745) on the leader: written as a `restart-connector-` record, which
    /// every worker reads and carries out for what runs on it. Returns the plan.
    fn restart_plan(
        &self,
        herder: &Herder,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<ConnectorStateInfo> {
        self.leader_only("process restart requests")?;
        let mut plan = self.status(herder, name).map_err(|_| Error::NotFound(format!("Unknown connector: {name}")))?;
        let selected = |state: State| !only_failed || state == State::Failed;
        if selected(plan.connector.state) {
            plan.connector.state = State::Restarting;
        }
        for task in &mut plan.tasks {
            if include_tasks && selected(task.status.state) {
                task.status.state = State::Restarting;
            }
        }
        let _writes = self.writes.lock().expect("writes lock");
        self.configs.put_restart_request(name, include_tasks, only_failed)?;
        Ok(plan)
    }

    /// `POST /connectors/{c}/restart` (no plan): restarts the connector instance where it runs.
    fn restart_connector(&self, name: &str) -> Result<()> {
        if !self.configs.snapshot().contains(name) {
            return Err(not_found(name));
        }
        let leader_knows = self.view().connector_owners.get(name).cloned();
        match self.owner_url(leader_knows, self.statuses.connector(name))? {
            None => self.worker().restart_assigned_connector(name),
            Some(url) => {
                Err(Error::Forward { url: Some(url), message: format!("Connector {name} runs on another worker") })
            }
        }
    }

    /// `POST /connectors/{c}/tasks/{t}/restart`: restarts the task where it runs.
    fn restart_task(&self, name: &str, task: u32) -> Result<()> {
        let snapshot = self.configs.snapshot();
        if !snapshot.contains(name) {
            return Err(not_found(name));
        }
        let config = snapshot
            .task_config(name, task)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("Task {name}-{task} not found")))?;
        let leader_knows = self.view().task_owners.get(&ProtocolTaskId::new(name, task)).cloned();
        match self.owner_url(leader_knows, self.statuses.task(name, task))? {
            None => self.worker().restart_assigned_task(name, task, config),
            Some(url) => {
                Err(Error::Forward { url: Some(url), message: format!("Task {name}-{task} runs on another worker") })
            }
        }
    }

    /// The internal `POST /connectors/{c}/tasks`: task configs from the worker running the
    /// connector, written by the leader. Signed under `sessioned` (KIP-507), checked here with
    /// Kafka's statuses: no signature 400, unknown algorithm 400, no key yet 503, bad signature 403.
    fn put_task_configs(&self, name: &str, body: &[u8], signature: RequestSignature) -> Result<()> {
        self.check_signature(body, signature)?;
        let configs: Vec<Config> = serde_json::from_slice(body)
            .map_err(|e| Error::BadRequest(format!("Could not parse the task configs: {e}")))?;
        self.leader_only("write task configs")?;
        let _writes = self.writes.lock().expect("writes lock");
        self.caught_up()?;
        if !self.configs.snapshot().contains(name) {
            return Err(not_found(name));
        }
        self.configs.put_task_configs(name, &configs)
    }

    /// The internal `PUT /connectors/{c}/fence`, signed as the task configs are (an empty body).
    fn fence_zombies(&self, name: &str, signature: RequestSignature) -> Result<()> {
        self.check_signature(b"", signature)?;
        Cluster::fence_zombies(self, name)
    }

    /// The topics the connector's tasks used, from the status topic (every worker's tasks).
    fn active_topics(&self, name: &str) -> Vec<String> {
        let _ = self.statuses.read_to_end(self.config.worker_sync_timeout);
        let mut topics: Vec<String> = self.statuses.topics(name).into_iter().map(|t| t.topic).collect();
        topics.sort();
        topics
    }

    /// Deletes the connector's topic records (any worker may, as in Kafka).
    fn reset_active_topics(&self, name: &str) {
        if let Err(e) = self.statuses.delete_topics(name) {
            tracing::warn!(connector = name, "could not reset the connector's active topics: {e}");
        }
    }

    /// Offsets may change only on the leader (forwarded otherwise), connector STOPPED.
    fn check_offsets_change(&self) -> Result<()> {
        self.leader_only("modify connector offsets")?;
        self.caught_up()?;
        self.offsets.read_to_end(self.config.worker_sync_timeout)
    }

    /// Offsets as the offsets topic has them now, other workers' writes included.
    fn refresh_offsets(&self) -> Result<()> {
        self.offsets.read_to_end(self.config.worker_sync_timeout)
    }

    fn stop(&self) {
        Cluster::stop(self);
    }
}
