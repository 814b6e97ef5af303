//! Kafka's `TimestampConverterTest`, case by case. Kafka's schemaless cases that start from a
//! `java.util.Date` (which a schemaless value cannot be here) start from its epoch milliseconds.

use super::*;
use crate::data::logical::{date_schema, time_schema, timestamp_schema};
use crate::transforms::test_util::*;

const STRING_DATE_FMT: &str = "yyyy MM dd HH mm ss SSS z";
/// 1970-01-02T00:00:01.234Z, Kafka's `DATE_PLUS_TIME`.
const DATE_PLUS_TIME: i64 = MILLIS_PER_DAY + 1234;
const DATE_PLUS_TIME_STRING: &str = "1970 01 02 00 00 01 234 UTC";
/// Kafka's `DATE` (1970-01-02) and `TIME` (00:00:01.234).
const DATE: i64 = MILLIS_PER_DAY;
const TIME: i64 = 1234;
const DATE_PLUS_TIME_UNIX_MICROS: i64 = DATE_PLUS_TIME * 1000 + 123;
const DATE_PLUS_TIME_UNIX_NANOS: i64 = DATE_PLUS_TIME_UNIX_MICROS * 1000 + 456;
const DATE_PLUS_TIME_UNIX_SECONDS: i64 = DATE_PLUS_TIME / 1000;

fn target(kind: &str) -> Box<dyn Transformation> {
    configure(make_value, &[("target.type", kind), ("format", STRING_DATE_FMT)])
}

fn with_schema(t: &mut dyn Transformation, schema: SchemaRef, value: Value) -> (SchemaRef, Value) {
    let out = apply(t, value_record(Some(schema), value));
    (out.value_schema.unwrap(), out.value)
}

fn schemaless(t: &mut dyn Transformation, value: Value) -> Value {
    let out = apply(t, value_record(None, value));
    assert_eq!(out.value_schema, None);
    out.value
}

#[test]
fn test_config_no_target_type() {
    let (key, reason) = config_error(make_value, &[]);
    assert_eq!(
        (key.as_str(), reason.as_str()),
        ("target.type", "Missing required configuration \"target.type\" which has no default value.")
    );
}

#[test]
fn test_config_invalid_target_type() {
    let (key, reason) = config_error(make_value, &[("target.type", "invalid")]);
    assert_eq!(key, "target.type");
    assert_eq!(reason, "Invalid value invalid for configuration target.type: String must be one of: string, unix, Date, Time, Timestamp");
}

#[test]
fn test_config_invalid_unix_precision() {
    let (key, reason) = config_error(make_value, &[("target.type", "unix"), ("unix.precision", "invalid")]);
    assert_eq!(key, "unix.precision");
    assert_eq!(
        reason,
        "Invalid value invalid for configuration unix.precision: String must be one of: nanoseconds, microseconds, milliseconds, seconds"
    );
}

#[test]
fn test_config_valid_unix_precision() {
    for precision in ["seconds", "milliseconds", "microseconds", "nanoseconds"] {
        configure(make_value, &[("target.type", "unix"), ("unix.precision", precision)]);
    }
}

#[test]
fn test_config_missing_format() {
    let (key, reason) = config_error(make_value, &[("target.type", "string")]);
    assert_eq!(key, "format");
    assert_eq!(reason, "TimestampConverter requires format option to be specified when using string timestamps");
    assert_eq!(config_error(make_value, &[("target.type", "string"), ("format", "  ")]).0, "format");
}

#[test]
fn test_config_invalid_format() {
    let (key, reason) = config_error(make_value, &[("target.type", "string"), ("format", "bad-format")]);
    assert_eq!(key, "format");
    assert_eq!(
        reason,
        "Invalid value java.lang.IllegalArgumentException: Illegal pattern character 'b' for configuration \
         TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: bad-format"
    );
}

#[test]
fn test_schemaless_conversions() {
    // testSchemalessIdentity, ...TimestampToDate/Time/Unix/String, ...UnixToTimestamp,
    // ...StringToTimestamp: dates are their epoch millis without a schema.
    let cases = [
        ("Timestamp", Value::Int64(DATE_PLUS_TIME), Value::Int64(DATE_PLUS_TIME)),
        ("Date", Value::Int64(DATE_PLUS_TIME), Value::Int64(DATE)),
        ("Time", Value::Int64(DATE_PLUS_TIME), Value::Int64(TIME)),
        ("unix", Value::Int64(DATE_PLUS_TIME), Value::Int64(DATE_PLUS_TIME)),
        ("string", Value::Int64(DATE_PLUS_TIME), Value::from(DATE_PLUS_TIME_STRING)),
        ("Timestamp", Value::from(DATE_PLUS_TIME_STRING), Value::Int64(DATE_PLUS_TIME)),
    ];
    for (kind, input, expected) in cases {
        assert_eq!(schemaless(target(kind).as_mut(), input), expected, "{kind}");
    }
}

#[test]
fn test_with_schema_conversions() {
    // testWithSchemaIdentity, ...TimestampToDate/Time/Unix/String, ...DateToTimestamp,
    // ...TimeToTimestamp, ...UnixToTimestamp, ...StringToTimestamp.
    let cases = [
        (
            "Timestamp",
            timestamp_schema(false),
            Value::Int64(DATE_PLUS_TIME),
            timestamp_schema(false),
            Value::Int64(DATE_PLUS_TIME),
        ),
        ("Date", timestamp_schema(false), Value::Int64(DATE_PLUS_TIME), date_schema(false), Value::Int32(1)),
        ("Time", timestamp_schema(false), Value::Int64(DATE_PLUS_TIME), time_schema(false), Value::Int32(TIME as i32)),
        (
            "unix",
            timestamp_schema(false),
            Value::Int64(DATE_PLUS_TIME),
            Schema::of(SchemaType::Int64),
            Value::Int64(DATE_PLUS_TIME),
        ),
        (
            "string",
            timestamp_schema(false),
            Value::Int64(DATE_PLUS_TIME),
            Schema::of(SchemaType::String),
            Value::from(DATE_PLUS_TIME_STRING),
        ),
        ("Timestamp", date_schema(false), Value::Int32(1), timestamp_schema(false), Value::Int64(DATE)),
        ("Timestamp", time_schema(false), Value::Int32(TIME as i32), timestamp_schema(false), Value::Int64(TIME)),
        (
            "Timestamp",
            Schema::of(SchemaType::Int64),
            Value::Int64(DATE_PLUS_TIME),
            timestamp_schema(false),
            Value::Int64(DATE_PLUS_TIME),
        ),
        (
            "Timestamp",
            Schema::of(SchemaType::String),
            Value::from(DATE_PLUS_TIME_STRING),
            timestamp_schema(false),
            Value::Int64(DATE_PLUS_TIME),
        ),
    ];
    for (kind, schema, input, expected_schema, expected) in cases {
        let (out_schema, out) = with_schema(target(kind).as_mut(), schema, input);
        assert_eq!(out_schema, expected_schema, "{kind}");
        assert_eq!(out, expected, "{kind}");
    }
}

#[test]
fn test_schemaless_null_value_and_field_conversion() {
    for kind in ["string", "unix", "Date", "Time", "Timestamp"] {
        assert_eq!(schemaless(target(kind).as_mut(), Value::Null), Value::Null, "{kind}");
        let mut t = configure(make_value, &[("target.type", kind), ("format", STRING_DATE_FMT), ("field", "ts")]);
        assert_eq!(schemaless(t.as_mut(), Value::Null), Value::Null, "{kind}");
        // A field that is absent is put back as null (Kafka converts `value.get(field)`).
        assert_eq!(
            schemaless(t.as_mut(), map(&[("other", Value::from("x"))])),
            map(&[("other", Value::from("x")), ("ts", Value::Null)])
        );
    }
}

fn optional(kind: &str) -> SchemaRef {
    match kind {
        "string" => Schema::optional_of(SchemaType::String),
        "unix" => Schema::optional_of(SchemaType::Int64),
        "Date" => date_schema(true),
        "Time" => time_schema(true),
        _ => timestamp_schema(true),
    }
}

#[test]
fn test_with_schema_null_value_and_field_conversion() {
    // testWithSchemaNullValueTo* and testWithSchemaNullFieldTo*.
    let sources = ["unix", "Time", "Date", "string", "Timestamp"];
    for kind in ["Timestamp", "unix", "Time", "Date", "string"] {
        for source in sources {
            if (kind == "unix" || kind == "string") && (source == "unix" || source == "string") {
                continue; // not among Kafka's cases
            }
            let (out_schema, out) = with_schema(target(kind).as_mut(), optional(source), Value::Null);
            assert_eq!((out_schema, out), (optional(kind), Value::Null), "{source} to {kind}");

            let mut t = configure(make_value, &[("target.type", kind), ("format", STRING_DATE_FMT), ("field", "ts")]);
            let struct_schema =
                |ts: SchemaRef| SchemaBuilder::struct_().field("ts", ts).field("other", Schema::of(SchemaType::String));
            let original = struct_schema(optional(source)).build().unwrap();
            let value = make_struct(&original, &[("other", Value::from("test"))]);
            let (out_schema, out) = with_schema(t.as_mut(), original, Value::Struct(value));
            assert_eq!(out_schema, struct_schema(optional(kind)).build().unwrap());
            assert_eq!(as_struct(&out).get("ts").unwrap(), &Value::Null);
            // The entire struct null.
            let (out_schema, out) =
                with_schema(t.as_mut(), struct_schema(optional(source)).optional().build().unwrap(), Value::Null);
            assert_eq!(out_schema, struct_schema(optional(kind)).optional().build().unwrap());
            assert_eq!(out, Value::Null);
        }
    }
}

#[test]
fn test_schemaless_field_conversion() {
    let mut t = configure(make_value, &[("target.type", "Date"), ("field", "ts")]);
    assert_eq!(
        schemaless(t.as_mut(), map(&[("ts", Value::Int64(DATE_PLUS_TIME))])),
        map(&[("ts", Value::Int64(DATE))])
    );
}

fn field_conversion(precision: &str, input: i64, expected: i64) {
    let mut t = configure(make_value, &[("target.type", "Timestamp"), ("field", "ts"), ("unix.precision", precision)]);
    let schema = SchemaBuilder::struct_()
        .field("ts", Schema::of(SchemaType::Int64))
        .field("other", Schema::of(SchemaType::String))
        .build()
        .unwrap();
    let value = make_struct(&schema, &[("ts", Value::Int64(input)), ("other", Value::from("test"))]);
    let (out_schema, out) = with_schema(t.as_mut(), schema, Value::Struct(value));
    let expected_schema = SchemaBuilder::struct_()
        .field("ts", timestamp_schema(false))
        .field("other", Schema::of(SchemaType::String))
        .build()
        .unwrap();
    assert_eq!(out_schema, expected_schema);
    assert_eq!(as_struct(&out).get("ts").unwrap(), &Value::Int64(expected));
    assert_eq!(as_struct(&out).get("other").unwrap(), &Value::from("test"));
}

#[test]
fn test_with_schema_field_conversion() {
    field_conversion("milliseconds", DATE_PLUS_TIME, DATE_PLUS_TIME);
}

#[test]
fn test_with_schema_field_conversion_micros() {
    field_conversion("microseconds", DATE_PLUS_TIME_UNIX_MICROS, DATE_PLUS_TIME);
}

#[test]
fn test_with_schema_field_conversion_nanos() {
    field_conversion("nanoseconds", DATE_PLUS_TIME_UNIX_NANOS, DATE_PLUS_TIME);
}

#[test]
fn test_with_schema_field_conversion_seconds() {
    field_conversion("seconds", DATE_PLUS_TIME_UNIX_SECONDS, DATE_PLUS_TIME / 1000 * 1000);
}

#[test]
fn test_schemaless_to_unix_precisions() {
    for (precision, expected) in [
        ("seconds", DATE_PLUS_TIME_UNIX_SECONDS),
        ("microseconds", DATE_PLUS_TIME * 1000),
        ("nanoseconds", DATE_PLUS_TIME * 1_000_000),
    ] {
        let mut t = configure(make_value, &[("target.type", "unix"), ("unix.precision", precision)]);
        let (_, out) = with_schema(t.as_mut(), timestamp_schema(false), Value::Int64(DATE_PLUS_TIME));
        assert_eq!(out, Value::Int64(expected), "{precision}");
    }
    // Java's TimeUnit saturates.
    let mut t = configure(make_value, &[("target.type", "unix"), ("unix.precision", "nanoseconds")]);
    let (_, out) = with_schema(t.as_mut(), timestamp_schema(false), Value::Int64(i64::MAX / 1000));
    assert_eq!(out, Value::Int64(i64::MAX));
    let mut t = configure(make_value, &[("target.type", "Timestamp"), ("unix.precision", "seconds")]);
    assert_eq!(schemaless(t.as_mut(), Value::Int64(i64::MIN / 10)), Value::Int64(i64::MIN));
}

#[test]
fn test_with_schema_null_field_with_default_conversion() {
    for (replace, expected) in [("false", Value::Null), ("true", Value::Int64(0))] {
        let mut t = configure(
            make_value,
            &[("target.type", "Timestamp"), ("field", "ts"), ("replace.null.with.default", replace)],
        );
        let schema = SchemaBuilder::struct_()
            .field("ts", SchemaBuilder::int64().optional().default_value(0i64).build().unwrap())
            .field("other", Schema::of(SchemaType::String))
            .build()
            .unwrap();
        let value = make_struct(&schema, &[("other", Value::from("test"))]);
        let (out_schema, out) = with_schema(t.as_mut(), schema, Value::Struct(value));
        let expected_schema = SchemaBuilder::struct_()
            .field("ts", timestamp_schema(true))
            .field("other", Schema::of(SchemaType::String))
            .build()
            .unwrap();
        assert_eq!(out_schema, expected_schema);
        assert_eq!(as_struct(&out).get("ts").unwrap(), &expected);
        assert_eq!(as_struct(&out).get("other").unwrap(), &Value::from("test"));
    }
}

#[test]
fn test_key() {
    let mut t = configure(make_key, &[("target.type", "Timestamp")]);
    let out = apply(t.as_mut(), key_record(None, Value::Int64(DATE_PLUS_TIME)));
    assert_eq!((out.key_schema, out.key), (None, Value::Int64(DATE_PLUS_TIME)));
}

#[test]
fn errors_kafka_reports() {
    let mut t = target("Timestamp");
    assert_eq!(
        data_error(t.as_mut(), value_record(None, Value::Int32(5))),
        "TimestampConverter does not support class java.lang.Integer objects as timestamps"
    );
    assert_eq!(
        data_error(t.as_mut(), value_record(None, Value::from("not a date"))),
        "Could not parse timestamp: value (not a date) does not match pattern (yyyy MM dd HH mm ss SSS z)"
    );
    assert_eq!(
        data_error(t.as_mut(), value_record(Some(Schema::of(SchemaType::String)), Value::Int64(5))),
        "Expected string timestamp to be a String, but found class java.lang.Long"
    );
    // A schema that is no timestamp kind is refused even for a null value (a ConnectException).
    let error = t.apply(value_record(Some(Schema::optional_of(SchemaType::Int32)), Value::Null)).unwrap_err();
    assert!(
        matches!(&error, Error::Connector(m) if m == "Schema Schema{INT32} does not correspond to a known timestamp type format"),
        "{error:?}"
    );
}

#[test]
fn struct_default_is_converted_and_basics_kept() {
    let mut t = configure(make_value, &[("target.type", "Date"), ("field", "ts")]);
    let fields = SchemaBuilder::struct_().name("Rec").version(4).optional().field("ts", Schema::of(SchemaType::Int64));
    let default = make_struct(&fields.build().unwrap(), &[("ts", Value::Int64(DATE_PLUS_TIME))]);
    let schema = fields.default_value(Value::Struct(default)).build().unwrap();
    let value = make_struct(&schema, &[("ts", Value::Int64(3 * MILLIS_PER_DAY + 5))]);
    let (out_schema, out) = with_schema(t.as_mut(), schema, Value::Struct(value));
    assert_eq!((out_schema.name.as_deref(), out_schema.version, out_schema.optional), (Some("Rec"), Some(4), true));
    let Some(Value::Struct(default)) = &out_schema.default else { panic!("a struct default") };
    assert_eq!(default.get("ts").unwrap(), &Value::Int32(1));
    assert_eq!(as_struct(&out).get("ts").unwrap(), &Value::Int32(3));
}

#[test]
fn julian_dates_and_two_digit_years_are_javas() {
    let mut t = configure(make_value, &[("target.type", "string"), ("format", "yyyy-MM-dd G")]);
    assert_eq!(schemaless(t.as_mut(), Value::Int64(-12_219_292_800_001)), Value::from("1582-10-04 AD"));
    let mut t = configure(make_value, &[("target.type", "unix"), ("format", "yyyy-MM-dd")]);
    // Lenient: month 13 is January of the next year; text after the pattern is ignored.
    assert_eq!(schemaless(t.as_mut(), Value::from("2023-13-01T10:00")), Value::Int64(1_704_067_200_000));
}
