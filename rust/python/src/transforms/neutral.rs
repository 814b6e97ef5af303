//! The neutral JSON form of records that the transforms differential test shares with Kafka's
//! side (`tests/jvm/transforms/TransformCases.java`, which describes it) ⇄ the core's [`Record`].
//!
//! Schemas and schema'd values follow `tests/jvm/json/JsonConverterCases.java`: values in their
//! logical form (Decimal as its text, Date as days, Time and Timestamp as milliseconds), bytes in
//! base64, non-finite floats as `"NaN"`/`"Infinity"`/`"-Infinity"`, maps as `[key, value]` pairs,
//! structs as objects of their fields. Schemaless values are plain JSON for strings, booleans,
//! lists, INT64 (integral numbers) and FLOAT64 (other numbers); anything else is an object of one
//! tag: `{"map": pairs}`, `{"int8"|"int16"|"int32"|"int64": n}`, `{"float32"|"float64": x}`,
//! `{"bytes": b64}`, `{"struct": {"schema", "value"}}` (Java's `{"decimal"}` and `{"date"}` have
//! no schemaless form here). A value that does not have its schema's type is written as
//! `{"type_mismatch": {"schema_type", "value"}}`, so that the comparison sees it.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ferroconnect_core::data::logical::{decimal_from_value, decimal_to_value};
use ferroconnect_core::data::{BigDecimal, LogicalType, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};
use ferroconnect_core::runtime::record::Header;
use ferroconnect_core::transforms::Record;
use ferroconnect_core::{Error, Result};
use serde_json::{json, Map as JsonMap, Value as Json};

fn bad(what: &str, node: &Json) -> Error {
    Error::data(format!("neutral form: {what}: {node}"))
}

// --- neutral → core ----------------------------------------------------------------------------

/// A record from its neutral form.
pub fn record_in(n: &Json) -> Result<Record> {
    let key_schema = schema_in(&n["key_schema"])?;
    let value_schema = schema_in(&n["value_schema"])?;
    let mut headers = Vec::new();
    for h in n["headers"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let schema = schema_in(&h["schema"])?;
        let value = value_in(schema.as_ref(), &h["value"])?;
        let key = h["key"].as_str().ok_or_else(|| bad("header key", h))?;
        headers.push(Header { key: key.to_owned(), schema, value });
    }
    Ok(Record {
        topic: n["topic"].as_str().ok_or_else(|| bad("topic", n))?.into(),
        partition: n["partition"].as_i64().map(|p| p as i32),
        key: value_in(key_schema.as_ref(), &n["key"])?,
        key_schema,
        value: value_in(value_schema.as_ref(), &n["value"])?,
        value_schema,
        timestamp: n["timestamp"].as_i64(),
        headers,
        offset: n["offset"].as_i64(),
    })
}

/// A schema from its neutral form (`null`: none).
pub fn schema_in(n: &Json) -> Result<Option<SchemaRef>> {
    if n.is_null() {
        return Ok(None);
    }
    let type_name = n["type"].as_str().ok_or_else(|| bad("schema type", n))?;
    let schema_type = SchemaType::from_name(type_name).ok_or_else(|| bad("schema type", n))?;
    let required = |node: &Json| schema_in(node)?.ok_or_else(|| bad("nested schema", n));
    let mut builder = match schema_type {
        SchemaType::Array => SchemaBuilder::array(required(&n["value"])?),
        SchemaType::Map => SchemaBuilder::map(required(&n["key"])?, required(&n["value"])?),
        SchemaType::Struct => {
            let mut builder = SchemaBuilder::struct_();
            for f in n["fields"].as_array().ok_or_else(|| bad("struct fields", n))? {
                let name = f["name"].as_str().ok_or_else(|| bad("field name", f))?;
                builder.add_field(name, required(&f["schema"])?)?;
            }
            builder
        }
        other => SchemaBuilder::new(other),
    };
    if n["optional"].as_bool().unwrap_or(false) {
        builder.set_optional(true)?;
    }
    if let Some(name) = n["name"].as_str() {
        builder.set_name(name)?;
    }
    if let Some(version) = n["version"].as_i64() {
        builder.set_version(version as i32)?;
    }
    if let Some(doc) = n["doc"].as_str() {
        builder.set_doc(doc)?;
    }
    if let Some(parameters) = n["parameters"].as_object() {
        for (k, v) in parameters {
            builder.set_parameter(k, v.as_str().ok_or_else(|| bad("parameter", v))?)?;
        }
    }
    if let Some(default) = n.get("default") {
        let current = Arc::new(builder.current());
        builder.set_default(value_in(Some(&current), default)?)?;
    }
    builder.build().map(Some)
}

fn float_in(n: &Json) -> Result<f64> {
    match n {
        Json::String(s) if s == "NaN" => Ok(f64::NAN),
        Json::String(s) if s == "Infinity" => Ok(f64::INFINITY),
        Json::String(s) if s == "-Infinity" => Ok(f64::NEG_INFINITY),
        other => other.as_f64().ok_or_else(|| bad("float", other)),
    }
}

fn int_in<T: TryFrom<i64>>(n: &Json) -> Result<T> {
    n.as_i64().and_then(|i| T::try_from(i).ok()).ok_or_else(|| bad("integer", n))
}

fn bytes_in(n: &Json) -> Result<Vec<u8>> {
    let text = n.as_str().ok_or_else(|| bad("bytes", n))?;
    BASE64.decode(text).map_err(|_| bad("base64", n))
}

/// A value of `schema` (schemaless when `None`) from its neutral form.
pub fn value_in(schema: Option<&SchemaRef>, n: &Json) -> Result<Value> {
    let Some(schema) = schema else {
        return schemaless_in(n);
    };
    if n.is_null() {
        return Ok(Value::Null);
    }
    if LogicalType::of(schema) == Some(LogicalType::Decimal) {
        let text = n.as_str().ok_or_else(|| bad("decimal", n))?;
        return decimal_to_value(schema, &BigDecimal::parse(text)?);
    }
    Ok(match schema.schema_type {
        SchemaType::Int8 => Value::Int8(int_in(n)?),
        SchemaType::Int16 => Value::Int16(int_in(n)?),
        SchemaType::Int32 => Value::Int32(int_in(n)?),
        SchemaType::Int64 => Value::Int64(int_in(n)?),
        SchemaType::Float32 => Value::Float32(float_in(n)? as f32),
        SchemaType::Float64 => Value::Float64(float_in(n)?),
        SchemaType::Boolean => Value::Boolean(n.as_bool().ok_or_else(|| bad("boolean", n))?),
        SchemaType::String => Value::String(n.as_str().ok_or_else(|| bad("string", n))?.to_owned()),
        SchemaType::Bytes => Value::Bytes(bytes_in(n)?),
        SchemaType::Array => {
            let items = n.as_array().ok_or_else(|| bad("array", n))?;
            Value::Array(items.iter().map(|x| value_in(schema.value_schema.as_ref(), x)).collect::<Result<_>>()?)
        }
        SchemaType::Map => Value::Map(pairs_in(n, schema.key_schema.as_ref(), schema.value_schema.as_ref())?),
        SchemaType::Struct => {
            let mut record = Struct::new(schema.clone())?;
            for (name, x) in n.as_object().ok_or_else(|| bad("struct", n))? {
                let field = schema.field_or_err(name)?;
                record.put(name, value_in(Some(&field.schema), x)?)?;
            }
            Value::Struct(record)
        }
    })
}

fn pairs_in(n: &Json, key: Option<&SchemaRef>, value: Option<&SchemaRef>) -> Result<Vec<(Value, Value)>> {
    let pairs = n.as_array().ok_or_else(|| bad("map pairs", n))?;
    pairs
        .iter()
        .map(|pair| match pair.as_array().map(Vec::as_slice) {
            Some([k, v]) => Ok((value_in(key, k)?, value_in(value, v)?)),
            _ => Err(bad("map pair", pair)),
        })
        .collect()
}

fn schemaless_in(n: &Json) -> Result<Value> {
    Ok(match n {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(x) => match x.as_i64() {
            Some(i) => Value::Int64(i),
            None => Value::Float64(x.as_f64().ok_or_else(|| bad("number", n))?),
        },
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => Value::Array(items.iter().map(schemaless_in).collect::<Result<_>>()?),
        Json::Object(tagged) => {
            let (tag, v) = tagged.iter().next().ok_or_else(|| bad("schemaless tag", n))?;
            match tag.as_str() {
                "map" => Value::Map(pairs_in(v, None, None)?),
                "int8" => Value::Int8(int_in(v)?),
                "int16" => Value::Int16(int_in(v)?),
                "int32" => Value::Int32(int_in(v)?),
                "int64" => Value::Int64(int_in(v)?),
                "float32" => Value::Float32(float_in(v)? as f32),
                "float64" => Value::Float64(float_in(v)?),
                "bytes" => Value::Bytes(bytes_in(v)?),
                "struct" => {
                    let schema = schema_in(&v["schema"])?.ok_or_else(|| bad("struct schema", v))?;
                    value_in(Some(&schema), &v["value"])?
                }
                _ => return Err(bad("schemaless tag with no form here", n)),
            }
        }
    })
}

// --- core → neutral ----------------------------------------------------------------------------

/// The neutral form of a record.
pub fn record_out(record: &Record) -> Json {
    let headers: Vec<Json> = record
        .headers
        .iter()
        .map(|h| json!({"key": h.key, "schema": schema_out(h.schema.as_ref()), "value": value_out(h.schema.as_ref(), &h.value)}))
        .collect();
    json!({
        "topic": &*record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key_schema": schema_out(record.key_schema.as_ref()),
        "key": value_out(record.key_schema.as_ref(), &record.key),
        "value_schema": schema_out(record.value_schema.as_ref()),
        "value": value_out(record.value_schema.as_ref(), &record.value),
        "timestamp": record.timestamp,
        "headers": headers,
    })
}

/// The neutral form of a schema (`null`: none).
pub fn schema_out(schema: Option<&SchemaRef>) -> Json {
    let Some(schema) = schema else {
        return Json::Null;
    };
    let mut n = JsonMap::new();
    n.insert("type".into(), json!(schema.schema_type.name()));
    n.insert("optional".into(), json!(schema.optional));
    if let Some(name) = &schema.name {
        n.insert("name".into(), json!(name));
    }
    if let Some(version) = schema.version {
        n.insert("version".into(), json!(version));
    }
    if let Some(doc) = &schema.doc {
        n.insert("doc".into(), json!(doc));
    }
    if !schema.parameters.is_empty() {
        n.insert("parameters".into(), json!(schema.parameters));
    }
    if let Some(default) = &schema.default {
        if !default.is_null() {
            n.insert("default".into(), value_out(Some(schema), default));
        }
    }
    match schema.schema_type {
        SchemaType::Array => {
            n.insert("value".into(), schema_out(schema.value_schema.as_ref()));
        }
        SchemaType::Map => {
            n.insert("key".into(), schema_out(schema.key_schema.as_ref()));
            n.insert("value".into(), schema_out(schema.value_schema.as_ref()));
        }
        SchemaType::Struct => {
            let fields: Vec<Json> =
                schema.fields.iter().map(|f| json!({"name": f.name, "schema": schema_out(Some(&f.schema))})).collect();
            n.insert("fields".into(), json!(fields));
        }
        _ => {}
    }
    Json::Object(n)
}

fn float_out(x: f64) -> Json {
    if x.is_nan() {
        json!("NaN")
    } else if x.is_infinite() {
        json!(if x > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        json!(x)
    }
}

/// The neutral form of a value of `schema` (schemaless when `None`).
pub fn value_out(schema: Option<&SchemaRef>, value: &Value) -> Json {
    let Some(schema) = schema else {
        return schemaless_out(value);
    };
    if value.is_null() {
        return Json::Null;
    }
    if value.schema_type() != Some(schema.schema_type) {
        return json!({"type_mismatch": {"schema_type": schema.schema_type.name(), "value": schemaless_out(value)}});
    }
    if LogicalType::of(schema) == Some(LogicalType::Decimal) {
        return match decimal_from_value(schema, value) {
            Ok(decimal) => json!(decimal.to_string()),
            Err(e) => json!({"type_mismatch": {"schema_type": "Decimal", "value": e.to_string()}}),
        };
    }
    match value {
        Value::Int8(i) => json!(i),
        Value::Int16(i) => json!(i),
        Value::Int32(i) => json!(i),
        Value::Int64(i) => json!(i),
        Value::Float32(x) => float_out(f64::from(*x)),
        Value::Float64(x) => float_out(*x),
        Value::Bytes(b) => json!(BASE64.encode(b)),
        Value::Array(items) => Json::Array(items.iter().map(|x| value_out(schema.value_schema.as_ref(), x)).collect()),
        Value::Map(pairs) => Json::Array(
            pairs
                .iter()
                .map(|(k, v)| {
                    json!([value_out(schema.key_schema.as_ref(), k), value_out(schema.value_schema.as_ref(), v)])
                })
                .collect(),
        ),
        Value::Struct(record) => struct_out(record),
        other => schemaless_out(other),
    }
}

fn struct_out(record: &Struct) -> Json {
    Json::Object(record.iter().map(|(f, v)| (f.name.clone(), value_out(Some(&f.schema), v))).collect())
}

fn schemaless_out(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => json!(b),
        Value::Int8(i) => json!({"int8": i}),
        Value::Int16(i) => json!({"int16": i}),
        Value::Int32(i) => json!({"int32": i}),
        Value::Int64(i) => json!(i),
        Value::Float32(x) => json!({"float32": float_out(f64::from(*x))}),
        Value::Float64(x) if x.is_finite() => json!(x),
        Value::Float64(x) => json!({"float64": float_out(*x)}),
        Value::String(s) => json!(s),
        Value::Bytes(b) => json!({"bytes": BASE64.encode(b)}),
        Value::Array(items) => Json::Array(items.iter().map(schemaless_out).collect()),
        Value::Map(pairs) => {
            json!({"map": pairs.iter().map(|(k, v)| json!([schemaless_out(k), schemaless_out(v)])).collect::<Vec<_>>()})
        }
        Value::Struct(record) => {
            json!({"struct": {"schema": schema_out(Some(&record.schema)), "value": struct_out(record)}})
        }
    }
}
