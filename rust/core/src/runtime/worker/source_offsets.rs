//! Where a source connector's offsets live (Kafka's `Worker.offsetStoreFor*`): the worker's offset
//! store, or, in distributed mode for a connector that sets `offsets.storage.topic` (KIP-618) to a
//! topic other than the worker's, that topic first and the worker's store as the fallback
//! (`offsets::ConnectorOffsetStore`). Standalone ignores the key, as Kafka's does: its worker has
//! no [`ConnectorOffsetsTopics`] hook.

use std::sync::Arc;

use super::Worker;
use crate::error::Result;
use crate::offsets::{ConnectorOffsetStore, OffsetStore, OffsetsTopic};
use crate::runtime::connector_config::SourceConfig;
use crate::runtime::plugin::Config;

/// Opens (creating it if missing) a connector's own offsets topic, by name: set by a worker of a
/// cluster, where the offsets topics are.
pub type ConnectorOffsetsTopics = Arc<dyn Fn(&str) -> Result<OffsetsTopic> + Send + Sync>;

/// A source connector's offsets.
pub struct SourceOffsets {
    /// What its tasks read (and, at least once, write) and the offsets REST calls use.
    pub store: Arc<dyn OffsetStore>,
    /// The connector's own offsets topic, when it has one apart from the worker's: an
    /// exactly-once task writes its offsets there in its transactions.
    pub own_topic: Option<OffsetsTopic>,
}

impl Worker {
    /// Opens connectors' own offsets topics with `topics` from now on (distributed mode).
    pub fn set_connector_offsets_topics(&self, topics: ConnectorOffsetsTopics) {
        let _ = self.inner.offsets_topics.set(topics);
    }

    /// The offsets of the source connector with this config (as stored: it is resolved here).
    pub fn source_offsets(&self, connector_config: &Config) -> Result<SourceOffsets> {
        self.source_offsets_of(&self.resolved(connector_config)?)
    }

    /// The same for a config already resolved.
    pub(super) fn source_offsets_of(&self, connector_config: &Config) -> Result<SourceOffsets> {
        let worker_store = || SourceOffsets { store: self.inner.offsets.clone(), own_topic: None };
        let Some(open) = self.inner.offsets_topics.get() else { return Ok(worker_store()) };
        let Some(topic) = SourceConfig::parse(connector_config)?.offsets_topic else { return Ok(worker_store()) };
        // The worker's own topic named explicitly: the worker's store already reads it.
        if self.inner.config.props.get("offset.storage.topic").is_some_and(|t| t.trim() == topic) {
            return Ok(worker_store());
        }
        let own = open(&topic)?;
        let store = Arc::new(ConnectorOffsetStore::new(own.store.clone(), self.inner.offsets.clone()));
        Ok(SourceOffsets { store, own_topic: Some(own) })
    }
}
