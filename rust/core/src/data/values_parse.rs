//! Text back to typed values, the way Kafka's `Values.parseString` reads header values:
//! `null`, `true`/`false`, integers as the smallest of INT8..INT64, other numbers as FLOAT32,
//! FLOAT64 or Decimal, ISO dates/times/timestamps as logical types, `[..]` arrays and `{..}` maps
//! with a common element schema, and anything else as the original STRING.
//!
//! The tokenizer follows Kafka's: delimiters `: , { } [ ] "` split tokens unless escaped with a
//! backslash, blank tokens are skipped where Kafka skips them, and a malformed array or map falls
//! back to a string. Differences (documented in tests/vectors/README.md): dates are parsed strictly
//! in UTC (Java's lenient `SimpleDateFormat` rolls `2024-13-01` over), and nested arrays/maps are
//! aligned to the common schema all the way down, so values always match their schema.

use std::sync::Arc;

use super::decimal::BigDecimal;
use super::logical::{self, days_from_civil, is_valid_date, LogicalType, MILLIS_PER_DAY};
use super::{Schema, SchemaAndValue, SchemaRef, SchemaType, Value};
use crate::error::{Error, Result};

/// Kafka's `Values.parseString`.
pub fn parse_string(text: &str) -> Result<SchemaAndValue> {
    if text.is_empty() {
        return Ok(SchemaAndValue::new(Some(Schema::of(SchemaType::String)), Value::from("")));
    }
    let mut parser = ValueParser { tokens: Tokens::new(text) };
    Ok(match parser.parse(false)? {
        None => SchemaAndValue::NULL,
        Some((schema, value)) => SchemaAndValue::new(Some(schema), value),
    })
}

type Parsed = Option<(SchemaRef, Value)>;

fn is_blank(s: &str) -> bool {
    s.bytes().all(|b| b <= b' ')
}

fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

/// Kafka's `Values.Parser`: a cursor over delimiter-separated tokens with one token of look-ahead.
struct Tokens<'a> {
    original: &'a str,
    pos: usize,
    next_token: Option<&'a str>,
    previous: Option<&'a str>,
}

impl<'a> Tokens<'a> {
    fn new(original: &'a str) -> Self {
        Tokens { original, pos: 0, next_token: None, previous: None }
    }

    fn mark(&self) -> usize {
        self.pos - self.next_token.map_or(0, str::len)
    }

    fn rewind_to(&mut self, position: usize) {
        self.pos = position;
        self.next_token = None;
        self.previous = None;
    }

    fn has_next(&self) -> bool {
        self.next_token.is_some() || self.pos < self.original.len()
    }

    fn next(&mut self) -> &'a str {
        let token = match self.next_token.take() {
            Some(t) => t,
            None => self.consume(),
        };
        self.previous = Some(token);
        token
    }

    /// The raw text of the next `n` tokens, or `None` (and no move) when there are fewer.
    fn next_n(&mut self, n: usize) -> Option<&'a str> {
        let start = self.mark();
        for _ in 0..n {
            if !self.has_next() {
                self.rewind_to(start);
                return None;
            }
            self.next();
        }
        Some(&self.original[start..self.pos])
    }

    fn consume(&mut self) -> &'a str {
        let bytes = self.original.as_bytes();
        let start = self.pos;
        let mut escaped = false;
        while self.pos < bytes.len() {
            match bytes[self.pos] {
                b'\\' => escaped = !escaped,
                b':' | b',' | b'{' | b'}' | b'[' | b']' | b'"' => {
                    if !escaped {
                        if start < self.pos {
                            return &self.original[start..self.pos];
                        }
                        self.pos += 1;
                        return &self.original[start..start + 1];
                    }
                    escaped = false;
                }
                _ => escaped = false,
            }
            self.pos += 1;
        }
        &self.original[start..self.pos]
    }

    /// Whether the next non-blank token is `expected` (trimmed); consumes it if so.
    fn can_consume(&mut self, expected: &str) -> bool {
        if self.next_token.is_none() {
            if !self.has_next() {
                return false;
            }
            self.next_token = Some(self.consume());
        }
        while self.next_token.is_some_and(is_blank) && self.pos < self.original.len() {
            self.next_token = Some(self.consume());
        }
        if self.next_token.is_some_and(|t| java_trim(t) == expected) {
            self.next_token = None;
            return true;
        }
        false
    }
}

struct ValueParser<'a> {
    tokens: Tokens<'a>,
}

impl ValueParser<'_> {
    fn literal(&mut self, embedded: bool, literal: &str) -> bool {
        let start = self.tokens.mark();
        if self.tokens.can_consume(literal) && (embedded || !self.tokens.has_next()) {
            return true;
        }
        self.tokens.rewind_to(start);
        false
    }

    fn parse(&mut self, embedded: bool) -> Result<Parsed> {
        if !self.tokens.has_next() {
            return Ok(None);
        }
        if embedded && self.tokens.can_consume("\"") {
            return Ok(Some(self.parse_quoted()));
        }
        if self.literal(embedded, "null") {
            return Ok(None);
        }
        if self.literal(embedded, "true") {
            return Ok(Some((Schema::of(SchemaType::Boolean), Value::Boolean(true))));
        }
        if self.literal(embedded, "false") {
            return Ok(Some((Schema::of(SchemaType::Boolean), Value::Boolean(false))));
        }
        let start = self.tokens.mark();
        let nested = if self.tokens.can_consume("[") {
            Some(self.parse_array())
        } else if self.tokens.can_consume("{") {
            Some(self.parse_map())
        } else {
            None
        };
        match nested {
            Some(Ok(parsed)) => return Ok(Some(parsed)),
            Some(Err(_)) => self.tokens.rewind_to(start),
            None => {}
        }
        let token = self.tokens.next();
        if is_blank(token) {
            return Ok(Some((Schema::of(SchemaType::String), Value::from(token))));
        }
        self.parse_token(embedded, java_trim(token)).map(Some)
    }

    fn parse_token(&mut self, embedded: bool, token: &str) -> Result<(SchemaRef, Value)> {
        let first = token.as_bytes()[0];
        if first.is_ascii_digit() {
            if let Some(temporal) = self.parse_split_temporal(token) {
                return Ok(temporal);
            }
        }
        if first.is_ascii_digit() || first == b'+' || first == b'-' {
            if let Some(number) = parse_number(token) {
                return Ok(number);
            }
        }
        if embedded {
            return Err(Error::data("Failed to parse embedded value"));
        }
        Ok((Schema::of(SchemaType::String), Value::from(self.tokens.original)))
    }

    /// Times and timestamps contain unescaped colons, so they arrive as five tokens.
    fn parse_split_temporal(&mut self, token: &str) -> Option<(SchemaRef, Value)> {
        let position = self.tokens.mark();
        if let Some(rest) = self.tokens.next_n(4) {
            if let Some(temporal) = parse_temporal(&format!("{token}{rest}")) {
                return Some(temporal);
            }
        }
        self.tokens.rewind_to(position);
        parse_temporal(token)
    }

    fn parse_quoted(&mut self) -> (SchemaRef, Value) {
        let mut content = String::new();
        while self.tokens.has_next() {
            if self.tokens.can_consume("\"") {
                break;
            }
            content.push_str(self.tokens.next());
        }
        parse_temporal(&content).unwrap_or_else(|| (Schema::of(SchemaType::String), Value::String(content)))
    }

    fn parse_array(&mut self) -> Result<(SchemaRef, Value)> {
        let original = self.tokens.original;
        let mut items = Vec::new();
        let mut common = Merger::default();
        while self.tokens.has_next() {
            if self.tokens.can_consume("]") {
                let schema = match common.schema() {
                    Some(element) => {
                        items = items.into_iter().map(|(s, v)| align(s, v, &element)).collect::<Result<_>>()?;
                        Schema { value_schema: Some(element), ..Schema::primitive(SchemaType::Array) }
                    }
                    None => Schema::primitive(SchemaType::Array),
                };
                let values = items.into_iter().map(|(_, v)| v).collect();
                return Ok((Arc::new(schema), Value::Array(values)));
            }
            if self.tokens.can_consume(",") {
                return Err(Error::data(format!("Unable to parse an empty array element: {original}")));
            }
            let element = self.parse(true)?;
            common.merge(element.as_ref().map(|(s, _)| s));
            items.push(element.map_or((None, Value::Null), |(s, v)| (Some(s), v)));
            let position = self.tokens.mark();
            if self.tokens.can_consume("]") {
                self.tokens.rewind_to(position);
            } else if !self.tokens.can_consume(",") {
                return Err(Error::data("Array elements missing ',' delimiter"));
            }
        }
        if self.tokens.previous == Some(",") {
            return Err(Error::data(format!("Array is missing element after ',': {original}")));
        }
        Err(Error::data(format!("Array is missing terminating ']': {original}")))
    }

    fn parse_map(&mut self) -> Result<(SchemaRef, Value)> {
        let original = self.tokens.original;
        let mut entries: Vec<(Option<SchemaRef>, Value, Option<SchemaRef>, Value)> = Vec::new();
        let (mut keys, mut values) = (Merger::default(), Merger::default());
        while self.tokens.has_next() {
            if self.tokens.can_consume("}") {
                let mut schema = Schema::primitive(SchemaType::Map);
                let key_schema = keys.schema();
                let value_schema = key_schema.as_ref().and(values.schema());
                let mut out = Vec::with_capacity(entries.len());
                for (ks, k, vs, v) in entries {
                    let k = match &key_schema {
                        Some(target) => align(ks, k, target)?.1,
                        None => k,
                    };
                    let v = match &value_schema {
                        Some(target) => align(vs, v, target)?.1,
                        None => v,
                    };
                    // Kafka collects entries in a map: a repeated key keeps its place, takes the new value.
                    match out.iter_mut().find(|(existing, _)| *existing == k) {
                        Some(entry) => entry.1 = v,
                        None => out.push((k, v)),
                    }
                }
                schema.key_schema = key_schema;
                schema.value_schema = value_schema;
                return Ok((Arc::new(schema), Value::Map(out)));
            }
            if self.tokens.can_consume(",") {
                return Err(Error::data(format!("Unable to parse a map entry with no key or value: {original}")));
            }
            let Some((key_schema, key)) = self.parse(true)? else {
                return Err(Error::data(format!("Map entry may not have a null key: {original}")));
            };
            if !self.tokens.can_consume(":") {
                return Err(Error::data(format!("Map entry is missing ':' in {original}")));
            }
            let value = self.parse(true)?;
            self.tokens.can_consume(",");
            keys.merge(Some(&key_schema));
            values.merge(value.as_ref().map(|(s, _)| s));
            let (value_schema, value) = value.map_or((None, Value::Null), |(s, v)| (Some(s), v));
            entries.push((Some(key_schema), key, value_schema, value));
        }
        if self.tokens.previous == Some(",") {
            return Err(Error::data(format!("Map is missing element after ',': {original}")));
        }
        Err(Error::data(format!("Map is missing terminating '}}': {original}")))
    }
}

/// Kafka's `SchemaMerger`: the common schema of a sequence, or none once two disagree.
#[derive(Default)]
struct Merger {
    common: Option<SchemaRef>,
    incompatible: bool,
}

impl Merger {
    fn merge(&mut self, schema: Option<&SchemaRef>) {
        let Some(schema) = schema else { return };
        if self.incompatible {
            return;
        }
        self.common = match self.common.take() {
            None => Some(schema.clone()),
            Some(previous) => merge_schemas(&previous, schema),
        };
        self.incompatible = self.common.is_none();
    }

    fn schema(&self) -> Option<SchemaRef> {
        self.common.clone()
    }
}

fn numeric_rank(t: SchemaType) -> Option<u8> {
    match t {
        SchemaType::Int8 => Some(0),
        SchemaType::Int16 => Some(1),
        SchemaType::Int32 => Some(2),
        SchemaType::Int64 => Some(3),
        SchemaType::Float32 => Some(4),
        SchemaType::Float64 => Some(5),
        _ => None,
    }
}

/// Kafka's `mergeSchemas`: the wider of two numeric schemas; for equal types the later one.
fn merge_schemas(previous: &SchemaRef, new: &SchemaRef) -> Option<SchemaRef> {
    if previous.schema_type != new.schema_type {
        let (p, n) = (numeric_rank(previous.schema_type)?, numeric_rank(new.schema_type)?);
        return Some(if n > p { new.clone() } else { previous.clone() });
    }
    if previous.optional == new.optional {
        return Some(if previous.optional { previous.clone() } else { new.clone() });
    }
    (previous == new).then(|| previous.clone())
}

/// Converts a parsed element to the common schema of its array or map (Kafka's `convertTo`).
fn align(source: Option<SchemaRef>, value: Value, target: &SchemaRef) -> Result<(Option<SchemaRef>, Value)> {
    let unable = |v: &Value| Error::data(format!("Unable to convert {} to {target}", v.type_name()));
    if value.is_null() {
        return Err(Error::data("Unable to convert a null value to a schema that requires a value"));
    }
    let source_logical = source.as_deref().and_then(LogicalType::of);
    let millis = match (source_logical, &value) {
        (Some(LogicalType::Date), Value::Int32(d)) => Some(i64::from(*d) * MILLIS_PER_DAY),
        (Some(LogicalType::Time), Value::Int32(ms)) => Some(i64::from(*ms)),
        (Some(LogicalType::Timestamp), Value::Int64(ms)) => Some(*ms),
        _ => None,
    };
    let number = match (source_logical, &value) {
        (Some(LogicalType::Decimal), _) => {
            let d = logical::decimal_from_value(source.as_deref().expect("logical"), &value)?;
            Some(d.to_string().parse::<f64>().map_err(|_| unable(&value))?)
        }
        (None, v) => v.as_f64(),
        _ => None,
    };
    let integer = match (source_logical, &value) {
        (None, v) => v.as_i64().or_else(|| number.map(|n| n as i64)),
        (Some(LogicalType::Decimal), _) => number.map(|n| n as i64),
        _ => None,
    };
    let out = match LogicalType::of(target) {
        Some(LogicalType::Date) => Value::Int32(match millis {
            Some(ms) => ms.div_euclid(MILLIS_PER_DAY) as i32,
            None => integer.ok_or_else(|| unable(&value))? as i32,
        }),
        Some(LogicalType::Time) => {
            let ms = millis.map_or_else(|| integer.ok_or_else(|| unable(&value)), Ok)? as i32;
            logical::check_time_millis(ms)?;
            Value::Int32(ms)
        }
        Some(LogicalType::Timestamp) => Value::Int64(millis.or(integer).ok_or_else(|| unable(&value))?),
        Some(LogicalType::Decimal) => {
            let d = logical::decimal_from_value(source.as_deref().ok_or_else(|| unable(&value))?, &value)?;
            logical::decimal_to_value(target, &d)?
        }
        None if source.as_ref().is_some_and(|s| s.schema_type == target.schema_type) && source_logical.is_none() => {
            align_nested(value, target)?
        }
        None => match target.schema_type {
            SchemaType::Int8 => Value::Int8(integer.ok_or_else(|| unable(&value))? as i8),
            SchemaType::Int16 => Value::Int16(integer.ok_or_else(|| unable(&value))? as i16),
            SchemaType::Int32 => Value::Int32(integer.ok_or_else(|| unable(&value))? as i32),
            SchemaType::Int64 => Value::Int64(integer.ok_or_else(|| unable(&value))?),
            SchemaType::Float32 => Value::Float32(number.ok_or_else(|| unable(&value))? as f32),
            SchemaType::Float64 => Value::Float64(number.ok_or_else(|| unable(&value))?),
            _ => return Err(unable(&value)),
        },
    };
    Ok((Some(target.clone()), out))
}

/// Same-type values: arrays and maps are re-aligned to the target's element schemas.
fn align_nested(value: Value, target: &SchemaRef) -> Result<Value> {
    Ok(match value {
        Value::Array(items) => match &target.value_schema {
            Some(element) => Value::Array(items.into_iter().map(|v| align_kept(v, element)).collect::<Result<_>>()?),
            None => Value::Array(items),
        },
        Value::Map(entries) => {
            let mut out = Vec::with_capacity(entries.len());
            for (k, v) in entries {
                let k = match &target.key_schema {
                    Some(ks) => align_kept(k, ks)?,
                    None => k,
                };
                let v = match &target.value_schema {
                    Some(vs) => align_kept(v, vs)?,
                    None => v,
                };
                out.push((k, v));
            }
            Value::Map(out)
        }
        other => other,
    })
}

/// A value inside a nested array or map, aligned to its element schema where that loses nothing.
/// Kafka does not convert inside nested arrays and maps at all (`convertToArray` returns a list as
/// it is), and the merged schema of nested arrays is the last one's, however narrow:
/// `[[9223372036854775807], [0]]` has the element schema `ARRAY<INT8>`. A narrowing that would
/// wrap or round the value (or any other change of its number) keeps it as parsed, as Kafka does.
fn align_kept(value: Value, element: &SchemaRef) -> Result<Value> {
    // Only a number can change; anything else (a nested array or map) is aligned without a copy.
    let Some(before) = value.as_f64() else { return Ok(align(infer(&value), value, element)?.1) };
    let before_int = value.as_i64();
    let aligned = align(infer(&value), value.clone(), element)?.1;
    let same = match (before_int, aligned.as_i64()) {
        (Some(a), Some(b)) => a == b,
        _ => aligned.as_f64().is_none_or(|b| b == before || (b.is_nan() && before.is_nan())),
    };
    Ok(if same { aligned } else { value })
}

/// The plain schema of a nested parsed value (its logical type is not known any more).
fn infer(value: &Value) -> Option<SchemaRef> {
    let t = value.schema_type()?;
    Some(if t.is_primitive() { Schema::of(t) } else { Arc::new(Schema::primitive(t)) })
}

/// Kafka's `parseAsNumber`: exact integers as the narrowest integer type, then FLOAT32, FLOAT64
/// (when the text has a fractional scale and the value is finite), then Decimal.
fn parse_number(token: &str) -> Option<(SchemaRef, Value)> {
    let decimal = BigDecimal::parse(token).ok()?;
    if let Some(integral) = exact_integer(&decimal) {
        return Some(if let Ok(v) = i8::try_from(integral) {
            (Schema::of(SchemaType::Int8), Value::Int8(v))
        } else if let Ok(v) = i16::try_from(integral) {
            (Schema::of(SchemaType::Int16), Value::Int16(v))
        } else if let Ok(v) = i32::try_from(integral) {
            (Schema::of(SchemaType::Int32), Value::Int32(v))
        } else {
            (Schema::of(SchemaType::Int64), Value::Int64(integral))
        });
    }
    if decimal.scale != 0 {
        if let Ok(f) = token.parse::<f32>() {
            if f.is_finite() {
                return Some((Schema::of(SchemaType::Float32), Value::Float32(f)));
            }
        }
        if let Ok(d) = token.parse::<f64>() {
            if d.is_finite() {
                return Some((Schema::of(SchemaType::Float64), Value::Float64(d)));
            }
        }
    }
    let schema = Arc::new(logical::decimal_schema(decimal.scale, false));
    Some((schema, Value::Bytes(decimal.unscaled_bytes())))
}

/// The value as an `i64` when it is a whole number within range.
fn exact_integer(decimal: &BigDecimal) -> Option<i64> {
    let digits = &decimal.digits;
    let int_digits = if decimal.scale >= 0 {
        let cut = usize::try_from(decimal.scale).ok()?;
        let keep = digits.len().saturating_sub(cut);
        if digits[keep..].bytes().any(|b| b != b'0') && digits != "0" {
            return None;
        }
        if keep == 0 {
            "0".to_owned()
        } else {
            digits[..keep].to_owned()
        }
    } else {
        if digits == "0" {
            return Some(0);
        }
        let zeros = usize::try_from(-i64::from(decimal.scale)).ok()?;
        if digits.len() + zeros > 20 {
            return None;
        }
        format!("{digits}{}", "0".repeat(zeros))
    };
    let magnitude: i128 = int_digits.parse().ok()?;
    i64::try_from(if decimal.negative { -magnitude } else { magnitude }).ok()
}

fn digits(text: &str, range: std::ops::Range<usize>) -> Option<i64> {
    let part = text.get(range)?;
    part.bytes().all(|b| b.is_ascii_digit()).then(|| part.parse().ok())?
}

fn time_of_day(text: &str) -> Option<i64> {
    // HH:mm:ss.SSSZ
    let b = text.as_bytes();
    if b.len() != 13 || b[2] != b':' || b[5] != b':' || b[8] != b'.' || b[12] != b'Z' {
        return None;
    }
    let (h, m, s, ms) = (digits(text, 0..2)?, digits(text, 3..5)?, digits(text, 6..8)?, digits(text, 9..12)?);
    (h < 24 && m < 60 && s < 60).then_some(((h * 60 + m) * 60 + s) * 1000 + ms)
}

fn date_days(text: &str) -> Option<i64> {
    // yyyy-MM-dd
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(text, 0..4)?, digits(text, 5..7)?, digits(text, 8..10)?);
    let (m, d) = (u32::try_from(m).ok()?, u32::try_from(d).ok()?);
    is_valid_date(y, m, d).then(|| days_from_civil(y, m, d))
}

/// Kafka's `parseAsTemporal`: an ISO time (13 chars), timestamp (24) or date (10), in UTC.
fn parse_temporal(token: &str) -> Option<(SchemaRef, Value)> {
    let token = token.replace("\\:", ":");
    match token.len() {
        13 => time_of_day(&token).map(|ms| (logical::time_schema(false), Value::Int32(ms as i32))),
        24 => {
            if token.as_bytes()[10] != b'T' {
                return None;
            }
            let days = date_days(&token[..10])?;
            let ms = time_of_day(&token[11..])?;
            Some((logical::timestamp_schema(false), Value::Int64(days * MILLIS_PER_DAY + ms)))
        }
        10 => {
            let days = i32::try_from(date_days(&token)?).ok()?;
            Some((logical::date_schema(false), Value::Int32(days)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Option<SchemaType>, Value) {
        let sv = parse_string(text).unwrap();
        (sv.schema.map(|s| s.schema_type), sv.value)
    }

    #[test]
    fn parses_like_kafka_values() {
        assert_eq!(parse("null"), (None, Value::Null));
        assert_eq!(parse("true"), (Some(SchemaType::Boolean), Value::Boolean(true)));
        assert_eq!(parse("true}"), (Some(SchemaType::String), Value::from("true}")));
        assert_eq!(parse("12"), (Some(SchemaType::Int8), Value::Int8(12)));
        assert_eq!(parse("300"), (Some(SchemaType::Int16), Value::Int16(300)));
        assert_eq!(parse("1.0"), (Some(SchemaType::Int8), Value::Int8(1)));
        assert_eq!(parse("1.5"), (Some(SchemaType::Float32), Value::Float32(1.5)));
        assert_eq!(parse("9223372036854775808").0, Some(SchemaType::Bytes));
        assert_eq!(parse("hello world"), (Some(SchemaType::String), Value::from("hello world")));
        assert_eq!(parse("2024-01-15"), (Some(SchemaType::Int32), Value::Int32(19_737)));
        assert_eq!(parse("12:34:56.789Z"), (Some(SchemaType::Int32), Value::Int32(45_296_789)));
        assert_eq!(parse("2024-01-15T12:34:56.789Z"), (Some(SchemaType::Int64), Value::Int64(1_705_322_096_789)));
        assert_eq!(
            parse("[1, 2, 300]"),
            (Some(SchemaType::Array), Value::Array(vec![Value::Int16(1), Value::Int16(2), Value::Int16(300)]))
        );
        assert_eq!(
            parse("{\"a\":1,\"b\":\"x\"}").1,
            Value::Map(vec![(Value::from("a"), Value::Int8(1)), (Value::from("b"), Value::from("x"))])
        );
        assert_eq!(parse("[1, null]"), (Some(SchemaType::String), Value::from("[1, null]")));
        assert_eq!(parse("[1,"), (Some(SchemaType::String), Value::from("[1,")));
        assert_eq!(parse(""), (Some(SchemaType::String), Value::from("")));
    }

    #[test]
    fn nested_arrays_keep_values_their_merged_schema_would_narrow() {
        // The inner arrays' merged schema is the last one's (`ARRAY<INT8>` for `[0]`): Kafka keeps
        // the longs as they are; so do we, widened again once the outer array merges to INT64.
        let (_, value) = parse("[[[-9223372036854775808, 9223372036854775807], [0]], [[-9223372036854775808, 2585]]]");
        let expected = Value::Array(vec![
            Value::Array(vec![
                Value::Array(vec![Value::Int64(i64::MIN), Value::Int64(i64::MAX)]),
                Value::Array(vec![Value::Int64(0)]),
            ]),
            Value::Array(vec![Value::Array(vec![Value::Int64(i64::MIN), Value::Int64(2585)])]),
        ]);
        assert_eq!(value, expected);
        let (_, value) = parse("[[1.5], [2]]");
        assert_eq!(
            value,
            Value::Array(vec![Value::Array(vec![Value::Float32(1.5)]), Value::Array(vec![Value::Int8(2)])])
        );
        // A lossless widening still applies.
        let (_, value) = parse("[[1], [300]]");
        assert_eq!(
            value,
            Value::Array(vec![Value::Array(vec![Value::Int16(1)]), Value::Array(vec![Value::Int16(300)])])
        );
    }
}
