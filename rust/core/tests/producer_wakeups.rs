//! The producer's broker thread sleeps while a request is in flight.
//!
//! An idempotent producer (ours, by default) starts no new ProduceRequest for a partition while
//! one is out. librdkafka 2.12.1 still set the broker thread's next wake-up to the linger deadline
//! of the oldest waiting record, so once that record was older than `linger.ms` the thread polled
//! its sockets with a zero timeout until the response came: a busy wait for the rest of each round
//! trip. The patched copy in `third_party/rdkafka-sys` keeps the thread asleep until the response
//! (see its FERROCONNECT.md). librdkafka's own statistics count the thread's wake-ups.
//!
//! The mock cluster holds each answer back 40 ms, so that every request outlasts `linger.ms` (5)
//! many times over, as on a real network or a loaded broker.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferroconnect_core::kafka::mock::{EmbeddedCluster, MockCommand};
use ferroconnect_core::kafka::producer::{send_waiting, DeliveryHandler, DeliveryReport, OutgoingRecord, Producer};
use rdkafka::error::KafkaError;
use rdkafka::statistics::Statistics;

/// The broker thread's wake-ups and ProduceRequests, from the latest statistics.
#[derive(Default)]
struct Counts {
    acked: AtomicUsize,
    /// (wake-ups, ProduceRequests) of the brokers that were sent records.
    latest: Mutex<(u64, i64)>,
}

impl DeliveryHandler for Counts {
    fn on_delivery(&self, _: usize, outcome: Result<DeliveryReport<'_>, &KafkaError>) {
        if outcome.is_ok() {
            self.acked.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn on_statistics(&self, statistics: &Statistics) {
        let producing = statistics.brokers.values().filter(|b| b.req.get("Produce").is_some_and(|n| *n > 0));
        let counts = producing
            .fold((0, 0), |(wakeups, requests), b| (wakeups + b.wakeups.unwrap_or(0), requests + b.req["Produce"]));
        *self.latest.lock().unwrap() = counts;
    }
}

#[test]
fn the_broker_thread_sleeps_while_a_produce_request_is_in_flight() {
    let cluster = EmbeddedCluster::start(1, 1).expect("mock cluster");
    let topic = "fc-wakeups";
    cluster.create_topic(topic, 1).unwrap();
    cluster.apply(MockCommand::BrokerRoundTripTime { broker_id: 1, delay: Duration::from_millis(40) }).unwrap();

    let counts = Arc::new(Counts::default());
    let settings = HashMap::from([("statistics.interval.ms".to_string(), "100".to_string())]);
    let producer = Producer::new(cluster.bootstrap_servers(), &settings, counts.clone()).unwrap();
    let record = OutgoingRecord { topic: topic.into(), value: Some(vec![b'x'; 100]), ..Default::default() };
    // Records keep coming for two seconds: the partition's queue always holds records older than
    // `linger.ms` while a request is out.
    let started = Instant::now();
    let mut sent = 0;
    while started.elapsed() < Duration::from_secs(2) {
        send_waiting(&producer, &record, sent).unwrap();
        sent += 1;
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(counts.acked.load(Ordering::Relaxed), sent, "every record acknowledged");
    std::thread::sleep(Duration::from_millis(300)); // statistics from after the last request

    let (wakeups, requests) = *counts.latest.lock().unwrap();
    assert!(requests >= 10, "{requests} ProduceRequests for {sent} records");
    // Measured here: unpatched 1,625,754 wake-ups for 38 requests (a zero-timeout poll every
    // ~1 µs of each round trip); patched 102 for 40 (the response, the statistics timer).
    let per_request = wakeups as f64 / requests as f64;
    assert!(per_request < 20.0, "{wakeups} broker thread wake-ups for {requests} ProduceRequests");
}
