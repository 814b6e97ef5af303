//! Checking a value against a schema (Kafka's `ConnectSchema.validateValue`), with the path of
//! the offending field in the message (`field: "address.zip"`, `field: "tags[2]"`), so a connector
//! author sees where in a nested value the problem is.

use std::fmt;

use super::logical::{self, LogicalType};
use super::{Schema, Value, ValuePath};
use crate::error::{Error, Result};

/// Validates `value` against `schema`. `field` names the struct field being set, if any.
///
/// Rules (Kafka's, over our physical representation of logical types):
/// - null is valid only for optional schemas;
/// - the value's variant must be the schema type's (`Int32` for INT32, ...), no widening;
/// - logical types: Decimal needs non-empty bytes, Time needs 0..=86,400,000 ms;
/// - a nested struct must have a schema equal to the field's, and must itself validate;
/// - array elements and map keys/values are validated against their schemas.
pub fn validate_value(schema: &Schema, value: &Value, field: Option<&str>) -> Result<()> {
    validate_at(schema, value, &field.map_or(ValuePath::Root, ValuePath::field))
}

/// How Kafka names the place of a value in its messages.
fn location(path: &ValuePath<'_>) -> String {
    if path.is_empty() {
        "value".to_owned()
    } else {
        format!("field: \"{path}\"")
    }
}

fn validate_at(schema: &Schema, value: &Value, path: &ValuePath<'_>) -> Result<()> {
    if value.is_null() {
        if schema.optional {
            return Ok(());
        }
        return Err(Error::data(format!(
            "Invalid value: null used for required {}, schema type: {}",
            location(path),
            schema.schema_type
        )));
    }
    if value.schema_type() != Some(schema.schema_type) {
        let named = schema.name.as_ref().map(|n| format!(" \"{n}\"")).unwrap_or_default();
        return Err(Error::data(format!(
            "Invalid value for schema{named} with type {}: {} for {}",
            schema.schema_type,
            value.type_name(),
            location(path)
        )));
    }
    match LogicalType::of(schema) {
        Some(LogicalType::Decimal) => {
            logical::decimal_scale(schema)?;
            if matches!(value, Value::Bytes(b) if b.is_empty()) {
                return Err(Error::data(format!("Invalid Decimal value (no bytes) for {}", location(path))));
            }
        }
        Some(LogicalType::Time) => {
            if let Value::Int32(ms) = value {
                logical::check_time_millis(*ms).map_err(|e| Error::data(format!("{e} ({})", location(path))))?;
            }
        }
        _ => {}
    }
    match value {
        Value::Struct(s) => {
            // The same schema object most of the time: no need to compare it field by field.
            if !std::ptr::eq(&*s.schema, schema) && *s.schema != *schema {
                return Err(Error::data(format!("Struct schemas do not match for {}.", location(path))));
            }
            for field in &s.schema.fields {
                let v = &s.values[field.index];
                if v.is_null() && (field.schema.optional || field.schema.default.is_some()) {
                    continue;
                }
                validate_at(&field.schema, v, &ValuePath::Field(path, &field.name))?;
            }
        }
        Value::Array(items) => {
            let element = nested(schema.value_schema.as_deref(), "element of array", path)?;
            for (i, item) in items.iter().enumerate() {
                validate_at(element, item, &ValuePath::Item(path, &i))?;
            }
        }
        Value::Map(entries) => {
            let keys = nested(schema.key_schema.as_deref(), "key of map", path)?;
            let values = nested(schema.value_schema.as_deref(), "value of map", path)?;
            for (i, (k, v)) in entries.iter().enumerate() {
                validate_at(keys, k, &ValuePath::Item(path, &MapPart("key", i)))?;
                validate_at(values, v, &ValuePath::Item(path, &MapPart("value", i)))?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn nested<'a>(schema: Option<&'a Schema>, what: &str, path: &ValuePath<'_>) -> Result<&'a Schema> {
    schema.ok_or_else(|| Error::data(format!("No schema defined for {what} {}", location(path))))
}

/// The key or value of a map's `i`-th entry, as a path item (`key 0`).
struct MapPart(&'static str, usize);

impl fmt::Display for MapPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0, self.1)
    }
}
