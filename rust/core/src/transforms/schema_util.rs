//! What several of Kafka's field transforms share about schemas: Kafka's
//! `SchemaUtil.copySchemaBasics`, reading a struct field with or without its
//! default (`replace.null.with.default`), and `newRecord` with the side's new schema and value.

use crate::data::{Field, Schema, SchemaBuilder, SchemaRef, SchemaType, Struct, Value};
use crate::error::{Error, Result};
use crate::transforms::side::Side;
use crate::transforms::Record;

/// Kafka's `newRecord` of a `$Key`/`$Value` transform: the side's schema and value become what
/// `transform` makes of them; the rest of the record is kept.
pub(crate) fn replace_side(
    side: Side,
    mut record: Record,
    transform: impl FnOnce(Option<SchemaRef>, Value) -> Result<(Option<SchemaRef>, Value)>,
) -> Result<Option<Record>> {
    let (schema, value) = side.take(&mut record);
    let (schema, value) = transform(schema, value)?;
    side.put(&mut record, schema, value);
    Ok(Some(record))
}

/// Kafka's `SchemaUtil.copySchemaBasics(source, builder)`: the source's name, version, doc and
/// parameters onto `builder` (not its optionality or default).
pub(crate) fn copy_schema_basics(source: &Schema, mut builder: SchemaBuilder) -> SchemaBuilder {
    if let Some(name) = &source.name {
        builder = builder.name(name);
    }
    if let Some(version) = source.version {
        builder = builder.version(version);
    }
    if let Some(doc) = &source.doc {
        builder = builder.doc(doc);
    }
    builder.parameters(source.parameters.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Kafka's one-argument `SchemaUtil.copySchemaBasics(source)`: a builder of the source's type
/// (an ARRAY keeps its element schema) with the source's basics.
pub(crate) fn copy_schema_basics_of(source: &Schema) -> SchemaBuilder {
    let builder = match (&source.schema_type, &source.value_schema) {
        (SchemaType::Array, Some(element)) => SchemaBuilder::array(element.clone()),
        _ => SchemaBuilder::new(source.schema_type),
    };
    copy_schema_basics(source, builder)
}

/// Kafka's `Schema.fields()` on the schema a transform derives from: only a STRUCT has fields.
pub(crate) fn require_struct_schema(schema: &Schema) -> Result<()> {
    if schema.schema_type == SchemaType::Struct {
        Ok(())
    } else {
        Err(Error::data("Cannot list fields on non-struct type"))
    }
}

/// A field's value as the transforms read it: Kafka's `Struct.get(field)` (null replaced by the
/// field's default) when `replace_null_with_default`, else `getWithoutDefault`.
pub(crate) fn field_value<'a>(
    value: &'a Struct,
    field: &'a Field,
    replace_null_with_default: bool,
) -> Result<&'a Value> {
    if replace_null_with_default {
        let raw = value.values.get(field.index).unwrap_or(&Value::Null);
        Ok(match (raw, &field.schema.default) {
            (Value::Null, Some(default)) => default,
            _ => raw,
        })
    } else {
        value.get_without_default(&field.name)
    }
}

/// A schemaless map's key as Kafka's transforms read it (their maps are `Map<String, Object>`: a
/// key of another type fails Java's cast to `String`).
pub(crate) fn string_key(key: &Value) -> Result<&str> {
    key.as_str().ok_or_else(|| {
        let class = crate::transforms::side::java_class_name(key);
        let module = if class.starts_with("java.") || class.starts_with('[') {
            format!("{class} and java.lang.String are in module java.base of loader 'bootstrap'")
        } else {
            format!("{class} is in unnamed module of loader 'app'; java.lang.String is in module java.base of loader 'bootstrap'")
        };
        Error::data(format!("class {class} cannot be cast to class java.lang.String ({module})"))
    })
}

/// Kafka's `Struct.put(field, value)` where the field is looked up by name in the derived schema
/// (`updatedSchema.field(name)`), which may lack it: Kafka then refuses a null field.
pub(crate) fn put_derived(target: &mut Struct, name: &str, value: Value) -> Result<()> {
    if target.schema.field(name).is_none() {
        return Err(Error::data("field cannot be null."));
    }
    target.put(name, value)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_name_version_doc_and_parameters_only() {
        let source = SchemaBuilder::int32()
            .name("n")
            .version(3)
            .doc("d")
            .parameter("k", "v")
            .optional()
            .default_value(5)
            .build()
            .unwrap();
        let copy = copy_schema_basics(&source, SchemaBuilder::string()).build().unwrap();
        assert_eq!(copy.schema_type, SchemaType::String);
        assert_eq!((copy.name.as_deref(), copy.version, copy.doc.as_deref()), (Some("n"), Some(3), Some("d")));
        assert_eq!(copy.parameters.get("k").map(String::as_str), Some("v"));
        assert!(!copy.optional);
        assert_eq!(copy.default, None);
    }
}
