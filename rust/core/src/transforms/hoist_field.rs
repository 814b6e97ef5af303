//! `HoistField$Key` / `HoistField$Value`: wraps the key or value in a struct (schema'd) or a map
//! (schemaless) with one field of the configured name.

use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use crate::data::{SchemaBuilder, Struct, Value};
use crate::error::Result;
use crate::runtime::plugin::Config;
use crate::transforms::schema_cache::SchemaCache;
use crate::transforms::side::Side;
use crate::transforms::simple_config::{define, SimpleConfig};
use crate::transforms::{Record, Transformation};

const FIELD_CONFIG: &str = "field";

/// Kafka's `HoistField.CONFIG_DEF`.
pub(crate) fn config_def() -> ConfigDef {
    define(
        ConfigDef::new(),
        ConfigKey::new(
            FIELD_CONFIG,
            ConfigType::String,
            None,
            Importance::Medium,
            "Field name for the single field that will be created in the resulting Struct or Map.",
        ),
    )
}

pub(crate) struct HoistField {
    side: Side,
    field: String,
    /// Operating schema → the struct schema wrapping it.
    cache: SchemaCache,
}

impl HoistField {
    fn configure(side: Side, props: &Config) -> Result<Self> {
        let config = SimpleConfig::new(&config_def(), props)?;
        let field = config.string(FIELD_CONFIG).unwrap_or_default().to_owned();
        Ok(HoistField { side, field, cache: SchemaCache::new() })
    }
}

pub(crate) fn make_key(props: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(HoistField::configure(Side::Key, props)?))
}

pub(crate) fn make_value(props: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(HoistField::configure(Side::Value, props)?))
}

impl Transformation for HoistField {
    fn apply(&mut self, mut record: Record) -> Result<Option<Record>> {
        let (schema, value) = self.side.take(&mut record);
        match schema {
            None => {
                let hoisted = Value::Map(vec![(Value::from(self.field.as_str()), value)]);
                self.side.put(&mut record, None, hoisted);
            }
            Some(schema) => {
                let field = &self.field;
                let updated = self
                    .cache
                    .get_or_try_insert(&schema, || SchemaBuilder::struct_().field(field, schema.clone()).build())?;
                let mut hoisted = Struct::new(updated.clone())?;
                hoisted.put(field, value)?;
                self.side.put(&mut record, Some(updated), hoisted.into());
            }
        }
        Ok(Some(record))
    }

    fn close(&mut self) {
        self.cache.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Schema, SchemaType};

    fn hoist_key(record: Record) -> Result<Record> {
        let props: Config = [("field".to_owned(), "magic".to_owned())].into();
        Ok(make_key(&props)?.apply(record)?.unwrap())
    }

    #[test]
    fn schemaless() {
        let record = Record { key: Value::Int64(42), ..Record::new("test", Value::Null) };
        let out = hoist_key(record).unwrap();
        assert_eq!(out.key_schema, None);
        assert_eq!(out.key, Value::Map(vec![(Value::from("magic"), Value::Int64(42))]));
    }

    #[test]
    fn with_schema() {
        let record = Record {
            key_schema: Some(Schema::of(SchemaType::Int32)),
            key: Value::Int32(42),
            ..Record::new("test", Value::Null)
        };
        let out = hoist_key(record).unwrap();
        let expected = SchemaBuilder::struct_().field("magic", Schema::of(SchemaType::Int32)).build().unwrap();
        assert_eq!(out.key_schema.as_deref(), Some(&*expected));
        let Value::Struct(key) = out.key else { panic!("a struct") };
        assert_eq!(key.get("magic").unwrap(), &Value::Int32(42));
    }

    #[test]
    fn null_for_a_required_schema_is_a_data_error() {
        let record = Record {
            key_schema: Some(Schema::of(SchemaType::Int32)),
            key: Value::Null,
            ..Record::new("t", Value::Null)
        };
        let err = hoist_key(record).unwrap_err();
        assert_eq!(err.to_string(), "Invalid value: null used for required field: \"magic\", schema type: INT32");
    }

    #[test]
    fn schemaless_null_is_hoisted() {
        let out = hoist_key(Record::new("t", Value::Null)).unwrap();
        assert_eq!(out.key, Value::Map(vec![(Value::from("magic"), Value::Null)]));
    }
}
