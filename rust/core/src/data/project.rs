//! Schema evolution for sinks: `check_compatible` tells whether records of one schema can be
//! read as another (what a sink expects), with a message naming the field that is not; `project`
//! rewrites a value into the target schema (Kafka's `SchemaProjector`).
//!
//! Rules (Kafka's): types equal, or numeric widening along INT8 → INT16 → INT32 → INT64 → FLOAT32
//! → FLOAT64; names and parameters equal; an optional source into a required target needs a
//! target default; a target field missing from the source must be optional or have a default.

use std::sync::Arc;

use super::{Schema, SchemaRef, SchemaType, Struct, Value};
use crate::error::{Error, Result};

fn rank(t: SchemaType) -> Option<u8> {
    Some(match t {
        SchemaType::Int8 => 0,
        SchemaType::Int16 => 1,
        SchemaType::Int32 => 2,
        SchemaType::Int64 => 3,
        SchemaType::Float32 => 4,
        SchemaType::Float64 => 5,
        _ => return None,
    })
}

/// Whether values of `source` type can be widened to `target` type (equal types included).
pub fn is_promotable(source: SchemaType, target: SchemaType) -> bool {
    source == target || matches!((rank(source), rank(target)), (Some(s), Some(t)) if s <= t)
}

fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at field \"{path}\"")
    }
}

fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn check_maybe_compatible(source: &Schema, target: &Schema, path: &str) -> Result<()> {
    if !is_promotable(source.schema_type, target.schema_type) {
        return Err(Error::data(format!(
            "Schema type mismatch{}. source type: {} and target type: {}",
            at(path),
            source.schema_type,
            target.schema_type
        )));
    }
    if source.name != target.name {
        return Err(Error::data(format!(
            "Schema name mismatch{}. source name: {} and target name: {}",
            at(path),
            source.name.as_deref().unwrap_or("null"),
            target.name.as_deref().unwrap_or("null")
        )));
    }
    if source.parameters != target.parameters {
        return Err(Error::data(format!(
            "Schema parameters not equal{}. source parameters: {:?} and target parameters: {:?}",
            at(path),
            source.parameters,
            target.parameters
        )));
    }
    Ok(())
}

/// Checks, without any value, that data written with `actual` can be projected onto `expected`
/// (what a sink was built for). The error names the first field that cannot.
pub fn check_compatible(actual: &Schema, expected: &Schema) -> Result<()> {
    compatible_at(actual, expected, "")
}

fn compatible_at(source: &Schema, target: &Schema, path: &str) -> Result<()> {
    check_maybe_compatible(source, target, path)?;
    if source.optional && !target.optional && target.default.is_none() {
        return Err(Error::data(format!(
            "Writer schema is optional, however, target schema does not provide a default value{}.",
            at(path)
        )));
    }
    match target.schema_type {
        SchemaType::Struct => {
            for field in &target.fields {
                let field_path = child(path, &field.name);
                match source.field(&field.name) {
                    Some(source_field) => compatible_at(&source_field.schema, &field.schema, &field_path)?,
                    None if field.schema.optional || field.schema.default.is_some() => {}
                    None => {
                        return Err(Error::data(format!(
                            "Required field `{field_path}` is missing from source schema: {source}"
                        )))
                    }
                }
            }
        }
        SchemaType::Array | SchemaType::Map => {
            if let (Some(s), Some(t)) = (&source.key_schema, &target.key_schema) {
                compatible_at(s, t, &format!("{path}[key]"))?;
            }
            if let (Some(s), Some(t)) = (&source.value_schema, &target.value_schema) {
                compatible_at(s, t, &format!("{path}[]"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Rewrites `value` (of schema `source`) into `target` (Kafka's `SchemaProjector.project`).
pub fn project(source: &Schema, value: &Value, target: &SchemaRef) -> Result<Value> {
    project_at(source, value, target, "")
}

fn project_at(source: &Schema, value: &Value, target: &SchemaRef, path: &str) -> Result<Value> {
    check_maybe_compatible(source, target, path)?;
    if source.optional && !target.optional {
        match (&target.default, value) {
            (Some(default), Value::Null) => return Ok(default.clone()),
            (Some(_), _) => {}
            (None, _) => {
                return Err(Error::data(format!(
                    "Writer schema is optional, however, target schema does not provide a default value{}.",
                    at(path)
                )))
            }
        }
    }
    if value.is_null() {
        return Ok(Value::Null);
    }
    match target.schema_type {
        SchemaType::Struct => {
            let Value::Struct(source_struct) = value else {
                return Err(Error::data(format!("Expected a struct{}, found {}", at(path), value.type_name())));
            };
            let mut out = Struct::new(Arc::clone(target))?;
            for field in &target.fields {
                let field_path = child(path, &field.name);
                if let Some(source_field) = source.field(&field.name) {
                    let v = source_struct.get(&field.name)?;
                    let projected = project_at(&source_field.schema, v, &field.schema, &field_path)?;
                    out.put(&field.name, projected)?;
                } else if field.schema.optional {
                    // Left unset.
                } else if let Some(default) = &field.schema.default {
                    out.put(&field.name, default.clone())?;
                } else {
                    return Err(Error::data(format!(
                        "Required field `{field_path}` is missing from source schema: {source}"
                    )));
                }
            }
            Ok(Value::Struct(out))
        }
        SchemaType::Array => {
            let (Some(s), Some(t), Value::Array(items)) = (&source.value_schema, &target.value_schema, value) else {
                return Err(Error::data(format!("Cannot project array{}", at(path))));
            };
            let element_path = format!("{path}[]");
            items.iter().map(|v| project_at(s, v, t, &element_path)).collect::<Result<_>>().map(Value::Array)
        }
        SchemaType::Map => {
            let (Some(sk), Some(sv), Some(tk), Some(tv), Value::Map(entries)) =
                (&source.key_schema, &source.value_schema, &target.key_schema, &target.value_schema, value)
            else {
                return Err(Error::data(format!("Cannot project map{}", at(path))));
            };
            let key_path = format!("{path}[key]");
            let value_path = format!("{path}[]");
            entries
                .iter()
                .map(|(k, v)| Ok((project_at(sk, k, tk, &key_path)?, project_at(sv, v, tv, &value_path)?)))
                .collect::<Result<_>>()
                .map(Value::Map)
        }
        t => widen(value, t),
    }
}

/// Numeric widening of a primitive value (other values pass through unchanged).
fn widen(value: &Value, target: SchemaType) -> Result<Value> {
    if value.schema_type() == Some(target) || rank(target).is_none() {
        return Ok(value.clone());
    }
    let as_i64 = value.as_i64();
    let as_f64 = value.as_f64();
    Ok(match (target, as_i64, as_f64) {
        (SchemaType::Int16, Some(v), _) => Value::Int16(v as i16),
        (SchemaType::Int32, Some(v), _) => Value::Int32(v as i32),
        (SchemaType::Int64, Some(v), _) => Value::Int64(v),
        (SchemaType::Float32, _, Some(v)) => Value::Float32(v as f32),
        (SchemaType::Float64, _, Some(v)) => Value::Float64(match value {
            Value::Float32(f) => f64::from(*f),
            _ => v,
        }),
        _ => return Err(Error::data(format!("Not promotable type: {} to {target}", value.type_name()))),
    })
}

#[cfg(test)]
mod tests {
    use super::super::SchemaBuilder;
    use super::*;

    #[test]
    fn projects_with_widening_and_defaults() {
        let source = SchemaBuilder::struct_().field("a", Schema::of(SchemaType::Int8)).build().unwrap();
        let target = SchemaBuilder::struct_()
            .field("a", Schema::of(SchemaType::Int64))
            .field("b", SchemaBuilder::string().default_value("x").build().unwrap())
            .field("c", Schema::optional_of(SchemaType::Boolean))
            .build()
            .unwrap();
        let value = Value::Struct(Struct::new(source.clone()).unwrap().with("a", 5i8).unwrap());
        check_compatible(&source, &target).unwrap();
        let Value::Struct(out) = project(&source, &value, &target).unwrap() else { panic!() };
        assert_eq!(out.get("a").unwrap(), &Value::Int64(5));
        assert_eq!(out.get("b").unwrap(), &Value::from("x"));
        assert_eq!(out.get("c").unwrap(), &Value::Null);
    }

    #[test]
    fn names_the_incompatible_field() {
        let source = SchemaBuilder::struct_().field("a", Schema::of(SchemaType::String)).build().unwrap();
        let target = SchemaBuilder::struct_().field("a", Schema::of(SchemaType::Int32)).build().unwrap();
        let err = check_compatible(&source, &target).unwrap_err().to_string();
        assert!(err.contains("field \"a\""), "{err}");
        let missing = SchemaBuilder::struct_().field("z", Schema::of(SchemaType::Int32)).build().unwrap();
        assert!(check_compatible(&source, &missing).unwrap_err().to_string().contains("`z`"));
        assert!(!is_promotable(SchemaType::Float64, SchemaType::Int64));
    }
}
