//! Kafka's `ConfigDef`: each key defined once (name, type, default, importance, doc, validator,
//! display hints) and parsing of a string map into typed values with errors that name the key.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::runtime::plugin::Config;

/// Kafka's config types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean,
    String,
    Int,
    Short,
    Long,
    Double,
    List,
    Class,
    Password,
}

impl ConfigType {
    /// Kafka's upper-case name (as in the REST `ConfigKeyInfo.type`).
    pub fn name(self) -> &'static str {
        match self {
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Short => "SHORT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Class => "CLASS",
            ConfigType::Password => "PASSWORD",
        }
    }

    /// Parses Kafka's name, case-insensitively.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name.to_ascii_uppercase().as_str() {
            "BOOLEAN" => ConfigType::Boolean,
            "STRING" => ConfigType::String,
            "INT" => ConfigType::Int,
            "SHORT" => ConfigType::Short,
            "LONG" => ConfigType::Long,
            "DOUBLE" => ConfigType::Double,
            "LIST" => ConfigType::List,
            "CLASS" => ConfigType::Class,
            "PASSWORD" => ConfigType::Password,
            _ => return None,
        })
    }
}

/// How much a key matters to users (documentation and UI ordering only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importance {
    High,
    Medium,
    Low,
}

impl Importance {
    pub fn name(self) -> &'static str {
        match self {
            Importance::High => "HIGH",
            Importance::Medium => "MEDIUM",
            Importance::Low => "LOW",
        }
    }
}

/// Display width hint for UIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    None,
    Short,
    Medium,
    Long,
}

impl Width {
    pub fn name(self) -> &'static str {
        match self {
            Width::None => "NONE",
            Width::Short => "SHORT",
            Width::Medium => "MEDIUM",
            Width::Long => "LONG",
        }
    }
}

/// A typed config value.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    Null,
    Boolean(bool),
    String(String),
    Int(i32),
    Short(i16),
    Long(i64),
    Double(f64),
    List(Vec<String>),
    Class(String),
    Password(String),
}

impl fmt::Display for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigValue::Null => f.write_str("null"),
            ConfigValue::Boolean(v) => write!(f, "{v}"),
            ConfigValue::String(v) | ConfigValue::Class(v) => f.write_str(v),
            ConfigValue::Int(v) => write!(f, "{v}"),
            ConfigValue::Short(v) => write!(f, "{v}"),
            ConfigValue::Long(v) => write!(f, "{v}"),
            ConfigValue::Double(v) => write!(f, "{v:?}"),
            ConfigValue::List(v) => f.write_str(&v.join(",")),
            // Never shown: Kafka prints passwords as [hidden].
            ConfigValue::Password(_) => f.write_str("[hidden]"),
        }
    }
}

impl ConfigValue {
    /// The value as a number, for range checks.
    fn as_f64(&self) -> Option<f64> {
        match self {
            ConfigValue::Int(v) => Some(f64::from(*v)),
            ConfigValue::Short(v) => Some(f64::from(*v)),
            ConfigValue::Long(v) => Some(*v as f64),
            ConfigValue::Double(v) => Some(*v),
            _ => None,
        }
    }
}

/// A user-supplied check: `(name, value)` → the reason when invalid.
pub type CustomCheck = Arc<dyn Fn(&str, &ConfigValue) -> std::result::Result<(), String> + Send + Sync>;

/// A check of a parsed value; the error is the reason, Kafka-style.
#[derive(Clone)]
pub enum Validator {
    /// Inclusive bounds on a number.
    Range { min: Option<f64>, max: Option<f64> },
    /// One of these strings (each element of a LIST must be).
    ValidString { allowed: Vec<String>, case_sensitive: bool },
    /// A non-empty string (Kafka's `NonEmptyString`: "String must be non-empty").
    NonEmptyString,
    /// Kafka's `NonEmptyStringWithoutControlChars` (a connector's `name`), with its own words.
    NonEmptyStringWithoutControlChars,
    /// Any other check: returns the reason when the value is invalid.
    Custom(CustomCheck),
    /// A check that words its whole error message itself (a Java validator that throws its own
    /// `ConfigException`, as `ValidList` and `LambdaValidator`s do), documented as `description`.
    Worded { check: CustomCheck, description: String },
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl Validator {
    /// How Kafka documents the validator (`[1,...]`, `[none, all]`, `non-empty string`).
    pub fn describe(&self) -> String {
        match self {
            Validator::Range { min, max } => {
                let n = |v: &Option<f64>| v.map_or("...".to_owned(), trim_number);
                format!("[{},{}]", n(min), n(max))
            }
            Validator::ValidString { allowed, .. } => format!("[{}]", allowed.join(", ")),
            Validator::NonEmptyString => "non-empty string".into(),
            Validator::NonEmptyStringWithoutControlChars => "non-empty string without ISO control characters".into(),
            Validator::Custom(_) => String::new(),
            Validator::Worded { description, .. } => description.clone(),
        }
    }

    fn check(&self, name: &str, value: &ConfigValue) -> std::result::Result<(), String> {
        match self {
            Validator::Range { min, max } => {
                let Some(v) = value.as_f64() else { return Ok(()) };
                if let Some(min) = min.filter(|m| v < *m) {
                    return Err(format!("Value must be at least {}", trim_number(min)));
                }
                if let Some(max) = max.filter(|m| v > *m) {
                    return Err(format!("Value must be no more than {}", trim_number(max)));
                }
                Ok(())
            }
            Validator::ValidString { allowed, case_sensitive } => {
                let ok =
                    |s: &str| allowed.iter().any(|a| if *case_sensitive { a == s } else { a.eq_ignore_ascii_case(s) });
                match value {
                    ConfigValue::String(s) if !ok(s) => Err(format!("String must be one of: {}", allowed.join(", "))),
                    ConfigValue::List(items) => match items.iter().find(|s| !ok(s)) {
                        Some(bad) => Err(format!("Invalid value {bad}: must be one of {}", allowed.join(", "))),
                        None => Ok(()),
                    },
                    _ => Ok(()),
                }
            }
            Validator::NonEmptyString => match value {
                ConfigValue::String(s) if s.is_empty() => Err("String must be non-empty".into()),
                _ => Ok(()),
            },
            Validator::NonEmptyStringWithoutControlChars => match value {
                ConfigValue::String(s) if s.is_empty() => Err("String may not be empty".into()),
                ConfigValue::String(s) if s.chars().any(char::is_control) => {
                    let codes: Vec<String> =
                        s.chars().filter(|c| c.is_control()).map(|c| u32::from(c).to_string()).collect();
                    Err(format!(
                        "String may not contain control sequences but had the following ASCII chars: {}",
                        codes.join(", ")
                    ))
                }
                _ => Ok(()),
            },
            Validator::Custom(check) | Validator::Worded { check, .. } => check(name, value),
        }
    }

    /// The config error for `value` of key `name` failing this check with `reason`.
    fn error(&self, name: &str, value: &ConfigValue, reason: &str) -> Error {
        match self {
            Validator::Worded { .. } => Error::config(name, reason),
            _ => invalid(name, value, reason),
        }
    }
}

fn trim_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e18 {
        format!("{}", v as i64)
    } else {
        v.to_string()
    }
}

/// One key of a [`ConfigDef`].
#[derive(Debug, Clone)]
pub struct ConfigKey {
    pub name: String,
    pub config_type: ConfigType,
    /// `None`: required (no default). `Some(Null)`: optional with a null default.
    pub default: Option<ConfigValue>,
    pub importance: Importance,
    pub doc: String,
    pub validator: Option<Validator>,
    pub group: Option<String>,
    pub order_in_group: i32,
    pub width: Width,
    pub display_name: String,
    pub dependents: Vec<String>,
}

impl ConfigKey {
    /// A key with only the essentials; adjust the public fields for the rest.
    pub fn new(
        name: &str,
        config_type: ConfigType,
        default: Option<ConfigValue>,
        importance: Importance,
        doc: &str,
    ) -> Self {
        ConfigKey {
            name: name.to_owned(),
            config_type,
            default,
            importance,
            doc: doc.to_owned(),
            validator: None,
            group: None,
            order_in_group: -1,
            width: Width::None,
            display_name: name.to_owned(),
            dependents: Vec::new(),
        }
    }

    pub fn with_validator(mut self, validator: Validator) -> Self {
        self.validator = Some(validator);
        self
    }

    /// Whether a value must be given.
    pub fn required(&self) -> bool {
        self.default.is_none()
    }
}

/// A set of config keys, in definition order.
#[derive(Debug, Clone, Default)]
pub struct ConfigDef {
    keys: Vec<ConfigKey>,
}

impl ConfigDef {
    pub fn new() -> Self {
        ConfigDef::default()
    }

    /// Adds a key. Defining a name twice is a programming error and is reported as a config error.
    pub fn define(mut self, key: ConfigKey) -> Result<Self> {
        if self.keys.iter().any(|k| k.name == key.name) {
            return Err(Error::config(&key.name, "Configuration is defined twice."));
        }
        if let Some(default) = &key.default {
            if let (Some(validator), false) = (&key.validator, matches!(default, ConfigValue::Null)) {
                validator
                    .check(&key.name, default)
                    .map_err(|reason| Error::config(&key.name, format!("Invalid default value {default}: {reason}")))?;
            }
        }
        self.keys.push(key);
        Ok(self)
    }

    /// The keys, in definition order.
    pub fn keys(&self) -> &[ConfigKey] {
        &self.keys
    }

    /// The key of this name.
    pub fn key(&self, name: &str) -> Option<&ConfigKey> {
        self.keys.iter().find(|k| k.name == name)
    }

    /// All keys of `other` added after this one's (for framework + connector definitions).
    pub fn merged(&self, other: &ConfigDef) -> ConfigDef {
        let mut keys = self.keys.clone();
        keys.extend(other.keys.iter().filter(|k| self.key(&k.name).is_none()).cloned());
        ConfigDef { keys }
    }

    /// Parses every defined key of `props`; the first error wins (see [`ConfigDef::validate`] for all).
    pub fn parse(&self, props: &Config) -> Result<BTreeMap<String, ConfigValue>> {
        let mut values = BTreeMap::new();
        for key in &self.keys {
            values.insert(key.name.clone(), self.parse_key(key, props.get(&key.name))?);
        }
        Ok(values)
    }

    /// Every key's value or its error messages: what the REST validate endpoint reports.
    pub fn validate(&self, props: &Config) -> Vec<(String, std::result::Result<ConfigValue, Vec<String>>)> {
        self.keys
            .iter()
            .map(|key| {
                let outcome = self.parse_key(key, props.get(&key.name)).map_err(|e| vec![config_error_message(&e)]);
                (key.name.clone(), outcome)
            })
            .collect()
    }

    fn parse_key(&self, key: &ConfigKey, raw: Option<&String>) -> Result<ConfigValue> {
        let value = match (raw, &key.default) {
            (Some(raw), _) => parse_value(&key.name, key.config_type, raw)?,
            (None, Some(default)) => default.clone(),
            (None, None) => {
                return Err(Error::config(
                    &key.name,
                    format!("Missing required configuration \"{}\" which has no default value.", key.name),
                ))
            }
        };
        if let (Some(validator), false) = (&key.validator, matches!(value, ConfigValue::Null)) {
            validator.check(&key.name, &value).map_err(|reason| validator.error(&key.name, &value, &reason))?;
        }
        Ok(value)
    }
}

/// The message of a config error without our "Invalid value for configuration" prefix twice.
pub fn config_error_message(error: &Error) -> String {
    match error {
        Error::Config { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

fn invalid(name: &str, value: &ConfigValue, reason: &str) -> Error {
    Error::config(name, format!("Invalid value {value} for configuration {name}: {reason}"))
}

/// Parses a raw string as Kafka's `ConfigDef.parseType` does (trimmed, case-insensitive booleans,
/// comma-separated lists).
pub fn parse_value(name: &str, config_type: ConfigType, raw: &str) -> Result<ConfigValue> {
    let trimmed = raw.trim();
    let bad = |expected: &str| {
        Error::config(
            name,
            format!("Invalid value {trimmed} for configuration {name}: Expected value to be {expected}"),
        )
    };
    Ok(match config_type {
        ConfigType::Boolean => match trimmed.to_ascii_lowercase().as_str() {
            "true" => ConfigValue::Boolean(true),
            "false" => ConfigValue::Boolean(false),
            _ => return Err(bad("either true or false")),
        },
        ConfigType::String => ConfigValue::String(trimmed.to_owned()),
        ConfigType::Password => ConfigValue::Password(raw.to_owned()),
        ConfigType::Class => ConfigValue::Class(trimmed.to_owned()),
        ConfigType::Int => ConfigValue::Int(trimmed.parse().map_err(|_| bad("a 32-bit integer"))?),
        ConfigType::Short => ConfigValue::Short(trimmed.parse().map_err(|_| bad("a 16-bit integer"))?),
        ConfigType::Long => ConfigValue::Long(trimmed.parse().map_err(|_| bad("a 64-bit integer"))?),
        ConfigType::Double => ConfigValue::Double(trimmed.parse().map_err(|_| bad("a double"))?),
        ConfigType::List => ConfigValue::List(if trimmed.is_empty() {
            Vec::new()
        } else {
            trimmed.split(',').map(|s| s.trim().to_owned()).collect()
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def() -> ConfigDef {
        ConfigDef::new()
            .define(ConfigKey::new("file", ConfigType::String, None, Importance::High, "Source filename."))
            .unwrap()
            .define(
                ConfigKey::new("batch.size", ConfigType::Int, Some(ConfigValue::Int(2000)), Importance::Low, "Lines.")
                    .with_validator(Validator::Range { min: Some(1.0), max: None }),
            )
            .unwrap()
    }

    #[test]
    fn parses_types_and_defaults() {
        let props: Config = [("file".to_owned(), " in.txt ".to_owned())].into();
        let values = def().parse(&props).unwrap();
        assert_eq!(values["file"], ConfigValue::String("in.txt".into()));
        assert_eq!(values["batch.size"], ConfigValue::Int(2000));
    }

    #[test]
    fn errors_name_the_key_and_reason() {
        let missing = def().parse(&Config::new()).unwrap_err().to_string();
        assert!(missing.contains("Missing required configuration \"file\""), "{missing}");
        let props: Config = [("file".into(), "x".into()), ("batch.size".into(), "0".into())].into();
        let range = def().parse(&props).unwrap_err().to_string();
        assert!(range.contains("Invalid value 0 for configuration batch.size: Value must be at least 1"), "{range}");
        let props: Config = [("file".into(), "x".into()), ("batch.size".into(), "many".into())].into();
        assert!(def().parse(&props).unwrap_err().to_string().contains("Expected value to be a 32-bit integer"));
    }
}
