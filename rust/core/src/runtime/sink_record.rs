//! Records as the runtime hands them to a sink task (Kafka Connect's `SinkRecord`), and the
//! shared batch `put` receives.

use std::ops::Deref;
use std::sync::Arc;

use crate::data::{SchemaRef, Value};
pub use crate::kafka::chunk::RawMessage;
pub use crate::kafka::consumer::{ConsumedMessage, TimestampType, TopicPartition};
use crate::runtime::record::Header;

/// A record read from Kafka and converted to the data model.
#[derive(Debug, Clone)]
pub struct SinkRecord {
    /// Shared by the records of one topic.
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    pub key_schema: Option<SchemaRef>,
    pub key: Value,
    pub value_schema: Option<SchemaRef>,
    pub value: Value,
    pub timestamp: Option<i64>,
    pub timestamp_type: TimestampType,
    pub headers: Vec<Header>,
    /// The bytes it was converted from: what an errant-record report writes to the dead letter
    /// queue (Kafka Connect sends the original record, not a re-serialized one). It keeps the
    /// chunk the record was fetched in alive.
    pub original: Option<RawMessage>,
}

impl SinkRecord {
    /// The original bytes as an owned message, if the record was read from Kafka.
    pub fn original_message(&self) -> Option<ConsumedMessage> {
        self.original.as_ref().map(|raw| raw.get().to_consumed())
    }
}

/// The records of one `put`, shared: bindings may keep records (or the whole batch) beyond the
/// call without copying them. Dereferences to a slice of records.
#[derive(Debug, Clone, Default)]
pub struct SinkBatch(Arc<Vec<SinkRecord>>);

impl SinkBatch {
    pub fn new(records: Vec<SinkRecord>) -> Self {
        SinkBatch(Arc::new(records))
    }

    /// The shared records, for a binding that hands them out one by one.
    pub fn shared(&self) -> &Arc<Vec<SinkRecord>> {
        &self.0
    }
}

impl Deref for SinkBatch {
    type Target = [SinkRecord];

    fn deref(&self) -> &[SinkRecord] {
        &self.0
    }
}

impl From<Vec<SinkRecord>> for SinkBatch {
    fn from(records: Vec<SinkRecord>) -> Self {
        SinkBatch::new(records)
    }
}
