//! Records as the runtime carries them between a task and Kafka.

use std::any::Any;
use std::sync::Arc;

use crate::data::{SchemaRef, Value};

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
        }
    }
}
