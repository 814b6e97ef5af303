//! What validating a connector config shows for its transforms and predicates (Kafka's
//! `ConnectorConfig.enrich`): per alias a group `Transforms: <alias>` (or `Predicates: <alias>`)
//! with its `type` key, for transforms the implicit `negate` and `predicate` keys, and the
//! class's own ConfigDef keys under the alias's prefix; each key's value and errors.
//!
//! Kafka's layout, measured against Java Connect 4.4.0: `type` is first (order 0); the other keys
//! follow in Kafka's `ConfigDef.embed` order (required keys first, then by importance, then by
//! name), numbered from 1. Errors of a key's validator name the class's own key (`regex`), as
//! Kafka's embedded validators do; "missing" and type errors name the full key.

use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, ConfigValueReport, Importance, Width};
use crate::runtime::plugin::Config;
use crate::transforms::chain::TransformLoader;
use crate::transforms::config::{
    aliases, classes, config_def, duplicate_alias_error, missing, negate_without_predicate, prefix, Kind, NEGATE_KEY,
    PREDICATES, PREDICATE_KEY, TRANSFORMS,
};

/// The keys and reports validation adds for the transforms and predicates of one config.
#[derive(Debug, Default)]
pub struct Enriched {
    /// The per-alias keys, grouped and ordered as Kafka shows them.
    pub def: ConfigDef,
    /// A report per key of `def`.
    pub reports: Vec<ConfigValueReport>,
    /// Errors of the framework's own keys (`transforms`, `predicates`): `(key, message)`.
    pub errors: Vec<(String, String)>,
}

/// The transform and predicate keys of `config`, as Kafka's validate endpoint shows them.
pub fn enrich(config: &Config, loader: Option<&dyn TransformLoader>) -> Enriched {
    let mut enriched = Enriched::default();
    for kind in [Kind::Transformation, Kind::Predicate] {
        let list_key = list_key(kind);
        let listed = aliases(config, list_key);
        if let Some(error) = duplicate_alias_error(list_key, &listed) {
            enriched.errors.push((list_key.to_owned(), error));
        }
        let mut seen: Vec<&String> = Vec::new();
        for alias in &listed {
            if !seen.contains(&alias) {
                seen.push(alias);
                enrich_alias(&mut enriched, kind, alias, config, loader);
            }
        }
    }
    enriched
}

fn list_key(kind: Kind) -> &'static str {
    match kind {
        Kind::Transformation => TRANSFORMS,
        Kind::Predicate => PREDICATES,
    }
}

fn enrich_alias(out: &mut Enriched, kind: Kind, alias: &str, config: &Config, loader: Option<&dyn TransformLoader>) {
    let list_key = list_key(kind);
    let prefix = prefix(list_key, alias);
    let group = format!("{}: {alias}", if kind == Kind::Transformation { "Transforms" } else { "Predicates" });
    let what = kind.interface().to_ascii_lowercase();
    let type_key = format!("{prefix}type");
    let mut key = ConfigKey::new(
        &type_key,
        ConfigType::Class,
        None,
        Importance::High,
        &format!("Class for the '{alias}' {what}."),
    );
    key.group = Some(group.clone());
    key.order_in_group = 0;
    key.width = Width::Long;
    key.display_name = format!("{} type for {alias}", kind.interface());
    out.def = std::mem::take(&mut out.def).define(key).expect("one type key per alias");

    let mut report = ConfigValueReport::undefined(&type_key, Vec::new());
    report.recommended_values = classes(kind, loader);
    let class = config.get(&type_key).map(|c| c.trim()).filter(|c| !c.is_empty());
    let mut own_def = None;
    match class {
        None => report.errors.push(missing(&type_key)),
        Some(class) => {
            let negate = format!("{prefix}{NEGATE_KEY}");
            let predicate = format!("{prefix}{PREDICATE_KEY}");
            if kind == Kind::Transformation && config.contains_key(&negate) && !config.contains_key(&predicate) {
                report.errors.push(negate_without_predicate(&prefix));
            }
            match config_def(kind, class, loader) {
                Some(Ok(def)) => {
                    report.value = Some(class.to_owned());
                    own_def = Some(def);
                }
                Some(Err(e)) => {
                    report.value = Some(class.to_owned());
                    report.errors.push(crate::config::config_error_message(&e));
                }
                None => {
                    let error = crate::transforms::config::unusable_class(kind, &type_key, class, loader);
                    // Kafka shows the value of a class it could load, even of the wrong kind.
                    if !crate::config::config_error_message(&error).ends_with("could not be found.") {
                        report.value = Some(class.to_owned());
                    }
                    report.errors.push(crate::config::config_error_message(&error));
                }
            }
        }
    }
    out.reports.push(report);

    let Some(own_def) = own_def else { return };
    let mut child: Vec<ConfigKey> = Vec::new();
    if kind == Kind::Transformation {
        child.push(ConfigKey::new(
            PREDICATE_KEY,
            ConfigType::String,
            Some(ConfigValue::Null),
            Importance::Medium,
            "The alias of a predicate used to determine whether to apply this transformation.",
        ));
        child.push(ConfigKey::new(
            NEGATE_KEY,
            ConfigType::Boolean,
            Some(ConfigValue::Boolean(false)),
            Importance::Medium,
            "Whether the configured predicate should be negated.",
        ));
    }
    // The implicit keys mask a transform's own keys of the same name, as in Kafka.
    let implicit = [PREDICATE_KEY, NEGATE_KEY];
    let masks = kind == Kind::Transformation;
    child.extend(own_def.keys().iter().filter(|k| !(masks && implicit.contains(&k.name.as_str()))).cloned());
    let embedded = embed(&prefix, &group, 1, child);
    let mut reports = embedded.validate_all(config);
    for report in &mut reports {
        let short = &report.name[prefix.len()..];
        for error in &mut report.errors {
            *error = unprefix_validator_error(error, &report.name, short);
        }
    }
    out.reports.extend(reports);
    for key in embedded.keys() {
        out.def = std::mem::take(&mut out.def).define(key.clone()).expect("keys of one alias are defined once");
    }
}

/// Kafka's `ConfigDef.embed`: the child's keys in its sorted order, renamed under `prefix`, in
/// `group` (plus the key's own group), numbered from `first`.
fn embed(prefix: &str, group: &str, first: i32, mut child: Vec<ConfigKey>) -> ConfigDef {
    let mut groups: Vec<String> = Vec::new();
    for g in child.iter().filter_map(|k| k.group.clone()) {
        if !groups.contains(&g) {
            groups.push(g);
        }
    }
    let group_order = |k: &ConfigKey| k.group.as_ref().map(|g| groups.iter().position(|x| x == g).unwrap_or(0));
    let importance = |i: Importance| match i {
        Importance::High => 0,
        Importance::Medium => 1,
        Importance::Low => 2,
    };
    // Kafka's `ConfigDef.compare`: no group first, then group order, order in group, required
    // keys first, importance, name.
    child.sort_by(|a, b| {
        (group_order(a), a.order_in_group, !a.required(), importance(a.importance), &a.name).cmp(&(
            group_order(b),
            b.order_in_group,
            !b.required(),
            importance(b.importance),
            &b.name,
        ))
    });
    let mut def = ConfigDef::new();
    for (n, mut key) in child.into_iter().enumerate() {
        key.name = format!("{prefix}{}", key.name);
        key.group = Some(match &key.group {
            None => group.to_owned(),
            Some(own) => format!("{group}: {own}"),
        });
        key.order_in_group = first + n as i32;
        key.dependents = key.dependents.iter().map(|d| format!("{prefix}{d}")).collect();
        def = def.define(key).expect("a class defines each key once");
    }
    def
}

/// An embedded key's validator error names the class's own key in Kafka (its validator is
/// called with the unprefixed name); type errors and "missing" name the full key.
fn unprefix_validator_error(error: &str, full: &str, short: &str) -> String {
    let marker = format!(" for configuration {full}: ");
    match error.split_once(&marker) {
        Some((head, reason)) if head.starts_with("Invalid value ") && !reason.starts_with("Expected value to be") => {
            format!("{head} for configuration {short}: {reason}")
        }
        _ => error.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Validator;
    use crate::error::Result;
    use crate::runtime::plugin::{PluginDesc, PluginType};
    use crate::transforms::{Predicate, Transformation};

    /// Knows `x.Router` (two required keys, one validated) and `x.Matches` (a predicate).
    struct Loader;

    impl TransformLoader for Loader {
        fn transform(&self, _: &str, _: &Config) -> Option<Result<Box<dyn Transformation>>> {
            None
        }
        fn transform_config_def(&self, class: &str) -> Option<Result<ConfigDef>> {
            let regex = ConfigKey::new("regex", ConfigType::String, None, Importance::High, "Regex.").with_validator(
                Validator::Custom(std::sync::Arc::new(|_, v| match v {
                    ConfigValue::String(s) if s == "(" => Err("Invalid regex".to_owned()),
                    _ => Ok(()),
                })),
            );
            let replacement = ConfigKey::new("replacement", ConfigType::String, None, Importance::High, "Replacement.");
            (class == "x.Router").then(|| ConfigDef::new().define(replacement).and_then(|d| d.define(regex)))
        }
        fn predicate(&self, _: &str, _: &Config) -> Option<Result<Box<dyn Predicate>>> {
            None
        }
        fn predicate_config_def(&self, class: &str) -> Option<Result<ConfigDef>> {
            (class == "x.Matches").then(|| {
                ConfigDef::new().define(ConfigKey::new("pattern", ConfigType::String, None, Importance::Medium, "P."))
            })
        }
        fn plugins(&self) -> Vec<PluginDesc> {
            vec![
                PluginDesc { class: "x.Router".into(), kind: PluginType::Transformation, version: "1".into() },
                PluginDesc { class: "x.Matches".into(), kind: PluginType::Predicate, version: "1".into() },
            ]
        }
    }

    fn config(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn report<'a>(e: &'a Enriched, name: &str) -> &'a ConfigValueReport {
        e.reports.iter().find(|r| r.name == name).unwrap_or_else(|| panic!("no report {name}: {e:#?}"))
    }

    #[test]
    fn each_alias_gets_its_group_with_kafkas_keys_in_kafkas_order() {
        let e = enrich(
            &config(&[
                ("transforms", "route"),
                ("transforms.route.type", "x.Router"),
                ("transforms.route.regex", "("),
                ("transforms.route.predicate", "p"),
                ("predicates", "p"),
                ("predicates.p.type", "x.Matches"),
            ]),
            Some(&Loader),
        );
        let keys: Vec<(&str, &str, i32)> =
            e.def.keys().iter().map(|k| (k.name.as_str(), k.group.as_deref().unwrap(), k.order_in_group)).collect();
        assert_eq!(
            keys,
            [
                ("transforms.route.type", "Transforms: route", 0),
                ("transforms.route.regex", "Transforms: route", 1),
                ("transforms.route.replacement", "Transforms: route", 2),
                ("transforms.route.negate", "Transforms: route", 3),
                ("transforms.route.predicate", "Transforms: route", 4),
                ("predicates.p.type", "Predicates: p", 0),
                ("predicates.p.pattern", "Predicates: p", 1),
            ]
        );
        let type_key = e.def.key("transforms.route.type").unwrap();
        assert_eq!(type_key.display_name, "Transformation type for route");
        assert_eq!(type_key.doc, "Class for the 'route' transformation.");
        assert_eq!(e.def.key("predicates.p.type").unwrap().display_name, "Predicate type for p");
        let route_type = report(&e, "transforms.route.type");
        assert_eq!(route_type.value.as_deref(), Some("x.Router"));
        // The built-in transforms and the loader's, sorted.
        let recommended = &route_type.recommended_values;
        assert!(recommended.contains(&"x.Router".to_owned()), "{recommended:?}");
        assert!(recommended.windows(2).all(|w| w[0] < w[1]), "{recommended:?}");
        assert!(!recommended.contains(&"x.Matches".to_owned()), "{recommended:?}");
        assert_eq!(
            report(&e, "transforms.route.regex").errors,
            ["Invalid value ( for configuration regex: Invalid regex"]
        );
        assert_eq!(
            report(&e, "transforms.route.replacement").errors,
            ["Missing required configuration \"transforms.route.replacement\" which has no default value."]
        );
        assert_eq!(
            report(&e, "predicates.p.pattern").errors,
            ["Missing required configuration \"predicates.p.pattern\" which has no default value."]
        );
        assert_eq!(report(&e, "transforms.route.negate").value.as_deref(), Some("false"));
        assert_eq!(report(&e, "transforms.route.predicate").value.as_deref(), Some("p"));
        assert!(e.errors.is_empty());
    }

    #[test]
    fn type_errors_are_on_the_type_key_in_kafkas_words() {
        let e = enrich(
            &config(&[
                ("transforms", "a,b,c,a,d"),
                ("transforms.b.type", "com.example.Nope"),
                ("transforms.c.type", "x.Matches"),
                ("transforms.d.type", "x.Router"),
                ("transforms.d.negate", "true"),
                ("transforms.d.regex", "."),
                ("transforms.d.replacement", "r"),
            ]),
            Some(&Loader),
        );
        assert_eq!(
            e.errors,
            [(
                "transforms".to_owned(),
                "Invalid value [a, b, c, a, d] for configuration transforms: Duplicate alias provided.".to_owned()
            )]
        );
        let a = report(&e, "transforms.a.type");
        assert_eq!((a.value.as_deref(), a.errors.as_slice()), (None, &[missing("transforms.a.type")][..]));
        let b = report(&e, "transforms.b.type");
        assert_eq!(b.value, None);
        assert_eq!(
            b.errors,
            ["Invalid value com.example.Nope for configuration transforms.b.type: Class com.example.Nope could not be found."]
        );
        let c = report(&e, "transforms.c.type");
        assert_eq!(c.value.as_deref(), Some("x.Matches"));
        assert_eq!(c.errors, ["Class class x.Matches does not implement the Transformation interface"]);
        assert_eq!(report(&e, "transforms.d.type").errors, [negate_without_predicate("transforms.d.")]);
        // Only the type key for aliases whose class is unusable; one group per alias.
        assert!(e.def.key("transforms.b.negate").is_none());
        assert_eq!(e.def.keys().iter().filter(|k| k.name == "transforms.a.type").count(), 1);
    }

    #[test]
    fn type_errors_of_embedded_keys_name_the_full_key() {
        assert_eq!(
            unprefix_validator_error(
                "Invalid value maybe for configuration transforms.a.negate: Expected value to be either true or false",
                "transforms.a.negate",
                "negate"
            ),
            "Invalid value maybe for configuration transforms.a.negate: Expected value to be either true or false"
        );
    }
}
