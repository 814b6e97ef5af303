//! Kafka's `ReplaceField$Key` / `ReplaceField$Value`: drops (`exclude`), keeps (`include`) and
//! renames (`renames`, `old:new,...`) top-level fields of a struct or map.
//!
//! With a schema, the derived schema keeps the struct's name, version, doc and parameters and each
//! kept field's schema; like Kafka's, it is neither optional nor has a default, and it is cached
//! by the struct's own schema.

use std::collections::HashSet;
use std::sync::Arc;

use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Validator};
use crate::data::{Schema, SchemaBuilder, SchemaRef, Struct, Value};
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::transforms::config_util::{self as cfg, java_hash_order, java_list, java_split, JavaHashed};
use crate::transforms::schema_cache::SchemaCache;
use crate::transforms::schema_util::{copy_schema_basics, replace_side, require_struct_schema, string_key};
use crate::transforms::side::{require_map, require_struct, Side};
use crate::transforms::{Record, Transformation};

pub const KEY_CLASS: &str = "org.apache.kafka.connect.transforms.ReplaceField$Key";
pub const VALUE_CLASS: &str = "org.apache.kafka.connect.transforms.ReplaceField$Value";

const EXCLUDE: &str = "exclude";
const INCLUDE: &str = "include";
const RENAMES: &str = "renames";
const PURPOSE: &str = "field replacement";

/// ReplaceField's keys, as Kafka 4.4 defines them.
pub fn config_def() -> ConfigDef {
    let empty = || Some(ConfigValue::List(Vec::new()));
    let renames = ConfigKey::new(RENAMES, ConfigType::List, empty(), Importance::Medium, "Field rename mappings.")
        .with_validator(Validator::Worded {
            check: Arc::new(|_, value| match value {
                ConfigValue::List(items) => parse_renames(items).map(|_| ()),
                _ => Ok(()),
            }),
            description: "list of colon-delimited pairs, e.g. <code>foo:bar,abc:xyz</code>".into(),
        });
    ConfigDef::new()
        .define(
            ConfigKey::new(
                EXCLUDE,
                ConfigType::List,
                empty(),
                Importance::Medium,
                "Fields to exclude. This takes precedence over the fields to include.",
            )
            .with_validator(cfg::valid_list(true)),
        )
        .and_then(|def| {
            def.define(
                ConfigKey::new(
                    INCLUDE,
                    ConfigType::List,
                    empty(),
                    Importance::Medium,
                    "Fields to include. If specified, only these fields will be used.",
                )
                .with_validator(cfg::valid_list(true)),
            )
        })
        .and_then(|def| def.define(renames))
        .and_then(|def| def.define(cfg::replace_null_with_default_key()))
        .expect("ReplaceField's keys are defined once")
}

pub fn make_key(config: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(ReplaceField::new(Side::Key, config)?))
}

pub fn make_value(config: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(ReplaceField::new(Side::Value, config)?))
}

/// Kafka's `parseRenameMappings`: `old:new` pairs, in a Java `HashMap` (a repeated old name takes
/// the last new one).
fn parse_renames(mappings: &[String]) -> std::result::Result<Vec<(String, String)>, String> {
    let mut renames: Vec<(String, String)> = Vec::new();
    for mapping in mappings {
        let parts = java_split(mapping, ':');
        let [from, to] = parts.as_slice() else {
            return Err(format!(
                "Invalid value {} for configuration renames: Invalid rename mapping: {mapping}",
                java_list(mappings)
            ));
        };
        match renames.iter_mut().find(|(f, _)| f == from) {
            Some(entry) => entry.1 = (*to).to_owned(),
            None => renames.push(((*from).to_owned(), (*to).to_owned())),
        }
    }
    Ok(renames)
}

/// A configured ReplaceField.
pub struct ReplaceField {
    side: Side,
    names: Names,
    replace_null_with_default: bool,
    cache: SchemaCache,
}

/// Which fields are kept, under which names.
struct Names {
    exclude: HashSet<String>,
    include: HashSet<String>,
    renames: Vec<(String, String)>,
    /// New name to old (Kafka's `invert`: of two renames to one name, the later in the renames
    /// map's iteration order wins).
    reverse_renames: Vec<(String, String)>,
}

impl Names {
    /// Kafka's `filter`: not excluded, and included when there is an include list.
    fn keeps(&self, name: &str) -> bool {
        !self.exclude.contains(name) && (self.include.is_empty() || self.include.contains(name))
    }

    fn renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.renames.iter().find(|(from, _)| from == name).map_or(name, |(_, to)| to)
    }

    fn reverse_renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.reverse_renames.iter().find(|(to, _)| to == name).map_or(name, |(_, from)| from)
    }

    /// Kafka's `makeUpdatedSchema`.
    fn build_schema(&self, schema: &Schema) -> Result<SchemaRef> {
        require_struct_schema(schema)?;
        let mut builder = copy_schema_basics(schema, SchemaBuilder::struct_());
        for field in schema.fields.iter().filter(|f| self.keeps(&f.name)) {
            builder.add_field(self.renamed(&field.name), field.schema.clone())?;
        }
        builder.build()
    }
}

impl ReplaceField {
    fn new(side: Side, config: &Config) -> Result<Self> {
        let values = config_def().parse(config)?;
        let renames = parse_renames(&cfg::list(&values, RENAMES)).map_err(|reason| Error::config(RENAMES, reason))?;
        let mut reverse_renames: Vec<(String, String)> = Vec::new();
        for (from, to) in java_hash_order(renames.clone(), JavaHashed::Map, |(f, _)| f) {
            match reverse_renames.iter_mut().find(|(t, _)| *t == to) {
                Some(entry) => entry.1 = from,
                None => reverse_renames.push((to, from)),
            }
        }
        let names = Names {
            exclude: cfg::distinct(cfg::list(&values, EXCLUDE)).into_iter().collect(),
            include: cfg::distinct(cfg::list(&values, INCLUDE)).into_iter().collect(),
            renames,
            reverse_renames,
        };
        Ok(ReplaceField {
            side,
            names,
            replace_null_with_default: cfg::boolean(&values, cfg::REPLACE_NULL_WITH_DEFAULT),
            cache: SchemaCache::default(),
        })
    }

    fn apply_schemaless(&self, value: &Value) -> Result<Value> {
        let mut out: Vec<(Value, Value)> = Vec::new();
        for (key, value) in require_map(value, PURPOSE)? {
            let name = string_key(key)?;
            if self.names.keeps(name) {
                let key = Value::from(self.names.renamed(name));
                // A Java HashMap: a second field renamed to an existing name replaces its value.
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some(entry) => entry.1 = value.clone(),
                    None => out.push((key, value.clone())),
                }
            }
        }
        Ok(Value::Map(out))
    }

    fn apply_with_schema(&mut self, value: &Value) -> Result<(SchemaRef, Value)> {
        let original = require_struct(value, PURPOSE)?;
        let names = &self.names;
        let updated = self.cache.get_or_try_insert(&original.schema, || names.build_schema(&original.schema))?;
        let mut out = Struct::new(updated.clone())?;
        for field in &updated.fields {
            let source = self.names.reverse_renamed(&field.name);
            let value = if self.replace_null_with_default {
                original.get(source)?
            } else {
                original.get_without_default(source)?
            };
            out.put(&field.name, value.clone())?;
        }
        Ok((updated, Value::Struct(out)))
    }
}

impl Transformation for ReplaceField {
    fn apply(&mut self, record: Record) -> Result<Option<Record>> {
        if self.side.value(&record).is_null() {
            return Ok(Some(record));
        }
        replace_side(self.side, record, |schema, value| match schema {
            None => Ok((None, self.apply_schemaless(&value)?)),
            // Kafka derives the schema from the struct's own schema.
            Some(_) => self.apply_with_schema(&value).map(|(s, v)| (Some(s), v)),
        })
    }

    fn close(&mut self) {
        self.cache.clear();
    }
}

#[cfg(test)]
#[path = "replace_field_tests.rs"]
mod tests;
