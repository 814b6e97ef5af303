//! `ValueToKey`: replaces the key with a struct (or map) of some of the value's fields.

use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use crate::data::{SchemaBuilder, Struct, Value};
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::transforms::config_util;
use crate::transforms::field_path::{FieldSyntaxVersion, SingleFieldPath, FIELD_SYNTAX_VERSION_CONFIG};
use crate::transforms::schema_basics::map_put;
use crate::transforms::schema_cache::SchemaCache;
use crate::transforms::side::{require_map, require_struct};
use crate::transforms::simple_config::{define, SimpleConfig};
use crate::transforms::{validators, Record, Transformation};

const FIELDS_CONFIG: &str = "fields";
const PURPOSE: &str = "copying fields from value to key";

/// Kafka's `ValueToKey.CONFIG_DEF`.
pub(crate) fn config_def() -> ConfigDef {
    let def = define(
        ConfigDef::new(),
        ConfigKey::new(
            FIELDS_CONFIG,
            ConfigType::List,
            None,
            Importance::High,
            "Field names on the record value to extract as the record key.",
        )
        .with_validator(validators::non_empty_list()),
    );
    let def = define(def, config_util::replace_null_with_default_key());
    // Kafka 4.4's ValueToKey takes KIP-821 paths too (`FieldSyntaxVersion.appendConfigTo`).
    define(def, FieldSyntaxVersion::config_key())
}

pub(crate) struct ValueToKey {
    fields: Vec<String>,
    /// One path per field, read with `field.syntax.version`; the key's fields keep the names as written.
    paths: Vec<SingleFieldPath>,
    replace_null_with_default: bool,
    /// The value's schema → the key's.
    cache: SchemaCache,
}

pub(crate) fn make(props: &Config) -> Result<Box<dyn Transformation>> {
    let config = SimpleConfig::new(&config_def(), props)?;
    // Kafka 4.4's ConfigDef drops repeated items of a `ValidList` key (with a warning), so
    // `fields=id,name,id` is `id,name` (as `config_util::distinct` does for smt-t1's transforms).
    let mut fields: Vec<String> = Vec::new();
    for field in config.list(FIELDS_CONFIG) {
        if !fields.contains(&field) {
            fields.push(field);
        }
    }
    let version = FieldSyntaxVersion::from_config(config.string(FIELD_SYNTAX_VERSION_CONFIG).unwrap_or("V1"))?;
    let paths = fields.iter().map(|f| SingleFieldPath::new(f, version, FIELDS_CONFIG)).collect::<Result<_>>()?;
    Ok(Box::new(ValueToKey {
        fields,
        paths,
        replace_null_with_default: config.boolean(config_util::REPLACE_NULL_WITH_DEFAULT),
        cache: SchemaCache::new(),
    }))
}

impl Transformation for ValueToKey {
    fn apply(&mut self, mut record: Record) -> Result<Option<Record>> {
        if record.value_schema.is_none() {
            let value = require_map(&record.value, PURPOSE)?;
            let mut key = Vec::with_capacity(self.fields.len());
            for (field, path) in self.fields.iter().zip(&self.paths) {
                map_put(&mut key, field, path.value_from_map(value)?);
            }
            record.key_schema = None;
            record.key = Value::Map(key);
            return Ok(Some(record));
        }
        let value = require_struct(&record.value, PURPOSE)?;
        let (fields, paths) = (&self.fields, &self.paths);
        let key_schema = self.cache.get_or_try_insert(&value.schema, || {
            let mut builder = SchemaBuilder::struct_();
            for (field, path) in fields.iter().zip(paths) {
                let from_value = path
                    .field_from(&value.schema)?
                    .ok_or_else(|| Error::data(format!("Field does not exist: {field}")))?;
                builder = builder.field(field, from_value.schema.clone());
            }
            builder.build()
        })?;
        let mut key = Struct::new(key_schema.clone())?;
        for (field, path) in fields.iter().zip(paths) {
            key.put(field, path.value_from_struct(value, self.replace_null_with_default)?)?;
        }
        // Kafka sets the value's schema to the struct's own.
        record.value_schema = Some(value.schema.clone());
        record.key_schema = Some(key_schema);
        record.key = key.into();
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

    fn xform(fields: &str, replace: &str) -> Box<dyn Transformation> {
        let props: Config =
            [("fields".to_owned(), fields.to_owned()), ("replace.null.with.default".to_owned(), replace.to_owned())]
                .into();
        make(&props).unwrap()
    }

    #[test]
    fn schemaless() {
        let value = Value::Map(vec![
            (Value::from("a"), Value::Int64(1)),
            (Value::from("b"), Value::Int64(2)),
            (Value::from("c"), Value::Int64(3)),
        ]);
        let out = xform("a,b", "true").apply(Record::new("", value.clone())).unwrap().unwrap();
        assert_eq!(out.key_schema, None);
        assert_eq!(out.key, Value::Map(vec![(Value::from("a"), Value::Int64(1)), (Value::from("b"), Value::Int64(2))]));
        assert_eq!(out.value, value);
    }

    #[test]
    fn repeated_fields_once_as_kafkas_config_def() {
        let value = Value::Map(vec![(Value::from("a"), Value::Int64(1)), (Value::from("b"), Value::Int64(2))]);
        let out = xform("a,b,a", "true").apply(Record::new("", value)).unwrap().unwrap();
        assert_eq!(out.key, Value::Map(vec![(Value::from("a"), Value::Int64(1)), (Value::from("b"), Value::Int64(2))]));
    }

    #[test]
    fn v2_paths_reach_nested_fields() {
        let props: Config =
            [("fields".to_owned(), "n.x,b".to_owned()), ("field.syntax.version".to_owned(), "V2".to_owned())].into();
        let inner = Value::Map(vec![(Value::from("x"), Value::Int64(7))]);
        let value = Value::Map(vec![(Value::from("n"), inner), (Value::from("b"), Value::Int64(2))]);
        let out = make(&props).unwrap().apply(Record::new("", value)).unwrap().unwrap();
        assert_eq!(
            out.key,
            Value::Map(vec![(Value::from("n.x"), Value::Int64(7)), (Value::from("b"), Value::Int64(2))])
        );

        let inner_schema = SchemaBuilder::struct_().field("x", Schema::of(SchemaType::Int32)).build().unwrap();
        let value_schema = SchemaBuilder::struct_().field("n", inner_schema.clone()).build().unwrap();
        let inner = Struct::new(inner_schema).unwrap().with("x", 5).unwrap();
        let value = Struct::new(value_schema.clone()).unwrap().with("n", inner).unwrap();
        let props: Config =
            [("fields".to_owned(), "n.x".to_owned()), ("field.syntax.version".to_owned(), "V2".to_owned())].into();
        let mut record = Record::new("", value.into());
        record.value_schema = Some(value_schema);
        let out = make(&props).unwrap().apply(record).unwrap().unwrap();
        let key_schema = out.key_schema.unwrap();
        assert_eq!(key_schema.fields[0].name, "n.x");
        assert_eq!(out.key, Value::Struct(Struct::new(key_schema).unwrap().with("n.x", 5).unwrap()));
    }

    #[test]
    fn with_schema() {
        let value_schema = SchemaBuilder::struct_()
            .field("a", Schema::of(SchemaType::Int32))
            .field("b", Schema::of(SchemaType::Int32))
            .field("c", Schema::of(SchemaType::Int32))
            .build()
            .unwrap();
        let value = Struct::new(value_schema.clone())
            .unwrap()
            .with("a", 1)
            .unwrap()
            .with("b", 2)
            .unwrap()
            .with("c", 3)
            .unwrap();
        let record = Record { value_schema: Some(value_schema.clone()), ..Record::new("", value.clone().into()) };
        let out = xform("a,b", "true").apply(record).unwrap().unwrap();
        let expected_schema = SchemaBuilder::struct_()
            .field("a", Schema::of(SchemaType::Int32))
            .field("b", Schema::of(SchemaType::Int32))
            .build()
            .unwrap();
        assert_eq!(out.key_schema.as_deref(), Some(&*expected_schema));
        let expected = Struct::new(expected_schema).unwrap().with("a", 1).unwrap().with("b", 2).unwrap();
        assert_eq!(out.key, Value::Struct(expected));
        assert_eq!(out.value, Value::Struct(value));
    }

    #[test]
    fn non_existing_field() {
        let value_schema = SchemaBuilder::struct_().field("a", Schema::of(SchemaType::Int32)).build().unwrap();
        let value = Struct::new(value_schema.clone()).unwrap().with("a", 1).unwrap();
        let record = Record { value_schema: Some(value_schema), ..Record::new("", value.into()) };
        let err = xform("not_exist", "true").apply(record).unwrap_err();
        assert!(matches!(err, Error::Data(m) if m == "Field does not exist: not_exist"));
    }

    #[test]
    fn test_replace_null_with_default() {
        let value_schema = SchemaBuilder::struct_()
            .field("a", SchemaBuilder::int32().optional().default_value(42).build().unwrap())
            .build()
            .unwrap();
        let value = Struct::new(value_schema.clone()).unwrap();
        for (replace, expected) in [("true", Value::Int32(42)), ("false", Value::Null)] {
            let record = Record { value_schema: Some(value_schema.clone()), ..Record::new("", value.clone().into()) };
            let out = xform("a", replace).apply(record).unwrap().unwrap();
            let Value::Struct(key) = out.key else { panic!("a struct") };
            assert_eq!(key.get_without_default("a").unwrap(), &expected);
        }
    }

    #[test]
    fn schemaless_tombstone_is_a_data_error() {
        let err = xform("a", "true").apply(Record::new("", Value::Null)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Only Map objects supported in absence of schema for [copying fields from value to key], found: null"
        );
    }

    #[test]
    fn fields_must_not_be_empty() {
        let props: Config = [("fields".to_owned(), "".to_owned())].into();
        let err = make(&props).err().unwrap();
        assert!(
            matches!(&err, Error::Config { key, reason } if key == "fields" && reason.ends_with("Empty list")),
            "{err}"
        );
    }
}
