//! Validators Kafka's transforms and predicates use, with Kafka's messages: its
//! `NonEmptyListValidator` ("Empty list"), `ConfigDef.NonEmptyString` ("String must be
//! non-empty"), `RegexValidator` ("Invalid regex: ...") and `CaseInsensitiveValidString`.
//!
//! They are `Validator::Custom`, because the crate's built-in `NonEmptyString` words its message
//! differently and its `ValidString` has no case-insensitive wording. The crate's ConfigDef wraps
//! each reason as Kafka's `ConfigException(name, value, reason)` does: "Invalid value V for
//! configuration K: reason".

use std::sync::Arc;

use crate::config::{ConfigValue, Validator};
use crate::transforms::java_regex::JavaRegex;

/// Kafka's `NonEmptyListValidator`.
pub(crate) fn non_empty_list() -> Validator {
    Validator::Custom(Arc::new(|_, value| match value {
        ConfigValue::List(items) if items.is_empty() => Err("Empty list".to_owned()),
        _ => Ok(()),
    }))
}

/// Kafka's `ConfigDef.NonEmptyString`.
pub(crate) fn non_empty_string() -> Validator {
    Validator::Custom(Arc::new(|_, value| check_non_empty(value)))
}

fn check_non_empty(value: &ConfigValue) -> Result<(), String> {
    match value {
        ConfigValue::String(s) if s.is_empty() => Err("String must be non-empty".to_owned()),
        _ => Ok(()),
    }
}

fn check_regex(value: &ConfigValue) -> Result<(), String> {
    match value {
        ConfigValue::String(s) => JavaRegex::compile(s).map(drop).map_err(|e| format!("Invalid regex: {e}")),
        _ => Ok(()),
    }
}

/// Kafka's `RegexValidator`: the value compiles as a (Java) regular expression.
pub(crate) fn valid_regex() -> Validator {
    Validator::Custom(Arc::new(|_, value| check_regex(value)))
}

/// Kafka's `CompositeValidator.of(new NonEmptyString(), new RegexValidator())`, in that order.
pub(crate) fn non_empty_regex() -> Validator {
    Validator::Custom(Arc::new(|_, value| check_non_empty(value).and_then(|()| check_regex(value))))
}

/// Kafka's `ConfigDef.CaseInsensitiveValidString.in(allowed)` (`allowed` in upper case).
pub(crate) fn case_insensitive_in(allowed: &'static [&'static str]) -> Validator {
    Validator::Custom(Arc::new(move |_, value| match value {
        ConfigValue::String(s) if !allowed.contains(&s.to_uppercase().as_str()) => {
            Err(format!("String must be one of (case insensitive): {}", allowed.join(", ")))
        }
        _ => Ok(()),
    }))
}
