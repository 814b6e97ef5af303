//! Offsets kept in memory: for an in-process `Worker` without an offsets file.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{offset_key, parse_offset_key, OffsetStore};
use crate::error::Result;

/// Offsets that live as long as the worker.
#[derive(Default)]
pub struct MemoryOffsetStore {
    entries: Mutex<BTreeMap<String, serde_json::Value>>,
}

impl OffsetStore for MemoryOffsetStore {
    fn get(&self, connector: &str, partitions: &[serde_json::Value]) -> Result<Vec<Option<serde_json::Value>>> {
        let entries = self.entries.lock().expect("offset store lock");
        Ok(partitions.iter().map(|p| entries.get(&offset_key(connector, p)).cloned()).collect())
    }

    fn put(&self, connector: &str, offsets: &[(serde_json::Value, Option<serde_json::Value>)]) -> Result<()> {
        let mut entries = self.entries.lock().expect("offset store lock");
        for (partition, offset) in offsets {
            let key = offset_key(connector, partition);
            match offset {
                Some(offset) => entries.insert(key, offset.clone()),
                None => entries.remove(&key),
            };
        }
        Ok(())
    }

    fn all(&self, connector: &str) -> Result<Vec<(serde_json::Value, serde_json::Value)>> {
        let entries = self.entries.lock().expect("offset store lock");
        Ok(entries
            .iter()
            .filter_map(|(k, v)| parse_offset_key(k).filter(|(c, _)| c == connector).map(|(_, p)| (p, v.clone())))
            .collect())
    }
}
