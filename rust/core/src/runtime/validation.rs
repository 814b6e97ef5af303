//! Config validation and plugin listing for the REST API (Kafka's
//! `AbstractHerder.validateConnectorConfig`, `generateResult` and `connectorPluginConfig`): the
//! framework's keys, the connector's own and those of its transforms and predicates
//! (`transforms::validate`), each key's errors, in Kafka's `ConfigInfos` shape.
//!
//! One deliberate difference from Kafka 4.0: a `connector.class` that cannot be loaded is reported
//! as an error of that key (200 from validate, 400 from create, as Kafka 4.1+ does with KIP-891),
//! not as a 500, since the fault is the request's.

use std::collections::BTreeMap;

use crate::config::{ConfigDef, ConfigKey, ConfigValue, ConfigValueReport, Width};
use crate::convert::{converter_for, header_converter_for};
use crate::error::{Error, Result};
use crate::runtime::auto_restart;
use crate::runtime::connector_config::{
    connector_config_def, sink_config_def, sink_subscription_errors, source_config_def, ExactlyOnceLevel, SourceConfig,
    TransactionBoundary,
};
use crate::runtime::entities::{ConfigInfo, ConfigInfos, ConfigKeyInfo, ConfigValueInfo, PluginInfo};
use crate::runtime::herder::{Herder, RawConfig};
use crate::runtime::plugin::{Config, Connector, ConnectorKind, PluginDesc, PluginType};
use crate::runtime::worker::DEFAULT_HEADER_CONVERTER;
use crate::runtime::worker_config::prefixed;
use crate::transforms;

/// Kafka's message for a `null` config value.
const NULL_VALUE: &str = "Null value can not be supplied as the configuration value.";

/// Kafka's converters, as plugins (`GET /connector-plugins?connectorsOnly=false`).
const BUILT_IN_PLUGINS: &[(&str, PluginType)] = &[
    ("org.apache.kafka.connect.converters.BooleanConverter", PluginType::Converter),
    ("org.apache.kafka.connect.converters.ByteArrayConverter", PluginType::Converter),
    ("org.apache.kafka.connect.converters.DoubleConverter", PluginType::Converter),
    ("org.apache.kafka.connect.converters.FloatConverter", PluginType::Converter),
    ("org.apache.kafka.connect.converters.IntegerConverter", PluginType::Converter),
    ("org.apache.kafka.connect.converters.LongConverter", PluginType::Converter),
    ("org.apache.kafka.connect.converters.ShortConverter", PluginType::Converter),
    ("org.apache.kafka.connect.json.JsonConverter", PluginType::Converter),
    ("org.apache.kafka.connect.storage.StringConverter", PluginType::Converter),
    // Kafka's number converters are header converters too (they implement HeaderConverter).
    ("org.apache.kafka.connect.converters.BooleanConverter", PluginType::HeaderConverter),
    ("org.apache.kafka.connect.converters.ByteArrayConverter", PluginType::HeaderConverter),
    ("org.apache.kafka.connect.converters.DoubleConverter", PluginType::HeaderConverter),
    ("org.apache.kafka.connect.converters.FloatConverter", PluginType::HeaderConverter),
    ("org.apache.kafka.connect.converters.IntegerConverter", PluginType::HeaderConverter),
    ("org.apache.kafka.connect.converters.LongConverter", PluginType::HeaderConverter),
    ("org.apache.kafka.connect.converters.ShortConverter", PluginType::HeaderConverter),
    ("org.apache.kafka.connect.json.JsonConverter", PluginType::HeaderConverter),
    ("org.apache.kafka.connect.storage.SimpleHeaderConverter", PluginType::HeaderConverter),
    ("org.apache.kafka.connect.storage.StringConverter", PluginType::HeaderConverter),
];

/// Kafka's display metadata of the framework keys (`ConnectorConfig.configDef()`): group, order
/// in group, width and display name, as the validate endpoint and UIs show them.
fn framework_display(name: &str) -> Option<(&'static str, i32, Width, &'static str)> {
    Some(match name {
        "name" => ("Common", 1, Width::Medium, "Connector name"),
        "connector.class" => ("Common", 2, Width::Long, "Connector class"),
        "tasks.max" => ("Common", 3, Width::Short, "Tasks max"),
        "tasks.max.enforce" => ("Common", 4, Width::Short, "Enforce tasks max"),
        "key.converter" => ("Common", 5, Width::Short, "Key converter class"),
        "value.converter" => ("Common", 6, Width::Short, "Value converter class"),
        "header.converter" => ("Common", 7, Width::Short, "Header converter class"),
        "transforms" => ("Transforms", 8, Width::Long, "Transforms"),
        "predicates" => ("Predicates", 9, Width::Long, "Predicates"),
        "topics" => ("Common", 4, Width::Long, "Topics"),
        "topics.regex" => ("Common", 4, Width::Long, "Topics regex"),
        "errors.retry.timeout" => ("Error Handling", 1, Width::Medium, "Retry Timeout for Errors"),
        "errors.retry.delay.max.ms" => ("Error Handling", 2, Width::Medium, "Maximum Delay Between Retries for Errors"),
        "errors.tolerance" => ("Error Handling", 3, Width::Short, "Error Tolerance"),
        "errors.log.enable" => ("Error Handling", 4, Width::Short, "Log Errors"),
        "errors.log.include.messages" => ("Error Handling", 5, Width::Short, "Log Error Details"),
        "errors.deadletterqueue.topic.name" => ("Error Handling", 6, Width::Medium, "Dead Letter Queue Topic Name"),
        "errors.deadletterqueue.topic.replication.factor" => {
            ("Error Handling", 7, Width::Medium, "Dead Letter Queue Topic Replication Factor")
        }
        "errors.deadletterqueue.context.headers.enable" => {
            ("Error Handling", 8, Width::Medium, "Enable Error Context Headers")
        }
        // Kafka numbers these after `topic.creation.groups` (order 1, not defined here: topic
        // creation is not built) in one count across both groups.
        "exactly.once.support" => ("Exactly Once Support", 2, Width::Short, "Exactly once support"),
        "transaction.boundary" => ("Exactly Once Support", 3, Width::Short, "Transaction Boundary"),
        "transaction.boundary.interval.ms" => {
            ("Exactly Once Support", 4, Width::Short, "Transaction boundary interval")
        }
        "offsets.storage.topic" => ("offsets.topic", 1, Width::Long, "Offsets topic"),
        _ => return None,
    })
}

/// The framework's keys for a connector of this kind, with Kafka's display metadata.
pub fn framework_config_def(kind: Option<ConnectorKind>) -> ConfigDef {
    let base = match kind {
        Some(ConnectorKind::Sink) => sink_config_def(),
        Some(ConnectorKind::Source) => source_config_def(),
        None => connector_config_def(),
    };
    let keys = base.keys().iter().map(|key| {
        let mut key = key.clone();
        if let (None, Some((group, order, width, display))) = (&key.group, framework_display(&key.name)) {
            key.group = Some(group.to_owned());
            key.order_in_group = order;
            key.width = width;
            key.display_name = display.to_owned();
        }
        key
    });
    keys.fold(ConfigDef::new(), |def, key| def.define(key).expect("framework keys are defined once"))
}

/// The framework's converter keys default to the worker's converters, as Kafka 4.4 shows them
/// (the connector runs with those when it names none).
fn with_worker_converters(def: ConfigDef, worker: &Config) -> ConfigDef {
    def.keys().iter().cloned().fold(ConfigDef::new(), |out, mut key| {
        let worker_class = match key.name.as_str() {
            "key.converter" | "value.converter" => worker.get(&key.name).cloned(),
            "header.converter" => {
                Some(worker.get(&key.name).cloned().unwrap_or_else(|| DEFAULT_HEADER_CONVERTER.to_owned()))
            }
            _ => None,
        };
        if let Some(class) = worker_class {
            key.default = Some(ConfigValue::Class(class));
        }
        out.define(key).expect("keys of a ConfigDef are distinct")
    })
}

/// Kafka recommends the installed converters for the converter keys (header converters for
/// `header.converter`), by class name.
fn recommend_converters(reports: &mut [ConfigValueReport]) {
    for report in reports {
        let kind = match report.name.as_str() {
            "key.converter" | "value.converter" => PluginType::Converter,
            "header.converter" => PluginType::HeaderConverter,
            _ => continue,
        };
        let mut classes: Vec<String> =
            BUILT_IN_PLUGINS.iter().filter(|(_, k)| *k == kind).map(|(class, _)| (*class).to_owned()).collect();
        classes.sort();
        report.recommended_values = classes;
    }
}

/// A key's definition in the REST shape (Kafka's `convertConfigKey`).
pub fn key_info(key: &ConfigKey) -> ConfigKeyInfo {
    ConfigKeyInfo {
        name: key.name.clone(),
        kind: key.config_type.name().to_owned(),
        required: key.required(),
        default_value: match &key.default {
            None | Some(ConfigValue::Null) => None,
            Some(value) => Some(value.to_string()),
        },
        importance: key.importance.name().to_owned(),
        documentation: key.doc.clone(),
        group: key.group.clone(),
        width: key.width.name().to_owned(),
        display_name: key.display_name.clone(),
        dependents: key.dependents.clone(),
        order_in_group: key.order_in_group,
    }
}

fn value_info(report: &ConfigValueReport) -> ConfigValueInfo {
    ConfigValueInfo {
        name: report.name.clone(),
        value: report.value.clone(),
        recommended_values: report.recommended_values.clone(),
        errors: report.errors.clone(),
        visible: report.visible,
    }
}

/// Kafka's `generateResult`: values without a definition first, then every key in order with its
/// value (a later report of the same key replaces an earlier one; connector keys replace framework
/// keys of the same name in place).
fn generate(name: &str, defs: &[&ConfigDef], reports: Vec<ConfigValueReport>) -> ConfigInfos {
    let mut keys: Vec<&ConfigKey> = Vec::new();
    for def in defs {
        for key in def.keys() {
            match keys.iter_mut().find(|k| k.name == key.name) {
                Some(slot) => *slot = key,
                None => keys.push(key),
            }
        }
    }
    let mut groups: Vec<String> = Vec::new();
    for group in keys.iter().filter_map(|k| k.group.as_ref()) {
        if !groups.contains(group) {
            groups.push(group.clone());
        }
    }
    let mut by_name: BTreeMap<&str, &ConfigValueReport> = BTreeMap::new();
    for report in &reports {
        by_name.insert(&report.name, report);
    }
    let mut configs = Vec::new();
    let mut error_count = 0;
    for report in by_name.values().filter(|r| !keys.iter().any(|k| k.name == r.name)) {
        error_count += report.errors.len();
        configs.push(ConfigInfo { definition: None, value: Some(value_info(report)) });
    }
    for key in &keys {
        let value = by_name.get(key.name.as_str()).map(|r| {
            error_count += r.errors.len();
            value_info(r)
        });
        configs.push(ConfigInfo { definition: Some(key_info(key)), value });
    }
    ConfigInfos { name: name.to_owned(), error_count, groups, configs }
}

/// Kafka's exactly-once checks of a source connector config on a worker of a cluster, with its
/// words: `exactly.once.support=required` needs the worker's support and the connector's word
/// that it supports exactly once; `transaction.boundary=connector` needs the connector's word that
/// its tasks define boundaries. Each check runs only when its key passed its own validation.
fn exactly_once_errors(
    connector: &dyn Connector,
    config: &Config,
    reports: &[ConfigValueReport],
    worker_enabled: bool,
) -> Vec<(&'static str, String)> {
    let valid = |key: &str| reports.iter().find(|r| r.name == key).is_some_and(|r| r.errors.is_empty());
    let unexpected = |e: Error| {
        let message = e.to_string();
        let message = message.trim();
        if message.is_empty() {
            "An unexpected error occurred during validation; please see the worker logs for more details.".to_owned()
        } else {
            format!("An unexpected error occurred during validation: {message}")
        }
    };
    let mut errors = Vec::new();
    let Ok(source) = SourceConfig::parse(config) else { return errors };
    if valid("exactly.once.support") && source.exactly_once == ExactlyOnceLevel::Required {
        if !worker_enabled {
            errors.push((
                "exactly.once.support",
                "This worker does not have exactly-once source support enabled.".to_owned(),
            ));
        }
        match connector.exactly_once_support(config) {
            Ok(Some(true)) => {}
            Ok(Some(false)) => errors.push((
                "exactly.once.support",
                "The connector does not support exactly-once semantics with the provided configuration.".to_owned(),
            )),
            Ok(None) => errors.push((
                "exactly.once.support",
                "The connector does not implement the API required for preflight validation of exactly-once source \
                 support. Please consult the documentation for the connector to determine whether it supports \
                 exactly-once semantics, and then consider reconfiguring the connector to use the value \"requested\" \
                 for this property (which will disable this preflight check and allow the connector to be created)."
                    .to_owned(),
            )),
            Err(e) => errors.push(("exactly.once.support", unexpected(e))),
        }
    }
    if valid("transaction.boundary") && source.boundary == TransactionBoundary::Connector {
        match connector.can_define_transaction_boundaries(config) {
            Ok(Some(true)) => {}
            Ok(Some(false)) => errors.push((
                "transaction.boundary",
                "The connector does not support connector-defined transaction boundaries with the given \
                 configuration. Please reconfigure it to use a different transaction boundary definition."
                    .to_owned(),
            )),
            Ok(None) => errors.push((
                "transaction.boundary",
                "This connector has returned a null value from its canDefineTransactionBoundaries method, which is \
                 not permitted. The connector will be treated as if it cannot define its own transaction boundaries, \
                 and cannot be configured with 'transaction.boundary' set to 'connector'."
                    .to_owned(),
            )),
            Err(e) => errors.push(("transaction.boundary", unexpected(e))),
        }
    }
    errors
}

fn add_error(reports: &mut Vec<ConfigValueReport>, key: &str, error: String) {
    match reports.iter_mut().find(|r| r.name == key) {
        Some(report) => report.errors.push(error),
        None => reports.push(ConfigValueReport::undefined(key, vec![error])),
    }
}

impl Herder {
    /// Validates a connector config (`PUT /connector-plugins/{plugin}/config/validate`).
    pub fn validate(&self, raw: &RawConfig) -> Result<ConfigInfos> {
        let class = match raw.get("connector.class") {
            Some(Some(class)) => class.clone(),
            _ => {
                // Kafka 4.4's words (measured against it); its validate endpoint wraps them in a 500.
                return Err(Error::BadRequest("Connector config contains no connector type".into()));
            }
        };
        let given: Config = raw.iter().filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v))).collect();
        // Kafka validates what the connector would be given: placeholders resolved.
        let resolved = self.worker().config().config_providers.resolve(&given)?;
        let loaded = self.worker().plugin_loader().load_connector(&class);
        let kind = loaded.as_ref().ok().map(|c| c.kind());
        let framework = with_worker_converters(framework_config_def(kind), &self.worker().config().props);
        let mut reports = framework.validate_all(&resolved);
        recommend_converters(&mut reports);
        let mut connector_def = ConfigDef::new();
        match &loaded {
            Ok(connector) => {
                connector_def = connector.config_def()?;
                reports.extend(connector.validate(&resolved)?);
            }
            Err(e) => {
                let reason = crate::config::config_error_message(e);
                let message = format!("Invalid value {class} for configuration connector.class: {reason}");
                add_error(&mut reports, "connector.class", message);
            }
        }
        // Kafka's DistributedHerder.validateSourceConnectorConfig: exactly-once checks, which a
        // standalone worker does not make.
        if let (Ok(connector), Some(ConnectorKind::Source), Some(_)) = (&loaded, kind, self.cluster()) {
            let enabled = self.worker().config().exactly_once.is_some();
            for (key, message) in exactly_once_errors(connector.as_ref(), &resolved, &reports, enabled) {
                add_error(&mut reports, key, message);
            }
        }
        // Kafka's SinkConnectorConfig.validate: the checks across keys (topics vs topics.regex, DLQ).
        if kind == Some(ConnectorKind::Sink) {
            for (key, message) in sink_subscription_errors(&resolved) {
                add_error(&mut reports, key, message);
            }
        }
        for (key, value) in raw {
            if value.is_none() {
                add_error(&mut reports, key, NULL_VALUE.to_owned());
            }
        }
        self.check_converters(&resolved, &mut reports);
        // Kafka's `ConnectorConfig.enrich`: a group per transform and predicate alias.
        let transform_loader = self.worker().plugin_loader().transform_loader();
        let enriched = crate::transforms::validate::enrich(&resolved, transform_loader.as_deref());
        reports.extend(enriched.reports);
        for (key, error) in enriched.errors {
            add_error(&mut reports, &key, error);
        }
        // A value that came from a placeholder is shown as the placeholder, never as the secret.
        for report in &mut reports {
            if let Some(Some(raw_value)) = raw.get(&report.name) {
                let hidden = report.value.as_deref() == Some("[hidden]");
                if crate::config::providers::has_placeholder(raw_value) && report.value.is_some() && !hidden {
                    report.value = Some(raw_value.clone());
                }
            }
        }
        // Our `ferroconnect.restart.*` keys, in a group of their own, only when the config names
        // one: a Kafka-style config validates exactly as in Kafka Connect.
        let restart_def =
            if auto_restart::mentions_keys(&resolved) { auto_restart::config_def().clone() } else { ConfigDef::new() };
        reports.extend(restart_def.validate_all(&resolved));
        Ok(generate(&class, &[&framework, &enriched.def, &restart_def, &connector_def], reports))
    }

    /// Builds each converter the connector config names, reporting what fails.
    fn check_converters(&self, config: &Config, reports: &mut Vec<ConfigValueReport>) {
        for key in ["key.converter", "value.converter", "header.converter"] {
            let Some(class) = config.get(key) else { continue };
            let settings = prefixed(config, &format!("{key}."));
            let outcome = match key {
                "header.converter" => header_converter_for(class, &settings).map(drop),
                _ => converter_for(class, &settings, key == "key.converter").map(drop),
            };
            if let Err(e) = outcome {
                add_error(reports, key, crate::config::config_error_message(&e));
            }
        }
    }

    /// The installed plugins (`GET /connector-plugins`): connectors, and with
    /// `connectors_only = false` the built-in converters too.
    pub fn plugins(&self, connectors_only: bool) -> Result<Vec<PluginInfo>> {
        let mut plugins = self.worker().plugin_loader().connector_plugins()?;
        if !connectors_only {
            plugins.extend(BUILT_IN_PLUGINS.iter().map(|(class, kind)| PluginDesc {
                class: (*class).to_owned(),
                kind: *kind,
                version: crate::version().to_owned(),
            }));
            let loader = self.worker().plugin_loader().transform_loader();
            plugins.extend(transforms::config::plugins(loader.as_deref()));
        }
        // Kafka's order: sinks, sources, transformations, predicates, converters, header
        // converters, each by class name (measured against Java Connect 4.4.0).
        let rank = |kind: PluginType| match kind {
            PluginType::Sink => 0,
            PluginType::Source => 1,
            PluginType::Transformation => 2,
            PluginType::Predicate => 3,
            PluginType::Converter => 4,
            PluginType::HeaderConverter => 5,
        };
        plugins.sort_by(|a, b| (rank(a.kind), &a.class).cmp(&(rank(b.kind), &b.class)));
        plugins.dedup();
        Ok(plugins
            .into_iter()
            .map(|p| PluginInfo {
                class: p.class,
                kind: p.kind.as_str().to_owned(),
                version: (p.version != "undefined").then_some(p.version),
            })
            .collect())
    }

    /// The class a `{plugin}` path names: its full name, its simple name, or its alias (simple
    /// name without the `Connector` suffix), as Kafka's plugin lookup accepts.
    fn find_plugin(&self, plugin: &str) -> Result<Option<PluginDesc>> {
        let simple = |class: &str| class.rsplit('.').next().unwrap_or(class).to_owned();
        let matches = |class: &str| {
            let s = simple(class);
            class == plugin || s == plugin || s.strip_suffix("Connector") == Some(plugin)
        };
        let known = self.worker().plugin_loader().connector_plugins()?;
        if let Some(found) = known.into_iter().find(|p| matches(&p.class)) {
            return Ok(Some(found));
        }
        // Transforms and predicates answer to their full name, and to their simple name unless
        // they are nested classes (`InsertField$Value`: Kafka's alias would be the ambiguous `Value`).
        let loader = self.worker().plugin_loader().transform_loader();
        let transform = transforms::config::plugins(loader.as_deref())
            .into_iter()
            .find(|p| p.class == plugin || (!p.class.contains('$') && simple(&p.class) == plugin));
        if transform.is_some() {
            return Ok(transform);
        }
        if let Ok(connector) = self.worker().plugin_loader().load_connector(plugin) {
            let kind = connector.kind().into();
            return Ok(Some(PluginDesc { class: plugin.to_owned(), kind, version: connector.version() }));
        }
        Ok(BUILT_IN_PLUGINS.iter().find(|(class, _)| matches(class)).map(|(class, kind)| PluginDesc {
            class: (*class).to_owned(),
            kind: *kind,
            version: String::new(),
        }))
    }

    /// The config keys of a plugin (`GET /connector-plugins/{plugin}/config`): the plugin's own
    /// keys first, then the framework's that it does not redefine.
    pub fn plugin_config(&self, plugin: &str) -> Result<Vec<ConfigKeyInfo>> {
        let found = self.find_plugin(plugin)?.ok_or_else(|| Error::NotFound(format!("Unknown plugin {plugin}.")))?;
        let kind = match found.kind {
            PluginType::Source => ConnectorKind::Source,
            PluginType::Sink => ConnectorKind::Sink,
            // A transform's or predicate's own ConfigDef, as Kafka shows it.
            PluginType::Transformation | PluginType::Predicate => {
                let kind = match found.kind {
                    PluginType::Predicate => transforms::config::Kind::Predicate,
                    _ => transforms::config::Kind::Transformation,
                };
                let loader = self.worker().plugin_loader().transform_loader();
                let def = transforms::config::config_def(kind, &found.class, loader.as_deref())
                    .unwrap_or_else(|| Ok(ConfigDef::new()))?;
                return Ok(def.keys().iter().map(key_info).collect());
            }
            // Our converters take their settings from the connector or worker config: no ConfigDef.
            _ => return Ok(Vec::new()),
        };
        let own = self.worker().plugin_loader().load_connector(&found.class)?.config_def()?;
        let framework = framework_config_def(Some(kind));
        let mut keys: Vec<ConfigKeyInfo> = own.keys().iter().map(key_info).collect();
        keys.extend(framework.keys().iter().filter(|k| own.key(&k.name).is_none()).map(key_info));
        Ok(keys)
    }

    /// Whether a validate request's `connector.class` matches its `{plugin}` path (Kafka compares
    /// the names without their `Connector` suffix, by suffix).
    pub fn plugin_matches(plugin: &str, class: &str) -> bool {
        let normalized = |name: &str| {
            if name.len() > "Connector".len() {
                name.strip_suffix("Connector").unwrap_or(name).to_owned()
            } else {
                name.to_owned()
            }
        };
        normalized(class).ends_with(&normalized(plugin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ConfigType, Importance};

    #[test]
    fn generate_puts_undefined_values_first_and_counts_errors() {
        let framework = framework_config_def(Some(ConnectorKind::Source));
        let own = ConfigDef::new()
            .define(ConfigKey::new("file", ConfigType::String, None, Importance::High, "File."))
            .unwrap();
        let config: Config = [("connector.class".to_owned(), "x.Y".to_owned())].into();
        let mut reports = framework.validate_all(&config);
        reports.extend(own.validate_all(&config));
        reports.push(ConfigValueReport::undefined("odd", vec!["bad".into()]));
        let infos = generate("x.Y", &[&framework, &own], reports);
        assert_eq!(infos.name, "x.Y");
        assert_eq!(infos.configs[0].definition, None);
        // name (missing), file (missing), odd.
        assert_eq!(infos.error_count, 3, "{infos:#?}");
        // Kafka's framework groups, `Transforms` and `Predicates` included even when unused, then a
        // source's (Kafka's `Topic Creation` between them is not built).
        let groups = ["Common", "Transforms", "Predicates", "Error Handling", "Exactly Once Support", "offsets.topic"];
        assert_eq!(infos.groups, groups);
        let tasks_max = infos.configs.iter().find(|c| c.value.as_ref().is_some_and(|v| v.name == "tasks.max")).unwrap();
        let definition = tasks_max.definition.as_ref().unwrap();
        assert_eq!((definition.order_in_group, definition.default_value.as_deref()), (3, Some("1")));
    }

    #[test]
    fn plugin_names_match_as_kafka_normalizes_them() {
        assert!(Herder::plugin_matches("FileStreamSource", "org.apache.kafka.connect.file.FileStreamSourceConnector"));
        assert!(Herder::plugin_matches("FileStreamSourceConnector", "x.FileStreamSource"));
        assert!(!Herder::plugin_matches("Other", "x.FileStreamSource"));
    }
}
