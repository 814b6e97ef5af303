//! Kafka clients as the runtime uses them: configuration with Kafka Connect's defaults, the
//! producer, the sink consumer, and the embedded mock cluster.

pub mod callback_producer;
pub mod ceiling;
pub mod chunk;
pub mod cluster;
pub mod consumer;
pub mod group_offsets;
pub mod java_partitioner;
pub mod log;
pub mod mock;
mod mock_front;
pub mod producer;
pub mod reader;

use std::collections::HashMap;

use rdkafka::config::ClientConfig;
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaErrorCode;

/// The partitions of `topic` that one metadata request finds: none while the topic does not exist
/// (yet), so that callers wait for it with their own patience.
/// Takes a client's statistics (emitted every `statistics.interval.ms` when set).
pub type StatisticsHandler = std::sync::Arc<dyn Fn(&Statistics) + Send + Sync>;

pub fn topic_partitions(
    consumer: &rdkafka::consumer::BaseConsumer<log::QuietContext>,
    topic: &str,
    timeout: std::time::Duration,
) -> crate::error::Result<Vec<i32>> {
    use rdkafka::consumer::Consumer;
    let metadata = consumer.fetch_metadata(Some(topic), timeout)?;
    Ok(metadata
        .topics()
        .iter()
        .find(|t| t.name() == topic && t.error().is_none())
        .map(|t| t.partitions().iter().map(|p| p.id()).collect())
        .unwrap_or_default())
}

/// A librdkafka client configuration from Kafka-style properties. Java-only keys that librdkafka
/// does not know are dropped by the caller (`producer_config` / `consumer_config`), not here.
pub fn client_config(bootstrap_servers: &str, settings: &HashMap<String, String>) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", bootstrap_servers);
    for (key, value) in settings {
        config.set(key, value);
    }
    config
}

/// Whether librdkafka reports this error code as one that a retry may clear.
pub fn is_retriable_code(code: RDKafkaErrorCode) -> bool {
    use RDKafkaErrorCode::*;
    matches!(
        code,
        QueueFull
            | MessageTimedOut
            | RequestTimedOut
            | NetworkException
            | BrokerTransportFailure
            | AllBrokersDown
            | LeaderNotAvailable
            | NotLeaderForPartition
            | NotEnoughReplicas
            | NotEnoughReplicasAfterAppend
            | NotCoordinator
            | CoordinatorNotAvailable
            | CoordinatorLoadInProgress
            | UnknownTopicOrPartition
            | KafkaStorageError
            | OperationTimedOut
            | TimedOutQueue
    )
}
