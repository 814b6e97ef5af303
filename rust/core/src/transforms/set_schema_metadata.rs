//! Kafka's `SetSchemaMetadata$Key` / `SetSchemaMetadata$Value`: sets the name and/or version of the
//! key's or value's schema, and re-attaches a struct value to the renamed schema (Kafka's
//! `updateSchemaIn`, which copies each field, its default replacing a null when
//! `replace.null.with.default`).
//!
//! As in Kafka 4.4, the schema must be a STRUCT: Kafka copies the schema's fields for every schema,
//! which fails for the other types (so a Decimal or another logical type cannot be renamed, and
//! keeps its name). Kafka keeps no cache here; one is kept anyway (the schemas are equal either way).

use std::sync::Arc;

use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance};
use crate::data::{Schema, SchemaRef, Struct, Value};
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::transforms::config_util as cfg;
use crate::transforms::schema_cache::SchemaCache;
use crate::transforms::schema_util::{field_value, replace_side, require_struct_schema};
use crate::transforms::side::{require_schema, Side};
use crate::transforms::{Record, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.SetSchemaMetadata$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.SetSchemaMetadata$Value";

const SCHEMA_NAME: &str = "schema.name";
const SCHEMA_VERSION: &str = "schema.version";

/// SetSchemaMetadata's keys, as Kafka defines them.
pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .define(ConfigKey::new(
            SCHEMA_NAME,
            ConfigType::String,
            Some(ConfigValue::Null),
            Importance::High,
            "Schema name to set.",
        ))
        .and_then(|def| {
            def.define(ConfigKey::new(
                SCHEMA_VERSION,
                ConfigType::Int,
                Some(ConfigValue::Null),
                Importance::High,
                "Schema version to set.",
            ))
        })
        .and_then(|def| def.define(cfg::replace_null_with_default_key()))
        .expect("SetSchemaMetadata's keys are defined once")
}

pub fn make_key(config: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(SetSchemaMetadata::new(Side::Key, config)?))
}

pub fn make_value(config: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(SetSchemaMetadata::new(Side::Value, config)?))
}

/// A configured SetSchemaMetadata.
pub struct SetSchemaMetadata {
    side: Side,
    name: Option<String>,
    version: Option<i32>,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl SetSchemaMetadata {
    fn new(side: Side, config: &Config) -> Result<Self> {
        let values = config_def().parse(config)?;
        let name = cfg::string(&values, SCHEMA_NAME);
        let version = cfg::int(&values, SCHEMA_VERSION);
        if name.is_none() && version.is_none() {
            return Err(Error::config(SCHEMA_NAME, "Neither schema name nor version configured"));
        }
        Ok(SetSchemaMetadata {
            side,
            name,
            version,
            replace_null_with_default: cfg::boolean(&values, cfg::REPLACE_NULL_WITH_DEFAULT),
            cache: SchemaCache::default(),
        })
    }

    /// Kafka's `updateSchemaIn`: a struct is rebuilt on the updated schema; any other value is kept.
    fn update_schema_in(&self, value: Value, updated: &SchemaRef) -> Result<Value> {
        let Value::Struct(original) = value else { return Ok(value) };
        let mut out = Struct::new(updated.clone())?;
        for field in &updated.fields {
            // The fields are the original's (Kafka reads them by the updated schema's fields).
            let value = if self.replace_null_with_default && field.index < original.values.len() {
                field_value(&original, field, true)?
            } else {
                original.get_without_default(&field.name)?
            };
            out.put(&field.name, value.clone())?;
        }
        Ok(Value::Struct(out))
    }
}

impl Transformation for SetSchemaMetadata {
    fn apply(&mut self, record: Record) -> Result<Option<Record>> {
        if self.side.value(&record).is_null() && self.side.schema(&record).is_none() {
            return Ok(Some(record));
        }
        let schema = require_schema(self.side.schema(&record), "updating schema metadata")?.clone();
        let (name, version) = (self.name.as_deref(), self.version);
        let updated = self.cache.get_or_try_insert(&schema, || updated_schema(&schema, name, version))?;
        replace_side(self.side, record, |_, value| Ok((Some(updated.clone()), self.update_schema_in(value, &updated)?)))
    }
}

/// The schema with the configured name and version, everything else as it was.
fn updated_schema(schema: &Schema, name: Option<&str>, version: Option<i32>) -> Result<SchemaRef> {
    require_struct_schema(schema)?;
    Ok(Arc::new(Schema {
        name: name.map(str::to_owned).or_else(|| schema.name.clone()),
        version: version.or(schema.version),
        ..schema.clone()
    }))
}

#[cfg(test)]
#[path = "set_schema_metadata_tests.rs"]
mod tests;
