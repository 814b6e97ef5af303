//! Kafka's `SimpleConfig` for transforms and predicates: their own keys parsed once against their
//! ConfigDef (types, defaults, validators, with Kafka's messages), then read by name.

use std::collections::BTreeMap;

use crate::config::{ConfigDef, ConfigValue};
use crate::error::Result;
use crate::runtime::plugin::Config;

/// A transform's parsed config.
pub(crate) struct SimpleConfig {
    values: BTreeMap<String, ConfigValue>,
}

impl SimpleConfig {
    /// Parses `props` against `def`; the first invalid or missing key is the error, naming it.
    pub(crate) fn new(def: &ConfigDef, props: &Config) -> Result<Self> {
        Ok(SimpleConfig { values: def.parse(props)? })
    }

    /// A STRING key's value; `None` when it is null (unset, with a null default).
    pub(crate) fn string(&self, key: &str) -> Option<&str> {
        match self.values.get(key) {
            Some(ConfigValue::String(s)) => Some(s),
            _ => None,
        }
    }

    /// A BOOLEAN key's value (false when unset without a default, which our defs never do).
    pub(crate) fn boolean(&self, key: &str) -> bool {
        matches!(self.values.get(key), Some(ConfigValue::Boolean(true)))
    }

    /// A LIST key's elements (empty when null).
    pub(crate) fn list(&self, key: &str) -> Vec<String> {
        match self.values.get(key) {
            Some(ConfigValue::List(items)) => items.clone(),
            _ => Vec::new(),
        }
    }
}

/// Adds a key to a definition being built in a `config_def` function. The keys are ours and
/// constant, so a failure (a name defined twice, a default its validator refuses) is a bug.
pub(crate) fn define(def: ConfigDef, key: crate::config::ConfigKey) -> ConfigDef {
    def.define(key).expect("a transform's ConfigDef is constant and valid")
}

#[cfg(test)]
mod tests {
    use crate::transforms::builtin::{predicate, transform, PREDICATES, TRANSFORMS};

    #[test]
    fn every_builtin_has_a_valid_config_def_and_unique_names() {
        let mut names = std::collections::HashSet::new();
        for row in TRANSFORMS {
            let _ = (row.config_def)();
            assert!(row.names.iter().all(|n| names.insert(*n)), "{:?}", row.names);
        }
        for row in PREDICATES {
            let _ = (row.config_def)();
            assert!(row.names.iter().all(|n| names.insert(*n)), "{:?}", row.names);
        }
        assert!(transform("org.apache.kafka.connect.transforms.ExtractField$Key").is_some());
        assert!(transform("org.apache.kafka.connect.transforms.Filter").is_some());
        assert!(predicate("org.apache.kafka.connect.transforms.predicates.RecordIsTombstone").is_some());
    }
}
