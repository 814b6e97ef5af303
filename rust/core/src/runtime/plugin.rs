//! What the runtime drives: connectors and tasks, as traits. Python connectors implement them in
//! the bindings; native Rust connectors (built-ins, benchmarks) implement them directly.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::error::Result;
use crate::kafka::producer::Delivered;
use crate::runtime::record::SourceRecord;

/// A connector's or task's configuration: Kafka Connect's string map.
pub type Config = BTreeMap<String, String>;

/// Whether a connector copies data into Kafka or out of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorKind {
    Source,
    Sink,
}

impl ConnectorKind {
    /// Kafka Connect's lower-case name (`source`/`sink`), as in REST `type` fields.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorKind::Source => "source",
            ConnectorKind::Sink => "sink",
        }
    }
}

/// Lets a connector talk back to the runtime (Kafka Connect's `ConnectorContext`).
#[derive(Clone)]
pub struct ConnectorContext {
    /// Asks the runtime to call `task_configs` again and restart tasks whose configs changed.
    pub request_task_reconfiguration: Arc<dyn Fn() + Send + Sync>,
    /// Puts the connector in FAILED with this trace.
    pub raise_error: Arc<dyn Fn(String) + Send + Sync>,
}

/// A connector: validates its config, and splits its job into task configs.
pub trait Connector: Send + Sync {
    fn kind(&self) -> ConnectorKind;
    fn version(&self) -> String;
    fn start(&self, config: &Config, context: ConnectorContext) -> Result<()>;
    fn task_configs(&self, max_tasks: usize) -> Result<Vec<Config>>;
    fn stop(&self) -> Result<()>;
    /// A new, unstarted task of this connector's task class.
    fn create_source_task(&self) -> Result<Box<dyn SourceTask>>;
}

/// Reads the offsets committed for this connector's source partitions.
pub trait OffsetReader: Send + Sync {
    /// The committed offset of each partition, in order (`None` where nothing was committed).
    fn offsets(&self, partitions: &[serde_json::Value]) -> Result<Vec<Option<serde_json::Value>>>;
}

/// What a source task is given at start.
#[derive(Clone)]
pub struct SourceTaskContext {
    pub config: Config,
    pub offset_reader: Arc<dyn OffsetReader>,
}

/// A source task (Kafka Connect's `SourceTask`). `stop` is called from another thread while `poll`
/// may be blocked, and must make it return; hence `&self` everywhere.
pub trait SourceTask: Send + Sync {
    fn version(&self) -> String;
    fn start(&self, context: SourceTaskContext) -> Result<()>;
    /// The next batch, or `None` when there is nothing yet.
    fn poll(&self) -> Result<Option<Vec<SourceRecord>>>;
    /// Called after offsets were flushed.
    fn commit(&self) -> Result<()>;
    /// Whether `commit_records` does anything (so the runtime can skip keeping records for it).
    fn wants_commit_record(&self) -> bool {
        false
    }
    /// Called with records Kafka acknowledged, in batches, each with where it landed.
    fn commit_records(&self, _acked: Vec<(SourceRecord, Delivered)>) -> Result<()> {
        Ok(())
    }
    fn stop(&self) -> Result<()>;
}

/// Finds connector classes by name (`connector.class`).
pub trait PluginLoader: Send + Sync {
    fn load_connector(&self, class: &str) -> Result<Arc<dyn Connector>>;
}
