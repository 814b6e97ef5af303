//! Kafka's `TimestampConverter$Key` / `TimestampConverter$Value`: converts a timestamp (a whole
//! key or value, or the top-level `field` of a struct or map) between `string` (a
//! `SimpleDateFormat` pattern, UTC), `unix` (epoch in `unix.precision`), `Date`, `Time` and
//! `Timestamp`.
//!
//! The source kind comes from the schema (a logical name, else STRING is `string` and INT64 is
//! `unix`) or, without a schema, from the value (a string or an INT64). Values stay physical:
//! a Date is days, a Time and a Timestamp are milliseconds. Without a schema there is nothing to
//! mark a date, so a `Date`, `Time` or `Timestamp` result is its epoch milliseconds (INT64) there,
//! which Kafka holds as a `java.util.Date`.

use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Validator};
use crate::data::logical::{self, MILLIS_PER_DAY};
use crate::data::{Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::transforms::config_util as cfg;
use crate::transforms::date_format::SimpleDateFormat;
use crate::transforms::schema_cache::SchemaCache;
use crate::transforms::schema_util::{copy_schema_basics, field_value, replace_side, require_struct_schema};
use crate::transforms::side::{java_class_name, require_map, require_struct, Side};
use crate::transforms::{Record, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.TimestampConverter$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.TimestampConverter$Value";

const FIELD: &str = "field";
const TARGET_TYPE: &str = "target.type";
const FORMAT: &str = "format";
const UNIX_PRECISION: &str = "unix.precision";
const PURPOSE: &str = "converting timestamp formats";

/// Timestamp kinds, by Kafka's `target.type` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

impl Kind {
    fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "string" => Kind::String,
            "unix" => Kind::Unix,
            "Date" => Kind::Date,
            "Time" => Kind::Time,
            "Timestamp" => Kind::Timestamp,
            _ => return None,
        })
    }

    /// Kafka's `typeSchema`.
    fn schema(self, optional: bool) -> SchemaRef {
        match self {
            Kind::String => primitive(SchemaType::String, optional),
            Kind::Unix => primitive(SchemaType::Int64, optional),
            Kind::Date => logical::date_schema(optional),
            Kind::Time => logical::time_schema(optional),
            Kind::Timestamp => logical::timestamp_schema(optional),
        }
    }

    /// Kafka's `timestampTypeFromSchema`: by logical name, else STRING or INT64.
    fn of_schema(schema: &Schema) -> Result<Kind> {
        match schema.name.as_deref() {
            Some(logical::TIMESTAMP_NAME) => Ok(Kind::Timestamp),
            Some(logical::DATE_NAME) => Ok(Kind::Date),
            Some(logical::TIME_NAME) => Ok(Kind::Time),
            _ => match schema.schema_type {
                SchemaType::String => Ok(Kind::String),
                SchemaType::Int64 => Ok(Kind::Unix),
                _ => Err(Error::Connector(format!(
                    "Schema {schema} does not correspond to a known timestamp type format"
                ))),
            },
        }
    }
}

fn primitive(schema_type: SchemaType, optional: bool) -> SchemaRef {
    if optional {
        Schema::optional_of(schema_type)
    } else {
        Schema::of(schema_type)
    }
}

/// Units of `unix.precision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Precision {
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

/// TimestampConverter's keys, as Kafka defines them.
pub fn config_def() -> ConfigDef {
    let one_of = |names: &[&str]| Validator::ValidString {
        allowed: names.iter().map(|n| (*n).to_owned()).collect(),
        case_sensitive: true,
    };
    let empty = || Some(ConfigValue::String(String::new()));
    ConfigDef::new()
        .define(ConfigKey::new(
            FIELD,
            ConfigType::String,
            empty(),
            Importance::High,
            "The field containing the timestamp, or empty if the entire value is a timestamp",
        ))
        .and_then(|def| {
            def.define(
                ConfigKey::new(
                    TARGET_TYPE,
                    ConfigType::String,
                    None,
                    Importance::High,
                    "The desired timestamp representation: string, unix, Date, Time, or Timestamp",
                )
                .with_validator(one_of(&["string", "unix", "Date", "Time", "Timestamp"])),
            )
        })
        .and_then(|def| {
            def.define(ConfigKey::new(
                FORMAT,
                ConfigType::String,
                empty(),
                Importance::Medium,
                "A SimpleDateFormat-compatible format for the timestamp. Used to generate the output when \
                 type=string or used to parse the input if the input is a string.",
            ))
        })
        .and_then(|def| {
            def.define(
                ConfigKey::new(
                    UNIX_PRECISION,
                    ConfigType::String,
                    Some(ConfigValue::String("milliseconds".into())),
                    Importance::Low,
                    "The desired Unix precision for the timestamp: seconds, milliseconds, microseconds, or \
                     nanoseconds. Used to generate the output when type=unix or used to parse the input if the \
                     input is a Long.Note: This SMT will cause precision loss during conversions from, and to, \
                     values with sub-millisecond components.",
                )
                .with_validator(one_of(&["nanoseconds", "microseconds", "milliseconds", "seconds"])),
            )
        })
        .and_then(|def| def.define(cfg::replace_null_with_default_key()))
        .expect("TimestampConverter's keys are defined once")
}

pub fn make_key(config: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(TimestampConverter::new(Side::Key, config)?))
}

pub fn make_value(config: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(TimestampConverter::new(Side::Value, config)?))
}

/// A configured TimestampConverter.
pub struct TimestampConverter {
    side: Side,
    converter: Converter,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

/// What converts one timestamp (Kafka's `Config`).
struct Converter {
    field: String,
    target: Kind,
    format: Option<SimpleDateFormat>,
    precision: Precision,
}

impl TimestampConverter {
    fn new(side: Side, config: &Config) -> Result<Self> {
        let values = config_def().parse(config)?;
        let target =
            Kind::from_name(&cfg::string(&values, TARGET_TYPE).unwrap_or_default()).expect("target.type is validated");
        let pattern = cfg::string(&values, FORMAT).unwrap_or_default();
        let blank = pattern.chars().all(|c| c <= ' ');
        if target == Kind::String && blank {
            return Err(Error::config(
                FORMAT,
                "TimestampConverter requires format option to be specified when using string timestamps",
            ));
        }
        let format = if blank {
            None
        } else {
            Some(SimpleDateFormat::new(&pattern).map_err(|e| {
                Error::config(
                    FORMAT,
                    format!(
                        "Invalid value java.lang.IllegalArgumentException: {e} for configuration TimestampConverter \
                         requires a SimpleDateFormat-compatible pattern for string timestamps: {pattern}"
                    ),
                )
            })?)
        };
        let precision = match cfg::string(&values, UNIX_PRECISION).as_deref() {
            Some("seconds") => Precision::Seconds,
            Some("microseconds") => Precision::Microseconds,
            Some("nanoseconds") => Precision::Nanoseconds,
            _ => Precision::Milliseconds,
        };
        Ok(TimestampConverter {
            side,
            converter: Converter { field: cfg::string(&values, FIELD).unwrap_or_default(), target, format, precision },
            replace_null_with_default: cfg::boolean(&values, cfg::REPLACE_NULL_WITH_DEFAULT),
            cache: SchemaCache::default(),
        })
    }

    fn apply_schemaless(&self, value: &Value) -> Result<Value> {
        let field = &self.converter.field;
        if value.is_null() || field.is_empty() {
            return self.converter.convert(value, None, false);
        }
        let mut entries = require_map(value, PURPOSE)?.to_vec();
        let key = Value::String(field.clone());
        match entries.iter().position(|(k, _)| *k == key) {
            Some(i) => entries[i].1 = self.converter.convert(&entries[i].1, None, false)?,
            None => entries.push((key, Value::Null)),
        }
        Ok(Value::Map(entries))
    }

    fn apply_with_schema(&mut self, schema: &SchemaRef, value: &Value) -> Result<(SchemaRef, Value)> {
        let converter = &self.converter;
        if converter.field.is_empty() {
            let kind = Kind::of_schema(schema)?;
            let updated = converter.target.schema(schema.optional);
            return Ok((updated, converter.convert(value, Some(kind), true)?));
        }
        let original = match value {
            Value::Null => None,
            other => Some(require_struct(other, PURPOSE)?),
        };
        let replace = self.replace_null_with_default;
        let updated = self.cache.get_or_try_insert(schema, || converter.build_schema(schema, replace))?;
        let value = match original {
            None => Value::Null,
            Some(original) => Value::Struct(converter.convert_struct(original, &updated, replace)?),
        };
        Ok((updated, value))
    }
}

impl Converter {
    /// Kafka's derived struct schema: the field's schema becomes the target's.
    fn build_schema(&self, schema: &Schema, replace_null_with_default: bool) -> Result<SchemaRef> {
        require_struct_schema(schema)?;
        let mut builder = copy_schema_basics(schema, SchemaBuilder::struct_());
        for field in &schema.fields {
            let field_schema =
                if field.name == self.field { self.target.schema(field.schema.optional) } else { field.schema.clone() };
            builder = builder.field(&field.name, field_schema);
        }
        if schema.optional {
            builder = builder.optional();
        }
        if let Some(default) = &schema.default {
            let Value::Struct(default) = default else {
                return Err(Error::data(format!(
                    "class {} cannot be cast to class org.apache.kafka.connect.data.Struct",
                    java_class_name(default)
                )));
            };
            let without_default = builder.build()?;
            let converted = self.convert_struct(default, &without_default, replace_null_with_default)?;
            builder = builder.default_value(Value::Struct(converted));
        }
        builder.build()
    }

    /// Kafka's `applyValueWithSchema`: the struct under the derived schema, the field converted.
    fn convert_struct(&self, value: &Struct, updated: &SchemaRef, replace_null_with_default: bool) -> Result<Struct> {
        let mut out = Struct::new(updated.clone())?;
        for field in &value.schema.fields {
            let field_value = field_value(value, field, replace_null_with_default)?;
            let converted = if field.name == self.field {
                self.convert(field_value, Some(Kind::of_schema(&field.schema)?), true)?
            } else {
                field_value.clone()
            };
            out.put(&field.name, converted)?;
        }
        Ok(out)
    }

    /// Kafka's `convertTimestamp`: `kind` is the source's (inferred from the value when `None`);
    /// `with_schema` says whether the result has a schema to mark a Date/Time/Timestamp.
    fn convert(&self, value: &Value, kind: Option<Kind>, with_schema: bool) -> Result<Value> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let kind = match kind {
            Some(kind) => kind,
            None => match value {
                Value::Int64(_) => Kind::Unix,
                Value::String(_) => Kind::String,
                other => {
                    return Err(Error::data(format!(
                        "TimestampConverter does not support class {} objects as timestamps",
                        java_class_name(other)
                    )))
                }
            },
        };
        let millis = self.to_millis(value, kind)?;
        Ok(self.from_millis(millis, with_schema))
    }

    /// A source timestamp as epoch milliseconds (Kafka's `toRaw`).
    fn to_millis(&self, value: &Value, kind: Kind) -> Result<i64> {
        let expected = |what: &str, java: &str| {
            Error::data(format!("Expected {what} to be a {java}, but found class {}", java_class_name(value)))
        };
        match (kind, value) {
            (Kind::String, Value::String(text)) => {
                let Some(format) = &self.format else {
                    // Kafka has no format to parse with when the target is not a string.
                    return Err(Error::Connector(
                        "Cannot invoke \"java.text.SimpleDateFormat.parse(String)\" because \"config.format\" is null"
                            .into(),
                    ));
                };
                format.parse(text).ok_or_else(|| {
                    Error::data(format!(
                        "Could not parse timestamp: value ({text}) does not match pattern ({})",
                        format.pattern()
                    ))
                })
            }
            (Kind::String, _) => Err(expected("string timestamp", "String")),
            (Kind::Unix, Value::Int64(v)) => Ok(match self.precision {
                Precision::Seconds => v.saturating_mul(1000),
                Precision::Milliseconds => *v,
                Precision::Microseconds => v / 1000,
                Precision::Nanoseconds => v / 1_000_000,
            }),
            (Kind::Unix, _) => Err(expected("Unix timestamp", "Long")),
            (Kind::Date, Value::Int32(days)) => Ok(i64::from(*days) * MILLIS_PER_DAY),
            (Kind::Time, Value::Int32(millis)) => Ok(i64::from(*millis)),
            (Kind::Timestamp, Value::Int64(millis)) => Ok(*millis),
            (Kind::Date, _) => Err(expected("Date", "java.util.Date")),
            (Kind::Time, _) => Err(expected("Time", "java.util.Date")),
            (Kind::Timestamp, _) => Err(expected("Timestamp", "java.util.Date")),
        }
    }

    /// Epoch milliseconds as the target (Kafka's `toType`).
    fn from_millis(&self, millis: i64, with_schema: bool) -> Value {
        match self.target {
            // A string target always has a format (checked when configured).
            Kind::String => Value::String(self.format.as_ref().map(|f| f.format(millis)).unwrap_or_default()),
            Kind::Unix => Value::Int64(match self.precision {
                Precision::Seconds => millis / 1000,
                Precision::Milliseconds => millis,
                Precision::Microseconds => millis.saturating_mul(1000),
                Precision::Nanoseconds => millis.saturating_mul(1_000_000),
            }),
            Kind::Date => {
                let midnight = millis - millis.rem_euclid(MILLIS_PER_DAY);
                // Kafka's `Date.fromLogical` keeps the day count in an int (wrapping).
                if with_schema {
                    Value::Int32((midnight / MILLIS_PER_DAY) as i32)
                } else {
                    Value::Int64(midnight)
                }
            }
            Kind::Time => {
                let time = millis.rem_euclid(MILLIS_PER_DAY);
                if with_schema {
                    Value::Int32(time as i32)
                } else {
                    Value::Int64(time)
                }
            }
            Kind::Timestamp => Value::Int64(millis),
        }
    }
}

impl Transformation for TimestampConverter {
    fn apply(&mut self, record: Record) -> Result<Option<Record>> {
        replace_side(self.side, record, |schema, value| match schema {
            None => Ok((None, self.apply_schemaless(&value)?)),
            Some(schema) => self.apply_with_schema(&schema, &value).map(|(s, v)| (Some(s), v)),
        })
    }
}

#[cfg(test)]
#[path = "timestamp_converter_tests.rs"]
mod tests;
