//! Config pieces Kafka's field transforms share: the `replace.null.with.default` key, Kafka 4.4's
//! `ValidList` checks of list keys (duplicates dropped, empty entries refused), typed reads of
//! parsed values, and Java's `String.split` (whose trailing empty parts vanish).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::{ConfigKey, ConfigType, ConfigValue, Importance, Validator};

/// The key several of Kafka's field transforms define.
pub(crate) const REPLACE_NULL_WITH_DEFAULT: &str = "replace.null.with.default";

/// Parsed config values by key (what `ConfigDef::parse` returns).
pub(crate) type Values = BTreeMap<String, ConfigValue>;

/// Kafka's `replace.null.with.default` definition (BOOLEAN, default true, MEDIUM).
pub(crate) fn replace_null_with_default_key() -> ConfigKey {
    ConfigKey::new(
        REPLACE_NULL_WITH_DEFAULT,
        ConfigType::Boolean,
        Some(ConfigValue::Boolean(true)),
        Importance::Medium,
        "Whether to replace fields that have a default value and that are null to the default value. When set to \
         true, the default value is used, otherwise null is used.",
    )
}

/// Kafka 4.4's `ConfigDef.ValidList.anyNonDuplicateValues(emptyAllowed, false)`: a list whose
/// entries are non-empty (duplicates are dropped before the check, see [`distinct`]).
pub(crate) fn valid_list(empty_allowed: bool) -> Validator {
    Validator::Worded {
        check: Arc::new(move |name, value| match value {
            ConfigValue::List(items) if items.is_empty() && !empty_allowed => {
                Err(format!("Configuration '{name}' must not be empty. Valid values include: any non-empty value"))
            }
            ConfigValue::List(items) if items.iter().any(String::is_empty) => {
                Err(format!("Configuration '{name}' values must not be empty."))
            }
            _ => Ok(()),
        }),
        description: String::new(),
    }
}

/// The list without its repeated entries, first occurrences kept (Kafka 4.4's `ConfigDef`
/// removes duplicates from a `ValidList` key, with a warning).
pub(crate) fn distinct(items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items.into_iter().filter(|item| seen.insert(item.clone())).collect()
}

/// Java's `List.toString()` of strings: `[a, b]` (what Kafka's messages print for a list value).
pub(crate) fn java_list(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

/// Java's `text.split(":")` (a one-character separator): the parts, trailing empty ones removed
/// when the separator occurs (so `"a:"` is `["a"]` and `":"` is `[]`), `[text]` when it does not.
pub(crate) fn java_split(text: &str, separator: char) -> Vec<&str> {
    if !text.contains(separator) {
        return vec![text];
    }
    let mut parts: Vec<&str> = text.split(separator).collect();
    while parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    parts
}

/// A STRING key's value (`None` for a null default).
pub(crate) fn string(values: &Values, key: &str) -> Option<String> {
    match values.get(key) {
        Some(ConfigValue::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// A BOOLEAN key's value.
pub(crate) fn boolean(values: &Values, key: &str) -> bool {
    matches!(values.get(key), Some(ConfigValue::Boolean(true)))
}

/// An INT key's value (`None` for a null default).
pub(crate) fn int(values: &Values, key: &str) -> Option<i32> {
    match values.get(key) {
        Some(ConfigValue::Int(v)) => Some(*v),
        _ => None,
    }
}

/// A LIST key's value (empty for a null default).
pub(crate) fn list(values: &Values, key: &str) -> Vec<String> {
    match values.get(key) {
        Some(ConfigValue::List(items)) => items.clone(),
        _ => Vec::new(),
    }
}

/// Java's `String.hashCode`.
fn java_hash(text: &str) -> i32 {
    text.encode_utf16().fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit)))
}

/// Where Kafka iterates a Java `HashMap<String, _>` or `HashSet<String>`: the table size it has.
#[derive(Debug, Clone, Copy)]
pub(crate) enum JavaHashed {
    /// `new HashMap<>()` filled by `put`: 16 buckets, doubled past 3/4 full.
    Map,
    /// `new HashSet<>(collection)`: sized for the collection up front.
    SetOf,
}

/// The order a Java `HashMap`/`HashSet` holding these keys iterates them: by bucket, then
/// insertion order. Kafka's transforms iterate such maps where the order shows (which of two
/// renames to one name wins, which failing field is reported first).
pub(crate) fn java_hash_order<T>(items: Vec<T>, kind: JavaHashed, key: impl Fn(&T) -> &str) -> Vec<T> {
    let n = items.len();
    let capacity = match kind {
        JavaHashed::Map => {
            let mut capacity: usize = 16;
            while n > capacity * 3 / 4 {
                capacity *= 2;
            }
            capacity
        }
        JavaHashed::SetOf => (n * 4 / 3 + 1).max(16).next_power_of_two(),
    };
    let bucket = |text: &str| {
        let h = java_hash(text) as u32;
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    let mut indexed: Vec<(usize, usize, T)> =
        items.into_iter().enumerate().map(|(i, item)| (bucket(key(&item)), i, item)).collect();
    indexed.sort_by_key(|(b, i, _)| (*b, *i));
    indexed.into_iter().map(|(_, _, item)| item).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_java() {
        assert_eq!(java_split("a:b", ':'), vec!["a", "b"]);
        assert_eq!(java_split("a:", ':'), vec!["a"]);
        assert_eq!(java_split(":b", ':'), vec!["", "b"]);
        assert_eq!(java_split("a::b", ':'), vec!["a", "", "b"]);
        assert_eq!(java_split(":", ':'), Vec::<&str>::new());
        assert_eq!(java_split("", ':'), vec![""]);
        assert_eq!(java_split("a", ':'), vec!["a"]);
    }

    #[test]
    fn hashes_and_orders_like_java() {
        assert_eq!(java_hash("abc"), 96354);
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
        // new HashSet<>(List.of("b", "a", "c", "ab")) iterates a, ab, b, c in Java.
        let order = java_hash_order(vec!["b", "a", "c", "ab"], JavaHashed::SetOf, |s| *s);
        assert_eq!(order, vec!["a", "ab", "b", "c"]);
    }

    #[test]
    fn valid_list_words_kafkas_messages() {
        let Validator::Worded { check, .. } = valid_list(false) else { unreachable!() };
        let list = |items: &[&str]| ConfigValue::List(items.iter().map(|s| (*s).to_owned()).collect());
        assert_eq!(
            check("fields", &list(&[])).unwrap_err(),
            "Configuration 'fields' must not be empty. Valid values include: any non-empty value"
        );
        assert_eq!(check("fields", &list(&["a", ""])).unwrap_err(), "Configuration 'fields' values must not be empty.");
        assert!(check("fields", &list(&["a"])).is_ok());
        assert_eq!(distinct(vec!["a".into(), "b".into(), "a".into()]), vec!["a".to_owned(), "b".to_owned()]);
    }
}
