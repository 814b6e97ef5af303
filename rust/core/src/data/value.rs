//! Runtime values: what a connector hands the framework and a converter serializes.

use super::SchemaRef;

/// A value of Kafka Connect's data model. Schemaless values use `Int64`, `Float64`, `String`,
/// `Array` and `Map` with `String` keys, as Kafka's JsonConverter reads them without a schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Boolean(bool),
    Int8(i8),
    Int16(i16),
    Int32(i32),
    Int64(i64),
    Float32(f32),
    Float64(f64),
    String(String),
    Bytes(Vec<u8>),
    Array(Vec<Value>),
    /// Entries in insertion order; keys may be any value (Kafka allows non-string map keys).
    Map(Vec<(Value, Value)>),
    Struct(Struct),
}

/// A structured value: one value per field of a STRUCT schema, in the schema's field order.
#[derive(Debug, Clone, PartialEq)]
pub struct Struct {
    pub schema: SchemaRef,
    pub values: Vec<Value>,
}

/// A value with the schema that describes it (`None` for schemaless data).
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaAndValue {
    pub schema: Option<SchemaRef>,
    pub value: Value,
}

impl Value {
    /// The name of this value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Boolean(_) => "boolean",
            Value::Int8(_) => "int8",
            Value::Int16(_) => "int16",
            Value::Int32(_) => "int32",
            Value::Int64(_) => "int64",
            Value::Float32(_) => "float32",
            Value::Float64(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Array(_) => "array",
            Value::Map(_) => "map",
            Value::Struct(_) => "struct",
        }
    }
}
