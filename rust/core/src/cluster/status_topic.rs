//! The status topic (Kafka Connect's `KafkaStatusBackingStore`): the state of every connector and
//! task as the worker running it reports it, and the topics each connector used (KIP-558).
//!
//! | key | value |
//! |---|---|
//! | `status-connector-<name>` | `{"state":"RUNNING","trace":null,"worker_id":"host:8083","generation":7,"version":null}` |
//! | `status-task-<name>-<n>` | the same shape |
//! | `status-topic-<topic>:connector-<name>` | `{"topic":{"name":..,"connector":..,"task":n,"discoverTimestamp":ms}}` |
//!
//! DESTROYED is written as a tombstone. `version` is the connector's or task's version (Kafka 4.x,
//! KIP-891), `null` when no instance stands behind the status (UNASSIGNED, say). Writes are asynchronous as in Kafka; what the store
//! answers comes only from what it read back, so another worker's writes are seen the same way as
//! its own. The `*_safe` writes are skipped when the store has read a newer generation from
//! another worker (Kafka's `putSafe`).
//!
//! Kafka's store writes with `retries=0` and resends retriable failures itself; this one leaves
//! the retries to librdkafka (`delivery.timeout.ms` unbounded), which keeps order only as well as
//! one request in flight without idempotence does.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tracing::{error, trace, warn};

use super::config_records::parse_java_int;
use super::kafka_log::{KafkaLog, LogRecord};
use super::topic_setup::{ensure_topic, TopicSettings};
use crate::error::Result;
use crate::runtime::status::{State, Status};

pub const TASK_STATUS_PREFIX: &str = "status-task-";
pub const CONNECTOR_STATUS_PREFIX: &str = "status-connector-";
pub const TOPIC_STATUS_PREFIX: &str = "status-topic-";
pub const TOPIC_STATUS_SEPARATOR: &str = ":connector-";

/// A topic a connector's task used (KIP-558's active topics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicStatus {
    pub topic: String,
    pub connector: String,
    pub task: u32,
    /// When the task first used it, in epoch milliseconds.
    pub discover_timestamp: i64,
}

pub fn connector_status_key(connector: &str) -> String {
    format!("{CONNECTOR_STATUS_PREFIX}{connector}")
}

pub fn task_status_key(connector: &str, task: u32) -> String {
    format!("{TASK_STATUS_PREFIX}{connector}-{task}")
}

pub fn topic_status_key(connector: &str, topic: &str) -> String {
    format!("{TOPIC_STATUS_PREFIX}{topic}{TOPIC_STATUS_SEPARATOR}{connector}")
}

fn state_name(state: State) -> &'static str {
    match state {
        State::Unassigned => "UNASSIGNED",
        State::Running => "RUNNING",
        State::Paused => "PAUSED",
        State::Stopped => "STOPPED",
        State::Failed => "FAILED",
        State::Restarting => "RESTARTING",
        State::Destroyed => "DESTROYED",
    }
}

fn state_of(name: &str) -> Option<State> {
    Some(match name {
        "UNASSIGNED" => State::Unassigned,
        "RUNNING" => State::Running,
        "PAUSED" => State::Paused,
        "STOPPED" => State::Stopped,
        "FAILED" => State::Failed,
        "RESTARTING" => State::Restarting,
        "DESTROYED" => State::Destroyed,
        _ => return None,
    })
}

/// A status record's value; `None` (a tombstone) for DESTROYED.
pub fn status_value(status: &Status, generation: i32) -> Option<Vec<u8>> {
    if status.state == State::Destroyed {
        return None;
    }
    let value = json!({
        "state": state_name(status.state),
        "trace": status.trace,
        "worker_id": status.worker_id,
        "generation": generation,
        "version": status.version,
    });
    Some(serde_json::to_vec(&value).expect("JSON values serialize"))
}

/// A status and its generation from a record's value.
pub fn parse_status(value: &[u8]) -> std::result::Result<(Status, i32), String> {
    let value: Value = serde_json::from_slice(value).map_err(|e| format!("not JSON: {e}"))?;
    let map = value.as_object().ok_or("not a JSON object")?;
    let state = map.get("state").and_then(Value::as_str).and_then(state_of).ok_or("no valid 'state'")?;
    let trace = match map.get("trace") {
        None | Some(Value::Null) => None,
        Some(Value::String(trace)) => Some(trace.clone()),
        Some(_) => return Err("'trace' is not a string".into()),
    };
    let worker_id = match map.get("worker_id") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(id)) => id.clone(),
        Some(_) => return Err("'worker_id' is not a string".into()),
    };
    let generation = map.get("generation").and_then(Value::as_i64).ok_or("'generation' is not an integer")? as i32;
    // Kafka 3.x wrote none; a version that is not a string is read as none too.
    let version = map.get("version").and_then(Value::as_str).map(str::to_owned);
    Ok((Status { state, worker_id, trace, version }, generation))
}

/// A topic status record's value.
pub fn topic_status_value(status: &TopicStatus) -> Vec<u8> {
    let value = json!({ "topic": {
        "name": status.topic,
        "connector": status.connector,
        "task": status.task,
        "discoverTimestamp": status.discover_timestamp,
    }});
    serde_json::to_vec(&value).expect("JSON values serialize")
}

/// A topic status from a record's value.
pub fn parse_topic_status(value: &[u8]) -> std::result::Result<TopicStatus, String> {
    let value: Value = serde_json::from_slice(value).map_err(|e| format!("not JSON: {e}"))?;
    let inner = value.get("topic").and_then(Value::as_object).ok_or("no 'topic' object")?;
    let text = |field: &str| inner.get(field).and_then(Value::as_str).map(str::to_owned);
    Ok(TopicStatus {
        topic: text("name").ok_or("'name' is not a string")?,
        connector: text("connector").ok_or("'connector' is not a string")?,
        task: inner.get("task").and_then(Value::as_i64).and_then(|t| u32::try_from(t).ok()).ok_or("bad 'task'")?,
        discover_timestamp: inner.get("discoverTimestamp").and_then(Value::as_i64).ok_or("bad 'discoverTimestamp'")?,
    })
}

/// `status-task-<connector>-<n>` as Kafka's `parseConnectorTaskId`: split on `-`, the last part
/// is the task number, the parts after `status-task` and before the last are the connector's name.
pub fn parse_task_status_key(key: &str) -> Option<(String, u32)> {
    let mut parts: Vec<&str> = key.split('-').collect();
    while parts.last() == Some(&"") {
        parts.pop(); // Java's split drops trailing empty strings
    }
    if parts.len() < 4 {
        return None;
    }
    let task = parse_java_int(parts[parts.len() - 1])?;
    Some((parts[2..parts.len() - 1].join("-"), task))
}

/// `status-topic-<topic>:connector-<connector>` → (topic, connector).
pub fn parse_topic_status_key(key: &str) -> Option<(String, String)> {
    let rest = key.strip_prefix(TOPIC_STATUS_PREFIX)?;
    let colon = rest.find(':')?;
    let topic = &rest[..colon];
    let connector = rest[colon..].get(TOPIC_STATUS_SEPARATOR.len()..)?;
    (!topic.is_empty() && !connector.is_empty()).then(|| (topic.to_owned(), connector.to_owned()))
}

/// What the store has read.
#[derive(Debug, Default)]
pub(crate) struct StatusState {
    connectors: BTreeMap<String, (Status, i32)>,
    tasks: BTreeMap<String, BTreeMap<u32, (Status, i32)>>,
    topics: BTreeMap<String, BTreeMap<String, TopicStatus>>,
}

/// Kafka's `CacheEntry.canWriteSafely`: nothing known, the same worker, or not an older generation.
fn can_write_safely(current: Option<&(Status, i32)>, status: &Status, generation: i32) -> bool {
    current
        .is_none_or(|(known, known_generation)| known.worker_id == status.worker_id || *known_generation <= generation)
}

impl StatusState {
    pub(crate) fn apply(&mut self, key: Option<&[u8]>, value: Option<&[u8]>) {
        let Some(key) = key else {
            warn!("Discarding status record without a key");
            return;
        };
        let key = String::from_utf8_lossy(key);
        if let Some(connector) = key.strip_prefix(CONNECTOR_STATUS_PREFIX) {
            if connector.is_empty() {
                warn!("Discarding record with invalid connector status key {key}");
            } else if let Some(value) = value {
                match parse_status(value) {
                    Ok(status) => {
                        trace!(connector, "Received connector status update {status:?}");
                        self.connectors.insert(connector.to_owned(), status);
                    }
                    Err(reason) => error!(key = %key, "Failed to deserialize connector status: {reason}"),
                }
            } else {
                self.connectors.remove(connector);
                self.tasks.remove(connector);
            }
        } else if key.starts_with(TASK_STATUS_PREFIX) {
            let Some((connector, task)) = parse_task_status_key(&key) else {
                warn!("Discarding record with invalid task status key {key}");
                return;
            };
            let Some(value) = value else {
                if let Some(tasks) = self.tasks.get_mut(&connector) {
                    tasks.remove(&task);
                    if tasks.is_empty() {
                        self.tasks.remove(&connector);
                    }
                }
                return;
            };
            let (status, generation) = match parse_status(value) {
                Ok(parsed) => parsed,
                Err(reason) => {
                    warn!(key = %key, "Failed to parse task status: {reason}");
                    return;
                }
            };
            let tasks = self.tasks.entry(connector).or_default();
            // An UNASSIGNED from a worker that had not yet read a RUNNING of the same or a later
            // generation is stale (Kafka's race during rebalances).
            if let Some((known, known_generation)) = tasks.get(&task) {
                if status.state == State::Unassigned && known.state == State::Running && *known_generation >= generation
                {
                    trace!(key = %key, "Ignoring stale UNASSIGNED status");
                    return;
                }
            }
            tasks.insert(task, (status, generation));
        } else if key.starts_with(TOPIC_STATUS_PREFIX) {
            let Some((topic, connector)) = parse_topic_status_key(&key) else {
                warn!("Discarding record with invalid topic status key {key}");
                return;
            };
            match value.map(parse_topic_status) {
                None => {
                    if let Some(topics) = self.topics.get_mut(&connector) {
                        topics.remove(&topic);
                    }
                }
                Some(Ok(status)) => {
                    self.topics.entry(connector).or_default().insert(topic, status);
                }
                Some(Err(reason)) => warn!(key = %key, "Failed to parse topic status: {reason}"),
            }
        } else {
            warn!("Discarding record with invalid key {key}");
        }
    }
}

/// How long `stop` waits for pending status writes.
const STOP_FLUSH: Duration = Duration::from_secs(5);

/// The status topic, read continuously, written asynchronously.
pub struct StatusTopicStore {
    log: KafkaLog,
    state: Arc<Mutex<StatusState>>,
}

impl StatusTopicStore {
    /// Creates the topic if needed (or checks it) and reads it to its end (at most
    /// `topic.read_timeout`), so that the first answers are current.
    pub fn start(
        bootstrap_servers: &str,
        topic: &TopicSettings,
        client_settings: &HashMap<String, String>,
    ) -> Result<Self> {
        ensure_topic(bootstrap_servers, topic, client_settings)?;
        let state = Arc::new(Mutex::new(StatusState::default()));
        let callback = {
            let state = state.clone();
            Box::new(move |record: LogRecord| {
                state.lock().expect("status state lock").apply(record.key.as_deref(), record.value.as_deref())
            })
        };
        let log = KafkaLog::start(bootstrap_servers, &topic.name, client_settings, &[], callback)?;
        log.read_to_end(topic.read_timeout)?;
        Ok(StatusTopicStore { log, state })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, StatusState> {
        self.state.lock().expect("status state lock")
    }

    /// Writes a connector's status (a tombstone for DESTROYED).
    pub fn put_connector(&self, connector: &str, status: &Status, generation: i32) -> Result<()> {
        self.send(connector_status_key(connector), status_value(status, generation))
    }

    /// Writes a connector's status unless another worker's newer generation was read.
    pub fn put_connector_safe(&self, connector: &str, status: &Status, generation: i32) -> Result<()> {
        if !can_write_safely(self.lock().connectors.get(connector), status, generation) {
            return Ok(());
        }
        self.put_connector(connector, status, generation)
    }

    /// Writes a task's status (a tombstone for DESTROYED).
    pub fn put_task(&self, connector: &str, task: u32, status: &Status, generation: i32) -> Result<()> {
        self.send(task_status_key(connector, task), status_value(status, generation))
    }

    /// Writes a task's status unless another worker's newer generation was read.
    pub fn put_task_safe(&self, connector: &str, task: u32, status: &Status, generation: i32) -> Result<()> {
        let known = self.lock().tasks.get(connector).and_then(|t| t.get(&task)).cloned();
        if !can_write_safely(known.as_ref(), status, generation) {
            return Ok(());
        }
        self.put_task(connector, task, status, generation)
    }

    /// Writes tombstones for a deleted connector's status and the status of each task read.
    pub fn delete_connector(&self, connector: &str) -> Result<()> {
        let tasks: Vec<u32> = self.lock().tasks.get(connector).map(|t| t.keys().copied().collect()).unwrap_or_default();
        self.send(connector_status_key(connector), None)?;
        for task in tasks {
            self.send(task_status_key(connector, task), None)?;
        }
        Ok(())
    }

    /// A connector's status and generation, as read.
    pub fn connector(&self, connector: &str) -> Option<(Status, i32)> {
        self.lock().connectors.get(connector).cloned()
    }

    /// One task's status and generation, as read.
    pub fn task(&self, connector: &str, task: u32) -> Option<(Status, i32)> {
        self.lock().tasks.get(connector)?.get(&task).cloned()
    }

    /// The status of each task of a connector, as read.
    pub fn tasks(&self, connector: &str) -> BTreeMap<u32, Status> {
        self.lock()
            .tasks
            .get(connector)
            .map(|tasks| tasks.iter().map(|(task, (status, _))| (*task, status.clone())).collect())
            .unwrap_or_default()
    }

    /// The connectors with a status.
    pub fn connectors(&self) -> BTreeSet<String> {
        self.lock().connectors.keys().cloned().collect()
    }

    /// Records that a task of the connector used `topic`, unless that is already known (as the
    /// worker's tasks check before writing).
    pub fn put_topic(&self, connector: &str, topic: &str, task: u32) -> Result<()> {
        if self.lock().topics.get(connector).is_some_and(|t| t.contains_key(topic)) {
            return Ok(());
        }
        let status = TopicStatus {
            topic: topic.to_owned(),
            connector: connector.to_owned(),
            task,
            discover_timestamp: now_millis(),
        };
        self.send(topic_status_key(connector, topic), Some(topic_status_value(&status)))
    }

    /// The topics the connector used, as read.
    pub fn topics(&self, connector: &str) -> Vec<TopicStatus> {
        self.lock().topics.get(connector).map(|t| t.values().cloned().collect()).unwrap_or_default()
    }

    /// Writes tombstones for every topic the connector used (`PUT /connectors/{c}/topics/reset`).
    pub fn delete_topics(&self, connector: &str) -> Result<()> {
        let topics: Vec<String> =
            self.lock().topics.get(connector).map(|t| t.keys().cloned().collect()).unwrap_or_default();
        for topic in topics {
            self.send(topic_status_key(connector, &topic), None)?;
        }
        Ok(())
    }

    /// Reads every record written before the call.
    pub fn read_to_end(&self, timeout: Duration) -> Result<()> {
        self.log.read_to_end(timeout)
    }

    /// Waits until every status written so far is acknowledged.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.log.flush(timeout)
    }

    /// Stops the reader; pending writes get a few seconds.
    pub fn stop(&self) {
        self.log.stop(STOP_FLUSH);
    }

    fn send(&self, key: String, value: Option<Vec<u8>>) -> Result<()> {
        let done_key = key.clone();
        self.log.send_async(
            key.as_bytes(),
            value.as_deref(),
            Box::new(move |outcome| {
                if let Err(e) = outcome {
                    error!(key = %done_key, "Failed to write status update: {e}");
                }
            }),
        )
    }
}

fn now_millis() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Golden values printed by Kafka 4.4.0's `KafkaStatusBackingStore` schemas written by its
    // `JsonConverter` (`schemas.enable=false`), like those of `config_records`.

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn statuses_are_written_and_read_as_kafka_does() {
        let running = Status::new(State::Running, "host:8083");
        assert_eq!(
            text(status_value(&running, 7).unwrap()),
            r#"{"state":"RUNNING","trace":null,"worker_id":"host:8083","generation":7,"version":null}"#
        );
        let failed = Status::failed("host:8083", "java.lang.Error: x\n\tat y".into());
        assert_eq!(
            text(status_value(&failed, 8).unwrap()),
            r#"{"state":"FAILED","trace":"java.lang.Error: x\n\tat y","worker_id":"host:8083","generation":8,"version":null}"#
        );
        let versioned = Status::new(State::Running, "host:8083").with_version(Some("4.4.0".into()));
        assert_eq!(
            text(status_value(&versioned, 9).unwrap()),
            r#"{"state":"RUNNING","trace":null,"worker_id":"host:8083","generation":9,"version":"4.4.0"}"#
        );
        assert_eq!(parse_status(&status_value(&versioned, 9).unwrap()), Ok((versioned, 9)));
        assert_eq!(status_value(&Status::new(State::Destroyed, "w"), 1), None);
        assert_eq!(parse_status(&status_value(&failed, 8).unwrap()), Ok((failed, 8)));
        // Kafka 3.x wrote no version.
        let old = parse_status(br#"{"state":"PAUSED","trace":null,"worker_id":"w:1","generation":2}"#).unwrap();
        assert_eq!(old, (Status::new(State::Paused, "w:1"), 2));
        assert!(parse_status(br#"{"state":"BUSY","worker_id":"w","generation":2}"#).is_err());
        assert!(parse_status(br#"{"state":"RUNNING","worker_id":"w","generation":"2"}"#).is_err());

        let topic = TopicStatus {
            topic: "orders".into(),
            connector: "sink-1".into(),
            task: 2,
            discover_timestamp: 1700000000456,
        };
        assert_eq!(
            text(topic_status_value(&topic)),
            r#"{"topic":{"name":"orders","connector":"sink-1","task":2,"discoverTimestamp":1700000000456}}"#
        );
        assert_eq!(parse_topic_status(&topic_status_value(&topic)), Ok(topic));
    }

    #[test]
    fn keys_are_kafkas_and_task_keys_split_on_the_last_dash() {
        assert_eq!(connector_status_key("c"), "status-connector-c");
        assert_eq!(task_status_key("my-conn", 3), "status-task-my-conn-3");
        assert_eq!(topic_status_key("my-conn", "orders"), "status-topic-orders:connector-my-conn");
        assert_eq!(parse_task_status_key("status-task-my-conn-3"), Some(("my-conn".into(), 3)));
        assert_eq!(parse_task_status_key("status-task-a--b-10"), Some(("a--b".into(), 10)));
        assert_eq!(parse_task_status_key("status-task-c"), None);
        assert_eq!(parse_task_status_key("status-task-c-x"), None);
        assert_eq!(
            parse_topic_status_key("status-topic-orders:connector-my-conn"),
            Some(("orders".into(), "my-conn".into()))
        );
        assert_eq!(parse_topic_status_key("status-topic-:connector-c"), None);
        assert_eq!(parse_topic_status_key("status-topic-orders:connector-"), None);
        assert_eq!(parse_topic_status_key("status-topic-orders"), None);
    }

    #[test]
    fn reading_applies_tombstones_and_ignores_a_stale_unassigned() {
        let mut state = StatusState::default();
        let put = |state: &mut StatusState, key: &str, status: &Status, generation| {
            state.apply(Some(key.as_bytes()), status_value(status, generation).as_deref())
        };
        put(&mut state, "status-connector-my-conn", &Status::new(State::Running, "w1"), 3);
        put(&mut state, "status-task-my-conn-0", &Status::new(State::Running, "w1"), 3);
        put(&mut state, "status-task-my-conn-1", &Status::new(State::Running, "w2"), 3);
        put(&mut state, "status-task-my-conn-0", &Status::new(State::Unassigned, "w2"), 2);
        assert_eq!(state.tasks["my-conn"][&0].0.state, State::Running, "stale UNASSIGNED ignored");
        put(&mut state, "status-task-my-conn-0", &Status::new(State::Unassigned, "w2"), 4);
        assert_eq!(state.tasks["my-conn"][&0].0.state, State::Unassigned);
        state.apply(Some(b"status-task-my-conn-1"), None);
        assert_eq!(state.tasks["my-conn"].len(), 1);
        state.apply(Some(b"status-connector-my-conn"), Some(b"{bad"));
        assert_eq!(state.connectors["my-conn"].1, 3, "a bad record changes nothing");
        state.apply(Some(b"status-connector-my-conn"), None);
        assert!(state.connectors.is_empty() && state.tasks.is_empty());
        state.apply(Some(b"status-whatever"), Some(b"{}"));
        state.apply(None, Some(b"{}"));
    }

    #[test]
    fn safe_writes_yield_to_a_newer_generation_of_another_worker() {
        let known = (Status::new(State::Running, "w1"), 5);
        assert!(can_write_safely(None, &Status::new(State::Running, "w2"), 1));
        assert!(can_write_safely(Some(&known), &Status::new(State::Unassigned, "w1"), 1), "same worker");
        assert!(can_write_safely(Some(&known), &Status::new(State::Running, "w2"), 5), "same generation");
        assert!(!can_write_safely(Some(&known), &Status::new(State::Running, "w2"), 4));
    }
}
