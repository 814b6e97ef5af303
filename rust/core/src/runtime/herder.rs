//! Kafka Connect's standalone herder: what the REST API and the Python `Worker` drive. It checks
//! requests as Kafka does (validation before every create or update, names, states, restart
//! plans), runs them on the [`Worker`], keeps connector configs and target states in the
//! [`ConfigStore`] when the worker has one, and answers in Kafka's shapes ([`entities`]).
//!
//! Changes go one at a time (one lock, like Kafka's synchronized `StandaloneHerder`); reads go
//! straight to the worker. Offsets and validation live in `herder_offsets` and `validation`.
//!
//! [`entities`]: crate::runtime::entities

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use tracing::{error, info};

use crate::error::{Error, Result};
use crate::runtime::cluster_requests::ClusterRequests;
use crate::runtime::config_store::{ConfigStore, StoredConnector};
use crate::runtime::entities::{ConnectorInfo, ConnectorTaskId, TaskInfo, TasksConfig};
use crate::runtime::plugin::{Config, ConnectorKind};
use crate::runtime::status::{ConnectorStateInfo, State, TaskState};
use crate::runtime::worker::{TargetState, Worker};

/// A config as a request gives it: a `null` value is kept so that validation can report it.
pub type RawConfig = BTreeMap<String, Option<String>>;

/// The standalone herder. Cheap to clone; all clones are the same herder.
#[derive(Clone)]
pub struct Herder {
    inner: Arc<Inner>,
}

struct Inner {
    worker: Worker,
    store: Option<ConfigStore>,
    /// Serializes changes (and their write to the config file).
    changes: Mutex<()>,
    /// Connector class → source or sink, learned by loading the class once (Kafka's temp connectors).
    kinds: Mutex<HashMap<String, ConnectorKind>>,
    /// Stored connectors that could not be restored (e.g. their class is gone): kept in the file.
    unrestored: Mutex<BTreeMap<String, StoredConnector>>,
    /// Distributed mode: the cluster this worker is a member of. Requests then go to it (config
    /// and status topics, the leader) instead of straight to the worker.
    cluster: Option<Arc<dyn ClusterRequests>>,
}

/// Kafka's "Connector {name} not found".
pub(crate) fn not_found(name: &str) -> Error {
    Error::NotFound(format!("Connector {name} not found"))
}

/// Kafka's "Unknown connector {name}" (pause, resume, stop).
fn unknown(name: &str) -> Error {
    Error::NotFound(format!("Unknown connector {name}"))
}

impl Herder {
    /// A herder over `worker`; with a `store`, every change is written to it.
    pub fn new(worker: Worker, store: Option<ConfigStore>) -> Self {
        Herder {
            inner: Arc::new(Inner {
                worker,
                store,
                changes: Mutex::new(()),
                kinds: Mutex::new(HashMap::new()),
                unrestored: Mutex::new(BTreeMap::new()),
                cluster: None,
            }),
        }
    }

    /// The herder of a worker of a cluster (distributed mode).
    pub fn distributed(cluster: Arc<dyn ClusterRequests>) -> Self {
        Herder {
            inner: Arc::new(Inner {
                worker: cluster.worker().clone(),
                store: None,
                changes: Mutex::new(()),
                kinds: Mutex::new(HashMap::new()),
                unrestored: Mutex::new(BTreeMap::new()),
                cluster: Some(cluster),
            }),
        }
    }

    /// The cluster, in distributed mode.
    pub fn cluster(&self) -> Option<&Arc<dyn ClusterRequests>> {
        self.inner.cluster.as_ref()
    }

    /// The worker this herder drives.
    pub fn worker(&self) -> &Worker {
        &self.inner.worker
    }

    pub(crate) fn lock_changes(&self) -> MutexGuard<'_, ()> {
        self.inner.changes.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts the connectors of the config file, each in its stored target state. A connector that
    /// cannot be created is logged and kept in the file for a later start.
    pub fn restore(&self) -> Result<Vec<String>> {
        let Some(store) = &self.inner.store else { return Ok(Vec::new()) };
        let _changes = self.lock_changes();
        let mut restored = Vec::new();
        for (name, stored) in store.load()? {
            match self.worker().create_connector(&name, stored.config.clone(), stored.target) {
                Ok(()) => {
                    info!(connector = name, "restored connector from {}", store.path().display());
                    restored.push(name);
                }
                Err(e) => {
                    error!(connector = name, "could not restore connector: {e}");
                    self.inner.unrestored.lock().expect("unrestored lock").insert(name, stored);
                }
            }
        }
        Ok(restored)
    }

    /// Writes every connector's config and target state to the config file (if any).
    pub(crate) fn persist(&self) -> Result<()> {
        let Some(store) = &self.inner.store else { return Ok(()) };
        let worker = self.worker();
        let mut snapshot = self.inner.unrestored.lock().expect("unrestored lock").clone();
        for name in worker.connectors() {
            // A connector deleted meanwhile is simply not written.
            if let (Ok(config), Ok(target)) = (worker.connector_config(&name), worker.target_state(&name)) {
                snapshot.insert(name, StoredConnector { config, target });
            }
        }
        store.save(&snapshot)
    }

    /// Whether a connector class is a source or a sink (`None`: the class cannot be loaded).
    pub fn connector_kind(&self, class: &str) -> Option<ConnectorKind> {
        if let Some(kind) = self.inner.kinds.lock().expect("kinds lock").get(class) {
            return Some(*kind);
        }
        let kind = self.worker().plugin_loader().load_connector(class).ok()?.kind();
        self.inner.kinds.lock().expect("kinds lock").insert(class.to_owned(), kind);
        Some(kind)
    }

    pub(crate) fn kind_name(&self, config: &Config) -> String {
        config
            .get("connector.class")
            .and_then(|class| self.connector_kind(class))
            .map_or("unknown", ConnectorKind::as_str)
            .to_owned()
    }

    /// Checks `config.name` against the connector's name and fills it in when absent (Kafka's
    /// `checkAndPutConnectorConfigName`).
    fn named(name: &str, mut config: RawConfig) -> Result<RawConfig> {
        match config.get("name") {
            Some(Some(included)) if included != name => Err(Error::BadRequest(format!(
                "Connector name configuration ({included}) doesn't match connector name in the URL ({name})"
            ))),
            Some(Some(_)) => Ok(config),
            _ => {
                config.insert("name".into(), Some(name.to_owned()));
                Ok(config)
            }
        }
    }

    /// Validates a config and, when it has errors, fails with Kafka's message listing them all.
    fn checked(&self, config: &RawConfig) -> Result<Config> {
        let infos = self.validate(config)?;
        if infos.error_count > 0 {
            return Err(Error::InvalidConnectorConfig(infos.errors().cloned().collect()));
        }
        Ok(config.iter().filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v))).collect())
    }

    /// Creates a connector (`POST /connectors`), optionally in a target state other than RUNNING.
    pub fn create_connector(
        &self,
        name: &str,
        config: RawConfig,
        initial: Option<TargetState>,
    ) -> Result<ConnectorInfo> {
        let name = name.trim();
        let config = self.checked(&Self::named(name, config)?)?;
        if let Some(cluster) = self.cluster() {
            return cluster.put_connector_config(self, name, config, false, initial).map(|(_, info)| info);
        }
        let _changes = self.lock_changes();
        if self.worker().connectors().iter().any(|c| c == name) {
            return Err(Error::Conflict(format!("Connector {name} already exists")));
        }
        self.worker().create_connector(name, config, initial.unwrap_or(TargetState::Started))?;
        self.persist()?;
        self.connector_info(name)
    }

    /// Creates or replaces a connector's config (`PUT /connectors/{c}/config`); true if created.
    pub fn put_connector_config(&self, name: &str, config: RawConfig) -> Result<(bool, ConnectorInfo)> {
        let config = self.checked(&Self::named(name, config)?)?;
        if let Some(cluster) = self.cluster() {
            return cluster.put_connector_config(self, name, config, true, None);
        }
        let _changes = self.lock_changes();
        let created = self.worker().put_connector_config(name, config)?;
        self.persist()?;
        Ok((created, self.connector_info(name)?))
    }

    /// Applies a partial config (`PATCH /connectors/{c}/config`, KIP-477): `null` removes a key.
    pub fn patch_connector_config(&self, name: &str, patch: RawConfig) -> Result<ConnectorInfo> {
        let current = self.connector_config(name)?;
        let mut patched: RawConfig = current.into_iter().map(|(k, v)| (k, Some(v))).collect();
        for (key, value) in patch {
            match value {
                Some(value) => patched.insert(key, Some(value)),
                None => patched.remove(&key),
            };
        }
        let config = self.checked(&patched)?;
        if let Some(cluster) = self.cluster() {
            return cluster.put_connector_config(self, name, config, true, None).map(|(_, info)| info);
        }
        let _changes = self.lock_changes();
        self.worker().put_connector_config(name, config)?;
        self.persist()?;
        self.connector_info(name)
    }

    /// Stops and removes a connector; its offsets stay (`DELETE /connectors/{c}`).
    pub fn delete_connector(&self, name: &str) -> Result<()> {
        if let Some(cluster) = self.cluster() {
            return cluster.delete_connector(name);
        }
        let _changes = self.lock_changes();
        self.worker().delete_connector(name).map_err(|_| not_found(name))?;
        self.persist()
    }

    /// `PUT /connectors/{c}/pause`.
    pub fn pause(&self, name: &str) -> Result<()> {
        if let Some(cluster) = self.cluster() {
            return cluster.set_target_state(name, TargetState::Paused);
        }
        let _changes = self.lock_changes();
        self.worker().pause(name).map_err(|_| unknown(name))?;
        self.persist()
    }

    /// `PUT /connectors/{c}/resume` (also from STOPPED).
    pub fn resume(&self, name: &str) -> Result<()> {
        if let Some(cluster) = self.cluster() {
            return cluster.set_target_state(name, TargetState::Started);
        }
        let _changes = self.lock_changes();
        self.worker().resume(name).map_err(|_| unknown(name))?;
        self.persist()
    }

    /// `PUT /connectors/{c}/stop` (KIP-875): tasks shut down, config kept, state STOPPED.
    pub fn stop(&self, name: &str) -> Result<()> {
        if let Some(cluster) = self.cluster() {
            return cluster.stop_connector(name);
        }
        let _changes = self.lock_changes();
        self.worker().stop(name).map_err(|_| unknown(name))?;
        self.persist()
    }

    /// Restarts the connector instance only (`POST /connectors/{c}/restart`, no query: 204).
    pub fn restart_connector(&self, name: &str) -> Result<()> {
        if let Some(cluster) = self.cluster() {
            return cluster.restart_connector(name);
        }
        let _changes = self.lock_changes();
        self.worker().restart(name, false, false).map_err(|_| not_found(name))
    }

    /// Restarts what the plan selects (KIP-745) and returns the plan: the status with each
    /// instance to restart shown as RESTARTING.
    pub fn restart_plan(&self, name: &str, include_tasks: bool, only_failed: bool) -> Result<ConnectorStateInfo> {
        if let Some(cluster) = self.cluster() {
            return cluster.restart_plan(self, name, include_tasks, only_failed);
        }
        let _changes = self.lock_changes();
        let mut plan = self.status(name).map_err(|_| Error::NotFound(format!("Unknown connector: {name}")))?;
        let selected = |state: State| !only_failed || state == State::Failed;
        if selected(plan.connector.state) {
            plan.connector.state = State::Restarting;
        }
        for task in &mut plan.tasks {
            if include_tasks && selected(task.status.state) {
                task.status.state = State::Restarting;
            }
        }
        self.worker().restart(name, include_tasks, only_failed)?;
        Ok(plan)
    }

    /// `POST /connectors/{c}/tasks/{t}/restart`.
    pub fn restart_task(&self, name: &str, task: u32) -> Result<()> {
        if let Some(cluster) = self.cluster() {
            return cluster.restart_task(name, task);
        }
        let _changes = self.lock_changes();
        let count = self.worker().task_configs(name).map_err(|_| not_found(name))?.len();
        if task as usize >= count {
            return Err(Error::NotFound(format!("Task {name}-{task} not found")));
        }
        self.worker().restart_task(name, task)
    }

    /// Names of the connectors, sorted.
    pub fn connectors(&self) -> Vec<String> {
        match self.cluster() {
            Some(cluster) => cluster.connectors(),
            None => self.worker().connectors(),
        }
    }

    /// `GET /connectors/{c}`: config as stored, task ids, type.
    pub fn connector_info(&self, name: &str) -> Result<ConnectorInfo> {
        let config = self.connector_config(name)?;
        let tasks = self.task_configs(name)?;
        Ok(ConnectorInfo {
            name: name.to_owned(),
            kind: self.kind_name(&config),
            tasks: (0..tasks.len() as u32).map(|task| ConnectorTaskId { connector: name.to_owned(), task }).collect(),
            config,
        })
    }

    /// `GET /connectors/{c}/config`: as stored (placeholders unresolved).
    pub fn connector_config(&self, name: &str) -> Result<Config> {
        match self.cluster() {
            Some(cluster) => cluster.connector_config(name).ok_or_else(|| not_found(name)),
            None => self.worker().connector_config(name).map_err(|_| not_found(name)),
        }
    }

    /// What the user asked the connector to be.
    pub fn target_state(&self, name: &str) -> Result<TargetState> {
        match self.cluster() {
            Some(cluster) => cluster.target_state(name).ok_or_else(|| not_found(name)),
            None => self.worker().target_state(name).map_err(|_| not_found(name)),
        }
    }

    /// The connector's current task configs.
    pub fn task_configs(&self, name: &str) -> Result<Vec<Config>> {
        match self.cluster() {
            Some(cluster) => cluster.task_configs(name).ok_or_else(|| not_found(name)),
            None => self.worker().task_configs(name).map_err(|_| not_found(name)),
        }
    }

    /// `GET /connectors/{c}/status`.
    pub fn status(&self, name: &str) -> Result<ConnectorStateInfo> {
        if let Some(cluster) = self.cluster() {
            return cluster.status(self, name);
        }
        let mut status =
            self.worker().status(name).map_err(|_| Error::NotFound(format!("No status found for connector {name}")))?;
        // Kafka names the type from the class, so a stopped or failed connector keeps it.
        if let Ok(config) = self.worker().connector_config(name) {
            status.kind = self.kind_name(&config);
        }
        Ok(status)
    }

    /// `GET /connectors/{c}/tasks/{t}/status`.
    pub fn task_status(&self, name: &str, task: u32) -> Result<TaskState> {
        if let Some(cluster) = self.cluster() {
            return cluster.task_status(name, task);
        }
        let missing = || Error::NotFound(format!("No status found for task {name}-{task}"));
        let status = self.worker().status(name).map_err(|_| missing())?;
        status.tasks.into_iter().find(|t| t.id == task).ok_or_else(missing)
    }

    /// `GET /connectors/{c}/tasks`.
    pub fn task_infos(&self, name: &str) -> Result<Vec<TaskInfo>> {
        let configs = self.task_configs(name)?;
        Ok(configs
            .into_iter()
            .enumerate()
            .map(|(task, config)| TaskInfo {
                id: ConnectorTaskId { connector: name.to_owned(), task: task as u32 },
                config,
            })
            .collect())
    }

    /// `GET /connectors/{c}/tasks-config` (deprecated in Kafka): task configs by task id.
    pub fn tasks_config(&self, name: &str) -> Result<TasksConfig> {
        Ok(self
            .task_infos(name)?
            .into_iter()
            .map(|t| (format!("{}-{}", t.id.connector, t.id.task), t.config))
            .collect())
    }

    /// `GET /connectors/{c}/topics`: topics the connector used (any name: unknown ones have none).
    pub fn active_topics(&self, name: &str) -> Vec<String> {
        match self.cluster() {
            Some(cluster) => cluster.active_topics(name),
            None => self.worker().topic_tracker().topics(name),
        }
    }

    /// `PUT /connectors/{c}/topics/reset`.
    pub fn reset_active_topics(&self, name: &str) {
        match self.cluster() {
            Some(cluster) => cluster.reset_active_topics(name),
            None => self.worker().topic_tracker().reset(name),
        }
    }
}
