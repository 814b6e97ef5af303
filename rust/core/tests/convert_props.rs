//! Property tests: every schema and value round-trips through each converter, and Struct
//! validation rejects every value of the wrong type for its field.

use std::collections::HashMap;
use std::sync::Arc;

use ferroconnect_core::convert::{converter_for, header_converter_for, Converter, JsonConfig, JsonConverter};
use ferroconnect_core::data::logical;
use ferroconnect_core::data::{BigDecimal, Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};
use proptest::prelude::*;

fn primitive_type() -> impl Strategy<Value = SchemaType> {
    prop::sample::select(&SchemaType::ALL[..9])
}

/// A schema: primitives, logical types, arrays, maps (string and non-string keys) and structs.
fn schema() -> impl Strategy<Value = SchemaRef> {
    let leaf = prop_oneof![
        (primitive_type(), any::<bool>()).prop_map(|(t, o)| if o { Schema::optional_of(t) } else { Schema::of(t) }),
        (0i32..6, any::<bool>()).prop_map(|(scale, o)| Arc::new(logical::decimal_schema(scale, o))),
        any::<bool>().prop_map(logical::date_schema),
        any::<bool>().prop_map(logical::time_schema),
        any::<bool>().prop_map(logical::timestamp_schema),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            (inner.clone(), any::<bool>()).prop_map(|(s, o)| {
                let b = SchemaBuilder::array(s);
                (if o { b.optional() } else { b }).build().unwrap()
            }),
            (primitive_type(), inner.clone()).prop_map(|(k, v)| SchemaBuilder::map(Schema::of(k), v).build().unwrap()),
            (prop::collection::vec(inner, 1..5), any::<bool>(), "[a-z]{1,8}").prop_map(|(fields, o, name)| {
                let mut b = SchemaBuilder::struct_().name(&format!("test.{name}")).doc("generated");
                for (i, f) in fields.into_iter().enumerate() {
                    b = b.field(&format!("f{i}"), f);
                }
                (if o { b.optional() } else { b }).build().unwrap()
            }),
        ]
    })
}

fn float64() -> impl Strategy<Value = f64> {
    prop_oneof![any::<f64>().prop_filter("no NaN", |f| !f.is_nan()), Just(f64::INFINITY), Just(0.1), Just(1e10)]
}

fn float32() -> impl Strategy<Value = f32> {
    any::<f32>().prop_filter("no NaN", |f| !f.is_nan())
}

/// A value of `schema` (null allowed where the schema is optional).
fn value_of(schema: SchemaRef) -> BoxedStrategy<Value> {
    let non_null = non_null_value_of(schema.clone());
    if schema.optional {
        prop_oneof![1 => Just(Value::Null), 4 => non_null].boxed()
    } else {
        non_null
    }
}

fn non_null_value_of(schema: SchemaRef) -> BoxedStrategy<Value> {
    match logical::LogicalType::of(&schema) {
        Some(logical::LogicalType::Decimal) => {
            let s = schema.clone();
            return (any::<i64>(), any::<bool>())
                .prop_map(move |(n, neg)| {
                    let d = BigDecimal::new(neg, &n.unsigned_abs().to_string(), logical::decimal_scale(&s).unwrap())
                        .unwrap();
                    Value::Bytes(d.unscaled_bytes())
                })
                .boxed();
        }
        Some(logical::LogicalType::Date) => return (-1_000_000i32..1_000_000).prop_map(Value::Int32).boxed(),
        Some(logical::LogicalType::Time) => return (0i32..86_400_000).prop_map(Value::Int32).boxed(),
        Some(logical::LogicalType::Timestamp) => return any::<i64>().prop_map(Value::Int64).boxed(),
        None => {}
    }
    match schema.schema_type {
        SchemaType::Int8 => any::<i8>().prop_map(Value::Int8).boxed(),
        SchemaType::Int16 => any::<i16>().prop_map(Value::Int16).boxed(),
        SchemaType::Int32 => any::<i32>().prop_map(Value::Int32).boxed(),
        SchemaType::Int64 => any::<i64>().prop_map(Value::Int64).boxed(),
        SchemaType::Float32 => float32().prop_map(Value::Float32).boxed(),
        SchemaType::Float64 => float64().prop_map(Value::Float64).boxed(),
        SchemaType::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
        SchemaType::String => ".{0,12}".prop_map(Value::String).boxed(),
        SchemaType::Bytes => prop::collection::vec(any::<u8>(), 0..16).prop_map(Value::Bytes).boxed(),
        SchemaType::Array => {
            prop::collection::vec(value_of(schema.value_schema.clone().unwrap()), 0..4).prop_map(Value::Array).boxed()
        }
        SchemaType::Map => {
            let keys = non_null_value_of(schema.key_schema.clone().unwrap());
            let values = value_of(schema.value_schema.clone().unwrap());
            prop::collection::vec((keys, values), 0..4)
                .prop_map(|entries| {
                    // Keys are unique in a map.
                    let mut out: Vec<(Value, Value)> = Vec::new();
                    for (k, v) in entries {
                        if !out.iter().any(|(e, _)| *e == k) {
                            out.push((k, v));
                        }
                    }
                    Value::Map(out)
                })
                .boxed()
        }
        SchemaType::Struct => {
            let fields: Vec<BoxedStrategy<Value>> = schema.fields.iter().map(|f| value_of(f.schema.clone())).collect();
            let s = schema.clone();
            fields.prop_map(move |values| Value::Struct(Struct { schema: s.clone(), values })).boxed()
        }
    }
}

fn schema_and_value() -> impl Strategy<Value = (SchemaRef, Value)> {
    schema().prop_flat_map(|s| (Just(s.clone()), value_of(s)))
}

/// A schemaless value as JSON reads it back (INT64, FLOAT64, strings, arrays, string-keyed maps).
fn schemaless() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Boolean),
        any::<i64>().prop_map(Value::Int64),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::Float64),
        ".{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 20, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{0,4}", inner, 0..4)
                .prop_map(|m| Value::Map(m.into_iter().map(|(k, v)| (Value::String(k), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn json_round_trips_every_schema_and_value((schema, value) in schema_and_value()) {
        for format in ["BASE64", "NUMERIC"] {
            let settings = HashMap::from([("decimal.format".to_owned(), format.to_owned())]);
            let converter = JsonConverter::new(JsonConfig::from_settings(&settings).unwrap());
            let bytes = converter.from_connect_data("t", Some(&schema), &value).unwrap();
            let back = converter.to_connect_data("t", bytes.as_deref()).unwrap();
            prop_assert_eq!(back.schema.as_deref(), Some(&*schema));
            prop_assert_eq!(&back.value, &value);
            // Written again, the bytes are identical (a stable, canonical form).
            let again = converter.from_connect_data("t", back.schema.as_ref(), &back.value).unwrap();
            prop_assert_eq!(again, bytes);
        }
    }

    #[test]
    fn json_round_trips_schemaless_values(value in schemaless()) {
        for enable in ["true", "false"] {
            let settings = HashMap::from([("schemas.enable".to_owned(), enable.to_owned())]);
            let converter = JsonConverter::new(JsonConfig::from_settings(&settings).unwrap());
            let bytes = converter.from_connect_data("t", None, &value).unwrap();
            let back = converter.to_connect_data("t", bytes.as_deref()).unwrap();
            prop_assert_eq!(back.value, value.clone());
        }
    }

    #[test]
    fn string_bytes_and_number_converters_round_trip(s in ".{0,20}", b in prop::collection::vec(any::<u8>(), 0..20),
                                                      i in any::<i32>(), l in any::<i64>(), d in float64()) {
        let none = HashMap::new();
        let cases: [(&str, Value); 5] = [
            ("org.apache.kafka.connect.storage.StringConverter", Value::String(s)),
            ("org.apache.kafka.connect.converters.ByteArrayConverter", Value::Bytes(b)),
            ("org.apache.kafka.connect.converters.IntegerConverter", Value::Int32(i)),
            ("org.apache.kafka.connect.converters.LongConverter", Value::Int64(l)),
            ("org.apache.kafka.connect.converters.DoubleConverter", Value::Float64(d)),
        ];
        for (class, value) in cases {
            let c = converter_for(class, &none, false).unwrap();
            let bytes = c.from_connect_data("t", None, &value).unwrap();
            prop_assert_eq!(c.to_connect_data("t", bytes.as_deref()).unwrap().value, value);
            prop_assert_eq!(c.to_connect_data("t", None).unwrap().value, Value::Null);
        }
    }

    #[test]
    fn header_converter_keeps_integers_and_booleans(ints in prop::collection::vec(any::<i64>(), 0..5), flag in any::<bool>(),
                                                    n in any::<i64>()) {
        let header = header_converter_for("org.apache.kafka.connect.storage.SimpleHeaderConverter", &HashMap::new()).unwrap();
        let round = |v: Value| {
            let bytes = header.to_bytes("t", "h", None, &v).unwrap();
            header.to_connect_header("t", "h", bytes.as_deref()).unwrap().value
        };
        prop_assert_eq!(round(Value::Boolean(flag)), Value::Boolean(flag));
        prop_assert_eq!(round(Value::Int64(n)).as_i64(), Some(n));
        let list = round(Value::Array(ints.iter().map(|i| Value::Int64(*i)).collect()));
        let Value::Array(items) = list else { panic!("not an array: {list:?}") };
        prop_assert_eq!(items.iter().map(|v| v.as_i64().unwrap()).collect::<Vec<_>>(), ints);
    }

    #[test]
    fn struct_put_rejects_wrong_types((schema, value) in schema_and_value(), other in schema_and_value()) {
        // A struct with one field of `schema`: a value of another type (or null for a required
        // field) must be refused, naming the field.
        let holder = SchemaBuilder::struct_().field("x", schema.clone()).build().unwrap();
        let mut s = Struct::new(holder).unwrap();
        prop_assert!(s.put("x", value).is_ok());
        let (other_schema, other_value) = other;
        let compatible = other_schema.schema_type == schema.schema_type
            || (other_value.is_null() && schema.optional);
        if !compatible {
            let err = s.put("x", other_value.clone()).unwrap_err().to_string();
            prop_assert!(err.contains("\"x\""), "{}", err);
        }
        prop_assert!(s.put("nope", Value::Null).is_err());
    }
}

/// An envelope's payload, read by a converter that read this schema's text last (so the payload
/// is read guided by the schema, `json/guided.rs`) and by one that did not (the general path):
/// `Debug` of both results, values or errors.
fn read_both_ways(schema: &SchemaRef, value: &Value, payload: &[u8]) -> (String, String) {
    let converter = JsonConverter::new(JsonConfig::default());
    let canonical = converter.from_connect_data("t", Some(schema), value).unwrap().unwrap();
    let bare = JsonConverter::new(JsonConfig { schemas_enable: false, ..JsonConfig::default() });
    let canonical_payload = bare.from_connect_data("t", Some(schema), value).unwrap().unwrap_or_default();
    let schema_end = canonical.len() - 1 - canonical_payload.len() - b",\"payload\":".len();
    let mut variant = canonical[..schema_end].to_vec();
    variant.extend_from_slice(b",\"payload\":");
    variant.extend_from_slice(payload);
    variant.push(b'}');
    converter.to_connect_data("t", Some(&canonical)).unwrap();
    let guided = converter.to_connect_data("t", Some(&variant));
    let general = JsonConverter::new(JsonConfig::default()).to_connect_data("t", Some(&variant));
    (format!("{guided:?}"), format!("{general:?}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn a_payload_read_guided_by_its_schema_reads_as_by_the_general_path(
        (schema, value) in schema_and_value(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(&b" {}[]\",:-0159.eaxn\\"[..])), 0..3),
    ) {
        let bare = JsonConverter::new(JsonConfig { schemas_enable: false, ..JsonConfig::default() });
        let mut payload = bare.from_connect_data("t", Some(&schema), &value).unwrap().unwrap_or_else(|| b"null".to_vec());
        for (at, kind, byte) in edits {
            let i = at.index(payload.len() + 1);
            match kind {
                0 => payload.insert(i, byte),
                1 if i < payload.len() => { payload.remove(i); }
                _ if i < payload.len() => payload[i] = byte,
                _ => {}
            }
        }
        let (guided, general) = read_both_ways(&schema, &value, &payload);
        prop_assert_eq!(guided, general);
    }
}

#[test]
fn payloads_in_other_forms_read_guided_as_by_the_general_path() {
    let inner = SchemaBuilder::struct_().field("x", Schema::of(SchemaType::Int32)).optional().build().unwrap();
    let schema = SchemaBuilder::struct_()
        .field("id", Schema::of(SchemaType::Int64))
        .field("tags", SchemaBuilder::array(Schema::of(SchemaType::String)).build().unwrap())
        .field("inner", inner.clone())
        .field("m", SchemaBuilder::map(Schema::of(SchemaType::String), Schema::of(SchemaType::Int8)).build().unwrap())
        .field("d", Arc::new(logical::decimal_schema(2, false)))
        .field("o", SchemaBuilder::new(SchemaType::Int16).optional().default_value(Value::Int16(7)).build().unwrap())
        .build()
        .unwrap();
    let value = Value::Struct(Struct {
        schema: schema.clone(),
        values: vec![
            Value::Int64(1),
            Value::Array(vec![Value::String("a".into())]),
            Value::Struct(Struct { schema: inner, values: vec![Value::Int32(2)] }),
            Value::Map(vec![(Value::String("k".into()), Value::Int8(3))]),
            Value::Bytes(vec![0x01, 0x00]),
            Value::Int16(4),
        ],
    });
    let payloads = [
        // the canonical form, and with spacing
        r#"{"id":1,"tags":["a"],"inner":{"x":2},"m":{"k":3},"d":"AQA=","o":4}"#,
        r#" { "id" : 1 , "tags" : [ "a" , "b" ] , "inner" : { "x" : 2 } , "m" : { } , "d" : "AQA=" , "o" : 4 } "#,
        // keys in another order, missing, repeated, extra, escaped
        r#"{"tags":["a"],"id":1,"inner":{"x":2},"m":{"k":3},"d":"AQA=","o":4}"#,
        r#"{"id":1,"tags":["a"],"inner":null,"m":{"k":3},"d":"AQA="}"#,
        r#"{"id":1,"tags":["a"],"inner":{"x":2},"m":{"k":3},"d":"AQA=","o":4,"o":5}"#,
        r#"{"id":1,"tags":["a"],"inner":{"x":2,"y":0},"m":{"k":3},"d":"AQA=","o":4}"#,
        r#"{"\u0069d":1,"tags":["a"],"inner":{"x":2},"m":{"k":3},"d":"AQA=","o":null}"#,
        // values Kafka reads leniently, or refuses
        r#"{"id":007,"tags":[],"inner":{"x":2.9},"m":{"k":3,"k":4},"d":1.5,"o":4}"#,
        r#"{"id":99999999999999999999,"tags":["a"],"inner":{"x":2},"m":{"k":3},"d":"AQA=","o":4}"#,
        r#"{"id":1,"tags":[null],"inner":{"x":2},"m":{"k":3},"d":"AQA=","o":4}"#,
        r#"{"id":1,"tags":["a",],"inner":{"x":2},"m":{"k":3},"d":"AQA=","o":4}"#,
        r#"{"id":1,"tags":"a","inner":{"x":2},"m":{"k":3},"d":"AQA=","o":4}"#,
        r#"{"id":1,"tags":["a"],"inner":{"x":2},"m":{"k":3},"d":"AQA=","o":4"#,
        r#"{"id":1,"tags":["a"],"inner":{"x":2},"m":{"k":3},"d":"AQA=","o":4}}"#,
        r#"{}"#,
        r#"null"#,
        r#"[1]"#,
    ];
    for payload in payloads {
        let (guided, general) = read_both_ways(&schema, &value, payload.as_bytes());
        assert_eq!(guided, general, "payload {payload}");
    }
    let deep = format!("{}1{}", "[".repeat(1200), "]".repeat(1200));
    let nested = SchemaBuilder::struct_().field("a", Schema::of(SchemaType::Int32)).build().unwrap();
    let (guided, general) = read_both_ways(
        &nested,
        &Value::Struct(Struct { schema: nested.clone(), values: vec![Value::Int32(1)] }),
        deep.as_bytes(),
    );
    assert_eq!(guided, general);
}
