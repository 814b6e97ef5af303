//! Helpers Kafka's transforms share: `SchemaUtil.copySchemaBasics` (a derived struct schema keeps
//! the name, version, doc and parameters of its source, but not its optionality or default) and
//! schemaless map access (maps with string keys, as Kafka's `Map<String, Object>`).

use crate::data::{Schema, SchemaBuilder, Value};

/// Kafka's `SchemaUtil.copySchemaBasics(source, builder)`.
pub(crate) fn copy_schema_basics(source: &Schema, mut builder: SchemaBuilder) -> SchemaBuilder {
    if let Some(name) = &source.name {
        builder = builder.name(name);
    }
    if let Some(version) = source.version {
        builder = builder.version(version);
    }
    if let Some(doc) = &source.doc {
        builder = builder.doc(doc);
    }
    builder.parameters(source.parameters.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

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
