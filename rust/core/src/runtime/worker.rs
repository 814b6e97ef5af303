//! The worker: runs connectors and their tasks, and answers for their configs and states
//! (Kafka Connect's `Worker` and standalone herder in one).
//!
//! Operations take the connectors' lock for their whole duration, so they apply one at a time, as
//! Kafka Connect's herder applies them. Requests from connectors themselves (task reconfiguration)
//! go through a channel to a dedicated thread, never re-entering the lock from connector code.

use std::collections::BTreeMap;
use std::sync::{mpsc, Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

use tracing::{error, info, warn};

use crate::error::{Error, Result};
use crate::kafka::cluster::ClusterClient;
use crate::logging::context::{connector_span, in_current_span, task_span};
use crate::metrics::{TaskKind, TaskMetrics, WorkerMetrics};
use crate::offsets::OffsetStore;
use crate::runtime::auto_restart::{random_unit, Action, AutoRestarts, RestartPolicy};
use crate::runtime::connector_config::{ConnectorConfig, SinkConfig};
use crate::runtime::exactly_once::ProducerStartChecks;
use crate::runtime::plugin::{Config, Connector, ConnectorContext, ConnectorKind, PluginLoader};
use crate::runtime::sink_task::RunningSinkTask;
use crate::runtime::source_task::RunningSourceTask;
use crate::runtime::status::{ConnectorStateInfo, State, Status, TaskState};
use crate::runtime::task_control::{join_by, TaskControl, TaskId};
use crate::runtime::topics::TopicTracker;
use crate::runtime::worker_config::{millis, WorkerConfig};

mod metrics;
mod source_offsets;
mod task_setup;

pub use source_offsets::{ConnectorOffsetsTopics, SourceOffsets};

/// What the user asked a connector to be (Kafka Connect's target state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    Started,
    Paused,
    Stopped,
}

struct ConnectorEntry {
    config: Config,
    target: TargetState,
    /// The started connector instance (in distributed mode, only on the worker it is assigned to).
    connector: Option<Arc<dyn Connector>>,
    /// An instance loaded, never started, only to create tasks: distributed mode runs tasks on
    /// workers that do not run their connector (Kafka Connect instantiates the class likewise).
    factory: Option<Arc<dyn Connector>>,
    /// Distributed mode: the group assigned the connector's instance to this worker.
    instance_assigned: bool,
    status: Arc<Mutex<Status>>,
    task_configs: Vec<Config>,
    tasks: BTreeMap<u32, RunningTask>,
}

impl ConnectorEntry {
    fn new(config: Config, target: TargetState, worker_id: &str) -> Self {
        ConnectorEntry {
            config,
            target,
            connector: None,
            factory: None,
            instance_assigned: false,
            status: Arc::new(Mutex::new(Status::new(State::Unassigned, worker_id))),
            task_configs: Vec::new(),
            tasks: BTreeMap::new(),
        }
    }
}

/// A task of either kind, as the worker manages it.
enum RunningTask {
    Source(RunningSourceTask),
    Sink(RunningSinkTask),
}

impl RunningTask {
    fn control(&self) -> &TaskControl {
        match self {
            RunningTask::Source(task) => &task.shared.control,
            RunningTask::Sink(task) => &task.control,
        }
    }

    /// The task's metrics; none for a task that could not be created.
    fn metrics(&self) -> Option<&Arc<TaskMetrics>> {
        match self {
            RunningTask::Source(task) => task.metrics.as_ref(),
            RunningTask::Sink(task) => task.metrics.as_ref(),
        }
    }

    fn begin_stop(&mut self) {
        let _context = self.context().entered();
        match self {
            RunningTask::Source(task) => task.begin_stop(),
            RunningTask::Sink(task) => task.begin_stop(),
        }
    }

    fn await_stop(self, deadline: Instant, timeout: Duration) -> bool {
        let _context = self.context().entered();
        match self {
            RunningTask::Source(task) => task.await_stop(deadline, timeout),
            RunningTask::Sink(task) => task.await_stop(deadline, timeout),
        }
    }

    /// The task's log context (`[name|task-0] `).
    fn context(&self) -> tracing::Span {
        let id = &self.control().id;
        task_span(&id.connector, id.task)
    }

    /// Stops the task, waiting up to `timeout`; false when it was abandoned.
    fn stop(mut self, timeout: Duration) -> bool {
        self.begin_stop();
        self.await_stop(Instant::now() + timeout, timeout)
    }

    fn failed(kind: ConnectorKind, id: TaskId, worker_id: &str, trace: String) -> Self {
        match kind {
            ConnectorKind::Source => RunningTask::Source(RunningSourceTask::failed(id, worker_id, trace)),
            ConnectorKind::Sink => RunningTask::Sink(RunningSinkTask::failed(id, worker_id, trace)),
        }
    }
}

/// The worker's header converter unless configured (Kafka Connect's default).
pub(crate) const DEFAULT_HEADER_CONVERTER: &str = "org.apache.kafka.connect.storage.SimpleHeaderConverter";

struct Inner {
    config: WorkerConfig,
    loader: Arc<dyn PluginLoader>,
    offsets: Arc<dyn OffsetStore>,
    connectors: Mutex<BTreeMap<String, ConnectorEntry>>,
    reconfigure: Mutex<mpsc::Sender<String>>,
    topics: Arc<TopicTracker>,
    /// Set once by [`Worker::connect`]; a shared client asks the cluster questions after that.
    cluster: OnceLock<(String, ClusterClient)>,
    /// Distributed mode: connectors' reconfiguration requests go to the herder, which publishes
    /// their new task configs through the leader, instead of restarting tasks here.
    reconfiguration_handler: OnceLock<ReconfigurationHandler>,
    /// Startups and rebalances; each task keeps its own metrics.
    metrics: Arc<WorkerMetrics>,
    /// Exactly-once sources on a cluster: what a task checks around its producer's start (the
    /// earlier task generations of its connector fenced out first, its own still current after).
    producer_checks: OnceLock<Arc<dyn ProducerStartChecks>>,
    /// Distributed mode: opens connectors' own offsets topics (`offsets.storage.topic`).
    offsets_topics: OnceLock<ConnectorOffsetsTopics>,
    /// Automatic restarts of FAILED tasks (`ferroconnect.restart.*`).
    restarts: AutoRestarts,
}

/// Takes a connector's request for task reconfiguration (its name).
pub type ReconfigurationHandler = Box<dyn Fn(&str) + Send + Sync>;

/// A worker. Cheap to clone; all clones are the same worker.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

impl Worker {
    /// A worker with no connectors yet.
    pub fn new(config: WorkerConfig, loader: Arc<dyn PluginLoader>, offsets: Arc<dyn OffsetStore>) -> Self {
        let (tx, rx) = mpsc::channel::<String>();
        let topics = Arc::new(TopicTracker::new(config.topic_tracking_enable));
        let inner = Arc::new(Inner {
            topics,
            loader,
            offsets,
            connectors: Mutex::new(BTreeMap::new()),
            reconfigure: Mutex::new(tx),
            cluster: OnceLock::new(),
            reconfiguration_handler: OnceLock::new(),
            producer_checks: OnceLock::new(),
            offsets_topics: OnceLock::new(),
            restarts: AutoRestarts::default(),
            metrics: Arc::new(WorkerMetrics::new(config.metrics_enabled)),
            config,
        });
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("worker-reconfigure".into())
            .spawn(move || reconfiguration_loop(weak, rx))
            .expect("spawning the reconfiguration thread");
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("worker-auto-restart".into())
            .spawn(move || auto_restart_loop(weak))
            .expect("spawning the automatic restart thread");
        Worker { inner }
    }

    /// Looks up the Kafka cluster's id, as Kafka Connect does before a worker starts: waits at most
    /// `default.api.timeout.ms` (60 s) for a broker of `bootstrap.servers` to answer, and fails
    /// with a message naming them otherwise. Call once, before any connector starts.
    pub fn connect(&self) -> Result<&str> {
        if let Some((id, _)) = self.inner.cluster.get() {
            return Ok(id);
        }
        let config = &self.inner.config;
        let timeout = millis(&config.props, "default.api.timeout.ms", 60_000)?;
        let client = ClusterClient::new(&config.bootstrap_servers, &config.admin_settings())?;
        let id = client.cluster_id(timeout)?;
        info!(cluster_id = %id, "connected to the Kafka cluster");
        let (id, _) = self.inner.cluster.get_or_init(|| (id, client));
        Ok(id)
    }

    /// Sends connectors' reconfiguration requests to `handler` from now on (distributed mode).
    pub fn set_reconfiguration_handler(&self, handler: ReconfigurationHandler) {
        let _ = self.inner.reconfiguration_handler.set(handler);
    }

    /// Runs `checks` on each exactly-once source task's thread around its producer's start.
    pub fn set_producer_start_checks(&self, checks: Arc<dyn ProducerStartChecks>) {
        let _ = self.inner.producer_checks.set(checks);
    }

    /// The Kafka cluster's id, once [`Worker::connect`] found it.
    pub fn kafka_cluster_id(&self) -> Option<&str> {
        self.inner.cluster.get().map(|(id, _)| id.as_str())
    }

    /// Whether the Kafka cluster still answers a metadata request within `timeout` (`GET /health`).
    /// A worker that never connected has nothing to check.
    pub fn check_cluster(&self, timeout: Duration) -> Result<()> {
        match self.inner.cluster.get() {
            Some((_, client)) => client.reachable(timeout),
            None => Ok(()),
        }
    }

    /// The worker's own metrics (startups, rebalances), which the distributed herder feeds.
    pub fn worker_metrics(&self) -> &Arc<WorkerMetrics> {
        &self.inner.metrics
    }

    /// The worker's settings.
    pub fn config(&self) -> &WorkerConfig {
        &self.inner.config
    }

    /// The offset store shared by this worker's tasks.
    pub fn offset_store(&self) -> &Arc<dyn OffsetStore> {
        &self.inner.offsets
    }

    /// How this worker finds connector classes.
    pub fn plugin_loader(&self) -> &Arc<dyn PluginLoader> {
        &self.inner.loader
    }

    /// The automatic-restart state of this worker's tasks (what statuses and metrics show).
    pub fn auto_restarts(&self) -> &AutoRestarts {
        &self.inner.restarts
    }

    /// The topics each connector used (KIP-558).
    pub fn topic_tracker(&self) -> &Arc<TopicTracker> {
        &self.inner.topics
    }

    /// A config with its `${provider:path:key}` placeholders resolved: only ever handed to a
    /// connector or task, never stored or shown.
    fn resolved(&self, config: &Config) -> Result<Config> {
        self.inner.config.config_providers.resolve(config)
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, ConnectorEntry>> {
        self.inner.connectors.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Creates and starts a connector (or, with `initial = Paused/Stopped`, only records it so).
    pub fn create_connector(&self, name: &str, config: Config, initial: TargetState) -> Result<()> {
        let mut connectors = self.lock();
        if connectors.contains_key(name) {
            return Err(Error::Conflict(format!("Connector {name} already exists")));
        }
        let mut config = config;
        config.insert("name".into(), name.to_owned());
        let parsed = ConnectorConfig::parse(&config)?;
        // An unknown class or a bad sink subscription is the user's error, answered now, not a
        // FAILED connector later.
        let connector = self.inner.loader.load_connector(&parsed.connector_class)?;
        if connector.kind() == ConnectorKind::Sink {
            SinkConfig::parse(&config)?;
        }
        let entry = ConnectorEntry::new(config, initial, &self.inner.config.worker_id);
        connectors.insert(name.to_owned(), entry);
        let entry = connectors.get_mut(name).expect("just inserted");
        self.start_connector(name, entry);
        Ok(())
    }

    /// Replaces a connector's config and restarts it with the new one.
    pub fn put_connector_config(&self, name: &str, config: Config) -> Result<bool> {
        let mut config = config;
        config.insert("name".into(), name.to_owned());
        let parsed = ConnectorConfig::parse(&config)?;
        if self.inner.loader.load_connector(&parsed.connector_class)?.kind() == ConnectorKind::Sink {
            SinkConfig::parse(&config)?;
        }
        let mut connectors = self.lock();
        let Some(entry) = connectors.get_mut(name) else {
            drop(connectors);
            self.create_connector(name, config, TargetState::Started)?;
            return Ok(true);
        };
        self.stop_connector(entry);
        entry.config = config;
        self.start_connector(name, entry);
        Ok(false)
    }

    /// Stops a connector's tasks and the connector, and forgets it.
    pub fn delete_connector(&self, name: &str) -> Result<()> {
        let mut entry = self.lock().remove(name).ok_or_else(|| not_found(name))?;
        // Stopped without the lock: the connector is already gone from every answer, and reads
        // need not wait for its tasks (up to task.shutdown.graceful.timeout.ms).
        self.stop_connector(&mut entry);
        info!(connector = name, "connector deleted");
        Ok(())
    }

    /// Names of the connectors, sorted.
    pub fn connectors(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// A connector's config as given.
    pub fn connector_config(&self, name: &str) -> Result<Config> {
        self.lock().get(name).map(|e| e.config.clone()).ok_or_else(|| not_found(name))
    }

    /// A connector's current task configs.
    pub fn task_configs(&self, name: &str) -> Result<Vec<Config>> {
        self.lock().get(name).map(|e| e.task_configs.clone()).ok_or_else(|| not_found(name))
    }

    /// What the user asked the connector to be.
    pub fn target_state(&self, name: &str) -> Result<TargetState> {
        self.lock().get(name).map(|e| e.target).ok_or_else(|| not_found(name))
    }

    /// Kafka Connect's status of a connector and its tasks.
    pub fn status(&self, name: &str) -> Result<ConnectorStateInfo> {
        let connectors = self.lock();
        let entry = connectors.get(name).ok_or_else(|| not_found(name))?;
        let kind =
            entry.connector.as_ref().or(entry.factory.as_ref()).map_or("unknown", |c| c.kind().as_str()).to_owned();
        let connector = entry.status.lock().expect("status lock").clone();
        let restarts = &self.inner.restarts;
        let tasks = entry
            .tasks
            .iter()
            .map(|(id, t)| TaskState {
                id: *id,
                status: t.control().status(),
                restarts: restarts.status(&t.control().id),
            })
            .collect();
        Ok(ConnectorStateInfo { name: name.to_owned(), connector, tasks, kind })
    }

    /// Pauses a connector: its tasks stop polling; nothing is stopped.
    pub fn pause(&self, name: &str) -> Result<()> {
        let mut connectors = self.lock();
        let entry = connectors.get_mut(name).ok_or_else(|| not_found(name))?;
        match entry.target {
            TargetState::Stopped => {
                entry.target = TargetState::Paused;
                self.start_connector(name, entry);
            }
            _ => {
                entry.target = TargetState::Paused;
                set_running_state(entry, State::Paused);
                entry.tasks.values().for_each(|t| t.control().set_paused(true));
            }
        }
        Ok(())
    }

    /// Resumes a paused or stopped connector.
    pub fn resume(&self, name: &str) -> Result<()> {
        let mut connectors = self.lock();
        let entry = connectors.get_mut(name).ok_or_else(|| not_found(name))?;
        let was = entry.target;
        entry.target = TargetState::Started;
        match was {
            TargetState::Stopped => self.start_connector(name, entry),
            _ => {
                set_running_state(entry, State::Running);
                entry.tasks.values().for_each(|t| t.control().set_paused(false));
            }
        }
        Ok(())
    }

    /// Stops a connector and its tasks but keeps its config (`PUT /connectors/{name}/stop`).
    pub fn stop(&self, name: &str) -> Result<()> {
        let mut connectors = self.lock();
        let entry = connectors.get_mut(name).ok_or_else(|| not_found(name))?;
        self.stop_connector(entry);
        entry.target = TargetState::Stopped;
        entry.task_configs.clear();
        self.set_stopped(entry);
        Ok(())
    }

    /// Restarts a connector, and with `include_tasks` its tasks; with `only_failed`, only the
    /// instances that are FAILED.
    pub fn restart(&self, name: &str, include_tasks: bool, only_failed: bool) -> Result<()> {
        let mut connectors = self.lock();
        let entry = connectors.get_mut(name).ok_or_else(|| not_found(name))?;
        let connector_failed = entry.status.lock().expect("status lock").state == State::Failed;
        if include_tasks {
            let failed: Vec<u32> = entry
                .tasks
                .iter()
                .filter(|(_, t)| !only_failed || t.control().status().state == State::Failed)
                .map(|(id, _)| *id)
                .collect();
            if !only_failed || connector_failed {
                self.stop_connector(entry);
                self.start_connector(name, entry);
            } else {
                for id in failed {
                    self.restart_task_locked(name, entry, id)?;
                }
            }
        } else if !only_failed || connector_failed {
            // Restart the connector instance only; its tasks keep running.
            stop_connector_instance(entry);
            self.start_connector_instance(name, entry);
        }
        Ok(())
    }

    /// Restarts one task with its current config.
    pub fn restart_task(&self, name: &str, task: u32) -> Result<()> {
        let mut connectors = self.lock();
        let entry = connectors.get_mut(name).ok_or_else(|| not_found(name))?;
        self.restart_task_locked(name, entry, task)
    }

    /// Asks the connector for task configs again; restarts the tasks if they changed.
    pub fn reconfigure(&self, name: &str) -> Result<()> {
        let mut connectors = self.lock();
        let entry = connectors.get_mut(name).ok_or_else(|| not_found(name))?;
        if entry.target == TargetState::Stopped || entry.connector.is_none() {
            return Ok(());
        }
        let _context = connector_span(name).entered();
        let new_configs = match self.generate_task_configs(entry) {
            Ok(configs) => configs,
            Err(e) => {
                self.fail_connector(entry, e.to_string());
                return Ok(());
            }
        };
        if new_configs == entry.task_configs {
            return Ok(());
        }
        info!(connector = name, tasks = new_configs.len(), "task configs changed; restarting tasks");
        self.stop_tasks(entry);
        entry.task_configs = new_configs;
        self.start_tasks(name, entry);
        Ok(())
    }

    /// Stops every connector (graceful: tasks commit what Kafka acknowledged).
    pub fn shutdown(&self) {
        let mut connectors = self.lock();
        // Every task of every connector is asked first, then awaited: the graceful timeout covers
        // them all together, as in Kafka Connect's `Worker.stopAndAwaitTasks`.
        let timeout = self.inner.config.task_shutdown_timeout;
        let mut tasks: Vec<RunningTask> =
            connectors.values_mut().flat_map(|entry| std::mem::take(&mut entry.tasks).into_values()).collect();
        tasks.iter_mut().for_each(RunningTask::begin_stop);
        let deadline = Instant::now() + timeout;
        for task in tasks {
            task.await_stop(deadline, timeout);
        }
        for entry in connectors.values_mut() {
            stop_connector_instance(entry);
        }
        connectors.clear();
    }

    // Distributed mode: the group assigns each connector instance and each task to one worker,
    // so this worker runs a connector's instance, some of its tasks, or both. The herder decides;
    // these only carry out.

    /// Starts connector `name`'s instance here with `config` (an assigned connector). Its tasks
    /// are not started: the herder publishes the configs [`Worker::generate_assigned_task_configs`]
    /// gives, and starts the tasks assigned here.
    pub fn start_assigned_connector(&self, name: &str, config: Config, target: TargetState) {
        let mut connectors = self.lock();
        let worker_id = self.inner.config.worker_id.clone();
        let entry = connectors
            .entry(name.to_owned())
            .or_insert_with(|| ConnectorEntry::new(config.clone(), target, &worker_id));
        stop_connector_instance(entry);
        entry.config = config;
        entry.target = target;
        entry.instance_assigned = true;
        if target == TargetState::Stopped {
            self.set_stopped(entry);
            return;
        }
        self.start_connector_instance(name, entry);
    }

    /// Stops connector `name`'s instance here (revoked or deleted); its local tasks keep running.
    pub fn stop_assigned_connector(&self, name: &str) {
        let mut connectors = self.lock();
        let Some(entry) = connectors.get_mut(name) else { return };
        stop_connector_instance(entry);
        entry.instance_assigned = false;
        if entry.tasks.is_empty() {
            connectors.remove(name);
        }
    }

    /// The task configs of an assigned connector running here; `None` when its instance is not
    /// running (stopped, failed, or not here). A connector that fails to produce them is FAILED.
    pub fn generate_assigned_task_configs(&self, name: &str) -> Option<Vec<Config>> {
        let mut connectors = self.lock();
        let entry = connectors.get_mut(name)?;
        if entry.target == TargetState::Stopped || entry.connector.is_none() {
            return None;
        }
        let _context = connector_span(name).entered();
        match self.generate_task_configs(entry) {
            Ok(configs) => Some(configs),
            Err(e) => {
                self.fail_connector(entry, e.to_string());
                None
            }
        }
    }

    /// Starts task `task` of connector `name` here with the stored configs (an assigned task).
    pub fn start_assigned_task(
        &self,
        name: &str,
        task: u32,
        connector_config: Config,
        task_config: Config,
        target: TargetState,
    ) {
        let mut connectors = self.lock();
        let worker_id = self.inner.config.worker_id.clone();
        let entry = connectors
            .entry(name.to_owned())
            .or_insert_with(|| ConnectorEntry::new(connector_config.clone(), target, &worker_id));
        if entry.connector.is_none() {
            // Only the instance's own start takes a new connector config; a task uses the stored one.
            entry.config = connector_config;
            entry.target = target;
        }
        if let Some(running) = entry.tasks.remove(&task) {
            running.stop(self.inner.config.task_shutdown_timeout);
        }
        self.spawn_task(name, entry, task, task_config);
    }

    /// Stops these tasks (revoked, reconfigured or deleted), all together within the graceful
    /// timeout, as Kafka Connect's `stopAndAwaitTasks`.
    pub fn stop_assigned_tasks(&self, tasks: &[TaskId]) {
        let mut stopping = Vec::new();
        {
            let mut connectors = self.lock();
            for id in tasks {
                if let Some(entry) = connectors.get_mut(&id.connector) {
                    if let Some(task) = entry.tasks.remove(&id.task) {
                        stopping.push(task);
                    }
                    self.inner.restarts.forget(id);
                    if entry.tasks.is_empty() && !entry.instance_assigned {
                        connectors.remove(&id.connector);
                    }
                }
            }
        }
        let timeout = self.inner.config.task_shutdown_timeout;
        stopping.iter_mut().for_each(RunningTask::begin_stop);
        let deadline = Instant::now() + timeout;
        for task in stopping {
            task.await_stop(deadline, timeout);
        }
    }

    /// Applies a connector's new target state to what runs of it here: PAUSED pauses its tasks,
    /// STARTED resumes them (STOPPED is carried out by the herder: instance stopped, no tasks).
    pub fn apply_target_state(&self, name: &str, target: TargetState) {
        let mut connectors = self.lock();
        let Some(entry) = connectors.get_mut(name) else { return };
        entry.target = target;
        let paused = target == TargetState::Paused;
        if entry.connector.is_some() {
            set_running_state(entry, if paused { State::Paused } else { State::Running });
        }
        entry.tasks.values().for_each(|t| t.control().set_paused(paused));
    }

    /// Restarts the instance of connector `name` running here, with its current config.
    pub fn restart_assigned_connector(&self, name: &str) -> Result<()> {
        let mut connectors = self.lock();
        let entry = connectors.get_mut(name).filter(|e| e.instance_assigned).ok_or_else(|| not_found(name))?;
        stop_connector_instance(entry);
        self.start_connector_instance(name, entry);
        Ok(())
    }

    /// Restarts task `task` of connector `name` running here with `config`, its stored config.
    pub fn restart_assigned_task(&self, name: &str, task: u32, config: Config) -> Result<()> {
        let mut connectors = self.lock();
        let entry = connectors.get_mut(name).ok_or_else(|| not_found(name))?;
        let running =
            entry.tasks.remove(&task).ok_or_else(|| Error::NotFound(format!("Task {name}-{task} not found")))?;
        running.stop(self.inner.config.task_shutdown_timeout);
        self.spawn_task(name, entry, task, config);
        Ok(())
    }

    /// The status of every connector instance and task running here: `(connector, None)` for an
    /// instance, `(connector, Some(task))` for a task.
    pub fn local_statuses(&self) -> Vec<(String, Option<u32>, Status)> {
        let connectors = self.lock();
        let mut statuses = Vec::new();
        for (name, entry) in connectors.iter() {
            if entry.instance_assigned {
                statuses.push((name.clone(), None, entry.status.lock().expect("status lock").clone()));
            }
            for (task, running) in &entry.tasks {
                statuses.push((name.clone(), Some(*task), running.control().status()));
            }
        }
        statuses
    }

    /// One round of automatic restarts: looks at every task with them on, notes what gave up in
    /// its trace, and restarts those whose back-off is over (here, on the worker running them,
    /// as Kafka's restart of a task does; in distributed mode the herder writes the new status).
    fn run_auto_restarts(&self) {
        let restarts = &self.inner.restarts;
        if restarts.is_empty() {
            return;
        }
        let mut connectors = self.lock();
        let now = Instant::now();
        let mut due = Vec::new();
        for (name, entry) in connectors.iter() {
            for (index, task) in &entry.tasks {
                let control = task.control();
                let state = control.status().state;
                match restarts.observe(&control.id, state, control.failed_on_config(), now, &mut random_unit) {
                    Action::Wait => {}
                    Action::GiveUp(note) => {
                        let _context = task_span(name, *index).entered();
                        warn!(task = %control.id, "{note}");
                        control.append_to_trace(&note);
                    }
                    Action::Restart { attempt, config } => due.push((name.clone(), *index, attempt, config)),
                }
            }
        }
        for (name, index, attempt, config) in due {
            let Some(entry) = connectors.get_mut(&name) else { continue };
            let id = TaskId { connector: name.clone(), task: index };
            let _context = task_span(&name, index).entered();
            info!(task = %id, attempt, "restarting FAILED task {id} automatically (attempt {attempt})");
            if let Some(running) = entry.tasks.remove(&index) {
                running.stop(self.inner.config.task_shutdown_timeout);
            }
            self.spawn_task(&name, entry, index, config);
        }
    }

    fn restart_task_locked(&self, name: &str, entry: &mut ConnectorEntry, task: u32) -> Result<()> {
        let config = entry
            .task_configs
            .get(task as usize)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("Task {name}-{task} not found")))?;
        if let Some(running) = entry.tasks.remove(&task) {
            running.stop(self.inner.config.task_shutdown_timeout);
        }
        self.spawn_task(name, entry, task, config);
        Ok(())
    }

    /// Loads and starts the connector instance, then its tasks (unless stopped).
    fn start_connector(&self, name: &str, entry: &mut ConnectorEntry) {
        if entry.target == TargetState::Stopped {
            self.set_stopped(entry);
            return;
        }
        if !self.start_connector_instance(name, entry) {
            return;
        }
        match self.generate_task_configs(entry) {
            Ok(configs) => {
                entry.task_configs = configs;
                self.start_tasks(name, entry);
            }
            Err(e) => self.fail_connector(entry, e.to_string()),
        }
    }

    /// Loads, instantiates and starts the connector object; false if it failed.
    fn start_connector_instance(&self, name: &str, entry: &mut ConnectorEntry) -> bool {
        let _context = connector_span(name).entered();
        let worker_id = &self.inner.config.worker_id;
        let class = entry.config.get("connector.class").cloned().unwrap_or_default();
        let connector = match self.inner.loader.load_connector(&class) {
            Ok(connector) => connector,
            Err(e) => {
                self.inner.metrics.connector_started(false);
                self.fail_connector(entry, e.to_string());
                return false;
            }
        };
        let context = self.connector_context(name, entry.status.clone());
        if let Err(e) = self.resolved(&entry.config).and_then(|config| connector.start(&config, context)) {
            self.inner.metrics.connector_started(false);
            self.fail_connector(entry, e.to_string());
            return false;
        }
        self.inner.metrics.connector_started(true);
        let state = if entry.target == TargetState::Paused { State::Paused } else { State::Running };
        *entry.status.lock().expect("status lock") =
            Status::new(state, worker_id).with_version(Some(connector.version()));
        entry.connector = Some(connector);
        info!(connector = name, "connector started");
        true
    }

    fn generate_task_configs(&self, entry: &ConnectorEntry) -> Result<Vec<Config>> {
        let connector = entry.connector.as_ref().expect("started connector");
        let parsed = ConnectorConfig::parse(&entry.config)?;
        // Stored task configs show the connector config's placeholders, never what they resolve to.
        // As Kafka's `Worker.connectorTaskConfigs`: each names the task class, and a sink's its
        // subscription (what a Java worker of a mixed cluster needs to run the task).
        let task_class = connector.task_class();
        let subscription: Vec<(&str, String)> = ["topics", "topics.regex"]
            .into_iter()
            .filter(|_| connector.kind() == ConnectorKind::Sink)
            .filter_map(|key| entry.config.get(key).map(|v| (key, v.clone())))
            .collect();
        let configs: Vec<Config> = connector
            .task_configs(parsed.tasks_max)?
            .iter()
            .map(|c| {
                let mut config = crate::config::providers::reverse_transform(&entry.config, c);
                if let Some(class) = &task_class {
                    config.insert("task.class".into(), class.clone());
                }
                for (key, value) in &subscription {
                    config.insert((*key).to_owned(), value.clone());
                }
                config
            })
            .collect();
        if configs.len() > parsed.tasks_max && parsed.tasks_max_enforce {
            return Err(Error::Connector(format!(
                "The connector {} has generated {} tasks, which is greater than {}, the maximum number of tasks it is configured to create.",
                parsed.name,
                configs.len(),
                parsed.tasks_max
            )));
        }
        Ok(configs)
    }

    fn start_tasks(&self, name: &str, entry: &mut ConnectorEntry) {
        let configs = entry.task_configs.clone();
        for (index, config) in configs.into_iter().enumerate() {
            self.spawn_task(name, entry, index as u32, config);
        }
    }

    /// What creates the connector's tasks: its started instance, else an instance loaded for it.
    fn task_factory(&self, entry: &mut ConnectorEntry) -> Result<Arc<dyn Connector>> {
        if let Some(connector) = entry.connector.as_ref().or(entry.factory.as_ref()) {
            return Ok(connector.clone());
        }
        let class = entry.config.get("connector.class").cloned().unwrap_or_default();
        let factory = self.inner.loader.load_connector(&class)?;
        entry.factory = Some(factory.clone());
        Ok(factory)
    }

    fn spawn_task(&self, name: &str, entry: &mut ConnectorEntry, index: u32, task_config: Config) {
        let _context = task_span(name, index).entered();
        let id = TaskId { connector: name.to_owned(), task: index };
        let policy = RestartPolicy::resolve(&self.inner.config.props, &entry.config).unwrap_or_else(|e| {
            warn!(task = %id, "automatic restarts off for this task: {e}");
            None
        });
        self.inner.restarts.task_started(&id, policy, &task_config, Instant::now());
        let factory = self.task_factory(entry);
        // A class that cannot be loaded: the task shows FAILED; its kind is then unknown.
        let kind = factory.as_ref().map_or(ConnectorKind::Source, |c| c.kind());
        let enabled = self.inner.metrics.enabled();
        let spawned = factory.and_then(|connector| match kind {
            ConnectorKind::Source => {
                let metrics = Arc::new(TaskMetrics::new(name, index, TaskKind::Source, enabled));
                self.source_task_setup(&id, &connector, &entry.config, task_config, metrics)
                    .and_then(RunningSourceTask::spawn)
                    .map(RunningTask::Source)
            }
            ConnectorKind::Sink => {
                let metrics = Arc::new(TaskMetrics::new(name, index, TaskKind::Sink, enabled));
                self.sink_task_setup(&id, &connector, &entry.config, task_config, metrics)
                    .and_then(RunningSinkTask::spawn)
                    .map(RunningTask::Sink)
            }
        });
        self.inner.metrics.task_started(spawned.is_ok());
        match spawned {
            Ok(running) => {
                if entry.target == TargetState::Paused {
                    running.control().set_paused(true);
                }
                entry.tasks.insert(index, running);
            }
            Err(e) => {
                error!(task = %id, "task could not start: {e}");
                // A task that cannot be created still shows, FAILED, in the status.
                let failed = RunningTask::failed(kind, id, &self.inner.config.worker_id, e.to_string());
                if e.is_config_error() {
                    failed.control().note_config_error();
                }
                entry.tasks.insert(index, failed);
            }
        }
    }

    fn stop_tasks(&self, entry: &mut ConnectorEntry) {
        let timeout = self.inner.config.task_shutdown_timeout;
        let mut tasks = std::mem::take(&mut entry.tasks);
        for task in tasks.values() {
            self.inner.restarts.forget(&task.control().id);
        }
        // Ask every task to stop first, then wait: the timeout covers all of them together, and
        // a task that has not stopped by then is abandoned (Kafka Connect's `cancel`).
        for task in tasks.values_mut() {
            task.begin_stop();
        }
        let deadline = Instant::now() + timeout;
        for (_, task) in tasks {
            task.await_stop(deadline, timeout);
        }
    }

    fn stop_connector(&self, entry: &mut ConnectorEntry) {
        self.stop_tasks(entry);
        stop_connector_instance(entry);
    }

    /// STOPPED, naming the connector's version as Kafka does (it keeps a stopped connector's
    /// instance): the last one shown, else that of an instance loaded for it.
    fn set_stopped(&self, entry: &mut ConnectorEntry) {
        let shown = entry.status.lock().expect("status lock").version.clone();
        let version = shown.or_else(|| {
            let class = entry.config.get("connector.class")?;
            self.inner.loader.load_connector(class).ok().map(|c| c.version())
        });
        *entry.status.lock().expect("status lock") =
            Status::new(State::Stopped, &self.inner.config.worker_id).with_version(version);
    }

    fn fail_connector(&self, entry: &mut ConnectorEntry, trace: String) {
        let _context = entry.config.get("name").map(|name| connector_span(name).entered());
        error!(connector = entry.config.get("name").map(String::as_str), "connector failed: {trace}");
        let version = entry.connector.as_ref().map(|c| c.version());
        *entry.status.lock().expect("status lock") =
            Status::failed(&self.inner.config.worker_id, trace).with_version(version);
    }

    fn connector_context(&self, name: &str, status: Arc<Mutex<Status>>) -> ConnectorContext {
        let sender = self.inner.reconfigure.lock().expect("reconfigure lock").clone();
        let connector = name.to_owned();
        let sender = Mutex::new(sender);
        let worker_id = self.inner.config.worker_id.clone();
        ConnectorContext {
            request_task_reconfiguration: Arc::new(move || {
                let _ = sender.lock().expect("sender lock").send(connector.clone());
            }),
            raise_error: Arc::new(move |trace| {
                let mut status = status.lock().expect("status lock");
                let version = status.version.take();
                *status = Status::failed(&worker_id, trace).with_version(version);
            }),
        }
    }
}

/// Kafka Connect's `CONNECTOR_GRACEFUL_SHUTDOWN_TIMEOUT_MS`: how long a connector's `stop` may take
/// before the connector is abandoned.
const CONNECTOR_STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Calls the connector's `stop` on a thread of its own and waits for it up to
/// [`CONNECTOR_STOP_TIMEOUT`]: a `stop` that hangs must not hold the worker's lock, and with it
/// every REST answer, for longer.
fn stop_connector_instance(entry: &mut ConnectorEntry) {
    let Some(connector) = entry.connector.take() else { return };
    let name = entry.config.get("name").cloned().unwrap_or_default();
    let _context = connector_span(&name).entered();
    let thread_name = name.clone();
    let call = move || {
        if let Err(e) = connector.stop() {
            warn!(connector = thread_name, "connector stop() failed: {e}");
        }
    };
    match std::thread::Builder::new().name(format!("connector-stop-{name}")).spawn(in_current_span(call)) {
        Ok(thread) => {
            if !join_by(thread, Instant::now() + CONNECTOR_STOP_TIMEOUT) {
                error!(connector = name, "Graceful stop of connector {name} failed.");
            }
        }
        Err(e) => warn!(connector = name, "could not start a thread to call stop(): {e}"),
    }
}

fn set_running_state(entry: &mut ConnectorEntry, state: State) {
    let mut status = entry.status.lock().expect("status lock");
    if matches!(status.state, State::Running | State::Paused) {
        status.state = state;
    }
}

fn not_found(name: &str) -> Error {
    Error::NotFound(format!("Connector {name} not found"))
}

/// How often the automatic-restart thread looks at the tasks: the delay a restart may have beyond
/// its back-off.
const AUTO_RESTART_TICK: Duration = Duration::from_millis(100);

fn auto_restart_loop(worker: Weak<Inner>) {
    loop {
        std::thread::sleep(AUTO_RESTART_TICK);
        let Some(inner) = worker.upgrade() else { return };
        Worker { inner }.run_auto_restarts();
    }
}

fn reconfiguration_loop(worker: Weak<Inner>, requests: mpsc::Receiver<String>) {
    while let Ok(name) = requests.recv() {
        let Some(inner) = worker.upgrade() else { return };
        if let Some(handler) = inner.reconfiguration_handler.get() {
            handler(&name);
            continue;
        }
        let worker = Worker { inner };
        if let Err(e) = worker.reconfigure(&name) {
            warn!(connector = name, "task reconfiguration failed: {e}");
        }
    }
}
