//! `GeneratorSourceConnector`: a native Rust source that writes numbered records of a fixed size.
//!
//! It is the benchmark's "native Rust source through the same runtime" (the runtime's cost with no
//! Python in the loop) and a source for trying a worker without writing a connector. Like Kafka's
//! `VerifiableSourceConnector`, each task counts up from its committed offset, so a restart resumes
//! where the last commit left off; values are the record number in decimal, padded with `x`.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Validator};
use crate::data::Value;
use crate::error::{Error, Result};
use crate::runtime::plugin::{Config, Connector, ConnectorContext, ConnectorKind, SourceTask, SourceTaskContext};
use crate::runtime::record::{SourceOffset, SourceRecord};

/// The class name (`connector.class`); `GeneratorSourceConnector` and `GeneratorSource` also work.
pub const CLASS: &str = "ferroconnect.connectors.GeneratorSourceConnector";

const TOPIC: &str = "topic";
const MESSAGE_SIZE: &str = "message.size";
const MAX_MESSAGES: &str = "max.messages";
const BATCH_SIZE: &str = "batch.size";
/// The offset's one key: the number of the record.
const SEQNO: &str = "seqno";
/// Set by the connector in each task's config.
const TASK_ID: &str = "task.id";

/// How long `poll` waits when a task has written all its records (or `stop` comes first).
const IDLE_POLL: Duration = Duration::from_millis(100);

fn config_def() -> Result<ConfigDef> {
    let at_least = |min: f64| Validator::Range { min: Some(min), max: None };
    ConfigDef::new()
        .define(
            ConfigKey::new(TOPIC, ConfigType::String, None, Importance::High, "The topic to write to.")
                .with_validator(Validator::NonEmptyString),
        )?
        .define(
            ConfigKey::new(
                MESSAGE_SIZE,
                ConfigType::Int,
                Some(ConfigValue::Int(100)),
                Importance::Medium,
                "Bytes of each record's value: its number in decimal, padded with 'x' (never cut).",
            )
            .with_validator(at_least(0.0)),
        )?
        .define(
            ConfigKey::new(
                MAX_MESSAGES,
                ConfigType::Long,
                Some(ConfigValue::Long(-1)),
                Importance::Medium,
                "Records each task writes before it goes idle; -1 for no end.",
            )
            .with_validator(at_least(-1.0)),
        )?
        .define(
            ConfigKey::new(
                BATCH_SIZE,
                ConfigType::Int,
                Some(ConfigValue::Int(1000)),
                Importance::Low,
                "Records returned by each poll.",
            )
            .with_validator(at_least(1.0)),
        )
}

/// What a task (or the connector, to validate) reads from its config.
struct Settings {
    /// Shared by the records.
    topic: std::sync::Arc<str>,
    message_size: usize,
    max_messages: Option<u64>,
    batch_size: usize,
}

impl Settings {
    fn parse(config: &Config) -> Result<Self> {
        let values = config_def()?.parse(config)?;
        let int = |key: &str| match values.get(key) {
            Some(ConfigValue::Int(v)) => i64::from(*v),
            Some(ConfigValue::Long(v)) => *v,
            _ => unreachable!("{key} is defined as a number"),
        };
        let topic = match values.get(TOPIC) {
            Some(ConfigValue::String(topic)) => topic.as_str().into(),
            _ => unreachable!("topic is a required string"),
        };
        // The validators above keep these non-negative (max.messages: -1 or more).
        Ok(Settings {
            topic,
            message_size: usize::try_from(int(MESSAGE_SIZE)).unwrap_or(0),
            max_messages: u64::try_from(int(MAX_MESSAGES)).ok(),
            batch_size: usize::try_from(int(BATCH_SIZE)).unwrap_or(1).max(1),
        })
    }
}

/// The connector: one task per `tasks.max`, each with its own count.
#[derive(Default)]
pub struct GeneratorSourceConnector {
    config: Mutex<Config>,
}

impl Connector for GeneratorSourceConnector {
    fn task_class(&self) -> Option<String> {
        Some("ferroconnect.connectors.GeneratorSourceTask".into())
    }

    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Source
    }

    fn version(&self) -> String {
        crate::version().to_owned()
    }

    fn start(&self, config: &Config, _context: ConnectorContext) -> Result<()> {
        Settings::parse(config)?;
        *self.config.lock().expect("config lock") = config.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<Config>> {
        let config = self.config.lock().expect("config lock");
        Ok((0..max_tasks)
            .map(|task| {
                let mut task_config = config.clone();
                task_config.insert(TASK_ID.into(), task.to_string());
                task_config
            })
            .collect())
    }

    fn stop(&self) -> Result<()> {
        Ok(())
    }

    fn create_source_task(&self) -> Result<Box<dyn SourceTask>> {
        Ok(Box::new(GeneratorTask::default()))
    }
}

/// A task's position: what it writes next.
struct Position {
    settings: Settings,
    /// `{"task": <task.id>}`, shared by every record of the task.
    partition: Arc<serde_json::Value>,
    /// `"seqno"`, shared by every record's offset.
    seqno_key: Arc<str>,
    next: u64,
}

/// One task: counts up from its committed offset.
#[derive(Default)]
struct GeneratorTask {
    position: Mutex<Option<Position>>,
    stopping: Mutex<bool>,
    wake: Condvar,
}

impl GeneratorTask {
    /// Sleeps until `stop` or the idle period ends.
    fn idle(&self) {
        let stopping = self.stopping.lock().expect("stop lock");
        if !*stopping {
            let _ = self.wake.wait_timeout(stopping, IDLE_POLL).expect("stop lock");
        }
    }
}

/// A value of `size` bytes that starts with `seqno` in decimal.
fn payload(seqno: u64, size: usize) -> Vec<u8> {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(seqno).as_bytes();
    let len = size.max(digits.len());
    let mut value = Vec::with_capacity(len);
    value.extend_from_slice(digits);
    value.resize(len, b'x');
    value
}

impl SourceTask for GeneratorTask {
    fn version(&self) -> String {
        crate::version().to_owned()
    }

    fn start(&self, context: SourceTaskContext) -> Result<()> {
        let settings = Settings::parse(&context.config)?;
        let task = context.config.get(TASK_ID).map_or("0", String::as_str);
        let task: u32 = task.parse().map_err(|_| Error::config(TASK_ID, format!("not a task number: {task:?}")))?;
        let partition = json!({ "task": task });
        let committed = context.offset_reader.offsets(std::slice::from_ref(&partition))?;
        let next = committed.first().and_then(|o| o.as_ref()?.get(SEQNO)?.as_u64()).map_or(0, |last| last + 1);
        *self.position.lock().expect("position lock") =
            Some(Position { settings, partition: Arc::new(partition), seqno_key: SEQNO.into(), next });
        Ok(())
    }

    fn poll(&self) -> Result<Option<Vec<SourceRecord>>> {
        let mut guard = self.position.lock().expect("position lock");
        let Some(position) = guard.as_mut() else {
            return Err(Error::Connector("poll() before start()".into()));
        };
        let end = position.settings.max_messages.unwrap_or(u64::MAX);
        let count = end.saturating_sub(position.next).min(position.settings.batch_size as u64);
        if count == 0 {
            drop(guard);
            self.idle();
            return Ok(None);
        }
        let settings = &position.settings;
        let batch = (position.next..position.next + count)
            .map(|seqno| SourceRecord {
                source_partition: position.partition.clone(),
                source_offset: SourceOffset::Keyed(position.seqno_key.clone(), seqno.into()),
                topic: settings.topic.clone(),
                partition: None,
                key_schema: None,
                key: Value::Null,
                value_schema: None,
                value: Value::Bytes(payload(seqno, settings.message_size)),
                timestamp: None,
                headers: Vec::new(),
                handle: None,
                unconvertible: None,
            })
            .collect();
        position.next += count;
        Ok(Some(batch))
    }

    fn commit(&self) -> Result<()> {
        Ok(())
    }

    fn stop(&self) -> Result<()> {
        *self.stopping.lock().expect("stop lock") = true;
        self.wake.notify_all();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_numbered_and_padded_never_cut() {
        assert_eq!(payload(42, 6), b"42xxxx");
        assert_eq!(payload(123_456, 3), b"123456");
        assert_eq!(payload(0, 100).len(), 100);
    }

    #[test]
    fn config_errors_name_the_key() {
        let config: Config = [(MESSAGE_SIZE.to_owned(), "-5".to_owned()), (TOPIC.into(), "t".into())].into();
        let error = Settings::parse(&config).err().expect("invalid").to_string();
        assert!(error.contains(MESSAGE_SIZE), "{error}");
        let error = Settings::parse(&Config::new()).err().expect("missing topic").to_string();
        assert!(error.contains(TOPIC), "{error}");
    }
}
