//! Where source offsets are kept: in memory, in a local file (standalone) or in the offsets topic
//! (distributed, `cluster::offsets_topic`). Keys and values use Kafka Connect's offsets-topic encoding:
//! key `["<connector>",{<source partition>}]`, value `{<source offset>}`, both compact JSON.

mod connector;
mod file;
mod memory;

pub use connector::{ConnectorOffsetStore, OffsetsTopic};
pub use file::FileOffsetStore;
pub use memory::MemoryOffsetStore;

use crate::error::Result;

/// A store of committed source offsets, shared by every task of a worker.
pub trait OffsetStore: Send + Sync {
    /// The committed offsets of these partitions of a connector, in order.
    fn get(&self, connector: &str, partitions: &[serde_json::Value]) -> Result<Vec<Option<serde_json::Value>>>;
    /// Stores offsets durably; on return they survive a crash. A `None` offset deletes the entry.
    fn put(&self, connector: &str, offsets: &[(serde_json::Value, Option<serde_json::Value>)]) -> Result<()>;
    /// Every committed (partition, offset) of a connector.
    fn all(&self, connector: &str) -> Result<Vec<(serde_json::Value, serde_json::Value)>>;
    /// Stores a copy of offsets kept elsewhere first, without waiting if the store can: a failure
    /// is only logged (the worker's topic under a connector's own offsets topic, as Kafka's
    /// secondary store).
    fn put_in_background(&self, connector: &str, offsets: &[(serde_json::Value, Option<serde_json::Value>)]) {
        if let Err(e) = self.put(connector, offsets) {
            tracing::warn!(connector, "Failed to write offsets to secondary backing store: {e}");
        }
    }
}

/// Offsets by offsets-topic key: the map both stores keep, with the operations they share.
pub(crate) type OffsetMap = std::collections::BTreeMap<String, serde_json::Value>;

/// The stored offset of each partition, in order.
pub(crate) fn lookup(
    map: &OffsetMap,
    connector: &str,
    partitions: &[serde_json::Value],
) -> Vec<Option<serde_json::Value>> {
    partitions.iter().map(|p| map.get(&offset_key(connector, p)).cloned()).collect()
}

/// Sets (or, for `None`, removes) offsets in the map.
pub(crate) fn apply(map: &mut OffsetMap, connector: &str, offsets: &[(serde_json::Value, Option<serde_json::Value>)]) {
    for (partition, offset) in offsets {
        let key = offset_key(connector, partition);
        match offset {
            Some(offset) => map.insert(key, offset.clone()),
            None => map.remove(&key),
        };
    }
}

/// Every (partition, offset) of one connector.
pub(crate) fn entries_of(map: &OffsetMap, connector: &str) -> Vec<(serde_json::Value, serde_json::Value)> {
    map.iter()
        .filter_map(|(k, v)| parse_offset_key(k).filter(|(c, _)| c == connector).map(|(_, p)| (p, v.clone())))
        .collect()
}

/// The offsets-topic key of a connector's source partition.
pub fn offset_key(connector: &str, partition: &serde_json::Value) -> String {
    serde_json::Value::Array(vec![serde_json::Value::String(connector.to_owned()), partition.clone()]).to_string()
}

/// The (connector, partition) of an offsets-topic key, if it is one.
pub fn parse_offset_key(key: &str) -> Option<(String, serde_json::Value)> {
    match serde_json::from_str::<serde_json::Value>(key).ok()? {
        serde_json::Value::Array(mut parts) if parts.len() == 2 => {
            let partition = parts.pop()?;
            let connector = parts.pop()?.as_str()?.to_owned();
            Some((connector, partition))
        }
        _ => None,
    }
}
