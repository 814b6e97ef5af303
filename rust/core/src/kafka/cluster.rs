//! The Kafka cluster a worker runs against: its id, looked up before the worker starts (Kafka
//! Connect's `ConnectUtils.lookupKafkaClusterId`), and whether it still answers (`GET /health`).

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};

use super::log::QuietContext;
use crate::error::{Error, Result};

/// A client for cluster-wide questions (metadata only: it joins no group and reads no topic).
pub struct ClusterClient {
    bootstrap_servers: String,
    consumer: BaseConsumer<QuietContext>,
}

impl ClusterClient {
    /// A client with the worker's `admin.*` settings.
    pub fn new(bootstrap_servers: &str, settings: &HashMap<String, String>) -> Result<Self> {
        let consumer = super::client_config(bootstrap_servers, settings).create_with_context(QuietContext)?;
        Ok(ClusterClient { bootstrap_servers: bootstrap_servers.to_owned(), consumer })
    }

    /// The cluster's id, waiting at most `timeout` for a broker to answer. Kafka Connect does not
    /// start without it, so the error says where the worker looked.
    pub fn cluster_id(&self, timeout: Duration) -> Result<String> {
        self.consumer.client().fetch_cluster_id(timeout).ok_or_else(|| {
            Error::Connector(format!(
                "Failed to connect to and describe Kafka cluster at bootstrap.servers={} within {} ms \
                 (default.api.timeout.ms). Check the worker's broker connection and security properties.",
                self.bootstrap_servers,
                timeout.as_millis()
            ))
        })
    }

    /// Whether a broker answers a metadata request within `timeout`; the error says why not.
    pub fn reachable(&self, timeout: Duration) -> Result<()> {
        self.consumer.fetch_metadata(None, timeout).map(drop).map_err(|e| {
            Error::Connector(format!(
                "the Kafka cluster at bootstrap.servers={} does not answer: {e}",
                self.bootstrap_servers
            ))
        })
    }
}
