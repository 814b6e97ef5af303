//! Records as the runtime carries them between a task and Kafka.

use std::any::Any;
use std::sync::Arc;

use crate::data::{SchemaRef, Value};
use crate::errors::Stage;
use crate::runtime::plugin::ReportedError;

/// One header of a record, before conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub key: String,
    pub schema: Option<SchemaRef>,
    pub value: Value,
}

/// A record produced by a source task (Kafka Connect's `SourceRecord`).
#[derive(Clone)]
pub struct SourceRecord {
    /// Shared: the records of a batch usually come from one source partition, which is then
    /// converted once and shared instead of copied per record.
    pub source_partition: Arc<serde_json::Value>,
    pub source_offset: serde_json::Value,
    pub topic: String,
    pub partition: Option<i32>,
    pub key_schema: Option<SchemaRef>,
    pub key: Value,
    pub value_schema: Option<SchemaRef>,
    pub value: Value,
    pub timestamp: Option<i64>,
    pub headers: Vec<Header>,
    /// The task's own object for this record (a Python `SourceRecord`), handed back to
    /// `commit_records`; set only when the task wants them.
    pub handle: Option<Arc<dyn Any + Send + Sync>>,
    /// Set when the task's key, value or a header could not even become Connect data (a Python
    /// `set` without a schema, a value that does not match its schema): the record then fails in
    /// that converter's stage, where Kafka Connect's converter would have refused it, and
    /// `errors.tolerance` decides. The field itself is left `Null`.
    pub unconvertible: Option<Box<Unconvertible>>,
}

/// Why a record's field could not become Connect data, and how the task's record looked.
#[derive(Debug, Clone)]
pub struct Unconvertible {
    /// The stage of the field's converter (`KEY_CONVERTER`, `VALUE_CONVERTER`, `HEADER_CONVERTER`).
    pub stage: Stage,
    /// The original error (for a Python task: its exception class, message and traceback).
    pub error: ReportedError,
    /// The task's record as it prints itself (for the error log and the task's trace).
    pub record: String,
}

impl std::fmt::Debug for SourceRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceRecord")
            .field("source_partition", &self.source_partition)
            .field("source_offset", &self.source_offset)
            .field("topic", &self.topic)
            .field("partition", &self.partition)
            .field("key", &self.key)
            .field("value", &self.value)
            .finish_non_exhaustive()
    }
}

impl SourceRecord {
    /// A schemaless record with only a value.
    pub fn new(
        source_partition: serde_json::Value,
        source_offset: serde_json::Value,
        topic: &str,
        value: Value,
    ) -> Self {
        SourceRecord {
            source_partition: Arc::new(source_partition),
            source_offset,
            topic: topic.to_owned(),
            partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value,
            timestamp: None,
            headers: Vec::new(),
            handle: None,
            unconvertible: None,
        }
    }
}
