//! Converters: between the data model and the bytes stored in Kafka (Kafka Connect's `Converter`).

mod bytes;
mod string;

pub use self::bytes::ByteArrayConverter;
pub use self::string::StringConverter;

use std::collections::HashMap;
use std::sync::Arc;

use crate::data::{SchemaAndValue, SchemaRef, Value};
use crate::error::{Error, Result};

/// Serializes keys or values of one connector's records. Shared by the task threads.
pub trait Converter: Send + Sync {
    /// Data model → bytes (`None` writes a null, e.g. a tombstone).
    fn from_connect_data(&self, topic: &str, schema: Option<&SchemaRef>, value: &Value) -> Result<Option<Vec<u8>>>;
    /// Bytes → data model.
    fn to_connect_data(&self, topic: &str, data: Option<&[u8]>) -> Result<SchemaAndValue>;
}

/// Builds the converter named by a `key.converter` / `value.converter` setting (our short name or
/// Kafka's class name), configured with the settings under that prefix (prefix removed).
pub fn converter_for(class: &str, settings: &HashMap<String, String>, is_key: bool) -> Result<Arc<dyn Converter>> {
    let _ = (settings, is_key);
    match class {
        "org.apache.kafka.connect.storage.StringConverter" | "StringConverter" | "string" => {
            Ok(Arc::new(StringConverter::default()))
        }
        "org.apache.kafka.connect.converters.ByteArrayConverter" | "ByteArrayConverter" | "bytes" => {
            Ok(Arc::new(ByteArrayConverter))
        }
        other => Err(Error::config(
            if is_key { "key.converter" } else { "value.converter" },
            format!("unknown converter class {other:?}"),
        )),
    }
}
