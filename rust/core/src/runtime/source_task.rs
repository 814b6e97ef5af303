//! Runs one source task (Kafka Connect's `WorkerSourceTask`) on its own OS thread, and an
//! at-least-once task's sending on a second one.
//!
//! The loop: poll the task for a batch, run it through the connector's transforms (skipped
//! entirely when there are none), convert each record's key, value and headers, send them,
//! and every `offset.flush.interval.ms` store the offsets whose records Kafka acknowledged (see
//! `submitted`). An at-least-once task polls one batch ahead: its thread calls `poll` while the
//! sending thread converts and sends the batch before (`Driver::run_polling_ahead`). When
//! librdkafka's queue is full the unsent records wait and `poll` is not called beyond that one
//! batch: back-pressure, nothing dropped. `stop` comes from another thread (the worker): it sets
//! the stop flag and calls the task's `stop`, which must make a blocked `poll` return.
//!
//! Producer errors: librdkafka retries retriable errors itself (Kafka Connect's defaults give it
//! `delivery.timeout.ms` = forever), so an error in a delivery report is final and fails the task
//! (or, with `errors.tolerance=all`, skips the record). An error from `send` itself means the record
//! was not queued: retriable ones (a full queue above all) are retried, others are final too.
//!
//! Per record, the hot path moves rather than copies: the record's bytes go from the converter
//! into the outgoing record, the producer carries the record's ticket as a plain token, and the
//! delivery report marks it acknowledged by index (see `submitted`).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::error::KafkaError;
use tracing::{debug, info, warn};

use crate::convert::{Converter, HeaderConverter};
use crate::error::{Error, Result};
use crate::errors::{ErrorReporter, Stage};
use crate::kafka::producer::{is_queue_full, Delivered, DeliveryHandler, DeliveryReport, OutgoingRecord, Producer};
use crate::logging::context::in_current_span;
use crate::metrics::TaskMetrics;
use crate::offsets::OffsetStore;
use crate::runtime::exactly_once::{ExactlyOnceSetup, Transactions, OFFSETS_RECORD_TOKEN};
use crate::runtime::plugin::{ReportedError, SourceTask, SourceTaskContext};
use crate::runtime::record::{SourceOffset, SourceRecord, Unconvertible};
use crate::runtime::submitted::{SubmittedRecords, Ticket};
pub use crate::runtime::task_control::TaskId;
use crate::runtime::task_control::{join_by, log_abandoned, TaskControl};
use crate::transforms::chain::StageFailure;
use crate::transforms::{Record, TransformChain};

/// The exception class Kafka Connect's converters throw, named in error reports.
const DATA_EXCEPTION: &str = "org.apache.kafka.connect.errors.DataException";

/// A record a converter refused, with where it came from.
struct Refused {
    failure: Unconvertible,
    topic: Arc<str>,
    source_partition: Arc<serde_json::Value>,
    source_offset: SourceOffset,
}

impl Refused {
    /// Index of the refusing converter in `SourceTaskSetup::converter_classes`.
    fn converter_index(&self) -> usize {
        match self.failure.stage {
            Stage::KeyConverter => 0,
            Stage::HeaderConverter => 2,
            _ => 1,
        }
    }
}

/// Kafka Connect's back-off after a retriable error from `send` (`SEND_FAILED_BACKOFF_MS`).
const SEND_FAILED_BACKOFF: Duration = Duration::from_millis(100);

/// How long the sending thread of a task that polls ahead waits for a batch before it looks at
/// acknowledgements, delivery failures and a stop request again (an offset flush due sooner
/// shortens the wait).
const POLL_AHEAD_TICK: Duration = Duration::from_millis(500);

/// A batch (or the error) `poll` returned, handed from the polling thread to the sending one.
type PolledBatch = Result<Vec<SourceRecord>>;

/// What the loop got for its next batch.
enum Next {
    Batch(Vec<SourceRecord>),
    /// Nothing yet (`poll` returned `None`, or nothing came within a tick).
    Nothing,
    /// A task that polls ahead was asked to stop and its last batch is in.
    Finished,
}

/// Everything a source task's thread needs.
pub struct SourceTaskSetup {
    pub id: TaskId,
    pub worker_id: String,
    pub task: Arc<dyn SourceTask>,
    pub context: SourceTaskContext,
    pub bootstrap_servers: String,
    /// The producer's settings (client prefixes applied); the task creates its own producer, whose
    /// delivery reports go to the task's shared state.
    pub producer_settings: HashMap<String, String>,
    pub key_converter: Arc<dyn Converter>,
    pub value_converter: Arc<dyn Converter>,
    pub header_converter: Arc<dyn HeaderConverter>,
    pub offset_store: Arc<dyn OffsetStore>,
    pub flush_interval: Duration,
    pub flush_timeout: Duration,
    /// `errors.*`: whether records that fail conversion or delivery are skipped, and the error log.
    pub errors: Arc<ErrorReporter>,
    /// The class names of the key, value and header converters, for error reports.
    pub converter_classes: [String; 3],
    /// Where the topics this task produces to are recorded (KIP-558).
    pub active_topics: crate::runtime::topics::TopicRecorder,
    /// The connector's transforms, applied to each polled batch before the converters.
    pub transforms: TransformChain,
    /// Set when the task runs exactly once (KIP-618): its producer is transactional and offsets
    /// are committed with the records, at the transaction boundaries (`exactly_once`).
    pub exactly_once: Option<ExactlyOnceSetup>,
    /// Recorded once per batch; the producer's statistics go there too.
    pub metrics: Arc<TaskMetrics>,
}

/// What waits for the producer, in order: records, and the transaction boundaries of an
/// exactly-once task between them.
enum Unsent {
    /// A converted record; for an exactly-once task with its source partition and offset, which
    /// its transaction commits once the producer has taken it.
    Record(OutgoingRecord, Ticket, Option<Box<(Arc<serde_json::Value>, SourceOffset)>>),
    /// The end of a polled batch: the boundary decides whether the transaction ends here.
    BatchEnd,
    /// The task asked to commit (`true`) or abort the transaction right after a record.
    Boundary(bool),
}

/// What became of a record offered to the producer.
enum Offered {
    Taken,
    /// Refused for good, and reported.
    Refused,
    /// Not taken now: offer it again after this wait.
    Later(Duration),
}

/// What a source record keeps outside the transform chain: where it came from, and the task's
/// own object for it.
struct SourceSide {
    source_partition: Arc<serde_json::Value>,
    source_offset: SourceOffset,
    handle: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

/// A converted record with its source partition and offset (for `submitted`).
type Converted = (OutgoingRecord, Arc<serde_json::Value>, SourceOffset);

/// A polled batch on its way into `unsent`.
struct Enqueuing {
    /// The task's commit and abort requests on records of the batch, by index, not yet queued.
    boundaries: std::iter::Peekable<std::vec::IntoIter<(usize, bool)>>,
    /// The source partition and offset of each queued record, in order, for `submitted`
    /// (at-least-once tasks only).
    tracked: Vec<(Arc<serde_json::Value>, SourceOffset)>,
    /// The queued records the task wants in `commit_records`, by ticket.
    kept: Vec<(Ticket, SourceRecord)>,
    /// The submission number of the batch's first record.
    first: u64,
}

/// The task's record as polled, for `commit_records` (only when the task wants them). Boxed: a
/// batch's records move through several vectors, and an unboxed `None` still made each element
/// carry (and copy) a whole record's size.
type Kept = Option<Box<SourceRecord>>;

/// What the chain did with one polled record.
enum Transformed {
    Record(SourceRecord),
    /// A stage returned `None`.
    Dropped,
    Failed(StageFailure, SourceSide),
}

/// What the delivery reports of a task's records advance.
enum Acknowledgements {
    /// At least once: which source offsets may be stored.
    Offsets(Mutex<SubmittedRecords>),
    /// Exactly once, where each transaction carries its offsets: only how many records are still
    /// unacknowledged (for `source-record-active-count`).
    Count(AtomicUsize),
}

/// State shared by the task's thread, the producer's delivery callbacks and the worker.
pub struct TaskShared {
    pub control: TaskControl,
    acknowledgements: Acknowledgements,
    /// Records in flight, kept only for tasks that implement `commit_record` (`keeps_records`).
    kept: Mutex<HashMap<Ticket, SourceRecord>>,
    keeps_records: bool,
    /// Records for `commit_records`: acknowledged (with where they landed) or skipped (`None`).
    acked: Mutex<Vec<(SourceRecord, Option<Delivered>)>>,
    failure: Mutex<Option<String>>,
    tolerate_errors: bool,
    metrics: Option<Arc<TaskMetrics>>,
    /// Records Kafka refused and `errors.tolerance=all` skipped: acknowledged, not written.
    skipped_deliveries: AtomicU64,
    /// Offsets were stored and the task's `commit` is due: set by the sending thread of a task
    /// that polls ahead, which leaves the call to the task's own thread (`tell_task`).
    commit_due: AtomicBool,
}

impl TaskShared {
    fn new(
        id: TaskId,
        worker_id: &str,
        tolerate_errors: bool,
        keeps_records: bool,
        metrics: Option<Arc<TaskMetrics>>,
        exactly_once: bool,
    ) -> Arc<Self> {
        let acknowledgements = if exactly_once {
            Acknowledgements::Count(AtomicUsize::new(0))
        } else {
            Acknowledgements::Offsets(Mutex::new(SubmittedRecords::default()))
        };
        Arc::new(TaskShared {
            metrics,
            skipped_deliveries: AtomicU64::new(0),
            commit_due: AtomicBool::new(false),
            control: TaskControl::new(id, worker_id),
            acknowledgements,
            kept: Mutex::new(HashMap::new()),
            keeps_records,
            acked: Mutex::new(Vec::new()),
            failure: Mutex::new(None),
            tolerate_errors,
        })
    }

    /// A record Kafka will never take (final delivery error, or a send error that is not
    /// retriable): fails the task, or with `errors.tolerance=all` counts the record as done.
    fn record_failed(&self, ticket: Ticket, error: &dyn std::fmt::Display) {
        let kept = self.kept.lock().expect("kept lock").remove(&ticket);
        if self.tolerate_errors {
            self.skipped(kept.map(Box::new));
            // Kafka Connect with errors.tolerance=all: the failure is reported and the record
            // counts as done so that its offset can be committed.
            warn!(task = %self.control.id, "skipping a record Kafka rejected (errors.tolerance=all): {error}");
            self.skipped_deliveries.fetch_add(1, Ordering::Relaxed);
            if let Some(metrics) = &self.metrics {
                metrics.errors.error(true);
            }
            self.acknowledged(ticket);
        } else {
            let mut failure = self.failure.lock().expect("failure lock");
            failure.get_or_insert_with(|| format!("Kafka rejected a record and errors.tolerance=none: {error}"));
        }
    }

    /// A record Kafka acknowledged (or, tolerated, refused).
    fn acknowledged(&self, ticket: Ticket) {
        match &self.acknowledgements {
            Acknowledgements::Offsets(submitted) => submitted.lock().expect("submitted lock").ack(ticket),
            Acknowledgements::Count(unacknowledged) => {
                unacknowledged.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// A record skipped under `errors.tolerance=all` goes to `commit_records` without metadata,
    /// as Kafka Connect calls `commitRecord(record, null)` (`WorkerSourceTask.recordDropped`).
    fn skipped(&self, kept: Kept) {
        if let Some(record) = kept {
            self.acked.lock().expect("acked lock").push((*record, None));
        }
    }
}

impl DeliveryHandler for TaskShared {
    fn on_delivery(&self, token: usize, outcome: std::result::Result<DeliveryReport<'_>, &KafkaError>) {
        if token == OFFSETS_RECORD_TOKEN {
            // An exactly-once task's offsets record: its failure fails the transaction's commit.
            return;
        }
        let ticket = Ticket::from_token(token);
        match outcome {
            Ok(report) => {
                self.acknowledged(ticket);
                if !self.keeps_records {
                    return;
                }
                if let Some(record) = self.kept.lock().expect("kept lock").remove(&ticket) {
                    self.acked.lock().expect("acked lock").push((record, Some(report.delivered())));
                }
            }
            Err(e) => self.record_failed(ticket, e),
        }
    }

    fn on_statistics(&self, statistics: &rdkafka::statistics::Statistics) {
        if let Some(metrics) = &self.metrics {
            crate::metrics::clients::record(metrics, statistics);
        }
    }
}

/// A running source task: its thread and its shared state.
pub struct RunningSourceTask {
    pub shared: Arc<TaskShared>,
    /// None for a task that could not be created.
    pub metrics: Option<Arc<TaskMetrics>>,
    task: Option<Arc<dyn SourceTask>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The thread calling the task's `stop`, once asked.
    stop_call: Option<std::thread::JoinHandle<()>>,
}

/// The polling half of a task that polls ahead (`Driver::run_polling_ahead`), on the task's
/// thread: hands each batch (or the task's error, which ends it) to the sending thread, until a
/// stop request or until the sending thread is done. Its return drops `hand_over`, which tells
/// the sending thread that no batch is coming.
fn poll_ahead(
    task: &dyn SourceTask,
    shared: &TaskShared,
    metrics: &TaskMetrics,
    sending_done: &AtomicBool,
    hand_over: SyncSender<PolledBatch>,
) {
    while !sending_done.load(Ordering::Relaxed) && shared.control.wait_while_paused() {
        if let Err(e) = tell_task(task, shared) {
            let _ = hand_over.send(Err(e));
            return;
        }
        let started = Instant::now();
        match task.poll() {
            Ok(None) => {}
            Ok(Some(batch)) => {
                metrics.polled(batch.len(), started.elapsed());
                if hand_over.send(Ok(batch)).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = hand_over.send(Err(e));
                return;
            }
        }
    }
}

/// What the sending thread of a task that polls ahead left for the task's own thread: the
/// acknowledged records for `commit_records`, then `commit` after an offset commit.
fn tell_task(task: &dyn SourceTask, shared: &TaskShared) -> Result<()> {
    deliver_commit_records(task, shared)?;
    if shared.commit_due.swap(false, Ordering::AcqRel) {
        task.commit()?;
    }
    Ok(())
}

/// Hands the records acknowledged (or skipped) since the last call to the task's
/// `commit_records`, when it wants them.
fn deliver_commit_records(task: &dyn SourceTask, shared: &TaskShared) -> Result<()> {
    if !shared.keeps_records {
        return Ok(());
    }
    let acked = std::mem::take(&mut *shared.acked.lock().expect("acked lock"));
    if acked.is_empty() {
        return Ok(());
    }
    task.commit_records(acked)
}

impl RunningSourceTask {
    /// A task that could not even be created: no thread, FAILED with `trace`.
    pub fn failed(id: TaskId, worker_id: &str, trace: String) -> Self {
        let shared = TaskShared::new(id, worker_id, false, false, None, false);
        shared.control.fail(trace);
        RunningSourceTask { shared, metrics: None, task: None, thread: None, stop_call: None }
    }

    /// Creates the task's producer and starts the task on a new thread.
    pub fn spawn(setup: SourceTaskSetup) -> Result<Self> {
        let keeps_records = setup.task.wants_commit_record();
        let tolerate_errors = setup.errors.tolerates_all();
        let metrics = Some(setup.metrics.clone());
        let exactly_once = setup.exactly_once.is_some();
        let shared = TaskShared::new(
            setup.id.clone(),
            &setup.worker_id,
            tolerate_errors,
            keeps_records,
            metrics.clone(),
            exactly_once,
        );
        shared.control.set_version(setup.task.version());
        let producer = Producer::new(&setup.bootstrap_servers, &setup.producer_settings, shared.clone())?;
        let task = Some(setup.task.clone());
        let thread_task = setup.task.clone();
        let thread_shared = shared.clone();
        let name = format!("task-{}", setup.id);
        let body = move || Driver::new(setup, producer, thread_shared).run();
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(in_current_span(move || thread_task.run_thread(Box::new(body))))
            .map_err(|e| Error::io("starting a task thread", e))?;
        Ok(RunningSourceTask { shared, metrics, task, thread: Some(thread), stop_call: None })
    }

    /// Asks the task to stop: flags the loop and calls the task's `stop` (which must unblock
    /// `poll`) on a thread of its own, so that a `stop` that hangs holds neither the worker nor
    /// the other tasks' stops.
    pub fn begin_stop(&mut self) {
        self.shared.control.request_stop();
        let Some(task) = self.task.take() else { return };
        let shared = self.shared.clone();
        let call = move || {
            if let Err(e) = task.stop() {
                shared.control.log_stop_failure("stop", &e);
            }
        };
        let spawned = std::thread::Builder::new()
            .name(format!("task-stop-{}", self.shared.control.id))
            .spawn(in_current_span(call));
        match spawned {
            Ok(thread) => self.stop_call = Some(thread),
            Err(e) => warn!(task = %self.shared.control.id, "could not start a thread to call stop(): {e}"),
        }
    }

    /// Waits until `deadline` for the task's `stop` to return and its thread to finish; false
    /// (logged, both abandoned) when they did not. `timeout` is only for the log line.
    pub fn await_stop(mut self, deadline: Instant, timeout: Duration) -> bool {
        let stopped = self.stop_call.take().is_none_or(|call| join_by(call, deadline));
        let finished = self.thread.take().is_none_or(|thread| join_by(thread, deadline));
        if !(stopped && finished) {
            log_abandoned(&self.shared.control.id, timeout);
        }
        stopped && finished
    }
}

/// The task thread's own state.
struct Driver {
    setup: SourceTaskSetup,
    producer: Producer,
    shared: Arc<TaskShared>,
    /// Converted records the producer has not accepted yet, oldest first.
    unsent: VecDeque<Unsent>,
    /// The newest offset per partition released by `submitted` but not yet stored (kept across
    /// a failed store).
    unstored: HashMap<String, (serde_json::Value, serde_json::Value)>,
    last_flush: Instant,
    wants_records: bool,
    /// The transactions of an exactly-once task.
    eos: Option<Transactions>,
    /// Where an at-least-once task's batches come from: its own thread polls one batch ahead
    /// of this one (see `run_polling_ahead`).
    polled: Option<Receiver<PolledBatch>>,
    /// Records submitted to the producer so far, and how many of them were acknowledged (or
    /// failed) at the last count: for `source-record-write-*`.
    submitted: u64,
    written: u64,
}

impl Driver {
    fn new(mut setup: SourceTaskSetup, producer: Producer, shared: Arc<TaskShared>) -> Self {
        let wants_records = shared.keeps_records;
        let eos = setup.exactly_once.take().map(|eos| Transactions::new(eos, &setup.id));
        Driver {
            setup,
            producer,
            shared,
            unsent: VecDeque::new(),
            unstored: HashMap::new(),
            last_flush: Instant::now(),
            wants_records,
            eos,
            polled: None,
            submitted: 0,
            written: 0,
        }
    }

    fn run(mut self) {
        if let Some(eos) = &mut self.eos {
            // Before the task starts, as Kafka's `initTransactions` in `prepareToInitializeTask`:
            // an earlier instance of this task is fenced out and its open transaction aborted, so
            // the offsets the task reads at start are final.
            if let Err(e) = eos.init(&self.producer) {
                self.shared
                    .control
                    .fail(format!("Failed to initialize the transactional producer of task {}: {e}", self.setup.id));
                return;
            }
        }
        if let Err(e) = self.setup.task.start(self.setup.context.clone()) {
            self.shared.control.fail_with(&e);
            return;
        }
        self.shared.control.set_started();
        info!(task = %self.setup.id, "source task started");
        if self.eos.is_some() {
            let outcome = self.run_loop();
            self.finish(outcome);
        } else {
            self.run_polling_ahead();
        }
    }

    /// An at-least-once task's loop on two threads: this one (the task's, where `start` ran)
    /// calls `poll` while a second converts and sends the batch polled before. One batch ahead
    /// at most: the hand-over waits until the sending thread takes the batch, which it does only
    /// when the previous one is all with the producer, so back-pressure still stops `poll`.
    /// Why: `poll` (Python building records and their conversion to Connect data, under the
    /// GIL) and the converters and producer (Rust, without it) each took about half of a
    /// record's time on the one thread.
    ///
    /// Kafka Connect semantics kept: batches are sent in the order polled, a record's offset is
    /// stored only once it and all before it of its partition are acknowledged, and the batch a
    /// `poll` returns after a stop request is still sent. Every call into the task stays on its
    /// own thread (`commit` and `commit_record` between two polls, `tell_task`), so a Python
    /// task's thread-bound state (a `threading.local`, an sqlite connection) still works; only
    /// the connector's transforms run on the sending thread. An exactly-once task stays on one
    /// thread: a transaction boundary its `poll` asks for belongs to the batch it returns.
    fn run_polling_ahead(mut self) {
        let task = self.setup.task.clone();
        let shared = self.shared.clone();
        let metrics = self.setup.metrics.clone();
        let (hand_over, polled) = sync_channel(1);
        self.polled = Some(polled);
        let sending_done = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let sender_task = task.clone();
            let done = &sending_done;
            let body = move || {
                let outcome = self.run_loop();
                done.store(true, Ordering::Relaxed);
                self.finish(outcome);
            };
            let spawned = std::thread::Builder::new()
                .name(format!("task-send-{}", shared.control.id))
                .spawn_scoped(scope, in_current_span(move || sender_task.run_thread(Box::new(body))));
            if let Err(e) = spawned {
                shared.control.fail(format!("could not start the sending thread of task {}: {e}", shared.control.id));
                return;
            }
            poll_ahead(&*task, &shared, &metrics, &sending_done, hand_over);
        });
        // The final offset commit (`finish`) is the last the task hears of.
        if let Err(e) = tell_task(&*task, &shared) {
            warn!(task = %shared.control.id, "offset commit at shutdown failed: {e}");
        }
    }

    /// The end of the task's loop, graceful or failed: the final offset commit (or transaction),
    /// then the task's status.
    fn finish(mut self, outcome: Result<()>) {
        if self.eos.is_some() {
            self.finish_transactions(outcome.is_ok());
        } else {
            // Graceful stop or failure: store what Kafka acknowledged, never more.
            if let Err(e) = self.producer.flush(self.setup.flush_timeout) {
                warn!(task = %self.setup.id, "producer flush at shutdown did not finish: {e}");
            }
            if let Err(e) = self.commit_offsets() {
                warn!(task = %self.setup.id, "offset commit at shutdown failed: {e}");
            }
        }
        self.setup.transforms.close();
        match outcome {
            Err(e) => self.shared.control.fail(e.to_string()),
            Ok(()) => debug!(task = %self.setup.id, "source task stopped"),
        }
    }

    fn run_loop(&mut self) -> Result<()> {
        loop {
            // Polling ahead, a stop ends the loop once the batches `poll` returned are sent
            // (`Next::Finished`), unless records wait for the producer: those a stop abandons,
            // unsent and uncommitted, as with one thread.
            let polling_ahead = self.polled.is_some();
            if self.shared.control.stopping() && (!polling_ahead || !self.unsent.is_empty()) {
                return Ok(());
            }
            if let Some(failure) = self.shared.failure.lock().expect("failure lock").take() {
                return Err(Error::Connector(failure));
            }
            if self.eos.is_none() {
                if self.last_flush.elapsed() >= self.setup.flush_interval {
                    self.commit_offsets()?;
                }
                self.deliver_commit_records()?;
            } else if self.shared.control.paused() && self.unsent.is_empty() {
                // Kafka commits before pausing: no transaction hangs open (and times out) meanwhile.
                self.final_transaction()?;
            }
            if !self.shared.control.wait_while_paused() && !polling_ahead {
                return Ok(());
            }
            if !self.unsent.is_empty() {
                self.send_unsent()?;
                continue;
            }
            let batch = match self.next_batch()? {
                Next::Batch(batch) => batch,
                Next::Nothing => {
                    // Kafka's `batchDispatched` after an empty poll too: an interval boundary
                    // that passed while the source is idle commits what is open.
                    if self.eos.is_some() {
                        self.unsent.push_back(Unsent::BatchEnd);
                        self.send_unsent()?;
                    }
                    // Idle: acknowledgements still advance `source-record-write-*` and free memory.
                    self.release_acknowledged();
                    continue;
                }
                Next::Finished => return Ok(()),
            };
            self.convert_batch(batch)?;
            self.send_unsent()?;
            self.release_acknowledged();
        }
    }

    /// The next batch: polled here, or taken from the thread that polls ahead. That one is
    /// waited for up to a tick (less when an offset flush is due first); once a stop was
    /// requested, for a whole tick, so that a `poll` the stop ends hands its batch over.
    fn next_batch(&mut self) -> Result<Next> {
        let Some(polled) = &self.polled else {
            let started = Instant::now();
            return Ok(match self.setup.task.poll()? {
                Some(batch) => {
                    self.setup.metrics.polled(batch.len(), started.elapsed());
                    Next::Batch(batch)
                }
                None => Next::Nothing,
            });
        };
        // Known before the wait: a stop that comes during it gets the next wait, a whole tick.
        let stopping = self.shared.control.stopping();
        let wait = if stopping {
            POLL_AHEAD_TICK
        } else {
            self.setup.flush_interval.saturating_sub(self.last_flush.elapsed()).min(POLL_AHEAD_TICK)
        };
        match polled.recv_timeout(wait) {
            Ok(batch) => batch.map(Next::Batch),
            // A `poll` that a stop did not end within a tick is not waited for.
            Err(RecvTimeoutError::Timeout) if stopping => Ok(Next::Finished),
            Err(RecvTimeoutError::Timeout) => Ok(Next::Nothing),
            // The polling thread is done: every batch it polled was taken.
            Err(RecvTimeoutError::Disconnected) => Ok(Next::Finished),
        }
    }

    /// An exactly-once task's last transaction: committed at a graceful stop as the boundary says
    /// (records still unsent are not part of it), aborted after a failure.
    fn finish_transactions(&mut self, graceful: bool) {
        if graceful {
            if let Err(e) = self.final_transaction() {
                warn!(task = %self.setup.id, "the final transaction failed: {e}");
            }
        }
        let task = self.setup.id.to_string();
        if let Some(eos) = &mut self.eos {
            eos.abort_quietly(&self.producer, &task);
        }
    }

    /// Commits what is open, if the boundary says so, at a stop or a pause.
    fn final_transaction(&mut self) -> Result<()> {
        let Some(eos) = &mut self.eos else { return Ok(()) };
        match eos.final_commit()? {
            Some(commit) => self.end_transaction(commit),
            None => Ok(()),
        }
    }

    /// Ends an exactly-once task's transaction (commit, or abort and commit the offsets), then
    /// tells the task, as Kafka does after the producer's commit: `commit_record` for the records
    /// of the transaction, then `commit`.
    fn end_transaction(&mut self, commit: bool) -> Result<()> {
        let task = self.setup.id.to_string();
        let Some(eos) = &mut self.eos else { return Ok(()) };
        let started = Instant::now();
        let ended = eos.end(&self.producer, commit, &task);
        // The transaction carries the offsets: its end is the task's offset commit.
        if !matches!(ended, Ok(false)) {
            self.setup.metrics.committed(ended.is_ok(), started.elapsed());
        }
        if !ended? {
            return Ok(());
        }
        self.deliver_commit_records()?;
        self.setup.task.commit()
    }

    /// Moves the acknowledged prefix of each source partition out of `submitted`, keeping only
    /// the newest offset per partition until the next flush stores it. Done after every batch,
    /// not only at flush time: otherwise every record's offset would be held for the whole
    /// `offset.flush.interval.ms` (60 s by default), which at a million records a second is
    /// tens of gigabytes.
    fn release_acknowledged(&mut self) {
        let (released, pending) = match &self.shared.acknowledgements {
            Acknowledgements::Offsets(submitted) => {
                let mut submitted = submitted.lock().expect("submitted lock");
                (submitted.committable(), submitted.pending())
            }
            Acknowledgements::Count(unacknowledged) => (Vec::new(), unacknowledged.load(Ordering::Relaxed)),
        };
        // Kafka counts a record written once acknowledged, and a skipped one not at all.
        let skipped = self.shared.skipped_deliveries.load(Ordering::Relaxed);
        let written = self.submitted.saturating_sub(pending as u64 + skipped);
        self.setup.metrics.written(written.saturating_sub(self.written), pending);
        self.written = written;
        for (partition, offset) in released {
            self.unstored.insert(partition.to_string(), (partition, offset));
        }
    }

    fn convert_batch(&mut self, batch: Vec<SourceRecord>) -> Result<()> {
        // With connector-defined boundaries, the requests that name a record, by its place in the
        // batch: looked up before the transforms, which see (and may drop) other records.
        let boundaries = self.record_boundaries(&batch)?;
        let mut enqueuing = Enqueuing {
            boundaries: boundaries.into_iter().peekable(),
            tracked: Vec::with_capacity(if self.eos.is_none() { batch.len() } else { 0 }),
            kept: Vec::new(),
            first: self.submitted,
        };
        self.unsent.reserve(batch.len() + 1);
        if self.setup.transforms.is_empty() {
            for (index, record) in batch.into_iter().enumerate() {
                let keep = self.wants_records.then(|| Box::new(record.clone()));
                self.convert_into(index, record, keep, &mut enqueuing)?;
            }
        } else {
            for (index, (outcome, keep)) in self.transform(batch).into_iter().enumerate() {
                match outcome {
                    Transformed::Record(record) => self.convert_into(index, record, keep, &mut enqueuing)?,
                    // Dropped by a transform: not produced, and (as in Kafka's WorkerSourceTask,
                    // whose `recordDropped` only calls `commitRecord(record, null)`) not tracked,
                    // so its offset is committed only by a later record of its source partition.
                    Transformed::Dropped => self.shared.skipped(keep),
                    Transformed::Failed(failure, side) => {
                        self.transform_failed(index, failure, &side)?;
                        self.shared.skipped(keep);
                    }
                }
            }
        }
        for (_, commit) in enqueuing.boundaries {
            self.unsent.push_back(Unsent::Boundary(commit));
        }
        if self.eos.is_some() {
            self.unsent.push_back(Unsent::BatchEnd);
        }
        // The batch's records enter `submitted` under one lock (the delivery thread takes it per
        // record, so conversion runs without it). Those already sent may have been acknowledged
        // meanwhile, which `submitted` allows for.
        let count = (self.submitted - enqueuing.first) as usize;
        match &self.shared.acknowledgements {
            Acknowledgements::Offsets(submitted) => {
                let mut submitted = submitted.lock().expect("submitted lock");
                for (number, (partition, offset)) in (enqueuing.first..).zip(enqueuing.tracked) {
                    submitted.submit(Ticket::from_token(number as usize), &partition, offset);
                }
            }
            Acknowledgements::Count(unacknowledged) => {
                unacknowledged.fetch_add(count, Ordering::Relaxed);
            }
        }
        if !enqueuing.kept.is_empty() {
            self.shared.kept.lock().expect("kept lock").extend(enqueuing.kept);
        }
        Ok(())
    }

    /// The commit (`true`) and abort requests the task made for records of this batch, by index.
    fn record_boundaries(&self, batch: &[SourceRecord]) -> Result<Vec<(usize, bool)>> {
        let Some(context) = self.eos.as_ref().and_then(Transactions::context) else { return Ok(Vec::new()) };
        if !context.has_record_requests() {
            return Ok(Vec::new());
        }
        let mut found = Vec::new();
        for (index, record) in batch.iter().enumerate() {
            let Some(key) = self.setup.task.record_key(record) else { continue };
            if let Some(commit) = context.take_record_request(key, &record.topic, record.partition)? {
                found.push((index, commit));
            }
        }
        Ok(found)
    }

    /// Converts one record and sends it (an at-least-once task's, when nothing waits before it)
    /// or queues it in `unsent`, numbered in submission order (its source partition and offset
    /// wait in `enqueuing` for `submitted`), or reports it refused (and skips it when tolerated).
    /// `keep` is the task's record as polled, for `commit_records`.
    fn convert_into(
        &mut self,
        index: usize,
        record: SourceRecord,
        keep: Kept,
        enqueuing: &mut Enqueuing,
    ) -> Result<()> {
        let (outgoing, partition, offset) = match self.convert(record) {
            Ok(converted) => converted,
            // Skipped: not submitted, so its offset is not tracked and is committed only by a
            // later record of its source partition (Kafka Connect's WorkerSourceTask).
            Err(refused) => {
                self.refused(index, *refused)?;
                self.shared.skipped(keep);
                return Ok(());
            }
        };
        self.setup.active_topics.record(&outgoing.topic);
        // A request on a record dropped or skipped before this one applies here.
        while let Some((_, commit)) = enqueuing.boundaries.next_if(|(at, _)| *at < index) {
            self.unsent.push_back(Unsent::Boundary(commit));
        }
        let ticket = Ticket::from_token(self.submitted as usize);
        self.submitted += 1;
        // An exactly-once task's offsets go with its transaction, not through `submitted`.
        let dispatch = match &self.eos {
            Some(eos) => {
                eos.check_topic(&outgoing.topic)?;
                Some(Box::new((partition, offset)))
            }
            None => {
                enqueuing.tracked.push((partition, offset));
                None
            }
        };
        if let Some(record) = keep {
            enqueuing.kept.push((ticket, *record));
        }
        // An at-least-once task's record goes to the producer from here, unless earlier ones
        // wait: no queueing, no second move. Not for a task that wants `commit_records`, whose
        // kept records must be in place before any delivery report names them.
        if self.eos.is_none() && !self.wants_records && self.unsent.is_empty() {
            match Self::offer(&self.producer, &self.shared, &outgoing, ticket) {
                Offered::Taken | Offered::Refused => return Ok(()),
                Offered::Later(wait) => std::thread::sleep(wait),
            }
        }
        self.unsent.push_back(Unsent::Record(outgoing, ticket, dispatch));
        if let Some((_, commit)) = enqueuing.boundaries.next_if(|(at, _)| *at == index) {
            self.unsent.push_back(Unsent::Boundary(commit));
        }
        Ok(())
    }

    /// Runs the batch through the transform chain, moving each record's fields in and out; with
    /// each outcome the record as polled when the task wants `commit_records` (Kafka hands the
    /// pre-transform record to `commitRecord`). A record whose fields never became Connect data
    /// skips the chain and fails in its converter's stage, as before.
    fn transform(&mut self, batch: Vec<SourceRecord>) -> Vec<(Transformed, Kept)> {
        let mut keeps = Vec::with_capacity(batch.len());
        let mut sides = Vec::with_capacity(batch.len());
        let mut records = Vec::with_capacity(batch.len());
        let mut unconvertible = Vec::new();
        for record in batch {
            keeps.push(self.wants_records.then(|| Box::new(record.clone())));
            if record.unconvertible.is_some() {
                sides.push(None);
                unconvertible.push(record);
                continue;
            }
            let SourceRecord {
                source_partition,
                source_offset,
                topic,
                partition,
                key_schema,
                key,
                value_schema,
                value,
                timestamp,
                headers,
                handle,
                unconvertible: _,
            } = record;
            sides.push(Some(SourceSide { source_partition, source_offset, handle }));
            let offset = None;
            records.push(Record { topic, partition, key_schema, key, value_schema, value, timestamp, headers, offset });
        }
        let mut outcomes = self.setup.transforms.apply_batch(records).into_iter();
        let mut unconvertible = unconvertible.into_iter();
        sides
            .into_iter()
            .zip(keeps)
            .map(|(side, keep)| {
                let Some(side) = side else {
                    return (Transformed::Record(unconvertible.next().expect("kept aside")), keep);
                };
                let outcome = match outcomes.next().expect("one outcome per record") {
                    Ok(Some(record)) => Transformed::Record(SourceRecord {
                        source_partition: side.source_partition,
                        source_offset: side.source_offset,
                        topic: record.topic,
                        partition: record.partition,
                        key_schema: record.key_schema,
                        key: record.key,
                        value_schema: record.value_schema,
                        value: record.value,
                        timestamp: record.timestamp,
                        headers: record.headers,
                        handle: side.handle,
                        unconvertible: None,
                    }),
                    Ok(None) => Transformed::Dropped,
                    Err(failure) => Transformed::Failed(failure, side),
                };
                (outcome, keep)
            })
            .collect()
    }

    /// A record a transform (or its predicate) failed on: reported per `errors.log.*`; skipped
    /// with `errors.tolerance=all`, else the task fails (Kafka's "Tolerance exceeded in error
    /// handler") with a trace naming the stage, the transform's class and the original error.
    fn transform_failed(&self, index: usize, failure: StageFailure, side: &SourceSide) -> Result<()> {
        let error = failure.reported();
        let record =
            format!("SourceRecord{{sourcePartition={}, sourceOffset={}}}", side.source_partition, side.source_offset);
        if self.setup.errors.report_source(Stage::Transformation, &failure.class, &record, &error) {
            debug!(task = %self.setup.id, "skipped a record a transform failed on (errors.tolerance=all): {}", error.message);
            return Ok(());
        }
        Err(Error::Connector(format!(
            "Tolerance exceeded in error handler: stage {} with class '{}' failed on record {index} of the batch \
             polled by task {} (source partition {}, source offset {}): {}\nCaused by: {}",
            Stage::Transformation.as_str(),
            failure.class,
            self.setup.id,
            side.source_partition,
            side.source_offset,
            error.message,
            error.trace.trim_end(),
        )))
    }

    /// A record a converter refused: reported per `errors.log.*`; skipped with
    /// `errors.tolerance=all`, else the task fails (Kafka's "Tolerance exceeded in error handler")
    /// with a trace naming the stage, the converter, the record and the original error.
    fn refused(&self, index: usize, refused: Refused) -> Result<()> {
        let class = &self.setup.converter_classes[refused.converter_index()];
        let Unconvertible { stage, error, record } = &refused.failure;
        if self.setup.errors.report_source(*stage, class, record, error) {
            debug!(task = %self.setup.id, "skipped a record its converter refused (errors.tolerance=all): {}", error.message);
            return Ok(());
        }
        Err(Error::Data(format!(
            "Tolerance exceeded in error handler: stage {} with class '{class}' failed on record {index} of the batch \
             polled by task {} (topic '{}', source partition {}, source offset {}): {}\nCaused by: {}",
            stage.as_str(),
            self.setup.id,
            refused.topic,
            refused.source_partition,
            refused.source_offset,
            error.message,
            error.trace.trim_end(),
        )))
    }

    /// A record's serialized form, and its source partition and offset for `submitted`. Takes the
    /// record by value so that converters can move its bytes instead of copying them.
    fn convert(&self, record: SourceRecord) -> Result<Converted, Box<Refused>> {
        let SourceRecord {
            source_partition,
            source_offset,
            topic,
            partition,
            key_schema,
            key,
            value_schema,
            value,
            timestamp,
            headers,
            handle: _,
            unconvertible,
        } = record;
        let refused = |stage: Stage, error: Error| {
            let record = format!(
                "SourceRecord{{sourcePartition={source_partition}, sourceOffset={source_offset}, topic='{topic}', kafkaPartition={partition:?}}}"
            );
            let error = ReportedError {
                class_name: DATA_EXCEPTION.to_owned(),
                message: error.to_string(),
                trace: format!("{DATA_EXCEPTION}: {error}"),
            };
            Box::new(Refused {
                failure: Unconvertible { stage, error, record },
                topic: topic.clone(),
                source_partition: source_partition.clone(),
                source_offset: source_offset.clone(),
            })
        };
        if let Some(failure) = unconvertible {
            return Err(Box::new(Refused { failure: *failure, topic, source_partition, source_offset }));
        }
        let key = (self.setup.key_converter.from_connect_data_owned(&topic, key_schema.as_ref(), key))
            .map_err(|e| refused(Stage::KeyConverter, e))?;
        let value = (self.setup.value_converter.from_connect_data_owned(&topic, value_schema.as_ref(), value))
            .map_err(|e| refused(Stage::ValueConverter, e))?;
        // Most records have no headers; collecting an empty iterator through `Result` still
        // cost ~120 instructions a record.
        let headers = if headers.is_empty() {
            Vec::new()
        } else {
            headers
                .into_iter()
                .map(|h| {
                    let bytes = self.setup.header_converter.to_bytes(&topic, &h.key, h.schema.as_ref(), &h.value)?;
                    Ok((h.key, bytes))
                })
                .collect::<Result<Vec<_>>>()
                .map_err(|e| refused(Stage::HeaderConverter, e))?
        };
        let outgoing = OutgoingRecord { topic, partition, key, value, timestamp, headers };
        Ok((outgoing, source_partition, source_offset))
    }

    /// Sends queued records until the producer refuses one. A retriable refusal (a full queue
    /// above all) leaves it queued, after a wait; any other is final for that record. An
    /// exactly-once task's transactions begin and end on the way.
    fn send_unsent(&mut self) -> Result<()> {
        while let Some(front) = self.unsent.front_mut() {
            let (outgoing, ticket, dispatch) = match front {
                Unsent::Record(outgoing, ticket, dispatch) => (&*outgoing, *ticket, dispatch),
                Unsent::BatchEnd => {
                    self.unsent.pop_front();
                    let decided = self.eos.as_mut().map(Transactions::batch_end).transpose()?.flatten();
                    if let Some(commit) = decided {
                        self.end_transaction(commit)?;
                    }
                    continue;
                }
                Unsent::Boundary(commit) => {
                    let commit = *commit;
                    self.unsent.pop_front();
                    self.end_transaction(commit)?;
                    continue;
                }
            };
            if let Some(eos) = &mut self.eos {
                eos.begin(&self.producer)?;
            }
            match Self::offer(&self.producer, &self.shared, outgoing, ticket) {
                Offered::Taken => {
                    if let (Some(eos), Some(dispatch)) = (&mut self.eos, dispatch.take()) {
                        let (partition, offset) = *dispatch;
                        eos.dispatched(partition, offset);
                    }
                }
                Offered::Refused => {}
                Offered::Later(wait) => {
                    std::thread::sleep(wait);
                    return Ok(());
                }
            }
            self.unsent.pop_front();
        }
        Ok(())
    }

    /// Gives one record to the producer. A refusal that is final is reported here (it fails the
    /// task, or is skipped when tolerated); a retriable one says how long to wait before the
    /// record is offered again.
    fn offer(producer: &Producer, shared: &TaskShared, outgoing: &OutgoingRecord, ticket: Ticket) -> Offered {
        match producer.send(outgoing, ticket.token()) {
            Ok(()) => Offered::Taken,
            // Back-pressure: let librdkafka drain its queue; `poll` waits meanwhile.
            Err(e) if is_queue_full(&e) => Offered::Later(Duration::from_millis(1)),
            Err(e) if e.is_retriable() => {
                warn!(task = %shared.control.id, "failed to send a record to topic {}, retrying: {e}", outgoing.topic);
                Offered::Later(SEND_FAILED_BACKOFF)
            }
            Err(e) => {
                shared.record_failed(ticket, &format!("sending to topic {}: {e}", outgoing.topic));
                Offered::Refused
            }
        }
    }

    fn deliver_commit_records(&mut self) -> Result<()> {
        // Polling ahead, the task's own thread delivers them (`tell_task`).
        if self.polled.is_some() {
            return Ok(());
        }
        deliver_commit_records(&*self.setup.task, &self.shared)
    }

    /// Stores the offsets of acknowledged records, then calls the task's `commit`.
    fn commit_offsets(&mut self) -> Result<()> {
        self.last_flush = Instant::now();
        self.release_acknowledged();
        if self.unstored.is_empty() {
            return Ok(());
        }
        let offsets: Vec<_> = self.unstored.values().map(|(p, o)| (p.clone(), Some(o.clone()))).collect();
        let started = Instant::now();
        let stored = self.setup.offset_store.put(&self.setup.id.connector, &offsets);
        self.setup.metrics.committed(stored.is_ok(), started.elapsed());
        match stored {
            Ok(()) => {
                debug!(task = %self.setup.id, partitions = offsets.len(), "committed source offsets");
                self.unstored.clear();
                if self.polled.is_some() {
                    self.shared.commit_due.store(true, Ordering::Release);
                    return Ok(());
                }
                self.deliver_commit_records()?;
                self.setup.task.commit()
            }
            Err(e) => {
                // Kept in `unstored`; the next flush tries again.
                warn!(task = %self.setup.id, "failed to store offsets, will retry: {e}");
                Ok(())
            }
        }
    }
}
