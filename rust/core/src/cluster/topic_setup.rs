//! The internal topics of distributed mode: their settings from the worker's properties
//! (`config.storage.*`, `offset.storage.*`, `status.storage.*`, as Kafka's `DistributedConfig`)
//! and their creation at start-up (Kafka's `KafkaTopicBasedBackingStore.topicInitializer`):
//! created if missing, compacted; if present, its cleanup policy must be `compact` only.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;
use tracing::{info, warn};

use crate::error::{Error, Result};
use crate::kafka::log::QuietContext;
use crate::runtime::plugin::Config;

/// Which internal topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InternalTopic {
    Config,
    Offsets,
    Status,
}

impl InternalTopic {
    /// The worker property naming the topic (`config.storage.topic`, ...).
    pub fn topic_key(self) -> &'static str {
        match self {
            InternalTopic::Config => "config.storage.topic",
            InternalTopic::Offsets => "offset.storage.topic",
            InternalTopic::Status => "status.storage.topic",
        }
    }

    /// The prefix of the topic's worker properties.
    pub fn prefix(self) -> &'static str {
        match self {
            InternalTopic::Config => "config.storage.",
            InternalTopic::Offsets => "offset.storage.",
            InternalTopic::Status => "status.storage.",
        }
    }

    /// Kafka's default partition count (the config topic always has one).
    pub fn default_partitions(self) -> i32 {
        match self {
            InternalTopic::Config => 1,
            InternalTopic::Offsets => 25,
            InternalTopic::Status => 5,
        }
    }

    /// What the topic holds, in Kafka's words for its error messages.
    pub fn purpose(self) -> &'static str {
        match self {
            InternalTopic::Config => "connector configurations",
            InternalTopic::Offsets => "source connector offsets",
            InternalTopic::Status => "connector and task statuses",
        }
    }
}

/// How an internal topic is to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicSettings {
    pub kind: InternalTopic,
    pub name: String,
    pub partitions: i32,
    /// `-1`: the broker's default (KIP-464).
    pub replication_factor: i32,
    /// Topic configs (`<prefix>*` less `topic`, `partitions`, `replication.factor` and
    /// `cleanup.policy`); `cleanup.policy=compact` is added at creation.
    pub configs: BTreeMap<String, String>,
    /// How long a store's start-up read of the whole topic may take.
    pub read_timeout: Duration,
}

/// Kafka's default replication factor of the internal topics.
const DEFAULT_REPLICATION_FACTOR: i32 = 3;
/// How long the start-up read may take unless the caller says otherwise.
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(60);

impl TopicSettings {
    /// The settings of `kind` from worker properties; the topic's name is required.
    pub fn from_worker(kind: InternalTopic, props: &Config) -> Result<Self> {
        let prefix = kind.prefix();
        let name = props.get(kind.topic_key()).map(|n| n.trim().to_owned()).unwrap_or_default();
        if name.is_empty() {
            return Err(Error::config(kind.topic_key(), format!("Must specify topic for {}.", kind.purpose())));
        }
        let number = |suffix: &str, default: i32| -> Result<i32> {
            let key = format!("{prefix}{suffix}");
            props.get(&key).map_or(Ok(default), |v| {
                v.trim().parse::<i32>().map_err(|_| Error::config(&key, format!("expected an integer, got {v:?}")))
            })
        };
        let replication_factor = number("replication.factor", DEFAULT_REPLICATION_FACTOR)?;
        if replication_factor == 0 || replication_factor < -1 {
            return Err(Error::config(
                format!("{prefix}replication.factor"),
                "Replication factor must be positive and not larger than the number of brokers in the Kafka \
                 cluster, or -1 to use the broker's default",
            ));
        }
        let partitions = match kind {
            InternalTopic::Config => {
                if let Some(p) = props.get("config.storage.partitions") {
                    warn!(
                        "Ignoring 'config.storage.partitions={p}' setting, since config topic partitions is always 1"
                    );
                }
                1
            }
            _ => number("partitions", kind.default_partitions())?,
        };
        if partitions == 0 || partitions < -1 {
            return Err(Error::config(
                format!("{prefix}partitions"),
                "Number of partitions must be positive, or -1 to use the broker's default",
            ));
        }
        let mut configs: BTreeMap<String, String> =
            props.iter().filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_owned(), v.clone()))).collect();
        if let Some(policy) = configs.remove("cleanup.policy") {
            warn!("Ignoring '{prefix}cleanup.policy={policy}' setting, since compaction is always used");
        }
        for own in ["topic", "replication.factor", "partitions"] {
            configs.remove(own);
        }
        // Standalone's `offset.storage.file.filename` shares the prefix but is no topic config.
        configs.retain(|k, _| !k.starts_with("file."));
        Ok(TopicSettings { kind, name, partitions, replication_factor, configs, read_timeout: DEFAULT_READ_TIMEOUT })
    }

    /// Settings with Kafka's defaults for a topic named `name` (tests, tools).
    pub fn new(kind: InternalTopic, name: &str, replication_factor: i32) -> Self {
        TopicSettings {
            kind,
            name: name.to_owned(),
            partitions: kind.default_partitions(),
            replication_factor,
            configs: BTreeMap::new(),
            read_timeout: DEFAULT_READ_TIMEOUT,
        }
    }
}

/// How long each admin request (metadata, CreateTopics, DescribeConfigs) may take.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Creates the topic unless it exists; if it exists, checks that it is compacted only. A broker
/// that cannot answer CreateTopics or DescribeConfigs (librdkafka's mock cluster) gets a warning,
/// not an error, as Kafka's `TopicAdmin` treats an older broker.
pub fn ensure_topic(
    bootstrap_servers: &str,
    topic: &TopicSettings,
    admin_settings: &HashMap<String, String>,
) -> Result<()> {
    let admin: AdminClient<QuietContext> =
        crate::kafka::client_config(bootstrap_servers, admin_settings).create_with_context(QuietContext)?;
    // Metadata of all topics, so that asking never auto-creates the topic with broker defaults.
    let metadata = admin.inner().fetch_metadata(None, ADMIN_TIMEOUT).map_err(|e| {
        Error::Connector(format!("Could not list the topics of the Kafka cluster at {bootstrap_servers}: {e}"))
    })?;
    // librdkafka's mock cluster answers neither CreateTopics nor DescribeConfigs: the requests
    // wait out the whole timeout (measured: 30 s). It names itself `mockCluster<hex>`.
    if admin.inner().fetch_cluster_id(ADMIN_TIMEOUT).is_some_and(|id| id.starts_with("mockCluster")) {
        if metadata.topics().iter().any(|t| t.name() == topic.name) {
            warn!(topic = %topic.name, "the embedded mock cluster cannot describe topic configs: the topic's \
                  cleanup policy is not verified");
        } else {
            warn!(topic = %topic.name, "the embedded mock cluster cannot create topics: create the topic beforehand");
        }
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting a runtime for the admin client", e))?;
    let options = AdminOptions::new().operation_timeout(Some(ADMIN_TIMEOUT)).request_timeout(Some(ADMIN_TIMEOUT));
    if !metadata.topics().iter().any(|t| t.name() == topic.name) {
        let mut configs: Vec<(&str, &str)> = topic.configs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        configs.push(("cleanup.policy", "compact"));
        let new_topic = configs.into_iter().fold(
            NewTopic::new(&topic.name, topic.partitions, TopicReplication::Fixed(topic.replication_factor)),
            |t, (k, v)| t.set(k, v),
        );
        match runtime.block_on(admin.create_topics([&new_topic], &options)) {
            Ok(results) => {
                for result in results {
                    match result {
                        Ok(_) => {
                            info!(topic = %topic.name, "Created topic for {}", topic.kind.purpose());
                            return Ok(());
                        }
                        Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                        Err((_, code)) if unsupported(code) => {
                            warn!(topic = %topic.name, "the broker cannot create topics ({code}); the topic must \
                                  be created beforehand");
                            return Ok(());
                        }
                        Err((_, code)) => {
                            return Err(Error::Connector(format!(
                                "Unable to create topic '{}' for {}: {code}",
                                topic.name,
                                topic.kind.purpose()
                            )))
                        }
                    }
                }
            }
            Err(e) if is_unsupported(&e) => {
                warn!(topic = %topic.name, "the broker did not answer CreateTopics ({e}); the topic must be \
                      created beforehand");
                return Ok(());
            }
            Err(e) => {
                return Err(Error::Connector(format!(
                    "Unable to create topic '{}' for {}: {e}",
                    topic.name,
                    topic.kind.purpose()
                )))
            }
        }
    }
    verify_compact_only(&runtime, &admin, &options, topic)
}

/// Kafka's `TopicAdmin.verifyTopicCleanupPolicyOnlyCompact`.
fn verify_compact_only(
    runtime: &tokio::runtime::Runtime,
    admin: &AdminClient<QuietContext>,
    options: &AdminOptions,
    topic: &TopicSettings,
) -> Result<()> {
    let resource = ResourceSpecifier::Topic(&topic.name);
    let described = runtime.block_on(admin.describe_configs([&resource], options));
    let policy = match described {
        Ok(mut results) => match results.pop() {
            Some(Ok(config)) => config.get("cleanup.policy").and_then(|e| e.value.clone()),
            Some(Err(code)) => {
                info!(topic = %topic.name, "could not describe the topic's configs ({code})");
                None
            }
            None => None,
        },
        Err(e) => {
            info!(topic = %topic.name, "could not describe the topic's configs ({e})");
            None
        }
    };
    let policies = policy.as_deref().map(parse_policies).unwrap_or_default();
    if policies.is_empty() {
        warn!(
            "Unable to use admin client to verify the cleanup policy of '{}' topic is 'compact', either because \
             the broker is an older version or because the Kafka principal used for Connect internal topics does \
             not have the required permission to describe topic configurations.",
            topic.name
        );
        return Ok(());
    }
    check_policies(topic, &policies)
}

/// The policies of a `cleanup.policy` value: comma-separated, trimmed, lower case.
fn parse_policies(value: &str) -> Vec<String> {
    let mut policies: Vec<String> =
        value.split(',').map(|p| p.trim().to_lowercase()).filter(|p| !p.is_empty()).collect();
    policies.sort();
    policies.dedup();
    policies
}

/// Kafka's error unless the policies are exactly `compact`.
fn check_policies(topic: &TopicSettings, policies: &[String]) -> Result<()> {
    if policies == ["compact"] {
        return Ok(());
    }
    let (key, purpose) = (topic.kind.topic_key(), topic.kind.purpose());
    Err(Error::config(
        key,
        format!(
            "Topic '{}' supplied via the '{key}' property is required to have 'cleanup.policy=compact' to guarantee \
             consistency and durability of {purpose}, but found the topic currently has 'cleanup.policy={}'. \
             Continuing would likely result in eventually losing {purpose} and problems restarting this Connect \
             cluster in the future. Change the '{key}' property in the Connect worker configurations to use a \
             topic with 'cleanup.policy=compact'.",
            topic.name,
            policies.join(",")
        ),
    ))
}

fn unsupported(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::UnsupportedVersion
            | RDKafkaErrorCode::InvalidRequest
            | RDKafkaErrorCode::OperationTimedOut
            | RDKafkaErrorCode::RequestTimedOut
    )
}

fn is_unsupported(error: &KafkaError) -> bool {
    error.rdkafka_error_code().is_some_and(unsupported)
}

/// Kafka's check of the config topic's partition count (`KafkaConfigBackingStore.start`).
pub fn check_config_topic_partitions(topic: &str, partitions: usize) -> Result<()> {
    if partitions > 1 {
        return Err(Error::config(
            "config.storage.topic",
            format!(
                "Topic '{topic}' supplied via the 'config.storage.topic' property is required to have a single \
                 partition in order to guarantee consistency of connector configurations, but found {partitions} \
                 partitions."
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn settings_come_from_the_prefix_and_cleanup_policy_is_ignored() {
        let worker = props(&[
            ("offset.storage.topic", "connect-offsets"),
            ("offset.storage.partitions", "7"),
            ("offset.storage.replication.factor", "-1"),
            ("offset.storage.cleanup.policy", "delete"),
            ("offset.storage.min.insync.replicas", "2"),
            ("config.storage.topic", "connect-configs"),
            ("config.storage.partitions", "3"),
        ]);
        let offsets = TopicSettings::from_worker(InternalTopic::Offsets, &worker).unwrap();
        assert_eq!((offsets.name.as_str(), offsets.partitions, offsets.replication_factor), ("connect-offsets", 7, -1));
        assert_eq!(offsets.configs, BTreeMap::from([("min.insync.replicas".to_owned(), "2".to_owned())]));
        let config = TopicSettings::from_worker(InternalTopic::Config, &worker).unwrap();
        assert_eq!((config.partitions, config.replication_factor), (1, 3));
        assert!(config.configs.is_empty());
        let missing = TopicSettings::from_worker(InternalTopic::Status, &worker).unwrap_err();
        assert!(missing.to_string().contains("status.storage.topic"), "{missing}");
        assert_eq!(TopicSettings::new(InternalTopic::Status, "s", 1).partitions, 5);
    }

    #[test]
    fn only_compact_is_accepted_with_kafkas_message() {
        let topic = TopicSettings::new(InternalTopic::Status, "connect-status", 1);
        assert!(check_policies(&topic, &parse_policies(" Compact ")).is_ok());
        let error = check_policies(&topic, &parse_policies("compact,delete")).unwrap_err().to_string();
        assert!(
            error.contains(
                "Topic 'connect-status' supplied via the 'status.storage.topic' property is required to have \
                 'cleanup.policy=compact' to guarantee consistency and durability of connector and task statuses, \
                 but found the topic currently has 'cleanup.policy=compact,delete'."
            ),
            "{error}"
        );
        let error = check_config_topic_partitions("connect-configs", 2).unwrap_err().to_string();
        assert!(error.contains("but found 2 partitions."), "{error}");
    }
}
