//! Converters: between the data model and the bytes stored in Kafka (Kafka Connect's `Converter`
//! and `HeaderConverter`).
//!
//! - `json/`: `JsonConverter` (Kafka's envelope, byte-compatible);
//! - `string.rs`: `StringConverter`; `bytes.rs`: `ByteArrayConverter`;
//! - `number.rs`: Kafka's `Boolean/Short/Integer/Long/Float/DoubleConverter`;
//! - `header.rs`: `SimpleHeaderConverter` (Kafka's default header converter).
//!
//! `converter_for` / `header_converter_for` pick one by the class name of a `.properties` file
//! (Kafka's fully qualified names are accepted, so existing files work) or a short name.

mod bytes;
mod header;
pub mod json;
mod number;
mod string;

pub use self::bytes::ByteArrayConverter;
pub use self::header::SimpleHeaderConverter;
pub use self::json::{DecimalFormat, JsonConfig, JsonConverter};
pub use self::number::{NumberConverter, NumberKind};
pub use self::string::StringConverter;

use std::collections::HashMap;
use std::sync::Arc;

use crate::data::{SchemaAndValue, SchemaRef, Value};
use crate::error::{Error, Result};

/// Serializes keys or values of one connector's records. Shared by the task threads.
pub trait Converter: Send + Sync {
    /// Data model → bytes (`None` writes a null, e.g. a tombstone).
    fn from_connect_data(&self, topic: &str, schema: Option<&SchemaRef>, value: &Value) -> Result<Option<Vec<u8>>>;
    /// [`from_connect_data`](Self::from_connect_data) of a value the caller no longer needs:
    /// converters whose output is the value's own bytes (byte arrays, strings) move them instead
    /// of copying, which the source runtime's hot path relies on.
    fn from_connect_data_owned(
        &self,
        topic: &str,
        schema: Option<&SchemaRef>,
        value: Value,
    ) -> Result<Option<Vec<u8>>> {
        self.from_connect_data(topic, schema, &value)
    }
    /// Bytes → data model.
    fn to_connect_data(&self, topic: &str, data: Option<&[u8]>) -> Result<SchemaAndValue>;
}

/// Serializes record headers (Kafka's `HeaderConverter`). Shared by the task threads.
pub trait HeaderConverter: Send + Sync {
    /// A header's value → bytes (`None` for a null header value).
    fn to_bytes(
        &self,
        topic: &str,
        header_key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>>;
    /// A header's bytes → data model.
    fn to_connect_header(&self, topic: &str, header_key: &str, data: Option<&[u8]>) -> Result<SchemaAndValue>;
    /// Kafka's name for `to_bytes`.
    fn from_connect_header(
        &self,
        topic: &str,
        header_key: &str,
        schema: Option<&SchemaRef>,
        value: &Value,
    ) -> Result<Option<Vec<u8>>> {
        self.to_bytes(topic, header_key, schema, value)
    }
}

/// Record converters that Kafka also uses for headers write a header as they would a value.
struct ValueAsHeader(Arc<dyn Converter>);

impl HeaderConverter for ValueAsHeader {
    fn to_bytes(&self, topic: &str, _key: &str, schema: Option<&SchemaRef>, value: &Value) -> Result<Option<Vec<u8>>> {
        self.0.from_connect_data(topic, schema, value)
    }

    fn to_connect_header(&self, topic: &str, _key: &str, data: Option<&[u8]>) -> Result<SchemaAndValue> {
        self.0.to_connect_data(topic, data)
    }
}

/// Kafka's boolean config syntax: `true`/`false`, any case, surrounding spaces ignored.
pub(crate) fn parse_bool(key: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(Error::config(key, format!("Expected value to be either true or false, got {value:?}"))),
    }
}

/// The short name for a Kafka class name or short name (`org.apache...JsonConverter` → `json`).
fn short_name(class: &str) -> &str {
    let simple = class.rsplit('.').next().unwrap_or(class);
    match simple {
        "JsonConverter" | "json" => "json",
        "StringConverter" | "string" => "string",
        "ByteArrayConverter" | "bytes" | "bytearray" => "bytes",
        "SimpleHeaderConverter" | "simple" => "simple",
        "BooleanConverter" | "boolean" => "boolean",
        "ShortConverter" | "short" => "short",
        "IntegerConverter" | "integer" => "integer",
        "LongConverter" | "long" => "long",
        "FloatConverter" | "float" => "float",
        "DoubleConverter" | "double" => "double",
        _ => "",
    }
}

/// Kafka's package for each class, so a wrong package is not silently accepted.
fn known_class(class: &str) -> bool {
    if !class.contains('.') {
        return true;
    }
    matches!(
        class,
        "org.apache.kafka.connect.json.JsonConverter"
            | "org.apache.kafka.connect.storage.StringConverter"
            | "org.apache.kafka.connect.storage.SimpleHeaderConverter"
            | "org.apache.kafka.connect.converters.ByteArrayConverter"
            | "org.apache.kafka.connect.converters.BooleanConverter"
            | "org.apache.kafka.connect.converters.ShortConverter"
            | "org.apache.kafka.connect.converters.IntegerConverter"
            | "org.apache.kafka.connect.converters.LongConverter"
            | "org.apache.kafka.connect.converters.FloatConverter"
            | "org.apache.kafka.connect.converters.DoubleConverter"
    )
}

fn record_converter(class: &str, settings: &HashMap<String, String>, key: &str) -> Result<Arc<dyn Converter>> {
    let unknown = || Error::config(key, format!("unknown converter class {class:?}"));
    if !known_class(class) {
        return Err(unknown());
    }
    Ok(match short_name(class.trim()) {
        "json" => Arc::new(JsonConverter::new(JsonConfig::from_settings(settings)?)),
        "string" => StringConverter::from_settings(settings)?,
        "bytes" => Arc::new(ByteArrayConverter),
        "boolean" => Arc::new(NumberConverter::new(NumberKind::Boolean)),
        "short" => Arc::new(NumberConverter::new(NumberKind::Short)),
        "integer" => Arc::new(NumberConverter::new(NumberKind::Integer)),
        "long" => Arc::new(NumberConverter::new(NumberKind::Long)),
        "float" => Arc::new(NumberConverter::new(NumberKind::Float)),
        "double" => Arc::new(NumberConverter::new(NumberKind::Double)),
        _ => return Err(unknown()),
    })
}

/// Builds the converter named by a `key.converter` / `value.converter` setting (our short name or
/// Kafka's class name), configured with the settings under that prefix (prefix removed).
pub fn converter_for(class: &str, settings: &HashMap<String, String>, is_key: bool) -> Result<Arc<dyn Converter>> {
    record_converter(class, settings, if is_key { "key.converter" } else { "value.converter" })
}

/// Builds the converter named by a `header.converter` setting (Kafka's default is
/// `org.apache.kafka.connect.storage.SimpleHeaderConverter`); record converters Kafka also
/// accepts as header converters (JSON, string, bytes, numbers) work too.
pub fn header_converter_for(class: &str, settings: &HashMap<String, String>) -> Result<Arc<dyn HeaderConverter>> {
    if known_class(class) && short_name(class.trim()) == "simple" {
        return Ok(Arc::new(SimpleHeaderConverter));
    }
    Ok(Arc::new(ValueAsHeader(record_converter(class, settings, "header.converter")?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_kafka_class_names_and_short_names() {
        let none = HashMap::new();
        for class in [
            "org.apache.kafka.connect.json.JsonConverter",
            "JsonConverter",
            "json",
            "org.apache.kafka.connect.storage.StringConverter",
            "org.apache.kafka.connect.converters.ByteArrayConverter",
            "org.apache.kafka.connect.converters.LongConverter",
        ] {
            assert!(converter_for(class, &none, false).is_ok(), "{class}");
        }
        assert!(converter_for("com.example.JsonConverter", &none, false).is_err());
        assert!(converter_for("nope", &none, true).err().unwrap().to_string().contains("key.converter"));
        assert!(header_converter_for("org.apache.kafka.connect.storage.SimpleHeaderConverter", &none).is_ok());
        assert!(header_converter_for("org.apache.kafka.connect.json.JsonConverter", &none).is_ok());
        let bad = HashMap::from([("schemas.enable".to_owned(), "maybe".to_owned())]);
        assert!(converter_for("json", &bad, false).is_err());
    }
}
