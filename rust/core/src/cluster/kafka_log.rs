//! One internal topic as a log (Kafka Connect's `KafkaBasedLog`): a producer that writes to it and
//! a consumer, without a group, that reads every partition from the beginning on a thread of its
//! own and hands each record to a callback. [`KafkaLog::read_to_end`] takes the high watermark of
//! every partition and waits until the reader has passed it: the catch-up that
//! `worker.sync.timeout.ms` bounds in distributed mode.
//!
//! The callback runs on the reader thread; it must not wait for the log (no `read_to_end` from
//! inside it), or the reader waits for itself.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use tracing::{debug, warn};

use crate::error::{Error, Result};
use crate::kafka::callback_producer::{CallbackProducer, DeliveryCallback};
use crate::kafka::log::QuietContext;
use crate::kafka::producer::{is_queue_full, OutgoingRecord, JAVA_ONLY_KEYS};

/// One record of the log, as the reader hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub key: Option<Vec<u8>>,
    /// `None` for a tombstone.
    pub value: Option<Vec<u8>>,
    pub partition: i32,
    pub offset: i64,
}

/// Called on the reader thread for every record, in each partition's order.
pub type ConsumeCallback = Box<dyn FnMut(LogRecord) + Send>;

/// Producer settings every internal-topic log forces, as `KafkaBasedLog.createProducer` and the
/// stores do: durable writes, one request in flight so a partition keeps its order, no giving up
/// on a record, and idempotence off (Kafka Connect's choice, so that brokers without the
/// IDEMPOTENT_WRITE permission work).
const FORCED_PRODUCER: &[(&str, &str)] = &[
    ("acks", "all"),
    ("max.in.flight.requests.per.connection", "1"),
    ("enable.idempotence", "false"),
    ("delivery.timeout.ms", "2147483647"),
];

/// Consumer settings forced for the same reason as `KafkaBasedLog.createConsumer`: the whole log,
/// from its beginning, never a committed position.
const FORCED_CONSUMER: &[(&str, &str)] = &[
    ("enable.auto.commit", "false"),
    ("enable.auto.offset.store", "false"),
    ("auto.offset.reset", "earliest"),
    // Without it the reader stalls between large fetches (see `kafka::reader`).
    ("fetch.queue.backoff.ms", "0"),
];

/// How long `start` waits for the topic's metadata (Kafka's `CREATE_TOPIC_TIMEOUT_NS` is 30 s).
const METADATA_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one poll of the reader thread lasts; also how late it notices `stop`.
const POLL: Duration = Duration::from_millis(100);

/// How far the reader has got: the next offset to read, per partition.
#[derive(Default)]
struct Progress {
    positions: BTreeMap<i32, i64>,
    /// The reader thread ended (stopped, or gone): nobody will advance the positions.
    ended: bool,
}

struct Shared {
    progress: Mutex<Progress>,
    advanced: Condvar,
    stop: AtomicBool,
}

/// A producer and a group-less reader of one topic.
pub struct KafkaLog {
    topic: String,
    partitions: Vec<i32>,
    producer: CallbackProducer,
    watermarks: BaseConsumer<QuietContext>,
    shared: Arc<Shared>,
    reader: Mutex<Option<JoinHandle<()>>>,
}

impl KafkaLog {
    /// Connects to `topic` (which must exist), assigns all of its partitions from the beginning
    /// and starts the reader. `settings` (librdkafka keys) go to both clients; `producer_settings`
    /// are laid over them for the producer only (e.g. `partitioner=murmur2_random`). Nothing is
    /// read before `start` returns: call [`KafkaLog::read_to_end`] to catch up.
    pub fn start(
        bootstrap_servers: &str,
        topic: &str,
        settings: &HashMap<String, String>,
        producer_settings: &[(&str, &str)],
        callback: ConsumeCallback,
    ) -> Result<Self> {
        let usable = |(k, _): &(&String, &String)| !JAVA_ONLY_KEYS.contains(&k.as_str());
        let mut producer_config: HashMap<String, String> =
            settings.iter().filter(usable).map(|(k, v)| (k.clone(), v.clone())).collect();
        for (k, v) in FORCED_PRODUCER.iter().chain(producer_settings) {
            producer_config.insert((*k).to_owned(), (*v).to_owned());
        }
        let mut consumer_config: HashMap<String, String> =
            settings.iter().filter(usable).map(|(k, v)| (k.clone(), v.clone())).collect();
        for (k, v) in FORCED_CONSUMER {
            consumer_config.insert((*k).to_owned(), (*v).to_owned());
        }
        // librdkafka assigns partitions only within a group handle; the group is never joined
        // (no subscribe) and nothing is committed, so any name does.
        consumer_config.entry("group.id".to_owned()).or_insert_with(|| format!("ferroconnect-log-{topic}"));
        let consumer: BaseConsumer<QuietContext> =
            crate::kafka::client_config(bootstrap_servers, &consumer_config).create_with_context(QuietContext)?;
        // The end offsets come from a client of their own, as Kafka's log asks its admin client:
        // the reader's connection may be held by a fetch waiting for data (`fetch.wait.max.ms`).
        // Its high watermarks are read_uncommitted ones, as Kafka's `TopicAdmin.endOffsets`: a
        // read_committed query answers the last stable offset, which lags a committed transaction
        // until its markers are written, so a leader's transactional write could be "read back"
        // before the reader saw it.
        let mut watermark_config = consumer_config.clone();
        watermark_config.remove("group.id");
        watermark_config.insert("isolation.level".to_owned(), "read_uncommitted".to_owned());
        let watermarks: BaseConsumer<QuietContext> =
            crate::kafka::client_config(bootstrap_servers, &watermark_config).create_with_context(QuietContext)?;
        let partitions = partitions_of(&watermarks, topic)?;
        let mut assignment = TopicPartitionList::new();
        for p in &partitions {
            assignment.add_partition_offset(topic, *p, Offset::Beginning)?;
        }
        consumer.assign(&assignment)?;
        let producer = CallbackProducer::new(bootstrap_servers, &producer_config)?;
        let consumer = Arc::new(consumer);
        let shared =
            Arc::new(Shared { progress: Mutex::default(), advanced: Condvar::new(), stop: AtomicBool::new(false) });
        let reader = std::thread::Builder::new()
            .name(format!("log-{topic}"))
            .spawn({
                let (consumer, shared, topic) = (consumer.clone(), shared.clone(), topic.to_owned());
                move || read_loop(&consumer, &shared, &topic, callback)
            })
            .map_err(|e| Error::io(format!("starting the reader of topic {topic}"), e))?;
        Ok(KafkaLog {
            topic: topic.to_owned(),
            partitions,
            producer,
            watermarks,
            shared,
            reader: Mutex::new(Some(reader)),
        })
    }

    /// The topic's name.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The topic's partitions (all of them are read).
    pub fn partitions(&self) -> &[i32] {
        &self.partitions
    }

    /// Waits until the reader has handed over every record written to the topic before the call
    /// (with this log's own pending writes flushed first, as Kafka's `readToEnd`), at most `timeout`.
    pub fn read_to_end(&self, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        self.producer.flush(remaining(deadline))?;
        let mut targets = Vec::with_capacity(self.partitions.len());
        for &partition in &self.partitions {
            let (low, high) = self.end_offsets(partition, deadline)?;
            if high > low {
                targets.push((partition, high));
            }
        }
        let mut progress = self.shared.progress.lock().expect("log progress lock");
        loop {
            let behind = targets.iter().find(|(p, high)| progress.positions.get(p).copied().unwrap_or(-1) < *high);
            let Some(&(partition, high)) = behind else { return Ok(()) };
            if progress.ended {
                return Err(Error::Connector(format!("the reader of topic {} has stopped", self.topic)));
            }
            let left = remaining(deadline);
            if left.is_zero() {
                let at = progress.positions.get(&partition).copied().unwrap_or(-1);
                return Err(Error::Retriable(format!(
                    "Timed out reading topic {} to its end within {} ms: partition {partition} is read up to \
                     offset {at}, its end is {high}",
                    self.topic,
                    timeout.as_millis()
                )));
            }
            progress = self.shared.advanced.wait_timeout(progress, left).expect("log progress lock").0;
        }
    }

    /// A partition's low and high watermarks, asked again until `deadline` while the broker cannot
    /// answer yet (a partition of a topic created a moment ago has no leader for a while), as
    /// Kafka's `readEndOffsets` retries.
    fn end_offsets(&self, partition: i32, deadline: Instant) -> Result<(i64, i64)> {
        loop {
            match self.watermarks.fetch_watermarks(&self.topic, partition, remaining(deadline)) {
                Ok(offsets) => return Ok(offsets),
                Err(e) if !remaining(deadline).is_zero() => {
                    debug!(topic = %self.topic, partition, "end offsets not available yet: {e}");
                    std::thread::sleep(Duration::from_millis(100).min(remaining(deadline)));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Writes one record and waits until Kafka acknowledged it, at most `timeout`.
    pub fn send(&self, key: &[u8], value: Option<&[u8]>, timeout: Duration) -> Result<()> {
        self.send_all(&[(key, value)], timeout)
    }

    /// Writes records in order and waits until Kafka acknowledged every one, at most `timeout`.
    /// The first failure is returned (later records may still have been written).
    pub fn send_all(&self, records: &[(&[u8], Option<&[u8]>)], timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let (tx, rx) = mpsc::channel();
        for (key, value) in records {
            let tx = tx.clone();
            self.send_async(key, *value, Box::new(move |outcome| drop(tx.send(outcome.map(drop)))))?;
        }
        drop(tx);
        for _ in records {
            match rx.recv_timeout(remaining(deadline)) {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    return Err(Error::Connector(format!("Failed to write to topic {}: {e}", self.topic)));
                }
                Err(_) => {
                    return Err(Error::Retriable(format!(
                        "Kafka did not acknowledge a write to topic {} within {} ms",
                        self.topic,
                        timeout.as_millis()
                    )))
                }
            }
        }
        Ok(())
    }

    /// Queues one record; `done` runs on librdkafka's delivery thread with its outcome. A full
    /// local queue is waited out.
    pub fn send_async(&self, key: &[u8], value: Option<&[u8]>, done: DeliveryCallback) -> Result<()> {
        let record = OutgoingRecord {
            topic: self.topic.as_str().into(),
            key: Some(key.to_vec()),
            value: value.map(<[u8]>::to_vec),
            ..OutgoingRecord::default()
        };
        let mut done = done;
        loop {
            match self.producer.send(&record, done) {
                Ok(()) => return Ok(()),
                Err((error, returned)) if is_queue_full(&error) => {
                    done = returned;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err((error, _)) => return Err(error),
            }
        }
    }

    /// Waits until every queued write is acknowledged (or failed), at most `timeout`.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.producer.flush(timeout)
    }

    /// Stops the reader (pending writes are flushed for at most `timeout` first). Idempotent.
    pub fn stop(&self, timeout: Duration) {
        if let Err(e) = self.producer.flush(timeout) {
            warn!(topic = %self.topic, "writes to the topic were not all acknowledged before stopping: {e}");
        }
        self.shared.stop.store(true, Ordering::Release);
        let reader = self.reader.lock().expect("log reader lock").take();
        if let Some(reader) = reader {
            let _ = reader.join();
        }
    }
}

impl Drop for KafkaLog {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(reader) = self.reader.get_mut().ok().and_then(Option::take) {
            let _ = reader.join();
        }
    }
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// The partitions of `topic`, waiting for its metadata as `KafkaBasedLog.start` does.
fn partitions_of(consumer: &BaseConsumer<QuietContext>, topic: &str) -> Result<Vec<i32>> {
    let started = Instant::now();
    let mut sleep = Duration::from_millis(100);
    loop {
        // A topic created a moment ago can answer with an error (e.g. NOT_LEADER_OR_FOLLOWER until
        // its partitions have a leader): as Kafka's log, wait for it rather than fail the start.
        let found = match crate::kafka::topic_partitions(consumer, topic, METADATA_TIMEOUT) {
            Ok(found) => found,
            Err(e) if started.elapsed() < METADATA_TIMEOUT => {
                debug!(topic, "metadata not available yet: {e}");
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        if !found.is_empty() {
            return Ok(found);
        }
        if started.elapsed() >= METADATA_TIMEOUT {
            return Err(Error::Connector(format!(
                "Could not look up partition metadata for topic '{topic}' in the allotted period. This could \
                 indicate a connectivity issue, unavailable topic partitions, or if this is your first use of the \
                 topic it may have taken too long to create."
            )));
        }
        std::thread::sleep(sleep);
        sleep = (sleep * 2).min(Duration::from_secs(1));
    }
}

/// The reader thread: hands every record to the callback, then records the partition's new
/// position. Between records it also takes the consumer's own positions, which move past records
/// the application never sees (transaction markers).
fn read_loop(consumer: &BaseConsumer<QuietContext>, shared: &Shared, topic: &str, mut callback: ConsumeCallback) {
    while !shared.stop.load(Ordering::Acquire) {
        match consumer.poll(POLL) {
            Some(Ok(message)) => {
                let (partition, offset) = (message.partition(), message.offset());
                let record = LogRecord {
                    key: message.key().map(<[u8]>::to_vec),
                    value: message.payload().map(<[u8]>::to_vec),
                    partition,
                    offset,
                };
                drop(message);
                callback(record);
                advance(shared, [(partition, offset + 1)]);
            }
            Some(Err(KafkaError::PartitionEOF(_))) | None => {
                if let Ok(positions) = consumer.position() {
                    let positions: Vec<(i32, i64)> = positions
                        .elements()
                        .iter()
                        .filter_map(|e| match e.offset() {
                            Offset::Offset(o) => Some((e.partition(), o)),
                            _ => None,
                        })
                        .collect();
                    advance(shared, positions);
                }
            }
            Some(Err(e)) => crate::kafka::log::client_error(&e, &format!("reading topic {topic}")),
        }
    }
    debug!(topic, "the reader of the topic stopped");
    shared.progress.lock().expect("log progress lock").ended = true;
    shared.advanced.notify_all();
}

/// Raises positions (never lowers them) and wakes the waiters of `read_to_end`.
fn advance(shared: &Shared, positions: impl IntoIterator<Item = (i32, i64)>) {
    let mut progress = shared.progress.lock().expect("log progress lock");
    let mut moved = false;
    for (partition, position) in positions {
        let at = progress.positions.entry(partition).or_insert(-1);
        if position > *at {
            *at = position;
            moved = true;
        }
    }
    if moved {
        shared.advanced.notify_all();
    }
}
