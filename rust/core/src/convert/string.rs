//! Kafka Connect's `StringConverter`: any value written as its text (Java's `toString`), bytes
//! read back as an optional STRING. `converter.encoding` may be UTF-8 (default) or ISO-8859-1.

use std::collections::HashMap;
use std::sync::Arc;

use super::Converter;
use crate::data::decimal::BigDecimal;
use crate::data::logical::{self, civil_from_days, LogicalType, MILLIS_PER_DAY};
use crate::data::values::java_display;
use crate::data::{Schema, SchemaAndValue, SchemaRef, SchemaType, Value};
use crate::error::{Error, Result};

/// Writes any value as text in UTF-8; reads bytes as an optional STRING. Invalid UTF-8 is read
/// with replacement characters, as Java's `new String(bytes, UTF_8)` does.
#[derive(Debug, Default, Clone, Copy)]
pub struct StringConverter;

/// `StringConverter` with `converter.encoding=ISO-8859-1` (characters beyond it written as `?`, as Java does).
#[derive(Debug, Default, Clone, Copy)]
struct Latin1StringConverter;

impl StringConverter {
    /// The converter for `converter.encoding` (UTF-8 / UTF8 / ISO-8859-1 / latin1, any case).
    pub fn from_settings(settings: &HashMap<String, String>) -> Result<Arc<dyn Converter>> {
        match settings.get("converter.encoding").map(|e| e.trim().to_ascii_uppercase()) {
            None => Ok(Arc::new(StringConverter)),
            Some(e) if e == "UTF-8" || e == "UTF8" => Ok(Arc::new(StringConverter)),
            Some(e) if e == "ISO-8859-1" || e == "LATIN1" || e == "ISO8859_1" => Ok(Arc::new(Latin1StringConverter)),
            Some(e) => Err(Error::config("converter.encoding", format!("unsupported encoding {e:?}"))),
        }
    }
}

fn text_of(schema: Option<&SchemaRef>, value: &Value) -> Result<Option<Result<String, Vec<u8>>>> {
    Ok(match value {
        Value::Null => None,
        // Java would print an object address for bytes; passing them through is what users mean.
        Value::Bytes(b) if schema.and_then(|s| LogicalType::of(s)).is_none() => Some(Err(b.clone())),
        other => Some(Ok(to_java_string(schema.map(|s| &**s), other)?)),
    })
}

fn optional_string(value: Value) -> SchemaAndValue {
    SchemaAndValue::new(Some(Schema::optional_of(SchemaType::String)), value)
}

impl Converter for StringConverter {
    fn from_connect_data(&self, _topic: &str, schema: Option<&SchemaRef>, value: &Value) -> Result<Option<Vec<u8>>> {
        Ok(text_of(schema, value)?.map(|t| t.map_or_else(|bytes| bytes, String::into_bytes)))
    }

    fn from_connect_data_owned(
        &self,
        topic: &str,
        schema: Option<&SchemaRef>,
        value: Value,
    ) -> Result<Option<Vec<u8>>> {
        // A plain string's text is itself, and bytes pass through (as in `text_of`); logical
        // types and everything else need Java's formatting.
        let plain = schema.is_none_or(|s| LogicalType::of(s).is_none());
        match value {
            Value::String(s) if plain => Ok(Some(s.into_bytes())),
            Value::Bytes(b) if plain => Ok(Some(b)),
            other => self.from_connect_data(topic, schema, &other),
        }
    }

    fn to_connect_data(&self, _topic: &str, data: Option<&[u8]>) -> Result<SchemaAndValue> {
        Ok(optional_string(data.map_or(Value::Null, |b| Value::String(String::from_utf8_lossy(b).into_owned()))))
    }
}

impl Converter for Latin1StringConverter {
    fn from_connect_data(&self, _topic: &str, schema: Option<&SchemaRef>, value: &Value) -> Result<Option<Vec<u8>>> {
        Ok(text_of(schema, value)?.map(|t| {
            t.map_or_else(|bytes| bytes, |s| s.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect())
        }))
    }

    fn to_connect_data(&self, _topic: &str, data: Option<&[u8]>) -> Result<SchemaAndValue> {
        Ok(optional_string(data.map_or(Value::Null, |b| Value::String(b.iter().map(|c| char::from(*c)).collect()))))
    }
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Java's `toString` of a value; logical values print as their Java objects do (`BigDecimal`,
/// `java.util.Date` in UTC: `Mon Jan 15 00:00:00 UTC 2024`).
fn to_java_string(schema: Option<&Schema>, value: &Value) -> Result<String> {
    let millis = match (schema.and_then(LogicalType::of), value) {
        (Some(LogicalType::Decimal), Value::Bytes(b)) => {
            let scale = logical::decimal_scale(schema.expect("logical type has a schema"))?;
            return Ok(BigDecimal::from_unscaled_bytes(b, scale)?.to_string());
        }
        (Some(LogicalType::Date), Value::Int32(d)) => i64::from(*d) * MILLIS_PER_DAY,
        (Some(LogicalType::Time), Value::Int32(ms)) => i64::from(*ms),
        (Some(LogicalType::Timestamp), Value::Int64(ms)) => *ms,
        _ => return Ok(java_display(value)),
    };
    let days = millis.div_euclid(MILLIS_PER_DAY);
    let ms = millis.rem_euclid(MILLIS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    Ok(format!(
        "{} {} {day:02} {:02}:{:02}:{:02} UTC {year}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[month as usize - 1],
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_java_text() {
        let c = StringConverter;
        let text = |schema: Option<SchemaRef>, v: Value| {
            String::from_utf8(c.from_connect_data("t", schema.as_ref(), &v).unwrap().unwrap()).unwrap()
        };
        assert_eq!(text(None, Value::Float64(1.0)), "1.0");
        assert_eq!(text(None, Value::Array(vec![Value::Int32(1), Value::from("a")])), "[1, a]");
        assert_eq!(text(Some(logical::date_schema(false)), Value::Int32(19_737)), "Mon Jan 15 00:00:00 UTC 2024");
        let read = c.to_connect_data("t", Some(b"h\xffi")).unwrap();
        assert_eq!(read.value, Value::from("h\u{FFFD}i"));
        assert!(read.schema.unwrap().optional);
    }
}
