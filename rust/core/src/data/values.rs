//! Values as text, the way Kafka's `Values` utility and Java's `toString` write them. Used by the
//! header converter (`SimpleHeaderConverter` writes `Values.convertToString`), the string
//! converter (Java's `toString`) and `Struct`'s display. Parsing the text back is `values_parse.rs`.

use std::fmt::Write;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::javafmt::{write_double, write_float};
use super::logical::{self, civil_from_days, LogicalType, MILLIS_PER_DAY};
use super::{Schema, Value};
use crate::error::Result;

/// Java's `toString` of a value, as `StringConverter` and `Struct.toString` print nested values:
/// lists `[a, b]`, maps `{k=v, k2=v2}`, structs `Struct{a=1}`, floats like Java. Bytes (which Java
/// would print as an object address) are written as base64.
pub fn java_display(value: &Value) -> String {
    let mut out = String::new();
    java_display_into(&mut out, value);
    out
}

fn java_display_into(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int8(v) => push_display(out, v),
        Value::Int16(v) => push_display(out, v),
        Value::Int32(v) => push_display(out, v),
        Value::Int64(v) => push_display(out, v),
        Value::Float32(v) => write_float(out, *v),
        Value::Float64(v) => write_double(out, *v),
        Value::String(s) => out.push_str(s),
        Value::Bytes(b) => out.push_str(&BASE64.encode(b)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                java_display_into(out, item);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                java_display_into(out, k);
                out.push('=');
                java_display_into(out, v);
            }
            out.push('}');
        }
        Value::Struct(s) => {
            let _ = write!(out, "{s}");
        }
    }
}

fn push_display(out: &mut String, v: impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}

/// Kafka's `Values.convertToString(schema, value)`: strings as they are; numbers and booleans as
/// Java prints them; bytes in base64; arrays `[1,2]`, maps `{"k":1}` and structs `{"f":1}` with
/// nested strings quoted; dates, times and timestamps in ISO 8601 (UTC). `None` for null.
pub fn convert_to_string(schema: Option<&Schema>, value: &Value) -> Result<Option<String>> {
    if value.is_null() {
        return Ok(None);
    }
    let mut out = String::new();
    append(&mut out, schema, value, false)?;
    Ok(Some(out))
}

fn append(out: &mut String, schema: Option<&Schema>, value: &Value, embedded: bool) -> Result<()> {
    match schema.and_then(LogicalType::of) {
        Some(LogicalType::Decimal) if !value.is_null() => {
            let decimal = logical::decimal_from_value(schema.expect("logical type has a schema"), value)?;
            let _ = write!(out, "{decimal}");
            return Ok(());
        }
        Some(LogicalType::Date) => {
            if let Value::Int32(days) = value {
                format_instant(out, i64::from(*days) * MILLIS_PER_DAY);
                return Ok(());
            }
        }
        Some(LogicalType::Time) => {
            if let Value::Int32(ms) = value {
                format_instant(out, i64::from(*ms));
                return Ok(());
            }
        }
        Some(LogicalType::Timestamp) => {
            if let Value::Int64(ms) = value {
                format_instant(out, *ms);
                return Ok(());
            }
        }
        _ => {}
    }
    match value {
        Value::Null => out.push_str("null"),
        Value::String(s) if embedded => {
            out.push('"');
            for c in s.chars() {
                if c == '\\' || c == '"' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        Value::Bytes(b) if embedded => {
            let _ = write!(out, "\"{}\"", BASE64.encode(b));
        }
        Value::Array(items) => {
            let element = schema.and_then(|s| s.value_schema.as_deref());
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, element, item, true)?;
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let keys = schema.and_then(|s| s.key_schema.as_deref());
            let values = schema.and_then(|s| s.value_schema.as_deref());
            out.push('{');
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, keys, k, true)?;
                out.push(':');
                append(out, values, v, true)?;
            }
            out.push('}');
        }
        Value::Struct(s) => {
            out.push('{');
            for (i, field) in s.schema.fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                append(out, None, &Value::String(field.name.clone()), true)?;
                out.push(':');
                append(out, Some(&field.schema), s.get(&field.name)?, true)?;
            }
            out.push('}');
        }
        other => java_display_into(out, other),
    }
    Ok(())
}

/// Kafka picks the format from the instant itself: before one day past the epoch it is a time,
/// at a midnight a date, otherwise a timestamp (`Values.dateFormatFor`).
fn format_instant(out: &mut String, millis: i64) {
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let ms_of_day = millis.rem_euclid(MILLIS_PER_DAY);
    let (h, m, s, ms) = (ms_of_day / 3_600_000, ms_of_day / 60_000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000);
    let (year, month, day) = civil_from_days(days);
    if millis < MILLIS_PER_DAY {
        let _ = write!(out, "{h:02}:{m:02}:{s:02}.{ms:03}Z");
    } else if millis % MILLIS_PER_DAY == 0 {
        let _ = write!(out, "{year:04}-{month:02}-{day:02}");
    } else {
        let _ = write!(out, "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{ms:03}Z");
    }
}

#[cfg(test)]
mod tests {
    use super::super::{logical, Schema, SchemaBuilder, SchemaType, Struct};
    use super::*;

    fn text(schema: Option<&Schema>, value: Value) -> String {
        convert_to_string(schema, &value).unwrap().unwrap()
    }

    #[test]
    fn writes_like_kafka_values() {
        assert_eq!(text(None, Value::from("hi \"x\"")), "hi \"x\"");
        assert_eq!(text(None, Value::Float64(1.0)), "1.0");
        assert_eq!(text(None, Value::Bytes(vec![1, 2, 3])), "AQID");
        let list = Value::Array(vec![Value::from("a"), Value::Int32(1), Value::Null]);
        assert_eq!(text(None, list), "[\"a\",1,null]");
        let map = Value::Map(vec![(Value::from("k"), Value::from("v\\"))]);
        assert_eq!(text(None, map), "{\"k\":\"v\\\\\"}");
        let schema = SchemaBuilder::struct_().field("a", Schema::of(SchemaType::Int32)).build().unwrap();
        let s = Struct::new(schema).unwrap().with("a", 5).unwrap();
        assert_eq!(text(None, Value::Struct(s)), "{\"a\":5}");
        assert_eq!(text(Some(&logical::date_schema(false)), Value::Int32(19_737)), "2024-01-15");
        assert_eq!(text(Some(&logical::time_schema(false)), Value::Int32(45_296_789)), "12:34:56.789Z");
        assert_eq!(
            text(Some(&logical::timestamp_schema(false)), Value::Int64(1_705_322_096_789)),
            "2024-01-15T12:34:56.789Z"
        );
        assert_eq!(text(Some(&logical::decimal_schema(2, false)), Value::Bytes(vec![0, 0x9C])), "1.56");
    }
}
