//! The sink fetcher on a real broker: several partitions read through the fetch-only queue while a
//! second member joins the group and leaves again. Each partition's records must arrive in order,
//! each assignment starting where the previous owner committed, none lost and none twice.
//!
//! `FERROCONNECT_BOOTSTRAP=127.0.0.1:PORT cargo test --release -p ferroconnect-core --test sink_fetcher -- --ignored`
//! against a broker from `python scripts/kafka_broker.py start --state-dir DIR`. `scripts/test` also
//! runs it under valgrind memcheck with `FERROCONNECT_FETCHER_RECORDS=2000` (the unsafe batch consume).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ferroconnect_core::kafka::consumer::{ConsumerSetup, Fetched, Fetcher, Subscription, TopicPartition};
use ferroconnect_core::kafka::producer::{produce_all, OutgoingRecord};

const PARTITIONS: i32 = 4;

/// Records per partition: `FERROCONNECT_FETCHER_RECORDS` (fewer under valgrind), 20,000 by default.
fn per_partition() -> i64 {
    std::env::var("FERROCONNECT_FETCHER_RECORDS").ok().and_then(|n| n.parse().ok()).unwrap_or(20_000)
}

fn real_broker() -> String {
    std::env::var("FERROCONNECT_BOOTSTRAP").expect("set FERROCONNECT_BOOTSTRAP=host:port of a Kafka broker")
}

fn fresh(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("fc-fetcher-{name}-{}-{nanos}", std::process::id())
}

fn create_topic(bootstrap: &str, topic: &str) {
    use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
    use rdkafka::client::DefaultClientContext;
    use rdkafka::config::ClientConfig;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let admin: AdminClient<DefaultClientContext> =
        ClientConfig::new().set("bootstrap.servers", bootstrap).create().unwrap();
    let new = NewTopic::new(topic, PARTITIONS, TopicReplication::Fixed(1));
    for result in runtime.block_on(admin.create_topics([&new], &AdminOptions::new())).unwrap() {
        result.unwrap();
    }
}

/// What one member saw: per partition, runs of offsets (a run per assignment).
type Seen = BTreeMap<TopicPartition, Vec<Vec<i64>>>;

/// How a member is told to slow down and to stop, and how it says how far it got.
#[derive(Clone, Default)]
struct Control {
    /// Read slowly (~2,500 records/s), so that the rebalance lands mid-stream and the fetcher's
    /// queue fills up (its partitions are paused).
    slow: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    read: Arc<AtomicUsize>,
}

/// Reads as a sink task does until told to stop: records each message, commits on revocation
/// (and what it read when it stops), so that the next owner starts right after.
fn member(bootstrap: &str, topic: &str, group: &str, name: &str, control: Control) -> Seen {
    let setup = ConsumerSetup {
        bootstrap_servers: bootstrap.to_owned(),
        group_id: group.to_owned(),
        client_id: name.to_owned(),
        settings: HashMap::from([
            ("session.timeout.ms".to_owned(), "10000".to_owned()),
            ("heartbeat.interval.ms".to_owned(), "500".to_owned()),
        ]),
        subscription: Subscription::Topics(vec![topic.to_owned()]),
        queue_capacity: 2_000,
        statistics: None,
    };
    let fetcher = Fetcher::start(setup, format!("fetcher-{name}")).unwrap();
    let mut seen = Seen::new();
    let mut next: BTreeMap<TopicPartition, i64> = BTreeMap::new();
    while !control.stop.load(Ordering::Relaxed) {
        let batch = fetcher.next_batch(50, Duration::from_millis(100));
        for slice in &batch.messages {
            for m in slice.iter() {
                let tp = m.topic_partition();
                seen.entry(tp.clone())
                    .or_default()
                    .last_mut()
                    .expect("a message before its assignment")
                    .push(m.offset());
                next.insert(tp, m.offset() + 1);
            }
        }
        control.read.fetch_add(batch.count, Ordering::Relaxed);
        if control.slow.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(20));
        }
        match batch.event {
            Some(Fetched::Assigned(partitions)) => {
                for tp in partitions {
                    seen.entry(tp).or_default().push(Vec::new());
                }
            }
            Some(Fetched::Revoked { partitions, lost, done }) => {
                assert!(!lost, "{name} lost partitions");
                let offsets: BTreeMap<_, _> =
                    partitions.iter().filter_map(|tp| next.remove(tp).map(|o| (tp.clone(), o))).collect();
                fetcher.commit(&offsets).unwrap();
                let _ = done.send(());
            }
            _ => {}
        }
    }
    fetcher.commit(&next).unwrap();
    fetcher.close();
    seen
}

#[test]
#[ignore = "needs a real Kafka broker: FERROCONNECT_BOOTSTRAP"]
fn real_broker_partitions_stay_in_order_across_a_rebalance() {
    let bootstrap = real_broker();
    let topic = fresh("rebalance");
    let group = fresh("group");
    create_topic(&bootstrap, &topic);
    let per_partition = per_partition();
    let records: Vec<OutgoingRecord> = (0..per_partition)
        .flat_map(|i| {
            (0..PARTITIONS).map(move |p| OutgoingRecord {
                partition: Some(p),
                value: Some(format!("{p}-{i}").into_bytes()),
                ..OutgoingRecord::default()
            })
        })
        .map(|r| OutgoingRecord { topic: topic.as_str().into(), ..r })
        .collect();
    for outcome in produce_all(&bootstrap, &HashMap::new(), &records, Duration::from_secs(60)).unwrap() {
        outcome.unwrap();
    }
    let total = (PARTITIONS as i64 * per_partition) as usize;

    let start = |name: &'static str, control: &Control| {
        let (b, t, g, c) = (bootstrap.clone(), topic.clone(), group.clone(), control.clone());
        std::thread::spawn(move || member(&b, &t, &g, name, c))
    };

    let (control_a, control_b) = (Control::default(), Control::default());
    control_a.slow.store(true, Ordering::Relaxed);
    control_b.slow.store(true, Ordering::Relaxed);
    let (read_a, read_b) = (&control_a.read, &control_b.read);
    let wait_until = |what: &str, done: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !done() {
            let (a, b) = (read_a.load(Ordering::Relaxed), read_b.load(Ordering::Relaxed));
            assert!(Instant::now() < deadline, "timed out waiting for {what} (a read {a}, b {b}, of {total})");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    let a = start("a", &control_a);
    wait_until("a's first records", &|| read_a.load(Ordering::Relaxed) > 0);
    // b joins: a gives some partitions up mid-stream.
    let b = start("b", &control_b);
    wait_until("b's first records", &|| read_b.load(Ordering::Relaxed) > 0);
    std::thread::sleep(Duration::from_millis(300));
    // b leaves: a takes its partitions back from b's commits, and reads the rest at full speed.
    control_b.stop.store(true, Ordering::Relaxed);
    let seen_b = b.join().unwrap();
    control_a.slow.store(false, Ordering::Relaxed);
    wait_until("every record", &|| read_a.load(Ordering::Relaxed) + read_b.load(Ordering::Relaxed) >= total);
    std::thread::sleep(Duration::from_millis(500));
    control_a.stop.store(true, Ordering::Relaxed);
    let seen_a = a.join().unwrap();

    assert!(seen_b.values().any(|runs| runs.iter().any(|r| !r.is_empty())), "b read nothing: no rebalance mid-stream");
    let mut runs_of: BTreeMap<TopicPartition, Vec<Vec<i64>>> = BTreeMap::new();
    for seen in [&seen_a, &seen_b] {
        for (tp, runs) in seen {
            for run in runs {
                // In order, without gaps, within an assignment.
                assert!(run.windows(2).all(|w| w[1] == w[0] + 1), "{tp}: out of order or a gap: {run:?}");
                if !run.is_empty() {
                    runs_of.entry(tp.clone()).or_default().push(run.clone());
                }
            }
        }
    }
    assert_eq!(runs_of.len(), PARTITIONS as usize);
    for (tp, mut runs) in runs_of {
        // Each assignment starts where the previous one ended: nothing lost, nothing twice.
        runs.sort_by_key(|r| r[0]);
        let mut expected = 0;
        for run in &runs {
            assert_eq!(run[0], expected, "{tp}: an assignment started at {} after {expected} records", run[0]);
            expected = run.last().unwrap() + 1;
        }
        assert_eq!(expected, per_partition, "{tp}: records missing at the end");
    }
    assert_eq!(read_a.load(Ordering::Relaxed) + read_b.load(Ordering::Relaxed), total, "a record read twice");
}

/// Records whose headers the fetcher tells apart from the record in place or through librdkafka
/// (`rust/librdkafka-ext`, `surely_headerless`): with and without headers, null, empty, short and
/// long values (one- to three-byte length varints), in plain and compressed batches.
#[test]
#[ignore = "needs a real Kafka broker: FERROCONNECT_BOOTSTRAP"]
fn real_broker_headers_keys_and_values_arrive_as_produced() {
    type Headers = Vec<(String, Option<Vec<u8>>)>;
    /// Key, value and headers of one record.
    type Case = (Option<Vec<u8>>, Option<Vec<u8>>, Headers);
    let bootstrap = real_broker();
    let header = |pairs: &[(&str, Option<&[u8]>)]| -> Headers {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), v.map(<[u8]>::to_vec))).collect()
    };
    let cases: Vec<Case> = vec![
        (None, Some(b"x".repeat(100)), vec![]),
        (Some(b"k".to_vec()), Some(b"x".repeat(100)), header(&[("h", Some(b"1")), ("null", None)])),
        (None, None, vec![]),
        (None, None, header(&[("tombstone", Some(b"t"))])),
        (None, Some(Vec::new()), vec![]),
        (None, Some(Vec::new()), header(&[("e", Some(b"2"))])),
        (None, Some(b"y".repeat(63)), vec![]),
        (None, Some(b"y".repeat(64)), header(&[("a", Some(b"3")), ("b", Some(b"4"))])),
        (Some(Vec::new()), Some(b"z".repeat(9000)), vec![]),
        (None, Some(b"z".repeat(9000)), header(&[("big", Some(&[0u8; 300]))])),
    ];
    for compression in ["none", "lz4"] {
        let topic = fresh(&format!("headers-{compression}"));
        create_topic(&bootstrap, &topic);
        let records: Vec<OutgoingRecord> = cases
            .iter()
            .map(|(key, value, headers)| OutgoingRecord {
                topic: topic.as_str().into(),
                partition: Some(0),
                key: key.clone(),
                value: value.clone(),
                headers: headers.clone(),
                ..OutgoingRecord::default()
            })
            .collect();
        let settings = HashMap::from([("compression.type".to_owned(), compression.to_owned())]);
        for outcome in produce_all(&bootstrap, &settings, &records, Duration::from_secs(60)).unwrap() {
            outcome.unwrap();
        }
        let setup = ConsumerSetup {
            bootstrap_servers: bootstrap.clone(),
            group_id: fresh("headers-group"),
            client_id: "headers".to_owned(),
            settings: HashMap::new(),
            subscription: Subscription::Topics(vec![topic.clone()]),
            queue_capacity: 100,
            statistics: None,
        };
        let fetcher = Fetcher::start(setup, "fetcher-headers".to_owned()).unwrap();
        let mut got = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while got.len() < cases.len() && Instant::now() < deadline {
            let batch = fetcher.next_batch(50, Duration::from_millis(100));
            for slice in &batch.messages {
                for m in slice.iter() {
                    let headers: Headers = m.headers().map(|(k, v)| (k.to_owned(), v.map(<[u8]>::to_vec))).collect();
                    got.push((m.key().map(<[u8]>::to_vec), m.value().map(<[u8]>::to_vec), headers));
                }
            }
            if let Some(Fetched::Revoked { done, .. }) = batch.event {
                let _ = done.send(());
            }
        }
        fetcher.close();
        assert_eq!(got, cases, "compression {compression}");
    }
}
