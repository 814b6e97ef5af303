//! Offsets kept in memory: for an in-process `Worker` without an offsets file.

use std::sync::Mutex;

use super::{apply, entries_of, lookup, OffsetMap, OffsetStore};
use crate::error::Result;

/// Offsets that live as long as the worker.
#[derive(Default)]
pub struct MemoryOffsetStore {
    entries: Mutex<OffsetMap>,
}

impl OffsetStore for MemoryOffsetStore {
    fn get(&self, connector: &str, partitions: &[serde_json::Value]) -> Result<Vec<Option<serde_json::Value>>> {
        Ok(lookup(&self.entries.lock().expect("offset store lock"), connector, partitions))
    }

    fn put(&self, connector: &str, offsets: &[(serde_json::Value, Option<serde_json::Value>)]) -> Result<()> {
        apply(&mut self.entries.lock().expect("offset store lock"), connector, offsets);
        Ok(())
    }

    fn all(&self, connector: &str) -> Result<Vec<(serde_json::Value, serde_json::Value)>> {
        Ok(entries_of(&self.entries.lock().expect("offset store lock"), connector))
    }
}
