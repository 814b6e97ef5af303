//! A distributed worker's keys (Kafka Connect's `DistributedConfig`), with Kafka's names,
//! defaults and checks, so that one worker properties file drives a Java worker and ours.

use std::sync::OnceLock;
use std::time::Duration;

use super::security::Security;
use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Validator};
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;

/// The settings of a worker of a cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributedConfig {
    pub group_id: String,
    pub config_topic: String,
    pub config_replication_factor: i16,
    pub offset_topic: String,
    pub offset_partitions: i32,
    pub offset_replication_factor: i16,
    pub status_topic: String,
    pub status_partitions: i32,
    pub status_replication_factor: i16,
    /// `eager`, `compatible` or `sessioned` (lower case).
    pub connect_protocol: String,
    pub scheduled_rebalance_max_delay: Duration,
    pub session_timeout: Duration,
    pub heartbeat_interval: Duration,
    pub rebalance_timeout: Duration,
    pub worker_sync_timeout: Duration,
    pub worker_unsync_backoff: Duration,
    pub request_timeout: Duration,
    pub retry_backoff: Duration,
    pub inter_worker_key_ttl: Duration,
    pub inter_worker_key_generation_algorithm: String,
    pub inter_worker_key_size: Option<i32>,
    pub inter_worker_signature_algorithm: String,
    pub inter_worker_verification_algorithms: Vec<String>,
    /// `disabled`, `preparing` or `enabled` (lower case). Exactly-once sources are not built yet:
    /// any value is accepted and checked, and the runtime runs at-least-once (see
    /// docs/compatibility.md).
    pub exactly_once_source_support: String,
    /// The group client's `security.protocol`, `ssl.*` and `sasl.*` (librdkafka's names).
    pub security: Security,
}

/// The MAC algorithms this worker can sign and verify with (Java's JVM offers more; these are
/// what Kafka Connect uses by default and what a mixed cluster needs).
pub const MAC_ALGORITHMS: [&str; 1] = ["HmacSHA256"];

fn int(name: &str, default: i32, min: Option<f64>, doc: &str) -> ConfigKey {
    let key = ConfigKey::new(name, ConfigType::Int, Some(ConfigValue::Int(default)), Importance::Low, doc);
    match min {
        Some(min) => key.with_validator(Validator::Range { min: Some(min), max: Some(f64::from(i32::MAX)) }),
        None => key,
    }
}

fn string(name: &str, default: Option<&str>, doc: &str) -> ConfigKey {
    let default = default.map(|d| ConfigValue::String(d.to_owned()));
    ConfigKey::new(name, ConfigType::String, default, Importance::High, doc)
}

fn one_of(values: &[&str]) -> Validator {
    Validator::ValidString { allowed: values.iter().map(|v| (*v).to_owned()).collect(), case_sensitive: false }
}

/// Kafka's replication-factor check: positive, or -1 for the broker's default (KIP-464).
fn replication_factor(name: &str) -> ConfigKey {
    let check = |_: &str, value: &ConfigValue| match value {
        ConfigValue::Short(v) if *v < 1 && *v != -1 => {
            Err("Replication factor must be positive and not larger than the number of brokers in the Kafka \
                 cluster, or -1 to use the broker's default"
                .to_owned())
        }
        _ => Ok(()),
    };
    ConfigKey::new(
        name,
        ConfigType::Short,
        Some(ConfigValue::Short(3)),
        Importance::Low,
        "Replication factor used when creating the topic; -1 for the broker's default.",
    )
    .with_validator(Validator::Custom(std::sync::Arc::new(check)))
}

/// Kafka's partition-count check: positive, or -1 for the broker's default.
fn partitions(name: &str, default: i32) -> ConfigKey {
    let check = |_: &str, value: &ConfigValue| match value {
        ConfigValue::Int(v) if *v < 1 && *v != -1 => {
            Err("Number of partitions must be positive, or -1 to use the broker's default".to_owned())
        }
        _ => Ok(()),
    };
    int(name, default, None, "The number of partitions used when creating the topic; -1 for the broker's default.")
        .with_validator(Validator::Custom(std::sync::Arc::new(check)))
}

fn mac_algorithm(_: &str, value: &ConfigValue) -> std::result::Result<(), String> {
    let names: Vec<String> = match value {
        ConfigValue::String(s) => vec![s.clone()],
        ConfigValue::List(items) if items.is_empty() => {
            return Err("At least one signature verification algorithm must be provided".to_owned())
        }
        ConfigValue::List(items) => items.clone(),
        _ => return Ok(()),
    };
    match names.iter().find(|n| !MAC_ALGORITHMS.contains(&n.as_str())) {
        Some(bad) => Err(format!("the algorithm '{bad}' is not supported; supported: {}", MAC_ALGORITHMS.join(", "))),
        None => Ok(()),
    }
}

/// The distributed worker's own keys (the common worker keys are checked by `WorkerConfig`).
pub fn distributed_config_def() -> &'static ConfigDef {
    static DEF: OnceLock<ConfigDef> = OnceLock::new();
    DEF.get_or_init(|| {
        let mac = || Validator::Custom(std::sync::Arc::new(mac_algorithm));
        let keys = [
            string("group.id", None, "A unique string that identifies the Connect cluster group this worker belongs to."),
            int("session.timeout.ms", 10_000, None, "The timeout used to detect worker failures."),
            int("rebalance.timeout.ms", 60_000, None, "The maximum allowed time for each worker to join the group once a rebalance has begun."),
            int("heartbeat.interval.ms", 3_000, None, "The expected time between heartbeats to the group coordinator."),
            string("exactly.once.source.support", Some("disabled"), "Whether to enable exactly-once support for source connectors in the cluster.")
                .with_validator(one_of(&["disabled", "enabled", "preparing"])),
            int("request.timeout.ms", 40_000, Some(0.0), "The maximum amount of time the client will wait for the response of a request."),
            ConfigKey::new("retry.backoff.ms", ConfigType::Long, Some(ConfigValue::Long(100)), Importance::Low, "The amount of time to wait before attempting to retry a failed request.")
                .with_validator(Validator::Range { min: Some(0.0), max: None }),
            int("worker.sync.timeout.ms", 3_000, None, "How long a worker waits to catch up with the config topic before it leaves the group."),
            int("worker.unsync.backoff.ms", 300_000, None, "How long a worker that could not catch up waits before it rejoins."),
            string("offset.storage.topic", None, "The name of the Kafka topic where source connector offsets are stored."),
            partitions("offset.storage.partitions", 25),
            replication_factor("offset.storage.replication.factor"),
            string("config.storage.topic", None, "The name of the Kafka topic where connector configurations are stored."),
            replication_factor("config.storage.replication.factor"),
            string("status.storage.topic", None, "The name of the Kafka topic where connector and task status are stored."),
            partitions("status.storage.partitions", 5),
            replication_factor("status.storage.replication.factor"),
            string("connect.protocol", Some("sessioned"), "Compatibility mode for Kafka Connect Protocol.")
                .with_validator(one_of(&["eager", "compatible", "sessioned"])),
            int("scheduled.rebalance.max.delay.ms", 300_000, Some(0.0), "The maximum delay that is scheduled in order to wait for the return of one or more departed workers before rebalancing and reassigning their connectors and tasks."),
            int("inter.worker.key.ttl.ms", 3_600_000, Some(0.0), "The TTL of generated session keys used for internal request validation."),
            string("inter.worker.key.generation.algorithm", Some("HmacSHA256"), "The algorithm to use for generating internal request keys.")
                .with_validator(mac()),
            ConfigKey::new("inter.worker.key.size", ConfigType::Int, Some(ConfigValue::Null), Importance::Low, "The size of the key to use for signing internal requests, in bits."),
            string("inter.worker.signature.algorithm", Some("HmacSHA256"), "The algorithm used to sign internal requests.")
                .with_validator(mac()),
            ConfigKey::new("inter.worker.verification.algorithms", ConfigType::List, Some(ConfigValue::List(vec!["HmacSHA256".into()])), Importance::Low, "A list of permitted algorithms for verifying internal requests.")
                .with_validator(mac()),
        ];
        keys.into_iter().try_fold(ConfigDef::new(), ConfigDef::define).expect("distributed keys are defined once")
    })
}

impl DistributedConfig {
    /// Parses a distributed worker's properties; errors name the key as Kafka does.
    pub fn from_props(props: &Config) -> Result<Self> {
        let values = distributed_config_def().parse(props)?;
        let text = |k: &str| values[k].to_string();
        let lower = |k: &str| text(k).to_ascii_lowercase();
        let int = |k: &str| match values[k] {
            ConfigValue::Int(v) => v,
            _ => unreachable!("{k} is an INT"),
        };
        let short = |k: &str| match values[k] {
            ConfigValue::Short(v) => v,
            _ => unreachable!("{k} is a SHORT"),
        };
        let ms = |k: &str| Duration::from_millis(u64::try_from(int(k)).unwrap_or(0));
        let config = DistributedConfig {
            group_id: text("group.id"),
            config_topic: text("config.storage.topic"),
            config_replication_factor: short("config.storage.replication.factor"),
            offset_topic: text("offset.storage.topic"),
            offset_partitions: int("offset.storage.partitions"),
            offset_replication_factor: short("offset.storage.replication.factor"),
            status_topic: text("status.storage.topic"),
            status_partitions: int("status.storage.partitions"),
            status_replication_factor: short("status.storage.replication.factor"),
            connect_protocol: lower("connect.protocol"),
            scheduled_rebalance_max_delay: ms("scheduled.rebalance.max.delay.ms"),
            session_timeout: ms("session.timeout.ms"),
            heartbeat_interval: ms("heartbeat.interval.ms"),
            rebalance_timeout: ms("rebalance.timeout.ms"),
            worker_sync_timeout: ms("worker.sync.timeout.ms"),
            worker_unsync_backoff: ms("worker.unsync.backoff.ms"),
            request_timeout: ms("request.timeout.ms"),
            retry_backoff: match values["retry.backoff.ms"] {
                ConfigValue::Long(v) => Duration::from_millis(u64::try_from(v).unwrap_or(0)),
                _ => Duration::from_millis(100),
            },
            inter_worker_key_ttl: ms("inter.worker.key.ttl.ms"),
            inter_worker_key_generation_algorithm: text("inter.worker.key.generation.algorithm"),
            inter_worker_key_size: match values["inter.worker.key.size"] {
                ConfigValue::Int(v) => Some(v),
                _ => None,
            },
            inter_worker_signature_algorithm: text("inter.worker.signature.algorithm"),
            inter_worker_verification_algorithms: match &values["inter.worker.verification.algorithms"] {
                ConfigValue::List(v) => v.clone(),
                _ => Vec::new(),
            },
            exactly_once_source_support: lower("exactly.once.source.support"),
            security: Security::from_props(props)?,
        };
        config.check()?;
        Ok(config)
    }

    /// Kafka's cross-key checks (`DistributedConfig`'s constructor).
    fn check(&self) -> Result<()> {
        for (key, topic) in [
            ("config.storage.topic", &self.config_topic),
            ("offset.storage.topic", &self.offset_topic),
            ("status.storage.topic", &self.status_topic),
        ] {
            if topic.trim().is_empty() {
                return Err(Error::config(key, "must name a topic"));
            }
        }
        let topics = [&self.config_topic, &self.offset_topic, &self.status_topic];
        if topics.iter().enumerate().any(|(i, t)| topics[..i].contains(t)) {
            return Err(Error::config(
                "config.storage.topic",
                format!(
                    "config.storage.topic ({}), offset.storage.topic ({}) and status.storage.topic ({}) must \
                     name three different topics",
                    self.config_topic, self.offset_topic, self.status_topic
                ),
            ));
        }
        if !self.inter_worker_verification_algorithms.contains(&self.inter_worker_signature_algorithm) {
            return Err(Error::config(
                "inter.worker.verification.algorithms",
                format!(
                    "Signature algorithm '{}' must be present in {} list",
                    self.inter_worker_signature_algorithm, "inter.worker.verification.algorithms"
                ),
            ));
        }
        if self.heartbeat_interval >= self.session_timeout {
            return Err(Error::config(
                "heartbeat.interval.ms",
                "must be lower than session.timeout.ms (a third of it at most is usual)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn minimal() -> Vec<(&'static str, &'static str)> {
        vec![
            ("group.id", "connect-cluster"),
            ("config.storage.topic", "connect-configs"),
            ("offset.storage.topic", "connect-offsets"),
            ("status.storage.topic", "connect-status"),
        ]
    }

    #[test]
    fn kafkas_defaults() {
        let config = DistributedConfig::from_props(&props(&minimal())).unwrap();
        assert_eq!(config.connect_protocol, "sessioned");
        assert_eq!((config.offset_partitions, config.status_partitions), (25, 5));
        assert_eq!(config.config_replication_factor, 3);
        assert_eq!(config.scheduled_rebalance_max_delay, Duration::from_secs(300));
        assert_eq!(config.session_timeout, Duration::from_secs(10));
        assert_eq!(config.heartbeat_interval, Duration::from_secs(3));
        assert_eq!(config.rebalance_timeout, Duration::from_secs(60));
        assert_eq!(config.worker_sync_timeout, Duration::from_secs(3));
        assert_eq!(config.worker_unsync_backoff, Duration::from_secs(300));
        assert_eq!(config.exactly_once_source_support, "disabled");
        assert_eq!(config.inter_worker_verification_algorithms, vec!["HmacSHA256".to_owned()]);
    }

    #[test]
    fn errors_name_the_key() {
        let error = |extra: &[(&'static str, &'static str)], drop: &str| {
            let mut pairs: Vec<_> = minimal().into_iter().filter(|(k, _)| *k != drop).collect();
            pairs.extend_from_slice(extra);
            DistributedConfig::from_props(&props(&pairs)).unwrap_err().to_string()
        };
        assert!(error(&[], "group.id").contains("group.id"), "{}", error(&[], "group.id"));
        let bad_protocol = error(&[("connect.protocol", "cooperative")], "");
        assert!(bad_protocol.contains("connect.protocol") && bad_protocol.contains("cooperative"), "{bad_protocol}");
        let bad_rf = error(&[("config.storage.replication.factor", "0")], "");
        assert!(bad_rf.contains("config.storage.replication.factor"), "{bad_rf}");
        let bad_eos = error(&[("exactly.once.source.support", "sometimes")], "");
        assert!(bad_eos.contains("exactly.once.source.support"), "{bad_eos}");
        let same = error(&[("status.storage.topic", "connect-configs")], "status.storage.topic");
        assert!(same.contains("three different topics"), "{same}");
        let mac = error(&[("inter.worker.signature.algorithm", "HmacMD5")], "");
        assert!(mac.contains("inter.worker.signature.algorithm"), "{mac}");
    }

    #[test]
    fn case_insensitive_choices_and_broker_defaults() {
        let mut pairs = minimal();
        pairs.extend([
            ("connect.protocol", "EAGER"),
            ("offset.storage.replication.factor", "-1"),
            ("exactly.once.source.support", "Preparing"),
        ]);
        let config = DistributedConfig::from_props(&props(&pairs)).unwrap();
        assert_eq!(config.connect_protocol, "eager");
        assert_eq!(config.offset_replication_factor, -1);
        assert_eq!(config.exactly_once_source_support, "preparing");
    }
}
