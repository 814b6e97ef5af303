//! A payload read straight into a value of its schema, without the node tree: the way most
//! records of a stream of one schema are read. Objects of a STRUCT schema whose keys come exactly
//! in field order, and arrays, are read member by member with the schema in hand; every other
//! value is parsed as a node and read by `read_value`, as the general path reads it.
//!
//! `None` when anything differs from that form (keys in another order, missing or extra, escaped,
//! or a value the reader refuses): the caller then reads the whole payload by the general path,
//! which gives the same value or Kafka's error. So this path only ever returns what the general
//! one would: saving the nodes' allocations and the struct's key matching is all it is for.

use super::parse::Parser;
use super::read::read_value;
use super::JsonConfig;
use crate::data::{SchemaRef, SchemaType, Struct, Value};

/// The value at the parser's position as a value of `schema`, or `None` (see the module's note).
pub(super) fn read_guided(p: &mut Parser<'_>, schema: &SchemaRef, config: &JsonConfig) -> Option<Value> {
    p.skip_ws();
    match (schema.schema_type, p.peek()) {
        // Kafka's logical types are never structs or arrays, so nothing here skips one.
        (SchemaType::Struct, Some(b'{')) => read_struct(p, schema, config),
        (SchemaType::Array, Some(b'[')) => read_array(p, schema, config),
        _ => {
            let node = p.value(None).ok()?;
            read_value(Some(schema), Some(&node), config).ok()
        }
    }
}

/// `{"f1":v1,"f2":v2,...}` with exactly the schema's fields, in its order: the form in which the
/// general path indexes members by position too.
fn read_struct(p: &mut Parser<'_>, schema: &SchemaRef, config: &JsonConfig) -> Option<Value> {
    if !p.open() {
        return None;
    }
    let mut values = Vec::with_capacity(schema.fields.len());
    for field in &schema.fields {
        if field.index > 0 && !p.consume(b',') {
            return None;
        }
        if !p.consume_key(&field.name) || !p.consume(b':') {
            return None;
        }
        values.push(read_guided(p, &field.schema, config)?);
    }
    if !p.consume(b'}') {
        return None;
    }
    p.close();
    Some(Value::Struct(Struct { schema: schema.clone(), values }))
}

fn read_array(p: &mut Parser<'_>, schema: &SchemaRef, config: &JsonConfig) -> Option<Value> {
    let element = schema.value_schema.as_ref()?;
    if !p.open() {
        return None;
    }
    let mut items = Vec::new();
    if !p.consume(b']') {
        loop {
            items.push(read_guided(p, element, config)?);
            if p.consume(b']') {
                break;
            }
            if !p.consume(b',') {
                return None;
            }
        }
    }
    p.close();
    Some(Value::Array(items))
}
