//! `SchemaBuilder`: Kafka's fluent way to make schemas,
//! `SchemaBuilder::struct_().name("x").field("name", Schema::of(SchemaType::String)).build()?`.
//!
//! Kafka throws from the call that is wrong; a Rust chain cannot, so the fluent methods remember
//! the first error and `build()` returns it. The `set_*` methods report at once (the Python
//! bindings use them to raise from the offending call, as Kafka does).

use std::sync::Arc;

use super::validate::validate_value;
use super::{Field, Parameters, Schema, SchemaRef, SchemaType, Value};
use crate::error::{Error, Result};

/// Builds a `Schema`. Each attribute can be set once (setting it again to the same value is allowed).
#[derive(Debug, Clone)]
pub struct SchemaBuilder {
    schema_type: SchemaType,
    optional: Option<bool>,
    default: Option<Value>,
    name: Option<String>,
    version: Option<i32>,
    doc: Option<String>,
    parameters: Parameters,
    fields: Vec<Field>,
    key_schema: Option<SchemaRef>,
    value_schema: Option<SchemaRef>,
    error: Option<String>,
}

fn builder_error(message: impl Into<String>) -> Error {
    Error::data(message)
}

fn check_can_set<T: PartialEq>(what: &str, current: &Option<T>, new: &T) -> Result<()> {
    match current {
        Some(existing) if existing != new => {
            Err(builder_error(format!("Invalid SchemaBuilder call: {what} has already been set.")))
        }
        _ => Ok(()),
    }
}

impl SchemaBuilder {
    /// A builder of any type. ARRAY and MAP builders made this way need their element schemas
    /// (use `array`/`map` instead).
    pub fn new(schema_type: SchemaType) -> Self {
        SchemaBuilder {
            schema_type,
            optional: None,
            default: None,
            name: None,
            version: None,
            doc: None,
            parameters: Parameters::new(),
            fields: Vec::new(),
            key_schema: None,
            value_schema: None,
            error: None,
        }
    }

    pub fn int8() -> Self {
        Self::new(SchemaType::Int8)
    }
    pub fn int16() -> Self {
        Self::new(SchemaType::Int16)
    }
    pub fn int32() -> Self {
        Self::new(SchemaType::Int32)
    }
    pub fn int64() -> Self {
        Self::new(SchemaType::Int64)
    }
    pub fn float32() -> Self {
        Self::new(SchemaType::Float32)
    }
    pub fn float64() -> Self {
        Self::new(SchemaType::Float64)
    }
    /// Kafka's `SchemaBuilder.bool()`.
    pub fn boolean() -> Self {
        Self::new(SchemaType::Boolean)
    }
    pub fn string() -> Self {
        Self::new(SchemaType::String)
    }
    pub fn bytes() -> Self {
        Self::new(SchemaType::Bytes)
    }
    /// Kafka's `SchemaBuilder.struct()`.
    pub fn struct_() -> Self {
        Self::new(SchemaType::Struct)
    }

    /// An ARRAY of `value_schema`.
    pub fn array(value_schema: SchemaRef) -> Self {
        SchemaBuilder { value_schema: Some(value_schema), ..Self::new(SchemaType::Array) }
    }

    /// A MAP from `key_schema` to `value_schema`.
    pub fn map(key_schema: SchemaRef, value_schema: SchemaRef) -> Self {
        SchemaBuilder { key_schema: Some(key_schema), value_schema: Some(value_schema), ..Self::new(SchemaType::Map) }
    }

    /// A builder holding every attribute of `schema` (to derive a variant of it). A required
    /// schema's optionality is left unset, so `.optional()` can still be called.
    pub fn from_schema(schema: &Schema) -> Self {
        SchemaBuilder {
            schema_type: schema.schema_type,
            optional: schema.optional.then_some(true),
            default: schema.default.clone(),
            name: schema.name.clone(),
            version: schema.version,
            doc: schema.doc.clone(),
            parameters: schema.parameters.clone(),
            fields: schema.fields.clone(),
            key_schema: schema.key_schema.clone(),
            value_schema: schema.value_schema.clone(),
            error: None,
        }
    }

    pub fn schema_type(&self) -> SchemaType {
        self.schema_type
    }

    /// The first error of a fluent chain, if any.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn chain(mut self, result: impl FnOnce(&mut Self) -> Result<()>) -> Self {
        if self.error.is_none() {
            if let Err(e) = result(&mut self) {
                self.error = Some(e.to_string());
            }
        }
        self
    }

    pub fn set_optional(&mut self, optional: bool) -> Result<()> {
        check_can_set("optional", &self.optional, &optional)?;
        self.optional = Some(optional);
        Ok(())
    }

    /// Sets the default, checked against the schema as built so far (Kafka's "Invalid default value").
    pub fn set_default(&mut self, value: Value) -> Result<()> {
        check_can_set("default", &self.default, &value)?;
        validate_value(&self.current(), &value, None)
            .map_err(|e| builder_error(format!("Invalid default value: {e}")))?;
        self.default = Some(value);
        Ok(())
    }

    pub fn set_name(&mut self, name: &str) -> Result<()> {
        check_can_set("name", &self.name, &name.to_owned())?;
        self.name = Some(name.to_owned());
        Ok(())
    }

    pub fn set_version(&mut self, version: i32) -> Result<()> {
        check_can_set("version", &self.version, &version)?;
        self.version = Some(version);
        Ok(())
    }

    pub fn set_doc(&mut self, doc: &str) -> Result<()> {
        check_can_set("doc", &self.doc, &doc.to_owned())?;
        self.doc = Some(doc.to_owned());
        Ok(())
    }

    /// Adds (or replaces) a parameter; parameters keep the order they were first set in.
    pub fn set_parameter(&mut self, key: &str, value: &str) -> Result<()> {
        self.parameters.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    /// Adds a field (STRUCT only; the name must be non-empty and new).
    pub fn add_field(&mut self, name: &str, schema: SchemaRef) -> Result<()> {
        if self.schema_type != SchemaType::Struct {
            return Err(builder_error(format!("Cannot create fields on type {}", self.schema_type)));
        }
        if name.is_empty() {
            return Err(builder_error("fieldName cannot be null."));
        }
        if self.fields.iter().any(|f| f.name == name) {
            return Err(builder_error(format!("Cannot create field because of field name duplication {name}")));
        }
        self.fields.push(Field { name: name.to_owned(), index: self.fields.len(), schema });
        Ok(())
    }

    pub fn optional(self) -> Self {
        self.chain(|b| b.set_optional(true))
    }
    pub fn required(self) -> Self {
        self.chain(|b| b.set_optional(false))
    }
    pub fn default_value(self, value: impl Into<Value>) -> Self {
        let value = value.into();
        self.chain(|b| b.set_default(value))
    }
    pub fn name(self, name: &str) -> Self {
        self.chain(|b| b.set_name(name))
    }
    pub fn version(self, version: i32) -> Self {
        self.chain(|b| b.set_version(version))
    }
    pub fn doc(self, doc: &str) -> Self {
        self.chain(|b| b.set_doc(doc))
    }
    pub fn parameter(self, key: &str, value: &str) -> Self {
        self.chain(|b| b.set_parameter(key, value))
    }
    pub fn parameters<'a>(self, parameters: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        self.chain(|b| parameters.into_iter().try_for_each(|(k, v)| b.set_parameter(k, v)))
    }
    pub fn field(self, name: &str, schema: SchemaRef) -> Self {
        self.chain(|b| b.add_field(name, schema))
    }

    /// The schema as set so far (an ARRAY/MAP without element schemas is allowed here).
    pub fn current(&self) -> Schema {
        Schema {
            schema_type: self.schema_type,
            optional: self.optional.unwrap_or(false),
            default: self.default.clone(),
            name: self.name.clone(),
            version: self.version,
            doc: self.doc.clone(),
            parameters: self.parameters.clone(),
            fields: self.fields.clone(),
            key_schema: self.key_schema.clone(),
            value_schema: self.value_schema.clone(),
        }
    }

    /// The schema, or the first error made while building it.
    pub fn build(&self) -> Result<SchemaRef> {
        if let Some(e) = &self.error {
            return Err(Error::data(e.clone()));
        }
        match self.schema_type {
            SchemaType::Array if self.value_schema.is_none() => {
                return Err(builder_error("valueSchema cannot be null."));
            }
            SchemaType::Map if self.key_schema.is_none() => return Err(builder_error("keySchema cannot be null.")),
            SchemaType::Map if self.value_schema.is_none() => {
                return Err(builder_error("valueSchema cannot be null."));
            }
            _ => {}
        }
        Ok(Arc::new(self.current()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_guides_struct() {
        let admin = SchemaBuilder::boolean().default_value(false).build().unwrap();
        let schema = SchemaBuilder::struct_()
            .name("com.example.Person")
            .field("name", Schema::of(SchemaType::String))
            .field("age", Schema::of(SchemaType::Int32))
            .field("admin", admin)
            .build()
            .unwrap();
        assert_eq!(schema.fields.len(), 3);
        assert_eq!(schema.field("admin").unwrap().index, 2);
        assert_eq!(schema.field("admin").unwrap().schema.default, Some(Value::Boolean(false)));
    }

    #[test]
    fn refuses_what_kafka_refuses() {
        let err = SchemaBuilder::int32().name("a").name("b").build().unwrap_err().to_string();
        assert_eq!(err, "Invalid SchemaBuilder call: name has already been set.");
        assert!(SchemaBuilder::int32().name("a").name("a").build().is_ok());
        assert!(SchemaBuilder::int32().default_value("x").build().unwrap_err().to_string().contains("Invalid default"));
        assert!(SchemaBuilder::int32().field("x", Schema::of(SchemaType::Int8)).build().is_err());
        let dup =
            SchemaBuilder::struct_().field("x", Schema::of(SchemaType::Int8)).field("x", Schema::of(SchemaType::Int8));
        assert!(dup.build().unwrap_err().to_string().contains("duplication"));
        assert!(SchemaBuilder::new(SchemaType::Array).build().is_err());
        assert!(SchemaBuilder::int32().optional().required().build().is_err());
    }
}
