//! Records as the runtime hands them to a sink task (Kafka Connect's `SinkRecord`).

use std::sync::Arc;

use crate::data::{SchemaRef, Value};
pub use crate::kafka::consumer::{ConsumedMessage, TimestampType, TopicPartition};
use crate::runtime::record::Header;

/// A record read from Kafka and converted to the data model.
#[derive(Debug, Clone)]
pub struct SinkRecord {
    pub topic: String,
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
    /// queue (Kafka Connect sends the original record, not a re-serialized one).
    pub original: Option<Arc<ConsumedMessage>>,
}
