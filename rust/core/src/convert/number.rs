//! Kafka's primitive converters (`BooleanConverter`, `ShortConverter`, `IntegerConverter`,
//! `LongConverter`, `FloatConverter`, `DoubleConverter`): one value in Kafka's fixed-size
//! big-endian serialization; read back with the optional schema of that type.

use super::Converter;
use crate::data::{Schema, SchemaAndValue, SchemaRef, SchemaType, Value};
use crate::error::{Error, Result};

/// Which primitive a `NumberConverter` carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberKind {
    Boolean,
    Short,
    Integer,
    Long,
    Float,
    Double,
}

impl NumberKind {
    fn schema_type(self) -> SchemaType {
        match self {
            NumberKind::Boolean => SchemaType::Boolean,
            NumberKind::Short => SchemaType::Int16,
            NumberKind::Integer => SchemaType::Int32,
            NumberKind::Long => SchemaType::Int64,
            NumberKind::Float => SchemaType::Float32,
            NumberKind::Double => SchemaType::Float64,
        }
    }

    fn size(self) -> usize {
        match self {
            NumberKind::Boolean => 1,
            NumberKind::Short => 2,
            NumberKind::Integer | NumberKind::Float => 4,
            NumberKind::Long | NumberKind::Double => 8,
        }
    }

    /// Kafka's deserializer class name, for its error messages.
    fn deserializer(self) -> &'static str {
        match self {
            NumberKind::Boolean => "BooleanDeserializer",
            NumberKind::Short => "ShortDeserializer",
            NumberKind::Integer => "IntegerDeserializer",
            NumberKind::Long => "LongDeserializer",
            NumberKind::Float => "FloatDeserializer",
            NumberKind::Double => "DoubleDeserializer",
        }
    }
}

/// One of Kafka's primitive converters.
#[derive(Debug, Clone)]
pub struct NumberConverter {
    kind: NumberKind,
}

impl NumberConverter {
    pub fn new(kind: NumberKind) -> Self {
        NumberConverter { kind }
    }
}

impl Converter for NumberConverter {
    fn from_connect_data(&self, _topic: &str, _schema: Option<&SchemaRef>, value: &Value) -> Result<Option<Vec<u8>>> {
        let bytes = match (self.kind, value) {
            (_, Value::Null) => return Ok(None),
            (NumberKind::Boolean, Value::Boolean(b)) => vec![u8::from(*b)],
            (NumberKind::Short, Value::Int16(v)) => v.to_be_bytes().to_vec(),
            (NumberKind::Integer, Value::Int32(v)) => v.to_be_bytes().to_vec(),
            (NumberKind::Long, Value::Int64(v)) => v.to_be_bytes().to_vec(),
            (NumberKind::Float, Value::Float32(v)) => v.to_be_bytes().to_vec(),
            (NumberKind::Double, Value::Float64(v)) => v.to_be_bytes().to_vec(),
            (kind, other) => {
                return Err(Error::data(format!(
                    "Failed to serialize to {} (was {})",
                    kind.schema_type(),
                    other.type_name()
                )))
            }
        };
        Ok(Some(bytes))
    }

    fn to_connect_data(&self, _topic: &str, data: Option<&[u8]>) -> Result<SchemaAndValue> {
        let kind = self.kind;
        let schema = Some(Schema::optional_of(kind.schema_type()));
        let Some(data) = data else {
            return Ok(SchemaAndValue::new(schema, Value::Null));
        };
        let failed = |why: String| Error::data(format!("Failed to deserialize {}: {why}", kind.schema_type()));
        if data.len() != kind.size() {
            return Err(failed(format!("Size of data received by {} is not {}", kind.deserializer(), kind.size())));
        }
        let value = match kind {
            NumberKind::Boolean => match data[0] {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                b => return Err(failed(format!("Unexpected byte received by BooleanDeserializer: {b}"))),
            },
            NumberKind::Short => Value::Int16(i16::from_be_bytes(data.try_into().expect("size checked"))),
            NumberKind::Integer => Value::Int32(i32::from_be_bytes(data.try_into().expect("size checked"))),
            NumberKind::Long => Value::Int64(i64::from_be_bytes(data.try_into().expect("size checked"))),
            NumberKind::Float => Value::Float32(f32::from_be_bytes(data.try_into().expect("size checked"))),
            NumberKind::Double => Value::Float64(f64::from_be_bytes(data.try_into().expect("size checked"))),
        };
        Ok(SchemaAndValue::new(schema, value))
    }
}
