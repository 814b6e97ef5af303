//! The distributed herder (Kafka Connect's `DistributedHerder`): one thread per worker that keeps
//! the worker in the group, runs what the group assigned to it, and carries out what the config
//! topic says. REST requests are answered by `requests` from the same shared [`Cluster`].
//!
//! The thread's loop, as `DistributedHerder#tick`: rejoin when asked (by the coordinator, by a
//! config change that adds or removes connectors or tasks, by a revocation, or when a scheduled
//! delay ends); then bring what runs here in line with the assignment and the latest config
//! snapshot (`reconcile`); then publish status changes to the status topic. Kafka is the only
//! coordinator: the leader is the group's leader, and every decision it takes is written to the
//! config topic and read back by everyone.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use tracing::{debug, error, info, warn};

use super::assignor;
use super::config::DistributedConfig;
use super::config_records::SessionKey;
use super::config_topic::{ConfigEvent, ConfigSnapshot, ConfigTopicStore};
use super::group::{GroupMember, GroupSettings, Joined};
use super::offsets_topic::{ConnectorOffsetsTopics, TopicOffsetStore};
use super::protocol::{Assignment, ConnectProtocol, ConnectorTaskId, WorkerMetadata};
use super::rest_client::{
    new_session_key, sign, PeerClient, HMAC_SHA256, SIGNATURE_ALGORITHM_HEADER, SIGNATURE_HEADER,
};
use super::status_topic::StatusTopicStore;
use super::topic_setup::{InternalTopic, TopicSettings};
use crate::error::{Error, Result};
use crate::runtime::plugin::{Config, PluginLoader};
use crate::runtime::status::{State, Status};
use crate::runtime::worker::{TargetState, Worker};
use crate::runtime::worker_config::{ExactlyOnceSource, WorkerConfig};

/// How often the loop looks for status changes and due work when nothing happens.
const TICK: Duration = Duration::from_millis(200);
/// Kafka's REST request timeout, for requests to other workers.
const PEER_TIMEOUT: Duration = Duration::from_secs(90);

/// What wakes the herder thread.
enum Event {
    Config(ConfigEvent),
    /// A connector running here asked for its task configs to be generated again.
    Reconfigure(String),
    Stop,
}

/// What REST handlers need to know about the group, updated by the herder thread.
#[derive(Debug, Clone, Default)]
pub(crate) struct View {
    pub generation: i32,
    pub is_leader: bool,
    pub leader_url: Option<String>,
    /// Between a JoinGroup and the end of the assignment's work (Kafka answers 409 meanwhile).
    pub rebalancing: bool,
    /// The group runs `sessioned`: internal requests are signed and verified.
    pub signing: bool,
    /// The REST URLs of the members, by worker id (`host:port`), as the leader last saw them.
    pub member_urls: BTreeMap<String, String>,
    /// The tasks assigned to this worker (exactly-once tasks check they still are, once their
    /// producer started).
    pub assigned_tasks: Vec<ConnectorTaskId>,
    /// The leader's knowledge of who runs what (REST URL), for restarts sent to the leader.
    pub connector_owners: BTreeMap<String, String>,
    pub task_owners: BTreeMap<ConnectorTaskId, String>,
}

/// A worker of a cluster: what the herder thread and the REST handlers share.
pub struct Cluster {
    pub(crate) worker: Worker,
    pub(crate) config: DistributedConfig,
    pub(crate) protocol: ConnectProtocol,
    /// This worker's advertised REST URL (`http://host:port/`).
    pub(crate) url: String,
    pub(crate) configs: ConfigTopicStore,
    pub(crate) statuses: StatusTopicStore,
    pub(crate) offsets: Arc<TopicOffsetStore>,
    /// Connectors' own offsets topics (`offsets.storage.topic`), opened on first use.
    connector_offsets: Arc<ConnectorOffsetsTopics>,
    pub(crate) peers: PeerClient,
    view: Mutex<View>,
    /// Signalled when a rebalance's work is done (requests wait for it, as Kafka's queue does).
    settled: std::sync::Condvar,
    events: Mutex<mpsc::Sender<Event>>,
    /// The leader's writes to the config topic, one at a time (Kafka's herder is single-threaded).
    pub(crate) writes: Mutex<()>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// Worker-level keys that every internal client needs (security), librdkafka spelling.
fn internal_client_settings(props: &Config) -> HashMap<String, String> {
    super::security::librdkafka_settings(props)
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Each configured connector with its number of tasks, as the assignor places them (0 while its
/// task configs are missing or inconsistent).
fn task_counts(snapshot: &ConfigSnapshot) -> BTreeMap<String, u32> {
    snapshot.connectors.keys().map(|name| (name.clone(), snapshot.tasks(name).len() as u32)).collect()
}

/// `host:port` of a REST URL (how Kafka names the worker behind it).
pub(crate) fn worker_id_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.trim_end_matches('/').split('/').next().unwrap_or(rest).to_owned()
}

impl Cluster {
    /// Starts a worker of the cluster: creates or checks the three internal topics, reads them,
    /// and starts the herder thread, which joins the group. `url` is the advertised REST URL.
    pub fn start(
        worker_config: WorkerConfig,
        config: DistributedConfig,
        loader: Arc<dyn PluginLoader>,
        url: String,
    ) -> Result<Arc<Cluster>> {
        let protocol = ConnectProtocol::parse(&config.connect_protocol)?;
        let props = worker_config.props.clone();
        let bootstrap = worker_config.bootstrap_servers.clone();
        let settings = internal_client_settings(&props);
        let offsets_settings = TopicSettings::from_worker(InternalTopic::Offsets, &props)?;
        let offsets = Arc::new(TopicOffsetStore::start(&bootstrap, &offsets_settings, &settings)?);
        let connector_offsets = Arc::new(ConnectorOffsetsTopics::new(&bootstrap, &settings, offsets_settings));
        let mut worker_config = worker_config;
        if config.exactly_once_source_support == "enabled" {
            worker_config.exactly_once = Some(ExactlyOnceSource {
                group_id: config.group_id.clone(),
                offsets_topic: offsets.topic().to_owned(),
                offsets_partitions: offsets.partitions().len() as i32,
            });
        }
        let worker = Worker::new(worker_config, loader, offsets.clone());
        worker.connect()?;
        let topics = connector_offsets.clone();
        worker.set_connector_offsets_topics(Arc::new(move |topic| topics.open(topic)));
        let statuses = StatusTopicStore::start(
            &bootstrap,
            &TopicSettings::from_worker(InternalTopic::Status, &props)?,
            &settings,
        )?;
        let (events, received) = mpsc::channel();
        let to_herder = Mutex::new(events.clone());
        let listener = Arc::new(move |event: ConfigEvent| {
            let _ = to_herder.lock().expect("events lock").send(Event::Config(event));
        });
        let configs = ConfigTopicStore::start(
            &bootstrap,
            &TopicSettings::from_worker(InternalTopic::Config, &props)?,
            &settings,
            listener,
        )?;
        let cluster = Arc::new(Cluster {
            worker,
            config,
            protocol,
            url,
            configs,
            statuses,
            offsets,
            connector_offsets,
            peers: PeerClient::new(PEER_TIMEOUT),
            view: Mutex::new(View { rebalancing: true, ..View::default() }),
            settled: std::sync::Condvar::new(),
            events: Mutex::new(events),
            writes: Mutex::new(()),
            thread: Mutex::new(None),
        });
        let weak = Arc::downgrade(&cluster);
        cluster.worker.set_reconfiguration_handler(Box::new(move |name| {
            if let Some(cluster) = weak.upgrade() {
                cluster.send(Event::Reconfigure(name.to_owned()));
            }
        }));
        if cluster.worker.config().exactly_once.is_some() {
            cluster.worker.set_producer_start_checks(Arc::new(super::fencing::ClusterChecks(Arc::downgrade(&cluster))));
        }
        let runner = cluster.clone();
        let thread = std::thread::Builder::new()
            .name("distributed-herder".into())
            .spawn(move || runner.run(received))
            .map_err(|e| Error::io("starting the herder thread", e))?;
        *cluster.thread.lock().expect("thread lock") = Some(thread);
        Ok(cluster)
    }

    fn send(&self, event: Event) {
        let _ = self.events.lock().expect("events lock").send(event);
    }

    pub(crate) fn view(&self) -> View {
        self.lock_view().clone()
    }

    /// The view once no rebalance is in progress, waiting up to `timeout` for one to end (Kafka
    /// Connect's herder queues requests during a rebalance and runs them after it).
    pub(crate) fn settled_view(&self, timeout: Duration) -> View {
        let view = self.lock_view();
        let (view, _) =
            self.settled.wait_timeout_while(view, timeout, |v| v.rebalancing).unwrap_or_else(|p| p.into_inner());
        view.clone()
    }

    fn lock_view(&self) -> MutexGuard<'_, View> {
        self.view.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The worker this cluster member runs connectors and tasks on.
    pub fn worker(&self) -> &Worker {
        &self.worker
    }

    /// Stops the herder: every connector and task here stops (graceful), their statuses go to
    /// UNASSIGNED, and the worker leaves the group so that the others rebalance at once.
    pub fn stop(&self) {
        self.send(Event::Stop);
        let thread = self.thread.lock().expect("thread lock").take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
        self.configs.stop();
        self.statuses.stop();
        self.offsets.stop();
        self.connector_offsets.stop();
    }

    fn run(self: Arc<Self>, events: mpsc::Receiver<Event>) {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("group-member")
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => return error!("cannot start the group member's runtime: {e}"),
        };
        let settings = GroupSettings {
            bootstrap_servers: self.worker.config().bootstrap_servers.clone(),
            group_id: self.config.group_id.clone(),
            client_id: format!("connect-{}", self.worker.config().worker_id),
            session_timeout: self.config.session_timeout,
            rebalance_timeout: self.config.rebalance_timeout,
            heartbeat_interval: self.config.heartbeat_interval,
            request_timeout: self.config.request_timeout,
            retry_backoff: self.config.retry_backoff,
            security: self.config.security.clone(),
        };
        let member = runtime.block_on(async { GroupMember::new(settings) });
        let mut herder = HerderState::new(member, self.config.scheduled_rebalance_max_delay);
        loop {
            let rejoin_asked = herder.member.rejoin_needed().borrow().is_some();
            let scheduled = herder.scheduled_rejoin.is_some_and(|at| Instant::now() >= at);
            if herder.rejoin || rejoin_asked || scheduled {
                if scheduled {
                    herder.scheduled_rejoin = None;
                }
                self.rebalance(&runtime, &mut herder);
            }
            match events.recv_timeout(TICK) {
                Ok(Event::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(event) => {
                    self.handle(event, &mut herder);
                    // Take every event already waiting before acting, so a burst is one pass.
                    let mut stop = false;
                    while let Ok(event) = events.try_recv() {
                        match event {
                            Event::Stop => stop = true,
                            event => self.handle(event, &mut herder),
                        }
                    }
                    if stop {
                        break;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if !herder.rejoin {
                self.reconcile(&mut herder);
            }
            self.publish_statuses(&mut herder);
            self.publish_topics(&mut herder);
            self.rotate_session_key(&mut herder);
            self.retry_task_config_publication(&mut herder);
        }
        self.shut_down(&runtime, &mut herder);
    }

    fn handle(&self, event: Event, herder: &mut HerderState) {
        match event {
            Event::Config(ConfigEvent::ConnectorConfig(name)) => {
                if !herder.known_tasks.contains_key(&name) {
                    // A new connector: the leader must place it.
                    herder.rejoin = true;
                }
            }
            Event::Config(ConfigEvent::ConnectorRemoved(name)) => {
                herder.rejoin = true;
                if self.view().is_leader {
                    if let Err(e) = self.statuses.delete_connector(&name) {
                        warn!(connector = name, "could not delete the statuses of a deleted connector: {e}");
                    }
                }
            }
            Event::Config(ConfigEvent::TaskConfigs(name)) => {
                // The set of tasks may have changed: the leader must place them. Tasks running
                // here with an older config are restarted by `reconcile`.
                let snapshot = self.configs.snapshot();
                if herder.known_tasks.get(&name).copied() != Some(snapshot.tasks(&name).len() as u32) {
                    herder.rejoin = true;
                }
            }
            Event::Config(ConfigEvent::TargetState(_)) => {}
            Event::Config(ConfigEvent::Restart { connector, include_tasks, only_failed }) => {
                self.restart_owned(&connector, include_tasks, only_failed, herder);
            }
            Event::Config(ConfigEvent::SessionKey | ConfigEvent::LoggerLevel { .. }) => {}
            Event::Reconfigure(name) => self.publish_task_configs(&name, herder),
            Event::Stop => {}
        }
    }

    /// One round of the group protocol: join, (lead,) sync, then act on the assignment.
    fn rebalance(&self, runtime: &tokio::runtime::Runtime, herder: &mut HerderState) {
        herder.rejoin = false;
        herder.placed = None;
        self.lock_view().rebalancing = true;
        self.worker.worker_metrics().rebalance_started();
        if self.protocol == ConnectProtocol::Eager {
            // Eager: everything is given back before joining; the assignment is complete.
            self.stop_everything(herder);
            herder.allocation = Assignment::default();
            self.lock_view().assigned_tasks.clear();
        }
        let snapshot = self.configs.snapshot();
        let metadata = WorkerMetadata {
            url: self.url.clone(),
            config_offset: snapshot.offset,
            allocation: herder.has_assignment.then(|| herder.allocation.clone()),
        };
        let protocols: Vec<(String, Bytes)> = match self.protocol.join_group_protocols(&metadata) {
            Ok(protocols) => protocols.into_iter().map(|(name, bytes)| (name.to_owned(), Bytes::from(bytes))).collect(),
            Err(e) => {
                error!("cannot encode this worker's group metadata: {e}");
                return;
            }
        };
        let joined = match runtime.block_on(herder.member.join(&protocols)) {
            Ok(joined) => joined,
            Err(e) => {
                error!("could not join group {}: {e}", self.config.group_id);
                herder.rejoin = true;
                std::thread::sleep(self.config.retry_backoff.max(Duration::from_secs(1)));
                return;
            }
        };
        let assignments = if joined.is_leader() {
            match self.lead(&joined, herder) {
                Ok(assignments) => assignments,
                Err(e) => {
                    error!("the leader could not compute assignments: {e}");
                    herder.rejoin = true;
                    return;
                }
            }
        } else {
            Vec::new()
        };
        let bytes = match runtime.block_on(herder.member.sync(&joined, assignments)) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                herder.rejoin = true;
                return;
            }
            Err(e) => {
                error!("SyncGroup failed: {e}");
                herder.rejoin = true;
                return;
            }
        };
        let assignment = match Assignment::decode(&bytes) {
            Ok(assignment) => assignment,
            Err(e) => {
                error!("cannot decode this worker's assignment: {e}");
                herder.rejoin = true;
                return;
            }
        };
        self.on_assignment(&joined, assignment, runtime, herder);
    }

    /// The leader's part: every member's assignment, from their metadata and the config topic.
    fn lead(&self, joined: &Joined, herder: &mut HerderState) -> Result<Vec<(String, Bytes)>> {
        // The leader decides on the latest configs it can read (Kafka's `ensureLeaderConfig`).
        if let Err(e) = self.configs.read_to_end(self.config.worker_sync_timeout) {
            warn!("the leader could not read the config topic to its end: {e}");
        }
        let snapshot = self.configs.snapshot();
        let version = super::protocol::selected_protocol_version(&joined.protocol)?;
        let mut members = BTreeMap::new();
        for (member, bytes) in &joined.members {
            members.insert(member.clone(), WorkerMetadata::decode(bytes)?);
        }
        {
            let mut view = self.lock_view();
            view.member_urls = members.values().map(|m| (worker_id_of(&m.url), m.url.clone())).collect();
        }
        if version >= ConnectProtocol::Sessioned.version() {
            self.ensure_session_key(&snapshot);
        }
        let mut leader_snapshot =
            assignor::ConfigSnapshot { offset: snapshot.offset, connectors: task_counts(&snapshot) };
        let refresh = || {
            let _ = self.configs.read_to_end(self.config.worker_sync_timeout);
            let fresh = self.configs.snapshot();
            assignor::ConfigSnapshot { offset: fresh.offset, connectors: task_counts(&fresh) }
        };
        let group = assignor::JoinedGroup {
            leader_id: &joined.member_id,
            protocol: ConnectProtocol::from_version(version)?,
            members: &members,
            generation: assignor::Generation { last_completed: herder.generation, current: joined.generation },
        };
        let outcome = if version == 0 {
            assignor::EagerAssignor.perform_assignment(&group, &mut leader_snapshot, refresh)?
        } else {
            herder.assignor.perform_assignment(&group, &mut leader_snapshot, refresh, now_ms())?
        };
        if let Some(state) = &outcome.leader_state {
            let mut view = self.lock_view();
            view.connector_owners = state
                .connector_owners
                .keys()
                .filter_map(|c| state.connector_owner_url(c).map(|u| (c.clone(), u.to_owned())))
                .collect();
            view.task_owners = state
                .task_owners
                .keys()
                .filter_map(|t| state.task_owner_url(t).map(|u| (t.clone(), u.to_owned())))
                .collect();
        }
        herder.placed = Some(leader_snapshot.connectors);
        let out = outcome.assignments;
        self.mark_departed_unassigned(&members, joined.generation);
        out.into_iter().map(|(member, assignment)| Ok((member, Bytes::from(assignment.encode()?)))).collect()
    }

    /// Statuses still naming a worker that is no longer in the group read UNASSIGNED (until the
    /// connector or task runs again somewhere), so that a dead worker's work does not look alive.
    fn mark_departed_unassigned(&self, members: &BTreeMap<String, WorkerMetadata>, generation: i32) {
        let alive: BTreeSet<String> = members.values().map(|m| worker_id_of(&m.url)).collect();
        for name in self.configs.snapshot().connectors.keys() {
            if let Some((status, _)) = self.statuses.connector(name) {
                if status.state != State::Unassigned && !alive.contains(&status.worker_id) {
                    let unassigned = Status::new(State::Unassigned, &status.worker_id);
                    let _ = self.statuses.put_connector(name, &unassigned, generation);
                }
            }
            for (task, status) in self.statuses.tasks(name) {
                if status.state != State::Unassigned && !alive.contains(&status.worker_id) {
                    let unassigned = Status::new(State::Unassigned, &status.worker_id);
                    let _ = self.statuses.put_task(name, task, &unassigned, generation);
                }
            }
        }
    }

    /// A new session key when none exists or the current one is older than
    /// `inter.worker.key.ttl.ms`; true when one was written.
    fn ensure_session_key(&self, snapshot: &ConfigSnapshot) -> bool {
        let ttl = self.config.inter_worker_key_ttl.as_millis() as i64;
        let fresh = snapshot.session_key.as_ref().is_some_and(|k| k.creation_timestamp + ttl > now_ms());
        if fresh {
            return false;
        }
        let written = new_session_key().and_then(|key| {
            let key = SessionKey { key, algorithm: HMAC_SHA256.to_owned(), creation_timestamp: now_ms() };
            self.configs.put_session_key(&key)
        });
        match written {
            Ok(()) => {
                info!("wrote a new session key for internal requests");
                true
            }
            Err(e) => {
                warn!("could not write a new session key: {e}");
                false
            }
        }
    }

    /// With `exactly.once.source.support` `preparing` or `enabled`, the leader writes the config
    /// topic through a transactional producer (`connect-cluster-<group.id>`) claimed when it
    /// becomes leader, which fences out a previous leader's (Kafka's `claimWritePrivileges`);
    /// a worker that stops leading gives it up. A claim that fails is tried again by rejoining.
    fn update_write_privileges(&self, is_leader: bool, herder: &mut HerderState) {
        if self.config.exactly_once_source_support == "disabled" {
            return;
        }
        if !is_leader {
            self.configs.release_write_privileges();
            return;
        }
        if self.configs.has_write_privileges() {
            return;
        }
        let transactional_id = format!("connect-cluster-{}", self.config.group_id);
        if let Err(e) = self.configs.claim_write_privileges(&transactional_id) {
            error!("{e}; rejoining the group to try again");
            herder.rejoin = true;
        }
    }

    fn on_assignment(
        &self,
        joined: &Joined,
        assignment: Assignment,
        runtime: &tokio::runtime::Runtime,
        herder: &mut HerderState,
    ) {
        {
            let mut view = self.lock_view();
            view.generation = joined.generation;
            view.is_leader = joined.is_leader();
            view.leader_url = Some(assignment.leader_url.clone()).filter(|u| !u.is_empty());
            view.signing = super::protocol::selected_protocol_version(&joined.protocol).is_ok_and(|v| v >= 2);
            if !view.is_leader {
                // Only the leader knows who runs what; a former leader's knowledge is stale.
                view.connector_owners.clear();
                view.task_owners.clear();
            }
        }
        herder.generation = joined.generation;
        self.update_write_privileges(joined.is_leader(), herder);
        if assignment.failed() {
            info!("the leader's config is behind ({:?}); reading the config topic and rejoining", assignment.error);
            let _ = self.configs.read_to_end(self.config.worker_sync_timeout);
            herder.rejoin = true;
            return;
        }
        if self.configs.snapshot().offset < assignment.config_offset {
            if let Err(e) = self.configs.read_to_end(self.config.worker_sync_timeout) {
                // Kafka's `readConfigToEnd` failure: leave, wait `worker.unsync.backoff.ms`, rejoin.
                error!(
                    "could not catch up with the config topic: {e}; leaving the group for {:?}",
                    self.config.worker_unsync_backoff
                );
                runtime.block_on(herder.member.leave());
                self.stop_everything(herder);
                herder.allocation = Assignment::default();
                self.lock_view().assigned_tasks.clear();
                herder.has_assignment = false;
                std::thread::sleep(self.config.worker_unsync_backoff);
                herder.rejoin = true;
                return;
            }
        }
        info!(
            generation = joined.generation,
            leader = assignment.leader_url,
            connectors = ?assignment.connectors,
            tasks = ?assignment.tasks.iter().map(ToString::to_string).collect::<Vec<_>>(),
            revoked_connectors = ?assignment.revoked_connectors,
            revoked_tasks = ?assignment.revoked_tasks.iter().map(ToString::to_string).collect::<Vec<_>>(),
            delay_ms = assignment.delay_ms,
            "assignment received"
        );
        let metrics = self.worker.worker_metrics();
        metrics.rebalance_completed(joined.generation, &assignment.leader_url, &joined.protocol);
        let revoked = !assignment.revoked_connectors.is_empty() || !assignment.revoked_tasks.is_empty();
        herder.allocation = merged_allocation(&herder.allocation, &assignment, self.protocol == ConnectProtocol::Eager);
        self.lock_view().assigned_tasks = herder.allocation.tasks.clone();
        herder.has_assignment = true;
        if revoked {
            // The revoked work stops now (in `reconcile`); the second round places it elsewhere.
            herder.rejoin = true;
        }
        if assignment.delay_ms > 0 {
            herder.scheduled_rejoin = Some(Instant::now() + Duration::from_millis(assignment.delay_ms as u64));
        }
        let current = task_counts(&self.configs.snapshot());
        if herder.placed.take().is_some_and(|placed| placed != current) {
            // Configs read since the leader assigned (a connector created meanwhile) are in the
            // snapshot now, so their events will not look new: place them in another round.
            herder.rejoin = true;
        }
        herder.known_tasks = current;
        self.reconcile(herder);
        self.lock_view().rebalancing = false;
        self.settled.notify_all();
    }

    /// Brings what runs here in line with the assignment and the config snapshot: starts what is
    /// assigned and configured, stops what is not, restarts what runs with an outdated config,
    /// applies target states.
    fn reconcile(&self, herder: &mut HerderState) {
        let snapshot = self.configs.snapshot();
        // Tasks first: stopped together, within one graceful timeout.
        let mut stop_tasks = Vec::new();
        for (id, running) in &herder.running_tasks {
            let wanted = herder.allocation.tasks.contains(id)
                && snapshot.target(&id.connector) != Some(TargetState::Stopped)
                && snapshot.tasks(&id.connector).contains(&id.task)
                && snapshot.task_config(&id.connector, id.task) == Some(&running.task_config)
                && snapshot.connectors.get(&id.connector) == Some(&running.connector_config);
            if !wanted {
                stop_tasks.push(id.clone());
            }
        }
        if !stop_tasks.is_empty() {
            let ids: Vec<_> = stop_tasks
                .iter()
                .map(|t| crate::runtime::task_control::TaskId { connector: t.connector.clone(), task: t.task })
                .collect();
            self.worker.stop_assigned_tasks(&ids);
            for id in &stop_tasks {
                herder.running_tasks.remove(id);
                herder.published.remove(&(id.connector.clone(), Some(id.task)));
            }
        }
        let stop_connectors: Vec<String> = herder
            .running_connectors
            .iter()
            .filter(|(name, running)| {
                !herder.allocation.connectors.contains(name) || snapshot.connectors.get(*name) != Some(&running.config)
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in stop_connectors {
            self.worker.stop_assigned_connector(&name);
            herder.running_connectors.remove(&name);
            herder.published.remove(&(name, None));
        }
        for name in herder.allocation.connectors.clone() {
            let Some(config) = snapshot.connectors.get(&name) else { continue };
            let target = snapshot.target(&name).unwrap_or(TargetState::Started);
            match herder.running_connectors.get_mut(&name) {
                None => {
                    self.worker.start_assigned_connector(&name, config.clone(), target);
                    herder.running_connectors.insert(name.clone(), RunningConnector { config: config.clone(), target });
                    self.publish_task_configs(&name, herder);
                }
                Some(running) if running.target != target => {
                    let was = running.target;
                    running.target = target;
                    if was == TargetState::Stopped || target == TargetState::Stopped {
                        self.worker.start_assigned_connector(&name, config.clone(), target);
                        self.publish_task_configs(&name, herder);
                    } else {
                        self.worker.apply_target_state(&name, target);
                    }
                }
                Some(_) => {}
            }
        }
        for id in herder.allocation.tasks.clone() {
            let (Some(connector_config), Some(task_config)) =
                (snapshot.connectors.get(&id.connector), snapshot.task_config(&id.connector, id.task))
            else {
                continue;
            };
            if !snapshot.tasks(&id.connector).contains(&id.task) {
                continue;
            }
            let target = snapshot.target(&id.connector).unwrap_or(TargetState::Started);
            if target == TargetState::Stopped {
                continue;
            }
            match herder.running_tasks.get_mut(&id) {
                None => {
                    self.worker.start_assigned_task(
                        &id.connector,
                        id.task,
                        connector_config.clone(),
                        task_config.clone(),
                        target,
                    );
                    let running = RunningTask {
                        connector_config: connector_config.clone(),
                        task_config: task_config.clone(),
                        target,
                    };
                    herder.running_tasks.insert(id.clone(), running);
                }
                Some(running) if running.target != target => {
                    running.target = target;
                    self.worker.apply_target_state(&id.connector, target);
                }
                Some(_) => {}
            }
        }
    }

    /// The connector running here generates its task configs; when they differ from the stored
    /// ones they go to the leader (written by it to the config topic). A stopped connector has none.
    fn publish_task_configs(&self, name: &str, herder: &mut HerderState) {
        if !herder.running_connectors.contains_key(name) {
            return;
        }
        let snapshot = self.configs.snapshot();
        let configs = match snapshot.target(name) {
            Some(TargetState::Stopped) => Vec::new(),
            _ => match self.worker.generate_assigned_task_configs(name) {
                Some(configs) => configs,
                None => return,
            },
        };
        let unchanged = snapshot
            .task_configs
            .get(name)
            .map_or(configs.is_empty() && snapshot.task_counts.contains_key(name), |c| *c == configs)
            && !snapshot.inconsistent.contains(name);
        if unchanged {
            herder.pending_task_configs.remove(name);
            return;
        }
        match self.send_task_configs(name, &configs) {
            Ok(()) => {
                herder.pending_task_configs.remove(name);
            }
            Err(e) => {
                warn!(connector = name, "could not publish task configs (will retry): {e}");
                herder.pending_task_configs.insert(name.to_owned(), Instant::now() + Duration::from_millis(250));
            }
        }
    }

    fn retry_task_config_publication(&self, herder: &mut HerderState) {
        let due: Vec<String> = herder
            .pending_task_configs
            .iter()
            .filter(|(_, at)| Instant::now() >= **at)
            .map(|(n, _)| n.clone())
            .collect();
        for name in due {
            self.publish_task_configs(&name, herder);
        }
    }

    /// Writes task configs as the leader, or sends them to the leader (signed under `sessioned`).
    fn send_task_configs(&self, name: &str, configs: &[Config]) -> Result<()> {
        let view = self.view();
        if view.is_leader {
            let _writes = self.writes.lock().expect("writes lock");
            return self.configs.put_task_configs(name, configs);
        }
        let leader = view.leader_url.ok_or_else(|| Error::Retriable("no leader known yet".into()))?;
        let body = serde_json::to_vec(configs).expect("configs serialize");
        let mut headers = Vec::new();
        if view.signing {
            let key =
                self.configs.snapshot().session_key.ok_or_else(|| Error::Retriable("no session key yet".into()))?;
            headers.push((SIGNATURE_HEADER.to_owned(), sign(&key.key, &body)));
            headers.push((SIGNATURE_ALGORITHM_HEADER.to_owned(), HMAC_SHA256.to_owned()));
        }
        let url = format!("{}/connectors/{}/tasks?forward=true", leader.trim_end_matches('/'), encode_path(name));
        let answer = self.peers.send("POST", &url, &headers, Some(&body))?;
        if answer.status >= 300 {
            return Err(Error::Retriable(format!(
                "the leader answered {}: {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            )));
        }
        Ok(())
    }

    /// A restart request read from the config topic: what of it runs here restarts.
    fn restart_owned(&self, connector: &str, include_tasks: bool, only_failed: bool, herder: &mut HerderState) {
        let snapshot = self.configs.snapshot();
        let local = self.worker.local_statuses();
        let failed =
            |task: Option<u32>| local.iter().any(|(c, t, s)| c == connector && *t == task && s.state == State::Failed);
        if herder.running_connectors.contains_key(connector) && (!only_failed || failed(None)) {
            info!(connector, "restarting connector (restart request)");
            if self.worker.restart_assigned_connector(connector).is_ok() {
                self.publish_task_configs(connector, herder);
            }
        }
        if !include_tasks {
            return;
        }
        let ids: Vec<ConnectorTaskId> =
            herder.running_tasks.keys().filter(|id| id.connector == connector).cloned().collect();
        for id in ids {
            if only_failed && !failed(Some(id.task)) {
                continue;
            }
            if let Some(config) = snapshot.task_config(connector, id.task) {
                info!(task = %id, "restarting task (restart request)");
                let _ = self.worker.restart_assigned_task(connector, id.task, config.clone());
            }
        }
    }

    /// Writes each topic a task here used for the first time to the status topic (KIP-558's
    /// `status-topic-` records, which `GET /connectors/{c}/topics` reads on every worker). As in
    /// Kafka, a topic is written once per worker: a reset deletes the records, and a task that
    /// keeps using the topic does not write it again.
    fn publish_topics(&self, herder: &mut HerderState) {
        if !self.worker.topic_tracker().enabled() {
            return;
        }
        let tasks: Vec<(String, u32)> = herder.running_tasks.keys().map(|t| (t.connector.clone(), t.task)).collect();
        for (connector, task) in tasks {
            for topic in self.worker.topic_tracker().topics(&connector) {
                let key = (connector.clone(), topic.clone());
                if herder.published_topics.contains(&key) {
                    continue;
                }
                match self.statuses.put_topic(&connector, &topic, task) {
                    Ok(()) => {
                        herder.published_topics.insert(key);
                    }
                    Err(e) => debug!(connector, topic, "topic status not written yet: {e}"),
                }
            }
        }
    }

    /// The leader replaces the session key when it expires (`inter.worker.key.ttl.ms`), between
    /// rebalances too; a key just written is not written again before it has been read back.
    fn rotate_session_key(&self, herder: &mut HerderState) {
        let view = self.view();
        if !view.is_leader || !view.signing || view.rebalancing {
            return;
        }
        if herder.key_written_at.is_some_and(|at| at.elapsed() < Duration::from_secs(10)) {
            return;
        }
        if self.ensure_session_key(&self.configs.snapshot()) {
            herder.key_written_at = Some(Instant::now());
        }
    }

    /// Writes the statuses that changed since the last pass to the status topic.
    fn publish_statuses(&self, herder: &mut HerderState) {
        if herder.generation < 0 {
            return;
        }
        for (connector, task, status) in self.worker.local_statuses() {
            let key = (connector.clone(), task);
            if herder.published.get(&key) == Some(&status) {
                continue;
            }
            let written = match task {
                None => self.statuses.put_connector_safe(&connector, &status, herder.generation),
                Some(task) => self.statuses.put_task_safe(&connector, task, &status, herder.generation),
            };
            match written {
                Ok(()) => {
                    herder.published.insert(key, status);
                }
                Err(e) => debug!(connector, "status not written yet: {e}"),
            }
        }
    }

    fn stop_everything(&self, herder: &mut HerderState) {
        let ids: Vec<_> = herder
            .running_tasks
            .keys()
            .map(|t| crate::runtime::task_control::TaskId { connector: t.connector.clone(), task: t.task })
            .collect();
        self.worker.stop_assigned_tasks(&ids);
        for name in herder.running_connectors.keys() {
            self.worker.stop_assigned_connector(name);
        }
        herder.running_tasks.clear();
        herder.running_connectors.clear();
    }

    fn shut_down(&self, runtime: &tokio::runtime::Runtime, herder: &mut HerderState) {
        info!("stopping the distributed herder");
        let tasks: Vec<_> = herder.running_tasks.keys().cloned().collect();
        let connectors: Vec<_> = herder.running_connectors.keys().cloned().collect();
        self.stop_everything(herder);
        // As Kafka Connect's worker on shutdown: what ran here is UNASSIGNED until placed again.
        let unassigned = Status::new(State::Unassigned, &self.worker.config().worker_id);
        for name in connectors {
            let _ = self.statuses.put_connector_safe(&name, &unassigned, herder.generation);
        }
        for id in tasks {
            let _ = self.statuses.put_task_safe(&id.connector, id.task, &unassigned, herder.generation);
        }
        let _ = self.statuses.flush(Duration::from_secs(5));
        runtime.block_on(herder.member.leave());
        self.worker.shutdown();
    }
}

/// The part of a URL path that names a connector.
pub(crate) fn encode_path(name: &str) -> String {
    form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>().replace('+', "%20")
}

/// What runs here after an assignment: under the cooperative protocols the assignment is a
/// delta added to what ran (less what it revokes); under eager it is everything.
fn merged_allocation(previous: &Assignment, assignment: &Assignment, eager: bool) -> Assignment {
    let mut merged = assignment.clone();
    if !eager {
        let mut connectors: BTreeSet<String> = previous.connectors.iter().cloned().collect();
        connectors.extend(assignment.connectors.iter().cloned());
        assignment.revoked_connectors.iter().for_each(|c| {
            connectors.remove(c);
        });
        let mut tasks: BTreeSet<ConnectorTaskId> = previous.tasks.iter().cloned().collect();
        tasks.extend(assignment.tasks.iter().cloned());
        assignment.revoked_tasks.iter().for_each(|t| {
            tasks.remove(t);
        });
        merged.connectors = connectors.into_iter().collect();
        merged.tasks = tasks.into_iter().collect();
    }
    // What a worker reports as its allocation carries no revocations or delay.
    merged.revoked_connectors.clear();
    merged.revoked_tasks.clear();
    merged.delay_ms = 0;
    merged
}

struct RunningConnector {
    config: Config,
    target: TargetState,
}

struct RunningTask {
    connector_config: Config,
    task_config: Config,
    target: TargetState,
}

/// The herder thread's own state.
struct HerderState {
    member: GroupMember,
    assignor: assignor::IncrementalCooperativeAssignor,
    rejoin: bool,
    scheduled_rejoin: Option<Instant>,
    generation: i32,
    /// Everything assigned to this worker (what it reports in JoinGroup).
    allocation: Assignment,
    has_assignment: bool,
    running_connectors: BTreeMap<String, RunningConnector>,
    running_tasks: BTreeMap<ConnectorTaskId, RunningTask>,
    /// Connectors and their task counts as of the last assignment: a change means a rejoin.
    known_tasks: BTreeMap<String, u32>,
    /// As leader, the connectors and task counts this round's assignment placed.
    placed: Option<BTreeMap<String, u32>>,
    /// Connectors whose task configs could not be published yet, with the next attempt's time.
    pending_task_configs: BTreeMap<String, Instant>,
    /// The status last written for each connector (`None`) and task here.
    published: HashMap<(String, Option<u32>), Status>,
    /// (connector, topic) written to the status topic by this worker.
    published_topics: BTreeSet<(String, String)>,
    /// When the leader last wrote a session key.
    key_written_at: Option<Instant>,
}

impl HerderState {
    fn new(member: GroupMember, max_delay: Duration) -> Self {
        HerderState {
            member,
            assignor: assignor::IncrementalCooperativeAssignor::new(
                i32::try_from(max_delay.as_millis()).unwrap_or(i32::MAX),
            ),
            rejoin: true,
            scheduled_rejoin: None,
            generation: -1,
            allocation: Assignment::default(),
            has_assignment: false,
            running_connectors: BTreeMap::new(),
            running_tasks: BTreeMap::new(),
            known_tasks: BTreeMap::new(),
            placed: None,
            pending_task_configs: BTreeMap::new(),
            published: HashMap::new(),
            published_topics: BTreeSet::new(),
            key_written_at: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_ids_come_from_rest_urls() {
        assert_eq!(worker_id_of("http://127.0.0.1:8083/"), "127.0.0.1:8083");
        assert_eq!(worker_id_of("https://connect-1:443"), "connect-1:443");
    }

    #[test]
    fn cooperative_assignments_add_to_what_runs() {
        let task = |c: &str, t| ConnectorTaskId::new(c, t);
        let previous =
            Assignment { connectors: vec!["a".into()], tasks: vec![task("a", 0), task("a", 1)], ..Default::default() };
        let delta = Assignment {
            connectors: vec!["b".into()],
            tasks: vec![task("b", 0)],
            revoked_tasks: vec![task("a", 1)],
            delay_ms: 5,
            ..Default::default()
        };
        let merged = merged_allocation(&previous, &delta, false);
        assert_eq!(merged.connectors, vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(merged.tasks, vec![task("a", 0), task("b", 0)]);
        assert!(merged.revoked_tasks.is_empty() && merged.delay_ms == 0);
        let eager = merged_allocation(&previous, &delta, true);
        assert_eq!(eager.connectors, vec!["b".to_owned()]);
    }
}
