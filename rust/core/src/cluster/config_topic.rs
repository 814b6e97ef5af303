//! The config topic (Kafka Connect's `KafkaConfigBackingStore`): connector configs, task configs
//! and their commits, target states, restart requests, the session key and task count records,
//! read into a [`ConfigSnapshot`] and written in Kafka's formats ([`super::config_records`]).
//!
//! Task configs are buffered until their `commit-<connector>` record and then applied together;
//! a commit whose set of task configs is incomplete (log compaction after a failed rewrite) marks
//! the connector inconsistent until a complete set is committed. Records that cannot be read are
//! logged and skipped: a bad record never stops the reader.
//!
//! One writer at a time is the caller's business (in distributed mode, the leader), as in Kafka.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::producer::{BaseProducer, BaseRecord, Producer as _};
use serde_json::Value;
use tracing::{debug, error, info};

pub use super::config_records::SessionKey;
use super::config_records::{self as records, ConfigKey};
use super::kafka_log::{KafkaLog, LogRecord};
use super::topic_setup::{check_config_topic_partitions, ensure_topic, TopicSettings};
use crate::error::{Error, Result};
use crate::kafka::log::QuietContext;
use crate::kafka::producer::JAVA_ONLY_KEYS;
use crate::runtime::plugin::Config;
use crate::runtime::worker::TargetState;

/// How long one write, with its read back, may take (Kafka's `READ_WRITE_TOTAL_TIMEOUT_MS`).
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

/// The cluster's configuration as read from the config topic (Kafka's `ClusterConfigState`).
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigSnapshot {
    /// The offset after the last record read; -1 when nothing was read (Kafka's convention,
    /// sent in the group protocol's metadata).
    pub offset: i64,
    pub connectors: BTreeMap<String, Config>,
    pub targets: BTreeMap<String, TargetState>,
    /// Committed task configs, task 0 first.
    pub task_configs: BTreeMap<String, Vec<Config>>,
    pub task_counts: BTreeMap<String, u32>,
    /// Connectors whose last commit found an incomplete set of task configs.
    pub inconsistent: BTreeSet<String>,
    pub session_key: Option<SessionKey>,
    /// The task count records (`tasks-fencing-`) of exactly-once source connectors.
    pub fencing_counts: BTreeMap<String, u32>,
    /// Connectors whose latest task configs came after their latest task count record: the
    /// producers of their earlier task generations may not have been fenced out yet (Kafka's
    /// `connectorsPendingFencing`).
    pub pending_fencing: BTreeSet<String>,
    /// Each connector's task generation: how many complete sets of task configs were committed,
    /// less one (Kafka's `taskConfigGeneration`; kept when the connector is deleted, as Kafka's).
    pub task_generations: BTreeMap<String, u32>,
}

impl Default for ConfigSnapshot {
    fn default() -> Self {
        ConfigSnapshot {
            offset: -1,
            connectors: BTreeMap::new(),
            targets: BTreeMap::new(),
            task_configs: BTreeMap::new(),
            task_counts: BTreeMap::new(),
            inconsistent: BTreeSet::new(),
            session_key: None,
            fencing_counts: BTreeMap::new(),
            pending_fencing: BTreeSet::new(),
            task_generations: BTreeMap::new(),
        }
    }
}

impl ConfigSnapshot {
    /// The task numbers of a connector: none while it is inconsistent, as Kafka's `tasks`.
    pub fn tasks(&self, connector: &str) -> Vec<u32> {
        if self.inconsistent.contains(connector) {
            return Vec::new();
        }
        (0..self.task_counts.get(connector).copied().unwrap_or(0)).collect()
    }

    /// Whether the connector has a config.
    pub fn contains(&self, connector: &str) -> bool {
        self.connectors.contains_key(connector)
    }

    /// The committed config of one task.
    pub fn task_config(&self, connector: &str, task: u32) -> Option<&Config> {
        self.task_configs.get(connector)?.get(task as usize)
    }

    /// The connector's target state (STARTED unless one was written).
    pub fn target(&self, connector: &str) -> Option<TargetState> {
        self.targets.get(connector).copied()
    }
}

/// What a record read after start-up changed; delivered to the store's listener on the reader
/// thread, after the record was applied to the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigEvent {
    ConnectorConfig(String),
    ConnectorRemoved(String),
    /// A commit of the connector's task configs was read (consistent or not).
    TaskConfigs(String),
    /// A connector's target state changed.
    TargetState(String),
    Restart {
        connector: String,
        include_tasks: bool,
        only_failed: bool,
    },
    SessionKey,
    LoggerLevel {
        namespace: String,
        level: String,
    },
}

/// Receives [`ConfigEvent`]s; runs on the reader thread, so it must not wait for the store.
pub type ConfigListener = Arc<dyn Fn(ConfigEvent) + Send + Sync>;

/// The snapshot and the task configs read but not yet committed.
#[derive(Debug, Default)]
pub(crate) struct ConfigState {
    pub(crate) snapshot: ConfigSnapshot,
    deferred: BTreeMap<String, BTreeMap<u32, Config>>,
    /// Whether the first read to the end is done: events are delivered from then on.
    started: bool,
}

impl ConfigState {
    /// Applies one record; returns the events to deliver.
    pub(crate) fn apply(&mut self, key: Option<&[u8]>, value: Option<&[u8]>, offset: i64) -> Vec<ConfigEvent> {
        let value: Option<Value> = match value.map(serde_json::from_slice).transpose() {
            Ok(value) => value,
            Err(e) => {
                // Kafka returns before counting the record, too.
                error!(offset, "Failed to convert config data to Kafka Connect format: {e}");
                return Vec::new();
            }
        };
        self.snapshot.offset = offset + 1;
        let Some(key) = key else {
            error!(offset, "Discarding config update record without a key");
            return Vec::new();
        };
        let key = String::from_utf8_lossy(key);
        let events = match self.dispatch(&key, value.as_ref()) {
            Ok(events) => events,
            Err(reason) => {
                error!(key = %key, offset, "Ignoring config record: {reason}");
                Vec::new()
            }
        };
        if self.started {
            events
        } else {
            Vec::new()
        }
    }

    fn dispatch(&mut self, key: &str, value: Option<&Value>) -> std::result::Result<Vec<ConfigEvent>, String> {
        let snapshot = &mut self.snapshot;
        Ok(match ConfigKey::parse(key) {
            ConfigKey::TargetState(connector) => {
                let Some(value) = value else {
                    // Written with the connector's tombstone; a connector that still exists
                    // falls back to STARTED. No event: the connector's removal tells.
                    debug!(connector, "Removed target state for connector due to null value in topic.");
                    snapshot.targets.remove(&connector);
                    if snapshot.connectors.contains_key(&connector) {
                        snapshot.targets.insert(connector, TargetState::Started);
                    }
                    return Ok(Vec::new());
                };
                let state = records::parse_target_state(value)?;
                let previous = snapshot.targets.insert(connector.clone(), state);
                // No event for a connector not yet created (a target state written first).
                if previous != Some(state) && snapshot.connectors.contains_key(&connector) {
                    vec![ConfigEvent::TargetState(connector)]
                } else {
                    Vec::new()
                }
            }
            ConfigKey::Connector(connector) => match value {
                None => {
                    self.remove_connector(&connector);
                    info!(connector, "Successfully processed removal of connector");
                    vec![ConfigEvent::ConnectorRemoved(connector)]
                }
                Some(value) => {
                    let config = records::parse_properties(value, "a connector config")?;
                    snapshot.connectors.insert(connector.clone(), config);
                    snapshot.targets.entry(connector.clone()).or_insert(TargetState::Started);
                    vec![ConfigEvent::ConnectorConfig(connector)]
                }
            },
            ConfigKey::Task(connector, task) => {
                let value = value.ok_or("the task configuration is unexpectedly null")?;
                let config = records::parse_properties(value, "a task config")?;
                debug!(connector, task, "Storing new config for task; it waits for a commit message");
                self.deferred.entry(connector).or_default().insert(task, config);
                Vec::new()
            }
            ConfigKey::Commit(connector) => self.commit(connector, value)?,
            ConfigKey::Restart(connector) => {
                let (include_tasks, only_failed) =
                    records::parse_restart(value.ok_or("the restart request is unexpectedly null")?)?;
                vec![ConfigEvent::Restart { connector, include_tasks, only_failed }]
            }
            ConfigKey::TaskCount(connector) => {
                let count = records::parse_task_count(value.ok_or("the task count record is unexpectedly null")?)?;
                snapshot.pending_fencing.remove(&connector);
                snapshot.fencing_counts.insert(connector, count);
                Vec::new()
            }
            ConfigKey::SessionKey => {
                let key = records::parse_session_key(value.ok_or("the session key is unexpectedly null")?)?;
                snapshot.session_key = Some(key);
                vec![ConfigEvent::SessionKey]
            }
            ConfigKey::LoggerLevel(namespace) => {
                let level = records::parse_logger_level(value.ok_or("the logging level is unexpectedly null")?)?;
                vec![ConfigEvent::LoggerLevel { namespace, level }]
            }
            ConfigKey::BadTask => return Err("the key could not be parsed as a task config key".into()),
            ConfigKey::Unknown => return Err("Discarding config update record with invalid key".into()),
        })
    }

    /// A `commit-` record: applies the buffered task configs when they are complete.
    fn commit(&mut self, connector: String, value: Option<&Value>) -> std::result::Result<Vec<ConfigEvent>, String> {
        if !self.snapshot.connectors.contains_key(&connector) {
            // The connector was deleted and compaction removed its config and tombstone.
            self.remove_connector(&connector);
            debug!(connector, "Ignoring task configs of a connector that no longer exists");
            return Ok(Vec::new());
        }
        let count = records::parse_commit(value.ok_or("the task commit record is unexpectedly null")?)?;
        let deferred = self.deferred.remove(&connector).unwrap_or_default();
        // Every task the commit names must be there; extra ones are left-overs of compaction.
        if (0..count).all(|task| deferred.contains_key(&task)) {
            let mut deferred = deferred;
            let configs: Vec<Config> = (0..count).map(|task| deferred.remove(&task).unwrap_or_default()).collect();
            self.snapshot.task_configs.insert(connector.clone(), configs);
            self.snapshot.inconsistent.remove(&connector);
            self.snapshot.task_generations.entry(connector.clone()).and_modify(|g| *g += 1).or_insert(0);
        } else {
            debug!(connector, "Incomplete set of task configs, probably due to compaction; marked inconsistent");
            self.snapshot.inconsistent.insert(connector.clone());
        }
        self.snapshot.task_counts.insert(connector.clone(), count);
        self.snapshot.pending_fencing.insert(connector.clone());
        Ok(vec![ConfigEvent::TaskConfigs(connector)])
    }

    fn remove_connector(&mut self, connector: &str) {
        self.snapshot.connectors.remove(connector);
        self.snapshot.task_counts.remove(connector);
        self.snapshot.task_configs.remove(connector);
        self.snapshot.pending_fencing.remove(connector);
        self.deferred.remove(connector);
    }
}

/// The config topic, read continuously into a snapshot, written in Kafka's formats.
pub struct ConfigTopicStore {
    log: KafkaLog,
    state: Arc<Mutex<ConfigState>>,
    /// The leader's transactional producer, while it holds write privileges (exactly-once
    /// sources, KIP-618): its writes are transactions that fence out an earlier leader's.
    privileged: Mutex<Option<BaseProducer<QuietContext>>>,
    bootstrap_servers: String,
    client_settings: HashMap<String, String>,
}

impl ConfigTopicStore {
    /// Creates the topic if needed (or checks it), reads it to its end (at most
    /// `topic.read_timeout`), then delivers an event for every record read later.
    /// `client_settings` (librdkafka keys) configure the admin client, the producer and the reader.
    pub fn start(
        bootstrap_servers: &str,
        topic: &TopicSettings,
        client_settings: &HashMap<String, String>,
        listener: ConfigListener,
    ) -> Result<Self> {
        info!(topic = %topic.name, "Starting the config topic store");
        ensure_topic(bootstrap_servers, topic, client_settings)?;
        let state = Arc::new(Mutex::new(ConfigState::default()));
        let callback = {
            let state = state.clone();
            Box::new(move |record: LogRecord| {
                let events = state.lock().expect("config state lock").apply(
                    record.key.as_deref(),
                    record.value.as_deref(),
                    record.offset,
                );
                for event in events {
                    listener(event);
                }
            })
        };
        let log = KafkaLog::start(bootstrap_servers, &topic.name, client_settings, &[], callback)?;
        check_config_topic_partitions(&topic.name, log.partitions().len())?;
        log.read_to_end(topic.read_timeout)?;
        state.lock().expect("config state lock").started = true;
        info!(topic = %topic.name, "Started the config topic store");
        Ok(ConfigTopicStore {
            log,
            state,
            privileged: Mutex::new(None),
            bootstrap_servers: bootstrap_servers.to_owned(),
            client_settings: client_settings.clone(),
        })
    }

    /// Claims the leader's write privileges (Kafka's `claimWritePrivileges`, with
    /// `exactly.once.source.support` `preparing` or `enabled`): from now on this store writes in
    /// transactions of a producer with `transactional_id` (`connect-cluster-<group.id>`), whose
    /// start fences out any earlier leader's producer, so a zombie leader can write nothing more.
    pub fn claim_write_privileges(&self, transactional_id: &str) -> Result<()> {
        let mut config = self.client_settings.clone();
        config.retain(|k, _| !JAVA_ONLY_KEYS.contains(&k.as_str()));
        config.insert("transactional.id".into(), transactional_id.to_owned());
        config.insert("enable.idempotence".into(), "true".into());
        config.insert("acks".into(), "all".into());
        let producer: BaseProducer<QuietContext> =
            crate::kafka::client_config(&self.bootstrap_servers, &config).create_with_context(QuietContext)?;
        producer.init_transactions(WRITE_TIMEOUT).map_err(|e| {
            Error::Connector(format!("Could not claim write privileges on the config topic as {transactional_id}: {e}"))
        })?;
        info!(transactional_id, "Claimed write privileges on the config topic");
        *self.privileged.lock().expect("privileged producer lock") = Some(producer);
        Ok(())
    }

    /// Gives the write privileges up (leadership lost): writes go through the plain producer.
    pub fn release_write_privileges(&self) {
        if self.privileged.lock().expect("privileged producer lock").take().is_some() {
            info!("Released write privileges on the config topic");
        }
    }

    /// Whether this store holds the leader's write privileges.
    pub fn has_write_privileges(&self) -> bool {
        self.privileged.lock().expect("privileged producer lock").is_some()
    }

    /// A copy of the configuration read so far.
    pub fn snapshot(&self) -> ConfigSnapshot {
        self.state.lock().expect("config state lock").snapshot.clone()
    }

    /// Whether the connector has a config.
    pub fn contains(&self, connector: &str) -> bool {
        self.state.lock().expect("config state lock").snapshot.contains(connector)
    }

    /// Reads every record written before the call (Kafka's `refresh`).
    pub fn read_to_end(&self, timeout: Duration) -> Result<()> {
        self.log.read_to_end(timeout)
    }

    /// Writes a connector's config, preceded by its target state when given (Kafka's order),
    /// and reads it back.
    pub fn put_connector_config(&self, connector: &str, config: &Config, target: Option<TargetState>) -> Result<()> {
        debug!(connector, "Writing connector configuration");
        let deadline = Instant::now() + WRITE_TIMEOUT;
        let mut writes = Vec::with_capacity(2);
        if let Some(state) = target {
            writes.push((records::target_state_key(connector), Some(records::target_state_value(state))));
        }
        writes.push((records::connector_key(connector), Some(records::properties_value(config))));
        self.write_and_read(&writes, deadline).map_err(|e| wrap(e, "Error writing connector configuration to Kafka"))
    }

    /// Writes the tombstones of a connector's config and target state, and reads them back.
    pub fn remove_connector_config(&self, connector: &str) -> Result<()> {
        debug!(connector, "Removing connector configuration");
        let deadline = Instant::now() + WRITE_TIMEOUT;
        let writes = [(records::connector_key(connector), None), (records::target_state_key(connector), None)];
        self.write_and_read(&writes, deadline).map_err(|e| wrap(e, "Error removing connector configuration from Kafka"))
    }

    /// Writes a connector's task configs and then their commit, as Kafka's `putTaskConfigs`:
    /// read to the end, write the tasks, read to the end, write the commit, read to the end.
    pub fn put_task_configs(&self, connector: &str, configs: &[Config]) -> Result<()> {
        let deadline = Instant::now() + WRITE_TIMEOUT;
        let root = |e| wrap(e, "Error writing root configuration to Kafka");
        self.log.read_to_end(remaining(deadline)).map_err(root)?;
        let tasks: Vec<(String, Option<Vec<u8>>)> = configs
            .iter()
            .enumerate()
            .map(|(task, config)| (records::task_key(connector, task as u32), Some(records::properties_value(config))))
            .collect();
        self.write(&tasks, deadline).map_err(|e| wrap(e, "Error writing task configurations to Kafka"))?;
        if !configs.is_empty() {
            self.log.read_to_end(remaining(deadline)).map_err(root)?;
        }
        debug!(connector, tasks = configs.len(), "Writing commit for connector");
        let commit = [(records::commit_key(connector), Some(records::commit_value(configs.len() as u32)))];
        self.write_and_read(&commit, deadline).map_err(root)
    }

    /// Writes a connector's target state; any worker may (pause and resume), and it is not read
    /// back, as in Kafka.
    pub fn put_target_state(&self, connector: &str, state: TargetState) -> Result<()> {
        debug!(connector, state = records::target_state_name(state), "Writing target state");
        let write = [(records::target_state_key(connector), Some(records::target_state_value(state)))];
        self.write(&write, Instant::now() + WRITE_TIMEOUT).map_err(|e| wrap(e, "Error writing target state to Kafka"))
    }

    /// Writes a restart request and reads it back.
    pub fn put_restart_request(&self, connector: &str, include_tasks: bool, only_failed: bool) -> Result<()> {
        let write = [(records::restart_key(connector), Some(records::restart_value(include_tasks, only_failed)))];
        self.write_and_read(&write, Instant::now() + WRITE_TIMEOUT).map_err(|e| {
            wrap(
                e,
                &format!(
                    "Error writing RestartRequest{{connectorName='{connector}', onlyFailed={only_failed}, \
                     includeTasks={include_tasks}}} to Kafka"
                ),
            )
        })
    }

    /// Writes the session key and reads it back.
    pub fn put_session_key(&self, key: &SessionKey) -> Result<()> {
        debug!("Distributing new session key");
        let write = [(records::SESSION_KEY_KEY.to_owned(), Some(records::session_key_value(key)))];
        self.write_and_read(&write, Instant::now() + WRITE_TIMEOUT)
            .map_err(|e| wrap(e, "Error writing session key to Kafka"))
    }

    /// Writes a task count record (exactly-once source connectors) and reads it back.
    pub fn put_task_count_record(&self, connector: &str, count: u32) -> Result<()> {
        let write = [(records::task_count_key(connector), Some(records::task_count_value(count)))];
        self.write_and_read(&write, Instant::now() + WRITE_TIMEOUT)
            .map_err(|e| wrap(e, "Error writing task count record to Kafka"))
    }

    /// Writes a cluster-wide logger level (KIP-976); not read back, as in Kafka.
    pub fn put_logger_level(&self, namespace: &str, level: &str) -> Result<()> {
        let write = [(records::logger_level_key(namespace), Some(records::logger_level_value(level)))];
        self.write(&write, Instant::now() + WRITE_TIMEOUT).map_err(|e| wrap(e, "Error writing logger level to Kafka"))
    }

    /// Stops the reader; pending writes get a few seconds.
    pub fn stop(&self) {
        info!(topic = %self.log.topic(), "Closing the config topic store");
        self.log.stop(Duration::from_secs(5));
    }

    fn write(&self, writes: &[(String, Option<Vec<u8>>)], deadline: Instant) -> Result<()> {
        let mut privileged = self.privileged.lock().expect("privileged producer lock");
        if let Some(producer) = privileged.as_ref() {
            let outcome = write_transaction(producer, self.log.topic(), writes, deadline);
            if outcome.is_err() {
                // Fenced by a newer leader, or broken: never write unprivileged in its place.
                let _ = producer.abort_transaction(remaining(deadline));
                *privileged = None;
            }
            return outcome;
        }
        drop(privileged);
        let records: Vec<(&[u8], Option<&[u8]>)> = writes.iter().map(|(k, v)| (k.as_bytes(), v.as_deref())).collect();
        self.log.send_all(&records, remaining(deadline))
    }

    fn write_and_read(&self, writes: &[(String, Option<Vec<u8>>)], deadline: Instant) -> Result<()> {
        self.write(writes, deadline)?;
        self.log.read_to_end(remaining(deadline))
    }
}

/// One write of the privileged leader: its records in one transaction (the topic has one partition).
fn write_transaction(
    producer: &BaseProducer<QuietContext>,
    topic: &str,
    writes: &[(String, Option<Vec<u8>>)],
    deadline: Instant,
) -> Result<()> {
    producer.begin_transaction()?;
    for (key, value) in writes {
        let mut record: BaseRecord<'_, [u8], [u8], ()> = BaseRecord::to(topic).partition(0).key(key.as_bytes());
        if let Some(value) = value {
            record = record.payload(value.as_slice());
        }
        producer.send(record).map_err(|(e, _)| Error::Kafka(e))?;
    }
    producer.commit_transaction(remaining(deadline)).map_err(|e| {
        Error::Connector(format!(
            "The leader's transactional write to the config topic failed (fenced by a newer leader?): {e}"
        ))
    })
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// Kafka's message for a failed write, keeping whether a retry may help.
fn wrap(error: Error, what: &str) -> Error {
    error!("{what}: {error}");
    if error.is_retriable() {
        Error::Retriable(format!("{what}: {error}"))
    } else {
        Error::Connector(format!("{what}: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    /// A state that reads records as a started store does.
    struct Log {
        state: ConfigState,
        offset: i64,
    }

    impl Log {
        fn new() -> Self {
            Log { state: ConfigState { started: true, ..ConfigState::default() }, offset: 0 }
        }

        fn read(&mut self, key: &str, value: Option<&[u8]>) -> Vec<ConfigEvent> {
            self.offset += 1;
            self.state.apply(Some(key.as_bytes()), value, self.offset - 1)
        }

        fn json(&mut self, key: &str, value: &str) -> Vec<ConfigEvent> {
            self.read(key, Some(value.as_bytes()))
        }
    }

    #[test]
    fn task_configs_apply_only_at_their_commit() {
        let mut log = Log::new();
        assert_eq!(log.state.snapshot.offset, -1);
        let connector = config(&[("connector.class", "X")]);
        assert_eq!(
            log.read("connector-my-conn", Some(&records::properties_value(&connector))),
            [ConfigEvent::ConnectorConfig("my-conn".into())]
        );
        assert_eq!(log.state.snapshot.target("my-conn"), Some(TargetState::Started));
        assert!(log.read("task-my-conn-0", Some(&records::properties_value(&config(&[("t", "0")])))).is_empty());
        assert!(log.read("task-my-conn-1", Some(&records::properties_value(&config(&[("t", "1")])))).is_empty());
        assert!(log.state.snapshot.tasks("my-conn").is_empty());
        assert_eq!(log.json("commit-my-conn", r#"{"tasks":2}"#), [ConfigEvent::TaskConfigs("my-conn".into())]);
        let snapshot = &log.state.snapshot;
        assert_eq!(snapshot.tasks("my-conn"), [0, 1]);
        assert_eq!(snapshot.task_config("my-conn", 1), Some(&config(&[("t", "1")])));
        assert_eq!(snapshot.offset, 4);
        // Fewer tasks later: only task 0 rewritten; the commit of 1 task is complete.
        log.json("task-my-conn-0", r#"{"properties":{"t":"new"}}"#);
        log.json("commit-my-conn", r#"{"tasks":1}"#);
        assert_eq!(log.state.snapshot.tasks("my-conn"), [0]);
        assert_eq!(log.state.snapshot.task_configs["my-conn"], [config(&[("t", "new")])]);
        // Two complete commits: generations 0 and 1 (Kafka's taskConfigGeneration).
        assert_eq!(log.state.snapshot.task_generations["my-conn"], 1);
    }

    #[test]
    fn an_incomplete_commit_marks_the_connector_inconsistent_until_a_complete_one() {
        let mut log = Log::new();
        log.json("connector-c", r#"{"properties":{}}"#);
        log.json("task-c-1", r#"{"properties":{"t":"1"}}"#);
        assert_eq!(log.json("commit-c", r#"{"tasks":2}"#), [ConfigEvent::TaskConfigs("c".into())]);
        assert!(log.state.snapshot.inconsistent.contains("c"));
        assert_eq!(log.state.snapshot.task_counts["c"], 2);
        assert_eq!(log.state.snapshot.task_generations.get("c"), None, "an incomplete commit is no generation");
        assert!(log.state.snapshot.tasks("c").is_empty());
        // The buffered task 1 was dropped with the bad commit: a fresh set is needed.
        log.json("task-c-0", r#"{"properties":{"t":"0"}}"#);
        log.json("commit-c", r#"{"tasks":2}"#);
        assert!(log.state.snapshot.inconsistent.contains("c"));
        log.json("task-c-0", r#"{"properties":{"t":"0"}}"#);
        log.json("task-c-1", r#"{"properties":{"t":"1"}}"#);
        log.json("commit-c", r#"{"tasks":2}"#);
        assert!(log.state.snapshot.inconsistent.is_empty());
        assert_eq!(log.state.snapshot.tasks("c"), [0, 1]);
    }

    #[test]
    fn deletion_target_states_and_other_records() {
        let mut log = Log::new();
        // A target state written before the connector: no event, but kept.
        assert!(log.json("target-state-c", r#"{"state":"PAUSED","state.v2":"STOPPED"}"#).is_empty());
        log.json("connector-c", r#"{"properties":{"a":"b"}}"#);
        assert_eq!(log.state.snapshot.target("c"), Some(TargetState::Stopped));
        assert_eq!(log.json("target-state-c", r#"{"state":"PAUSED"}"#), [ConfigEvent::TargetState("c".into())]);
        assert!(log.json("target-state-c", r#"{"state":"PAUSED"}"#).is_empty(), "unchanged: no event");
        log.json("task-c-0", r#"{"properties":{}}"#);
        log.json("commit-c", r#"{"tasks":1}"#);
        assert_eq!(log.read("connector-c", None), [ConfigEvent::ConnectorRemoved("c".into())]);
        assert!(log.read("target-state-c", None).is_empty());
        let snapshot = &log.state.snapshot;
        assert!(!snapshot.contains("c") && snapshot.targets.is_empty() && snapshot.tasks("c").is_empty());
        assert!(snapshot.task_configs.is_empty());
        // A commit of a connector whose config is gone is ignored.
        log.json("task-c-0", r#"{"properties":{}}"#);
        assert!(log.json("commit-c", r#"{"tasks":1}"#).is_empty());
        assert!(log.state.snapshot.task_counts.is_empty());

        assert_eq!(
            log.json("restart-connector-c", r#"{"include-tasks":true,"only-failed":false}"#),
            [ConfigEvent::Restart { connector: "c".into(), include_tasks: true, only_failed: false }]
        );
        assert_eq!(
            log.json("session-key", r#"{"key":"AQID+vs=","algorithm":"HmacSHA256","creation-timestamp":5}"#),
            [ConfigEvent::SessionKey]
        );
        assert_eq!(log.state.snapshot.session_key.as_ref().unwrap().creation_timestamp, 5);
        log.json("tasks-fencing-c", r#"{"task-count":3}"#);
        assert_eq!(log.state.snapshot.fencing_counts["c"], 3);
        assert_eq!(
            log.json("logger-cluster-org.x", r#"{"level":"DEBUG"}"#),
            [ConfigEvent::LoggerLevel { namespace: "org.x".into(), level: "DEBUG".into() }]
        );
    }

    #[test]
    fn bad_records_are_skipped_and_events_wait_for_the_start() {
        let mut log = Log::new();
        let before = log.state.snapshot.offset;
        assert!(log.read("connector-c", Some(b"{not json")).is_empty());
        assert_eq!(log.state.snapshot.offset, before, "an unreadable value is not counted, as Kafka");
        assert!(log.json("connector-c", r#"{"properties":"x"}"#).is_empty());
        assert!(log.json("commit-c", r#"[1]"#).is_empty());
        assert!(log.json("unknown-key", r#"{}"#).is_empty());
        assert!(log.json("task-c-x", r#"{"properties":{}}"#).is_empty());
        assert!(log.read("session-key", None).is_empty());
        assert!(log.state.apply(None, Some(b"{}"), 99).is_empty());
        assert_eq!(log.state.snapshot.offset, 100);
        assert!(!log.state.snapshot.contains("c"));

        let mut state = ConfigState::default();
        assert!(state.apply(Some(b"connector-c"), Some(br#"{"properties":{}}"#), 0).is_empty());
        assert!(state.snapshot.contains("c"), "applied, though no event before the start");
    }
}
