//! HeaderFrom's tests: Kafka's `HeaderFromTest` cases, for the key and the value, schemaless and
//! with a schema.

use super::*;
use crate::data::SchemaType;

/// A record description, as Kafka's test `RecordBuilder`.
#[derive(Default, Clone)]
struct Builder {
    fields: Vec<(&'static str, SchemaRef, Value)>,
    headers: Vec<(&'static str, SchemaRef, Value)>,
}

impl Builder {
    fn field(mut self, name: &'static str, schema: SchemaRef, value: impl Into<Value>) -> Self {
        self.fields.push((name, schema, value.into()));
        self
    }

    fn header(mut self, name: &'static str, schema: SchemaRef, value: impl Into<Value>) -> Self {
        self.headers.push((name, schema, value.into()));
        self
    }

    fn record(&self, key: bool, schema: Option<SchemaRef>, value: Value) -> Record {
        // Schemaless records carry schemaless headers, as in Kafka's test.
        let schemaless = schema.is_none();
        let headers = self
            .headers
            .iter()
            .map(|(k, s, v)| Header { key: k.to_string(), schema: (!schemaless).then(|| s.clone()), value: v.clone() })
            .collect();
        let mut record = Record {
            partition: Some(0),
            timestamp: Some(0),
            headers,
            key: Value::from("key"),
            ..Record::new("topic", Value::from("value"))
        };
        let side = if key { Side::Key } else { Side::Value };
        side.put(&mut record, schema, value);
        record
    }

    fn schemaless(&self, key: bool) -> Record {
        let map = self.fields.iter().map(|(n, _, v)| (Value::from(*n), v.clone())).collect();
        self.record(key, None, Value::Map(map))
    }

    fn with_schema(&self, key: bool) -> Record {
        let schema =
            self.fields.iter().fold(SchemaBuilder::struct_(), |b, (n, s, _)| b.field(n, s.clone())).build().unwrap();
        let mut value = Struct::new(schema.clone()).unwrap();
        for (n, _, v) in &self.fields {
            value.put(n, v.clone()).unwrap();
        }
        self.record(key, Some(schema), value.into())
    }
}

fn string() -> SchemaRef {
    Schema::of(SchemaType::String)
}

struct Case {
    description: &'static str,
    original: Builder,
    fields: &'static str,
    headers: &'static str,
    operation: &'static str,
    replace_null_with_default: bool,
    expected: Builder,
}

fn cases() -> Vec<Case> {
    let two_fields = |header: &'static str| {
        Builder::default().field("field1", string(), "field1-value").field("field2", string(), "field2-value").header(
            header,
            string(),
            "existing-value",
        )
    };
    let moved = |header: &'static str| {
        Builder::default().field("field2", string(), "field2-value").header(header, string(), "existing-value")
    };
    let optional_default = || SchemaBuilder::string().optional().default_value("default").build().unwrap();
    let struct_schema = || SchemaBuilder::struct_().field("foo", string()).build().unwrap();
    let struct_value = || Struct::new(struct_schema()).unwrap().with("foo", "foo-value").unwrap();
    let with_struct = || {
        Builder::default().field("field1", struct_schema(), struct_value()).field("field2", string(), "field2-value")
    };
    let nullable_fields = || {
        Builder::default()
            .field("field1", optional_default(), "field1-value")
            .field("field2", optional_default(), Value::Null)
            .header("header1", string(), "existing-value")
    };
    vec![
        Case {
            description: "basic copy",
            original: two_fields("header1"),
            fields: "field1",
            headers: "inserted1",
            operation: "copy",
            replace_null_with_default: true,
            expected: two_fields("header1").header("inserted1", string(), "field1-value"),
        },
        Case {
            description: "basic move",
            original: two_fields("header1"),
            fields: "field1",
            headers: "inserted1",
            operation: "move",
            replace_null_with_default: true,
            expected: moved("header1").header("inserted1", string(), "field1-value"),
        },
        Case {
            description: "copy with preexisting header",
            original: two_fields("inserted1"),
            fields: "field1",
            headers: "inserted1",
            operation: "copy",
            replace_null_with_default: true,
            expected: two_fields("inserted1").header("inserted1", string(), "field1-value"),
        },
        Case {
            description: "move with preexisting header",
            original: two_fields("inserted1"),
            fields: "field1",
            headers: "inserted1",
            operation: "move",
            replace_null_with_default: true,
            expected: moved("inserted1").header("inserted1", string(), "field1-value"),
        },
        Case {
            description: "copy two fields into two headers",
            original: two_fields("header1"),
            fields: "field1,field2",
            headers: "inserted1,inserted2",
            operation: "copy",
            replace_null_with_default: true,
            expected: two_fields("header1").header("inserted1", string(), "field1-value").header(
                "inserted2",
                string(),
                "field2-value",
            ),
        },
        Case {
            description: "move two fields into one header",
            original: two_fields("header1"),
            fields: "field1,field2",
            headers: "inserted1,inserted1",
            operation: "move",
            replace_null_with_default: true,
            expected: Builder::default()
                .header("header1", string(), "existing-value")
                .header("inserted1", string(), "field1-value")
                .header("inserted1", string(), "field2-value"),
        },
        Case {
            description: "copy with struct value",
            original: with_struct().header("header1", string(), "existing-value"),
            fields: "field1",
            headers: "inserted1",
            operation: "copy",
            replace_null_with_default: true,
            expected: with_struct().header("header1", string(), "existing-value").header(
                "inserted1",
                struct_schema(),
                struct_value(),
            ),
        },
        Case {
            description: "move with struct value",
            original: with_struct().header("header1", string(), "existing-value"),
            fields: "field1",
            headers: "inserted1",
            operation: "move",
            replace_null_with_default: true,
            expected: moved("header1").header("inserted1", struct_schema(), struct_value()),
        },
        Case {
            description: "two headers from same field",
            original: two_fields("header1"),
            fields: "field1,field1",
            headers: "inserted1,inserted2",
            operation: "move",
            replace_null_with_default: true,
            expected: moved("header1").header("inserted1", string(), "field1-value").header(
                "inserted2",
                string(),
                "field1-value",
            ),
        },
        Case {
            description: "Copy null field without default",
            original: nullable_fields(),
            fields: "field1,field2",
            headers: "inserted1,inserted2",
            operation: "copy",
            replace_null_with_default: false,
            expected: nullable_fields().header("inserted1", optional_default(), "field1-value").header(
                "inserted2",
                optional_default(),
                Value::Null,
            ),
        },
        Case {
            description: "Move null field without default",
            original: nullable_fields(),
            fields: "field1,field2",
            headers: "inserted1,inserted2",
            operation: "move",
            replace_null_with_default: false,
            expected: Builder::default()
                .header("header1", string(), "existing-value")
                .header("inserted1", optional_default(), "field1-value")
                .header("inserted2", optional_default(), Value::Null),
        },
        Case {
            description: "copy field with default value, replace null with default",
            original: Builder::default().field("field1", optional_default(), Value::Null),
            fields: "field1",
            headers: "inserted1",
            operation: "copy",
            replace_null_with_default: true,
            expected: Builder::default().field("field1", optional_default(), Value::Null).header(
                "inserted1",
                optional_default(),
                "default",
            ),
        },
        Case {
            description: "copy field with default value, keep null",
            original: Builder::default().field("field1", optional_default(), Value::Null),
            fields: "field1",
            headers: "inserted1",
            operation: "copy",
            replace_null_with_default: false,
            expected: Builder::default().field("field1", optional_default(), Value::Null).header(
                "inserted1",
                optional_default(),
                Value::Null,
            ),
        },
    ]
}

fn xform(case: &Case, key: bool) -> Box<dyn Transformation> {
    let props: Config = [
        ("fields", case.fields),
        ("headers", case.headers),
        ("operation", case.operation),
        ("replace.null.with.default", if case.replace_null_with_default { "true" } else { "false" }),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if key {
        make_key(&props).unwrap()
    } else {
        make_value(&props).unwrap()
    }
}

#[test]
fn schemaless() {
    // Defaults are a schema's: our case that reads one is for the schema'd path only.
    for case in cases().iter().filter(|c| !c.description.contains("replace null with default")) {
        for key in [true, false] {
            let out = xform(case, key).apply(case.original.schemaless(key)).unwrap().unwrap();
            assert_eq!(out, case.expected.schemaless(key), "{} (key: {key})", case.description);
        }
    }
}

#[test]
fn with_schema() {
    for case in cases() {
        for key in [true, false] {
            let out = xform(&case, key).apply(case.original.with_schema(key)).unwrap().unwrap();
            assert_eq!(out, case.expected.with_schema(key), "{} (key: {key})", case.description);
        }
    }
}

#[test]
fn moved_schema_keeps_basics_and_is_cached() {
    let schema = SchemaBuilder::struct_()
        .name("n")
        .version(3)
        .field("a", string())
        .field("b", string())
        .optional()
        .build()
        .unwrap();
    let value = Struct::new(schema.clone()).unwrap().with("a", "x").unwrap().with("b", "y").unwrap();
    let record = Record { value_schema: Some(schema.clone()), ..Record::new("t", value.into()) };
    let props: Config = [("fields", "a"), ("headers", "h"), ("operation", "move")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut xform = make_value(&props).unwrap();
    let out = xform.apply(record.clone()).unwrap().unwrap();
    let moved = out.value_schema.clone().unwrap();
    assert_eq!((moved.name.as_deref(), moved.version, moved.optional), (Some("n"), Some(3), false));
    assert_eq!(moved.fields.len(), 1);
    let again = xform.apply(record).unwrap().unwrap();
    assert!(std::sync::Arc::ptr_eq(&moved, again.value_schema.as_ref().unwrap()));
}

#[test]
fn invalid_configs() {
    for (fields, headers) in [("field1", "h1,h2"), ("field1,field2", "h1"), ("", "")] {
        for make in [make_key, make_value] {
            let props: Config = [("fields", fields), ("headers", headers), ("operation", "copy")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert!(matches!(make(&props).err().unwrap(), Error::Config { .. }), "{fields} / {headers}");
        }
    }
}

#[test]
fn errors() {
    let props = |fields: &str, headers: &str, operation: &str| -> Config {
        [("fields", fields), ("headers", headers), ("operation", operation)]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let err = make_value(&props("a,b", "h", "copy")).err().unwrap();
    assert_eq!(
        crate::config::config_error_message(&err),
        "'fields' config must have the same number of elements as 'headers' config."
    );
    let err = make_value(&props("a", "h", "Move")).err().unwrap();
    assert!(
        matches!(&err, Error::Config { key, reason } if key == "operation"
        && reason == "Invalid value Move for configuration operation: String must be one of: move, copy"),
        "{err}"
    );
    let mut xform = make_value(&props("a", "h", "move")).unwrap();
    let err = xform.apply(Record::new("t", Value::Null)).unwrap_err();
    assert_eq!(err.to_string(), "Only Map objects supported in absence of schema for [header move], found: null");
    let schema = SchemaBuilder::struct_().field("b", string()).build().unwrap();
    let value = Struct::new(schema.clone()).unwrap().with("b", "x").unwrap();
    let record = Record { value_schema: Some(schema), ..Record::new("t", value.into()) };
    assert!(matches!(xform.apply(record), Err(Error::Data(_))), "a missing field has no schema for its header");
}
