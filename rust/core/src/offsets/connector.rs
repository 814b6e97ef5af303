//! A source connector's offsets when it has an offsets topic of its own (KIP-618's
//! `offsets.storage.topic`, Kafka Connect's `ConnectorOffsetBackingStore`).
//!
//! The connector's store comes first and the worker's store is the fallback: a read takes the
//! connector's offset of a partition when it has one, else the worker's (so a connector given a
//! topic of its own later resumes from what it committed before). A write goes to the connector's
//! store, then a copy goes to the worker's without waiting for it (a failure there is only
//! logged: the connector's store is the one that counts). Removals (tombstones) go to the worker's
//! store first, and must succeed there: otherwise the fallback would bring a removed offset back
//! (Kafka's KAFKA-15018).

use std::sync::Arc;

use serde_json::Value;

use super::OffsetStore;
use crate::error::Result;

/// An offsets topic and the store that reads it.
#[derive(Clone)]
pub struct OffsetsTopic {
    pub name: String,
    pub partitions: i32,
    pub store: Arc<dyn OffsetStore>,
}

/// The connector's own store, with the worker's as the fallback.
pub struct ConnectorOffsetStore {
    connector: Arc<dyn OffsetStore>,
    worker: Arc<dyn OffsetStore>,
}

impl ConnectorOffsetStore {
    pub fn new(connector: Arc<dyn OffsetStore>, worker: Arc<dyn OffsetStore>) -> Self {
        ConnectorOffsetStore { connector, worker }
    }
}

impl OffsetStore for ConnectorOffsetStore {
    fn get(&self, connector: &str, partitions: &[Value]) -> Result<Vec<Option<Value>>> {
        let mut found = self.connector.get(connector, partitions)?;
        let missing: Vec<usize> = (0..found.len()).filter(|i| found[*i].is_none()).collect();
        if missing.is_empty() {
            return Ok(found);
        }
        let asked: Vec<Value> = missing.iter().map(|i| partitions[*i].clone()).collect();
        for (index, offset) in missing.into_iter().zip(self.worker.get(connector, &asked)?) {
            found[index] = offset;
        }
        Ok(found)
    }

    fn put(&self, connector: &str, offsets: &[(Value, Option<Value>)]) -> Result<()> {
        let removals: Vec<_> = offsets.iter().filter(|(_, o)| o.is_none()).cloned().collect();
        if !removals.is_empty() {
            self.worker.put(connector, &removals)?;
        }
        self.connector.put(connector, offsets)?;
        let values: Vec<_> = offsets.iter().filter(|(_, o)| o.is_some()).cloned().collect();
        if !values.is_empty() {
            self.worker.put_in_background(connector, &values);
        }
        Ok(())
    }

    fn all(&self, connector: &str) -> Result<Vec<(Value, Value)>> {
        let mut all = self.worker.all(connector)?;
        for (partition, offset) in self.connector.all(connector)? {
            match all.iter_mut().find(|(p, _)| *p == partition) {
                Some(entry) => entry.1 = offset,
                None => all.push((partition, offset)),
            }
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offsets::MemoryOffsetStore;
    use serde_json::json;

    fn stores() -> (Arc<MemoryOffsetStore>, Arc<MemoryOffsetStore>, ConnectorOffsetStore) {
        let (own, worker) = (Arc::new(MemoryOffsetStore::default()), Arc::new(MemoryOffsetStore::default()));
        let combined = ConnectorOffsetStore::new(own.clone(), worker.clone());
        (own, worker, combined)
    }

    #[test]
    fn reads_the_connectors_store_first_and_the_workers_for_the_rest() {
        let (own, worker, combined) = stores();
        let (a, b, c) = (json!({"p": "a"}), json!({"p": "b"}), json!({"p": "c"}));
        worker.put("conn", &[(a.clone(), Some(json!({"n": 1}))), (b.clone(), Some(json!({"n": 2})))]).unwrap();
        own.put("conn", &[(a.clone(), Some(json!({"n": 10})))]).unwrap();
        let read = combined.get("conn", &[a.clone(), b.clone(), c.clone()]).unwrap();
        assert_eq!(read, [Some(json!({"n": 10})), Some(json!({"n": 2})), None]);
        let mut all = combined.all("conn").unwrap();
        all.sort_by_key(|(p, _)| p.to_string());
        assert_eq!(all, [(a, json!({"n": 10})), (b, json!({"n": 2}))]);
    }

    #[test]
    fn writes_go_to_both_stores_and_removals_to_the_workers_first() {
        let (own, worker, combined) = stores();
        let a = json!({"p": "a"});
        combined.put("conn", &[(a.clone(), Some(json!({"n": 5})))]).unwrap();
        assert_eq!(own.get("conn", std::slice::from_ref(&a)).unwrap(), [Some(json!({"n": 5}))]);
        assert_eq!(worker.get("conn", std::slice::from_ref(&a)).unwrap(), [Some(json!({"n": 5}))], "the worker's copy");
        combined.put("conn", &[(a.clone(), None)]).unwrap();
        assert_eq!(combined.get("conn", std::slice::from_ref(&a)).unwrap(), [None], "removed from both, no fallback");
        assert!(worker.all("conn").unwrap().is_empty());
    }
}
