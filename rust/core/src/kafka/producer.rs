//! The producer the runtime writes records with: librdkafka's threaded producer, Kafka Connect's
//! defaults, and a callback per record run when Kafka acknowledges (or finally rejects) it.

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer as _, ProducerContext, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientContext, Message};

use crate::error::{Error, Result};

/// Kafka Connect's framework producer defaults (`Worker.baseProducerConfigs`), in librdkafka's
/// terms. Worker `producer.*` and connector `producer.override.*` settings are laid over these.
pub const CONNECT_PRODUCER_DEFAULTS: &[(&str, &str)] = &[
    ("acks", "all"),
    ("enable.idempotence", "false"),
    ("max.in.flight.requests.per.connection", "1"),
    // Java's Integer.MAX_VALUE: never give up on a record; librdkafka's upper bound too.
    ("delivery.timeout.ms", "2147483647"),
];

/// Java client settings that have no librdkafka equivalent; they are accepted and ignored so that
/// Kafka Connect's `.properties` files work unchanged.
pub const JAVA_ONLY_KEYS: &[&str] = &[
    "key.serializer",
    "value.serializer",
    "key.deserializer",
    "value.deserializer",
    "max.block.ms",
    "buffer.memory",
    "interceptor.classes",
    "metric.reporters",
    "metrics.num.samples",
    "metrics.sample.window.ms",
    "partitioner.class",
    "default.api.timeout.ms",
];

/// Where a record landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
}

/// Called once per record from librdkafka's delivery thread.
pub type DeliveryCallback = Box<dyn FnOnce(std::result::Result<Delivered, KafkaError>) + Send + Sync>;

/// A record's serialized form, ready to send.
#[derive(Debug, Clone, Default)]
pub struct OutgoingRecord {
    pub topic: String,
    pub partition: Option<i32>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub timestamp: Option<i64>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// Routes librdkafka's delivery reports to each record's callback.
pub struct CallbackContext;

impl ClientContext for CallbackContext {}

impl ProducerContext for CallbackContext {
    type DeliveryOpaque = Box<DeliveryCallback>;

    fn delivery(&self, result: &DeliveryResult<'_>, callback: Self::DeliveryOpaque) {
        let outcome = match result {
            Ok(message) => Ok(Delivered {
                topic: message.topic().to_owned(),
                partition: message.partition(),
                offset: message.offset(),
                timestamp: message.timestamp().to_millis(),
            }),
            Err((error, _)) => Err(error.clone()),
        };
        (*callback)(outcome);
    }
}

/// A producer for records with per-record delivery callbacks.
pub struct Producer {
    inner: ThreadedProducer<CallbackContext>,
}

impl Producer {
    /// Creates a producer from Kafka-style settings laid over [`CONNECT_PRODUCER_DEFAULTS`].
    pub fn new(bootstrap_servers: &str, settings: &HashMap<String, String>) -> Result<Self> {
        let mut merged: HashMap<String, String> =
            CONNECT_PRODUCER_DEFAULTS.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        merged.extend(
            settings.iter().filter(|(k, _)| !JAVA_ONLY_KEYS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())),
        );
        let inner = super::client_config(bootstrap_servers, &merged).create_with_context(CallbackContext)?;
        Ok(Producer { inner })
    }

    /// Queues a record. When librdkafka's queue is full the record and its callback are handed
    /// back, untouched, so the caller can wait and try again (back-pressure, nothing dropped).
    pub fn send(
        &self,
        record: &OutgoingRecord,
        on_delivery: DeliveryCallback,
    ) -> std::result::Result<(), (Error, DeliveryCallback)> {
        let mut base: BaseRecord<'_, [u8], [u8], Box<DeliveryCallback>> =
            BaseRecord::with_opaque_to(&record.topic, Box::new(on_delivery));
        if let Some(partition) = record.partition {
            base = base.partition(partition);
        }
        if let Some(key) = &record.key {
            base = base.key(key.as_slice());
        }
        if let Some(value) = &record.value {
            base = base.payload(value.as_slice());
        }
        if let Some(ts) = record.timestamp {
            base = base.timestamp(ts);
        }
        if !record.headers.is_empty() {
            let headers =
                record.headers.iter().fold(OwnedHeaders::new_with_capacity(record.headers.len()), |h, (key, value)| {
                    h.insert(Header { key, value: value.as_deref() })
                });
            base = base.headers(headers);
        }
        self.inner.send(base).map_err(|(error, base)| (Error::Kafka(error), *base.delivery_opaque))
    }

    /// Waits until every queued record is acknowledged or failed, at most `timeout`.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.inner.flush(timeout).map_err(Error::from)
    }

    /// Records queued or in flight.
    pub fn in_flight(&self) -> i32 {
        self.inner.in_flight_count()
    }
}

/// Whether `send` failed only because librdkafka's local queue is full.
pub fn is_queue_full(error: &Error) -> bool {
    matches!(error, Error::Kafka(KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)))
}

/// Sends every record, waiting out a full queue, and returns each record's outcome in order.
/// For tools and tests; the source runtime tracks acknowledgements itself.
pub fn produce_all(
    producer: &Producer,
    records: &[OutgoingRecord],
    timeout: Duration,
) -> Result<Vec<Result<Delivered>>> {
    let (tx, rx) = mpsc::channel::<(usize, std::result::Result<Delivered, KafkaError>)>();
    for (index, record) in records.iter().enumerate() {
        let tx = tx.clone();
        let mut callback: DeliveryCallback = Box::new(move |outcome| {
            let _ = tx.send((index, outcome));
        });
        loop {
            match producer.send(record, callback) {
                Ok(()) => break,
                Err((error, returned)) if is_queue_full(&error) => {
                    callback = returned;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err((error, _)) => return Err(error),
            }
        }
    }
    drop(tx);
    producer.flush(timeout)?;
    let mut outcomes: Vec<Option<Result<Delivered>>> = (0..records.len()).map(|_| None).collect();
    for (index, outcome) in rx.iter() {
        outcomes[index] = Some(outcome.map_err(Error::from));
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(Error::Retriable("no delivery report before the timeout".into()))))
        .collect())
}
