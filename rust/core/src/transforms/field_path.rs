//! KIP-821 field paths (Kafka's `FieldSyntaxVersion` and `SingleFieldPath`): with
//! `field.syntax.version=V1` a path is one top-level field name; with `V2` dots separate nested
//! steps, and a step wrapped in backticks may hold dots (a backslash before a closing backtick
//! keeps it in the name).

use crate::config::{ConfigKey, ConfigType, ConfigValue, Importance};
use crate::data::{Field, Schema, SchemaType, Struct, Value};
use crate::error::{Error, Result};
use crate::transforms::schema_basics::map_get;
use crate::transforms::side::{require_map, require_struct};
use crate::transforms::validators;

pub(crate) const FIELD_SYNTAX_VERSION_CONFIG: &str = "field.syntax.version";
const FIELD_SYNTAX_VERSION_DOC: &str = "Defines the version of the syntax to access fields. If set to `V1`, then \
     the field paths are limited to access the elements at the root level of the struct or map. If set to `V2`, the \
     syntax will support accessing nested elements. To access nested elements, dotted notation is used. If dots are \
     already included in the field name, then backtick pairs can be used to wrap field names containing dots. E.g. \
     to access the subfield `baz` from a field named \"foo.bar\" in a struct/map the following format can be used \
     to access its elements: \"`foo.bar`.baz\".";

/// Kafka's `FieldSyntaxVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldSyntaxVersion {
    V1,
    V2,
}

impl FieldSyntaxVersion {
    /// The `field.syntax.version` key (Kafka's `appendConfigTo`).
    pub(crate) fn config_key() -> ConfigKey {
        ConfigKey::new(
            FIELD_SYNTAX_VERSION_CONFIG,
            ConfigType::String,
            Some(ConfigValue::String("V1".into())),
            Importance::High,
            FIELD_SYNTAX_VERSION_DOC,
        )
        .with_validator(validators::case_insensitive_in(&["V1", "V2"]))
    }

    /// The version named by a validated config value (any case).
    pub(crate) fn from_config(value: &str) -> Result<Self> {
        match value.to_uppercase().as_str() {
            "V1" => Ok(FieldSyntaxVersion::V1),
            "V2" => Ok(FieldSyntaxVersion::V2),
            _ => Err(Error::config(
                FIELD_SYNTAX_VERSION_CONFIG,
                format!(
                    "Invalid value {value} for configuration {FIELD_SYNTAX_VERSION_CONFIG}: Unrecognized field syntax version"
                ),
            )),
        }
    }
}

/// Kafka's `SingleFieldPath`: the steps to one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SingleFieldPath {
    steps: Vec<String>,
}

impl SingleFieldPath {
    /// Parses a path; a V2 path with an unclosed backtick is Kafka's config error (reported for
    /// `config_key`, the key the path came from).
    pub(crate) fn new(path: &str, version: FieldSyntaxVersion, config_key: &str) -> Result<Self> {
        let steps = match version {
            FieldSyntaxVersion::V1 => vec![path.to_owned()],
            FieldSyntaxVersion::V2 => parse_v2(path).map_err(|reason| Error::config(config_key, reason))?,
        };
        Ok(SingleFieldPath { steps })
    }

    #[cfg(test)]
    fn steps(&self) -> &[String] {
        &self.steps
    }

    /// The path split into the steps leading to the last one, and the last one. An empty V2 path
    /// has no step at all, which Java reports when the path is used (an index out of range).
    fn split(&self) -> Result<(&[String], &str)> {
        match self.steps.split_last() {
            Some((last, parents)) => Ok((parents, last)),
            None => Err(Error::data("fromIndex(0) > toIndex(-1)")),
        }
    }

    /// The field at this path in a schema (`fieldFrom`), `None` when a step is missing.
    pub(crate) fn field_from<'a>(&self, schema: &'a Schema) -> Result<Option<&'a Field>> {
        let (parents, last) = self.split()?;
        let mut current = schema;
        for step in parents {
            match struct_field(current, step)? {
                Some(field) => current = &field.schema,
                None => return Ok(None),
            }
        }
        struct_field(current, last)
    }

    /// The value at this path in a struct (`valueFrom`): null when a step is missing or null.
    /// Parent steps read defaults; the last one does when `with_default`.
    pub(crate) fn value_from_struct(&self, value: &Struct, with_default: bool) -> Result<Value> {
        let (parents, last) = self.split()?;
        let mut current = value;
        for step in parents {
            if current.schema.field(step).is_none() {
                return Ok(Value::Null);
            }
            match current.get(step)? {
                Value::Null => return Ok(Value::Null),
                nested => current = require_struct(nested, "nested field access")?,
            }
        }
        if current.schema.field(last).is_none() {
            return Ok(Value::Null);
        }
        let value = if with_default { current.get(last)? } else { current.get_without_default(last)? };
        Ok(value.clone())
    }

    /// The value at this path in a schemaless map (`valueFrom`): null when a step is missing or null.
    pub(crate) fn value_from_map(&self, entries: &[(Value, Value)]) -> Result<Value> {
        let (parents, last) = self.split()?;
        let mut current = entries;
        for step in parents {
            match map_get(current, step) {
                Value::Null => return Ok(Value::Null),
                nested => current = require_map(nested, "nested field access")?,
            }
        }
        Ok(map_get(current, last).clone())
    }
}

/// Kafka's `Schema.field(name)`, which refuses non-struct schemas.
fn struct_field<'a>(schema: &'a Schema, name: &str) -> Result<Option<&'a Field>> {
    if schema.schema_type != SchemaType::Struct {
        return Err(Error::data("Cannot look up fields on non-struct type"));
    }
    Ok(schema.field(name))
}

/// Splits a V2 path into steps, as Kafka's `buildFieldPathV2` does.
fn parse_v2(path: &str) -> std::result::Result<Vec<String>, String> {
    let chars: Vec<char> = path.chars().collect();
    let find = |c: char, from: usize| chars[from.min(chars.len())..].iter().position(|x| *x == c).map(|i| i + from);
    let collect = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
    // Java reports positions in UTF-16 units.
    let position = |at: usize| chars[..at].iter().map(|c| c.len_utf16()).sum::<usize>();
    let incomplete = |at: usize| {
        format!(
            "Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at position {} \
             to escape it",
            position(at)
        )
    };
    let mut steps = Vec::new();
    let mut idx = 0;
    while idx < chars.len() {
        if chars[idx] != '`' {
            match find('.', idx) {
                Some(dot) => {
                    steps.push(collect(idx, dot));
                    idx = dot + 1;
                }
                None => {
                    steps.push(collect(idx, chars.len()));
                    idx = chars.len();
                }
            }
            continue;
        }
        let backtick_at = idx;
        idx += 1;
        let mut field = String::new();
        let mut start = idx;
        loop {
            idx = find('`', idx).ok_or_else(|| incomplete(backtick_at))?;
            let escaped = chars[idx - 1] == '\\';
            if idx >= chars.len() - 1 {
                // The closing backtick ends the path (unless it is escaped).
                if escaped {
                    return Err(incomplete(backtick_at));
                }
                field.push_str(&collect(start, idx));
                steps.push(field);
                idx += 1;
                break;
            }
            if chars[idx + 1] != '.' {
                // Not followed by a dot: part of the name; look further.
                idx += 1;
                continue;
            }
            if escaped {
                field.push_str(&collect(start, idx - 1));
                field.push('`');
                idx += 1;
                start = idx;
                continue;
            }
            field.push_str(&collect(start, idx));
            steps.push(field);
            idx += 2;
            break;
        }
    }
    if path.ends_with('.') {
        steps.push(String::new());
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SchemaBuilder;

    fn v2(path: &str) -> Vec<String> {
        SingleFieldPath::new(path, FieldSyntaxVersion::V2, "field").unwrap().steps().to_vec()
    }

    fn v2_error(path: &str) -> String {
        crate::config::config_error_message(&SingleFieldPath::new(path, FieldSyntaxVersion::V2, "field").unwrap_err())
    }

    // FieldPathNotationTest
    #[test]
    fn should_build_v1_with_dots_and_backtick_pair() {
        for path in ["foo.bar.baz", "foo`bar`", "foo.`bar.baz`"] {
            assert_eq!(SingleFieldPath::new(path, FieldSyntaxVersion::V1, "field").unwrap().steps(), [path]);
        }
    }

    #[test]
    fn should_include_empty_field_names() {
        assert_eq!(v2(".."), ["", "", ""]);
        assert_eq!(v2("foo.."), ["foo", "", ""]);
        assert_eq!(v2(".bar."), ["", "bar", ""]);
        assert_eq!(v2("..baz"), ["", "", "baz"]);
    }

    #[test]
    fn should_build_v2_paths() {
        assert!(v2("").is_empty());
        assert_eq!(v2("foobarbaz"), ["foobarbaz"]);
        assert_eq!(v2("foo.bar.baz"), ["foo", "bar", "baz"]);
        assert_eq!(v2("foo`bar`baz"), ["foo`bar`baz"]);
        assert_eq!(v2("`foo.bar.baz`"), ["foo.bar.baz"]);
        assert_eq!(v2("foo.`bar.baz`"), ["foo", "bar.baz"]);
        assert_eq!(v2("`foo.bar`.baz"), ["foo.bar", "baz"]);
        assert_eq!(v2("foo.`bar`.baz"), ["foo", "bar", "baz"]);
    }

    #[test]
    fn should_build_v2_and_ignore_backticks_that_are_not_wrapping() {
        assert_eq!(v2("foo.``bar.baz`"), ["foo", "`bar.baz"]);
        assert_eq!(v2("foo.`bar.baz``"), ["foo", "bar.baz`"]);
        assert_eq!(v2("foo.`ba`r.baz`"), ["foo", "ba`r.baz"]);
        assert_eq!(v2("foo.ba`r.baz"), ["foo", "ba`r", "baz"]);
        assert_eq!(v2("foo.``bar``.baz"), ["foo", "`bar`", "baz"]);
        assert_eq!(v2("``foo.bar.baz``"), ["`foo.bar.baz`"]);
    }

    #[test]
    fn should_build_v2_and_escape_backticks() {
        assert_eq!(v2("foo.`bar\\`.baz`"), ["foo", "bar`.baz"]);
        assert_eq!(v2("foo.`bar.`baz`"), ["foo", "bar.`baz"]);
        assert_eq!(v2("foo.`bar\\`.`baz`"), ["foo", "bar`.`baz"]);
        assert_eq!(v2("foo.`bar\\\\`.\\`baz`"), ["foo", "bar\\`.\\`baz"]);
    }

    #[test]
    fn should_fail_v2_when_incomplete_backticks() {
        let message = |path: &str, at: usize| {
            format!(
                "Incomplete backtick pair in path: [{path}], consider adding a backslash before backtick at position \
                 {at} to escape it"
            )
        };
        assert_eq!(v2_error("`foo.bar.baz"), message("`foo.bar.baz", 0));
        assert_eq!(v2_error("foo.`bar.baz"), message("foo.`bar.baz", 4));
        assert_eq!(v2_error("foo.bar.`baz"), message("foo.bar.`baz", 8));
        assert_eq!(v2_error("foo.bar.`baz\\`"), message("foo.bar.`baz\\`", 8));
    }

    // SingleFieldPathTest
    #[test]
    fn should_find_field_and_value_in_nested_struct_and_map() {
        let bar = SchemaBuilder::struct_().field("baz", Schema::of(SchemaType::Int32)).build().unwrap();
        let foo = SchemaBuilder::struct_().field("bar", bar.clone()).build().unwrap();
        let value = Struct::new(foo.clone())
            .unwrap()
            .with("bar", Struct::new(bar.clone()).unwrap().with("baz", 7).unwrap())
            .unwrap();
        let path = SingleFieldPath::new("bar.baz", FieldSyntaxVersion::V2, "field").unwrap();
        assert_eq!(path.field_from(&foo).unwrap().unwrap().schema, Schema::of(SchemaType::Int32));
        assert_eq!(path.value_from_struct(&value, true).unwrap(), Value::Int32(7));
        let missing = SingleFieldPath::new("bar.nope", FieldSyntaxVersion::V2, "field").unwrap();
        assert!(missing.field_from(&foo).unwrap().is_none());
        assert_eq!(missing.value_from_struct(&value, true).unwrap(), Value::Null);
        let too_deep = SingleFieldPath::new("bar.baz.x", FieldSyntaxVersion::V2, "field").unwrap();
        assert_eq!(too_deep.field_from(&foo).unwrap_err().to_string(), "Cannot look up fields on non-struct type");

        let map = vec![(Value::from("bar"), Value::Map(vec![(Value::from("baz"), Value::Int64(7))]))];
        assert_eq!(path.value_from_map(&map).unwrap(), Value::Int64(7));
        assert_eq!(missing.value_from_map(&map).unwrap(), Value::Null);
        let not_map = vec![(Value::from("bar"), Value::from("x"))];
        assert_eq!(
            path.value_from_map(&not_map).unwrap_err().to_string(),
            "Only Map objects supported in absence of schema for [nested field access], found: java.lang.String"
        );
    }
}
