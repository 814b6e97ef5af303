//! The records of the config topic, byte for byte as Kafka Connect writes them
//! (`KafkaConfigBackingStore`): String keys (raw UTF-8) and values that the worker's internal
//! `JsonConverter` (`schemas.enable=false`) writes from a `Struct`: compact JSON, fields in the
//! order of the record's schema.
//!
//! | key | value |
//! |---|---|
//! | `connector-<name>` | `{"properties":{...}}` |
//! | `task-<name>-<n>` | `{"properties":{...}}` |
//! | `commit-<name>` | `{"tasks":N}` |
//! | `target-state-<name>` | `{"state":"PAUSED","state.v2":"STOPPED"}` |
//! | `restart-connector-<name>` | `{"include-tasks":b,"only-failed":b}` |
//! | `tasks-fencing-<name>` | `{"task-count":N}` |
//! | `session-key` | `{"key":"<base64>","algorithm":"HmacSHA256","creation-timestamp":ms}` |
//! | `logger-cluster-<namespace>` | `{"level":"DEBUG"}` |
//!
//! Kafka writes a `properties` map in its Java map's order; ours is written sorted by key
//! (`Config` is a sorted map). Readers of either runtime look keys up, so the order is moot here.

use base64::Engine;
use serde_json::{json, Map, Value};

use crate::runtime::plugin::Config;
use crate::runtime::worker::TargetState;

pub const TARGET_STATE_PREFIX: &str = "target-state-";
pub const CONNECTOR_PREFIX: &str = "connector-";
pub const TASK_PREFIX: &str = "task-";
pub const COMMIT_TASKS_PREFIX: &str = "commit-";
pub const RESTART_PREFIX: &str = "restart-connector-";
pub const TASK_COUNT_RECORD_PREFIX: &str = "tasks-fencing-";
pub const SESSION_KEY_KEY: &str = "session-key";
pub const LOGGER_CLUSTER_PREFIX: &str = "logger-cluster-";

/// The key that signs internal REST requests between workers (KIP-507), as the leader
/// distributes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionKey {
    /// The raw key bytes.
    pub key: Vec<u8>,
    /// The JCA name of its algorithm (`HmacSHA256` by default).
    pub algorithm: String,
    /// When the leader created it, in epoch milliseconds.
    pub creation_timestamp: i64,
}

/// A key of the config topic, by kind, in Kafka's order of dispatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigKey {
    TargetState(String),
    Connector(String),
    Task(String, u32),
    Commit(String),
    Restart(String),
    TaskCount(String),
    SessionKey,
    LoggerLevel(String),
    /// A `task-` key whose last `-` part is not a task number.
    BadTask,
    Unknown,
}

impl ConfigKey {
    /// The kind of `key`, with Kafka's prefix tests in Kafka's order.
    pub fn parse(key: &str) -> ConfigKey {
        if let Some(name) = key.strip_prefix(TARGET_STATE_PREFIX) {
            ConfigKey::TargetState(name.to_owned())
        } else if let Some(name) = key.strip_prefix(CONNECTOR_PREFIX) {
            ConfigKey::Connector(name.to_owned())
        } else if key.starts_with(TASK_PREFIX) {
            parse_task_key(key).map_or(ConfigKey::BadTask, |(c, t)| ConfigKey::Task(c, t))
        } else if let Some(name) = key.strip_prefix(COMMIT_TASKS_PREFIX) {
            ConfigKey::Commit(name.to_owned())
        } else if let Some(name) = key.strip_prefix(RESTART_PREFIX) {
            ConfigKey::Restart(name.to_owned())
        } else if let Some(name) = key.strip_prefix(TASK_COUNT_RECORD_PREFIX) {
            ConfigKey::TaskCount(name.to_owned())
        } else if key == SESSION_KEY_KEY {
            ConfigKey::SessionKey
        } else if let Some(namespace) = key.strip_prefix(LOGGER_CLUSTER_PREFIX) {
            ConfigKey::LoggerLevel(namespace.to_owned())
        } else {
            ConfigKey::Unknown
        }
    }
}

/// `task-<connector>-<n>` as Kafka's `parseTaskId`: split on `-`, the last part is the task
/// number, the parts between the first and the last are the connector's name; trailing empty
/// parts are dropped first, as Java's `split` drops them.
pub fn parse_task_key(key: &str) -> Option<(String, u32)> {
    let mut parts: Vec<&str> = key.split('-').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    if parts.len() < 3 {
        return None;
    }
    let task = parse_java_int(parts[parts.len() - 1])?;
    Some((parts[1..parts.len() - 1].join("-"), task))
}

/// A task number as Java's `Integer.parseInt` reads one (an optional sign, ASCII digits), kept
/// only when it fits a task id.
pub(crate) fn parse_java_int(text: &str) -> Option<u32> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i32>().ok().and_then(|n| u32::try_from(n).ok())
}

pub fn connector_key(connector: &str) -> String {
    format!("{CONNECTOR_PREFIX}{connector}")
}

pub fn task_key(connector: &str, task: u32) -> String {
    format!("{TASK_PREFIX}{connector}-{task}")
}

pub fn commit_key(connector: &str) -> String {
    format!("{COMMIT_TASKS_PREFIX}{connector}")
}

pub fn target_state_key(connector: &str) -> String {
    format!("{TARGET_STATE_PREFIX}{connector}")
}

pub fn restart_key(connector: &str) -> String {
    format!("{RESTART_PREFIX}{connector}")
}

pub fn task_count_key(connector: &str) -> String {
    format!("{TASK_COUNT_RECORD_PREFIX}{connector}")
}

pub fn logger_level_key(namespace: &str) -> String {
    format!("{LOGGER_CLUSTER_PREFIX}{namespace}")
}

fn bytes(value: Value) -> Vec<u8> {
    serde_json::to_vec(&value).expect("JSON values serialize")
}

/// `{"properties":{...}}`: a connector's or a task's config.
pub fn properties_value(config: &Config) -> Vec<u8> {
    let properties: Map<String, Value> = config.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    bytes(json!({ "properties": properties }))
}

/// `{"tasks":N}`.
pub fn commit_value(tasks: u32) -> Vec<u8> {
    bytes(json!({ "tasks": tasks }))
}

/// Kafka's name of a target state.
pub fn target_state_name(state: TargetState) -> &'static str {
    match state {
        TargetState::Started => "STARTED",
        TargetState::Paused => "PAUSED",
        TargetState::Stopped => "STOPPED",
    }
}

fn target_state_of(name: &str) -> Option<TargetState> {
    match name {
        "STARTED" => Some(TargetState::Started),
        "PAUSED" => Some(TargetState::Paused),
        "STOPPED" => Some(TargetState::Stopped),
        _ => None,
    }
}

/// `{"state":..,"state.v2":..}`: `state` says PAUSED for STOPPED, for workers older than KIP-875.
pub fn target_state_value(state: TargetState) -> Vec<u8> {
    let old = if state == TargetState::Stopped { TargetState::Paused } else { state };
    bytes(json!({ "state": target_state_name(old), "state.v2": target_state_name(state) }))
}

/// `{"include-tasks":b,"only-failed":b}`.
pub fn restart_value(include_tasks: bool, only_failed: bool) -> Vec<u8> {
    bytes(json!({ "include-tasks": include_tasks, "only-failed": only_failed }))
}

/// `{"task-count":N}`.
pub fn task_count_value(count: u32) -> Vec<u8> {
    bytes(json!({ "task-count": count }))
}

/// `{"key":"<base64>","algorithm":..,"creation-timestamp":ms}`.
pub fn session_key_value(key: &SessionKey) -> Vec<u8> {
    bytes(json!({
        "key": base64::engine::general_purpose::STANDARD.encode(&key.key),
        "algorithm": key.algorithm,
        "creation-timestamp": key.creation_timestamp,
    }))
}

/// `{"level":..}`.
pub fn logger_level_value(level: &str) -> Vec<u8> {
    bytes(json!({ "level": level }))
}

/// Why a value was skipped, for the log.
pub type Malformed = String;

fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>, Malformed> {
    value.as_object().ok_or_else(|| format!("the value of {what} is not a JSON object but {}", kind(value)))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The `properties` of a connector or task record. Values that are not strings are kept as their
/// JSON text; `null` values are dropped (a `Config` has no null).
pub fn parse_properties(value: &Value, what: &str) -> Result<Config, Malformed> {
    let properties = object(value, what)?
        .get("properties")
        .and_then(Value::as_object)
        .ok_or_else(|| format!("the 'properties' field of {what} should be a map"))?;
    Ok(properties
        .iter()
        .filter_map(|(k, v)| match v {
            Value::Null => None,
            Value::String(s) => Some((k.clone(), s.clone())),
            other => Some((k.clone(), other.to_string())),
        })
        .collect())
}

/// An integer field as Kafka's `intValue` reads it (an Integer or a Long, truncated to int),
/// kept only when it fits a count.
fn count_field(value: &Value, field: &str, what: &str) -> Result<u32, Malformed> {
    let number = object(value, what)?
        .get(field)
        .and_then(Value::as_i64)
        .ok_or_else(|| format!("the '{field}' field of {what} should be an integer"))?;
    u32::try_from(number as i32).map_err(|_| format!("the '{field}' field of {what} is negative: {number}"))
}

/// `tasks` of a commit record.
pub fn parse_commit(value: &Value) -> Result<u32, Malformed> {
    count_field(value, "tasks", "a task commit record")
}

/// `task-count` of a task count record.
pub fn parse_task_count(value: &Value) -> Result<u32, Malformed> {
    count_field(value, "task-count", "a task count record")
}

/// A target state: `state.v2` when it is a string, else `state` (written by older workers).
pub fn parse_target_state(value: &Value) -> Result<TargetState, Malformed> {
    let map = object(value, "a target state record")?;
    let name = match map.get("state.v2").and_then(Value::as_str) {
        Some(v2) => v2,
        None => map.get("state").and_then(Value::as_str).ok_or("the 'state' field should be a string")?,
    };
    target_state_of(name).ok_or_else(|| format!("invalid target state {name}"))
}

/// `(include_tasks, only_failed)`; a field that is not a boolean reads as `false`, as Kafka.
pub fn parse_restart(value: &Value) -> Result<(bool, bool), Malformed> {
    let map = object(value, "a restart request")?;
    let flag = |name: &str| map.get(name).and_then(Value::as_bool).unwrap_or(false);
    Ok((flag("include-tasks"), flag("only-failed")))
}

/// A session key record.
pub fn parse_session_key(value: &Value) -> Result<SessionKey, Malformed> {
    let map = object(value, "the session key")?;
    let encoded = map.get("key").and_then(Value::as_str).ok_or("the session key's 'key' field should be a string")?;
    let key = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("the session key's 'key' field is not base64: {e}"))?;
    let algorithm = map
        .get("algorithm")
        .and_then(Value::as_str)
        .ok_or("the session key's 'algorithm' field should be a string")?
        .to_owned();
    let creation_timestamp = map
        .get("creation-timestamp")
        .and_then(Value::as_i64)
        .ok_or("the session key's 'creation-timestamp' field should be a long")?;
    Ok(SessionKey { key, algorithm, creation_timestamp })
}

/// The `level` of a cluster-wide logger level record.
pub fn parse_logger_level(value: &Value) -> Result<String, Malformed> {
    Ok(object(value, "a logger level record")?
        .get("level")
        .and_then(Value::as_str)
        .ok_or("the 'level' field should be a string")?
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    // The golden values were printed by Kafka 4.4.0's own classes: the schemas of
    // `KafkaConfigBackingStore` (`CONNECTOR_CONFIGURATION_V0`, ...) filled and written by
    // `JsonConverter` with `schemas.enable=false` (a throw-away Java program run against
    // connect-runtime-4.4.0.jar / connect-json-4.4.0.jar).

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn values_are_written_as_kafka_writes_them() {
        // Kafka's map came in insertion order; ours is sorted: the same bytes for sorted input.
        let config = Config::from([
            ("connector.class".to_owned(), "FileStreamSource".to_owned()),
            ("file".to_owned(), "/tmp/a b\"c.txt".to_owned()),
            ("tasks.max".to_owned(), "1".to_owned()),
        ]);
        assert_eq!(
            text(properties_value(&config)),
            r#"{"properties":{"connector.class":"FileStreamSource","file":"/tmp/a b\"c.txt","tasks.max":"1"}}"#
        );
        assert_eq!(text(commit_value(2)), r#"{"tasks":2}"#);
        assert_eq!(text(target_state_value(TargetState::Stopped)), r#"{"state":"PAUSED","state.v2":"STOPPED"}"#);
        assert_eq!(text(target_state_value(TargetState::Started)), r#"{"state":"STARTED","state.v2":"STARTED"}"#);
        assert_eq!(text(task_count_value(3)), r#"{"task-count":3}"#);
        let key = SessionKey {
            key: vec![1, 2, 3, 250, 251],
            algorithm: "HmacSHA256".into(),
            creation_timestamp: 1700000000123,
        };
        assert_eq!(
            text(session_key_value(&key)),
            r#"{"key":"AQID+vs=","algorithm":"HmacSHA256","creation-timestamp":1700000000123}"#
        );
        assert_eq!(text(restart_value(true, false)), r#"{"include-tasks":true,"only-failed":false}"#);
        assert_eq!(text(logger_level_value("DEBUG")), r#"{"level":"DEBUG"}"#);
    }

    #[test]
    fn kafkas_values_are_read() {
        let config = parse_properties(
            &parse(r#"{"properties":{"connector.class":"FileStreamSource","tasks.max":"1","file":"/tmp/a b\"c.txt"}}"#),
            "x",
        )
        .unwrap();
        assert_eq!(config["file"], "/tmp/a b\"c.txt");
        assert_eq!(config.len(), 3);
        assert_eq!(parse_commit(&parse(r#"{"tasks":2}"#)), Ok(2));
        assert_eq!(parse_task_count(&parse(r#"{"task-count":3}"#)), Ok(3));
        assert_eq!(parse_target_state(&parse(r#"{"state":"PAUSED","state.v2":"STOPPED"}"#)), Ok(TargetState::Stopped));
        // Written by a worker older than KIP-875: no state.v2.
        assert_eq!(parse_target_state(&parse(r#"{"state":"PAUSED"}"#)), Ok(TargetState::Paused));
        assert_eq!(parse_target_state(&parse(r#"{"state":"PAUSED","state.v2":7}"#)), Ok(TargetState::Paused));
        assert!(parse_target_state(&parse(r#"{"state":"RUNNING"}"#)).is_err());
        assert_eq!(parse_restart(&parse(r#"{"include-tasks":true,"only-failed":false}"#)), Ok((true, false)));
        assert_eq!(parse_restart(&parse(r#"{"include-tasks":"yes"}"#)), Ok((false, false)));
        let key = parse_session_key(&parse(
            r#"{"key":"AQID+vs=","algorithm":"HmacSHA256","creation-timestamp":1700000000123}"#,
        ))
        .unwrap();
        assert_eq!(key.key, [1, 2, 3, 250, 251]);
        assert_eq!(key.creation_timestamp, 1700000000123);
        assert_eq!(parse_logger_level(&parse(r#"{"level":"DEBUG"}"#)), Ok("DEBUG".into()));
        assert!(parse_commit(&parse(r#"{"tasks":"2"}"#)).is_err());
        assert!(parse_properties(&parse(r#"[1]"#), "x").is_err());
    }

    #[test]
    fn keys_dispatch_in_kafkas_order_and_task_keys_split_on_the_last_dash() {
        assert_eq!(ConfigKey::parse("connector-my-conn"), ConfigKey::Connector("my-conn".into()));
        assert_eq!(ConfigKey::parse("task-my-conn-12"), ConfigKey::Task("my-conn".into(), 12));
        assert_eq!(ConfigKey::parse("task-my-conn-x"), ConfigKey::BadTask);
        assert_eq!(ConfigKey::parse("task-c"), ConfigKey::BadTask);
        assert_eq!(ConfigKey::parse("commit-my-conn"), ConfigKey::Commit("my-conn".into()));
        assert_eq!(ConfigKey::parse("target-state-a-b"), ConfigKey::TargetState("a-b".into()));
        assert_eq!(ConfigKey::parse("restart-connector-a"), ConfigKey::Restart("a".into()));
        assert_eq!(ConfigKey::parse("tasks-fencing-a"), ConfigKey::TaskCount("a".into()));
        assert_eq!(ConfigKey::parse("session-key"), ConfigKey::SessionKey);
        assert_eq!(ConfigKey::parse("logger-cluster-org.foo"), ConfigKey::LoggerLevel("org.foo".into()));
        assert_eq!(ConfigKey::parse("something-else"), ConfigKey::Unknown);
        assert_eq!(parse_task_key(&task_key("a-b--c", 3)), Some(("a-b--c".into(), 3)));
        assert_eq!(parse_task_key("task-a-+4"), Some(("a".into(), 4)));
        assert_eq!(parse_task_key("task-a--1"), Some(("a-".into(), 1)));
        assert_eq!(parse_task_key("task-a-1-"), Some(("a".into(), 1)));
        assert_eq!(connector_key("x"), "connector-x");
        assert_eq!(commit_key("x"), "commit-x");
        assert_eq!(target_state_key("x"), "target-state-x");
        assert_eq!(restart_key("x"), "restart-connector-x");
        assert_eq!(task_count_key("x"), "tasks-fencing-x");
        assert_eq!(logger_level_key("x"), "logger-cluster-x");
    }
}
