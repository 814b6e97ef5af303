//! Kafka's `Cast$Key` / `Cast$Value`: casts top-level fields of a struct or map, or the whole key
//! or value, to another primitive type (`spec`: `field:type,...`, or one `type` for the whole).
//!
//! Values are converted as Kafka's `castValueToType` does, with Java's semantics: numbers narrow
//! as `Number.byteValue()` & co. (wrapping), strings parse as `Byte.parseByte` & co., booleans are
//! 1/0 and "true" (any case), anything becomes a string as Java prints it, bytes become base64.
//! Logical types: a Decimal casts as its number; Date, Time and Timestamp cast as their physical
//! integer, and to string as Kafka's `Values.dateFormatFor` prints them (ISO 8601, UTC).

use std::sync::{Arc, LazyLock};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Validator};
use crate::data::javafmt::{double_to_string, float_to_string};
use crate::data::logical::{self, LogicalType, MILLIS_PER_DAY};
use crate::data::values::java_display;
use crate::data::{Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::transforms::config_util::{self as cfg, java_hash_order, java_list, java_split, JavaHashed};
use crate::transforms::date_format::SimpleDateFormat;
use crate::transforms::java_number::{parse_double, parse_float, parse_integer, JavaNumber};
use crate::transforms::schema_cache::SchemaCache;
use crate::transforms::schema_util::{
    copy_schema_basics, field_value, put_derived, replace_side, require_struct_schema,
};
use crate::transforms::side::{java_class_name, require_map, require_struct, Side};
use crate::transforms::{Record, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.Cast$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.Cast$Value";

const SPEC: &str = "spec";
const PURPOSE: &str = "cast types";

/// The types Kafka casts from (`SUPPORTED_CAST_INPUT_TYPES`) and to (`..._OUTPUT_TYPES`).
const INPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING, BYTES]";
const OUTPUT_TYPES: &str = "[INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, STRING]";

/// Cast's keys, as Kafka defines them.
pub fn config_def() -> ConfigDef {
    let spec = ConfigKey::new(
        SPEC,
        ConfigType::List,
        None,
        Importance::High,
        "List of fields and the type to cast them to of the form field1:type,field2:type to cast fields of Maps or \
         Structs. A single type to cast the entire value. Valid types are int8, int16, int32, int64, float32, \
         float64, boolean, and string. Note that binary fields can only be cast to string.",
    )
    .with_validator(Validator::Worded {
        check: Arc::new(|_, value| match value {
            ConfigValue::List(items) => parse_spec(items).map(|_| ()),
            _ => Ok(()),
        }),
        description: "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>".into(),
    });
    ConfigDef::new()
        .define(spec)
        .and_then(|def| def.define(cfg::replace_null_with_default_key()))
        .expect("Cast's keys are defined once")
}

pub fn make_key(config: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(Cast::new(Side::Key, config)?))
}

pub fn make_value(config: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(Cast::new(Side::Value, config)?))
}

/// What `spec` asks for: casts of named fields, or of the whole value.
#[derive(Debug, Clone, PartialEq)]
enum Spec {
    Fields(Vec<(String, SchemaType)>),
    Whole(SchemaType),
}

/// Kafka's `parseFieldTypes`, with its messages (a mapping of three parts is reported as Kafka
/// reports it, naming `renames`).
fn parse_spec(mappings: &[String]) -> std::result::Result<Spec, String> {
    if mappings.is_empty() {
        return Err("Must specify at least one field to cast.".into());
    }
    let mut fields: Vec<(String, SchemaType)> = Vec::new();
    let mut whole = None;
    for mapping in mappings {
        let parts = java_split(mapping, ':');
        match parts.as_slice() {
            [target] => whole = Some(output_type(target.trim())?),
            [field, target] => {
                let target = output_type(target.trim())?;
                let field = field.trim();
                // A Java HashMap: a repeated field keeps its place and takes the last type.
                match fields.iter_mut().find(|(f, _)| f == field) {
                    Some(entry) => entry.1 = target,
                    None => fields.push((field.to_owned(), target)),
                }
            }
            [] => return Err("Index 1 out of bounds for length 0".into()),
            _ => {
                return Err(format!(
                    "Invalid value {} for configuration renames: Invalid rename mapping: {mapping}",
                    java_list(mappings)
                ))
            }
        }
    }
    match whole {
        Some(_) if mappings.len() > 1 => Err("Cast transformations that specify a type to cast the entire value to \
                                              may only specify a single cast in their spec"
            .into()),
        Some(target) => Ok(Spec::Whole(target)),
        None => Ok(Spec::Fields(java_hash_order(fields, JavaHashed::Map, |(f, _)| f))),
    }
}

/// A type name of the spec (Java's `Schema.Type.valueOf(upper-cased)`) that Cast can cast to.
fn output_type(name: &str) -> std::result::Result<SchemaType, String> {
    let upper = name.to_uppercase();
    let schema_type = SchemaType::ALL.into_iter().find(|t| t.name() == upper).ok_or_else(|| {
        format!(
            "Invalid value java.lang.IllegalArgumentException: No enum constant \
             org.apache.kafka.connect.data.Schema.Type.{upper} for configuration Invalid type found in casting spec: {name}"
        )
    })?;
    if matches!(schema_type, SchemaType::Bytes | SchemaType::Array | SchemaType::Map | SchemaType::Struct) {
        return Err(format!(
            "Cast transformation does not support casting to {schema_type}; supported types are {OUTPUT_TYPES}"
        ));
    }
    Ok(schema_type)
}

/// A configured Cast.
pub struct Cast {
    side: Side,
    spec: Spec,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

impl Cast {
    fn new(side: Side, config: &Config) -> Result<Self> {
        let values = config_def().parse(config)?;
        let spec = parse_spec(&cfg::list(&values, SPEC)).map_err(|reason| Error::config(SPEC, reason))?;
        Ok(Cast {
            side,
            spec,
            replace_null_with_default: cfg::boolean(&values, cfg::REPLACE_NULL_WITH_DEFAULT),
            cache: SchemaCache::default(),
        })
    }

    fn field_cast(&self, name: &str) -> Option<SchemaType> {
        match &self.spec {
            Spec::Fields(fields) => fields.iter().find(|(f, _)| f == name).map(|(_, t)| *t),
            Spec::Whole(_) => None,
        }
    }

    fn apply_schemaless(&self, value: Value) -> Result<Value> {
        let fields = match &self.spec {
            Spec::Whole(target) => return cast_value(None, &value, *target),
            Spec::Fields(fields) => fields,
        };
        let mut entries = require_map(&value, PURPOSE)?.to_vec();
        for (field, target) in fields {
            let key = Value::String(field.clone());
            let position = entries.iter().position(|(k, _)| *k == key);
            let cast = cast_value(None, position.map_or(&Value::Null, |i| &entries[i].1), *target)?;
            match position {
                Some(i) => entries[i].1 = cast,
                None => entries.push((key, cast)),
            }
        }
        Ok(Value::Map(entries))
    }

    fn apply_with_schema(&mut self, schema: &SchemaRef, value: Value) -> Result<(SchemaRef, Value)> {
        let spec = &self.spec;
        let updated = self.cache.get_or_try_insert(schema, || build_schema(spec, schema))?;
        if let Spec::Whole(target) = self.spec {
            return Ok((updated, cast_value(Some(schema), &value, target)?));
        }
        let original = require_struct(&value, PURPOSE)?;
        let mut result = Struct::new(updated.clone())?;
        for field in &original.schema.fields {
            let value = field_value(original, field, self.replace_null_with_default)?;
            let value = match self.field_cast(&field.name) {
                Some(target) => cast_value(Some(&field.schema), value, target)?,
                None => value.clone(),
            };
            put_derived(&mut result, &field.name, value)?;
        }
        Ok((updated, Value::Struct(result)))
    }
}

impl Transformation for Cast {
    fn apply(&mut self, record: Record) -> Result<Option<Record>> {
        if self.side.value(&record).is_null() {
            return Ok(Some(record));
        }
        replace_side(self.side, record, |schema, value| match schema {
            None => Ok((None, self.apply_schemaless(value)?)),
            Some(schema) => self.apply_with_schema(&schema, value).map(|(s, v)| (Some(s), v)),
        })
    }
}

/// Kafka's `getOrBuildSchema`: the schema of the cast value.
fn build_schema(spec: &Spec, schema: &Schema) -> Result<SchemaRef> {
    let mut builder = match spec {
        Spec::Whole(target) => copy_schema_basics(schema, SchemaBuilder::new(*target)),
        Spec::Fields(fields) => {
            require_struct_schema(schema)?;
            let mut builder = copy_schema_basics(schema, SchemaBuilder::struct_());
            for field in &schema.fields {
                let field_schema = match fields.iter().find(|(f, _)| *f == field.name) {
                    None => field.schema.clone(),
                    Some((_, target)) => {
                        let mut field_builder = SchemaBuilder::new(*target);
                        if field.schema.optional {
                            field_builder = field_builder.optional();
                        }
                        if let Some(default) = &field.schema.default {
                            field_builder =
                                field_builder.default_value(cast_value(Some(&field.schema), default, *target)?);
                        }
                        field_builder.build()?
                    }
                };
                builder = builder.field(&field.name, field_schema);
            }
            builder
        }
    };
    if schema.optional {
        builder = builder.optional();
    }
    if let Some(default) = &schema.default {
        let cast = cast_value(Some(schema), default, builder.schema_type())?;
        // A default is checked against the schema's name first: a logical type's name (copied
        // from the source) wants a BigDecimal or java.util.Date, which a cast never gives.
        if builder.current().name.as_deref().is_some_and(is_logical_name) {
            return Err(Error::data("Invalid default value"));
        }
        builder = builder.default_value(cast);
    }
    builder.build()
}

fn is_logical_name(name: &str) -> bool {
    [logical::DECIMAL_NAME, logical::DATE_NAME, logical::TIME_NAME, logical::TIMESTAMP_NAME].contains(&name)
}

/// A value as Kafka's Cast sees it: the Java object it would be.
enum JavaValue<'a> {
    Number(JavaNumber),
    Boolean(bool),
    String(&'a str),
    Bytes(&'a [u8]),
    /// A `java.util.Date` (Date, Time and Timestamp values cast to string): epoch millis.
    Date(i64),
    /// Anything else (a list, map or struct), printed as Java's `toString`.
    Other(&'a Value),
}

impl<'a> JavaValue<'a> {
    /// The object Kafka casts: logical values decoded as Kafka's `encodeLogicalType` leaves them
    /// (Date, Time, Timestamp as their integers unless cast to string).
    fn of(schema: Option<&Schema>, value: &'a Value, to_string: bool) -> Result<Self> {
        let logical = schema.and_then(LogicalType::of);
        Ok(match (logical, value) {
            (Some(LogicalType::Decimal), Value::Bytes(_)) => {
                JavaValue::Number(JavaNumber::BigDecimal(logical::decimal_from_value(schema.expect("logical"), value)?))
            }
            (Some(LogicalType::Date), Value::Int32(days)) if to_string => {
                JavaValue::Date(i64::from(*days) * MILLIS_PER_DAY)
            }
            (Some(LogicalType::Time), Value::Int32(millis)) if to_string => JavaValue::Date(i64::from(*millis)),
            (Some(LogicalType::Timestamp), Value::Int64(millis)) if to_string => JavaValue::Date(*millis),
            (_, Value::Int8(v)) => JavaValue::Number(JavaNumber::Byte(*v)),
            (_, Value::Int16(v)) => JavaValue::Number(JavaNumber::Short(*v)),
            (_, Value::Int32(v)) => JavaValue::Number(JavaNumber::Integer(*v)),
            (_, Value::Int64(v)) => JavaValue::Number(JavaNumber::Long(*v)),
            (_, Value::Float32(v)) => JavaValue::Number(JavaNumber::Float(*v)),
            (_, Value::Float64(v)) => JavaValue::Number(JavaNumber::Double(*v)),
            (_, Value::Boolean(v)) => JavaValue::Boolean(*v),
            (_, Value::String(s)) => JavaValue::String(s),
            (_, Value::Bytes(b)) => JavaValue::Bytes(b),
            (_, other) => JavaValue::Other(other),
        })
    }

    fn unexpected(&self) -> Error {
        let class = match self {
            JavaValue::Bytes(_) => "[B",
            JavaValue::Other(v) => java_class_name(v),
            _ => "java.lang.Object",
        };
        Error::data(format!("Unexpected type in Cast transformation: class {class}"))
    }
}

/// Kafka's `castValueToType`.
fn cast_value(schema: Option<&Schema>, value: &Value, target: SchemaType) -> Result<Value> {
    if value.is_null() {
        return Ok(Value::Null);
    }
    let inferred = schema.map_or_else(|| value.schema_type(), |s| Some(s.schema_type));
    if let Some(inferred) = inferred.filter(|t| !is_input_type(*t)) {
        return Err(Error::data(format!(
            "Cast transformation does not support casting from {inferred}; supported types are {INPUT_TYPES}"
        )));
    }
    let object = JavaValue::of(schema, value, target == SchemaType::String)?;
    let number = match (target, &object) {
        (SchemaType::String, _) => return Ok(Value::String(to_java_string(&object))),
        (SchemaType::Boolean, JavaValue::Boolean(b)) => return Ok(Value::Boolean(*b)),
        (SchemaType::Boolean, JavaValue::String(s)) => return Ok(Value::Boolean(s.eq_ignore_ascii_case("true"))),
        (_, JavaValue::String(s)) => return parse_as(target, s),
        (SchemaType::Array | SchemaType::Map | SchemaType::Struct | SchemaType::Bytes, _) => {
            return Err(Error::data(format!("{target} is not supported in the Cast transformation.")))
        }
        (_, JavaValue::Number(n)) => n.clone(),
        (_, JavaValue::Boolean(b)) => JavaNumber::Integer(i32::from(*b)),
        _ => return Err(object.unexpected()),
    };
    Ok(match target {
        SchemaType::Int8 => Value::Int8(number.byte_value()),
        SchemaType::Int16 => Value::Int16(number.short_value()),
        SchemaType::Int32 => Value::Int32(number.int_value()),
        SchemaType::Int64 => Value::Int64(number.long_value()),
        SchemaType::Float32 => Value::Float32(number.float_value()),
        SchemaType::Float64 => Value::Float64(number.double_value()),
        _ => Value::Boolean(number.long_value() != 0),
    })
}

/// Kafka's cast of a string to a number: `Byte.parseByte` ... `Double.parseDouble`.
fn parse_as(target: SchemaType, text: &str) -> Result<Value> {
    let range = |min: i64, max: i64| parse_integer(text, min, max);
    let parsed = match target {
        SchemaType::Int8 => range(i8::MIN.into(), i8::MAX.into()).map(|v| Value::Int8(v as i8)),
        SchemaType::Int16 => range(i16::MIN.into(), i16::MAX.into()).map(|v| Value::Int16(v as i16)),
        SchemaType::Int32 => range(i32::MIN.into(), i32::MAX.into()).map(|v| Value::Int32(v as i32)),
        SchemaType::Int64 => range(i64::MIN, i64::MAX).map(Value::Int64),
        SchemaType::Float32 => parse_float(text).map(Value::Float32),
        _ => parse_double(text).map(Value::Float64),
    };
    parsed.ok_or_else(|| Error::data(format!("Value ({text}) was out of range for requested data type")))
}

fn is_input_type(t: SchemaType) -> bool {
    t.is_primitive()
}

/// Kafka's `castToString`: dates as `Values.dateFormatFor` prints them, bytes in base64, the rest
/// as Java's `toString`.
fn to_java_string(object: &JavaValue<'_>) -> String {
    match object {
        JavaValue::Date(millis) => format_date(*millis),
        JavaValue::Bytes(b) => BASE64.encode(b),
        JavaValue::Boolean(b) => b.to_string(),
        JavaValue::String(s) => (*s).to_owned(),
        JavaValue::Number(n) => match n {
            JavaNumber::Byte(v) => v.to_string(),
            JavaNumber::Short(v) => v.to_string(),
            JavaNumber::Integer(v) => v.to_string(),
            JavaNumber::Long(v) => v.to_string(),
            JavaNumber::Float(v) => float_to_string(*v),
            JavaNumber::Double(v) => double_to_string(*v),
            JavaNumber::BigDecimal(d) => d.to_string(),
        },
        JavaValue::Other(v) => java_display(v),
    }
}

/// Kafka's `Values.dateFormatFor(date).format(date)`: a time before one day past the epoch, a
/// date at a midnight, a timestamp otherwise.
fn format_date(millis: i64) -> String {
    static TIME: LazyLock<SimpleDateFormat> = LazyLock::new(|| iso("HH:mm:ss.SSS'Z'"));
    static DATE: LazyLock<SimpleDateFormat> = LazyLock::new(|| iso("yyyy-MM-dd"));
    static TIMESTAMP: LazyLock<SimpleDateFormat> = LazyLock::new(|| iso("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"));
    fn iso(pattern: &str) -> SimpleDateFormat {
        SimpleDateFormat::new(pattern).expect("Kafka's ISO 8601 patterns compile")
    }
    if millis < MILLIS_PER_DAY {
        TIME.format(millis)
    } else if millis % MILLIS_PER_DAY == 0 {
        DATE.format(millis)
    } else {
        TIMESTAMP.format(millis)
    }
}

#[cfg(test)]
#[path = "cast_tests.rs"]
mod tests;
