//! A producer that runs a callback per record, for low-rate users (the dead letter queue) where an
//! allocation per record does not matter. The source runtime's hot path uses [`Producer`] with a
//! token per record instead.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rdkafka::error::KafkaError;

use super::producer::{Delivered, DeliveryHandler, DeliveryReport, OutgoingRecord, Producer};
use crate::error::{Error, Result};

/// Called once per record from librdkafka's delivery thread.
pub type DeliveryCallback = Box<dyn FnOnce(std::result::Result<Delivered, KafkaError>) + Send + Sync>;

/// Callbacks of records in flight, by token.
#[derive(Default)]
struct Callbacks {
    next: AtomicUsize,
    pending: Mutex<HashMap<usize, DeliveryCallback>>,
}

impl DeliveryHandler for Callbacks {
    fn on_delivery(&self, token: usize, outcome: std::result::Result<DeliveryReport<'_>, &KafkaError>) {
        let callback = self.pending.lock().expect("callbacks lock").remove(&token);
        if let Some(callback) = callback {
            callback(outcome.map(|report| report.delivered()).map_err(KafkaError::clone));
        }
    }
}

/// A [`Producer`] whose records each carry their own callback.
pub struct CallbackProducer {
    producer: Producer,
    callbacks: Arc<Callbacks>,
}

impl CallbackProducer {
    /// Creates a producer from Kafka-style settings laid over Kafka Connect's defaults.
    pub fn new(bootstrap_servers: &str, settings: &HashMap<String, String>) -> Result<Self> {
        let callbacks = Arc::new(Callbacks::default());
        let producer = Producer::new(bootstrap_servers, settings, callbacks.clone())?;
        Ok(CallbackProducer { producer, callbacks })
    }

    /// Queues a record. When it cannot be queued (a full queue, see `is_queue_full`) the callback
    /// is handed back, never run, so the caller can try again.
    pub fn send(
        &self,
        record: &OutgoingRecord,
        on_delivery: DeliveryCallback,
    ) -> std::result::Result<(), (Error, DeliveryCallback)> {
        let token = self.callbacks.next.fetch_add(1, Ordering::Relaxed);
        // Registered first: the report may arrive before `send` returns.
        self.callbacks.pending.lock().expect("callbacks lock").insert(token, on_delivery);
        self.producer.send(record, token).map_err(|error| {
            let callback = self.callbacks.pending.lock().expect("callbacks lock").remove(&token);
            (error, callback.expect("a record that was not queued has no report"))
        })
    }

    /// Waits until every queued record is acknowledged or failed, at most `timeout`.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.producer.flush(timeout)
    }
}
