//! Schemas: the type of a value, with optionality, default, name, version, doc and parameters
//! (Kafka Connect's `Schema`/`ConnectSchema`). Schemas are immutable once built and shared as
//! `Arc<Schema>`; `SchemaBuilder` (in `builder.rs`) is the way to make non-trivial ones.

use std::fmt;
use std::sync::{Arc, LazyLock};

use indexmap::IndexMap;

use super::Value;
use crate::error::{Error, Result};

/// Schemas are shared by every record that carries them.
pub type SchemaRef = Arc<Schema>;

/// Schema parameters (e.g. a Decimal's `scale`). Insertion-ordered, because Kafka writes them in the
/// order they were set; equality ignores the order, as Java's `Map.equals` does.
pub type Parameters = IndexMap<String, String>;

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

impl SchemaType {
    /// Every type, in Kafka's declaration order.
    pub const ALL: [SchemaType; 12] = [
        SchemaType::Int8,
        SchemaType::Int16,
        SchemaType::Int32,
        SchemaType::Int64,
        SchemaType::Float32,
        SchemaType::Float64,
        SchemaType::Boolean,
        SchemaType::String,
        SchemaType::Bytes,
        SchemaType::Array,
        SchemaType::Map,
        SchemaType::Struct,
    ];

    /// Kafka's enum constant name (`INT32`), used in error messages as Kafka prints them.
    pub fn name(self) -> &'static str {
        match self {
            SchemaType::Int8 => "INT8",
            SchemaType::Int16 => "INT16",
            SchemaType::Int32 => "INT32",
            SchemaType::Int64 => "INT64",
            SchemaType::Float32 => "FLOAT32",
            SchemaType::Float64 => "FLOAT64",
            SchemaType::Boolean => "BOOLEAN",
            SchemaType::String => "STRING",
            SchemaType::Bytes => "BYTES",
            SchemaType::Array => "ARRAY",
            SchemaType::Map => "MAP",
            SchemaType::Struct => "STRUCT",
        }
    }

    /// The type named by Kafka's constant (`INT32`) or its lower-case form (`int32`).
    pub fn from_name(name: &str) -> Option<SchemaType> {
        let upper = name.to_ascii_uppercase();
        SchemaType::ALL.into_iter().find(|t| t.name() == upper)
    }

    /// Primitive types have no nested schemas.
    pub fn is_primitive(self) -> bool {
        !matches!(self, SchemaType::Array | SchemaType::Map | SchemaType::Struct)
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One field of a STRUCT schema.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub index: usize,
    pub schema: SchemaRef,
}

/// A schema. Logical types (Decimal, Date, Time, Timestamp) are named schemas over a primitive type.
///
/// Equality compares every attribute (type, optional, default, name, version, doc, parameters,
/// fields, key and value schemas), as Kafka's `ConnectSchema.equals` does.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    pub schema_type: SchemaType,
    pub optional: bool,
    /// The default, in the same (physical) form as values of this schema; `None` when unset.
    pub default: Option<Value>,
    pub name: Option<String>,
    pub version: Option<i32>,
    pub doc: Option<String>,
    pub parameters: Parameters,
    /// STRUCT only.
    pub fields: Vec<Field>,
    /// MAP only.
    pub key_schema: Option<SchemaRef>,
    /// ARRAY and MAP only.
    pub value_schema: Option<SchemaRef>,
}

/// Kafka's predefined schemas: required and optional, for each primitive type.
static PREDEFINED: LazyLock<[[SchemaRef; 2]; 9]> = LazyLock::new(|| {
    let primitives: [SchemaType; 9] = std::array::from_fn(|i| SchemaType::ALL[i]);
    primitives.map(|t| [Arc::new(Schema::primitive(t)), Arc::new(Schema { optional: true, ..Schema::primitive(t) })])
});

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
            parameters: Parameters::new(),
            fields: Vec::new(),
            key_schema: None,
            value_schema: None,
        }
    }

    /// Kafka's predefined required schema of a primitive type (`Schema.INT32_SCHEMA`), shared.
    ///
    /// # Panics
    /// If `schema_type` is ARRAY, MAP or STRUCT (those have no predefined schema).
    pub fn of(schema_type: SchemaType) -> SchemaRef {
        Self::predefined(schema_type, false)
    }

    /// Kafka's predefined optional schema of a primitive type (`Schema.OPTIONAL_INT32_SCHEMA`), shared.
    ///
    /// # Panics
    /// If `schema_type` is ARRAY, MAP or STRUCT.
    pub fn optional_of(schema_type: SchemaType) -> SchemaRef {
        Self::predefined(schema_type, true)
    }

    fn predefined(schema_type: SchemaType, optional: bool) -> SchemaRef {
        let index = SchemaType::ALL.iter().position(|t| *t == schema_type).filter(|i| *i < 9);
        let index = index.unwrap_or_else(|| panic!("no predefined schema for {schema_type}"));
        PREDEFINED[index][usize::from(optional)].clone()
    }

    /// The field called `name` (STRUCT schemas only).
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The field called `name`, or Kafka's error for an unknown field.
    pub fn field_or_err(&self, name: &str) -> Result<&Field> {
        if self.schema_type != SchemaType::Struct {
            return Err(Error::data("Cannot look up fields on non-struct type"));
        }
        self.field(name).ok_or_else(|| Error::data(format!("{name} is not a valid field name")))
    }

    /// Whether this schema is the logical type called `logical_name` over its expected base type.
    pub fn is_logical(&self, logical_name: &str) -> bool {
        self.name.as_deref() == Some(logical_name)
    }

    /// A copy of this schema with `optional` set (keeps everything else).
    pub fn as_optional(&self) -> Schema {
        Schema { optional: true, ..self.clone() }
    }
}

impl fmt::Display for Schema {
    /// Kafka's `toString`: `Schema{name:TYPE}` or `Schema{TYPE}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "Schema{{{name}:{}}}", self.schema_type),
            None => write!(f, "Schema{{{}}}", self.schema_type),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predefined_schemas_are_shared_and_flagged() {
        assert!(Arc::ptr_eq(&Schema::of(SchemaType::String), &Schema::of(SchemaType::String)));
        assert!(Schema::optional_of(SchemaType::Int64).optional);
        assert!(!Schema::of(SchemaType::Bytes).optional);
        assert_eq!(Schema::of(SchemaType::Boolean).schema_type, SchemaType::Boolean);
    }

    #[test]
    fn parameters_compare_without_order() {
        let mut a = Schema::primitive(SchemaType::Bytes);
        a.parameters.insert("x".into(), "1".into());
        a.parameters.insert("y".into(), "2".into());
        let mut b = Schema::primitive(SchemaType::Bytes);
        b.parameters.insert("y".into(), "2".into());
        b.parameters.insert("x".into(), "1".into());
        assert_eq!(a, b);
    }

    #[test]
    fn type_names_round_trip() {
        for t in SchemaType::ALL {
            assert_eq!(SchemaType::from_name(&t.name().to_lowercase()), Some(t));
        }
    }
}
