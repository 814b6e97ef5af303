//! Kafka's `Flatten$Key` / `Flatten$Value`: nested structs (with a schema) or maps (without) become
//! one level, field names joined by `delimiter`; arrays are kept as they are.
//!
//! With a schema, a flattened field is optional when it or any struct above it is, and takes its
//! own default, else the default its parents' defaults give it; the top-level struct keeps only
//! its name, version, doc and parameters. MAP fields are refused with a schema (Kafka's rule).

use std::collections::HashMap;

use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance};
use crate::data::{Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::transforms::config_util as cfg;
use crate::transforms::schema_cache::SchemaCache;
use crate::transforms::schema_util::{
    copy_schema_basics, copy_schema_basics_of, replace_side, require_struct_schema, string_key,
};
use crate::transforms::side::{require_map, require_struct, Side};
use crate::transforms::{Record, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.Flatten$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.Flatten$Value";

const DELIMITER: &str = "delimiter";
const PURPOSE: &str = "flattening";

/// Flatten's keys, as Kafka defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(ConfigKey::new(
            DELIMITER,
            ConfigType::String,
            Some(ConfigValue::String(".".into())),
            Importance::Medium,
            "Delimiter to insert between field names from the input record when generating field names for the \
             output record",
        ))
        .expect("Flatten's keys are defined once")
}

pub fn make_key(config: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(Flatten::new(Side::Key, config)?))
}

pub fn make_value(config: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(Flatten::new(Side::Value, config)?))
}

/// A configured Flatten.
pub struct Flatten {
    side: Side,
    delimiter: String,
    cache: SchemaCache,
}

impl Flatten {
    fn new(side: Side, config: &Config) -> Result<Self> {
        let values = config_def().parse(config)?;
        let delimiter = cfg::string(&values, DELIMITER).unwrap_or_default();
        Ok(Flatten { side, delimiter, cache: SchemaCache::default() })
    }

    fn field_name(&self, prefix: &str, name: &str) -> String {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}{}{name}", self.delimiter)
        }
    }

    fn apply_schemaless(&self, value: &Value) -> Result<Value> {
        let mut out = FlatMap::default();
        self.flatten_map(require_map(value, PURPOSE)?, "", &mut out)?;
        Ok(Value::Map(out.entries))
    }

    fn flatten_map(&self, entries: &[(Value, Value)], prefix: &str, out: &mut FlatMap) -> Result<()> {
        for (key, value) in entries {
            let key = string_key(key)?;
            let name = self.field_name(prefix, key);
            match value {
                Value::Map(nested) => self.flatten_map(nested, &name, out)?,
                Value::Struct(_) => {
                    return Err(Error::data(format!(
                        "Flatten transformation does not support class org.apache.kafka.connect.data.Struct for \
                         record without schemas (for field {name})."
                    )))
                }
                other => out.put(name, other.clone()),
            }
        }
        Ok(())
    }

    fn apply_with_schema(&mut self, schema: &SchemaRef, value: &Value) -> Result<(SchemaRef, Value)> {
        let original = require_struct(value, PURPOSE)?;
        let delimiter = &self.delimiter;
        let updated = self.cache.get_or_try_insert(schema, || build_schema(schema, delimiter))?;
        let mut out = Struct::new(updated.clone())?;
        self.flatten_struct(Some(original), "", &mut out)?;
        Ok((updated, Value::Struct(out)))
    }

    /// Kafka's `buildWithSchema`: a struct's fields into the flat struct.
    fn flatten_struct(&self, value: Option<&Struct>, prefix: &str, out: &mut Struct) -> Result<()> {
        let Some(value) = value else { return Ok(()) };
        for field in &value.schema.fields {
            let name = self.field_name(prefix, &field.name);
            match field.schema.schema_type {
                SchemaType::Struct => {
                    // `getStruct`: the value as set (a null nested struct leaves its fields unset).
                    let nested = match &value.values[field.index] {
                        Value::Struct(s) => Some(s),
                        _ => None,
                    };
                    self.flatten_struct(nested, &name, out)?;
                }
                SchemaType::Map => return Err(unsupported_map(&name)),
                _ => {
                    out.put(&name, value.get(&field.name)?.clone())?;
                }
            }
        }
        Ok(())
    }
}

impl Transformation for Flatten {
    fn apply(&mut self, record: Record) -> Result<Option<Record>> {
        if self.side.value(&record).is_null() {
            return Ok(Some(record));
        }
        replace_side(self.side, record, |schema, value| match schema {
            None => Ok((None, self.apply_schemaless(&value)?)),
            Some(schema) => self.apply_with_schema(&schema, &value).map(|(s, v)| (Some(s), v)),
        })
    }
}

/// The flat map being built: Java's `LinkedHashMap` (a repeated key keeps its first place and
/// takes the last value).
#[derive(Default)]
struct FlatMap {
    entries: Vec<(Value, Value)>,
    index: HashMap<String, usize>,
}

impl FlatMap {
    fn put(&mut self, key: String, value: Value) {
        match self.index.get(&key) {
            Some(i) => self.entries[*i].1 = value,
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((Value::String(key), value));
            }
        }
    }
}

fn unsupported_map(name: &str) -> Error {
    Error::data(format!("Flatten transformation does not support MAP for record with schemas (for field {name})."))
}

/// Kafka's schema derivation: the top struct's basics, then every leaf field.
fn build_schema(schema: &Schema, delimiter: &str) -> Result<SchemaRef> {
    require_struct_schema(schema)?;
    let mut builder = copy_schema_basics(schema, SchemaBuilder::struct_());
    let default = match &schema.default {
        Some(Value::Struct(s)) => Some(s),
        _ => None,
    };
    add_fields(schema, "", delimiter, &mut builder, schema.optional, default)?;
    builder.build()
}

/// Kafka's `buildUpdatedSchema`: `optional` when any parent is; defaults from the field, else
/// from the parents' default struct.
fn add_fields(
    schema: &Schema,
    prefix: &str,
    delimiter: &str,
    builder: &mut SchemaBuilder,
    optional: bool,
    parent_default: Option<&Struct>,
) -> Result<()> {
    for field in &schema.fields {
        let name = if prefix.is_empty() { field.name.clone() } else { format!("{prefix}{delimiter}{}", field.name) };
        let optional = optional || field.schema.optional;
        let default = match (&field.schema.default, parent_default) {
            (Some(default), _) => Some(default.clone()),
            (None, Some(parent)) => {
                let value = parent.values.get(field.index).cloned().unwrap_or(Value::Null);
                (!value.is_null()).then_some(value)
            }
            (None, None) => None,
        };
        match field.schema.schema_type {
            SchemaType::Struct => {
                let nested = match &default {
                    Some(Value::Struct(s)) => Some(s),
                    _ => None,
                };
                add_fields(&field.schema, &name, delimiter, builder, optional, nested)?;
            }
            SchemaType::Map => return Err(unsupported_map(&name)),
            _ => {
                let mut leaf = copy_schema_basics_of(&field.schema);
                if optional {
                    leaf = leaf.optional();
                }
                if let Some(default) = default {
                    leaf = leaf.default_value(default);
                }
                builder.add_field(&name, leaf.build()?)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "flatten_tests.rs"]
mod tests;
