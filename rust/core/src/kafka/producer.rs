//! The producer the runtime writes records with: librdkafka's producer with a poll thread that
//! sleeps while nothing is in flight, Kafka Connect's defaults, and one delivery handler per
//! producer that learns, by a token per record, when Kafka acknowledged (or finally rejected) each
//! record.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ferroconnect_librdkafka_ext::{Produce, TopicHandle};
use rdkafka::error::KafkaError;
use rdkafka::message::BorrowedMessage;
use rdkafka::producer::{BaseProducer, DeliveryResult, Producer as _, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::{ClientContext, Message};

use crate::error::{Error, Result};

/// Kafka Connect's framework producer defaults (`Worker.baseProducerConfigs`), in librdkafka's
/// terms. Worker `producer.*` and connector `producer.override.*` settings are laid over these.
///
/// Batching is left to librdkafka's own defaults, on purpose: Kafka Connect sets no batching keys,
/// so the Java client's apply there. `linger.ms` is 5 in both (Java's since Kafka 4.0, KIP-1030;
/// 0 before). Java's `batch.size=16384` is sized for the Java client's per-partition buffers;
/// librdkafka's `batch.size` (1,000,000 B) and `batch.num.messages` (10,000) are its own tuned
/// equivalents, and copying Java's 16 KiB batches onto one in-flight request would cut throughput
/// for no compatibility gain.
///
/// The queue of records not yet acknowledged holds two of librdkafka's batches: at most 20,000
/// records (two of `batch.num.messages`' 10,000) and 2 MiB of record bytes (two of `batch.size`'s
/// 1 MB; more when the batches or records are allowed to be larger: `room_for_two_batches`).
/// With one request in flight (Kafka Connect's `max.in.flight.requests.per.connection=1`), one
/// batch is out while the next fills, so each response is followed at once by a full request.
/// With room for one batch only (10,000 records, our bound before), the request after each
/// response carried just the records that came during the round trip: 180 requests for 1M
/// records of 100 B instead of 130, and about a fifth less throughput (docs/benchmarks.md). More
/// room buys no throughput and costs memory: the Java client's `buffer.memory` (32 MiB, which a
/// worker's `producer.buffer.memory` still sets, as `queue.buffering.max.kbytes`) held 9 MiB more
/// at full speed with 1 KiB Struct records, librdkafka's own bounds (1 GiB, 100,000 records) about
/// 45 MiB more with 100 B records; the default is a deliberate difference (docs/compatibility.md).
///
/// One deliberate difference: `enable.idempotence=true` (Kafka Connect sets `false`). Connect relies
/// on `max.in.flight.requests.per.connection=1` to keep each partition's records in order; the Java
/// client keeps that promise across retries, but librdkafka documents that retries may reorder
/// records unless idempotence is on (measured: a broker outage reordered two batches). A cluster
/// that denies the IDEMPOTENT_WRITE permission needs `producer.enable.idempotence=false`.
/// Its cost: librdkafka's idempotent producer starts a partition's next request only while fewer
/// than five of its records are in flight (in practice, after the previous response), and
/// meanwhile its broker thread polls its socket with a zero timeout as soon as the oldest waiting
/// record is older than `linger.ms`: up to ~2.5 µs of CPU per record at full speed
/// (docs/benchmarks.md, "The producer's broker thread").
pub const CONNECT_PRODUCER_DEFAULTS: &[(&str, &str)] = &[
    ("acks", "all"),
    ("enable.idempotence", "true"),
    ("max.in.flight.requests.per.connection", "1"),
    // Java's Integer.MAX_VALUE: never give up on a record; librdkafka's upper bound too.
    ("delivery.timeout.ms", "2147483647"),
    ("queue.buffering.max.kbytes", "2048"),
    ("queue.buffering.max.messages", "20000"),
];

/// `settings` laid over [`CONNECT_PRODUCER_DEFAULTS`], Java-only keys left out, `buffer.memory`
/// translated.
fn librdkafka_settings(settings: &HashMap<String, String>) -> Result<HashMap<String, String>> {
    let mut merged: HashMap<String, String> =
        CONNECT_PRODUCER_DEFAULTS.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    if let Some(value) = settings.get("buffer.memory") {
        merged.insert("queue.buffering.max.kbytes".into(), buffer_memory_kbytes(value)?);
    }
    merged.extend(
        settings.iter().filter(|(k, _)| !JAVA_ONLY_KEYS.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())),
    );
    room_for_two_batches(settings, &mut merged);
    Ok(merged)
}

/// The queue's default bounds hold two batches (see [`CONNECT_PRODUCER_DEFAULTS`]): when the
/// worker or connector raises `batch.size`, `message.max.bytes` or `batch.num.messages`, the
/// bounds grow to two of the largest batch or record (a record larger than the byte bound would
/// wait for room forever; librdkafka refuses records over `message.max.bytes` at once). Bounds
/// the worker or connector set are left as they are.
fn room_for_two_batches(settings: &HashMap<String, String>, merged: &mut HashMap<String, String>) {
    let number = |merged: &HashMap<String, String>, key: &str| merged.get(key)?.trim().parse::<u64>().ok();
    let raise = |merged: &mut HashMap<String, String>, bound: &str, needed: Option<u64>| {
        if let Some(needed) = needed.filter(|needed| number(merged, bound).is_some_and(|now| *needed > now)) {
            merged.insert(bound.to_owned(), needed.min(i32::MAX as u64).to_string());
        }
    };
    if !settings.contains_key("buffer.memory") && !settings.contains_key("queue.buffering.max.kbytes") {
        let largest = number(merged, "batch.size").max(number(merged, "message.max.bytes"));
        raise(merged, "queue.buffering.max.kbytes", largest.map(|bytes| bytes.saturating_mul(2).div_ceil(1024)));
    }
    if !settings.contains_key("queue.buffering.max.messages") {
        raise(
            merged,
            "queue.buffering.max.messages",
            number(merged, "batch.num.messages").map(|count| count.saturating_mul(2)),
        );
    }
}

/// Java's `buffer.memory` (bytes) as librdkafka's `queue.buffering.max.kbytes`, the same bound
/// on the bytes of records waiting to be sent.
fn buffer_memory_kbytes(value: &str) -> Result<String> {
    let bytes: u64 = value
        .trim()
        .parse()
        .map_err(|_| Error::config("buffer.memory", format!("Invalid value {value}: not a number of bytes")))?;
    let kbytes = bytes.div_ceil(1024).clamp(1, i32::MAX as u64);
    Ok(kbytes.to_string())
}

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

/// Where a record landed (owned; see [`DeliveryReport`] for the report it is read from).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub timestamp: Option<i64>,
}

/// Where a record landed: librdkafka's delivery report, read only by handlers that keep it (the
/// topic's name alone, a `strlen` and a UTF-8 check, was ~150 instructions per record for
/// handlers that only count or mark records acknowledged).
#[derive(Clone, Copy)]
pub struct DeliveryReport<'a>(&'a BorrowedMessage<'a>);

impl DeliveryReport<'_> {
    /// The owned copy, for handlers that keep it.
    pub fn delivered(&self) -> Delivered {
        let message = self.0;
        Delivered {
            topic: message.topic().to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            timestamp: message.timestamp().to_millis(),
        }
    }
}

impl std::fmt::Debug for DeliveryReport<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.delivered().fmt(f)
    }
}

/// Receives the outcome of every record a [`Producer`] sent, on librdkafka's delivery thread.
///
/// One handler per producer, and a plain `usize` token per record (given to [`Producer::send`])
/// instead of a boxed callback per record: at a million records a second the allocation and the
/// indirect call per record were a measurable share of the source path.
pub trait DeliveryHandler: Send + Sync {
    /// `token` is the one the record was sent with; the error is final (librdkafka has already
    /// retried what it could within `delivery.timeout.ms`).
    fn on_delivery(&self, token: usize, outcome: std::result::Result<DeliveryReport<'_>, &KafkaError>);

    /// The producer's statistics, when `statistics.interval.ms` is set; ignored by default.
    fn on_statistics(&self, _statistics: &rdkafka::statistics::Statistics) {}
}

/// A record's serialized form, ready to send.
#[derive(Debug, Clone, Default)]
pub struct OutgoingRecord {
    /// Shared with the record it was converted from.
    pub topic: std::sync::Arc<str>,
    pub partition: Option<i32>,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub timestamp: Option<i64>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// Routes librdkafka's delivery reports to the producer's handler, with each record's token.
pub struct HandlerContext {
    handler: Arc<dyn DeliveryHandler>,
    /// The connector context of the task owning the producer, for librdkafka's lines.
    span: tracing::Span,
}

impl ClientContext for HandlerContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        self.span.in_scope(|| super::log::log(level, fac, message));
    }

    fn error(&self, err: KafkaError, reason: &str) {
        self.span.in_scope(|| super::log::client_error(&err, reason));
    }

    fn stats(&self, statistics: rdkafka::statistics::Statistics) {
        self.handler.on_statistics(&statistics);
    }
}

impl ProducerContext for HandlerContext {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, token: usize) {
        match result {
            Ok(message) => self.handler.on_delivery(token, Ok(DeliveryReport(message))),
            Err((error, _)) => self.handler.on_delivery(token, Err(error)),
        }
    }
}

/// How long the poll thread waits for delivery reports while records are in flight.
const POLL_WAIT: Duration = Duration::from_millis(100);
/// How long the poll thread sleeps while nothing is in flight, unless a send wakes it sooner.
const IDLE_WAIT: Duration = Duration::from_secs(1);

/// A producer whose delivery reports go to one [`DeliveryHandler`].
///
/// Its poll thread serves librdkafka's delivery reports while records are in flight and sleeps
/// while none are; [`Producer::send`] wakes it. rust-rdkafka's `ThreadedProducer` polls without
/// pause instead, and its poll spins with zero timeouts through the last sub-millisecond of each
/// wait (the deadline rounds down to whole milliseconds): about 0.7 % of a core per idle task.
pub struct Producer {
    inner: Arc<BaseProducer<HandlerContext>>,
    /// The handles of the topics sent to, so that a record names its topic by handle
    /// (`ferroconnect_librdkafka_ext::TopicHandle` says why).
    topics: Mutex<TopicHandles>,
    poller: Option<JoinHandle<()>>,
    stop: Arc<AtomicBool>,
}

/// A producer's topic handles by name, and the last one used: a task's records mostly share one
/// `Arc<str>` topic, so the pointer comparison usually finds it without hashing the name.
#[derive(Default)]
struct TopicHandles {
    last: Option<(Arc<str>, Arc<TopicHandle<HandlerContext>>)>,
    by_name: HashMap<Arc<str>, Arc<TopicHandle<HandlerContext>>>,
}

/// Topic handles a producer keeps at most; past it they are all dropped and made again as used
/// (a task that routes records to ever new topics would otherwise hold one for each forever).
const MAX_TOPIC_HANDLES: usize = 1024;

impl TopicHandles {
    fn get(
        &mut self,
        producer: &Arc<BaseProducer<HandlerContext>>,
        topic: &Arc<str>,
    ) -> Result<&TopicHandle<HandlerContext>> {
        let hit = self.last.as_ref().is_some_and(|(last, _)| Arc::ptr_eq(last, topic) || **last == **topic);
        if !hit {
            let handle = match self.by_name.get(topic) {
                Some(handle) => handle.clone(),
                None => {
                    if self.by_name.len() >= MAX_TOPIC_HANDLES {
                        self.by_name.clear();
                    }
                    let handle = Arc::new(TopicHandle::new(producer, topic)?);
                    self.by_name.insert(topic.clone(), handle.clone());
                    handle
                }
            };
            self.last = Some((topic.clone(), handle));
        }
        Ok(&self.last.as_ref().expect("set above").1)
    }
}

impl Producer {
    /// Creates a producer from Kafka-style settings laid over [`CONNECT_PRODUCER_DEFAULTS`].
    pub fn new(
        bootstrap_servers: &str,
        settings: &HashMap<String, String>,
        handler: Arc<dyn DeliveryHandler>,
    ) -> Result<Self> {
        let merged = librdkafka_settings(settings)?;
        let inner: Arc<BaseProducer<HandlerContext>> = Arc::new(
            super::client_config(bootstrap_servers, &merged)
                .create_with_context(HandlerContext { handler, span: tracing::Span::current() })?,
        );
        let stop = Arc::new(AtomicBool::new(false));
        let poller = std::thread::Builder::new().name("producer-poll".into()).spawn({
            let (inner, stop) = (inner.clone(), stop.clone());
            let prompt_pid = is_idempotent(&merged) && !merged.contains_key("transactional.id");
            crate::logging::context::in_current_span(move || {
                if prompt_pid {
                    request_producer_id_promptly(&inner, &stop);
                }
                poll_loop(&inner, &stop)
            })
        });
        let poller = poller.map_err(|e| Error::io("starting the producer's poll thread", e))?;
        Ok(Producer { inner, topics: Mutex::default(), poller: Some(poller), stop })
    }

    /// Queues a record; its outcome reaches the handler with `token`. An error means the record
    /// was not queued (nothing reaches the handler); when [`Error::is_retriable`] (a full queue
    /// above all) the caller may wait and send it again: back-pressure, nothing dropped.
    pub fn send(&self, record: &OutgoingRecord, token: usize) -> Result<()> {
        let mut topics = self.topics.lock().expect("topic handles lock");
        topics.get(&self.inner, &record.topic)?.produce(Produce {
            partition: record.partition,
            key: record.key.as_deref(),
            payload: record.value.as_deref(),
            timestamp: record.timestamp,
            headers: &record.headers,
            opaque: token,
        })?;
        drop(topics);
        // Cheap unless the poll thread sleeps: then it wakes to serve this record's report.
        if let Some(poller) = &self.poller {
            poller.thread().unpark();
        }
        Ok(())
    }

    /// Sends what is queued at once (no `linger.ms` wait) and waits until every record is
    /// acknowledged or failed and its report served, at most `timeout`.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        // rust-rdkafka's flush polls the producer's queue itself in waits of up to 100 ms, which
        // our poll thread empties first: each flush would stall 100 ms. Only its first step is
        // kept, `rd_kafka_flush` with no wait, which wakes the broker threads to send lingering
        // batches; the poll thread serves the reports meanwhile.
        match self.inner.flush(Duration::ZERO) {
            Ok(()) | Err(KafkaError::Flush(RDKafkaErrorCode::OperationTimedOut)) => {}
            Err(e) => return Err(Error::from(e)),
        }
        self.wait_delivered(timeout)
    }

    /// Records queued or in flight.
    pub fn in_flight(&self) -> i32 {
        self.inner.in_flight_count()
    }

    /// Registers the producer's `transactional.id` with its coordinator: fences out any earlier
    /// producer with the same id (its open transaction is aborted) and readies this one
    /// (Kafka's `initTransactions`).
    pub fn init_transactions(&self, timeout: Duration) -> Result<()> {
        self.inner.init_transactions(timeout).map_err(Error::from)
    }

    /// Starts a transaction: what is sent from now on is committed or aborted together.
    pub fn begin_transaction(&self) -> Result<()> {
        self.inner.begin_transaction().map_err(Error::from)
    }

    /// Sends everything queued, waits for every acknowledgement, then commits the transaction.
    /// Fails if any record of the transaction failed; the transaction must then be aborted.
    pub fn commit_transaction(&self, timeout: Duration) -> Result<()> {
        // rust-rdkafka's commit runs its own flush first, which would stall 100 ms (see `flush`;
        // measured: 18k records/s in batches of 2000); after ours it returns at once.
        self.flush(timeout)?;
        self.inner.commit_transaction(timeout).map_err(Error::from)
    }

    /// Waits until every queued record was acknowledged (or failed) and its report served by the
    /// poll thread, at most `timeout`.
    fn wait_delivered(&self, timeout: Duration) -> Result<()> {
        let deadline = std::time::Instant::now() + timeout;
        while self.inner.in_flight_count() > 0 {
            if std::time::Instant::now() >= deadline {
                return Err(Error::Retriable(format!(
                    "{} records still in flight after {} ms",
                    self.inner.in_flight_count(),
                    timeout.as_millis()
                )));
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        Ok(())
    }

    /// Aborts the open transaction: its records never become visible to `read_committed` readers.
    pub fn abort_transaction(&self, timeout: Duration) -> Result<()> {
        self.inner.abort_transaction(timeout).map_err(Error::from)
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(poller) = self.poller.take() {
            poller.thread().unpark();
            let _ = poller.join();
        }
    }
}

/// How long each of the Metadata requests of [`request_producer_id_promptly`] may wait: past it,
/// librdkafka's own 500 ms retry timer does as well.
const PROMPT_WAIT: Duration = Duration::from_millis(500);

fn is_idempotent(settings: &HashMap<String, String>) -> bool {
    settings.get("enable.idempotence").is_some_and(|value| value.eq_ignore_ascii_case("true"))
}

/// Gets an idempotent producer its producer id as soon as a broker is connected, where librdkafka
/// alone waits 500 ms for its retry timer at every start (and holds the records sent meanwhile):
/// two brokers-only Metadata requests, the second answered by a broker the first one named
/// (`ferroconnect_librdkafka_ext::request_broker_metadata` says why). Runs on the poll thread
/// before it serves reports, which cannot come before the id; a failed request is left to the
/// timer.
fn request_producer_id_promptly(producer: &BaseProducer<HandlerContext>, stop: &AtomicBool) {
    for _ in 0..2 {
        if stop.load(Ordering::Acquire)
            || ferroconnect_librdkafka_ext::request_broker_metadata(producer.client(), PROMPT_WAIT).is_err()
        {
            return;
        }
    }
}

/// Serves delivery reports (and librdkafka's other events) while anything is queued, in flight or
/// waiting to be served; sleeps otherwise. `rd_kafka_outq_len` counts all three, so a sleeping
/// thread leaves nothing unserved, and a send between the check and the sleep finds the thread's
/// wake-up token already set.
fn poll_loop(producer: &BaseProducer<HandlerContext>, stop: &AtomicBool) {
    while !stop.load(Ordering::Acquire) {
        if producer.in_flight_count() > 0 {
            producer.poll(POLL_WAIT);
        } else {
            std::thread::park_timeout(IDLE_WAIT);
        }
    }
}

/// Whether `send` failed only because librdkafka's local queue is full (wait, then send again).
pub fn is_queue_full(error: &Error) -> bool {
    matches!(error, Error::Kafka(KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull)))
}

/// Collects each record's outcome by its index (the token it was sent with).
struct Outcomes(Mutex<Vec<Option<Result<Delivered>>>>);

impl DeliveryHandler for Outcomes {
    fn on_delivery(&self, token: usize, outcome: std::result::Result<DeliveryReport<'_>, &KafkaError>) {
        let outcome = outcome.map(|report| report.delivered()).map_err(|e| Error::Kafka(e.clone()));
        if let Some(slot) = self.0.lock().expect("outcomes lock").get_mut(token) {
            *slot = Some(outcome);
        }
    }
}

/// Sends every record with a producer of its own, waiting out a full queue, and returns each
/// record's outcome in order. For tools and tests; the source runtime tracks acknowledgements itself.
pub fn produce_all(
    bootstrap_servers: &str,
    settings: &HashMap<String, String>,
    records: &[OutgoingRecord],
    timeout: Duration,
) -> Result<Vec<Result<Delivered>>> {
    let outcomes = Arc::new(Outcomes(Mutex::new((0..records.len()).map(|_| None).collect())));
    let producer = Producer::new(bootstrap_servers, settings, outcomes.clone())?;
    for (index, record) in records.iter().enumerate() {
        send_waiting(&producer, record, index)?;
    }
    producer.flush(timeout)?;
    drop(producer);
    let outcomes = std::mem::take(&mut *outcomes.0.lock().expect("outcomes lock"));
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Err(Error::Retriable("no delivery report before the timeout".into()))))
        .collect())
}

/// Sends one record, waiting while librdkafka's queue is full.
pub fn send_waiting(producer: &Producer, record: &OutgoingRecord, token: usize) -> Result<()> {
    loop {
        match producer.send(record, token) {
            Err(error) if is_queue_full(&error) => std::thread::sleep(Duration::from_millis(1)),
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::mock::EmbeddedCluster;
    use std::time::Instant;

    struct Ignore;

    #[test]
    fn buffer_memory_is_read_as_queue_kbytes() {
        assert_eq!(buffer_memory_kbytes("33554432").unwrap(), "32768");
        assert_eq!(buffer_memory_kbytes("1000").unwrap(), "1");
        assert_eq!(buffer_memory_kbytes("0").unwrap(), "1");
        let err = buffer_memory_kbytes("lots").unwrap_err().to_string();
        assert!(err.contains("buffer.memory") && err.contains("lots"), "{err}");
    }

    /// `buffer.memory` reaches librdkafka as `queue.buffering.max.kbytes`, unless that is set too;
    /// the default bounds grow with the batch and record sizes.
    #[test]
    fn producer_settings_take_buffer_memory() {
        let bound = |key: &str, pairs: &[(&str, &str)]| {
            let settings = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            librdkafka_settings(&settings).unwrap()[key].clone()
        };
        let kbytes = |pairs: &[(&str, &str)]| bound("queue.buffering.max.kbytes", pairs);
        let messages = |pairs: &[(&str, &str)]| bound("queue.buffering.max.messages", pairs);
        assert_eq!(kbytes(&[]), "2048");
        assert_eq!(kbytes(&[("buffer.memory", "1048576")]), "1024");
        // Room for two of the largest batches or records, when those are raised.
        assert_eq!(kbytes(&[("message.max.bytes", "1000000")]), "2048");
        assert_eq!(kbytes(&[("message.max.bytes", "20971520")]), "40960");
        assert_eq!(kbytes(&[("batch.size", "4194304"), ("message.max.bytes", "2097152")]), "8192");
        assert_eq!(kbytes(&[("message.max.bytes", "20971520"), ("buffer.memory", "1048576")]), "1024");
        assert_eq!(kbytes(&[("message.max.bytes", "20971520"), ("queue.buffering.max.kbytes", "4096")]), "4096");
        assert_eq!(messages(&[]), "20000");
        assert_eq!(messages(&[("batch.num.messages", "5000")]), "20000");
        assert_eq!(messages(&[("batch.num.messages", "50000")]), "100000");
        assert_eq!(messages(&[("batch.num.messages", "50000"), ("queue.buffering.max.messages", "30000")]), "30000");
        assert_eq!(kbytes(&[("buffer.memory", "1048576"), ("queue.buffering.max.kbytes", "4096")]), "4096");
        let settings = HashMap::from([("buffer.memory".to_string(), "x".to_string())]);
        assert!(librdkafka_settings(&settings).is_err());
    }

    impl DeliveryHandler for Ignore {
        fn on_delivery(&self, _: usize, _: std::result::Result<DeliveryReport<'_>, &KafkaError>) {}
    }

    /// rust-rdkafka's own flush waited up to 100 ms for reports our poll thread had already
    /// served: every flush of one record took about 100 ms.
    #[test]
    fn a_flush_returns_once_the_poll_thread_served_the_reports() {
        let cluster = EmbeddedCluster::start(1, 1).unwrap();
        cluster.create_topic("flushed", 1).unwrap();
        let producer = Producer::new(cluster.bootstrap_servers(), &HashMap::new(), Arc::new(Ignore)).unwrap();
        let record = OutgoingRecord { topic: "flushed".into(), value: Some(b"x".to_vec()), ..Default::default() };
        // The first send fetches metadata and connects: not timed.
        send_waiting(&producer, &record, 0).unwrap();
        producer.flush(Duration::from_secs(10)).unwrap();
        let mut took: Vec<Duration> = (0..10)
            .map(|_| {
                send_waiting(&producer, &record, 0).unwrap();
                let started = Instant::now();
                producer.flush(Duration::from_secs(10)).unwrap();
                assert_eq!(producer.in_flight(), 0);
                started.elapsed()
            })
            .collect();
        took.sort();
        assert!(took[5] < Duration::from_millis(50), "flushes of one record took {took:?}");
    }
}
