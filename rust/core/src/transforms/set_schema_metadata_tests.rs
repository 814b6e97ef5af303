//! Kafka's `SetSchemaMetadataTest`, case by case, plus Kafka 4.4's refusal of non-struct schemas.

use super::*;
use crate::data::logical::decimal_schema;
use crate::data::{SchemaBuilder, SchemaType};
use crate::transforms::test_util::*;

fn empty_struct() -> SchemaRef {
    SchemaBuilder::struct_().build().unwrap()
}

#[test]
fn schema_name_update() {
    let mut t = configure(make_value, &[("schema.name", "foo")]);
    let out = apply(t.as_mut(), value_record(Some(empty_struct()), Value::Null));
    assert_eq!(out.value_schema.unwrap().name.as_deref(), Some("foo"));
}

#[test]
fn schema_version_update() {
    let mut t = configure(make_value, &[("schema.version", "42")]);
    let out = apply(t.as_mut(), value_record(Some(empty_struct()), Value::Null));
    assert_eq!(out.value_schema.unwrap().version, Some(42));
}

#[test]
fn schema_name_and_version_update() {
    let mut t = configure(make_value, &[("schema.name", "foo"), ("schema.version", "42")]);
    let out = apply(t.as_mut(), value_record(Some(empty_struct()), Value::Null));
    let schema = out.value_schema.unwrap();
    assert_eq!((schema.name.as_deref(), schema.version), (Some("foo"), Some(42)));
}

fn f1_f2(f1: SchemaRef) -> SchemaRef {
    SchemaBuilder::struct_()
        .name("my.orig.SchemaDefn")
        .field("f1", f1)
        .field("f2", Schema::of(SchemaType::Int32))
        .build()
        .unwrap()
}

#[test]
fn schema_name_and_version_update_with_struct() {
    let schema = f1_f2(Schema::of(SchemaType::String));
    let value = make_struct(&schema, &[("f1", Value::from("value1")), ("f2", Value::Int32(1))]);
    let mut t = configure(make_value, &[("schema.name", "foo"), ("schema.version", "42")]);
    let out = apply(t.as_mut(), value_record(Some(schema), Value::Struct(value)));
    let schema = out.value_schema.unwrap();
    assert_eq!((schema.name.as_deref(), schema.version), (Some("foo"), Some(42)));
    // The struct points at the new schema, field for field.
    let value = as_struct(&out.value);
    assert!(Arc::ptr_eq(&value.schema, &schema));
    assert_eq!(value.get("f1").unwrap(), &Value::from("value1"));
    assert_eq!(value.get("f2").unwrap(), &Value::Int32(1));
}

#[test]
fn schema_name_and_version_update_with_struct_and_null_field() {
    for (replace, expected) in [("false", Value::Null), ("true", Value::from("default"))] {
        let schema = f1_f2(SchemaBuilder::string().default_value("default").optional().build().unwrap());
        let value = make_struct(&schema, &[("f1", Value::Null), ("f2", Value::Int32(1))]);
        let mut t = configure(
            make_value,
            &[("schema.name", "foo"), ("schema.version", "42"), ("replace.null.with.default", replace)],
        );
        let out = apply(t.as_mut(), value_record(Some(schema), Value::Struct(value)));
        let schema = out.value_schema.unwrap();
        assert_eq!((schema.name.as_deref(), schema.version), (Some("foo"), Some(42)));
        assert!(Arc::ptr_eq(&as_struct(&out.value).schema, &schema));
        assert_eq!(as_struct(&out.value).get_without_default("f1").unwrap(), &expected);
    }
}

#[test]
fn value_schema_required() {
    let mut t = configure(make_value, &[("schema.name", "foo")]);
    assert_eq!(
        data_error(t.as_mut(), value_record(None, Value::Int32(42))),
        "Schema required for [updating schema metadata]"
    );
}

#[test]
fn ignore_record_with_null_value() {
    let mut t = configure(make_value, &[("schema.name", "foo")]);
    let record = value_record(None, Value::Null);
    assert_eq!(apply(t.as_mut(), record.clone()), record);
}

#[test]
fn update_schema_of_struct() {
    let schema = f1_f2(Schema::of(SchemaType::String));
    let value = make_struct(&schema, &[("f1", Value::from("value1")), ("f2", Value::Int32(1))]);
    let new_schema = Arc::new(Schema { name: Some("my.updated.SchemaDefn".into()), ..(*schema).clone() });
    let t = SetSchemaMetadata::new(Side::Value, &props(&[("schema.name", "x")])).unwrap();
    let updated = t.update_schema_in(Value::Struct(value), &new_schema).unwrap();
    assert!(Arc::ptr_eq(&as_struct(&updated).schema, &new_schema));
}

#[test]
fn update_schema_of_non_struct_and_null() {
    let t = SetSchemaMetadata::new(Side::Value, &props(&[("schema.name", "x")])).unwrap();
    assert_eq!(t.update_schema_in(Value::Int32(1), &Schema::of(SchemaType::Int32)).unwrap(), Value::Int32(1));
    assert_eq!(t.update_schema_in(Value::Null, &Schema::of(SchemaType::Int32)).unwrap(), Value::Null);
}

#[test]
fn key_side_and_everything_else_kept() {
    let schema = SchemaBuilder::struct_()
        .name("old")
        .version(1)
        .doc("d")
        .parameter("p", "v")
        .optional()
        .field("a", Schema::of(SchemaType::Int32))
        .build()
        .unwrap();
    let mut t = configure(make_key, &[("schema.version", "7")]);
    let out = apply(
        t.as_mut(),
        key_record(Some(schema.clone()), Value::Struct(make_struct(&schema, &[("a", Value::Int32(1))]))),
    );
    let expected = Schema { version: Some(7), ..(*schema).clone() };
    assert_eq!(*out.key_schema.unwrap(), expected);
    assert_eq!(out.value, Value::from("value"));
}

#[test]
fn non_struct_schemas_are_refused_as_kafka_4_4_does() {
    let mut t = configure(make_value, &[("schema.name", "foo")]);
    for (schema, value) in [
        (Schema::of(SchemaType::String), Value::from("x")),
        (Schema::optional_of(SchemaType::String), Value::Null),
        (std::sync::Arc::new(decimal_schema(2, false)), Value::Bytes(vec![1])),
    ] {
        assert_eq!(data_error(t.as_mut(), value_record(Some(schema), value)), "Cannot list fields on non-struct type");
    }
}

#[test]
fn config_needs_a_name_or_a_version() {
    let (key, reason) = config_error(make_value, &[]);
    assert_eq!((key.as_str(), reason.as_str()), ("schema.name", "Neither schema name nor version configured"));
    let (key, _) = config_error(make_value, &[("schema.version", "x")]);
    assert_eq!(key, "schema.version");
}
