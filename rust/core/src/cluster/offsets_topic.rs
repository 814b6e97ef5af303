//! Distributed mode's offsets topic (Kafka Connect's `KafkaOffsetBackingStore`).
//!
//! Key `["<connector>",{<source partition>}]`, value `{<source offset>}` (compact JSON; a
//! tombstone deletes), partitioned as Java's producer does: `murmur2(key) % partitions`
//! (librdkafka's `murmur2_random`), so that a key written by either runtime lands on the same
//! partition and compaction and last-writer-wins hold across them.
//!
//! Byte equality of keys: Kafka keys its map by the raw key bytes, and its `JsonConverter`
//! writes a partition map in the order of the map the task gave (a Java `HashMap`'s order, for
//! most connectors). We write a partition's fields in the order our task gave them (serde_json
//! keeps insertion order here) and look keys up by their exact text too. Single-field partitions,
//! the common case, are byte-identical either way; a multi-field partition written by a Java task
//! is found by ours only if our task builds its map in the same field order.
//!
//! `put` returns once Kafka acknowledged every record (the durability contract of
//! [`OffsetStore`]); the map itself is only updated from what the reader reads back, so every
//! worker, this one included, sees writes in the topic's order. `get` and `all` first read to the
//! end of the topic (as Kafka's `get`), so a write is visible to the next read of any worker.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::{info, warn};

use super::kafka_log::{KafkaLog, LogRecord};
use super::topic_setup::{ensure_topic, TopicSettings};
use crate::error::{Error, Result};
use crate::offsets::{entries_of, lookup, offset_key, OffsetMap, OffsetStore, OffsetsTopic};

/// Java's default partitioner for keyed records, in librdkafka's name.
pub const JAVA_PARTITIONER: (&str, &str) = ("partitioner", "murmur2_random");

/// How long a write or a read to the end may take unless set otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Offsets in a compacted Kafka topic shared by every worker of a cluster.
pub struct TopicOffsetStore {
    log: KafkaLog,
    entries: Arc<Mutex<OffsetMap>>,
    timeout: Duration,
}

impl TopicOffsetStore {
    /// Creates the topic if needed (or checks it) and reads it whole (at most `topic.read_timeout`).
    pub fn start(
        bootstrap_servers: &str,
        topic: &TopicSettings,
        client_settings: &HashMap<String, String>,
    ) -> Result<Self> {
        ensure_topic(bootstrap_servers, topic, client_settings)?;
        let entries = Arc::new(Mutex::new(OffsetMap::new()));
        let callback = {
            let entries = entries.clone();
            Box::new(move |record: LogRecord| apply_record(&entries, record))
        };
        let log = KafkaLog::start(bootstrap_servers, &topic.name, client_settings, &[JAVA_PARTITIONER], callback)?;
        log.read_to_end(topic.read_timeout)?;
        info!(topic = %topic.name, offsets = entries.lock().expect("offsets lock").len(), "Read the offsets topic");
        Ok(TopicOffsetStore { log, entries, timeout: DEFAULT_TIMEOUT })
    }

    /// Bounds each `put` and each read to the end (`offset.flush.timeout.ms`, say).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Reads every record written before the call.
    pub fn read_to_end(&self, timeout: Duration) -> Result<()> {
        self.log.read_to_end(timeout)
    }

    /// The topic's name.
    pub fn topic(&self) -> &str {
        self.log.topic()
    }

    /// The topic's partitions.
    pub fn partitions(&self) -> &[i32] {
        self.log.partitions()
    }

    /// Stops the reader.
    pub fn stop(&self) {
        self.log.stop(self.timeout);
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, OffsetMap> {
        self.entries.lock().expect("offsets lock")
    }
}

/// One record read back: an offset set or (tombstone) removed. A record whose key is not UTF-8
/// or whose value is not JSON is logged and skipped.
fn apply_record(entries: &Mutex<OffsetMap>, record: LogRecord) {
    let Some(key) = record.key else {
        warn!(partition = record.partition, offset = record.offset, "Ignoring an offsets record without a key");
        return;
    };
    let Ok(key) = String::from_utf8(key) else {
        warn!(
            partition = record.partition,
            offset = record.offset,
            "Ignoring an offsets record whose key is not UTF-8"
        );
        return;
    };
    let mut entries = entries.lock().expect("offsets lock");
    match record.value {
        None => {
            entries.remove(&key);
        }
        Some(value) => match serde_json::from_slice(&value) {
            Ok(value) => {
                entries.insert(key, value);
            }
            Err(e) => warn!(key, "Ignoring an offsets record whose value is not JSON: {e}"),
        },
    }
}

impl OffsetStore for TopicOffsetStore {
    fn get(&self, connector: &str, partitions: &[serde_json::Value]) -> Result<Vec<Option<serde_json::Value>>> {
        self.log.read_to_end(self.timeout)?;
        Ok(lookup(&self.entries(), connector, partitions))
    }

    fn put(&self, connector: &str, offsets: &[(serde_json::Value, Option<serde_json::Value>)]) -> Result<()> {
        let records: Vec<(Vec<u8>, Option<Vec<u8>>)> = offsets
            .iter()
            .map(|(partition, offset)| {
                let value = offset.as_ref().map(|o| serde_json::to_vec(o).expect("JSON values serialize"));
                (offset_key(connector, partition).into_bytes(), value)
            })
            .collect();
        let borrowed: Vec<(&[u8], Option<&[u8]>)> = records.iter().map(|(k, v)| (k.as_slice(), v.as_deref())).collect();
        self.log.send_all(&borrowed, self.timeout).map_err(|e| match e {
            Error::Retriable(reason) => Error::Retriable(format!("Failed to write offsets of {connector}: {reason}")),
            other => Error::Connector(format!("Failed to write offsets of {connector}: {other}")),
        })
    }

    fn all(&self, connector: &str) -> Result<Vec<(serde_json::Value, serde_json::Value)>> {
        self.log.read_to_end(self.timeout)?;
        Ok(entries_of(&self.entries(), connector))
    }

    /// Queues the records and returns: Kafka's secondary write is not waited for either.
    fn put_in_background(&self, connector: &str, offsets: &[(serde_json::Value, Option<serde_json::Value>)]) {
        for (partition, offset) in offsets {
            let key = offset_key(connector, partition).into_bytes();
            let value = offset.as_ref().map(|o| serde_json::to_vec(o).expect("JSON values serialize"));
            let (name, topic) = (connector.to_owned(), self.topic().to_owned());
            let logged = Box::new(move |outcome: std::result::Result<_, rdkafka::error::KafkaError>| {
                if let Err(e) = outcome {
                    warn!(connector = name, topic, "Failed to write offsets to secondary backing store: {e}");
                }
            });
            if let Err(e) = self.log.send_async(&key, value.as_deref(), logged) {
                warn!(connector, topic = self.topic(), "Failed to write offsets to secondary backing store: {e}");
            }
        }
    }
}

/// The offsets topics of connectors that set `offsets.storage.topic` (KIP-618), opened on first
/// use: created if missing with the worker's offsets-topic settings (Kafka's
/// `KafkaOffsetBackingStore.newTopicDescription`: compacted, `offset.storage.partitions`,
/// `offset.storage.replication.factor`, `offset.storage.*` configs). One store per topic is shared
/// by every task and REST call of this worker (Kafka opens one per task) and read until the worker
/// stops.
pub struct ConnectorOffsetsTopics {
    bootstrap_servers: String,
    client_settings: HashMap<String, String>,
    /// The worker's offsets topic's settings; each connector topic takes them under its own name.
    template: TopicSettings,
    stores: Mutex<HashMap<String, Arc<TopicOffsetStore>>>,
}

impl ConnectorOffsetsTopics {
    pub fn new(bootstrap_servers: &str, client_settings: &HashMap<String, String>, template: TopicSettings) -> Self {
        ConnectorOffsetsTopics {
            bootstrap_servers: bootstrap_servers.to_owned(),
            client_settings: client_settings.clone(),
            template,
            stores: Mutex::new(HashMap::new()),
        }
    }

    /// The store of `topic`, started (and the topic created) on first use. A topic that cannot be
    /// created or read fails with the key named.
    pub fn open(&self, topic: &str) -> Result<OffsetsTopic> {
        let mut stores = self.stores.lock().expect("offsets topics lock");
        let store = match stores.get(topic) {
            Some(store) => store.clone(),
            None => {
                let settings = TopicSettings { name: topic.to_owned(), ..self.template.clone() };
                let store = TopicOffsetStore::start(&self.bootstrap_servers, &settings, &self.client_settings)
                    .map_err(|e| {
                        Error::Connector(format!(
                            "Could not open the connector's offsets topic '{topic}' (offsets.storage.topic): {e}"
                        ))
                    })?;
                let store = Arc::new(store);
                stores.insert(topic.to_owned(), store.clone());
                store
            }
        };
        Ok(OffsetsTopic { name: topic.to_owned(), partitions: store.partitions().len() as i32, store })
    }

    /// Stops every store's reader.
    pub fn stop(&self) {
        for store in self.stores.lock().expect("offsets topics lock").values() {
            store.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn records_read_back_set_and_remove_offsets_by_their_exact_key() {
        let entries = Mutex::new(OffsetMap::new());
        let key = offset_key("file-source", &json!({"filename": "/tmp/in.txt"}));
        // Printed by Kafka 4.4.0's JsonConverter (schemas.enable=false) for
        // `Arrays.asList("file-source", Map.of("filename", "/tmp/in.txt"))` and `{"position": 42L}`.
        assert_eq!(key, r#"["file-source",{"filename":"/tmp/in.txt"}]"#);
        let record = |value: Option<&[u8]>| LogRecord {
            key: Some(key.clone().into_bytes()),
            value: value.map(<[u8]>::to_vec),
            partition: 13,
            offset: 0,
        };
        apply_record(&entries, record(Some(br#"{"position":42}"#)));
        assert_eq!(
            lookup(&entries.lock().unwrap(), "file-source", &[json!({"filename": "/tmp/in.txt"})]),
            [Some(json!({"position": 42}))]
        );
        apply_record(&entries, record(Some(b"not json")));
        assert_eq!(entries.lock().unwrap()[&key], json!({"position": 42}), "a bad value changes nothing");
        apply_record(&entries, record(None));
        assert!(entries.lock().unwrap().is_empty());
        // Field order is part of the key: the task's order is kept.
        assert_eq!(offset_key("c", &json!({"b": 1, "a": 2})), r#"["c",{"b":1,"a":2}]"#);
    }
}
