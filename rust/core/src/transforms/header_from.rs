//! `HeaderFrom$Key` / `HeaderFrom$Value`: copies or moves fields of the key or value into
//! headers (the i-th of `fields` into the i-th of `headers`). A moved field leaves the struct
//! schema (derived once per schema and cached) or the map; headers are appended after the
//! record's own, with the field's schema (none when schemaless).

use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance, Validator};
use crate::data::{Schema, SchemaBuilder, SchemaRef, Struct, Value};
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::runtime::record::Header;
use crate::transforms::config_util;
use crate::transforms::schema_basics::{map_get, map_remove};
use crate::transforms::schema_cache::SchemaCache;
use crate::transforms::schema_util::copy_schema_basics;
use crate::transforms::side::{require_map, require_struct, Side};
use crate::transforms::simple_config::{define, SimpleConfig};
use crate::transforms::{validators, Record, Transformation};

const FIELDS_FIELD: &str = "fields";
const HEADERS_FIELD: &str = "headers";
const OPERATION_FIELD: &str = "operation";
const REPLACE_NULL_WITH_DEFAULT_FIELD: &str = "replace.null.with.default";

/// Kafka's `HeaderFrom.CONFIG_DEF`.
pub(crate) fn config_def() -> ConfigDef {
    let keys = [
        ConfigKey::new(
            FIELDS_FIELD,
            ConfigType::List,
            None,
            Importance::High,
            "Field names in the record whose values are to be copied or moved to headers.",
        )
        .with_validator(validators::non_empty_list()),
        ConfigKey::new(
            HEADERS_FIELD,
            ConfigType::List,
            None,
            Importance::High,
            "Header names, in the same order as the field names listed in the fields configuration property.",
        )
        .with_validator(validators::non_empty_list()),
        ConfigKey::new(
            OPERATION_FIELD,
            ConfigType::String,
            None,
            Importance::High,
            "Either <code>move</code> if the fields are to be moved to the headers (removed from the key/value), \
             or <code>copy</code> if the fields are to be copied to the headers (retained in the key/value).",
        )
        .with_validator(Validator::ValidString { allowed: vec!["move".into(), "copy".into()], case_sensitive: true }),
        config_util::replace_null_with_default_key(),
    ];
    keys.into_iter().fold(ConfigDef::new(), define)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Move,
    Copy,
}

pub(crate) struct HeaderFrom {
    side: Side,
    fields: Vec<String>,
    headers: Vec<String>,
    operation: Operation,
    replace_null_with_default: bool,
    /// Operating schema → it without the moved fields.
    move_cache: SchemaCache,
}

impl HeaderFrom {
    fn configure(side: Side, props: &Config) -> Result<Self> {
        let config = SimpleConfig::new(&config_def(), props)?;
        let fields = config.list(FIELDS_FIELD);
        let headers = config.list(HEADERS_FIELD);
        if fields.len() != headers.len() {
            // Kafka names no key; the second list is the one that does not match the first.
            return Err(Error::config(
                HEADERS_FIELD,
                format!("'{FIELDS_FIELD}' config must have the same number of elements as '{HEADERS_FIELD}' config."),
            ));
        }
        let operation = if config.string(OPERATION_FIELD) == Some("move") { Operation::Move } else { Operation::Copy };
        let replace_null_with_default = config.boolean(REPLACE_NULL_WITH_DEFAULT_FIELD);
        Ok(HeaderFrom { side, fields, headers, operation, replace_null_with_default, move_cache: SchemaCache::new() })
    }

    /// Kafka's purpose text: "header move" or "header copy".
    fn purpose(&self) -> &'static str {
        match self.operation {
            Operation::Move => "header move",
            Operation::Copy => "header copy",
        }
    }

    fn field_value<'a>(&self, value: &'a Struct, name: &str) -> Result<&'a Value> {
        if self.replace_null_with_default {
            value.get(name)
        } else {
            value.get_without_default(name)
        }
    }

    fn move_schema(fields: &[String], cache: &mut SchemaCache, schema: &SchemaRef) -> Result<SchemaRef> {
        cache.get_or_try_insert(schema, || {
            let mut builder = copy_schema_basics(schema, SchemaBuilder::struct_());
            for field in schema.fields.iter().filter(|f| !fields.contains(&f.name)) {
                builder = builder.field(&field.name, field.schema.clone());
            }
            builder.build()
        })
    }

    fn apply_with_schema(&mut self, record: &mut Record, schema: SchemaRef, value: Value) -> Result<()> {
        let struct_value = require_struct(&value, self.purpose())?;
        let (updated_schema, updated_value) = match self.operation {
            Operation::Move => {
                let updated = Self::move_schema(&self.fields, &mut self.move_cache, &schema)?;
                let mut moved = Struct::new(updated.clone())?;
                for field in &updated.fields {
                    moved.put(&field.name, self.field_value(struct_value, &field.name)?.clone())?;
                }
                (updated, Some(Value::Struct(moved)))
            }
            Operation::Copy => (schema.clone(), None),
        };
        let mut added = Vec::with_capacity(self.fields.len());
        for (field, header) in self.fields.iter().zip(&self.headers) {
            let field_value = match struct_value.schema.field(field) {
                Some(_) => self.field_value(struct_value, field)?.clone(),
                None => Value::Null,
            };
            // Kafka reads the header's schema from the record's schema, and fails (with a
            // NullPointerException) when the field is not there.
            let field_schema = field_schema(&schema, field)?;
            added.push(Header { key: header.clone(), schema: Some(field_schema), value: field_value });
        }
        record.headers.extend(added);
        // A copy keeps the value as it was.
        let updated_value = updated_value.unwrap_or(value);
        self.side.put(record, Some(updated_schema), updated_value);
        Ok(())
    }

    fn apply_schemaless(&self, record: &mut Record, value: Value) -> Result<()> {
        let entries = require_map(&value, self.purpose())?;
        // Every header reads the original map (a field moved twice gives both headers its value).
        let field_values: Vec<Value> = self.fields.iter().map(|f| map_get(entries, f).clone()).collect();
        let Value::Map(mut updated) = value else { unreachable!("checked to be a map") };
        for ((field, header), field_value) in self.fields.iter().zip(&self.headers).zip(field_values) {
            if self.operation == Operation::Move {
                map_remove(&mut updated, field);
            }
            record.headers.push(Header { key: header.clone(), schema: None, value: field_value });
        }
        self.side.put(record, None, Value::Map(updated));
        Ok(())
    }
}

fn field_schema(schema: &Schema, field: &str) -> Result<SchemaRef> {
    match schema.field_or_err(field) {
        Ok(f) => Ok(f.schema.clone()),
        Err(_) => Err(Error::data(
            "Cannot invoke \"org.apache.kafka.connect.data.Field.schema()\" because the return value of \
             \"org.apache.kafka.connect.data.Schema.field(String)\" is null",
        )),
    }
}

pub(crate) fn make_key(props: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(HeaderFrom::configure(Side::Key, props)?))
}

pub(crate) fn make_value(props: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(HeaderFrom::configure(Side::Value, props)?))
}

impl Transformation for HeaderFrom {
    fn apply(&mut self, mut record: Record) -> Result<Option<Record>> {
        let (schema, value) = self.side.take(&mut record);
        match schema {
            None => self.apply_schemaless(&mut record, value)?,
            Some(schema) => self.apply_with_schema(&mut record, schema, value)?,
        }
        Ok(Some(record))
    }

    fn close(&mut self) {
        self.move_cache.clear();
    }
}

#[cfg(test)]
#[path = "header_from_tests.rs"]
mod tests;
