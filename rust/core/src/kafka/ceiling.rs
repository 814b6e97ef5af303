//! The throughput ceiling of the source path: the same bytes sent with the same producer and
//! settings, and nothing else per record (no connector, no conversion, no offset tracking). The
//! source benchmark compares the runtime against it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::error::KafkaError;

use super::producer::{send_waiting, DeliveryHandler, DeliveryReport, OutgoingRecord, Producer};
use crate::error::{Error, Result};

/// Counts acknowledgements and keeps the first error.
#[derive(Default)]
struct Count {
    acked: AtomicUsize,
    first_error: Mutex<Option<KafkaError>>,
}

impl DeliveryHandler for Count {
    fn on_delivery(&self, _token: usize, outcome: std::result::Result<DeliveryReport<'_>, &KafkaError>) {
        match outcome {
            Ok(_) => {
                self.acked.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                self.first_error.lock().expect("error lock").get_or_insert_with(|| e.clone());
            }
        }
    }
}

/// Sends `count` copies of `value` to `topic` with a new producer (Kafka Connect's defaults under
/// `settings`) and waits for every acknowledgement. Returns the time from creating the producer
/// to the last acknowledgement.
pub fn produce_copies(
    bootstrap_servers: &str,
    settings: &HashMap<String, String>,
    topic: &str,
    value: &[u8],
    count: usize,
    timeout: Duration,
) -> Result<Duration> {
    let started = Instant::now();
    let handler = Arc::new(Count::default());
    let producer = Producer::new(bootstrap_servers, settings, handler.clone())?;
    let record = OutgoingRecord { topic: topic.into(), value: Some(value.to_vec()), ..OutgoingRecord::default() };
    for token in 0..count {
        send_waiting(&producer, &record, token)?;
    }
    producer.flush(timeout)?;
    let elapsed = started.elapsed();
    if let Some(error) = handler.first_error.lock().expect("error lock").take() {
        return Err(Error::Kafka(error));
    }
    let acked = handler.acked.load(Ordering::Relaxed);
    if acked != count {
        return Err(Error::Retriable(format!("{acked} of {count} records acknowledged before the timeout")));
    }
    Ok(elapsed)
}
