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

/// A source record's offset (Kafka Connect's `sourceOffset` map), as JSON.
///
/// Most tasks' offsets are a map of one key (`{"position": 42}`, `{"seqno": n}`). Those are kept
/// as that key, shared by the task's records, and the value: a JSON map of its own per record
/// costs an entries vector, an index table and a hashed key, about 850 instructions of the native
/// source's 7,000 per record (docs/benchmarks.md). The map is built only for the offsets that are
/// stored: the newest of each source partition, at each flush.
#[derive(Clone)]
pub enum SourceOffset {
    /// Any offset (a map of several keys, or `null`).
    Json(serde_json::Value),
    /// `{key: value}`.
    Keyed(Arc<str>, serde_json::Value),
}

impl SourceOffset {
    /// The offset as the JSON map Kafka Connect stores.
    pub fn into_json(self) -> serde_json::Value {
        match self {
            SourceOffset::Json(json) => json,
            SourceOffset::Keyed(key, value) => {
                let mut map = serde_json::Map::with_capacity(1);
                map.insert(key.as_ref().to_owned(), value);
                serde_json::Value::Object(map)
            }
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        self.clone().into_json()
    }
}

impl From<serde_json::Value> for SourceOffset {
    fn from(json: serde_json::Value) -> Self {
        SourceOffset::Json(json)
    }
}

/// Equal when their JSON is: `Keyed("p", 1)` is `{"p": 1}`.
impl PartialEq for SourceOffset {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (SourceOffset::Json(a), SourceOffset::Json(b)) => a == b,
            (SourceOffset::Keyed(k1, v1), SourceOffset::Keyed(k2, v2)) => k1 == k2 && v1 == v2,
            _ => self.to_json() == other.to_json(),
        }
    }
}

/// The offset's JSON text, as error reports print it.
impl std::fmt::Display for SourceOffset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceOffset::Json(json) => json.fmt(f),
            SourceOffset::Keyed(..) => self.to_json().fmt(f),
        }
    }
}

impl std::fmt::Debug for SourceOffset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// A record produced by a source task (Kafka Connect's `SourceRecord`).
#[derive(Clone)]
pub struct SourceRecord {
    /// Shared: the records of a batch usually come from one source partition, which is then
    /// converted once and shared instead of copied per record.
    pub source_partition: Arc<serde_json::Value>,
    pub source_offset: SourceOffset,
    /// Shared: a task usually sends a batch to one topic, whose name is then shared, not copied.
    pub topic: Arc<str>,
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
        source_offset: impl Into<SourceOffset>,
        topic: &str,
        value: Value,
    ) -> Self {
        SourceRecord {
            source_partition: Arc::new(source_partition),
            source_offset: source_offset.into(),
            topic: topic.into(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_keyed_offset_is_the_one_key_map_it_stands_for() {
        let keyed = SourceOffset::Keyed("position".into(), json!(42));
        assert_eq!(keyed.to_json(), json!({"position": 42}));
        assert_eq!(keyed.to_string(), r#"{"position":42}"#);
        assert_eq!(keyed, SourceOffset::Json(json!({"position": 42})));
        assert_ne!(keyed, SourceOffset::Keyed("position".into(), json!(42.0)));
        assert_ne!(keyed, SourceOffset::Keyed("other".into(), json!(42)));
        let escaped = SourceOffset::Keyed("a\"b".into(), json!(null));
        assert_eq!(escaped.to_string(), r#"{"a\"b":null}"#);
        assert_eq!(SourceOffset::from(json!(null)).into_json(), json!(null));
    }
}
