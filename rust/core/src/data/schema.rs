//! Schemas: the type of a value, with optionality, default, name, version, doc and parameters.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Value;

/// Schemas are shared by every record that carries them.
pub type SchemaRef = Arc<Schema>;

/// Kafka Connect's schema types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaType {
    Int8,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    Boolean,
    String,
    Bytes,
    Array,
    Map,
    Struct,
}

/// One field of a STRUCT schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub index: usize,
    pub schema: SchemaRef,
}

/// A schema. Logical types (Decimal, Date, Time, Timestamp) are named schemas over a primitive type.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub schema_type: SchemaType,
    pub optional: bool,
    pub default: Option<Value>,
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    pub parameters: BTreeMap<String, String>,
    /// STRUCT only.
    pub fields: Vec<Field>,
    /// MAP only.
    pub key_schema: Option<SchemaRef>,
    /// ARRAY and MAP only.
    pub value_schema: Option<SchemaRef>,
}

impl Schema {
    /// A required, unnamed schema of a primitive type.
    pub fn primitive(schema_type: SchemaType) -> Self {
        Schema {
            schema_type,
            optional: false,
            default: None,
            name: None,
            version: None,
            doc: None,
            parameters: BTreeMap::new(),
            fields: Vec::new(),
            key_schema: None,
            value_schema: None,
        }
    }
}
