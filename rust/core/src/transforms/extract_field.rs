//! `ExtractField$Key` / `ExtractField$Value`: replaces the key or value with one of its fields
//! (a struct's field with that field's schema, or a schemaless map's entry). A null key or value
//! passes through. With `field.syntax.version=V2` the field may be nested (KIP-821).

use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use crate::data::Value;
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::transforms::config_util;
use crate::transforms::field_path::{FieldSyntaxVersion, SingleFieldPath, FIELD_SYNTAX_VERSION_CONFIG};
use crate::transforms::side::{require_map, require_struct, Side};
use crate::transforms::simple_config::{define, SimpleConfig};
use crate::transforms::{Record, Transformation};

const FIELD_CONFIG: &str = "field";
const PURPOSE: &str = "field extraction";

/// Kafka's `ExtractField.CONFIG_DEF`.
pub(crate) fn config_def() -> ConfigDef {
    let def = define(
        ConfigDef::new(),
        ConfigKey::new(FIELD_CONFIG, ConfigType::String, None, Importance::Medium, "Field name to extract."),
    );
    let def = define(def, config_util::replace_null_with_default_key());
    define(def, FieldSyntaxVersion::config_key())
}

pub(crate) struct ExtractField {
    side: Side,
    path: SingleFieldPath,
    /// The configured path, as Kafka names it in "Unknown field".
    original: String,
    replace_null_with_default: bool,
}

impl ExtractField {
    fn configure(side: Side, props: &Config) -> Result<Self> {
        let config = SimpleConfig::new(&config_def(), props)?;
        let original = config.string(FIELD_CONFIG).unwrap_or_default().to_owned();
        let version = FieldSyntaxVersion::from_config(config.string(FIELD_SYNTAX_VERSION_CONFIG).unwrap_or("V1"))?;
        let path = SingleFieldPath::new(&original, version, FIELD_CONFIG)?;
        let replace_null_with_default = config.boolean(config_util::REPLACE_NULL_WITH_DEFAULT);
        Ok(ExtractField { side, path, original, replace_null_with_default })
    }
}

pub(crate) fn make_key(props: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(ExtractField::configure(Side::Key, props)?))
}

pub(crate) fn make_value(props: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(ExtractField::configure(Side::Value, props)?))
}

impl Transformation for ExtractField {
    fn apply(&mut self, mut record: Record) -> Result<Option<Record>> {
        let (schema, value) = self.side.take(&mut record);
        let (schema, value) = match schema {
            None => {
                let extracted = match &value {
                    Value::Null => Value::Null,
                    other => self.path.value_from_map(require_map(other, PURPOSE)?)?,
                };
                (None, extracted)
            }
            Some(schema) => {
                let value = match &value {
                    Value::Null => None,
                    other => Some(require_struct(other, PURPOSE)?),
                };
                // Looked up in the record's schema, even for a null value.
                let field = self.path.field_from(&schema)?;
                let field = field.ok_or_else(|| Error::data(format!("Unknown field: {}", self.original)))?;
                let extracted = match value {
                    None => Value::Null,
                    Some(s) => self.path.value_from_struct(s, self.replace_null_with_default)?,
                };
                (Some(field.schema.clone()), extracted)
            }
        };
        self.side.put(&mut record, schema, value);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Schema, SchemaBuilder, SchemaType, Struct};

    fn config(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn key_record(key_schema: Option<crate::data::SchemaRef>, key: Value) -> Record {
        Record { key_schema, key, partition: Some(0), offset: Some(0), ..Record::new("test", Value::Null) }
    }

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::Map(entries.iter().map(|(k, v)| (Value::from(*k), v.clone())).collect())
    }

    fn apply_key(props: &[(&str, &str)], record: Record) -> Result<Record> {
        let mut xform = make_key(&config(props))?;
        Ok(xform.apply(record)?.expect("not dropped"))
    }

    #[test]
    fn schemaless() {
        let out = apply_key(&[("field", "magic")], key_record(None, map(&[("magic", Value::Int64(42))]))).unwrap();
        assert_eq!((out.key_schema, out.key), (None, Value::Int64(42)));
    }

    #[test]
    fn schemaless_and_nested_path() {
        let key = map(&[("magic", map(&[("foo", Value::Int64(42))]))]);
        let props = [("field", "magic.foo"), ("field.syntax.version", "V2")];
        let out = apply_key(&props, key_record(None, key)).unwrap();
        assert_eq!(out.key, Value::Int64(42));
    }

    #[test]
    fn null_schemaless() {
        let out = apply_key(&[("field", "magic")], key_record(None, Value::Null)).unwrap();
        assert_eq!((out.key_schema, out.key), (None, Value::Null));
    }

    #[test]
    fn with_schema() {
        let schema = SchemaBuilder::struct_().field("magic", Schema::of(SchemaType::Int32)).build().unwrap();
        let key = Struct::new(schema.clone()).unwrap().with("magic", 42).unwrap();
        let out = apply_key(&[("field", "magic")], key_record(Some(schema), key.into())).unwrap();
        assert_eq!(out.key_schema, Some(Schema::of(SchemaType::Int32)));
        assert_eq!(out.key, Value::Int32(42));
    }

    #[test]
    fn with_schema_and_nested_path() {
        let foo = SchemaBuilder::struct_().field("foo", Schema::of(SchemaType::Int32)).build().unwrap();
        let schema = SchemaBuilder::struct_().field("magic", foo.clone()).build().unwrap();
        let inner = Struct::new(foo).unwrap().with("foo", 42).unwrap();
        let key = Struct::new(schema.clone()).unwrap().with("magic", inner).unwrap();
        let props = [("field", "magic.foo"), ("field.syntax.version", "v2")];
        let out = apply_key(&props, key_record(Some(schema), key.into())).unwrap();
        assert_eq!((out.key_schema, out.key), (Some(Schema::of(SchemaType::Int32)), Value::Int32(42)));
    }

    #[test]
    fn test_null_with_schema() {
        let schema = SchemaBuilder::struct_().field("magic", Schema::of(SchemaType::Int32)).optional().build().unwrap();
        let out = apply_key(&[("field", "magic")], key_record(Some(schema), Value::Null)).unwrap();
        assert_eq!((out.key_schema, out.key), (Some(Schema::of(SchemaType::Int32)), Value::Null));
    }

    #[test]
    fn non_existent_field_schemaless_should_return_null() {
        let record = key_record(None, map(&[("magic", Value::Int64(42))]));
        assert_eq!(apply_key(&[("field", "nonexistent")], record).unwrap().key, Value::Null);
        let nested = key_record(None, map(&[("magic", map(&[("foo", Value::Int64(42))]))]));
        let props = [("field", "magic.nonexistent"), ("field.syntax.version", "V2")];
        assert_eq!(apply_key(&props, nested).unwrap().key, Value::Null);
    }

    #[test]
    fn non_existent_field_with_schema_should_fail() {
        let schema = SchemaBuilder::struct_().field("magic", Schema::of(SchemaType::Int32)).build().unwrap();
        let key = Struct::new(schema.clone()).unwrap().with("magic", 42).unwrap();
        let err = apply_key(&[("field", "nonexistent")], key_record(Some(schema.clone()), key.clone().into()));
        assert!(matches!(err.unwrap_err(), Error::Data(m) if m == "Unknown field: nonexistent"));
        let props = [("field", "magic.nonexistent"), ("field.syntax.version", "V2")];
        let err = apply_key(&props, key_record(Some(schema), key.into())).unwrap_err();
        assert_eq!(err.to_string(), "Cannot look up fields on non-struct type");
    }

    #[test]
    fn non_existent_nested_field_with_schema_should_fail() {
        let foo = SchemaBuilder::struct_().field("foo", Schema::of(SchemaType::Int32)).build().unwrap();
        let schema = SchemaBuilder::struct_().field("magic", foo.clone()).build().unwrap();
        let inner = Struct::new(foo).unwrap().with("foo", 42).unwrap();
        let key = Struct::new(schema.clone()).unwrap().with("magic", inner).unwrap();
        let props = [("field", "magic.nonexistent"), ("field.syntax.version", "V2")];
        let err = apply_key(&props, key_record(Some(schema), key.into())).unwrap_err();
        assert!(matches!(err, Error::Data(m) if m == "Unknown field: magic.nonexistent"));
    }

    #[test]
    fn test_unset_optional_key_and_field() {
        let schema = SchemaBuilder::struct_()
            .field("optional_with_default", SchemaBuilder::int32().optional().default_value(42).build().unwrap())
            .build()
            .unwrap();
        let value: Value = Struct::new(schema.clone()).unwrap().into();
        for (replace, expected) in [("false", Value::Null), ("true", Value::Int32(42))] {
            let props = [("field", "optional_with_default"), ("replace.null.with.default", replace)];
            let out = apply_key(&props, key_record(Some(schema.clone()), value.clone())).unwrap();
            assert_eq!(out.key, expected);
            let mut xform = make_value(&config(&props)).unwrap();
            let record = Record { value_schema: Some(schema.clone()), ..Record::new("test", value.clone()) };
            assert_eq!(xform.apply(record).unwrap().unwrap().value, expected);
        }
    }

    #[test]
    fn schemaless_non_map_is_a_data_error() {
        let err = apply_key(&[("field", "magic")], key_record(None, Value::Int64(1))).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Only Map objects supported in absence of schema for [field extraction], found: java.lang.Long"
        );
    }

    #[test]
    fn config_errors_name_the_key() {
        let missing = make_key(&config(&[])).err().unwrap();
        assert!(matches!(&missing, Error::Config { key, .. } if key == "field"), "{missing}");
        let bad = make_key(&config(&[("field", "a"), ("field.syntax.version", "V3")])).err().unwrap();
        assert!(
            matches!(&bad, Error::Config { key, reason } if key == "field.syntax.version"
            && reason == "Invalid value V3 for configuration field.syntax.version: String must be one of (case insensitive): V1, V2"),
            "{bad}"
        );
        let backtick = make_key(&config(&[("field", "`a"), ("field.syntax.version", "V2")])).err().unwrap();
        assert!(matches!(&backtick, Error::Config { key, .. } if key == "field"), "{backtick}");
    }
}
