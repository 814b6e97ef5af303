//! Kafka's `ReplaceFieldTest`, case by case, plus its config rules (Kafka 4.4's list checks).

use super::*;
use crate::data::SchemaType;
use crate::transforms::test_util::*;

fn s(t: SchemaType) -> SchemaRef {
    Schema::of(t)
}

fn four_fields() -> SchemaRef {
    SchemaBuilder::struct_()
        .field("dont", s(SchemaType::String))
        .field("abc", s(SchemaType::Int32))
        .field("foo", s(SchemaType::Boolean))
        .field("etc", s(SchemaType::String))
        .build()
        .unwrap()
}

#[test]
fn tombstone_schemaless() {
    let mut t = configure(make_value, &[("include", "abc,foo"), ("renames", "abc:xyz,foo:bar")]);
    let out = apply(t.as_mut(), value_record(None, Value::Null));
    assert_eq!((out.value_schema, out.value), (None, Value::Null));
}

#[test]
fn tombstone_with_schema() {
    let mut t = configure(make_value, &[("include", "abc,foo"), ("renames", "abc:xyz,foo:bar")]);
    let out = apply(t.as_mut(), value_record(Some(four_fields()), Value::Null));
    assert_eq!(out.value, Value::Null);
    assert_eq!(out.value_schema.unwrap(), four_fields());
}

#[test]
fn schemaless() {
    let mut t = configure(make_value, &[("exclude", "dont"), ("renames", "abc:xyz,foo:bar")]);
    let value = map(&[
        ("dont", Value::from("whatever")),
        ("abc", Value::Int32(42)),
        ("foo", Value::Boolean(true)),
        ("etc", Value::from("etc")),
    ]);
    let out = apply(t.as_mut(), value_record(None, value));
    assert_eq!(
        out.value,
        map(&[("xyz", Value::Int32(42)), ("bar", Value::Boolean(true)), ("etc", Value::from("etc"))])
    );
}

#[test]
fn with_schema() {
    let mut t = configure(make_value, &[("include", "abc,foo"), ("renames", "abc:xyz,foo:bar")]);
    let value = make_struct(
        &four_fields(),
        &[
            ("dont", Value::from("whatever")),
            ("abc", Value::Int32(42)),
            ("foo", Value::Boolean(true)),
            ("etc", Value::from("etc")),
        ],
    );
    let out = apply(t.as_mut(), value_record(Some(four_fields()), Value::Struct(value)));
    let out = as_struct(&out.value);
    assert_eq!(out.schema.fields.len(), 2);
    assert_eq!(out.get("xyz").unwrap(), &Value::Int32(42));
    assert_eq!(out.get("bar").unwrap(), &Value::Boolean(true));
}

#[test]
fn test_replace_null_with_default_config_on_value_and_key() {
    for (replace, expected) in [("false", Value::Null), ("true", Value::Int32(42))] {
        let props =
            [("include", "abc"), ("renames", "abc:optional_with_default"), ("replace.null.with.default", replace)];
        let schema = SchemaBuilder::struct_()
            .field("abc", SchemaBuilder::int32().optional().default_value(42).build().unwrap())
            .build()
            .unwrap();
        let value = Value::Struct(make_struct(&schema, &[("abc", Value::Null)]));
        let out = apply(configure(make_value, &props).as_mut(), value_record(Some(schema.clone()), value.clone()));
        let out = as_struct(&out.value);
        assert_eq!(out.schema.fields.len(), 1);
        assert_eq!(out.get_without_default("optional_with_default").unwrap(), &expected);
        let out = apply(configure(make_key, &props).as_mut(), key_record(Some(schema), value));
        assert_eq!(as_struct(&out.key).get_without_default("optional_with_default").unwrap(), &expected);
    }
}

#[test]
fn derived_schema_keeps_basics_not_optionality() {
    let schema = SchemaBuilder::struct_()
        .name("n")
        .version(2)
        .doc("d")
        .parameter("p", "v")
        .optional()
        .field("a", s(SchemaType::Int32))
        .field("b", Schema::optional_of(SchemaType::String))
        .build()
        .unwrap();
    let mut t = configure(make_value, &[("exclude", "b")]);
    let value = Value::Struct(make_struct(&schema, &[("a", Value::Int32(1))]));
    let out = apply(t.as_mut(), value_record(Some(schema.clone()), value.clone()));
    let out_schema = out.value_schema.unwrap();
    let expected = SchemaBuilder::struct_()
        .name("n")
        .version(2)
        .doc("d")
        .parameter("p", "v")
        .field("a", s(SchemaType::Int32))
        .build()
        .unwrap();
    assert_eq!(out_schema, expected);
    // Cached by the struct's schema: the same Arc for the next record.
    let again = apply(t.as_mut(), value_record(Some(schema), value)).value_schema.unwrap();
    assert!(std::sync::Arc::ptr_eq(&out_schema, &again));
}

#[test]
fn exclude_wins_and_renames_to_one_name_follow_java() {
    let mut t = configure(make_value, &[("include", "a,b"), ("exclude", "b")]);
    let out = apply(
        t.as_mut(),
        value_record(None, map(&[("a", Value::Int64(1)), ("b", Value::Int64(2)), ("c", Value::Int64(3))])),
    );
    assert_eq!(out.value, map(&[("a", Value::Int64(1))]));

    // Two renames to one name: the struct refuses the duplicate field...
    let schema =
        SchemaBuilder::struct_().field("a", s(SchemaType::Int32)).field("b", s(SchemaType::Int32)).build().unwrap();
    let mut t = configure(make_value, &[("renames", "a:x,b:x")]);
    let value = Value::Struct(make_struct(&schema, &[("a", Value::Int32(1)), ("b", Value::Int32(2))]));
    assert_eq!(
        data_error(t.as_mut(), value_record(Some(schema), value)),
        "Cannot create field because of field name duplication x"
    );
    // ... and when only one exists, reading back goes through Kafka's inverted map, where "b"
    // (iterated after "a" in Java's HashMap) wins.
    let only_b = SchemaBuilder::struct_().field("b", s(SchemaType::Int32)).build().unwrap();
    let value = Value::Struct(make_struct(&only_b, &[("b", Value::Int32(2))]));
    let out = apply(t.as_mut(), value_record(Some(only_b), value));
    assert_eq!(as_struct(&out.value).get("x").unwrap(), &Value::Int32(2));
}

#[test]
fn config_errors_name_the_key() {
    let (key, reason) = config_error(make_value, &[("renames", "a:b,c")]);
    assert_eq!(
        (key.as_str(), reason.as_str()),
        ("renames", "Invalid value [a:b, c] for configuration renames: Invalid rename mapping: c")
    );
    let (key, reason) = config_error(make_value, &[("exclude", "a,,b")]);
    assert_eq!((key.as_str(), reason.as_str()), ("exclude", "Configuration 'exclude' values must not be empty."));
    // Empty lists are fine, duplicates are dropped, a trailing colon vanishes (Java's split).
    configure(make_value, &[("exclude", ""), ("include", "a,a"), ("renames", "a:b:")]);
    assert_eq!(
        config_def().key("renames").unwrap().validator.as_ref().unwrap().describe(),
        "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>"
    );
}

#[test]
fn requires_a_struct_or_map() {
    let mut t = configure(make_value, &[("exclude", "a")]);
    assert_eq!(
        data_error(t.as_mut(), value_record(Some(s(SchemaType::Int32)), Value::Int32(1))),
        "Only Struct objects supported for [field replacement], found: java.lang.Integer"
    );
    assert_eq!(
        data_error(t.as_mut(), value_record(None, Value::from("x"))),
        "Only Map objects supported in absence of schema for [field replacement], found: java.lang.String"
    );
}
