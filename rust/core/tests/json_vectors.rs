//! Checks the JsonConverter against the vector table `tests/vectors/json_converter.json`: each
//! case gives a schema (as Kafka writes it), a value, and the exact JSON Kafka's converter writes
//! for them (or reads from it, or the error it raises). The same table is checked from Python.

use std::collections::HashMap;
use std::sync::Arc;

use ferroconnect_core::convert::{Converter, JsonConfig, JsonConverter};
use ferroconnect_core::data::logical::{self, days_from_civil, LogicalType};
use ferroconnect_core::data::{BigDecimal, SchemaRef, SchemaType, Struct, Value};
use serde_json::Value as J;

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}

fn millis_of(text: &str) -> i64 {
    // YYYY-MM-DDTHH:MM:SS.mmmZ or HH:MM:SS.mmm
    let time = |t: &str| {
        let h: i64 = t[0..2].parse().unwrap();
        let m: i64 = t[3..5].parse().unwrap();
        let s: i64 = t[6..8].parse().unwrap();
        let ms: i64 = t[9..12].parse().unwrap();
        ((h * 60 + m) * 60 + s) * 1000 + ms
    };
    if text.len() == 12 {
        return time(text);
    }
    date_of(&text[..10]) * 86_400_000 + time(&text[11..23])
}

fn date_of(text: &str) -> i64 {
    days_from_civil(text[0..4].parse().unwrap(), text[5..7].parse().unwrap(), text[8..10].parse().unwrap())
}

fn float_of(v: &J) -> f64 {
    match v {
        J::String(s) => s.parse().unwrap_or_else(|_| match s.as_str() {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            other => panic!("bad float {other}"),
        }),
        other => other.as_f64().unwrap(),
    }
}

/// The typed value a vector describes, guided by its schema.
fn build(schema: Option<&SchemaRef>, v: &J) -> Value {
    let Some(schema) = schema else { return schemaless(v) };
    if v.is_null() {
        return Value::Null;
    }
    match LogicalType::of(schema) {
        Some(LogicalType::Decimal) => {
            return logical::decimal_to_value(schema, &BigDecimal::parse(v.as_str().unwrap()).unwrap()).unwrap()
        }
        Some(LogicalType::Date) => return Value::Int32(date_of(v.as_str().unwrap()) as i32),
        Some(LogicalType::Time) => return Value::Int32(millis_of(v.as_str().unwrap()) as i32),
        Some(LogicalType::Timestamp) => return Value::Int64(millis_of(v.as_str().unwrap())),
        None => {}
    }
    match schema.schema_type {
        SchemaType::Int8 => Value::Int8(v.as_i64().unwrap() as i8),
        SchemaType::Int16 => Value::Int16(v.as_i64().unwrap() as i16),
        SchemaType::Int32 => Value::Int32(v.as_i64().unwrap() as i32),
        SchemaType::Int64 => Value::Int64(v.as_i64().unwrap()),
        SchemaType::Float32 => Value::Float32(float_of(v) as f32),
        SchemaType::Float64 => Value::Float64(float_of(v)),
        SchemaType::Boolean => Value::Boolean(v.as_bool().unwrap()),
        SchemaType::String => Value::from(v.as_str().unwrap()),
        SchemaType::Bytes => Value::Bytes(hex(v.as_str().unwrap())),
        SchemaType::Array => {
            Value::Array(v.as_array().unwrap().iter().map(|x| build(schema.value_schema.as_ref(), x)).collect())
        }
        SchemaType::Map => Value::Map(match v {
            J::Object(o) => {
                o.iter().map(|(k, x)| (Value::from(k.as_str()), build(schema.value_schema.as_ref(), x))).collect()
            }
            J::Array(pairs) => pairs
                .iter()
                .map(|p| (build(schema.key_schema.as_ref(), &p[0]), build(schema.value_schema.as_ref(), &p[1])))
                .collect(),
            other => panic!("bad map {other}"),
        }),
        SchemaType::Struct => {
            let mut s = Struct::new(schema.clone()).unwrap();
            for (k, x) in v.as_object().unwrap() {
                let field = schema.field(k).unwrap();
                s.values[field.index] = build(Some(&field.schema), x);
            }
            Value::Struct(s)
        }
    }
}

fn schemaless(v: &J) -> Value {
    match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Boolean(*b),
        J::Number(n) if n.is_i64() => Value::Int64(n.as_i64().unwrap()),
        J::Number(n) => Value::Float64(n.as_f64().unwrap()),
        J::String(s) => Value::from(s.as_str()),
        J::Array(a) => Value::Array(a.iter().map(schemaless).collect()),
        J::Object(o) => Value::Map(o.iter().map(|(k, x)| (Value::from(k.as_str()), schemaless(x))).collect()),
    }
}

/// NaN-tolerant equality (NaN != NaN in `PartialEq`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float64(x), Value::Float64(y)) => x.to_bits() == y.to_bits() || x == y,
        (Value::Float32(x), Value::Float32(y)) => x.to_bits() == y.to_bits() || x == y,
        _ => a == b,
    }
}

#[test]
fn json_converter_matches_the_vector_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/json_converter.json");
    let table: J = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = table["cases"].as_array().unwrap();
    assert!(cases.len() > 80);
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let settings: HashMap<String, String> = case["config"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect();
        let converter = JsonConverter::new(JsonConfig::from_settings(&settings).unwrap());
        let schema: Option<SchemaRef> = match &case["schema"] {
            J::Null => None,
            s => converter.as_connect_schema(s.to_string().as_bytes()).unwrap(),
        };
        if let Some(schema) = &schema {
            // The table writes schemas in Kafka's key order: writing them back gives the same text.
            let written = converter.schema_json(schema).unwrap();
            let expected = serde_json::to_string(&case["schema"]).unwrap();
            if *written != *expected.as_bytes() {
                failures.push(format!("{name}: schema {} != {expected}", String::from_utf8_lossy(&written)));
            }
        }
        let value = build(schema.as_ref(), &case["value"]);
        let json = case["json"].as_str().map(|s| s.as_bytes().to_vec());
        let mode = case["mode"].as_str().unwrap();
        if mode == "both" || mode == "write" {
            match converter.from_connect_data("t", schema.as_ref(), &value) {
                Ok(bytes) if bytes == json => {}
                Ok(bytes) => failures.push(format!(
                    "{name}: wrote {:?}, expected {:?}",
                    bytes.map(|b| String::from_utf8_lossy(&b).into_owned()),
                    case["json"]
                )),
                Err(e) => failures.push(format!("{name}: write failed: {e}")),
            }
        }
        if mode == "both" || mode == "read" {
            match converter.to_connect_data("t", json.as_deref()) {
                Ok(read) => {
                    if !same(&read.value, &value) {
                        failures.push(format!("{name}: read {:?}, expected {:?}", read.value, value));
                    }
                    if read.schema != schema && !(schema.is_none() && read.schema.is_none()) {
                        failures.push(format!("{name}: read schema {:?}, expected {:?}", read.schema, schema));
                    }
                }
                Err(e) => failures.push(format!("{name}: read failed: {e}")),
            }
        }
        let expected_error = case.get("error").and_then(J::as_str);
        if mode == "read_error" {
            match converter.to_connect_data("t", json.as_deref()) {
                Err(e) if e.to_string().contains(expected_error.unwrap()) => {}
                other => failures.push(format!("{name}: expected error {expected_error:?}, got {other:?}")),
            }
        }
        if mode == "write_error" {
            match converter.from_connect_data("t", schema.as_ref(), &value) {
                Err(e) if e.to_string().contains(expected_error.unwrap()) => {}
                other => failures.push(format!("{name}: expected error {expected_error:?}, got {other:?}")),
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn schemas_are_shared_not_rebuilt() {
    let converter = JsonConverter::new(JsonConfig::default());
    let bytes = br#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":false},"payload":{"a":1}}"#;
    let first = converter.to_connect_data("t", Some(bytes)).unwrap().schema.unwrap();
    let second = converter.to_connect_data("t", Some(bytes)).unwrap().schema.unwrap();
    assert!(Arc::ptr_eq(&first, &second));
}

/// Once a schema text has been read, an envelope with the same text has only its payload parsed:
/// every answer (values and errors) must be the one a converter that has read nothing gives.
#[test]
fn envelopes_of_the_last_schema_read_as_any_other() {
    let schema = r#"{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":false}"#;
    let envelopes = [
        format!(r#"{{"schema":{schema},"payload":{{"a":1}}}}"#),
        format!(r#"{{"schema":{schema},"payload": {{ "a" : 2 }} }}  trailing"#),
        format!(r#"{{"schema":{schema},"payload":{{"a":1}},"extra":1}}"#),
        format!(r#"{{"schema":{schema},"payload":{{"a":1}},"schema":null}}"#),
        format!(r#"{{"schema":{schema},"payload":{{"a":}}}}"#),
        format!(r#"{{"schema":{schema},"payload":{{"a":"x"}}}}"#),
        format!(r#"{{"schema":{schema},"payload":{{"a":1}}"#),
        format!(r#"{{"schema":{schema},"payload":null}}"#),
        r#"{"schema":null,"payload":{"b":[1,2]}}"#.to_owned(),
    ];
    let primed = JsonConverter::new(JsonConfig::default());
    let first = format!(r#"{{"schema":{schema},"payload":{{"a":0}}}}"#);
    primed.to_connect_data("t", Some(first.as_bytes())).unwrap();
    for envelope in &envelopes {
        let fresh = JsonConverter::new(JsonConfig::default());
        let expected = fresh.to_connect_data("t", Some(envelope.as_bytes())).map_err(|e| e.to_string());
        let got = primed.to_connect_data("t", Some(envelope.as_bytes())).map_err(|e| e.to_string());
        assert_eq!(got, expected, "{envelope}");
        // And again, now that this envelope's schema text (if it parsed) was read last.
        let again = primed.to_connect_data("t", Some(envelope.as_bytes())).map_err(|e| e.to_string());
        assert_eq!(again, expected, "{envelope}, read twice");
    }
}
