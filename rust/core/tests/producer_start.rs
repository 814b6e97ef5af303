//! An idempotent producer's start on a real broker. librdkafka alone acquires the producer id from
//! a 500 ms timer: when its first Metadata answer arrives it has just traded the bootstrap broker
//! for the brokers named in the answer, none of which is connected yet, so every start waited
//! for the timer and held the records sent meanwhile. The producer's brokers-only Metadata
//! requests (`Producer::new`, `ferroconnect_librdkafka_ext::request_broker_metadata`) get the id as
//! soon as a named broker is connected.
//!
//! The embedded mock cluster does not show the wait (its answers keep a connected broker up), so
//! this runs on Apache Kafka: `FERROCONNECT_BOOTSTRAP=127.0.0.1:PORT cargo test --release -p
//! ferroconnect-core --test producer_start -- --ignored`. `scripts/test` also runs it under
//! valgrind memcheck (the Metadata call is unsafe code).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferroconnect_core::kafka::producer::{send_waiting, DeliveryHandler, DeliveryReport, OutgoingRecord, Producer};
use rdkafka::error::KafkaError;

fn real_broker() -> String {
    std::env::var("FERROCONNECT_BOOTSTRAP").expect("set FERROCONNECT_BOOTSTRAP=host:port of a Kafka broker")
}

#[derive(Default)]
struct Acked(AtomicUsize);

impl DeliveryHandler for Acked {
    fn on_delivery(&self, _: usize, outcome: Result<DeliveryReport<'_>, &KafkaError>) {
        if outcome.is_ok() {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The fastest of three starts, from creating the producer to its first record acknowledged, is
/// well under librdkafka's 500 ms timer (the fastest, so that one slow start on a loaded machine
/// does not fail it; without the prompt requests every start takes over 500 ms).
#[test]
#[ignore = "needs a real Kafka broker: FERROCONNECT_BOOTSTRAP"]
fn an_idempotent_producer_gets_its_id_without_waiting_for_the_retry_timer() {
    let bootstrap = real_broker();
    let topic = format!("fc-producer-start-{}", std::process::id());
    let record = OutgoingRecord { topic: topic.as_str().into(), value: Some(b"x".to_vec()), ..Default::default() };
    // The topic's creation (auto-created by the first record) is not part of a start.
    let warm = Producer::new(&bootstrap, &HashMap::new(), Arc::new(Acked::default())).unwrap();
    send_waiting(&warm, &record, 0).unwrap();
    warm.flush(Duration::from_secs(30)).unwrap();
    drop(warm);

    let starts: Vec<Duration> = (0..3)
        .map(|_| {
            let acked = Arc::new(Acked::default());
            let started = Instant::now();
            let producer = Producer::new(&bootstrap, &HashMap::new(), acked.clone()).unwrap();
            send_waiting(&producer, &record, 0).unwrap();
            producer.flush(Duration::from_secs(30)).unwrap();
            let took = started.elapsed();
            assert_eq!(acked.0.load(Ordering::Relaxed), 1, "the record was not acknowledged");
            took
        })
        .collect();
    // Under valgrind (`FERROCONNECT_MEMCHECK`, set by `scripts/test`) every step is many times
    // slower: there only the calls themselves are checked.
    if std::env::var_os("FERROCONNECT_MEMCHECK").is_some() {
        return;
    }
    let fastest = starts.iter().min().unwrap();
    assert!(*fastest < Duration::from_millis(300), "first record acknowledged after {starts:?}");
}
