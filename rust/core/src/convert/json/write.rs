//! Values and schemas to JSON bytes, exactly as Kafka's JsonConverter (through Jackson) writes
//! them: compact, schema keys in Kafka's insertion order (`type`, `items`|`keys`,`values`|`fields`,
//! `optional`, `name`, `version`, `doc`, `parameters`, `default`, and `field` last in a struct
//! field), floats as Java prints them, non-finite floats as the strings `"NaN"`/`"Infinity"`,
//! bytes in base64, strings with Jackson's escapes (`\uXXXX` in upper-case hex for other controls,
//! and surrogate pairs for characters beyond U+FFFF).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::{DecimalFormat, JsonConfig};
use crate::data::decimal::{normalize_unscaled, BigDecimal};
use crate::data::javafmt::{write_double, write_float};
use crate::data::logical::{self, LogicalType};
use crate::data::{Schema, SchemaType, Value};
use crate::error::{Error, Result};

/// Appends a JSON string literal.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // Most strings (field names, ordinary text) need no escape: one copy.
    match bytes.iter().position(|&b| NEEDS_ESCAPE[usize::from(b)]) {
        None => {
            out.reserve(bytes.len() + 2);
            out.push(b'"');
            out.extend_from_slice(bytes);
            out.push(b'"');
        }
        Some(first) => write_escaped(out, s, first),
    }
}

/// Bytes that `write_escaped` replaces: quote, backslash, controls, and the first byte of a
/// character beyond U+FFFF. A table: one load per byte where four comparisons were (strings are
/// the JSON writer's most frequent item, field names included).
const NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = b < 0x20 || b == b'"' as usize || b == b'\\' as usize || b >= 0xF0;
        b += 1;
    }
    table
};

/// `write_str` of a string with something to escape at byte `first`.
fn write_escaped(out: &mut Vec<u8>, s: &str, first: usize) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let hex4 = |out: &mut Vec<u8>, unit: u16| {
        out.extend_from_slice(b"\\u");
        for shift in [12, 8, 4, 0] {
            out.push(HEX[usize::from((unit >> shift) & 0xF)]);
        }
    };
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = first;
    while i < bytes.len() {
        let b = bytes[i];
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0C => b"\\f",
            0..=0x1F => b"",
            // A character outside the Basic Multilingual Plane (4 UTF-8 bytes): Jackson writes
            // it as an escaped UTF-16 surrogate pair (measured against Kafka 4.4.0's converter).
            0xF0..=0xF4 => b"",
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[start..i]);
        let width = if b >= 0xF0 { 4 } else { 1 };
        if !escape.is_empty() {
            out.extend_from_slice(escape);
        } else if b >= 0xF0 {
            let c = s[i..].chars().next().expect("a character starts here");
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                hex4(out, *unit);
            }
        } else {
            hex4(out, u16::from(b));
        }
        i += width;
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// An integer's decimal text (as Java prints it).
fn write_int(out: &mut Vec<u8>, v: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
}

fn write_display(out: &mut Vec<u8>, v: impl std::fmt::Display) {
    use std::io::Write;
    let _ = write!(out, "{v}");
}

fn write_f64(out: &mut Vec<u8>, v: f64) {
    let mut s = String::with_capacity(24);
    write_double(&mut s, v);
    if v.is_finite() {
        out.extend_from_slice(s.as_bytes());
    } else {
        write_str(out, &s);
    }
}

fn write_f32(out: &mut Vec<u8>, v: f32) {
    let mut s = String::with_capacity(16);
    write_float(&mut s, v);
    if v.is_finite() {
        out.extend_from_slice(s.as_bytes());
    } else {
        write_str(out, &s);
    }
}

fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let start = out.len();
    out.resize(start + bytes.len().div_ceil(3) * 4, 0);
    let written = BASE64.encode_slice(bytes, &mut out[start..]).expect("buffer sized for base64");
    out.truncate(start + written);
    out.push(b'"');
}

fn type_name(t: SchemaType) -> &'static str {
    match t {
        SchemaType::Int8 => "int8",
        SchemaType::Int16 => "int16",
        SchemaType::Int32 => "int32",
        SchemaType::Int64 => "int64",
        SchemaType::Float32 => "float",
        SchemaType::Float64 => "double",
        SchemaType::Boolean => "boolean",
        SchemaType::String => "string",
        SchemaType::Bytes => "bytes",
        SchemaType::Array => "array",
        SchemaType::Map => "map",
        SchemaType::Struct => "struct",
    }
}

/// The schema type named by a JSON schema's `type`.
pub fn type_from_name(name: &str) -> Option<SchemaType> {
    SchemaType::ALL.into_iter().find(|t| type_name(*t) == name)
}

/// Kafka's `asJsonSchema`, appended to `out`. `field` is the struct field name, written last.
pub fn write_schema(
    out: &mut Vec<u8>,
    schema: Option<&Schema>,
    field: Option<&str>,
    config: &JsonConfig,
) -> Result<()> {
    let Some(schema) = schema else {
        out.extend_from_slice(b"null");
        return Ok(());
    };
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(type_name(schema.schema_type).as_bytes());
    out.push(b'"');
    match schema.schema_type {
        SchemaType::Array => {
            out.extend_from_slice(b",\"items\":");
            write_schema(out, schema.value_schema.as_deref(), None, config)?;
        }
        SchemaType::Map => {
            out.extend_from_slice(b",\"keys\":");
            write_schema(out, schema.key_schema.as_deref(), None, config)?;
            out.extend_from_slice(b",\"values\":");
            write_schema(out, schema.value_schema.as_deref(), None, config)?;
        }
        SchemaType::Struct => {
            out.extend_from_slice(b",\"fields\":[");
            for (i, f) in schema.fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_schema(out, Some(&f.schema), Some(&f.name), config)?;
            }
            out.push(b']');
        }
        _ => {}
    }
    out.extend_from_slice(if schema.optional { b",\"optional\":true" } else { b",\"optional\":false" });
    if let Some(name) = &schema.name {
        out.extend_from_slice(b",\"name\":");
        write_str(out, name);
    }
    if let Some(version) = schema.version {
        out.extend_from_slice(b",\"version\":");
        write_display(out, version);
    }
    if let Some(doc) = &schema.doc {
        out.extend_from_slice(b",\"doc\":");
        write_str(out, doc);
    }
    if !schema.parameters.is_empty() {
        out.extend_from_slice(b",\"parameters\":{");
        for (i, (k, v)) in schema.parameters.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, k);
            out.push(b':');
            write_str(out, v);
        }
        out.push(b'}');
    }
    if let Some(default) = &schema.default {
        if !default.is_null() {
            out.extend_from_slice(b",\"default\":");
            write_value(out, Some(schema), default, config)?;
        }
    }
    if let Some(field) = field {
        out.extend_from_slice(b",\"field\":");
        write_str(out, field);
    }
    out.push(b'}');
    Ok(())
}

fn invalid(schema: Option<&Schema>, value: &Value) -> Error {
    let expected = schema.map_or("unknown schema".to_owned(), |s| s.schema_type.to_string());
    Error::data(format!("Invalid type for {expected}: {}", value.type_name()))
}

/// Kafka's `convertToJson`, appended to `out`.
pub fn write_value(out: &mut Vec<u8>, schema: Option<&Schema>, value: &Value, config: &JsonConfig) -> Result<()> {
    if value.is_null() {
        match schema {
            None => out.extend_from_slice(b"null"),
            Some(s) => match &s.default {
                Some(default) if config.replace_null_with_default && !default.is_null() => {
                    return write_value(out, schema, default, config);
                }
                _ if s.optional => out.extend_from_slice(b"null"),
                _ => {
                    return Err(Error::data(
                        "Conversion error: null value for field that is required and has no default value",
                    ))
                }
            },
        }
        return Ok(());
    }
    if let Some(logical) = schema.and_then(LogicalType::of) {
        let schema = schema.expect("logical type has a schema");
        match (logical, value) {
            (LogicalType::Decimal, Value::Bytes(bytes)) => {
                if bytes.is_empty() {
                    return Err(Error::data("Invalid Decimal value: no bytes"));
                }
                match config.decimal_format {
                    DecimalFormat::Base64 => write_base64(out, &normalize_unscaled(bytes)),
                    DecimalFormat::Numeric => {
                        let scale = logical::decimal_scale(schema)?;
                        write_display(out, BigDecimal::from_unscaled_bytes(bytes, scale)?);
                    }
                }
            }
            (LogicalType::Date | LogicalType::Time, Value::Int32(v)) => write_int(out, *v),
            (LogicalType::Timestamp, Value::Int64(v)) => write_int(out, *v),
            (_, other) => {
                return Err(Error::data(format!(
                    "Invalid type for {}, expected its {} form but was {}",
                    logical.name(),
                    logical.base_type(),
                    other.type_name()
                )))
            }
        }
        return Ok(());
    }
    if let Some(s) = schema {
        if value.schema_type() != Some(s.schema_type) {
            return Err(invalid(schema, value));
        }
    }
    match value {
        Value::Null => unreachable!("handled above"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int8(v) => write_int(out, *v),
        Value::Int16(v) => write_int(out, *v),
        Value::Int32(v) => write_int(out, *v),
        Value::Int64(v) => write_int(out, *v),
        Value::Float32(v) => write_f32(out, *v),
        Value::Float64(v) => write_f64(out, *v),
        Value::String(s) => write_str(out, s),
        Value::Bytes(b) => write_base64(out, b),
        Value::Array(items) => {
            let element = schema.and_then(|s| s.value_schema.as_deref());
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, element, item, config)?;
            }
            out.push(b']');
        }
        Value::Map(entries) => write_map(out, schema, entries, config)?,
        Value::Struct(s) => {
            let Some(schema) = schema.filter(|schema| std::ptr::eq(*schema, &*s.schema) || **schema == *s.schema)
            else {
                return Err(Error::data("Mismatching schema."));
            };
            out.push(b'{');
            for (i, (field, v)) in schema.fields.iter().zip(&s.values).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_str(out, &field.name);
                out.push(b':');
                write_value(out, Some(&field.schema), v, config)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// Maps with string keys are JSON objects; any other key type makes an array of `[key, value]`.
fn write_map(
    out: &mut Vec<u8>,
    schema: Option<&Schema>,
    entries: &[(Value, Value)],
    config: &JsonConfig,
) -> Result<()> {
    let keys = schema.and_then(|s| s.key_schema.as_deref());
    let values = schema.and_then(|s| s.value_schema.as_deref());
    let object_mode = match schema {
        None => entries.iter().all(|(k, _)| matches!(k, Value::String(_))),
        Some(_) => keys.is_some_and(|k| k.schema_type == SchemaType::String),
    };
    if object_mode {
        out.push(b'{');
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match k {
                Value::String(s) => write_str(out, s),
                _ => {
                    // Kafka writes the key's JSON text (a null key of an optional schema is "null").
                    let mut key = Vec::new();
                    write_value(&mut key, keys, k, config)?;
                    write_str(out, &String::from_utf8_lossy(&key));
                }
            }
            out.push(b':');
            write_value(out, values, v, config)?;
        }
        out.push(b'}');
    } else {
        out.push(b'[');
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'[');
            write_value(out, keys, k, config)?;
            out.push(b',');
            write_value(out, values, v, config)?;
            out.push(b']');
        }
        out.push(b']');
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_jackson() {
        let mut out = Vec::new();
        write_str(&mut out, "a\"b\\c\n\u{1}/é\u{7f}😀x");
        assert_eq!(String::from_utf8(out).unwrap(), "\"a\\\"b\\\\c\\n\\u0001/é\u{7f}\\uD83D\\uDE00x\"");
    }
}
