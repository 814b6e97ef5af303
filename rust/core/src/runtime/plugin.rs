//! What the runtime drives: connectors and tasks, as traits. Python connectors implement them in
//! the bindings; native Rust connectors (built-ins, benchmarks) implement them directly.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{ConfigDef, ConfigValueReport};
use crate::error::{Error, Result};
use crate::kafka::producer::Delivered;
use crate::runtime::record::SourceRecord;
use crate::runtime::sink_record::{SinkBatch, SinkRecord, TopicPartition};
pub use crate::runtime::transaction_context::TransactionContext;
use crate::transforms::chain::TransformLoader;

/// A connector's or task's configuration: Kafka Connect's string map.
pub type Config = BTreeMap<String, String>;

/// The body of a task's thread, handed to the task's `run_thread`.
pub type ThreadBody<'a> = Box<dyn FnOnce() + Send + 'a>;

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
    /// The task class's name, which Kafka writes into every task config as `task.class`: a Java
    /// worker of a mixed cluster needs it to start a task whose connector runs elsewhere.
    fn task_class(&self) -> Option<String> {
        None
    }
    /// A new, unstarted source task of this connector's task class.
    fn create_source_task(&self) -> Result<Box<dyn SourceTask>> {
        Err(Error::Connector("this connector has no source tasks".into()))
    }
    /// A new, unstarted sink task of this connector's task class.
    fn create_sink_task(&self) -> Result<Box<dyn SinkTask>> {
        Err(Error::Connector("this connector has no sink tasks".into()))
    }
    /// The connector's own config keys (Kafka's `Connector.config()`); shown and checked by the
    /// REST API next to the framework's keys.
    fn config_def(&self) -> Result<ConfigDef> {
        Ok(ConfigDef::new())
    }
    /// Checks a config (Kafka's `Connector.validate`): a report per key of [`Connector::config_def`],
    /// plus any report the connector adds for keys it checks together.
    fn validate(&self, config: &Config) -> Result<Vec<ConfigValueReport>> {
        Ok(self.config_def()?.validate_all(config))
    }
    /// Told of offsets about to be altered (`offset: None`: reset) while the connector is stopped
    /// (Kafka's `SourceConnector.alterOffsets`); an error refuses the change. Returns true if the
    /// connector also changed offsets it keeps in its own system.
    fn alter_offsets(
        &self,
        _config: &Config,
        _offsets: &[(serde_json::Value, Option<serde_json::Value>)],
    ) -> Result<bool> {
        Ok(false)
    }
    /// Whether a source connector can give exactly-once delivery with this config (Kafka's
    /// `SourceConnector.exactlyOnceSupport`); `None` when it does not say.
    fn exactly_once_support(&self, _config: &Config) -> Result<Option<bool>> {
        Ok(None)
    }
    /// Whether a source connector's tasks define their own transaction boundaries with this config
    /// (Kafka's `SourceConnector.canDefineTransactionBoundaries`); `None` when the connector
    /// answered with nothing, which Kafka refuses.
    fn can_define_transaction_boundaries(&self, _config: &Config) -> Result<Option<bool>> {
        Ok(Some(false))
    }
}

/// Kafka Connect's plugin types (`PluginType`), as the REST API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PluginType {
    Source,
    Sink,
    Converter,
    HeaderConverter,
    Transformation,
    Predicate,
}

impl PluginType {
    /// The lower-case name (`source`, `header_converter`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            PluginType::Source => "source",
            PluginType::Sink => "sink",
            PluginType::Converter => "converter",
            PluginType::HeaderConverter => "header_converter",
            PluginType::Transformation => "transformation",
            PluginType::Predicate => "predicate",
        }
    }
}

impl From<ConnectorKind> for PluginType {
    fn from(kind: ConnectorKind) -> Self {
        match kind {
            ConnectorKind::Source => PluginType::Source,
            ConnectorKind::Sink => PluginType::Sink,
        }
    }
}

/// An installed plugin (Kafka's `PluginDesc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginDesc {
    /// The name `connector.class` (or a converter key) takes.
    pub class: String,
    pub kind: PluginType,
    pub version: String,
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
    /// Where the task asks for commits and aborts, when it defines its own transaction
    /// boundaries (an exactly-once task with `transaction.boundary=connector`); `None` otherwise.
    pub transaction_context: Option<Arc<TransactionContext>>,
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
    /// Called with records Kafka acknowledged, in batches, each with where it landed; `None` for a
    /// record skipped under `errors.tolerance=all` (Kafka's `commitRecord(record, null)`).
    fn commit_records(&self, _acked: Vec<(SourceRecord, Option<Delivered>)>) -> Result<()> {
        Ok(())
    }
    /// The identity of one of the task's records, by which its transaction context names it
    /// (`commit_transaction(record)`); `None` when records have none (only batch requests work).
    fn record_key(&self, _record: &SourceRecord) -> Option<usize> {
        None
    }
    fn stop(&self) -> Result<()>;
    /// Runs the whole life of the task's thread (`body`: start, the loop, stop). The default calls
    /// it; a task living in another language's runtime wraps it to set up that runtime's per-thread
    /// state once for the thread instead of once per call (the Python bindings keep one Python
    /// thread state for the thread's life).
    fn run_thread(&self, body: ThreadBody<'_>) {
        body()
    }
}

/// Next offsets to read, by partition (what a sink task has taken, or lets the runtime commit).
pub type SinkOffsets = BTreeMap<TopicPartition, i64>;

/// A sink task's requests to the runtime (Kafka Connect's `SinkTaskContext`). Called from the
/// task's own thread, during `open`/`put`/`pre_commit`.
pub trait SinkControl: Send + Sync {
    /// The partitions currently assigned to the task.
    fn assignment(&self) -> Vec<TopicPartition>;
    /// Stops fetching these partitions until `resume`.
    fn pause(&self, partitions: &[TopicPartition]);
    fn resume(&self, partitions: &[TopicPartition]);
    /// Rewinds or skips: the next records of each partition start at the given offset.
    fn offset(&self, offsets: SinkOffsets);
    /// How long to wait before handing back a batch whose `put` raised a retriable error.
    fn timeout(&self, timeout: Duration);
    /// Asks for an offset commit as soon as possible.
    fn request_commit(&self);
    /// The errant record reporter, when the connector's config enables one.
    fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>>;
}

/// Completion of one errant-record report.
pub type ReportDone = Box<dyn FnOnce(Result<()>) + Send + Sync>;

/// Kafka Connect's `ErrantRecordReporter`: sends a record the task could not handle to the dead
/// letter queue and/or the log, and counts it against `errors.tolerance`.
pub trait ErrantRecordReporter: Send + Sync {
    /// Reports `record` with the error's class, message and trace; `done` runs once the report
    /// is written (the dead letter queue acknowledged it). An error means tolerance was exceeded.
    fn report(&self, record: &SinkRecord, error: ReportedError, done: ReportDone) -> Result<()>;
}

/// An error as reported with a record: Kafka Connect's exception class, message and stack trace.
#[derive(Debug, Clone, Default)]
pub struct ReportedError {
    pub class_name: String,
    pub message: String,
    pub trace: String,
}

/// What a sink task is given at start.
#[derive(Clone)]
pub struct SinkTaskContext {
    pub config: Config,
    pub control: Arc<dyn SinkControl>,
}

/// A sink task (Kafka Connect's `SinkTask`). Every method is called from the task's own thread.
pub trait SinkTask: Send + Sync {
    fn version(&self) -> String;
    fn start(&self, context: SinkTaskContext) -> Result<()>;
    /// Partitions newly assigned to the task.
    fn open(&self, partitions: &[TopicPartition]) -> Result<()>;
    /// A batch of records (possibly empty: `put` is called on every iteration, as in Kafka); it
    /// dereferences to `[SinkRecord]`, and can be kept (cloned: shared, not copied).
    /// `Error::Retriable` makes the runtime hand the same batch again after the context's timeout.
    fn put(&self, records: &SinkBatch) -> Result<()>;
    /// Makes what `put` received durable and returns the offsets that may be committed
    /// (Kafka's default: `flush`, then `offsets` unchanged).
    fn pre_commit(&self, offsets: &SinkOffsets) -> Result<SinkOffsets>;
    /// Partitions taken away from the task (after their offsets were committed).
    fn close(&self, partitions: &[TopicPartition]) -> Result<()>;
    fn stop(&self) -> Result<()>;
    /// As [`SourceTask::run_thread`].
    fn run_thread(&self, body: ThreadBody<'_>) {
        body()
    }
}

/// Finds connector classes by name (`connector.class`).
pub trait PluginLoader: Send + Sync {
    fn load_connector(&self, class: &str) -> Result<Arc<dyn Connector>>;
    /// The connector plugins this loader can find without being told their names (for
    /// `GET /connector-plugins`).
    fn connector_plugins(&self) -> Result<Vec<PluginDesc>> {
        Ok(Vec::new())
    }
    /// Finds the transforms and predicates that are not built in (the bindings' Python classes);
    /// `None`: only Kafka's built-in ones exist.
    fn transform_loader(&self) -> Option<Arc<dyn TransformLoader>> {
        None
    }
}
