//! Schemaless map access Kafka's transforms share (maps with string keys, as Kafka's
//! `Map<String, Object>`). `SchemaUtil.copySchemaBasics` is in `schema_util.rs`.

use crate::data::Value;

/// Java's `map.get(key)` on a schemaless map: the value, or null when absent.
pub(crate) fn map_get<'a>(entries: &'a [(Value, Value)], key: &str) -> &'a Value {
    entries.iter().find(|(k, _)| k.as_str() == Some(key)).map_or(&Value::Null, |(_, v)| v)
}

/// Java's `map.put(key, value)`: an existing key keeps its place, a new one goes last.
pub(crate) fn map_put(entries: &mut Vec<(Value, Value)>, key: &str, value: Value) {
    match entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
        Some(entry) => entry.1 = value,
        None => entries.push((Value::from(key), value)),
    }
}

/// Java's `map.remove(key)`.
pub(crate) fn map_remove(entries: &mut Vec<(Value, Value)>, key: &str) {
    entries.retain(|(k, _)| k.as_str() != Some(key));
}
