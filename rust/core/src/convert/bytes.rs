//! Kafka Connect's `ByteArrayConverter`: bytes passed through unchanged.

use super::Converter;
use crate::data::{Schema, SchemaAndValue, SchemaRef, SchemaType, Value};
use crate::error::{Error, Result};
use std::sync::Arc;

/// Passes BYTES values through; anything else is a `DataError`, as in Kafka.
#[derive(Debug, Default, Clone)]
pub struct ByteArrayConverter;

impl Converter for ByteArrayConverter {
    fn from_connect_data(&self, topic: &str, _schema: Option<&SchemaRef>, value: &Value) -> Result<Option<Vec<u8>>> {
        match value {
            Value::Null => Ok(None),
            Value::Bytes(b) => Ok(Some(b.clone())),
            other => Err(Error::data(format!(
                "ByteArrayConverter is not compatible with objects of type {} (topic {topic})",
                other.type_name()
            ))),
        }
    }

    fn to_connect_data(&self, _topic: &str, data: Option<&[u8]>) -> Result<SchemaAndValue> {
        let schema = Some(Arc::new(Schema { optional: true, ..Schema::primitive(SchemaType::Bytes) }));
        Ok(SchemaAndValue { schema, value: data.map_or(Value::Null, |b| Value::Bytes(b.to_vec())) })
    }
}
