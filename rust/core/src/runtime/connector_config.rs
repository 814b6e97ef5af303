//! The framework's keys of every connector config (Kafka Connect's `ConnectorConfig`).

use std::sync::OnceLock;

use std::collections::BTreeMap;

use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Validator};
use crate::error::{Error, Result};
use crate::errors::ErrorSettings;
use crate::kafka::consumer::Subscription;
use crate::runtime::plugin::Config;

/// The framework keys, parsed.
#[derive(Debug, Clone)]
pub struct ConnectorConfig {
    pub name: String,
    pub connector_class: String,
    pub tasks_max: usize,
    pub tasks_max_enforce: bool,
    /// Every framework key, typed (for the `errors.*` settings).
    pub values: BTreeMap<String, ConfigValue>,
}

impl ConnectorConfig {
    /// The `errors.*` settings.
    pub fn error_settings(&self) -> ErrorSettings {
        ErrorSettings::from_values(&self.values)
    }
}

/// A sink connector's own framework keys (Kafka Connect's `SinkConnectorConfig`), parsed.
#[derive(Debug, Clone)]
pub struct SinkConfig {
    pub subscription: Subscription,
    pub errors: ErrorSettings,
}

/// The framework keys of sink connectors: the common ones plus `topics`, `topics.regex` and the
/// dead letter queue's.
pub fn sink_config_def() -> &'static ConfigDef {
    static DEF: OnceLock<ConfigDef> = OnceLock::new();
    DEF.get_or_init(|| {
        let s = |v: &str| Some(ConfigValue::String(v.to_owned()));
        let keys = [
            ConfigKey::new("topics", ConfigType::List, Some(ConfigValue::List(vec![])), Importance::High, "List of topics to consume, separated by commas."),
            ConfigKey::new("topics.regex", ConfigType::String, s(""), Importance::High, "Regular expression giving topics to consume. Topics created later that match it are consumed too."),
            ConfigKey::new("errors.deadletterqueue.topic.name", ConfigType::String, s(""), Importance::Medium, "The name of the topic to be used as the dead letter queue (DLQ) for messages that result in an error when processed by this sink connector, or its transformations or converters. The topic name is blank by default, which means that no messages are to be recorded in the DLQ."),
            ConfigKey::new("errors.deadletterqueue.topic.replication.factor", ConfigType::Short, Some(ConfigValue::Short(3)), Importance::Medium, "Replication factor used to create the dead letter queue topic when it doesn't already exist."),
            ConfigKey::new("errors.deadletterqueue.context.headers.enable", ConfigType::Boolean, Some(ConfigValue::Boolean(false)), Importance::Medium, "If true, add headers containing error context to the messages written to the dead letter queue."),
        ];
        keys.into_iter().try_fold(connector_config_def().clone(), ConfigDef::define).expect("sink keys are defined once")
    })
}

impl SinkConfig {
    /// Parses a sink connector's config; errors as Kafka Connect words them.
    pub fn parse(config: &Config) -> Result<Self> {
        let values = sink_config_def().parse(config)?;
        let topics = match &values["topics"] {
            ConfigValue::List(topics) => topics.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect(),
            _ => Vec::new(),
        };
        let regex = match &values["topics.regex"] {
            ConfigValue::String(r) => r.trim().to_owned(),
            _ => String::new(),
        };
        if let Some((key, message)) = sink_subscription_errors(config).into_iter().next() {
            return Err(Error::config(key, message));
        }
        let subscription = if regex.is_empty() { Subscription::Topics(topics) } else { Subscription::Pattern(regex) };
        let errors = ErrorSettings::from_values(&values);
        Ok(SinkConfig { subscription, errors })
    }
}

/// The checks across a sink's keys (Kafka's `SinkConnectorConfig.validate`): `topics` against
/// `topics.regex`, and the dead letter queue against both. Each failure is given on every key it
/// concerns, with Kafka's words; they are independent of the other keys' own errors.
pub fn sink_subscription_errors(config: &Config) -> Vec<(&'static str, String)> {
    let text = |key: &str| config.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
    let (topics, regex) = (text("topics"), text("topics.regex"));
    let mut errors = Vec::new();
    let both = |message: &str| [("topics", message.to_owned()), ("topics.regex", message.to_owned())];
    match (topics, regex) {
        (Some(_), Some(_)) => {
            errors.extend(both("topics and topics.regex are mutually exclusive options, but both are set."))
        }
        (None, None) => errors.extend(both("Must configure one of topics or topics.regex")),
        _ => {}
    }
    if let Some(dlq) = text("errors.deadletterqueue.topic.name") {
        let list: Vec<&str> =
            topics.map(|t| t.split(',').map(str::trim).filter(|t| !t.is_empty()).collect()).unwrap_or_default();
        if list.contains(&dlq) {
            // Java prints the list as `[a, b]`.
            errors.push((
                "topics",
                format!(
                    "The DLQ topic '{dlq}' may not be included in the list of topics ('topics=[{}]') consumed by the connector",
                    list.join(", ")
                ),
            ));
        }
        let matches =
            regex.and_then(|r| regex::Regex::new(&format!("^(?:{r})$")).ok()).is_some_and(|r| r.is_match(dlq));
        if matches {
            errors.push((
                "topics.regex",
                format!(
                    "The DLQ topic '{dlq}' may not be matched by the regex for the topics ('topics.regex={}') consumed by the connector",
                    regex.unwrap_or_default()
                ),
            ));
        }
    }
    errors
}

/// Whether a source connector asks for exactly-once delivery (`exactly.once.support`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExactlyOnceLevel {
    /// Exactly once when the worker provides it, without asking the connector first.
    Requested,
    /// The connector must say it supports exactly once with this config, or validation fails.
    Required,
}

/// When an exactly-once source task commits its transaction (`transaction.boundary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionBoundary {
    /// After every batch the task polls.
    Poll,
    /// Every `transaction.boundary.interval.ms` (default `offset.flush.interval.ms`).
    Interval,
    /// When the task asks, through its transaction context.
    Connector,
}

/// A source connector's own framework keys (Kafka Connect's `SourceConnectorConfig`), parsed.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub exactly_once: ExactlyOnceLevel,
    pub boundary: TransactionBoundary,
    /// `transaction.boundary.interval.ms`; `None` falls back to the worker's flush interval.
    pub boundary_interval: Option<std::time::Duration>,
    /// `offsets.storage.topic`: the connector's own offsets topic, if any.
    pub offsets_topic: Option<String>,
}

/// The framework keys of source connectors: the common ones plus KIP-618's (exactly-once support,
/// transaction boundaries and the connector's own offsets topic). Kafka defines them in both modes;
/// only a distributed worker with `exactly.once.source.support=enabled` acts on the first three.
pub fn source_config_def() -> &'static ConfigDef {
    static DEF: OnceLock<ConfigDef> = OnceLock::new();
    DEF.get_or_init(|| {
        let s = |v: &str| Some(ConfigValue::String(v.to_owned()));
        let one_of = |allowed: &[&str]| Validator::ValidString {
            allowed: allowed.iter().map(|a| (*a).to_owned()).collect(),
            case_sensitive: false,
        };
        let keys = [
            ConfigKey::new("exactly.once.support", ConfigType::String, s("requested"), Importance::Medium, "Permitted values are requested, required. If set to \"required\", forces a preflight check for the connector to ensure that it can provide exactly-once semantics with the given configuration. Some connectors may be capable of providing exactly-once semantics but not signal to Connect that they support this; in that case, documentation for the connector should be consulted carefully before creating it, and the value for this property should be set to \"requested\". Additionally, if the value is set to \"required\" but the worker that performs preflight validation does not have exactly-once support enabled for source connectors, requests to create or validate the connector will fail.")
                .with_validator(one_of(&["requested", "required"])),
            ConfigKey::new("transaction.boundary", ConfigType::String, s("poll"), Importance::Medium, "Permitted values are: poll, interval, connector. If set to 'poll', a new producer transaction will be started and committed for every batch of records that each task from this connector provides to Connect. If set to 'connector', relies on connector-defined transaction boundaries; note that not all connectors are capable of defining their own transaction boundaries, and in that case, attempts to instantiate a connector with this value will fail. Finally, if set to 'interval', commits transactions only after a user-defined time interval has passed.")
                .with_validator(one_of(&["poll", "interval", "connector"])),
            ConfigKey::new("transaction.boundary.interval.ms", ConfigType::Long, Some(ConfigValue::Null), Importance::Low, "If 'transaction.boundary' is set to 'interval', determines the interval for producer transaction commits by connector tasks. If unset, defaults to the value of the worker-level 'offset.flush.interval.ms' property. It has no effect if a different transaction.boundary is specified.")
                .with_validator(Validator::Range { min: Some(0.0), max: None }),
            ConfigKey::new("offsets.storage.topic", ConfigType::String, Some(ConfigValue::Null), Importance::Low, "The name of a separate offsets topic to use for this connector. If empty or not specified, the worker's global offsets topic name will be used. Only applicable in distributed mode; in standalone mode, setting this property will have no effect.")
                .with_validator(Validator::NonEmptyString),
        ];
        keys.into_iter().try_fold(connector_config_def().clone(), ConfigDef::define).expect("source keys are defined once")
    })
}

impl SourceConfig {
    /// Parses a source connector's config; errors as Kafka Connect words them.
    pub fn parse(config: &Config) -> Result<Self> {
        let values = source_config_def().parse(config)?;
        let text = |key: &str| match &values[key] {
            ConfigValue::String(s) => Some(s.trim().to_ascii_lowercase()),
            _ => None,
        };
        let exactly_once = match text("exactly.once.support").as_deref() {
            Some("required") => ExactlyOnceLevel::Required,
            _ => ExactlyOnceLevel::Requested,
        };
        let boundary = match text("transaction.boundary").as_deref() {
            Some("interval") => TransactionBoundary::Interval,
            Some("connector") => TransactionBoundary::Connector,
            _ => TransactionBoundary::Poll,
        };
        let boundary_interval = match values["transaction.boundary.interval.ms"] {
            ConfigValue::Long(ms) => Some(std::time::Duration::from_millis(ms.max(0) as u64)),
            _ => None,
        };
        let offsets_topic = match &values["offsets.storage.topic"] {
            ConfigValue::String(t) if !t.trim().is_empty() => Some(t.trim().to_owned()),
            _ => None,
        };
        Ok(SourceConfig { exactly_once, boundary, boundary_interval, offsets_topic })
    }
}

/// Kafka Connect's common connector keys, defined once (REST validation reuses them).
pub fn connector_config_def() -> &'static ConfigDef {
    static DEF: OnceLock<ConfigDef> = OnceLock::new();
    DEF.get_or_init(|| {
        let s = |v: &str| Some(ConfigValue::String(v.to_owned()));
        let keys = [
            ConfigKey::new("name", ConfigType::String, None, Importance::High, "Globally unique name to use for this connector.")
                .with_validator(Validator::NonEmptyStringWithoutControlChars),
            ConfigKey::new(
                "connector.class",
                ConfigType::String,
                None,
                Importance::High,
                "Name or alias of the class for this connector: a Python class path, or an entry point name.",
            ),
            ConfigKey::new("tasks.max", ConfigType::Int, Some(ConfigValue::Int(1)), Importance::High, "Maximum number of tasks to use for this connector.")
                .with_validator(Validator::Range { min: Some(1.0), max: None }),
            ConfigKey::new(
                "tasks.max.enforce",
                ConfigType::Boolean,
                Some(ConfigValue::Boolean(true)),
                Importance::Low,
                "(Deprecated) Whether to fail the connector when it generates more tasks than tasks.max.",
            ),
            ConfigKey::new("key.converter", ConfigType::Class, Some(ConfigValue::Null), Importance::Low, "Converter for record keys; overrides the worker's."),
            ConfigKey::new("value.converter", ConfigType::Class, Some(ConfigValue::Null), Importance::Low, "Converter for record values; overrides the worker's."),
            ConfigKey::new("header.converter", ConfigType::Class, Some(ConfigValue::Null), Importance::Low, "Converter for record headers; overrides the worker's."),
            ConfigKey::new("transforms", ConfigType::List, Some(ConfigValue::List(vec![])), Importance::Low, "Aliases for the transformations to be applied to records."),
            ConfigKey::new("predicates", ConfigType::List, Some(ConfigValue::List(vec![])), Importance::Low, "Aliases for the predicates used by transformations."),
            ConfigKey::new("errors.retry.timeout", ConfigType::Long, Some(ConfigValue::Long(0)), Importance::Medium, "Maximum duration in milliseconds that a failed operation will be reattempted; -1 for infinite."),
            ConfigKey::new("errors.retry.delay.max.ms", ConfigType::Long, Some(ConfigValue::Long(60_000)), Importance::Medium, "Maximum duration in milliseconds between consecutive retry attempts."),
            ConfigKey::new("errors.tolerance", ConfigType::String, s("none"), Importance::Medium, "Behavior for tolerating errors: 'none' fails the task on the first error, 'all' skips problematic records.")
                .with_validator(Validator::ValidString { allowed: vec!["none".into(), "all".into()], case_sensitive: false }),
            ConfigKey::new("errors.log.enable", ConfigType::Boolean, Some(ConfigValue::Boolean(false)), Importance::Medium, "Log each error with the failed operation and record."),
            ConfigKey::new("errors.log.include.messages", ConfigType::Boolean, Some(ConfigValue::Boolean(false)), Importance::Medium, "Include the failed record in the error log."),
        ];
        keys.into_iter().try_fold(ConfigDef::new(), ConfigDef::define).expect("framework keys are defined once")
    })
}

impl ConnectorConfig {
    /// Parses and checks the framework keys of a connector config.
    pub fn parse(config: &Config) -> Result<Self> {
        let values = connector_config_def().parse(config)?;
        let string = |k: &str| match &values[k] {
            ConfigValue::String(s) => s.clone(),
            other => other.to_string(),
        };
        let connector_class = string("connector.class");
        if connector_class.is_empty() {
            return Err(Error::config("connector.class", "must name a connector class"));
        }
        Ok(ConnectorConfig {
            name: string("name"),
            connector_class,
            tasks_max: match values["tasks.max"] {
                ConfigValue::Int(n) => n as usize,
                _ => 1,
            },
            tasks_max_enforce: values["tasks.max.enforce"] == ConfigValue::Boolean(true),
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    // Kafka 4.4's SinkConnectorConfig.validate, as Java Connect answered the REST differential.
    #[test]
    fn a_sink_subscription_error_is_given_on_both_keys() {
        let none = sink_subscription_errors(&config(&[("errors.tolerance", "bogus")]));
        let message = "Must configure one of topics or topics.regex";
        assert_eq!(none, vec![("topics", message.to_owned()), ("topics.regex", message.to_owned())]);
        let both = sink_subscription_errors(&config(&[("topics", "a"), ("topics.regex", "b.*")]));
        assert_eq!(both.iter().map(|(k, _)| *k).collect::<Vec<_>>(), ["topics", "topics.regex"]);
    }

    #[test]
    fn the_dead_letter_queue_may_not_be_consumed() {
        let listed =
            sink_subscription_errors(&config(&[("topics", "a, dlq"), ("errors.deadletterqueue.topic.name", "dlq")]));
        assert_eq!(
            listed,
            vec![(
                "topics",
                "The DLQ topic 'dlq' may not be included in the list of topics ('topics=[a, dlq]') consumed by the connector"
                    .to_owned()
            )]
        );
        let matched =
            sink_subscription_errors(&config(&[("topics.regex", "d.*"), ("errors.deadletterqueue.topic.name", "dlq")]));
        assert_eq!(matched.len(), 1);
        assert_eq!(matched[0].0, "topics.regex");
        assert!(sink_subscription_errors(&config(&[
            ("topics.regex", "d"),
            ("errors.deadletterqueue.topic.name", "dlq")
        ]))
        .is_empty());
    }
}
