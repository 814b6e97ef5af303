//! `InsertField$Key` / `InsertField$Value`: adds fields from the record's metadata (topic,
//! partition, offset of a sink record, timestamp) or a static string to a struct or map key/value.
//! A field name ending in `!` makes the added struct field required, `?` (the default) optional.
//! A null key or value passes through unchanged.

use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance};
use crate::data::logical::timestamp_schema;
use crate::data::{Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::transforms::config_util;
use crate::transforms::schema_basics::map_put;
use crate::transforms::schema_cache::SchemaCache;
use crate::transforms::schema_util::copy_schema_basics;
use crate::transforms::side::{require_map, require_struct, Side};
use crate::transforms::simple_config::{define, SimpleConfig};
use crate::transforms::{Record, Transformation};

const TOPIC_FIELD: &str = "topic.field";
const PARTITION_FIELD: &str = "partition.field";
const OFFSET_FIELD: &str = "offset.field";
const TIMESTAMP_FIELD: &str = "timestamp.field";
const STATIC_FIELD: &str = "static.field";
const STATIC_VALUE: &str = "static.value";
const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";
const PURPOSE: &str = "field insertion";
const OPTIONALITY_DOC: &str =
    "Suffix with <code>!</code> to make this a required field, or <code>?</code> to keep it optional (the default).";

/// Kafka's `InsertField.CONFIG_DEF`.
pub(crate) fn config_def() -> ConfigDef {
    let string = |name: &str, doc: &str| {
        ConfigKey::new(name, ConfigType::String, Some(ConfigValue::Null), Importance::Medium, doc)
    };
    let keys = [
        string(TOPIC_FIELD, &format!("Field name for Kafka topic. {OPTIONALITY_DOC}")),
        string(PARTITION_FIELD, &format!("Field name for Kafka partition. {OPTIONALITY_DOC}")),
        string(
            OFFSET_FIELD,
            &format!("Field name for Kafka offset - only applicable to sink connectors.<br/>{OPTIONALITY_DOC}"),
        ),
        string(TIMESTAMP_FIELD, &format!("Field name for record timestamp. {OPTIONALITY_DOC}")),
        string(STATIC_FIELD, &format!("Field name for static data field. {OPTIONALITY_DOC}")),
        string(STATIC_VALUE, "Static field value, if field name configured."),
        config_util::replace_null_with_default_key(),
    ];
    keys.into_iter().fold(ConfigDef::new(), define)
}

/// Kafka's `InsertionSpec`: a field name and whether the added struct field is optional.
#[derive(Debug, Clone)]
struct Spec {
    name: String,
    optional: bool,
}

impl Spec {
    fn parse(spec: Option<&str>) -> Option<Spec> {
        let spec = spec?;
        Some(if let Some(name) = spec.strip_suffix('?') {
            Spec { name: name.to_owned(), optional: true }
        } else if let Some(name) = spec.strip_suffix('!') {
            Spec { name: name.to_owned(), optional: false }
        } else {
            Spec { name: spec.to_owned(), optional: true }
        })
    }

    fn schema(&self, schema_type: SchemaType) -> SchemaRef {
        if self.optional {
            Schema::optional_of(schema_type)
        } else {
            Schema::of(schema_type)
        }
    }
}

pub(crate) struct InsertField {
    side: Side,
    specs: Specs,
    /// The struct's schema → it with the added fields.
    cache: SchemaCache,
}

/// What to insert.
struct Specs {
    topic: Option<Spec>,
    partition: Option<Spec>,
    offset: Option<Spec>,
    timestamp: Option<Spec>,
    static_field: Option<Spec>,
    static_value: Option<String>,
    replace_null_with_default: bool,
}

impl InsertField {
    fn configure(side: Side, props: &Config) -> Result<Self> {
        let config = SimpleConfig::new(&config_def(), props)?;
        let spec = |key| Spec::parse(config.string(key));
        let specs = Specs {
            topic: spec(TOPIC_FIELD),
            partition: spec(PARTITION_FIELD),
            offset: spec(OFFSET_FIELD),
            timestamp: spec(TIMESTAMP_FIELD),
            static_field: spec(STATIC_FIELD),
            static_value: config.string(STATIC_VALUE).map(str::to_owned),
            replace_null_with_default: config.boolean(REPLACE_NULL_WITH_DEFAULT),
        };
        let all = [&specs.topic, &specs.partition, &specs.offset, &specs.timestamp, &specs.static_field];
        if all.iter().all(|s| s.is_none()) {
            // Kafka names no key here; the first of the insertion keys stands for them.
            return Err(Error::config(TOPIC_FIELD, "No field insertion configured"));
        }
        if let (Some(field), None) = (&specs.static_field, &specs.static_value) {
            // Kafka prints its InsertionSpec object here; we print the field name.
            return Err(Error::config(
                STATIC_VALUE,
                format!(
                    "Invalid value null for configuration {STATIC_VALUE}: No value specified for static field: {}",
                    field.name
                ),
            ));
        }
        Ok(InsertField { side, specs, cache: SchemaCache::new() })
    }
}

impl Specs {
    /// Kafka's `requireSinkRecord(record, PURPOSE).kafkaOffset()`.
    fn sink_offset(record: &Record) -> Result<i64> {
        record.offset.ok_or_else(|| {
            Error::data(format!(
                "Only SinkRecord supported for [{PURPOSE}], found: org.apache.kafka.connect.source.SourceRecord"
            ))
        })
    }

    /// The metadata fields to add, in Kafka's order, with their values (a null partition or
    /// timestamp is not added; a static field without value is not either).
    fn insertions(&self, record: &Record) -> Result<Vec<(&str, Value)>> {
        let mut out = Vec::new();
        if let Some(spec) = &self.topic {
            out.push((spec.name.as_str(), Value::from(&*record.topic)));
        }
        if let (Some(spec), Some(partition)) = (&self.partition, record.partition) {
            out.push((spec.name.as_str(), Value::Int32(partition)));
        }
        if let Some(spec) = &self.offset {
            out.push((spec.name.as_str(), Value::Int64(Self::sink_offset(record)?)));
        }
        if let (Some(spec), Some(timestamp)) = (&self.timestamp, record.timestamp) {
            out.push((spec.name.as_str(), Value::Int64(timestamp)));
        }
        if let (Some(spec), Some(value)) = (&self.static_field, &self.static_value) {
            out.push((spec.name.as_str(), Value::from(value.as_str())));
        }
        Ok(out)
    }

    fn updated_schema(&self, schema: &Schema) -> Result<SchemaRef> {
        let mut builder = copy_schema_basics(schema, SchemaBuilder::struct_());
        for field in &schema.fields {
            builder = builder.field(&field.name, field.schema.clone());
        }
        if let Some(spec) = &self.topic {
            builder = builder.field(&spec.name, spec.schema(SchemaType::String));
        }
        if let Some(spec) = &self.partition {
            builder = builder.field(&spec.name, spec.schema(SchemaType::Int32));
        }
        if let Some(spec) = &self.offset {
            builder = builder.field(&spec.name, spec.schema(SchemaType::Int64));
        }
        if let Some(spec) = &self.timestamp {
            builder = builder.field(&spec.name, timestamp_schema(spec.optional));
        }
        if let Some(spec) = &self.static_field {
            builder = builder.field(&spec.name, spec.schema(SchemaType::String));
        }
        builder.build()
    }
}

pub(crate) fn make_key(props: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(InsertField::configure(Side::Key, props)?))
}

pub(crate) fn make_value(props: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(InsertField::configure(Side::Value, props)?))
}

impl Transformation for InsertField {
    fn apply(&mut self, mut record: Record) -> Result<Option<Record>> {
        if self.side.value(&record).is_null() {
            return Ok(Some(record));
        }
        if self.side.schema(&record).is_none() {
            let (_, value) = self.side.take(&mut record);
            require_map(&value, PURPOSE)?;
            let Value::Map(mut entries) = value else { unreachable!("checked to be a map") };
            for (name, value) in self.specs.insertions(&record)? {
                map_put(&mut entries, name, value);
            }
            self.side.put(&mut record, None, Value::Map(entries));
            return Ok(Some(record));
        }
        let value = require_struct(self.side.value(&record), PURPOSE)?;
        // Derived from the struct's own schema, as Kafka does.
        let specs = &self.specs;
        let updated = self.cache.get_or_try_insert(&value.schema, || specs.updated_schema(&value.schema))?;
        let mut updated_value = Struct::new(updated.clone())?;
        for (field, _) in value.iter() {
            let v = if specs.replace_null_with_default {
                value.get(&field.name)?
            } else {
                value.get_without_default(&field.name)?
            };
            updated_value.put(&field.name, v.clone())?;
        }
        for (name, v) in specs.insertions(&record)? {
            updated_value.put(name, v)?;
        }
        self.side.put(&mut record, Some(updated), updated_value.into());
        Ok(Some(record))
    }

    fn close(&mut self) {
        self.cache.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn props(extra: &[(&str, &str)]) -> Config {
        let mut props: Config = [
            ("topic.field", "topic_field!"),
            ("partition.field", "partition_field"),
            ("timestamp.field", "timestamp_field?"),
            ("static.field", "instance_id"),
            ("static.value", "my-instance-id"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        props.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        props
    }

    fn source(partition: i32, value_schema: Option<SchemaRef>, value: Value, timestamp: Option<i64>) -> Record {
        Record { partition: Some(partition), value_schema, timestamp, ..Record::new("test", value) }
    }

    fn get<'a>(map: &'a Value, key: &str) -> &'a Value {
        let Value::Map(entries) = map else { panic!("a map: {map:?}") };
        crate::transforms::schema_basics::map_get(entries, key)
    }

    fn simple_schema(magic: SchemaRef) -> SchemaRef {
        SchemaBuilder::struct_().name("name").version(1).doc("doc").field("magic", magic).build().unwrap()
    }

    #[test]
    fn top_level_struct_required() {
        let props: Config = [("topic.field".to_owned(), "topic_field".to_owned())].into();
        let mut xform = make_value(&props).unwrap();
        let record = source(0, Some(Schema::of(SchemaType::Int32)), Value::Int32(42), None);
        assert!(matches!(xform.apply(record), Err(Error::Data(_))));
    }

    #[test]
    fn copy_schema_and_insert_configured_fields() {
        let mut xform = make_value(&props(&[])).unwrap();
        let schema = simple_schema(Schema::optional_of(SchemaType::Int64));
        let value = Struct::new(schema.clone()).unwrap().with("magic", 42i64).unwrap();
        let out = xform.apply(source(0, Some(schema.clone()), value.into(), Some(789))).unwrap().unwrap();
        let out_schema = out.value_schema.clone().unwrap();
        assert_eq!(out_schema.name.as_deref(), Some("name"));
        assert_eq!(out_schema.version, Some(1));
        assert_eq!(out_schema.doc.as_deref(), Some("doc"));
        assert!(!out_schema.optional);
        let field = |name: &str| out_schema.field(name).unwrap().schema.clone();
        assert_eq!(field("magic"), Schema::optional_of(SchemaType::Int64));
        assert_eq!(field("topic_field"), Schema::of(SchemaType::String));
        assert_eq!(field("partition_field"), Schema::optional_of(SchemaType::Int32));
        assert_eq!(field("timestamp_field"), timestamp_schema(true));
        assert_eq!(field("instance_id"), Schema::optional_of(SchemaType::String));
        let Value::Struct(s) = &out.value else { panic!("a struct") };
        assert_eq!(s.get("magic").unwrap(), &Value::Int64(42));
        assert_eq!(s.get("topic_field").unwrap(), &Value::from("test"));
        assert_eq!(s.get("partition_field").unwrap(), &Value::Int32(0));
        assert_eq!(s.get("timestamp_field").unwrap(), &Value::Int64(789));
        assert_eq!(s.get("instance_id").unwrap(), &Value::from("my-instance-id"));

        // The derived schema is cached: the same Arc for the same input schema.
        let again = source(1, Some(schema.clone()), Struct::new(schema).unwrap().into(), None);
        let out2 = xform.apply(again).unwrap().unwrap();
        assert!(Arc::ptr_eq(&out_schema, out2.value_schema.as_ref().unwrap()));
    }

    #[test]
    fn schemaless_insert_configured_fields() {
        let mut xform = make_value(&props(&[])).unwrap();
        let value = Value::Map(vec![(Value::from("magic"), Value::Int64(42))]);
        let out = xform.apply(source(0, None, value, Some(123))).unwrap().unwrap();
        assert_eq!(get(&out.value, "magic"), &Value::Int64(42));
        assert_eq!(get(&out.value, "topic_field"), &Value::from("test"));
        assert_eq!(get(&out.value, "partition_field"), &Value::Int32(0));
        assert_eq!(get(&out.value, "timestamp_field"), &Value::Int64(123));
        assert_eq!(get(&out.value, "instance_id"), &Value::from("my-instance-id"));
    }

    #[test]
    fn insert_configured_fields_into_tombstone_event_leaves_value_unchanged() {
        let mut xform = make_value(&props(&[])).unwrap();
        let out = xform.apply(source(0, None, Value::Null, None)).unwrap().unwrap();
        assert_eq!((out.value_schema, out.value), (None, Value::Null));
        let schema = simple_schema(Schema::optional_of(SchemaType::Int64));
        let out = xform.apply(source(0, Some(schema.clone()), Value::Null, None)).unwrap().unwrap();
        assert_eq!((out.value_schema, out.value), (Some(schema), Value::Null));
    }

    #[test]
    fn insert_key_fields_into_tombstone_event() {
        let mut xform = make_key(&props(&[])).unwrap();
        let record = Record {
            key: Value::Map(vec![(Value::from("magic"), Value::Int64(42))]),
            ..source(0, None, Value::Null, None)
        };
        let out = xform.apply(record).unwrap().unwrap();
        assert_eq!(get(&out.key, "magic"), &Value::Int64(42));
        assert_eq!(get(&out.key, "topic_field"), &Value::from("test"));
        assert_eq!(get(&out.key, "partition_field"), &Value::Int32(0));
        assert_eq!(get(&out.key, "timestamp_field"), &Value::Null);
        assert_eq!(get(&out.key, "instance_id"), &Value::from("my-instance-id"));
        assert_eq!(out.value, Value::Null);
    }

    #[test]
    fn insert_into_null_key_leaves_record_unchanged() {
        let mut xform = make_key(&props(&[])).unwrap();
        let record = source(0, None, Value::Map(vec![(Value::from("magic"), Value::Int64(42))]), None);
        assert_eq!(xform.apply(record.clone()).unwrap().unwrap(), record);
    }

    #[test]
    fn test_unset_optional_field() {
        for (replace, expected) in [("false", Value::Null), ("true", Value::Int64(42))] {
            let mut xform = make_value(&props(&[("replace.null.with.default", replace)])).unwrap();
            let magic = SchemaBuilder::int64().optional().default_value(42i64).build().unwrap();
            let schema = simple_schema(magic.clone());
            let value = Struct::new(schema.clone()).unwrap();
            let out = xform.apply(source(0, Some(schema), value.into(), Some(789))).unwrap().unwrap();
            assert_eq!(out.value_schema.as_ref().unwrap().field("magic").unwrap().schema, magic);
            let Value::Struct(s) = &out.value else { panic!("a struct") };
            assert_eq!(s.get_without_default("magic").unwrap(), &expected);
        }
    }

    #[test]
    fn offset_is_for_sink_records_only() {
        let props: Config = [("offset.field".to_owned(), "offset!".to_owned())].into();
        let mut xform = make_value(&props).unwrap();
        let value = Value::Map(Vec::new());
        let err = xform.apply(source(0, None, value.clone(), None)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Only SinkRecord supported for [field insertion], found: org.apache.kafka.connect.source.SourceRecord"
        );
        let sink = Record { offset: Some(7), ..source(0, None, value, None) };
        assert_eq!(get(&xform.apply(sink).unwrap().unwrap().value, "offset"), &Value::Int64(7));
        let schema = SchemaBuilder::struct_().build().unwrap();
        let sink =
            Record { offset: Some(7), ..source(0, Some(schema.clone()), Struct::new(schema).unwrap().into(), None) };
        let out = xform.apply(sink).unwrap().unwrap();
        assert_eq!(out.value_schema.unwrap().field("offset").unwrap().schema, Schema::of(SchemaType::Int64));
    }

    #[test]
    fn config_errors() {
        let none = make_value(&Config::new()).err().unwrap();
        assert!(matches!(&none, Error::Config { reason, .. } if reason == "No field insertion configured"));
        let props: Config = [("static.field".to_owned(), "s".to_owned())].into();
        let no_value = make_value(&props).err().unwrap();
        assert!(matches!(&no_value, Error::Config { key, .. } if key == "static.value"), "{no_value}");
    }

    #[test]
    fn an_existing_field_of_the_same_name_is_a_data_error() {
        let props: Config = [("topic.field".to_owned(), "magic".to_owned())].into();
        let mut xform = make_value(&props).unwrap();
        let schema = simple_schema(Schema::optional_of(SchemaType::Int64));
        let err = xform.apply(source(0, Some(schema.clone()), Struct::new(schema).unwrap().into(), None)).unwrap_err();
        assert_eq!(err.to_string(), "Cannot create field because of field name duplication magic");
    }
}
