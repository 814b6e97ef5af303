//! Reads a topic from the beginning without a consumer group: for tools, tests and the quickstart.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, Weak};
use std::time::{Duration, Instant};

use ferroconnect_librdkafka_ext::FetchQueue;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::log::QuietContext;
use crate::error::{Error, Result};

/// One record as stored in Kafka.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// Reads every partition of `topic` from its start until `max_records` were read or nothing new
/// arrived for `idle` (after at least one record, or `timeout` overall).
pub fn read_topic(
    bootstrap_servers: &str,
    topic: &str,
    max_records: usize,
    idle: Duration,
    timeout: Duration,
    settings: &HashMap<String, String>,
) -> Result<Vec<StoredRecord>> {
    // Defaults first so that `settings` can override them.
    let mut merged: HashMap<String, String> = [
        ("group.id", "ferroconnect-reader"),
        ("enable.auto.commit", "false"),
        // Without it a consumer of a broker that returns large fetches stalls between them.
        ("fetch.queue.backoff.ms", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    merged.extend(settings.iter().map(|(k, v)| (k.clone(), v.clone())));
    let config = super::client_config(bootstrap_servers, &merged);
    let consumer: BaseConsumer<QuietContext> = config.create_with_context(QuietContext)?;
    let start = Instant::now();
    // The topic may not exist yet (a producer is about to create it): wait for it within `timeout`.
    let partitions: Vec<i32> = loop {
        let found = super::topic_partitions(&consumer, topic, Duration::from_secs(10))?;
        if !found.is_empty() {
            break found;
        }
        if start.elapsed() >= timeout {
            return Err(Error::NotFound(format!("topic {topic} does not exist")));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut assignment = TopicPartitionList::new();
    for p in &partitions {
        assignment.add_partition_offset(topic, *p, Offset::Beginning)?;
    }
    consumer.assign(&assignment)?;

    let mut last = Instant::now();
    let mut records = Vec::new();
    while records.len() < max_records && start.elapsed() < timeout {
        if !records.is_empty() && last.elapsed() >= idle {
            break;
        }
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(message)) => {
                last = Instant::now();
                let headers = message
                    .headers()
                    .map(|hs| hs.iter().map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec))).collect())
                    .unwrap_or_default();
                records.push(StoredRecord {
                    partition: message.partition(),
                    offset: message.offset(),
                    timestamp: message.timestamp().to_millis(),
                    key: message.key().map(<[u8]>::to_vec),
                    value: message.payload().map(<[u8]>::to_vec),
                    headers,
                });
            }
            Some(Err(e)) => return Err(e.into()),
            None => {}
        }
    }
    Ok(records)
}

/// Consumes `count` records of `topic` in a consumer group (`group.id` in `settings`), touching
/// each record's bytes and keeping nothing: the raw librdkafka ceiling of the sink benchmark.
/// Returns the seconds between the first and the last record. With `batched`, the records are
/// taken 500 at a time from a fetch-only queue, as the sink fetcher takes them
/// ([`consume_count_batched`]).
pub fn consume_count(
    bootstrap_servers: &str,
    topic: &str,
    count: usize,
    timeout: Duration,
    settings: &HashMap<String, String>,
    batched: bool,
) -> Result<f64> {
    let mut merged: HashMap<String, String> =
        [("enable.auto.commit", "false"), ("auto.offset.reset", "earliest"), ("fetch.queue.backoff.ms", "0")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
    merged.extend(settings.iter().map(|(k, v)| (k.clone(), v.clone())));
    if batched {
        return consume_count_batched(bootstrap_servers, topic, count, timeout, &merged);
    }
    let consumer: BaseConsumer<QuietContext> =
        super::client_config(bootstrap_servers, &merged).create_with_context(QuietContext)?;
    consumer.subscribe(&[topic])?;
    let deadline = Instant::now() + timeout;
    let (mut seen, mut bytes, mut first) = (0usize, 0usize, None);
    while seen < count {
        if Instant::now() >= deadline {
            return Err(Error::Retriable(format!("only {seen} of {count} records before the timeout")));
        }
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            let message = message?;
            first.get_or_insert_with(Instant::now);
            bytes += message.payload().map_or(0, <[u8]>::len);
            seen += 1;
        }
    }
    std::hint::black_box(bytes);
    Ok(first.map_or(0.0, |t| t.elapsed().as_secs_f64()))
}

/// Forwards each assigned partition to the consumer's fetch-only queue (the sink fetcher's
/// `RebalanceContext` does the same, among its other work).
#[derive(Default)]
struct ForwardingContext {
    fetch: OnceLock<Weak<FetchQueue<ForwardingContext>>>,
}

impl ClientContext for ForwardingContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        super::log::log(level, fac, message);
    }

    fn error(&self, err: KafkaError, reason: &str) {
        super::log::client_error(&err, reason);
    }
}

impl ConsumerContext for ForwardingContext {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let (Rebalance::Assign(tpl), Some(fetch)) = (rebalance, self.fetch.get().and_then(Weak::upgrade)) else {
            return;
        };
        for e in tpl.elements() {
            fetch.forward(e.topic(), e.partition());
        }
    }
}

/// [`consume_count`] through a fetch-only queue, 500 records per librdkafka call: the ceiling of
/// the sink fetcher as it reads today (the per-`poll` ceiling stays the other one).
fn consume_count_batched(
    bootstrap_servers: &str,
    topic: &str,
    count: usize,
    timeout: Duration,
    settings: &HashMap<String, String>,
) -> Result<f64> {
    let consumer: Arc<BaseConsumer<ForwardingContext>> =
        Arc::new(super::client_config(bootstrap_servers, settings).create_with_context(ForwardingContext::default())?);
    let fetch =
        Arc::new(FetchQueue::new(consumer.clone()).ok_or_else(|| Error::Config {
            key: "group.id".into(),
            reason: "a batched consumer needs a group".into(),
        })?);
    let _ = consumer.context().fetch.set(Arc::downgrade(&fetch));
    consumer.subscribe(&[topic])?;
    let deadline = Instant::now() + timeout;
    let (mut seen, mut bytes, mut first) = (0usize, 0usize, None);
    while seen < count {
        if Instant::now() >= deadline {
            return Err(Error::Retriable(format!("only {seen} of {count} records before the timeout")));
        }
        // Rebalances (and their forwarding) happen in here.
        while consumer.poll(Duration::ZERO).is_some() {}
        fetch.consume(Duration::from_millis(100), 500, |message| {
            if let Ok(message) = message {
                first.get_or_insert_with(Instant::now);
                bytes += message.payload().map_or(0, <[u8]>::len);
                seen += 1;
            }
        });
    }
    std::hint::black_box(bytes);
    Ok(first.map_or(0.0, |t| t.elapsed().as_secs_f64()))
}
