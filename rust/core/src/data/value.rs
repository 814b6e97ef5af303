//! Runtime values: what a connector hands the framework and a converter serializes.
//!
//! Logical types are kept in their physical form, as they travel on the wire: a Decimal is the
//! two's-complement big-endian unscaled integer (`Bytes`) at the schema's scale, a Date is days
//! since the epoch (`Int32`), a Time is milliseconds since midnight (`Int32`), a Timestamp is
//! milliseconds since the epoch (`Int64`). The schema says which; `logical.rs` converts, and the
//! Python bindings map them to `decimal.Decimal` and `datetime`. This keeps converters a straight
//! walk over values, and a value never disagrees with its schema about its representation.

use std::fmt;

use super::validate::validate_value;
use super::{Field, SchemaRef, SchemaType};
use crate::error::{Error, Result};

/// A value of Kafka Connect's data model. Schemaless values use `Int64`, `Float64`, `String`,
/// `Array` and `Map` with `String` keys, as Kafka's JsonConverter reads them without a schema.
///
/// Equality is Java's (`Objects.equals` on boxed values, which Kafka's `Struct` and
/// `ConnectSchema` use): floats compare as `Double.equals` does, so NaN equals NaN and 0.0 does not
/// equal -0.0; a schema with a NaN default equals itself.
#[derive(Debug, Clone)]
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

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self, other) {
            (Null, Null) => true,
            (Boolean(a), Boolean(b)) => a == b,
            (Int8(a), Int8(b)) => a == b,
            (Int16(a), Int16(b)) => a == b,
            (Int32(a), Int32(b)) => a == b,
            (Int64(a), Int64(b)) => a == b,
            (Float32(a), Float32(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (Float64(a), Float64(b)) => a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
            (String(a), String(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            (Array(a), Array(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            (Struct(a), Struct(b)) => a == b,
            _ => false,
        }
    }
}

/// A structured value: one value per field of a STRUCT schema, in the schema's field order.
/// Unset fields hold `Value::Null`.
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

impl SchemaAndValue {
    /// Kafka's `SchemaAndValue.NULL`: no schema, no value.
    pub const NULL: SchemaAndValue = SchemaAndValue { schema: None, value: Value::Null };

    pub fn new(schema: Option<SchemaRef>, value: Value) -> Self {
        SchemaAndValue { schema, value }
    }
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

    /// The schema type a value of this variant has when it carries no schema (Kafka's
    /// `ConnectSchema.schemaType(Class)`); `None` for null.
    pub fn schema_type(&self) -> Option<SchemaType> {
        Some(match self {
            Value::Null => return None,
            Value::Boolean(_) => SchemaType::Boolean,
            Value::Int8(_) => SchemaType::Int8,
            Value::Int16(_) => SchemaType::Int16,
            Value::Int32(_) => SchemaType::Int32,
            Value::Int64(_) => SchemaType::Int64,
            Value::Float32(_) => SchemaType::Float32,
            Value::Float64(_) => SchemaType::Float64,
            Value::String(_) => SchemaType::String,
            Value::Bytes(_) => SchemaType::Bytes,
            Value::Array(_) => SchemaType::Array,
            Value::Map(_) => SchemaType::Map,
            Value::Struct(_) => SchemaType::Struct,
        })
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as an `i64` when it is one of the integer variants.
    pub fn as_i64(&self) -> Option<i64> {
        match *self {
            Value::Int8(v) => Some(v.into()),
            Value::Int16(v) => Some(v.into()),
            Value::Int32(v) => Some(v.into()),
            Value::Int64(v) => Some(v),
            _ => None,
        }
    }

    /// The value as an `f64` when it is numeric.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Float32(v) => Some(v.into()),
            Value::Float64(v) => Some(v),
            _ => self.as_i64().map(|v| v as f64),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}
impl From<i8> for Value {
    fn from(v: i8) -> Self {
        Value::Int8(v)
    }
}
impl From<i16> for Value {
    fn from(v: i16) -> Self {
        Value::Int16(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int32(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int64(v)
    }
}
impl From<f32> for Value {
    fn from(v: f32) -> Self {
        Value::Float32(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float64(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Bytes(v)
    }
}
impl From<Struct> for Value {
    fn from(v: Struct) -> Self {
        Value::Struct(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

impl Struct {
    /// An empty struct of a STRUCT schema (every field unset).
    pub fn new(schema: SchemaRef) -> Result<Self> {
        if schema.schema_type != SchemaType::Struct {
            return Err(Error::data(format!("Not a struct schema: {schema}")));
        }
        // Not `vec![Value::Null; n]`, which clones the element n times through `Value::clone`.
        let values = std::iter::repeat_with(|| Value::Null).take(schema.fields.len()).collect();
        Ok(Struct { schema, values })
    }

    fn lookup(&self, name: &str) -> Result<&Field> {
        self.schema.field_or_err(name)
    }

    /// Sets a field, validating the value against the field's schema first (Kafka's `put`):
    /// unknown field, wrong type, null for a required field and nested mismatches are errors that
    /// name the field.
    pub fn put(&mut self, name: &str, value: impl Into<Value>) -> Result<&mut Self> {
        let index = self.lookup(name)?.index;
        self.put_at(index, value.into())
    }

    /// `put` of the field at `index` in the schema's field order (for callers that already know
    /// it, such as a constructor taking values in field order): validated the same way.
    ///
    /// # Panics
    /// If `index` is not a field's index.
    pub fn put_at(&mut self, index: usize, value: Value) -> Result<&mut Self> {
        let field = &self.schema.fields[index];
        validate_value(&field.schema, &value, Some(&field.name))?;
        self.values[index] = value;
        Ok(self)
    }

    /// `put` for building a struct in one expression.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Result<Self> {
        self.put(name, value)?;
        Ok(self)
    }

    /// A field's value, or its schema's default when the value is null (Kafka's `get`).
    pub fn get(&self, name: &str) -> Result<&Value> {
        let field = self.lookup(name)?;
        Ok(or_default(field, &self.values[field.index]))
    }

    /// Every field with its value as `get` gives it (defaults applied), in schema order.
    pub fn iter_with_defaults(&self) -> impl Iterator<Item = (&Field, &Value)> {
        self.iter().map(|(field, value)| (field, or_default(field, value)))
    }

    /// A field's value as set, null when unset (Kafka's `getWithoutDefault`).
    pub fn get_without_default(&self, name: &str) -> Result<&Value> {
        let field = self.lookup(name)?;
        Ok(&self.values[field.index])
    }

    /// Checks that every field holds a valid value: null is allowed only for optional fields and
    /// fields with a default (Kafka's `validate`).
    pub fn validate(&self) -> Result<()> {
        for field in &self.schema.fields {
            let value = &self.values[field.index];
            if value.is_null() && (field.schema.optional || field.schema.default.is_some()) {
                continue;
            }
            validate_value(&field.schema, value, Some(&field.name))?;
        }
        Ok(())
    }

    /// Field names with their values (as set), in schema order.
    pub fn iter(&self) -> impl Iterator<Item = (&Field, &Value)> {
        self.schema.fields.iter().zip(&self.values)
    }
}

/// A field's value, or the default of its schema in place of null.
fn or_default<'a>(field: &'a Field, value: &'a Value) -> &'a Value {
    match (&field.schema.default, value) {
        (Some(default), Value::Null) => default,
        _ => value,
    }
}

impl fmt::Display for Struct {
    /// Kafka's `Struct.toString`: `Struct{name=x,age=75}`, unset fields left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Struct{")?;
        let mut first = true;
        for (field, value) in self.iter() {
            if value.is_null() {
                continue;
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{}={}", field.name, super::values::java_display(value))?;
        }
        f.write_str("}")
    }
}
