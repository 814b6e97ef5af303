//! Builders the transforms' unit tests share: configs, records, maps and structs.

use crate::data::{SchemaRef, Struct, Value};
use crate::error::Error;
use crate::runtime::plugin::Config;
use crate::transforms::{MakeTransform, Record, Transformation};

/// A config from key/value pairs.
pub(crate) fn props(pairs: &[(&str, &str)]) -> Config {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// A configured transform; panics on a config error.
pub(crate) fn configure(make: MakeTransform, pairs: &[(&str, &str)]) -> Box<dyn Transformation> {
    make(&props(pairs)).unwrap_or_else(|e| panic!("config {pairs:?}: {e}"))
}

/// The config error `make` reports for these pairs, with the key it names.
pub(crate) fn config_error(make: MakeTransform, pairs: &[(&str, &str)]) -> (String, String) {
    match make(&props(pairs)) {
        Ok(_) => panic!("config {pairs:?} was accepted"),
        Err(Error::Config { key, reason }) => (key, reason),
        Err(other) => panic!("config {pairs:?}: not a config error: {other:?}"),
    }
}

/// A record with this value schema and value (and a string key).
pub(crate) fn value_record(schema: Option<SchemaRef>, value: Value) -> Record {
    Record { value_schema: schema, value, key: Value::from("key"), ..Record::new("topic", Value::Null) }
}

/// A record with this key schema and key (and a string value).
pub(crate) fn key_record(schema: Option<SchemaRef>, key: Value) -> Record {
    Record { key_schema: schema, key, ..Record::new("topic", Value::from("value")) }
}

/// Applies a transform that keeps the record.
pub(crate) fn apply(transform: &mut dyn Transformation, record: Record) -> Record {
    transform.apply(record).expect("applies").expect("keeps the record")
}

/// The data error applying a transform gives.
pub(crate) fn data_error(transform: &mut dyn Transformation, record: Record) -> String {
    match transform.apply(record) {
        Err(Error::Data(message)) => message,
        other => panic!("expected a data error, got {other:?}"),
    }
}

/// A schemaless map from string keys.
pub(crate) fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(entries.iter().map(|(k, v)| (Value::from(*k), v.clone())).collect())
}

/// The entry of a schemaless map, `None` when absent.
pub(crate) fn entry<'a>(map: &'a Value, key: &str) -> Option<&'a Value> {
    match map {
        Value::Map(entries) => entries.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v),
        other => panic!("not a map: {other:?}"),
    }
}

/// A struct of this schema with these fields set.
pub(crate) fn make_struct(schema: &SchemaRef, fields: &[(&str, Value)]) -> Struct {
    let mut s = Struct::new(schema.clone()).unwrap();
    for (name, value) in fields {
        s.put(name, value.clone()).unwrap();
    }
    s
}

/// The struct a value is.
pub(crate) fn as_struct(value: &Value) -> &Struct {
    match value {
        Value::Struct(s) => s,
        other => panic!("not a struct: {other:?}"),
    }
}
