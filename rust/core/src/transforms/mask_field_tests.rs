//! Kafka's `MaskFieldTest`, case by case (Kafka's schemaless `Date`, `BigInteger` and `BigDecimal`
//! values have no schemaless form here; their schema'd forms are covered).

use std::sync::Arc;

use super::*;
use crate::data::logical::{date_schema, decimal_schema, time_schema, timestamp_schema};
use crate::data::{SchemaBuilder, SchemaRef, SchemaType};
use crate::transforms::test_util::*;

fn s(t: SchemaType) -> SchemaRef {
    Schema::of(t)
}

fn schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .field("magic", s(SchemaType::Int32))
        .field("bool", s(SchemaType::Boolean))
        .field("byte", s(SchemaType::Int8))
        .field("short", s(SchemaType::Int16))
        .field("int", s(SchemaType::Int32))
        .field("long", s(SchemaType::Int64))
        .field("float", s(SchemaType::Float32))
        .field("double", s(SchemaType::Float64))
        .field("string", s(SchemaType::String))
        .field("date", date_schema(false))
        .field("time", time_schema(false))
        .field("timestamp", timestamp_schema(false))
        .field("decimal", Arc::new(decimal_schema(0, false)))
        .field("array", SchemaBuilder::array(s(SchemaType::Int32)).build().unwrap())
        .field("map", SchemaBuilder::map(s(SchemaType::String), s(SchemaType::String)).build().unwrap())
        .field("withDefault", SchemaBuilder::string().optional().default_value("default").build().unwrap())
        .build()
        .unwrap()
}

fn values_with_schema() -> Value {
    Value::Struct(make_struct(
        &schema(),
        &[
            ("magic", Value::Int32(42)),
            ("bool", Value::Boolean(true)),
            ("byte", Value::Int8(42)),
            ("short", Value::Int16(42)),
            ("int", Value::Int32(42)),
            ("long", Value::Int64(42)),
            ("float", Value::Float32(42.0)),
            ("double", Value::Float64(42.0)),
            ("string", Value::from("hmm")),
            ("date", Value::Int32(19_737)),
            ("time", Value::Int32(3_600_000)),
            ("timestamp", Value::Int64(1_705_322_096_789)),
            ("decimal", Value::Bytes(vec![42])),
            ("array", Value::Array(vec![Value::Int32(1), Value::Int32(2), Value::Int32(3)])),
            ("map", Value::Map(vec![(Value::from("what"), Value::from("what"))])),
            ("withDefault", Value::Null),
        ],
    ))
}

fn values() -> Value {
    map(&[
        ("magic", Value::Int32(42)),
        ("bool", Value::Boolean(true)),
        ("byte", Value::Int8(42)),
        ("short", Value::Int16(42)),
        ("int", Value::Int32(42)),
        ("long", Value::Int64(42)),
        ("float", Value::Float32(42.0)),
        ("double", Value::Float64(42.0)),
        ("string", Value::from("55.121.20.20")),
        ("list", Value::Array(vec![Value::Int32(42)])),
        ("map", map(&[("key", Value::from("value"))])),
    ])
}

/// Kafka's `transform(fields, replacement)`: `replace.null.with.default` off.
fn transform(fields: &str, replacement: Option<&str>) -> Box<dyn Transformation> {
    let mut pairs = vec![("fields", fields), ("replace.null.with.default", "false")];
    if let Some(r) = replacement {
        pairs.push(("replacement", r));
    }
    configure(make_value, &pairs)
}

fn masked_with_schema(fields: &str, replacement: Option<&str>) -> Result<Struct> {
    let out = transform(fields, replacement).apply(value_record(Some(schema()), values_with_schema()))?;
    Ok(as_struct(&out.unwrap().value).clone())
}

fn masked_schemaless(fields: &str, replacement: Option<&str>) -> Result<Value> {
    Ok(transform(fields, replacement).apply(value_record(None, values()))?.unwrap().value)
}

#[test]
fn test_schemaless() {
    let out = masked_schemaless("bool,byte,short,int,long,float,double,string,list,map", None).unwrap();
    let expected = [
        ("magic", Value::Int32(42)),
        ("bool", Value::Boolean(false)),
        ("byte", Value::Int8(0)),
        ("short", Value::Int16(0)),
        ("int", Value::Int32(0)),
        ("long", Value::Int64(0)),
        ("float", Value::Float32(0.0)),
        ("double", Value::Float64(0.0)),
        ("string", Value::from("")),
        ("list", Value::Array(Vec::new())),
        ("map", Value::Map(Vec::new())),
    ];
    for (name, value) in expected {
        assert_eq!(entry(&out, name), Some(&value), "{name}");
    }
}

#[test]
fn test_with_schema() {
    let fields = schema().fields.iter().map(|f| f.name.clone()).filter(|n| n != "magic").collect::<Vec<_>>().join(",");
    let out = masked_with_schema(&fields, None).unwrap();
    let expected = [
        ("magic", Value::Int32(42)),
        ("bool", Value::Boolean(false)),
        ("byte", Value::Int8(0)),
        ("short", Value::Int16(0)),
        ("int", Value::Int32(0)),
        ("long", Value::Int64(0)),
        ("float", Value::Float32(0.0)),
        ("double", Value::Float64(0.0)),
        ("string", Value::from("")),
        ("date", Value::Int32(0)),
        ("time", Value::Int32(0)),
        ("timestamp", Value::Int64(0)),
        ("decimal", Value::Bytes(vec![0])),
        ("array", Value::Array(Vec::new())),
        ("map", Value::Map(Vec::new())),
    ];
    for (name, value) in expected {
        assert_eq!(out.get(name).unwrap(), &value, "{name}");
    }
    assert_eq!(out.get_without_default("withDefault").unwrap(), &Value::Null);
}

#[test]
fn test_schemaless_with_replacement() {
    let cases = [
        ("short", Value::Int16(123)),
        ("byte", Value::Int8(123)),
        ("int", Value::Int32(123)),
        ("long", Value::Int64(123)),
        ("float", Value::Float32(123.0)),
        ("double", Value::Float64(123.0)),
        ("string", Value::from("123")),
    ];
    for (field, expected) in cases {
        let out = masked_schemaless(field, Some("123")).unwrap();
        assert_eq!(entry(&out, field), Some(&expected), "{field}");
    }
}

#[test]
fn test_schemaless_unsupported_replacement_type() {
    for (fields, class) in
        [("bool", "java.lang.Boolean"), ("list", "java.util.ArrayList"), ("map", "java.util.HashMap")]
    {
        let Err(Error::Data(message)) = masked_schemaless(fields, Some("123")) else {
            panic!("{fields}: no data error")
        };
        assert_eq!(message, format!("Cannot mask value of type class {class} with custom replacement."));
    }
}

#[test]
fn test_with_schema_and_replacement() {
    let cases = [
        ("short", Value::Int16(123)),
        ("byte", Value::Int8(123)),
        ("int", Value::Int32(123)),
        ("long", Value::Int64(123)),
        ("float", Value::Float32(123.0)),
        ("double", Value::Float64(123.0)),
        ("string", Value::from("123")),
        ("decimal", Value::Bytes(vec![123])),
    ];
    for (field, expected) in cases {
        let out = masked_with_schema(field, Some("123")).unwrap();
        assert_eq!(out.get(field).unwrap(), &expected, "{field}");
    }
}

#[test]
fn test_with_schema_unsupported_replacement_type() {
    for (field, class) in
        [("time", "java.util.Date"), ("timestamp", "java.util.Date"), ("array", "java.util.ArrayList")]
    {
        let Err(Error::Data(message)) = masked_with_schema(field, Some("123")) else {
            panic!("{field}: no data error")
        };
        assert_eq!(message, format!("Cannot mask value of type class {class} with custom replacement."));
    }
}

#[test]
fn test_replacement_type_mismatch() {
    for field in ["byte", "short", "int", "long", "float", "double", "string,int"] {
        let Err(Error::Data(message)) = masked_schemaless(field, Some("foo")) else { panic!("{field}: no data error") };
        assert_eq!(message, "Unable to convert foo (class java.lang.String) to a number", "{field}");
    }
    let Err(Error::Data(message)) = masked_with_schema("decimal", Some("foo")) else { panic!("no data error") };
    assert_eq!(message, "Unable to convert foo (class java.lang.String) to number");
}

#[test]
fn test_empty_string_replacement_value() {
    let (key, reason) = config_error(make_value, &[("fields", "short"), ("replacement", "")]);
    assert_eq!(
        (key.as_str(), reason.as_str()),
        ("replacement", "Invalid value  for configuration replacement: String must be non-empty")
    );
}

#[test]
fn test_null_list_and_map_replacements_are_empty() {
    let out = masked_with_schema("array,map", None).unwrap();
    assert_eq!(out.get("array").unwrap(), &Value::Array(Vec::new()));
    assert_eq!(out.get("map").unwrap(), &Value::Map(Vec::new()));
}

#[test]
fn replacements_read_as_kafkas_values_reads_numbers() {
    let masked =
        |field: &str, replacement: &str| entry(&masked_schemaless(field, Some(replacement)).unwrap(), field).cloned();
    assert_eq!(masked("byte", "300"), Some(Value::Int8(44)));
    assert_eq!(masked("int", "-1.9"), Some(Value::Int32(-1)));
    assert_eq!(masked("long", "1E+20"), Some(Value::Int64(7_766_279_631_452_241_920)));
    assert_eq!(masked("float", "1e40"), Some(Value::Float32(f32::INFINITY)));
    // A decimal replacement takes the field's scale when it fits it exactly.
    let schema = SchemaBuilder::struct_().field("d", Arc::new(decimal_schema(2, false))).build().unwrap();
    let value = Value::Struct(make_struct(&schema, &[("d", Value::Bytes(vec![1]))]));
    let mut t = configure(make_value, &[("fields", "d"), ("replacement", "1.5")]);
    let out = apply(t.as_mut(), value_record(Some(schema.clone()), value.clone()));
    assert_eq!(as_struct(&out.value).get("d").unwrap(), &Value::Bytes(vec![0, 150]));
    let mut t = configure(make_value, &[("fields", "d"), ("replacement", "1.555")]);
    assert!(data_error(t.as_mut(), value_record(Some(schema), value)).contains("does not fit the scale 2"));
}

#[test]
fn absent_fields_nulls_and_tombstones_are_kafkas() {
    // An absent field is added as null; a null is kept.
    let mut t = configure(make_value, &[("fields", "x,n")]);
    let out = apply(t.as_mut(), value_record(None, map(&[("n", Value::Null)])));
    assert_eq!(out.value, map(&[("n", Value::Null), ("x", Value::Null)]));
    // No tombstone shortcut: a null value is not a map.
    assert_eq!(
        data_error(t.as_mut(), value_record(None, Value::Null)),
        "Only Map objects supported in absence of schema for [mask fields], found: null"
    );
    assert_eq!(
        data_error(t.as_mut(), value_record(Some(schema()), Value::Null)),
        "Only Struct objects supported for [mask fields], found: null"
    );
    // Bytes and structs cannot be masked.
    let mut t = configure(make_value, &[("fields", "b")]);
    assert_eq!(
        data_error(t.as_mut(), value_record(None, map(&[("b", Value::Bytes(vec![1]))]))),
        "Cannot mask value of type: class [B"
    );
}

#[test]
fn config_of_fields_is_kafka_4_4s() {
    let (key, reason) = config_error(make_value, &[]);
    assert_eq!(
        (key.as_str(), reason.as_str()),
        ("fields", "Missing required configuration \"fields\" which has no default value.")
    );
    let (_, reason) = config_error(make_value, &[("fields", "")]);
    assert_eq!(reason, "Configuration 'fields' must not be empty. Valid values include: any non-empty value");
    let (_, reason) = config_error(make_value, &[("fields", "a,,b")]);
    assert_eq!(reason, "Configuration 'fields' values must not be empty.");
    configure(make_value, &[("fields", "a,a")]);
}

#[test]
fn key_side_keeps_the_records_schema() {
    let key_schema = SchemaBuilder::struct_().field("k", s(SchemaType::String)).build().unwrap();
    let mut t = configure(make_key, &[("fields", "k")]);
    let record =
        key_record(Some(key_schema.clone()), Value::Struct(make_struct(&key_schema, &[("k", Value::from("secret"))])));
    let out = apply(t.as_mut(), record);
    assert!(Arc::ptr_eq(out.key_schema.as_ref().unwrap(), &key_schema));
    assert_eq!(as_struct(&out.key).get("k").unwrap(), &Value::from(""));
}
