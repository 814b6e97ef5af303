//! Kafka's `SimpleHeaderConverter`, the default header converter: a header value is written as
//! its text (`Values.convertToString`, UTF-8) and read back by parsing that text
//! (`Values.parseString`), which recovers booleans, numbers, dates, arrays and maps. Text that
//! cannot be parsed comes back as BYTES, as in Kafka.

use super::HeaderConverter;
use crate::data::values::convert_to_string;
use crate::data::values_parse::parse_string;
use crate::data::{Schema, SchemaAndValue, SchemaRef, SchemaType, Value};
use crate::error::Result;

/// Kafka's `SimpleHeaderConverter`.
#[derive(Debug, Default, Clone)]
pub struct SimpleHeaderConverter;

impl HeaderConverter for SimpleHeaderConverter {
    fn to_bytes(&self, _topic: &str, _key: &str, schema: Option<&SchemaRef>, value: &Value) -> Result<Option<Vec<u8>>> {
        Ok(convert_to_string(schema.map(|s| &**s), value)?.map(String::into_bytes))
    }

    fn to_connect_header(&self, topic: &str, key: &str, data: Option<&[u8]>) -> Result<SchemaAndValue> {
        let Some(data) = data else {
            return Ok(SchemaAndValue::NULL);
        };
        match parse_string(&String::from_utf8_lossy(data)) {
            Ok(parsed) => Ok(parsed),
            Err(e) => {
                tracing::warn!(
                    "Failed to deserialize value for header '{key}' on topic '{topic}', so using byte array: {e}"
                );
                Ok(SchemaAndValue::new(Some(Schema::of(SchemaType::Bytes)), Value::Bytes(data.to_vec())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_typed_headers() {
        let c = SimpleHeaderConverter;
        let bytes = c.to_bytes("t", "h", None, &Value::Array(vec![Value::Int32(1), Value::Int32(2)])).unwrap();
        assert_eq!(bytes.as_deref(), Some(&b"[1,2]"[..]));
        let back = c.to_connect_header("t", "h", bytes.as_deref()).unwrap();
        assert_eq!(back.value, Value::Array(vec![Value::Int8(1), Value::Int8(2)]));
        assert_eq!(c.to_connect_header("t", "h", None).unwrap(), SchemaAndValue::NULL);
        assert_eq!(c.to_bytes("t", "h", None, &Value::Null).unwrap(), None);
    }
}
