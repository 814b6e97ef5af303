//! Kafka's predicates (`org.apache.kafka.connect.transforms.predicates.*`, KIP-585):
//! `TopicNameMatches` (the topic matches `pattern` as a whole), `HasHeaderKey` (a header called
//! `name` exists) and `RecordIsTombstone` (the value is null).

use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::transforms::java_regex::JavaRegex;
use crate::transforms::simple_config::{define, SimpleConfig};
use crate::transforms::{validators, Predicate, Record};

const PATTERN_CONFIG: &str = "pattern";
const NAME_CONFIG: &str = "name";

/// Kafka's `TopicNameMatches.CONFIG_DEF`.
pub(crate) fn topic_name_matches_config_def() -> ConfigDef {
    define(
        ConfigDef::new(),
        ConfigKey::new(
            PATTERN_CONFIG,
            ConfigType::String,
            None,
            Importance::Medium,
            "A Java regular expression for matching against the name of a record's topic.",
        )
        .with_validator(validators::non_empty_regex()),
    )
}

pub(crate) struct TopicNameMatches {
    pattern: JavaRegex,
}

pub(crate) fn make_topic_name_matches(props: &Config) -> Result<Box<dyn Predicate>> {
    let config = SimpleConfig::new(&topic_name_matches_config_def(), props)?;
    let value = config.string(PATTERN_CONFIG).unwrap_or_default();
    let pattern = JavaRegex::compile(value).map_err(|e| {
        Error::config(
            PATTERN_CONFIG,
            format!(
                "Invalid value {value} for configuration {PATTERN_CONFIG}: entry must be a Java-compatible regular \
                 expression: {e}"
            ),
        )
    })?;
    Ok(Box::new(TopicNameMatches { pattern }))
}

impl Predicate for TopicNameMatches {
    fn test(&mut self, record: &Record) -> Result<bool> {
        Ok(self.pattern.matches(&record.topic))
    }
}

/// Kafka's `HasHeaderKey.CONFIG_DEF`.
pub(crate) fn has_header_key_config_def() -> ConfigDef {
    define(
        ConfigDef::new(),
        ConfigKey::new(NAME_CONFIG, ConfigType::String, None, Importance::Medium, "The header name.")
            .with_validator(validators::non_empty_string()),
    )
}

pub(crate) struct HasHeaderKey {
    name: String,
}

pub(crate) fn make_has_header_key(props: &Config) -> Result<Box<dyn Predicate>> {
    let config = SimpleConfig::new(&has_header_key_config_def(), props)?;
    Ok(Box::new(HasHeaderKey { name: config.string(NAME_CONFIG).unwrap_or_default().to_owned() }))
}

impl Predicate for HasHeaderKey {
    fn test(&mut self, record: &Record) -> Result<bool> {
        Ok(record.headers.iter().any(|h| h.key == self.name))
    }
}

/// Kafka's `RecordIsTombstone.CONFIG_DEF`: no keys.
pub(crate) fn record_is_tombstone_config_def() -> ConfigDef {
    ConfigDef::new()
}

pub(crate) struct RecordIsTombstone;

pub(crate) fn make_record_is_tombstone(_props: &Config) -> Result<Box<dyn Predicate>> {
    Ok(Box::new(RecordIsTombstone))
}

impl Predicate for RecordIsTombstone {
    fn test(&mut self, record: &Record) -> Result<bool> {
        Ok(record.value.is_null())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::config_error_message;
    use crate::data::{Schema, SchemaType, Value};
    use crate::runtime::record::Header;

    fn props(key: &str, value: &str) -> Config {
        [(key.to_owned(), value.to_owned())].into()
    }

    fn topic(name: &str) -> Record {
        Record::new(name, Value::Null)
    }

    // TopicNameMatchesTest
    #[test]
    fn test_pattern_required_in_config() {
        let err = make_topic_name_matches(&Config::new()).err().unwrap();
        assert!(config_error_message(&err).contains("Missing required configuration \"pattern\""));
    }

    #[test]
    fn test_pattern_may_not_be_empty_in_config() {
        let err = make_topic_name_matches(&props("pattern", "")).err().unwrap();
        assert!(matches!(&err, Error::Config { key, .. } if key == "pattern"));
        assert!(config_error_message(&err).contains("String must be non-empty"), "{err}");
    }

    #[test]
    fn test_pattern_is_valid_regex_in_config() {
        let err = make_topic_name_matches(&props("pattern", "[")).err().unwrap();
        assert!(config_error_message(&err).contains("Invalid regex"), "{err}");
    }

    #[test]
    fn test_config() {
        let def = topic_name_matches_config_def();
        assert!(def.validate(&props("pattern", "my-prefix-.*"))[0].1.is_ok());
        let errors = def.validate(&props("pattern", "*"))[0].1.clone().unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("Invalid regex"), "{errors:?}");
    }

    #[test]
    fn test_test() {
        let mut predicate = make_topic_name_matches(&props("pattern", "my-prefix-.*")).unwrap();
        for (name, expected) in [
            ("my-prefix-", true),
            ("my-prefix-foo", true),
            ("x-my-prefix-", false),
            ("x-my-prefix-foo", false),
            ("your-prefix-", false),
            ("your-prefix-foo", false),
        ] {
            assert_eq!(predicate.test(&topic(name)).unwrap(), expected, "{name}");
        }
    }

    // HasHeaderKeyTest
    #[test]
    fn test_name_required_in_config() {
        let err = make_has_header_key(&Config::new()).err().unwrap();
        assert!(config_error_message(&err).contains("Missing required configuration \"name\""));
    }

    #[test]
    fn test_name_may_not_be_empty_in_config() {
        let err = make_has_header_key(&props("name", "")).err().unwrap();
        assert!(config_error_message(&err).contains("String must be non-empty"), "{err}");
    }

    #[test]
    fn test_has_header_key_config() {
        let outcome = has_header_key_config_def().validate(&props("name", ""));
        assert_eq!(
            outcome[0].1.clone().unwrap_err(),
            vec!["Invalid value  for configuration name: String must be non-empty".to_owned()]
        );
    }

    #[test]
    fn test_has_header_key() {
        let mut predicate = make_has_header_key(&props("name", "foo")).unwrap();
        let header = |key: &str| Header {
            key: key.into(),
            schema: Some(Schema::of(SchemaType::String)),
            value: Value::from("x"),
        };
        let with = |keys: &[&str]| Record { headers: keys.iter().map(|k| header(k)).collect(), ..topic("t") };
        assert!(!predicate.test(&with(&[])).unwrap());
        assert!(predicate.test(&with(&["foo"])).unwrap());
        assert!(predicate.test(&with(&["bar", "foo", "bar", "foo"])).unwrap());
        assert!(!predicate.test(&with(&["bar", "baz"])).unwrap());
    }

    #[test]
    fn test_record_is_tombstone() {
        let mut predicate = make_record_is_tombstone(&Config::new()).unwrap();
        assert!(predicate.test(&topic("t")).unwrap());
        assert!(!predicate.test(&Record::new("t", Value::from("x"))).unwrap());
    }
}
