//! Kafka's `FlattenTest`, case by case, plus the schema rules it leaves implicit.

use super::*;
use crate::data::logical::timestamp_schema;
use crate::transforms::test_util::*;

fn s(t: SchemaType) -> SchemaRef {
    Schema::of(t)
}

fn supported_types_schema() -> SchemaRef {
    SchemaBuilder::struct_()
        .field("int8", s(SchemaType::Int8))
        .field("int16", s(SchemaType::Int16))
        .field("int32", s(SchemaType::Int32))
        .field("int64", s(SchemaType::Int64))
        .field("float32", s(SchemaType::Float32))
        .field("float64", s(SchemaType::Float64))
        .field("boolean", s(SchemaType::Boolean))
        .field("string", s(SchemaType::String))
        .field("bytes", s(SchemaType::Bytes))
        .build()
        .unwrap()
}

fn supported_values() -> Vec<(&'static str, Value)> {
    vec![
        ("int8", Value::Int8(8)),
        ("int16", Value::Int16(16)),
        ("int32", Value::Int32(32)),
        ("int64", Value::Int64(64)),
        ("float32", Value::Float32(32.0)),
        ("float64", Value::Float64(64.0)),
        ("boolean", Value::Boolean(true)),
        ("string", Value::from("stringy")),
        ("bytes", Value::Bytes(b"bytes".to_vec())),
    ]
}

#[test]
fn top_level_struct_required() {
    let mut t = configure(make_value, &[]);
    let message = data_error(t.as_mut(), value_record(Some(s(SchemaType::Int32)), Value::Int32(42)));
    assert_eq!(message, "Only Struct objects supported for [flattening], found: java.lang.Integer");
}

#[test]
fn top_level_map_required() {
    let mut t = configure(make_value, &[]);
    let message = data_error(t.as_mut(), value_record(None, Value::Int32(42)));
    assert_eq!(message, "Only Map objects supported in absence of schema for [flattening], found: java.lang.Integer");
}

#[test]
fn test_nested_struct() {
    let mut t = configure(make_value, &[]);
    let supported = supported_types_schema();
    let one = SchemaBuilder::struct_().field("B", supported.clone()).build().unwrap();
    let two = SchemaBuilder::struct_().field("A", one.clone()).build().unwrap();
    let inner = make_struct(&supported, &supported_values());
    let middle = make_struct(&one, &[("B", Value::Struct(inner))]);
    let outer = make_struct(&two, &[("A", Value::Struct(middle))]);
    let out = apply(t.as_mut(), value_record(Some(two), Value::Struct(outer)));
    assert_eq!(out.value_schema.as_ref().unwrap().schema_type, SchemaType::Struct);
    let flat = as_struct(&out.value);
    assert_eq!(flat.schema.fields.len(), 9);
    for (name, value) in supported_values() {
        assert_eq!(flat.get(&format!("A.B.{name}")).unwrap(), &value, "{name}");
        // Leaf schemas are the originals' (required, as they were).
        assert_eq!(flat.schema.field(&format!("A.B.{name}")).unwrap().schema.schema_type, value.schema_type().unwrap());
    }
}

#[test]
fn test_nested_map_with_delimiter() {
    let mut t = configure(make_value, &[("delimiter", "#")]);
    let supported: Vec<(&str, Value)> = supported_values();
    let value = map(&[("A", map(&[("B", map(&supported))]))]);
    let out = apply(t.as_mut(), value_record(None, value));
    assert_eq!(out.value_schema, None);
    let Value::Map(entries) = &out.value else { panic!("a map") };
    assert_eq!(entries.len(), 9);
    for (name, value) in supported_values() {
        assert_eq!(entry(&out.value, &format!("A#B#{name}")), Some(&value), "{name}");
    }
}

#[test]
fn test_optional_field_struct() {
    let mut t = configure(make_value, &[]);
    let supported =
        SchemaBuilder::struct_().field("opt_int32", Schema::optional_of(SchemaType::Int32)).build().unwrap();
    let one = SchemaBuilder::struct_().field("B", supported.clone()).build().unwrap();
    let inner = make_struct(&supported, &[("opt_int32", Value::Null)]);
    let value = make_struct(&one, &[("B", Value::Struct(inner))]);
    let out = apply(t.as_mut(), value_record(Some(one), Value::Struct(value)));
    assert_eq!(as_struct(&out.value).get("B.opt_int32").unwrap(), &Value::Null);
}

#[test]
fn test_optional_struct() {
    let mut t = configure(make_value, &[]);
    let schema =
        SchemaBuilder::struct_().optional().field("opt_int32", Schema::optional_of(SchemaType::Int32)).build().unwrap();
    let record = value_record(Some(schema), Value::Null);
    assert_eq!(apply(t.as_mut(), record.clone()), record);
}

#[test]
fn test_optional_nested_struct() {
    let mut t = configure(make_value, &[]);
    let supported =
        SchemaBuilder::struct_().optional().field("opt_int32", Schema::optional_of(SchemaType::Int32)).build().unwrap();
    let one = SchemaBuilder::struct_().field("B", supported).build().unwrap();
    let value = make_struct(&one, &[("B", Value::Null)]);
    let out = apply(t.as_mut(), value_record(Some(one), Value::Struct(value)));
    assert_eq!(as_struct(&out.value).get("B.opt_int32").unwrap(), &Value::Null);
}

#[test]
fn test_optional_field_map() {
    let mut t = configure(make_value, &[]);
    let value = map(&[("B", map(&[("opt_int32", Value::Null)]))]);
    let out = apply(t.as_mut(), value_record(None, value));
    assert_eq!(out.value, map(&[("B.opt_int32", Value::Null)]));
}

#[test]
fn test_key() {
    let mut t = configure(make_key, &[]);
    let key = map(&[("A", map(&[("B", Value::Int32(12))]))]);
    let out = apply(t.as_mut(), key_record(None, key));
    assert_eq!(out.key_schema, None);
    assert_eq!(out.key, map(&[("A.B", Value::Int32(12))]));
}

#[test]
fn test_schemaless_array() {
    let mut t = configure(make_value, &[]);
    let value =
        map(&[("foo", Value::Array(vec![Value::from("bar"), map(&[("baz", map(&[("lfg", Value::from("lfg"))]))])]))]);
    assert_eq!(apply(t.as_mut(), value_record(None, value.clone())).value, value);
}

#[test]
fn test_array_with_schema() {
    let mut t = configure(make_value, &[]);
    let nested = SchemaBuilder::struct_().field("lfg", s(SchemaType::String)).build().unwrap();
    let inner = SchemaBuilder::struct_().field("baz", nested.clone()).build().unwrap();
    let array = SchemaBuilder::array(inner.clone()).doc("durk").build().unwrap();
    let schema = SchemaBuilder::struct_().field("foo", array).build().unwrap();
    let nested_value = make_struct(&nested, &[("lfg", Value::from("lfg"))]);
    let inner_value = make_struct(&inner, &[("baz", Value::Struct(nested_value))]);
    let value = make_struct(&schema, &[("foo", Value::Array(vec![Value::Struct(inner_value)]))]);
    let out = apply(t.as_mut(), value_record(Some(schema.clone()), Value::Struct(value.clone())));
    assert_eq!(out.value, Value::Struct(value));
    assert_eq!(out.value_schema.unwrap(), schema);
}

#[test]
fn test_optional_and_default_values_nested() {
    let mut t = configure(make_value, &[]);
    let child = SchemaBuilder::struct_()
        .optional()
        .field("req_field", s(SchemaType::String))
        .field("opt_field", SchemaBuilder::string().optional().default_value("child_default").build().unwrap());
    let child_default = make_struct(&child.build().unwrap(), &[("req_field", Value::from("req_default"))]);
    let schema = child.default_value(Value::Struct(child_default)).build().unwrap();
    let value = Struct::new(schema.clone()).unwrap();
    let out = apply(t.as_mut(), value_record(Some(schema), Value::Struct(value)));
    let out_schema = out.value_schema.unwrap();
    assert_eq!(out_schema.fields.len(), 2);
    let req = SchemaBuilder::string().optional().default_value("req_default").build().unwrap();
    assert_eq!(out_schema.field("req_field").unwrap().schema, req);
    let opt = SchemaBuilder::string().optional().default_value("child_default").build().unwrap();
    assert_eq!(out_schema.field("opt_field").unwrap().schema, opt);
    // The top level keeps neither optionality nor default.
    assert!(!out_schema.optional);
    assert_eq!(out_schema.default, None);
}

#[test]
fn tombstone_event_without_schema_should_pass_through() {
    let mut t = configure(make_value, &[]);
    let out = apply(t.as_mut(), value_record(None, Value::Null));
    assert_eq!((out.value_schema, out.value), (None, Value::Null));
}

#[test]
fn tombstone_event_with_schema_should_pass_through() {
    let mut t = configure(make_value, &[]);
    let schema = SchemaBuilder::struct_()
        .name("name")
        .version(1)
        .doc("doc")
        .field("magic", Schema::optional_of(SchemaType::Int64))
        .build()
        .unwrap();
    let out = apply(t.as_mut(), value_record(Some(schema.clone()), Value::Null));
    assert_eq!(out.value, Value::Null);
    assert_eq!(out.value_schema.unwrap(), schema);
}

#[test]
fn test_map_with_null_fields() {
    let mut t = configure(make_value, &[]);
    let value = map(&[
        ("firstNull", Value::Null),
        ("firstNonNull", Value::from("nonNull")),
        ("secondNull", Value::Null),
        ("secondNonNull", Value::from("alsoNonNull")),
        ("thirdNonNull", Value::Null),
    ]);
    assert_eq!(apply(t.as_mut(), value_record(None, value.clone())).value, value);
}

#[test]
fn test_struct_with_null_fields() {
    let mut t = configure(make_value, &[]);
    let names = ["firstNull", "firstNonNull", "secondNull", "secondNonNull", "thirdNonNull"];
    let mut builder = SchemaBuilder::struct_();
    for name in names {
        builder = builder.field(name, Schema::optional_of(SchemaType::String));
    }
    let schema = builder.build().unwrap();
    let value = make_struct(
        &schema,
        &[("firstNonNull", Value::from("nonNull")), ("secondNonNull", Value::from("alsoNonNull"))],
    );
    let out = apply(t.as_mut(), value_record(Some(schema), Value::Struct(value.clone())));
    assert_eq!(out.value, Value::Struct(value));
}

#[test]
fn schema_rules_kafka_applies() {
    let mut t = configure(make_value, &[("delimiter", "_")]);
    let inner = SchemaBuilder::struct_()
        .optional()
        .field("ts", timestamp_schema(false))
        .field("m", SchemaBuilder::map(s(SchemaType::String), s(SchemaType::String)).build().unwrap())
        .build()
        .unwrap();
    let schema = SchemaBuilder::struct_().name("Outer").field("in", inner.clone()).build().unwrap();
    let value = make_struct(&schema, &[("in", Value::Null)]);
    let message = data_error(t.as_mut(), value_record(Some(schema), Value::Struct(value)));
    assert_eq!(message, "Flatten transformation does not support MAP for record with schemas (for field in_m).");

    // A leaf keeps its name, version and parameters (a logical type stays one) and becomes
    // optional under an optional parent; the struct keeps its name.
    let inner = SchemaBuilder::struct_().optional().field("ts", timestamp_schema(false)).build().unwrap();
    let schema = SchemaBuilder::struct_().name("Outer").version(3).field("in", inner).build().unwrap();
    let value = make_struct(&schema, &[("in", Value::Null)]);
    let out = apply(t.as_mut(), value_record(Some(schema), Value::Struct(value)));
    let out_schema = out.value_schema.unwrap();
    assert_eq!((out_schema.name.as_deref(), out_schema.version), (Some("Outer"), Some(3)));
    assert_eq!(out_schema.field("in_ts").unwrap().schema, timestamp_schema(true));
    assert_eq!(as_struct(&out.value).get("in_ts").unwrap(), &Value::Null);
}

#[test]
fn colliding_names_follow_kafka() {
    // Without a schema the later value wins, in the first one's place (a LinkedHashMap).
    let mut t = configure(make_value, &[]);
    let value = map(&[("a.b", Value::Int64(1)), ("x", Value::Int64(0)), ("a", map(&[("b", Value::Int64(2))]))]);
    let out = apply(t.as_mut(), value_record(None, value));
    assert_eq!(out.value, map(&[("a.b", Value::Int64(2)), ("x", Value::Int64(0))]));
    // With a schema the duplicate field is refused.
    let inner = SchemaBuilder::struct_().field("b", s(SchemaType::Int32)).build().unwrap();
    let schema = SchemaBuilder::struct_().field("a.b", s(SchemaType::Int32)).field("a", inner.clone()).build().unwrap();
    let value = make_struct(
        &schema,
        &[("a.b", Value::Int32(1)), ("a", Value::Struct(make_struct(&inner, &[("b", Value::Int32(2))])))],
    );
    let message = data_error(t.as_mut(), value_record(Some(schema), Value::Struct(value)));
    assert_eq!(message, "Cannot create field because of field name duplication a.b");
}

#[test]
fn schemaless_struct_values_are_refused() {
    let mut t = configure(make_value, &[]);
    let schema = SchemaBuilder::struct_().field("a", s(SchemaType::Int32)).build().unwrap();
    let value = map(&[("x", map(&[("s", Value::Struct(make_struct(&schema, &[("a", Value::Int32(1))])))]))]);
    let message = data_error(t.as_mut(), value_record(None, value));
    assert_eq!(
        message,
        "Flatten transformation does not support class org.apache.kafka.connect.data.Struct for record without \
         schemas (for field x.s)."
    );
}
