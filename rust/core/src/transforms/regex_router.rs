//! `RegexRouter`: renames the topic of records whose topic matches `regex` as a whole, with
//! Java's `replaceFirst(replacement)` (`$1` refers to a group); other records pass unchanged.

use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use crate::error::Result;
use crate::runtime::plugin::Config;
use crate::transforms::java_regex::JavaRegex;
use crate::transforms::simple_config::{define, SimpleConfig};
use crate::transforms::{validators, Record, Transformation};

const REGEX: &str = "regex";
const REPLACEMENT: &str = "replacement";

/// Kafka's `RegexRouter.CONFIG_DEF`.
pub(crate) fn config_def() -> ConfigDef {
    let def = define(
        ConfigDef::new(),
        ConfigKey::new(REGEX, ConfigType::String, None, Importance::High, "Regular expression to use for matching.")
            .with_validator(validators::valid_regex()),
    );
    define(def, ConfigKey::new(REPLACEMENT, ConfigType::String, None, Importance::High, "Replacement string."))
}

pub(crate) struct RegexRouter {
    regex: JavaRegex,
    replacement: String,
}

pub(crate) fn make(props: &Config) -> Result<Box<dyn Transformation>> {
    let config = SimpleConfig::new(&config_def(), props)?;
    let pattern = config.string(REGEX).unwrap_or_default();
    // The validator has compiled it already.
    let regex = JavaRegex::compile(pattern).map_err(|e| crate::error::Error::config(REGEX, e))?;
    let replacement = config.string(REPLACEMENT).unwrap_or_default().to_owned();
    Ok(Box::new(RegexRouter { regex, replacement }))
}

impl Transformation for RegexRouter {
    fn apply(&mut self, mut record: Record) -> Result<Option<Record>> {
        if self.regex.matches(&record.topic) {
            record.topic = self.regex.replace_first(&record.topic, &self.replacement)?.into();
        }
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Value;
    use crate::error::Error;

    fn apply(regex: &str, replacement: &str, topic: &str) -> String {
        let props: Config =
            [("regex".to_owned(), regex.to_owned()), ("replacement".to_owned(), replacement.to_owned())].into();
        let record = Record { partition: Some(0), offset: Some(0), ..Record::new(topic, Value::Null) };
        make(&props).unwrap().apply(record).unwrap().unwrap().topic.to_string()
    }

    #[test]
    fn static_replacement() {
        assert_eq!(apply("foo", "bar", "foo"), "bar");
    }

    #[test]
    fn doesnt_match() {
        assert_eq!(apply("foo", "bar", "orig"), "orig");
    }

    #[test]
    fn identity() {
        assert_eq!(apply("(.*)", "$1", "orig"), "orig");
    }

    #[test]
    fn add_prefix() {
        assert_eq!(apply("(.*)", "prefix-$1", "orig"), "prefix-orig");
    }

    #[test]
    fn add_suffix() {
        assert_eq!(apply("(.*)", "$1-suffix", "orig"), "orig-suffix");
    }

    #[test]
    fn slice() {
        assert_eq!(apply("(.*)-(\\d\\d\\d\\d\\d\\d\\d\\d)", "$1", "index-20160117"), "index");
    }

    #[test]
    fn invalid_regex_is_a_config_error_naming_the_key() {
        let props: Config = [("regex".to_owned(), "(".to_owned()), ("replacement".to_owned(), "x".to_owned())].into();
        let err = make(&props).err().unwrap();
        assert!(
            matches!(&err, Error::Config { key, reason } if key == "regex"
            && reason.starts_with("Invalid value ( for configuration regex: Invalid regex: ")),
            "{err}"
        );
    }

    #[test]
    fn bad_group_reference_fails_the_record() {
        let props: Config =
            [("regex".to_owned(), "(.*)".to_owned()), ("replacement".to_owned(), "$2".to_owned())].into();
        let err = make(&props).unwrap().apply(Record::new("t", Value::Null)).unwrap_err();
        assert!(matches!(err, Error::Data(m) if m == "No group 2"));
    }
}
