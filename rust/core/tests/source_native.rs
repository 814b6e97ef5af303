//! The source runtime with a native Rust source (the built-in generator) on the embedded mock
//! cluster, so no Python is involved. Producer errors: retriable ones are retried by the producer
//! and lose nothing; a permanent one fails the task (or, with `errors.tolerance=all`, skips its
//! records), and no offset is ever committed past a record Kafka did not acknowledge.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferroconnect_core::connectors::{generator, BuiltinsFirst};
use ferroconnect_core::kafka::mock::{EmbeddedCluster, MockCommand};
use ferroconnect_core::kafka::reader::read_topic;
use ferroconnect_core::offsets::MemoryOffsetStore;
use ferroconnect_core::runtime::plugin::{Config, Connector, PluginLoader};
use ferroconnect_core::runtime::status::State;
use ferroconnect_core::runtime::worker::{TargetState, Worker};
use ferroconnect_core::runtime::worker_config::WorkerConfig;
use ferroconnect_core::{Error, Result};
use serde_json::json;

const RECORDS: u64 = 5_000;
const PRODUCE: i32 = 0;

/// No connectors but the built-ins.
struct NoPlugins;

impl PluginLoader for NoPlugins {
    fn load_connector(&self, class: &str) -> Result<Arc<dyn Connector>> {
        Err(Error::config("connector.class", format!("no plugin {class}")))
    }
}

fn config(pairs: &[(&str, &str)]) -> Config {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn worker(bootstrap: &str) -> Worker {
    worker_flushing_every(bootstrap, "50")
}

fn worker_flushing_every(bootstrap: &str, flush_ms: &str) -> Worker {
    let bytes = "org.apache.kafka.connect.converters.ByteArrayConverter";
    let props = config(&[
        ("bootstrap.servers", bootstrap),
        ("offset.flush.interval.ms", flush_ms),
        ("key.converter", bytes),
        ("value.converter", bytes),
    ]);
    let loader = Arc::new(BuiltinsFirst::new(Arc::new(NoPlugins)));
    Worker::new(WorkerConfig::from_props(props).expect("worker config"), loader, Arc::new(MemoryOffsetStore::default()))
}

fn start_generator(worker: &Worker, topic: &str, extra: &[(&str, &str)]) {
    let records = RECORDS.to_string();
    let mut connector = config(&[
        ("connector.class", generator::CLASS),
        ("topic", topic),
        ("max.messages", &records),
        ("batch.size", "100"),
    ]);
    connector.extend(config(extra));
    worker.create_connector("gen", connector, TargetState::Started).expect("connector created");
}

/// The last committed record number of the generator's task 0.
fn committed(worker: &Worker) -> Option<u64> {
    let offsets = worker.offset_store().get("gen", &[json!({"task": 0})]).expect("offsets");
    offsets[0].as_ref().and_then(|o| o.get("seqno")?.as_u64())
}

fn task_state(worker: &Worker) -> (State, Option<String>) {
    let status = worker.status("gen").expect("status");
    let task = &status.tasks[0].status;
    (task.state, task.trace.clone())
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The record numbers stored in `topic`, in the order Kafka has them.
fn stored_numbers(bootstrap: &str, topic: &str) -> Vec<u64> {
    let records = read_topic(
        bootstrap,
        topic,
        RECORDS as usize,
        Duration::from_secs(2),
        Duration::from_secs(60),
        &HashMap::new(),
    )
    .expect("topic read");
    records
        .iter()
        .map(|r| {
            let value = r.value.as_deref().expect("a value");
            let digits: String = value.iter().take_while(|b| b.is_ascii_digit()).map(|b| char::from(*b)).collect();
            digits.parse().expect("a numbered record")
        })
        .collect()
}

#[test]
fn retriable_produce_errors_are_retried_and_nothing_is_lost() {
    let cluster = EmbeddedCluster::start(1, 1).expect("mock cluster");
    let bootstrap = cluster.bootstrap_servers().to_owned();
    cluster.create_topic("retried", 1).expect("topic");
    // NOT_LEADER, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS(_AFTER_APPEND): each fails one Produce request.
    cluster
        .apply(MockCommand::RequestErrors { api_key: PRODUCE, error_codes: vec![6, 7, 6, 19, 20, 7] })
        .expect("faults");
    let worker = worker(&bootstrap);
    start_generator(&worker, "retried", &[]);
    wait_until("every offset committed", || committed(&worker) == Some(RECORDS - 1));
    assert_eq!(task_state(&worker).0, State::Running);
    worker.shutdown();

    let mut numbers = stored_numbers(&bootstrap, "retried");
    // What is checked here is that every record arrived (order is checked by the Python
    // broker-fault test).
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers, (0..RECORDS).collect::<Vec<_>>());
}

#[test]
fn a_permanent_produce_error_fails_the_task_and_commits_nothing_past_it() {
    let cluster = EmbeddedCluster::start(1, 1).expect("mock cluster");
    let bootstrap = cluster.bootstrap_servers().to_owned();
    cluster.create_topic("refused", 1).expect("topic");
    // TOPIC_AUTHORIZATION_FAILED is final for the records of the first Produce request, which
    // hold record 0; the requests after it succeed.
    cluster.apply(MockCommand::RequestErrors { api_key: PRODUCE, error_codes: vec![29] }).expect("faults");
    let worker = worker(&bootstrap);
    start_generator(&worker, "refused", &[]);
    wait_until("the task to fail", || task_state(&worker).0 == State::Failed);
    let trace = task_state(&worker).1.expect("a trace");
    assert!(trace.contains("Kafka rejected a record"), "{trace}");
    assert!(trace.to_lowercase().contains("authorization"), "{trace}");
    // Record 0 was never acknowledged, so no offset of its partition may be committed.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(committed(&worker), None);
    worker.shutdown();
}

#[test]
fn with_errors_tolerance_all_refused_records_are_skipped_and_offsets_move_on() {
    let cluster = EmbeddedCluster::start(1, 1).expect("mock cluster");
    let bootstrap = cluster.bootstrap_servers().to_owned();
    cluster.create_topic("skipped", 1).expect("topic");
    // MESSAGE_TOO_LARGE is final for one request's records only (an authorization error would
    // mark the whole topic failed in librdkafka, and every later record would be skipped too).
    cluster.apply(MockCommand::RequestErrors { api_key: PRODUCE, error_codes: vec![10] }).expect("faults");
    let worker = worker(&bootstrap);
    // Requests of at most 100 records, so that the refused request cannot hold them all.
    start_generator(
        &worker,
        "skipped",
        &[("errors.tolerance", "all"), ("producer.override.batch.num.messages", "100")],
    );
    wait_until("every offset committed", || committed(&worker) == Some(RECORDS - 1));
    assert_eq!(task_state(&worker).0, State::Running);
    worker.shutdown();

    let numbers = stored_numbers(&bootstrap, "skipped");
    assert!(
        !numbers.is_empty() && numbers.len() < RECORDS as usize,
        "some records refused, the rest stored: {}",
        numbers.len()
    );
    assert!(!numbers.contains(&0), "record 0 was in the refused request");
    assert_eq!(numbers.last(), Some(&(RECORDS - 1)));
}

#[test]
fn offsets_released_between_flushes_are_stored_at_a_graceful_stop() {
    let cluster = EmbeddedCluster::start(1, 1).expect("mock cluster");
    let bootstrap = cluster.bootstrap_servers().to_owned();
    cluster.create_topic("stopped", 1).expect("topic");
    // No flush during the test: offsets are released from the per-record bookkeeping after each
    // batch and must still reach the store when the connector stops.
    let worker = worker_flushing_every(&bootstrap, "600000");
    start_generator(&worker, "stopped", &[]);
    wait_until("every record stored", || stored_numbers(&bootstrap, "stopped").len() == RECORDS as usize);
    assert_eq!(committed(&worker), None, "nothing flushed yet");
    worker.stop("gen").expect("stopped");
    assert_eq!(committed(&worker), Some(RECORDS - 1));
    worker.shutdown();
}
