//! Kafka's `transforms`/`predicates` config model (`ConnectorConfig.transformationStages`): which
//! aliases a connector config lists, what each alias's keys say, and where a class is found
//! (Kafka's built-ins first, then the bindings' [`TransformLoader`]).
//!
//! Both the runtime (building a task's chain) and validation (the REST validate endpoint) read
//! the config through this module, so the two never disagree about what a config means.

use crate::config::{parse_value, ConfigDef, ConfigValue};
use crate::error::{Error, Result};
use crate::runtime::plugin::{Config, PluginDesc, PluginType};
use crate::transforms::chain::TransformLoader;
use crate::transforms::{builtin, Predicate, Transformation};

/// The key listing the transform aliases, in the order they apply.
pub const TRANSFORMS: &str = "transforms";
/// The key listing the predicate aliases.
pub const PREDICATES: &str = "predicates";
/// A transform's key naming the alias of its predicate (Kafka's `TransformationStage.PREDICATE_CONFIG`).
pub const PREDICATE_KEY: &str = "predicate";
/// A transform's key inverting its predicate (Kafka's `TransformationStage.NEGATE_CONFIG`).
pub const NEGATE_KEY: &str = "negate";

/// One transform alias as the config describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct StageSpec {
    pub alias: String,
    /// `transforms.<alias>.type`.
    pub class: String,
    /// The transform's own keys, `transforms.<alias>.` stripped, without `predicate` and `negate`
    /// (`type` stays, as Kafka passes it to `configure` too).
    pub config: Config,
    /// The predicate's alias, class and own keys (`predicates.<alias>.` stripped).
    pub predicate: Option<PredicateSpec>,
    pub negate: bool,
}

/// One predicate alias as the config describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct PredicateSpec {
    pub alias: String,
    pub class: String,
    pub config: Config,
}

/// `transforms.<alias>.` or `predicates.<alias>.`.
pub fn prefix(list_key: &str, alias: &str) -> String {
    format!("{list_key}.{alias}.")
}

/// The aliases a list key names (Kafka's LIST parsing: trimmed, split on commas, each trimmed),
/// in order, duplicates kept.
pub fn aliases(config: &Config, list_key: &str) -> Vec<String> {
    match config.get(list_key).map(|raw| parse_value(list_key, crate::config::ConfigType::List, raw)) {
        Some(Ok(ConfigValue::List(aliases))) => aliases,
        _ => Vec::new(),
    }
}

/// Kafka's error for an alias listed twice (its `aliasValidator`), or `None`.
pub fn duplicate_alias_error(list_key: &str, aliases: &[String]) -> Option<String> {
    let duplicated = aliases.iter().enumerate().any(|(i, a)| aliases[..i].contains(a));
    duplicated.then(|| {
        format!("Invalid value [{}] for configuration {list_key}: Duplicate alias provided.", aliases.join(", "))
    })
}

/// The keys of `config` under `prefix`, with the prefix stripped (Kafka's `originalsWithPrefix`).
pub fn strip_prefix(config: &Config, prefix: &str) -> Config {
    config
        .range(prefix.to_owned()..)
        .take_while(|(k, _)| k.starts_with(prefix))
        .map(|(k, v)| (k[prefix.len()..].to_owned(), v.clone()))
        .collect()
}

/// Kafka's text for a required key that is missing.
pub fn missing(key: &str) -> String {
    format!("Missing required configuration \"{key}\" which has no default value.")
}

/// Kafka's error for a class no loader knows (`ConfigDef.parseType` of a CLASS key).
pub fn class_not_found(key: &str, class: &str) -> Error {
    Error::config(key, format!("Invalid value {class} for configuration {key}: Class {class} could not be found."))
}

/// Every transform alias of a connector config, in order, with its predicate: Kafka's
/// `ConnectorConfig.transformationStages` without building anything. Errors name the full key.
pub fn stage_specs(config: &Config) -> Result<Vec<StageSpec>> {
    let aliases = aliases(config, TRANSFORMS);
    if let Some(error) = duplicate_alias_error(TRANSFORMS, &aliases) {
        return Err(Error::config(TRANSFORMS, error));
    }
    if let Some(error) = duplicate_alias_error(PREDICATES, &self::aliases(config, PREDICATES)) {
        return Err(Error::config(PREDICATES, error));
    }
    aliases.into_iter().map(|alias| stage_spec(config, alias)).collect()
}

fn stage_spec(config: &Config, alias: String) -> Result<StageSpec> {
    let prefix = prefix(TRANSFORMS, &alias);
    let type_key = format!("{prefix}type");
    let class = required_class(config, &type_key)?;
    let mut own = strip_prefix(config, &prefix);
    let predicate_alias = own.remove(PREDICATE_KEY).map(|a| a.trim().to_owned());
    let negate_key = format!("{prefix}{NEGATE_KEY}");
    let negate = match own.remove(NEGATE_KEY) {
        None => false,
        Some(raw) => {
            if predicate_alias.is_none() {
                return Err(Error::config(&negate_key, negate_without_predicate(&prefix)));
            }
            match parse_value(&negate_key, crate::config::ConfigType::Boolean, &raw) {
                Ok(ConfigValue::Boolean(b)) => b,
                Ok(_) => false,
                Err(e) => return Err(e),
            }
        }
    };
    let predicate = match predicate_alias {
        None => None,
        Some(predicate_alias) => {
            let predicate_prefix = prefix_of_predicate(&predicate_alias);
            let predicate_type = format!("{predicate_prefix}type");
            // Kafka looks the predicate up by its prefix whether or not `predicates` lists it; an
            // alias with no `type` is its "Unknown configuration" error.
            let class = match config.get(&predicate_type).map(|c| c.trim()) {
                Some(class) if !class.is_empty() => class.to_owned(),
                _ => return Err(Error::config(&predicate_type, format!("Unknown configuration '{predicate_type}'"))),
            };
            Some(PredicateSpec { alias: predicate_alias, class, config: strip_prefix(config, &predicate_prefix) })
        }
    };
    Ok(StageSpec { alias, class, config: own, predicate, negate })
}

fn prefix_of_predicate(alias: &str) -> String {
    prefix(PREDICATES, alias)
}

/// Kafka's message for `negate` without `predicate` (`ConnectorConfig.enrich`'s `validateProps`).
pub fn negate_without_predicate(prefix: &str) -> String {
    format!(
        "Config '{prefix}{NEGATE_KEY}' was provided but there is no config '{prefix}{PREDICATE_KEY}' defining a \
         predicate to be negated."
    )
}

fn required_class(config: &Config, key: &str) -> Result<String> {
    match config.get(key).map(|c| c.trim()) {
        Some(class) if !class.is_empty() => Ok(class.to_owned()),
        _ => Err(Error::config(key, missing(key))),
    }
}

/// Whether a class is a transform or a predicate (Kafka's plugin types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Transformation,
    Predicate,
}

impl Kind {
    /// Kafka's simple name of the interface (`Transformation`, `Predicate`).
    pub fn interface(self) -> &'static str {
        match self {
            Kind::Transformation => "Transformation",
            Kind::Predicate => "Predicate",
        }
    }

    fn other(self) -> Kind {
        match self {
            Kind::Transformation => Kind::Predicate,
            Kind::Predicate => Kind::Transformation,
        }
    }
}

/// The ConfigDef of a class of this kind: `None` when neither the built-ins nor the loader know it.
pub fn config_def(kind: Kind, class: &str, loader: Option<&dyn TransformLoader>) -> Option<Result<ConfigDef>> {
    let builtin = match kind {
        Kind::Transformation => builtin::transform(class).map(|b| (b.config_def)()),
        Kind::Predicate => builtin::predicate(class).map(|b| (b.config_def)()),
    };
    if let Some(def) = builtin {
        return Some(Ok(def));
    }
    let loader = loader?;
    match kind {
        Kind::Transformation => loader.transform_config_def(class),
        Kind::Predicate => loader.predicate_config_def(class),
    }
}

/// Why a class cannot be used as `kind` under `key`: Kafka's "could not be found" or, for a class
/// of the other kind, its "does not implement" error.
pub fn unusable_class(kind: Kind, key: &str, class: &str, loader: Option<&dyn TransformLoader>) -> Error {
    if config_def(kind.other(), class, loader).is_some() {
        return Error::config(
            key,
            format!("Class class {class} does not implement the {} interface", kind.interface()),
        );
    }
    class_not_found(key, class)
}

/// A configured transform of class `class`; errors of its own keys name them in full (`prefix`).
pub fn make_transform(
    class: &str,
    own: &Config,
    prefix: &str,
    loader: Option<&dyn TransformLoader>,
) -> Result<Box<dyn Transformation>> {
    let made = match builtin::transform(class) {
        Some(b) => (b.make)(own),
        None => match loader.and_then(|l| l.transform(class, own)) {
            Some(made) => made,
            None => return Err(unusable_class(Kind::Transformation, &format!("{prefix}type"), class, loader)),
        },
    };
    made.map_err(|e| prefix_key(e, prefix))
}

/// A configured predicate of class `class`, as [`make_transform`].
pub fn make_predicate(
    class: &str,
    own: &Config,
    prefix: &str,
    loader: Option<&dyn TransformLoader>,
) -> Result<Box<dyn Predicate>> {
    let made = match builtin::predicate(class) {
        Some(b) => (b.make)(own),
        None => match loader.and_then(|l| l.predicate(class, own)) {
            Some(made) => made,
            None => return Err(unusable_class(Kind::Predicate, &format!("{prefix}type"), class, loader)),
        },
    };
    made.map_err(|e| prefix_key(e, prefix))
}

/// A transform's config error names its own key (`regex`); the connector's user wrote
/// `transforms.<alias>.regex`.
fn prefix_key(error: Error, prefix: &str) -> Error {
    match error {
        Error::Config { key, reason } if !key.starts_with(prefix) => {
            Error::Config { key: format!("{prefix}{key}"), reason }
        }
        other => other,
    }
}

/// Kafka's built-in transforms and predicates, then the loader's: what `GET /connector-plugins`
/// lists with `connectorsOnly=false`.
pub fn plugins(loader: Option<&dyn TransformLoader>) -> Vec<PluginDesc> {
    let version = crate::version().to_owned();
    let mut plugins: Vec<PluginDesc> = builtin::TRANSFORMS
        .iter()
        .map(|t| PluginDesc {
            class: t.names[0].to_owned(),
            kind: PluginType::Transformation,
            version: version.clone(),
        })
        .chain(builtin::PREDICATES.iter().map(|p| PluginDesc {
            class: p.names[0].to_owned(),
            kind: PluginType::Predicate,
            version: version.clone(),
        }))
        .collect();
    if let Some(loader) = loader {
        plugins.extend(loader.plugins());
    }
    plugins
}

/// The classes of one kind, sorted (the recommended values of a `.type` key, as Kafka's
/// `ClassRecommender` gives them).
pub fn classes(kind: Kind, loader: Option<&dyn TransformLoader>) -> Vec<String> {
    let wanted = match kind {
        Kind::Transformation => PluginType::Transformation,
        Kind::Predicate => PluginType::Predicate,
    };
    let mut classes: Vec<String> = plugins(loader).into_iter().filter(|p| p.kind == wanted).map(|p| p.class).collect();
    classes.sort();
    classes.dedup();
    classes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn aliases_are_trimmed_and_duplicates_refused_in_kafkas_words() {
        let c = config(&[("transforms", " a , b,a ")]);
        assert_eq!(aliases(&c, TRANSFORMS), ["a", "b", "a"]);
        assert_eq!(
            duplicate_alias_error(TRANSFORMS, &aliases(&c, TRANSFORMS)).unwrap(),
            "Invalid value [a, b, a] for configuration transforms: Duplicate alias provided."
        );
        let err = stage_specs(&c).unwrap_err();
        assert!(matches!(err, Error::Config { ref key, .. } if key == "transforms"), "{err}");
        assert!(aliases(&Config::new(), TRANSFORMS).is_empty());
    }

    #[test]
    fn a_stage_takes_its_own_keys_and_its_predicates() {
        let c = config(&[
            ("transforms", "route"),
            ("transforms.route.type", " x.Router "),
            ("transforms.route.regex", "(.*)"),
            ("transforms.route.predicate", "isT"),
            ("transforms.route.negate", "TRUE"),
            ("transforms.routed.type", "not.Mine"),
            ("predicates", "isT"),
            ("predicates.isT.type", "x.Matches"),
            ("predicates.isT.pattern", "t.*"),
        ]);
        let specs = stage_specs(&c).unwrap();
        assert_eq!(specs.len(), 1);
        let spec = &specs[0];
        assert_eq!((spec.alias.as_str(), spec.class.as_str(), spec.negate), ("route", "x.Router", true));
        assert_eq!(spec.config, config(&[("type", " x.Router "), ("regex", "(.*)")]));
        let predicate = spec.predicate.as_ref().unwrap();
        assert_eq!((predicate.alias.as_str(), predicate.class.as_str()), ("isT", "x.Matches"));
        assert_eq!(predicate.config, config(&[("type", "x.Matches"), ("pattern", "t.*")]));
    }

    #[test]
    fn errors_name_the_full_key() {
        let key_of = |c: &Config| match stage_specs(c).unwrap_err() {
            Error::Config { key, reason } => (key, reason),
            other => panic!("{other}"),
        };
        let (key, reason) = key_of(&config(&[("transforms", "a")]));
        assert_eq!(key, "transforms.a.type");
        assert_eq!(reason, "Missing required configuration \"transforms.a.type\" which has no default value.");
        let (key, reason) =
            key_of(&config(&[("transforms", "a"), ("transforms.a.type", "X"), ("transforms.a.negate", "true")]));
        assert_eq!(key, "transforms.a.negate");
        assert_eq!(
            reason,
            "Config 'transforms.a.negate' was provided but there is no config 'transforms.a.predicate' defining a \
             predicate to be negated."
        );
        let (key, reason) =
            key_of(&config(&[("transforms", "a"), ("transforms.a.type", "X"), ("transforms.a.predicate", "p")]));
        assert_eq!((key.as_str(), reason.as_str()), ("predicates.p.type", "Unknown configuration 'predicates.p.type'"));
        let (key, reason) = key_of(&config(&[
            ("transforms", "a"),
            ("transforms.a.type", "X"),
            ("transforms.a.predicate", "p"),
            ("transforms.a.negate", "maybe"),
            ("predicates.p.type", "P"),
        ]));
        assert_eq!(key, "transforms.a.negate");
        assert!(reason.ends_with("Expected value to be either true or false"), "{reason}");
        let (key, _) = key_of(&config(&[("predicates", "p,p")]));
        assert_eq!(key, "predicates");
    }

    #[test]
    fn an_unknown_class_is_not_found_in_kafkas_words() {
        let err = make_transform("com.example.Nope", &Config::new(), "transforms.a.", None).err().unwrap();
        assert_eq!(
            err.to_string(),
            "Invalid value for configuration transforms.a.type: Invalid value com.example.Nope for configuration \
             transforms.a.type: Class com.example.Nope could not be found."
        );
    }
}
