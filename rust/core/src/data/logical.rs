//! Kafka Connect's logical types: Decimal (BYTES), Date and Time (INT32), Timestamp (INT64).
//! A logical type is a named schema over a primitive type; values keep the primitive (physical)
//! form (see `value.rs`). Here: their names, schemas, and the calendar arithmetic to move between
//! the physical form and dates/times, always in UTC as Kafka computes them.

use std::sync::{Arc, LazyLock};

use super::decimal::BigDecimal;
use super::{Schema, SchemaRef, SchemaType, Value};
use crate::error::{Error, Result};

pub const DECIMAL_NAME: &str = "org.apache.kafka.connect.data.Decimal";
pub const DATE_NAME: &str = "org.apache.kafka.connect.data.Date";
pub const TIME_NAME: &str = "org.apache.kafka.connect.data.Time";
pub const TIMESTAMP_NAME: &str = "org.apache.kafka.connect.data.Timestamp";
/// The package of the four logical types' classes, which starts each of their names.
const LOGICAL_PACKAGE: &str = "org.apache.kafka.connect.data.";
/// The Decimal schema parameter holding the scale.
pub const SCALE_PARAMETER: &str = "scale";

pub const MILLIS_PER_DAY: i64 = 86_400_000;

/// Which logical type a schema is, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicalType {
    Decimal,
    Date,
    Time,
    Timestamp,
}

impl LogicalType {
    /// The logical type of `schema`: its name must be the logical name and its type the logical
    /// type's base type (a schema named like Date over STRING is treated as a plain STRING).
    pub fn of(schema: &Schema) -> Option<LogicalType> {
        // Asked for every field of every record on both converter paths: the shared package
        // prefix is compared once, then a short suffix (where four whole names were compared).
        let logical = match schema.name.as_deref()?.strip_prefix(LOGICAL_PACKAGE)? {
            "Decimal" => LogicalType::Decimal,
            "Date" => LogicalType::Date,
            "Time" => LogicalType::Time,
            "Timestamp" => LogicalType::Timestamp,
            _ => return None,
        };
        (schema.schema_type == logical.base_type()).then_some(logical)
    }

    pub fn base_type(self) -> SchemaType {
        match self {
            LogicalType::Decimal => SchemaType::Bytes,
            LogicalType::Date | LogicalType::Time => SchemaType::Int32,
            LogicalType::Timestamp => SchemaType::Int64,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            LogicalType::Decimal => DECIMAL_NAME,
            LogicalType::Date => DATE_NAME,
            LogicalType::Time => TIME_NAME,
            LogicalType::Timestamp => TIMESTAMP_NAME,
        }
    }
}

fn logical_schema(logical: LogicalType, optional: bool) -> Schema {
    Schema {
        name: Some(logical.name().to_owned()),
        version: Some(1),
        optional,
        ..Schema::primitive(logical.base_type())
    }
}

/// `Decimal.schema(scale)`: BYTES named `org.apache.kafka.connect.data.Decimal`, version 1,
/// parameter `scale`.
pub fn decimal_schema(scale: i32, optional: bool) -> Schema {
    let mut schema = logical_schema(LogicalType::Decimal, optional);
    schema.parameters.insert(SCALE_PARAMETER.to_owned(), scale.to_string());
    schema
}

static DATE_SCHEMAS: LazyLock<[SchemaRef; 2]> =
    LazyLock::new(|| [false, true].map(|o| Arc::new(logical_schema(LogicalType::Date, o))));
static TIME_SCHEMAS: LazyLock<[SchemaRef; 2]> =
    LazyLock::new(|| [false, true].map(|o| Arc::new(logical_schema(LogicalType::Time, o))));
static TIMESTAMP_SCHEMAS: LazyLock<[SchemaRef; 2]> =
    LazyLock::new(|| [false, true].map(|o| Arc::new(logical_schema(LogicalType::Timestamp, o))));

/// `Date.SCHEMA` (or its optional form).
pub fn date_schema(optional: bool) -> SchemaRef {
    DATE_SCHEMAS[usize::from(optional)].clone()
}

/// `Time.SCHEMA` (or its optional form).
pub fn time_schema(optional: bool) -> SchemaRef {
    TIME_SCHEMAS[usize::from(optional)].clone()
}

/// `Timestamp.SCHEMA` (or its optional form).
pub fn timestamp_schema(optional: bool) -> SchemaRef {
    TIMESTAMP_SCHEMAS[usize::from(optional)].clone()
}

/// The scale of a Decimal schema, with Kafka's errors when it is missing or not an integer.
pub fn decimal_scale(schema: &Schema) -> Result<i32> {
    let text = schema
        .parameters
        .get(SCALE_PARAMETER)
        .ok_or_else(|| Error::data("Invalid Decimal schema: scale parameter not found."))?;
    text.parse().map_err(|_| Error::data(format!("Invalid scale parameter found in Decimal schema: {text:?}")))
}

/// A Decimal value (physical bytes) as a decimal number, at its schema's scale.
pub fn decimal_from_value(schema: &Schema, value: &Value) -> Result<BigDecimal> {
    match value {
        Value::Bytes(bytes) => BigDecimal::from_unscaled_bytes(bytes, decimal_scale(schema)?),
        other => Err(Error::data(format!("Invalid type for Decimal, expected bytes but was {}", other.type_name()))),
    }
}

/// A decimal number as the physical value of a Decimal schema, rescaled exactly to its scale.
pub fn decimal_to_value(schema: &Schema, decimal: &BigDecimal) -> Result<Value> {
    let scale = decimal_scale(schema)?;
    Ok(Value::Bytes(decimal.rescale(scale)?.unscaled_bytes()))
}

/// Kafka refuses Time values outside one day (both ends included, as Kafka's check is).
pub fn check_time_millis(ms: i32) -> Result<()> {
    if (0..=MILLIS_PER_DAY).contains(&i64::from(ms)) {
        Ok(())
    } else {
        Err(Error::data("Time values must use number of milliseconds greater than 0 and less than 86400000"))
    }
}

/// Days since 1970-01-01 → (year, month 1-12, day 1-31), proleptic Gregorian.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Howard Hinnant's algorithm: shift to an era starting on March 1st so leap days come last.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// (year, month 1-12, day 1-31) → days since 1970-01-01; the inverse of `civil_from_days`.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Whether (year, month, day) is a real calendar date.
pub fn is_valid_date(year: i64, month: u32, day: u32) -> bool {
    (1..=12).contains(&month) && day >= 1 && civil_from_days(days_from_civil(year, month, day)) == (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_737), (2024, 1, 15));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert!(is_valid_date(2024, 2, 29));
        assert!(!is_valid_date(2023, 2, 29));
    }

    #[test]
    fn logical_type_needs_name_and_base_type() {
        assert_eq!(LogicalType::of(&date_schema(false)), Some(LogicalType::Date));
        let fake = Schema { name: Some(DATE_NAME.into()), ..Schema::primitive(SchemaType::String) };
        assert_eq!(LogicalType::of(&fake), None);
        assert_eq!(decimal_scale(&decimal_schema(2, false)).unwrap(), 2);
    }

    #[test]
    fn logical_type_is_told_by_its_whole_name() {
        for logical in [LogicalType::Decimal, LogicalType::Date, LogicalType::Time, LogicalType::Timestamp] {
            let named = |name: &str| Schema { name: Some(name.into()), ..Schema::primitive(logical.base_type()) };
            assert_eq!(LogicalType::of(&named(logical.name())), Some(logical));
            let suffix = logical.name().rsplit('.').next().unwrap();
            for other in [suffix.to_owned(), format!("{}x", logical.name()), format!("x{}", logical.name())] {
                assert_eq!(LogicalType::of(&named(&other)), None, "{other}");
            }
        }
    }
}
