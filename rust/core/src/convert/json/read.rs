//! Parsed JSON to schemas and values, as Kafka's JsonConverter reads them (`asConnectSchema`,
//! `convertToConnect`), including what it tolerates: missing `optional` (required), non-text
//! names/docs (ignored), decimals as base64 or as numbers, missing struct fields (null or the
//! default), unknown struct fields (ignored), integer text with leading zeros.
//!
//! Where Kafka would silently produce a wrong value, we refuse with a `DataError` instead: a
//! string or boolean where a number is expected (Kafka gives 0 / false / null), an integer outside
//! its type's range (Kafka wraps it), base64 that does not decode.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::parse::Node;
use super::write::type_from_name;
use super::JsonConfig;
use crate::data::decimal::{normalize_unscaled, BigDecimal};
use crate::data::logical::{self, LogicalType};
use crate::data::{Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};
use crate::error::{Error, Result};

/// Kafka's `asConnectSchema`: `None` for a JSON null.
pub fn read_schema(node: &Node<'_>, config: &JsonConfig) -> Result<Option<SchemaRef>> {
    if let Node::Null = node {
        return Ok(None);
    }
    let Some(Node::String(type_name)) = node.get("type") else {
        return Err(Error::data("Schema must contain 'type' field"));
    };
    let mut builder = match type_from_name(type_name) {
        Some(SchemaType::Array) => {
            let items = match node.get("items") {
                None | Some(Node::Null) => return Err(Error::data("Array schema did not specify the element type")),
                Some(items) => required_schema(items, config, "valueSchema")?,
            };
            SchemaBuilder::array(items)
        }
        Some(SchemaType::Map) => {
            let keys = node.get("keys").ok_or_else(|| Error::data("Map schema did not specify the key type"))?;
            let values = node.get("values").ok_or_else(|| Error::data("Map schema did not specify the value type"))?;
            SchemaBuilder::map(
                required_schema(keys, config, "keySchema")?,
                required_schema(values, config, "valueSchema")?,
            )
        }
        Some(SchemaType::Struct) => {
            let Some(Node::Array(fields)) = node.get("fields") else {
                return Err(Error::data("Struct schema's \"fields\" argument is not an array."));
            };
            let mut builder = SchemaBuilder::struct_();
            for field in fields {
                let Some(Node::String(name)) = field.get("field") else {
                    return Err(Error::data("Struct schema's field name not specified properly"));
                };
                builder.add_field(name, required_schema(field, config, "fieldSchema")?)?;
            }
            builder
        }
        Some(t) => SchemaBuilder::new(t),
        None => return Err(Error::data(format!("Unknown schema type: {type_name}"))),
    };
    builder.set_optional(matches!(node.get("optional"), Some(Node::Bool(true))))?;
    if let Some(Node::String(name)) = node.get("name") {
        builder.set_name(name)?;
    }
    if let Some(Node::Number { text, integral: true }) = node.get("version") {
        builder.set_version(java_int_value(text))?;
    }
    if let Some(Node::String(doc)) = node.get("doc") {
        builder.set_doc(doc)?;
    }
    if let Some(Node::Object(parameters)) = node.get("parameters") {
        for (key, value) in parameters {
            let Node::String(value) = value else {
                return Err(Error::data("Schema parameters must have string values."));
            };
            builder.set_parameter(key, value)?;
        }
    }
    if let Some(default) = node.get("default") {
        let current = Arc::new(builder.current());
        let value = read_value(Some(&current), Some(default), config)?;
        builder.set_default(value)?;
    }
    builder.build().map(Some)
}

fn required_schema(node: &Node<'_>, config: &JsonConfig, what: &str) -> Result<SchemaRef> {
    read_schema(node, config)?.ok_or_else(|| Error::data(format!("{what} cannot be null.")))
}

/// Java's `JsonNode.intValue()` of an integral number: the low 32 bits (used for `version`).
fn java_int_value(text: &str) -> i32 {
    text.parse::<i128>().map_or(0, |v| v as i32)
}

fn integer(node: &Node<'_>, schema_type: SchemaType) -> Result<i64> {
    let Node::Number { text, integral } = node else {
        return Err(Error::data(format!(
            "Invalid value for {schema_type}: expected a number but found {}",
            node.type_name()
        )));
    };
    // A fraction is cut off, as Java's intValue()/longValue() do.
    let value = if *integral {
        text.parse::<i128>().ok()
    } else {
        text.parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f.trunc() as i128)
    };
    let (min, max) = match schema_type {
        SchemaType::Int8 => (i128::from(i8::MIN), i128::from(i8::MAX)),
        SchemaType::Int16 => (i128::from(i16::MIN), i128::from(i16::MAX)),
        SchemaType::Int32 => (i128::from(i32::MIN), i128::from(i32::MAX)),
        _ => (i128::from(i64::MIN), i128::from(i64::MAX)),
    };
    match value {
        Some(v) if (min..=max).contains(&v) => Ok(v as i64),
        _ => Err(Error::data(format!("Value {text} is out of range for {schema_type}"))),
    }
}

fn float(node: &Node<'_>, schema_type: SchemaType) -> Result<f64> {
    match node {
        Node::Number { text, .. } => Ok(text.parse::<f64>().unwrap_or(f64::NAN)),
        // What Jackson writes for non-finite numbers.
        Node::String(s) if s == "NaN" => Ok(f64::NAN),
        Node::String(s) if s == "Infinity" => Ok(f64::INFINITY),
        Node::String(s) if s == "-Infinity" => Ok(f64::NEG_INFINITY),
        other => Err(Error::data(format!(
            "Invalid value for {schema_type}: expected a number but found {}",
            other.type_name()
        ))),
    }
}

fn base64(text: &str, what: &str) -> Result<Vec<u8>> {
    let decoded = if text.bytes().any(|b| b.is_ascii_whitespace()) {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        BASE64.decode(compact)
    } else {
        BASE64.decode(text)
    };
    decoded.map_err(|e| Error::data(format!("Invalid {what}: {e}")))
}

/// Kafka's `convertToConnect`: a JSON value (or a missing one) as a value of `schema`.
pub fn read_value(schema: Option<&SchemaRef>, node: Option<&Node<'_>>, config: &JsonConfig) -> Result<Value> {
    let Some(schema) = schema else {
        return node.map_or(Ok(Value::Null), schemaless);
    };
    let node = match node {
        None | Some(Node::Null) => {
            return match &schema.default {
                Some(default) if config.replace_null_with_default => Ok(default.clone()),
                _ if schema.optional => Ok(Value::Null),
                _ => Err(Error::data(format!("Invalid null value for required {} field", schema.schema_type))),
            };
        }
        Some(node) => node,
    };
    if let Some(logical) = LogicalType::of(schema) {
        return read_logical(schema, logical, node);
    }
    let t = schema.schema_type;
    Ok(match t {
        SchemaType::Boolean => match node {
            Node::Bool(b) => Value::Boolean(*b),
            other => return Err(Error::data(format!("Invalid value for BOOLEAN: found {}", other.type_name()))),
        },
        SchemaType::Int8 => Value::Int8(integer(node, t)? as i8),
        SchemaType::Int16 => Value::Int16(integer(node, t)? as i16),
        SchemaType::Int32 => Value::Int32(integer(node, t)? as i32),
        SchemaType::Int64 => Value::Int64(integer(node, t)?),
        SchemaType::Float32 => Value::Float32(match node {
            Node::Number { text, .. } => text.parse::<f32>().unwrap_or(f32::NAN),
            other => float(other, t)? as f32,
        }),
        SchemaType::Float64 => Value::Float64(float(node, t)?),
        SchemaType::String => match node {
            Node::String(s) => Value::String(s.clone().into_owned()),
            other => return Err(Error::data(format!("Invalid value for STRING: found {}", other.type_name()))),
        },
        SchemaType::Bytes => match node {
            Node::String(s) => Value::Bytes(base64(s, "bytes field")?),
            other => return Err(Error::data(format!("Invalid bytes field: found {}", other.type_name()))),
        },
        SchemaType::Array => match node {
            Node::Array(items) => {
                let element = schema.value_schema.as_ref();
                Value::Array(items.iter().map(|n| read_value(element, Some(n), config)).collect::<Result<_>>()?)
            }
            other => {
                return Err(Error::data(format!(
                    "Arrays should be encoded as JSON arrays, but found {}",
                    other.type_name()
                )))
            }
        },
        SchemaType::Map => read_map(schema, node, config)?,
        SchemaType::Struct => {
            let Node::Object(members) = node else {
                return Err(Error::data(format!(
                    "Structs should be encoded as JSON objects, but found {}",
                    node.type_name()
                )));
            };
            let mut values = Vec::with_capacity(schema.fields.len());
            // Members usually come exactly in field order (then no key repeats): index them directly.
            let aligned = members.len() == schema.fields.len()
                && members.iter().zip(&schema.fields).all(|((k, _), f)| k.as_ref() == f.name);
            for field in &schema.fields {
                let member = if aligned { Some(&members[field.index].1) } else { node.get(&field.name) };
                values.push(read_value(Some(&field.schema), member, config).map_err(|e| in_field(e, &field.name))?);
            }
            Value::Struct(Struct { schema: schema.clone(), values })
        }
    })
}

fn in_field(error: Error, field: &str) -> Error {
    match error {
        Error::Data(message) => Error::Data(format!("{message} (field \"{field}\")")),
        other => other,
    }
}

fn read_map(schema: &Schema, node: &Node<'_>, config: &JsonConfig) -> Result<Value> {
    let keys = schema.key_schema.as_ref();
    let values = schema.value_schema.as_ref();
    if keys.is_none_or(|k| k.schema_type == SchemaType::String) {
        let Node::Object(members) = node else {
            return Err(Error::data(format!(
                "Maps with string fields should be encoded as JSON objects, but found {}",
                node.type_name()
            )));
        };
        let mut out = Vec::with_capacity(members.len());
        for (k, v) in dedup(members) {
            out.push((Value::String(k.to_string()), read_value(values, Some(v), config)?));
        }
        return Ok(Value::Map(out));
    }
    let Node::Array(entries) = node else {
        return Err(Error::data(format!(
            "Maps with non-string fields should be encoded as JSON array of tuples, but found {}",
            node.type_name()
        )));
    };
    let mut out: Vec<(Value, Value)> = Vec::with_capacity(entries.len());
    for entry in entries {
        let Node::Array(pair) = entry else {
            return Err(Error::data(format!("Found invalid map entry instead of array tuple: {}", entry.type_name())));
        };
        if pair.len() != 2 {
            return Err(Error::data(format!("Found invalid map entry, expected length 2 but found :{}", pair.len())));
        }
        let k = read_value(keys, Some(&pair[0]), config)?;
        let v = read_value(values, Some(&pair[1]), config)?;
        // A repeated key replaces the earlier value, as in Kafka's map.
        match out.iter_mut().find(|(existing, _)| *existing == k) {
            Some(slot) => slot.1 = v,
            None => out.push((k, v)),
        }
    }
    Ok(Value::Map(out))
}

/// Object members with repeated keys collapsed (first position, last value), as Jackson keeps them.
fn dedup<'n, 'a>(members: &'n [(std::borrow::Cow<'a, str>, Node<'a>)]) -> Vec<(&'n str, &'n Node<'a>)> {
    let mut out: Vec<(&str, &Node<'a>)> = Vec::with_capacity(members.len());
    if members.len() <= 16 {
        for (k, v) in members {
            match out.iter_mut().find(|(existing, _)| *existing == k.as_ref()) {
                Some(slot) => slot.1 = v,
                None => out.push((k.as_ref(), v)),
            }
        }
    } else {
        let mut index = std::collections::HashMap::with_capacity(members.len());
        for (k, v) in members {
            match index.get(k.as_ref()) {
                Some(&i) => out[i] = (k.as_ref(), v),
                None => {
                    index.insert(k.as_ref(), out.len());
                    out.push((k.as_ref(), v));
                }
            }
        }
    }
    out
}

fn read_logical(schema: &Schema, logical: LogicalType, node: &Node<'_>) -> Result<Value> {
    let wrong = |kind: &str| {
        Error::data(format!(
            "Invalid type for {}, underlying representation should be {kind} but was {}",
            match logical {
                LogicalType::Decimal => "Decimal",
                LogicalType::Date => "Date",
                LogicalType::Time => "Time",
                LogicalType::Timestamp => "Timestamp",
            },
            node.type_name()
        ))
    };
    match logical {
        LogicalType::Decimal => match node {
            Node::Number { text, .. } => logical::decimal_to_value(schema, &BigDecimal::parse(text)?),
            Node::String(s) => {
                let bytes = base64(s, "bytes for Decimal field")?;
                if bytes.is_empty() {
                    return Err(Error::data("Invalid bytes for Decimal field: zero length"));
                }
                logical::decimal_scale(schema)?;
                Ok(Value::Bytes(normalize_unscaled(&bytes)))
            }
            _ => Err(wrong("numeric or bytes")),
        },
        LogicalType::Date | LogicalType::Time => match node {
            Node::Number { text, integral: true } => {
                let v: i32 = text.parse().map_err(|_| wrong("integer"))?;
                if logical == LogicalType::Time {
                    logical::check_time_millis(v)?;
                }
                Ok(Value::Int32(v))
            }
            _ => Err(wrong("integer")),
        },
        LogicalType::Timestamp => match node {
            Node::Number { text, integral: true } => {
                text.parse().map(Value::Int64).map_err(|_| Error::data(format!("Timestamp {text} is out of range")))
            }
            _ => Err(wrong("integral")),
        },
    }
}

/// A JSON value without a schema: integers as INT64, other numbers as FLOAT64, objects as maps
/// with string keys.
fn schemaless(node: &Node<'_>) -> Result<Value> {
    Ok(match node {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Boolean(*b),
        Node::Number { text, integral: true } => {
            Value::Int64(text.parse().map_err(|_| Error::data(format!("Integer {text} is out of range for INT64")))?)
        }
        Node::Number { text, integral: false } => Value::Float64(text.parse().unwrap_or(f64::NAN)),
        Node::String(s) => Value::String(s.clone().into_owned()),
        Node::Array(items) => Value::Array(items.iter().map(schemaless).collect::<Result<_>>()?),
        Node::Object(members) => Value::Map(
            dedup(members)
                .into_iter()
                .map(|(k, v)| Ok((Value::String(k.to_owned()), schemaless(v)?)))
                .collect::<Result<_>>()?,
        ),
    })
}
