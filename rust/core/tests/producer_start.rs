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
//! valgrind memcheck (the Metadata call is unsafe code), with the test of every field a record
//! carries through the producer's topic handles (unsafe code too).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferroconnect_core::kafka::producer::{
    is_queue_full, produce_all, send_waiting, DeliveryHandler, DeliveryReport, OutgoingRecord, Producer,
};
use ferroconnect_core::kafka::reader::read_topic;
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

/// Every field of a record reaches the broker as sent through the producer's kept topic handles
/// (`ferroconnect_librdkafka_ext::TopicHandle`): key, value, partition, timestamp, headers (one
/// without a value, two of one name), records with neither key nor value, two topics in turn (so
/// the handle of each is found again), and each record's delivery report names where it landed.
#[test]
#[ignore = "needs a real Kafka broker: FERROCONNECT_BOOTSTRAP"]
fn every_field_of_a_record_arrives_through_the_topic_handles() {
    let bootstrap = real_broker();
    let topics = [0, 1].map(|i| format!("fc-producer-fields-{}-{i}", std::process::id()));
    let headers =
        vec![("h".to_owned(), Some(b"one".to_vec())), ("empty".to_owned(), None), ("h".to_owned(), Some(Vec::new()))];
    let records: Vec<OutgoingRecord> = (0..6)
        .map(|i: i64| OutgoingRecord {
            topic: topics[i as usize % 2].as_str().into(),
            partition: Some(0),
            key: (i % 3 != 0).then(|| format!("key-{i}").into_bytes()),
            value: (i != 4).then(|| format!("value-{i}").into_bytes()),
            timestamp: Some(1_700_000_000_000 + i),
            headers: if i % 2 == 0 { headers.clone() } else { Vec::new() },
        })
        .collect();
    let outcomes = produce_all(&bootstrap, &HashMap::new(), &records, Duration::from_secs(60)).unwrap();
    for (record, outcome) in records.iter().zip(&outcomes) {
        let delivered = outcome.as_ref().expect("acknowledged");
        assert_eq!((delivered.topic.as_str(), delivered.partition), (&*record.topic, 0));
        assert_eq!(delivered.timestamp, record.timestamp);
    }
    for topic in &topics {
        let stored =
            read_topic(&bootstrap, topic, 3, Duration::from_secs(1), Duration::from_secs(60), &HashMap::new()).unwrap();
        let sent: Vec<_> = records.iter().filter(|r| &*r.topic == topic.as_str()).collect();
        assert_eq!(stored.len(), sent.len(), "{topic}: {stored:?}");
        for (stored, sent) in stored.iter().zip(sent) {
            assert_eq!(
                (&stored.key, &stored.value, stored.timestamp, &stored.headers),
                (&sent.key, &sent.value, sent.timestamp, &sent.headers),
            );
        }
    }
}

/// A record librdkafka refuses (its queue full) leaves nothing behind: the headers built for it
/// are freed (memcheck, in `scripts/test`, fails on a leak), and it can be sent again.
#[test]
#[ignore = "needs a real Kafka broker: FERROCONNECT_BOOTSTRAP"]
fn a_refused_record_with_headers_can_be_sent_again() {
    let bootstrap = real_broker();
    let settings = HashMap::from([("queue.buffering.max.messages".to_owned(), "1".to_owned())]);
    let acked = Arc::new(Acked::default());
    let producer = Producer::new(&bootstrap, &settings, acked.clone()).unwrap();
    let record = OutgoingRecord {
        topic: format!("fc-producer-refused-{}", std::process::id()).as_str().into(),
        value: Some(b"x".to_vec()),
        headers: vec![("h".to_owned(), Some(b"v".to_vec()))],
        ..Default::default()
    };
    producer.send(&record, 0).unwrap();
    // The first record waits for `linger.ms` (and the topic's creation): the queue is full.
    let refused = producer.send(&record, 1).expect_err("a queue of one record takes no second");
    assert!(is_queue_full(&refused), "{refused}");
    send_waiting(&producer, &record, 1).unwrap();
    producer.flush(Duration::from_secs(30)).unwrap();
    assert_eq!(acked.0.load(Ordering::Relaxed), 2);
}
