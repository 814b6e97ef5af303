//! Kafka Connect's `StringConverter`: values as UTF-8 text.

use super::Converter;
use crate::data::{Schema, SchemaAndValue, SchemaRef, SchemaType, Value};
use crate::error::{Error, Result};
use std::sync::Arc;

/// Writes any value as text (strings as they are, other values in their display form); reads
/// bytes as an optional STRING.
#[derive(Debug, Default, Clone)]
pub struct StringConverter;

impl Converter for StringConverter {
    fn from_connect_data(&self, _topic: &str, _schema: Option<&SchemaRef>, value: &Value) -> Result<Option<Vec<u8>>> {
        Ok(match value {
            Value::Null => None,
            Value::String(s) => Some(s.as_bytes().to_vec()),
            Value::Bytes(b) => Some(b.clone()),
            other => Some(display(other).into_bytes()),
        })
    }

    fn to_connect_data(&self, topic: &str, data: Option<&[u8]>) -> Result<SchemaAndValue> {
        let schema = Some(Arc::new(Schema { optional: true, ..Schema::primitive(SchemaType::String) }));
        match data {
            None => Ok(SchemaAndValue { schema, value: Value::Null }),
            Some(bytes) => match std::str::from_utf8(bytes) {
                Ok(s) => Ok(SchemaAndValue { schema, value: Value::String(s.to_owned()) }),
                Err(e) => Err(Error::data(format!("Failed to deserialize string for topic {topic}: {e}"))),
            },
        }
    }
}

/// The text form of a non-string value (Java's `toString` style for the primitives).
fn display(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Boolean(b) => b.to_string(),
        Value::Int8(v) => v.to_string(),
        Value::Int16(v) => v.to_string(),
        Value::Int32(v) => v.to_string(),
        Value::Int64(v) => v.to_string(),
        Value::Float32(v) => format!("{v:?}"),
        Value::Float64(v) => format!("{v:?}"),
        Value::String(s) => s.clone(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        other => format!("{other:?}"),
    }
}
