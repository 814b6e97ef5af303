//! Kafka's `CastTest`, case by case (by name where one maps to one), plus what the Java
//! semantics decide beyond it.

use std::sync::Arc;

use super::*;
use crate::data::logical::{date_schema, decimal_schema, time_schema, timestamp_schema};
use crate::data::{BigDecimal, SchemaBuilder};
use crate::transforms::test_util::*;

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;

fn s(t: SchemaType) -> SchemaRef {
    Schema::of(t)
}

fn whole_value(spec: &str, schema: Option<SchemaRef>, value: Value) -> Record {
    apply(configure(make_value, &[("spec", spec)]).as_mut(), value_record(schema, value))
}

fn decimal(text: &str, scale: i32) -> (SchemaRef, Value) {
    let schema = Arc::new(decimal_schema(scale, false));
    let value = logical::decimal_to_value(&schema, &BigDecimal::parse(text).unwrap()).unwrap();
    (schema, value)
}

#[test]
fn test_config_empty() {
    let (key, reason) = config_error(make_key, &[("spec", "")]);
    assert_eq!((key.as_str(), reason.as_str()), ("spec", "Must specify at least one field to cast."));
}

#[test]
fn test_config_invalid_schema_type() {
    let (key, reason) = config_error(make_key, &[("spec", "foo:faketype")]);
    assert_eq!(key, "spec");
    assert_eq!(
        reason,
        "Invalid value java.lang.IllegalArgumentException: No enum constant \
         org.apache.kafka.connect.data.Schema.Type.FAKETYPE for configuration Invalid type found in casting spec: faketype"
    );
}

#[test]
fn test_config_invalid_target_type() {
    for spec in ["foo:array", "array"] {
        let (_, reason) = config_error(make_key, &[("spec", spec)]);
        assert_eq!(
            reason,
            "Cast transformation does not support casting to ARRAY; supported types are \
             [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]"
        );
    }
}

#[test]
fn test_unsupported_target_type() {
    let (_, reason) = config_error(make_key, &[("spec", "foo:bytes")]);
    assert!(reason.starts_with("Cast transformation does not support casting to BYTES"), "{reason}");
}

#[test]
fn test_config_invalid_map() {
    let (key, reason) = config_error(make_key, &[("spec", "foo:int8:extra")]);
    assert_eq!(key, "spec");
    assert_eq!(
        reason,
        "Invalid value [foo:int8:extra] for configuration renames: Invalid rename mapping: foo:int8:extra"
    );
}

#[test]
fn test_config_mix_whole_and_field_transformation() {
    let (_, reason) = config_error(make_key, &[("spec", "foo:int8,int32")]);
    assert_eq!(
        reason,
        "Cast transformations that specify a type to cast the entire value to may only specify a single cast in their spec"
    );
}

#[test]
fn spec_parts_split_as_java_splits_them() {
    // A trailing colon vanishes (a whole-value cast), a lone colon has no parts at all.
    let mut t = configure(make_value, &[("spec", "int8:")]);
    assert_eq!(apply(t.as_mut(), value_record(None, Value::Int64(300))).value, Value::Int8(44));
    assert_eq!(config_error(make_value, &[("spec", ":")]).1, "Index 1 out of bounds for length 0");
    // Types are read case-insensitively, fields and types trimmed; the last cast of a field wins.
    let mut t = configure(make_value, &[("spec", " a : INT16 , a:Int32")]);
    let out = apply(t.as_mut(), value_record(None, map(&[("a", Value::Int64(1))])));
    assert_eq!(entry(&out.value, "a"), Some(&Value::Int32(1)));
}

#[test]
fn cast_null_value_record_with_schema() {
    let record = value_record(Some(s(SchemaType::String)), Value::Null);
    let mut t = configure(make_value, &[("spec", "foo:int64")]);
    assert_eq!(apply(t.as_mut(), record.clone()), record);
}

#[test]
fn cast_field_with_default_value_record_with_schema() {
    for (replace, expected) in [("false", Value::Null), ("true", Value::from("10"))] {
        let mut t = configure(make_value, &[("spec", "magic:string"), ("replace.null.with.default", replace)]);
        let schema = SchemaBuilder::struct_()
            .field("magic", SchemaBuilder::int32().optional().default_value(10).build().unwrap());
        let schema = schema.build().unwrap();
        let value = make_struct(&schema, &[("magic", Value::Null)]);
        let out = apply(t.as_mut(), value_record(Some(schema), Value::Struct(value)));
        let out_schema = out.value_schema.unwrap();
        assert_eq!(out_schema.field("magic").unwrap().schema.schema_type, SchemaType::String);
        // The field's default is cast too.
        assert_eq!(out_schema.field("magic").unwrap().schema.default, Some(Value::from("10")));
        assert_eq!(as_struct(&out.value).get_without_default("magic").unwrap(), &expected);
    }
}

#[test]
fn cast_null_value_record_schemaless() {
    let record = value_record(None, Value::Null);
    assert_eq!(apply(configure(make_value, &[("spec", "foo:int64")]).as_mut(), record.clone()), record);
}

#[test]
fn cast_null_key_record_with_schema() {
    let record = key_record(Some(s(SchemaType::String)), Value::Null);
    assert_eq!(apply(configure(make_key, &[("spec", "foo:int64")]).as_mut(), record.clone()), record);
}

#[test]
fn cast_null_key_record_schemaless() {
    let record = key_record(None, Value::Null);
    assert_eq!(apply(configure(make_key, &[("spec", "foo:int64")]).as_mut(), record.clone()), record);
}

#[test]
fn cast_whole_record_key_with_schema() {
    let mut t = configure(make_key, &[("spec", "int8")]);
    let out = apply(t.as_mut(), key_record(Some(s(SchemaType::Int32)), Value::Int32(42)));
    assert_eq!(out.key_schema.unwrap().schema_type, SchemaType::Int8);
    assert_eq!(out.key, Value::Int8(42));
    assert_eq!(out.value, Value::from("value"));
}

#[test]
fn cast_whole_record_value_with_schema() {
    // castWholeRecordValueWithSchemaInt8 ... String, BooleanTrue, BooleanFalse.
    let cases = [
        ("int8", 42, Value::Int8(42)),
        ("int16", 42, Value::Int16(42)),
        ("int32", 42, Value::Int32(42)),
        ("int64", 42, Value::Int64(42)),
        ("float32", 42, Value::Float32(42.0)),
        ("float64", 42, Value::Float64(42.0)),
        ("boolean", 42, Value::Boolean(true)),
        ("boolean", 0, Value::Boolean(false)),
        ("string", 42, Value::from("42")),
    ];
    for (spec, input, expected) in cases {
        let out = whole_value(spec, Some(s(SchemaType::Int32)), Value::Int32(input));
        assert_eq!(out.value_schema.unwrap().schema_type, expected.schema_type().unwrap(), "{spec}");
        assert_eq!(out.value, expected, "{spec}");
    }
}

#[test]
fn cast_whole_big_decimal_record_value_with_schema_string() {
    let (schema, value) = decimal("42", 0);
    let out = whole_value("string", Some(schema), value);
    assert_eq!(out.value, Value::from("42"));
    // Kafka copies the source schema's name, version and parameters onto the new type.
    let out_schema = out.value_schema.unwrap();
    assert_eq!(out_schema.schema_type, SchemaType::String);
    assert_eq!(out_schema.name.as_deref(), Some(logical::DECIMAL_NAME));
    assert_eq!(out_schema.parameters.get("scale").map(String::as_str), Some("0"));
}

#[test]
fn cast_whole_date_record_value_with_schema_string() {
    let out = whole_value("string", Some(timestamp_schema(false)), Value::Int64(DAY + 1));
    assert_eq!(out.value_schema.unwrap().schema_type, SchemaType::String);
    assert_eq!(out.value, Value::from("1970-01-02T00:00:00.001Z"));
}

#[test]
fn cast_whole_record_default_value() {
    let schema = SchemaBuilder::float32().default_value(-42.125f32).build().unwrap();
    let out = whole_value("int32", Some(schema), Value::Float32(42.125));
    let out_schema = out.value_schema.unwrap();
    assert_eq!(out_schema.schema_type, SchemaType::Int32);
    assert_eq!(out.value, Value::Int32(42));
    assert_eq!(out_schema.default, Some(Value::Int32(-42)));
}

#[test]
fn cast_whole_logical_value_with_default_is_refused_as_kafka_does() {
    // The copied logical name wants a java.util.Date default, which Kafka's builder refuses.
    let schema =
        SchemaBuilder::int64().name(logical::TIMESTAMP_NAME).version(1).default_value(Value::Int64(0)).build().unwrap();
    let mut t = configure(make_value, &[("spec", "int64")]);
    assert_eq!(data_error(t.as_mut(), value_record(Some(schema), Value::Int64(5))), "Invalid default value");
}

#[test]
fn cast_whole_record_key_schemaless() {
    let mut t = configure(make_key, &[("spec", "int8")]);
    let out = apply(t.as_mut(), key_record(None, Value::Int32(42)));
    assert_eq!(out.key_schema, None);
    assert_eq!(out.key, Value::Int8(42));
}

#[test]
fn cast_whole_record_value_schemaless() {
    let cases = [
        ("int8", 42, Value::Int8(42)),
        ("int16", 42, Value::Int16(42)),
        ("int32", 42, Value::Int32(42)),
        ("int64", 42, Value::Int64(42)),
        ("float32", 42, Value::Float32(42.0)),
        ("float64", 42, Value::Float64(42.0)),
        ("boolean", 42, Value::Boolean(true)),
        ("boolean", 0, Value::Boolean(false)),
        ("string", 42, Value::from("42")),
    ];
    for (spec, input, expected) in cases {
        let out = whole_value(spec, None, Value::Int32(input));
        assert_eq!(out.value_schema, None);
        assert_eq!(out.value, expected, "{spec}");
    }
}

#[test]
fn cast_whole_record_value_schemaless_unsupported_type() {
    let mut t = configure(make_value, &[("spec", "int8")]);
    let message = data_error(t.as_mut(), value_record(None, Value::Array(vec![Value::from("foo")])));
    assert_eq!(
        message,
        "Cast transformation does not support casting from ARRAY; supported types are \
         [INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]"
    );
}

#[test]
fn cast_logical_to_primitive() {
    let mut t = configure(
        make_value,
        &[(
            "spec",
            "date_to_int32:int32,timestamp_to_int64:int64,time_to_int64:int64,decimal_to_int32:int32,\
             timestamp_to_float64:float64,null_timestamp_to_int32:int32",
        )],
    );
    let (decimal_schema, big) = decimal("2147483648", 0);
    let schema = SchemaBuilder::struct_()
        .field("date_to_int32", date_schema(false))
        .field("timestamp_to_int64", timestamp_schema(false))
        .field("time_to_int64", time_schema(false))
        .field("decimal_to_int32", decimal_schema)
        .field("timestamp_to_float64", timestamp_schema(false))
        .field("null_timestamp_to_int32", timestamp_schema(true))
        .build()
        .unwrap();
    let value = make_struct(
        &schema,
        &[
            ("date_to_int32", Value::Int32(1)),
            ("timestamp_to_int64", Value::Int64(0)),
            ("time_to_int64", Value::Int32(1)),
            ("decimal_to_int32", big),
            ("timestamp_to_float64", Value::Int64(i64::MAX)),
        ],
    );
    let out = apply(t.as_mut(), value_record(Some(schema), Value::Struct(value)));
    let out = as_struct(&out.value);
    assert_eq!(out.get("date_to_int32").unwrap(), &Value::Int32(1));
    assert_eq!(out.get("timestamp_to_int64").unwrap(), &Value::Int64(0));
    assert_eq!(out.get("time_to_int64").unwrap(), &Value::Int64(1));
    assert_eq!(out.get("decimal_to_int32").unwrap(), &Value::Int32(i32::MIN));
    assert_eq!(out.get("timestamp_to_float64").unwrap(), &Value::Float64(9.223372036854776E18));
    assert_eq!(out.get("null_timestamp_to_int32").unwrap(), &Value::Null);
    let types: Vec<_> = out.schema.fields.iter().map(|f| (f.schema.schema_type, f.schema.name.clone())).collect();
    use SchemaType::*;
    let expected = [Int32, Int64, Int64, Int32, Float64, Int32];
    assert_eq!(types, expected.iter().map(|t| (*t, None)).collect::<Vec<_>>());
    assert!(out.schema.field("null_timestamp_to_int32").unwrap().schema.optional);
}

#[test]
fn cast_logical_to_string() {
    let mut t = configure(make_value, &[("spec", "date:string,decimal:string,time:string,timestamp:string")]);
    let (decimal_schema, big) = decimal("1982", 0);
    let schema = SchemaBuilder::struct_()
        .field("date", date_schema(false))
        .field("decimal", decimal_schema)
        .field("time", time_schema(false))
        .field("timestamp", timestamp_schema(false))
        .build()
        .unwrap();
    let value = make_struct(
        &schema,
        &[
            ("date", Value::Int32(1)),
            ("decimal", big),
            ("time", Value::Int32(HOUR as i32)),
            ("timestamp", Value::Int64(1_705_322_096_789)),
        ],
    );
    let out = apply(t.as_mut(), value_record(Some(schema), Value::Struct(value)));
    let out = as_struct(&out.value);
    assert_eq!(out.get("date").unwrap(), &Value::from("1970-01-02"));
    assert_eq!(out.get("decimal").unwrap(), &Value::from("1982"));
    assert_eq!(out.get("time").unwrap(), &Value::from("01:00:00.000Z"));
    assert_eq!(out.get("timestamp").unwrap(), &Value::from("2024-01-15T12:34:56.789Z"));
    assert!(out.schema.fields.iter().all(|f| f.schema.schema_type == SchemaType::String));
}

#[test]
fn cast_fields_with_schema() {
    let mut t = configure(
        make_value,
        &[(
            "spec",
            "int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,boolean:int8,\
             string:int32,bigdecimal:string,date:string,optional:int32,bytes:string,byteArray:string",
        )],
    );
    let (decimal_schema, big) = decimal("42", 0);
    let bytes = vec![0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10];
    let schema = SchemaBuilder::struct_()
        .field("int8", s(SchemaType::Int8))
        .field("int16", Schema::optional_of(SchemaType::Int16))
        .field("int32", SchemaBuilder::int32().default_value(2).build().unwrap())
        .field("int64", s(SchemaType::Int64))
        .field("float32", s(SchemaType::Float32))
        .field("float64", SchemaBuilder::float64().default_value(-1.125).build().unwrap())
        .field("boolean", s(SchemaType::Boolean))
        .field("string", s(SchemaType::String))
        .field("bigdecimal", decimal_schema)
        .field("date", date_schema(false))
        .field("optional", Schema::optional_of(SchemaType::Float32))
        .field("timestamp", timestamp_schema(false))
        .field("bytes", s(SchemaType::Bytes))
        .field("byteArray", s(SchemaType::Bytes))
        .build()
        .unwrap();
    let value = make_struct(
        &schema,
        &[
            ("int8", Value::Int8(8)),
            ("int16", Value::Int16(16)),
            ("int32", Value::Int32(32)),
            ("int64", Value::Int64(64)),
            ("float32", Value::Float32(32.0)),
            ("float64", Value::Float64(-64.0)),
            ("boolean", Value::Boolean(true)),
            ("bigdecimal", big),
            ("date", Value::Int32(1)),
            ("string", Value::from("42")),
            ("timestamp", Value::Int64(0)),
            ("bytes", Value::Bytes(bytes.clone())),
            ("byteArray", Value::Bytes(bytes)),
        ],
    );
    let out = apply(t.as_mut(), value_record(Some(schema), Value::Struct(value)));
    let out = as_struct(&out.value);
    let get = |name: &str| out.get(name).unwrap().clone();
    assert_eq!(get("int8"), Value::Int16(8));
    assert!(out.schema.field("int16").unwrap().schema.optional);
    assert_eq!(get("int16"), Value::Int32(16));
    assert_eq!(get("int32"), Value::Int64(32));
    assert_eq!(out.schema.field("int32").unwrap().schema.default, Some(Value::Int64(2)));
    assert_eq!(get("int64"), Value::Boolean(true));
    assert_eq!(get("float32"), Value::Float64(32.0));
    assert_eq!(get("float64"), Value::Boolean(true));
    assert_eq!(out.schema.field("float64").unwrap().schema.default, Some(Value::Boolean(true)));
    assert_eq!(get("boolean"), Value::Int8(1));
    assert_eq!(get("string"), Value::Int32(42));
    assert_eq!(get("bigdecimal"), Value::from("42"));
    assert_eq!(get("date"), Value::from("1970-01-02"));
    assert_eq!(get("timestamp"), Value::Int64(0));
    assert_eq!(get("bytes"), Value::from("/ty6mHZUMhA="));
    assert_eq!(get("byteArray"), Value::from("/ty6mHZUMhA="));
    assert_eq!(get("optional"), Value::Null);
    let field = |name: &str| out.schema.field(name).unwrap().schema.clone();
    assert_eq!(field("optional").schema_type, SchemaType::Int32);
    assert!(field("optional").optional);
    // A field that is not cast keeps its schema as it was.
    assert_eq!(field("timestamp"), timestamp_schema(false));
}

#[test]
fn cast_fields_schemaless() {
    let mut t = configure(
        make_value,
        &[("spec", "int8:int16,int16:int32,int32:int64,int64:boolean,float32:float64,float64:boolean,boolean:int8,string:int32")],
    );
    let value = map(&[
        ("int8", Value::Int8(8)),
        ("int16", Value::Int16(16)),
        ("int32", Value::Int32(32)),
        ("int64", Value::Int64(64)),
        ("float32", Value::Float32(32.0)),
        ("float64", Value::Float64(-64.0)),
        ("boolean", Value::Boolean(true)),
        ("string", Value::from("42")),
    ]);
    let out = apply(t.as_mut(), value_record(None, value));
    assert_eq!(out.value_schema, None);
    let expected = [
        ("int8", Value::Int16(8)),
        ("int16", Value::Int32(16)),
        ("int32", Value::Int64(32)),
        ("int64", Value::Boolean(true)),
        ("float32", Value::Float64(32.0)),
        ("float64", Value::Boolean(true)),
        ("boolean", Value::Int8(1)),
        ("string", Value::Int32(42)),
    ];
    for (name, value) in expected {
        assert_eq!(entry(&out.value, name), Some(&value), "{name}");
    }
}

#[test]
fn schemaless_field_absent_from_the_map_is_added_as_null() {
    // Kafka puts every spec'd field back, `castValueToType(null)` being null.
    let mut t = configure(make_value, &[("spec", "a:int8")]);
    let out = apply(t.as_mut(), value_record(None, map(&[("b", Value::Int64(1))])));
    assert_eq!(out.value, map(&[("b", Value::Int64(1)), ("a", Value::Null)]));
}

#[test]
fn narrowing_and_parsing_follow_java() {
    let cast = |spec: &str, value: Value| whole_value(spec, None, value).value;
    assert_eq!(cast("int8", Value::Int32(300)), Value::Int8(44));
    assert_eq!(cast("int8", Value::Float64(300.7)), Value::Int8(44));
    assert_eq!(cast("int16", Value::Float64(1e20)), Value::Int16(-1));
    assert_eq!(cast("int32", Value::Float32(f32::NAN)), Value::Int32(0));
    assert_eq!(cast("boolean", Value::Float64(0.5)), Value::Boolean(false));
    assert_eq!(cast("boolean", Value::from("TRUE")), Value::Boolean(true));
    assert_eq!(cast("boolean", Value::from("yes")), Value::Boolean(false));
    assert_eq!(cast("float32", Value::from(" 1.5f ")), Value::Float32(1.5));
    assert_eq!(cast("float64", Value::from("-Infinity")), Value::Float64(f64::NEG_INFINITY));
    assert_eq!(cast("int64", Value::from("+7")), Value::Int64(7));
    assert_eq!(cast("string", Value::Float64(1e7)), Value::from("1.0E7"));
    assert_eq!(cast("string", Value::Float32(0.1)), Value::from("0.1"));
    assert_eq!(cast("string", Value::Bytes(vec![1, 2, 3])), Value::from("AQID"));
    assert_eq!(cast("int8", Value::Boolean(true)), Value::Int8(1));
    assert_eq!(cast("float64", Value::Boolean(false)), Value::Float64(0.0));
    let mut t = configure(make_value, &[("spec", "int8")]);
    assert_eq!(
        data_error(t.as_mut(), value_record(None, Value::from("128"))),
        "Value (128) was out of range for requested data type"
    );
    assert_eq!(
        data_error(t.as_mut(), value_record(None, Value::Bytes(vec![1]))),
        "Unexpected type in Cast transformation: class [B"
    );
    let (decimal_schema, value) = decimal("-1.99", 2);
    assert_eq!(whole_value("int64", Some(decimal_schema.clone()), value.clone()).value, Value::Int64(-1));
    assert_eq!(whole_value("float64", Some(decimal_schema), value).value, Value::Float64(-1.99));
}

#[test]
fn field_spec_needs_a_struct_schema_and_value() {
    let mut t = configure(make_value, &[("spec", "a:int8")]);
    let message = data_error(t.as_mut(), value_record(Some(s(SchemaType::Int32)), Value::Int32(5)));
    assert_eq!(message, "Cannot list fields on non-struct type");
    let schema = SchemaBuilder::struct_().field("a", s(SchemaType::Int32)).build().unwrap();
    let message = data_error(t.as_mut(), value_record(Some(schema), Value::Int32(5)));
    assert_eq!(message, "Only Struct objects supported for [cast types], found: java.lang.Integer");
    let message = data_error(t.as_mut(), value_record(None, Value::Int32(5)));
    assert_eq!(message, "Only Map objects supported in absence of schema for [cast types], found: java.lang.Integer");
}

#[test]
fn derived_schema_keeps_struct_basics_and_is_cached() {
    let schema = SchemaBuilder::struct_()
        .name("com.example.Rec")
        .version(2)
        .doc("doc")
        .optional()
        .field("a", SchemaBuilder::int32().name("inner").build().unwrap())
        .build()
        .unwrap();
    let mut t = configure(make_value, &[("spec", "a:string")]);
    let value = Value::Struct(make_struct(&schema, &[("a", Value::Int32(1))]));
    let first = apply(t.as_mut(), value_record(Some(schema.clone()), value.clone())).value_schema.unwrap();
    assert_eq!(
        (first.name.as_deref(), first.version, first.doc.as_deref()),
        (Some("com.example.Rec"), Some(2), Some("doc"))
    );
    assert!(first.optional);
    // The cast field is a plain STRING: the field's own name is not kept.
    assert_eq!(first.field("a").unwrap().schema, Schema::of(SchemaType::String));
    let again = apply(t.as_mut(), value_record(Some(Arc::new((*schema).clone())), value)).value_schema.unwrap();
    assert!(Arc::ptr_eq(&first, &again));
}

#[test]
fn config_def_describes_kafkas_keys() {
    let def = config_def();
    let names: Vec<_> = def.keys().iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["spec", "replace.null.with.default"]);
    let spec = def.key("spec").unwrap();
    assert!(spec.required());
    assert_eq!(
        spec.validator.as_ref().unwrap().describe(),
        "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>"
    );
    assert_eq!(def.key("replace.null.with.default").unwrap().default, Some(ConfigValue::Boolean(true)));
}
