//! What a transform sees: Kafka's `ConnectRecord`, the part source and sink records share.

use crate::data::{SchemaRef, Value};
use crate::runtime::record::Header;

/// A record on its way through a transform chain. A source record enters before its converters
/// run; a sink record after its converters ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Shared: a batch's records usually name one topic.
    pub topic: std::sync::Arc<str>,
    /// `None`: the producer picks (source records that name no partition).
    pub partition: Option<i32>,
    pub key_schema: Option<SchemaRef>,
    pub key: Value,
    pub value_schema: Option<SchemaRef>,
    pub value: Value,
    pub timestamp: Option<i64>,
    pub headers: Vec<Header>,
    /// Sink records only: the record's offset in its partition (`InsertField`'s `offset.field`).
    pub offset: Option<i64>,
}

impl Record {
    /// A schemaless record with only a topic and a value (tests, examples).
    pub fn new(topic: &str, value: Value) -> Self {
        Record {
            topic: topic.into(),
            partition: None,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value,
            timestamp: None,
            headers: Vec::new(),
            offset: None,
        }
    }
}
