//! What the `$Key`/`$Value` variants of Kafka's transforms share: which part of the record they
//! work on, and Kafka's `Requirements` checks with their messages.

use crate::data::{SchemaRef, Struct, Value};
use crate::error::{Error, Result};
use crate::transforms::Record;

/// The part of a record a `$Key` or `$Value` transform works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Key,
    Value,
}

impl Side {
    pub fn schema(self, record: &Record) -> Option<&SchemaRef> {
        match self {
            Side::Key => record.key_schema.as_ref(),
            Side::Value => record.value_schema.as_ref(),
        }
    }

    pub fn value(self, record: &Record) -> &Value {
        match self {
            Side::Key => &record.key,
            Side::Value => &record.value,
        }
    }

    /// Takes the side's schema and value out of the record (leaving no schema and `Null`).
    pub fn take(self, record: &mut Record) -> (Option<SchemaRef>, Value) {
        match self {
            Side::Key => (record.key_schema.take(), std::mem::replace(&mut record.key, Value::Null)),
            Side::Value => (record.value_schema.take(), std::mem::replace(&mut record.value, Value::Null)),
        }
    }

    /// Sets the side's schema and value (Kafka's `newRecord`, which keeps everything else).
    pub fn put(self, record: &mut Record, schema: Option<SchemaRef>, value: Value) {
        match self {
            Side::Key => (record.key_schema, record.key) = (schema, value),
            Side::Value => (record.value_schema, record.value) = (schema, value),
        }
    }
}

/// The name of the Java class Kafka would report for a value of this kind (its
/// `Requirements.nullSafeClassName`), for error messages that match Kafka's.
pub fn java_class_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Boolean(_) => "java.lang.Boolean",
        Value::Int8(_) => "java.lang.Byte",
        Value::Int16(_) => "java.lang.Short",
        Value::Int32(_) => "java.lang.Integer",
        Value::Int64(_) => "java.lang.Long",
        Value::Float32(_) => "java.lang.Float",
        Value::Float64(_) => "java.lang.Double",
        Value::String(_) => "java.lang.String",
        Value::Bytes(_) => "[B",
        Value::Array(_) => "java.util.ArrayList",
        Value::Map(_) => "java.util.HashMap",
        Value::Struct(_) => "org.apache.kafka.connect.data.Struct",
    }
}

/// Kafka's `Requirements.requireSchema`.
pub fn require_schema<'a>(schema: Option<&'a SchemaRef>, purpose: &str) -> Result<&'a SchemaRef> {
    schema.ok_or_else(|| Error::data(format!("Schema required for [{purpose}]")))
}

/// Kafka's `Requirements.requireStruct`.
pub fn require_struct<'a>(value: &'a Value, purpose: &str) -> Result<&'a Struct> {
    match value {
        Value::Struct(s) => Ok(s),
        other => Err(Error::data(format!(
            "Only Struct objects supported for [{purpose}], found: {}",
            java_class_name(other)
        ))),
    }
}

/// Kafka's `Requirements.requireMap` (a schemaless value must be a map).
pub fn require_map<'a>(value: &'a Value, purpose: &str) -> Result<&'a [(Value, Value)]> {
    match value {
        Value::Map(entries) => Ok(entries),
        other => Err(Error::data(format!(
            "Only Map objects supported in absence of schema for [{purpose}], found: {}",
            java_class_name(other)
        ))),
    }
}
