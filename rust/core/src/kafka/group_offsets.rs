//! A consumer group's committed offsets, read and changed from outside the group: what the REST
//! offsets API does for sink connectors (group `connect-<name>`). A consumer that never joins the
//! group reads them and commits new ones (the broker refuses while the group has members, which
//! is Kafka's rule too: the connector must be stopped); resetting deletes the group.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::TopicPartitionList;

use crate::error::{Error, Result};
use crate::kafka::client_config;
use crate::kafka::consumer::{offsets_of, offsets_tpl, TopicPartition};
use crate::kafka::log::QuietContext;

/// The offsets of one group, by partition (each the next offset to read).
pub struct GroupOffsets {
    consumer: BaseConsumer<QuietContext>,
    timeout: Duration,
}

impl GroupOffsets {
    /// A non-member client of `group` (settings: the worker's `consumer.*` keys, prefix removed).
    pub fn open(bootstrap: &str, settings: &HashMap<String, String>, group: &str, timeout: Duration) -> Result<Self> {
        let mut config = client_config(bootstrap, settings);
        config.set("group.id", group).set("enable.auto.commit", "false");
        Ok(GroupOffsets { consumer: config.create_with_context(QuietContext)?, timeout })
    }

    /// Every committed offset of the group, over the cluster's topics.
    pub fn committed(&self) -> Result<BTreeMap<TopicPartition, i64>> {
        let metadata = self.consumer.fetch_metadata(None, self.timeout)?;
        let mut all = TopicPartitionList::new();
        for topic in metadata.topics().iter().filter(|t| !t.name().starts_with("__")) {
            for partition in topic.partitions() {
                all.add_partition(topic.name(), partition.id());
            }
        }
        if all.count() == 0 {
            return Ok(BTreeMap::new());
        }
        Ok(offsets_of(&self.consumer.committed_offsets(all, self.timeout)?))
    }

    /// Commits `offsets` for the group; refused by the broker while the group has members.
    pub fn alter(&self, offsets: &BTreeMap<TopicPartition, i64>) -> Result<()> {
        self.consumer.commit(&offsets_tpl(offsets)?, CommitMode::Sync).map_err(Error::from)
    }
}

/// Deletes a consumer group (all its offsets); a group that does not exist is already reset.
pub fn delete_group(bootstrap: &str, settings: &HashMap<String, String>, group: &str, timeout: Duration) -> Result<()> {
    let admin: AdminClient<QuietContext> = client_config(bootstrap, settings).create_with_context(QuietContext)?;
    let options = AdminOptions::new().request_timeout(Some(timeout));
    let results = futures_executor(admin.delete_groups(&[group], &options))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::GroupIdNotFound)) => {}
            Err((_, code)) => {
                return Err(Error::Kafka(rdkafka::error::KafkaError::AdminOp(code)));
            }
        }
    }
    Ok(())
}

/// Runs an admin future to completion on this thread (the herder's calls are blocking ones).
fn futures_executor<T>(future: impl std::future::Future<Output = rdkafka::error::KafkaResult<T>>) -> Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting a runtime for an admin request", e))?;
    runtime.block_on(future).map_err(Error::from)
}
