//! Kafka's `MaskField$Key` / `MaskField$Value`: replaces the values of `fields` of a struct or map
//! by their type's "empty" value (0, false, "", an empty list or map, the epoch), or by
//! `replacement` read as the field's type (numbers through `new BigDecimal(text)`, as Kafka's
//! `Values` reads them).
//!
//! Kafka decides by the Java class of each value, so a Decimal field is a `BigDecimal` and a Date,
//! Time or Timestamp field a `java.util.Date`. Values stay in their physical form here: a masked
//! Decimal is its replacement at the field's scale (one that does not fit that scale exactly is a
//! data error: it cannot be written as the field's Decimal), a masked date is 0.

use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Validator};
use crate::data::logical::{self, LogicalType};
use crate::data::{BigDecimal, Schema, Struct, Value};
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::transforms::config_util::{self as cfg, java_hash_order, JavaHashed};
use crate::transforms::java_number::{values_double, values_long};
use crate::transforms::schema_util::{field_value, replace_side};
use crate::transforms::side::{java_class_name, require_map, require_struct, Side};
use crate::transforms::{Record, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.MaskField$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.MaskField$Value";

const FIELDS: &str = "fields";
const REPLACEMENT: &str = "replacement";
const PURPOSE: &str = "mask fields";

/// MaskField's keys, as Kafka 4.4 defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(
            ConfigKey::new(FIELDS, ConfigType::List, None, Importance::High, "Names of fields to mask.")
                .with_validator(cfg::valid_list(false)),
        )
        .and_then(|def| {
            def.define(
                ConfigKey::new(
                    REPLACEMENT,
                    ConfigType::String,
                    Some(ConfigValue::Null),
                    Importance::Low,
                    "Custom value replacement, that will be applied to all 'fields' values (numeric or non-empty \
                     string values only).",
                )
                .with_validator(Validator::NonEmptyString),
            )
        })
        .and_then(|def| def.define(cfg::replace_null_with_default_key()))
        .expect("MaskField's keys are defined once")
}

pub fn make_key(config: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(MaskField::new(Side::Key, config)?))
}

pub fn make_value(config: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(MaskField::new(Side::Value, config)?))
}

/// A configured MaskField.
pub struct MaskField {
    side: Side,
    /// In the order Kafka's `HashSet` iterates them (which failure is reported first).
    fields: Vec<String>,
    replacement: Option<String>,
    replace_null_with_default: bool,
}

impl MaskField {
    fn new(side: Side, config: &Config) -> Result<Self> {
        let values = config_def().parse(config)?;
        let fields = java_hash_order(cfg::distinct(cfg::list(&values, FIELDS)), JavaHashed::SetOf, |f| f);
        Ok(MaskField {
            side,
            fields,
            replacement: cfg::string(&values, REPLACEMENT),
            replace_null_with_default: cfg::boolean(&values, cfg::REPLACE_NULL_WITH_DEFAULT),
        })
    }

    fn masks(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f == name)
    }

    fn apply_schemaless(&self, value: &Value) -> Result<Value> {
        let mut entries = require_map(value, PURPOSE)?.to_vec();
        for field in &self.fields {
            let key = Value::String(field.clone());
            // Kafka puts every field back, masked; an absent one as null.
            match entries.iter().position(|(k, _)| *k == key) {
                Some(i) => entries[i].1 = self.masked(None, &entries[i].1)?,
                None => entries.push((key, Value::Null)),
            }
        }
        Ok(Value::Map(entries))
    }

    fn apply_with_schema(&self, value: &Value) -> Result<Value> {
        let original = require_struct(value, PURPOSE)?;
        let mut out = Struct::new(original.schema.clone())?;
        for field in &original.schema.fields {
            let value = field_value(original, field, self.replace_null_with_default)?;
            let value = if self.masks(&field.name) { self.masked(Some(&field.schema), value)? } else { value.clone() };
            out.put(&field.name, value)?;
        }
        Ok(Value::Struct(out))
    }

    /// Kafka's `masked`: the value replaced, by its Java class.
    fn masked(&self, schema: Option<&Schema>, value: &Value) -> Result<Value> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let logical = schema.and_then(LogicalType::of);
        let Some(replacement) = &self.replacement else {
            return Ok(match (logical, value) {
                (Some(LogicalType::Decimal), _) => Value::Bytes(vec![0]),
                (Some(LogicalType::Date | LogicalType::Time), _) => Value::Int32(0),
                (Some(LogicalType::Timestamp), _) => Value::Int64(0),
                (_, Value::Boolean(_)) => Value::Boolean(false),
                (_, Value::Int8(_)) => Value::Int8(0),
                (_, Value::Int16(_)) => Value::Int16(0),
                (_, Value::Int32(_)) => Value::Int32(0),
                (_, Value::Int64(_)) => Value::Int64(0),
                (_, Value::Float32(_)) => Value::Float32(0.0),
                (_, Value::Float64(_)) => Value::Float64(0.0),
                (_, Value::String(_)) => Value::String(String::new()),
                (_, Value::Array(_)) => Value::Array(Vec::new()),
                (_, Value::Map(_)) => Value::Map(Vec::new()),
                (_, other) => {
                    return Err(Error::data(format!("Cannot mask value of type: class {}", class_of(logical, other))))
                }
            });
        };
        let not_a_number =
            || Error::data(format!("Unable to convert {replacement} (class java.lang.String) to a number"));
        Ok(match (logical, value) {
            (Some(LogicalType::Decimal), _) => {
                let decimal = BigDecimal::parse(replacement).map_err(|_| {
                    Error::data(format!("Unable to convert {replacement} (class java.lang.String) to number"))
                })?;
                let schema = schema.expect("a logical type has a schema");
                logical::decimal_to_value(schema, &decimal).map_err(|_| {
                    Error::data(format!(
                        "Decimal replacement {replacement} does not fit the scale {} of field's Decimal schema",
                        logical::decimal_scale(schema).unwrap_or_default()
                    ))
                })?
            }
            (None, Value::Int8(_)) => Value::Int8(values_long(replacement).ok_or_else(not_a_number)? as i8),
            (None, Value::Int16(_)) => Value::Int16(values_long(replacement).ok_or_else(not_a_number)? as i16),
            (None, Value::Int32(_)) => Value::Int32(values_long(replacement).ok_or_else(not_a_number)? as i32),
            (None, Value::Int64(_)) => Value::Int64(values_long(replacement).ok_or_else(not_a_number)?),
            (None, Value::Float32(_)) => Value::Float32(values_double(replacement).ok_or_else(not_a_number)? as f32),
            (None, Value::Float64(_)) => Value::Float64(values_double(replacement).ok_or_else(not_a_number)?),
            (None, Value::String(_)) => Value::String(replacement.clone()),
            (_, other) => {
                return Err(Error::data(format!(
                    "Cannot mask value of type class {} with custom replacement.",
                    class_of(logical, other)
                )))
            }
        })
    }
}

/// The Java class Kafka sees for a value (a logical type's value is a `BigDecimal` or a
/// `java.util.Date`).
fn class_of(logical: Option<LogicalType>, value: &Value) -> &'static str {
    match logical {
        Some(LogicalType::Decimal) => "java.math.BigDecimal",
        Some(_) => "java.util.Date",
        None => java_class_name(value),
    }
}

impl Transformation for MaskField {
    fn apply(&mut self, record: Record) -> Result<Option<Record>> {
        // No tombstone shortcut: Kafka's MaskField refuses a null key or value.
        replace_side(self.side, record, |schema, value| {
            let value = match &schema {
                None => self.apply_schemaless(&value)?,
                Some(_) => self.apply_with_schema(&value)?,
            };
            Ok((schema, value))
        })
    }
}

#[cfg(test)]
#[path = "mask_field_tests.rs"]
mod tests;
