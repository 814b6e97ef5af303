//! Runs one sink task on its own OS thread (Kafka Connect's `WorkerSinkTask`).
//!
//! The loop: take a batch from the consumer's fetcher (see `kafka::consumer`), convert each
//! record's key, value and headers, run the batch through the connector's transforms (skipped
//! entirely when there are none), hand the batch to `put` (every iteration, an empty batch
//! included, as Kafka does), and advance the task's current offsets past it. Every
//! `offset.flush.interval.ms`, on `request_commit`, before partitions are revoked and on a graceful
//! stop: wait for the dead letter queue, ask `pre_commit` which offsets are safe, and commit those
//! (never beyond what `put` accepted). A failed task commits nothing more.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use crate::convert::{Converter, HeaderConverter};
use crate::error::{Error, Result};
use crate::errors::{ErrorReporter, Stage};
use crate::kafka::chunk::{ChunkSlice, MessageRef};
use crate::kafka::consumer::{ConsumedMessage, ConsumerSetup, Fetched, Fetcher, TopicPartition};
use crate::metrics::TaskMetrics;
use crate::runtime::plugin::{
    Config, ErrantRecordReporter, ReportDone, ReportedError, SinkControl, SinkOffsets, SinkTask, SinkTaskContext,
};
use crate::runtime::record::Header;
use crate::runtime::sink_record::{SinkBatch, SinkRecord};
use crate::runtime::task_control::{join_by, log_abandoned, TaskControl, TaskId};
use crate::transforms::chain::StageFailure;
use crate::transforms::{Record, TransformChain};

/// Kafka's class of conversion failures, as the dead letter queue's headers name it.
const DATA_EXCEPTION: &str = "org.apache.kafka.connect.errors.DataException";
/// Kafka's name of the stage's class for errant records reported by a task.
const SINK_TASK_CLASS: &str = "org.apache.kafka.connect.sink.SinkTask";
/// Longest wait for records before `put` is called with an empty batch (and a stop is noticed).
const MAX_IDLE_WAIT: Duration = Duration::from_millis(500);

/// The converters of one connector, with the class names its config gave them.
#[derive(Clone)]
pub struct SinkConverters {
    pub key: Arc<dyn Converter>,
    pub value: Arc<dyn Converter>,
    pub header: Arc<dyn HeaderConverter>,
    /// Class names for error reports: key, value, header.
    pub names: [String; 3],
}

/// Everything a sink task's thread needs.
pub struct SinkTaskSetup {
    pub id: TaskId,
    pub worker_id: String,
    pub task: Arc<dyn SinkTask>,
    pub config: Config,
    pub consumer: ConsumerSetup,
    pub converters: SinkConverters,
    pub errors: Arc<ErrorReporter>,
    pub flush_interval: Duration,
    pub flush_timeout: Duration,
    /// Kafka's `max.poll.records`: the most records handed to one `put`.
    pub max_batch: usize,
    /// Where the topics this task consumes are recorded (KIP-558).
    pub active_topics: crate::runtime::topics::TopicRecorder,
    /// The connector's transforms, applied after the converters, before `put`.
    pub transforms: TransformChain,
    /// Recorded once per batch.
    pub metrics: Arc<TaskMetrics>,
}

/// What a sink record keeps outside the transform chain: what a transform cannot change in Kafka
/// either (`SinkRecord.newRecord` keeps the offset, timestamp type and original record).
struct SinkSide {
    topic: Arc<str>,
    partition: i32,
    offset: i64,
    timestamp_type: crate::runtime::sink_record::TimestampType,
    original: Option<crate::runtime::sink_record::RawMessage>,
}

/// A running sink task: its thread and its status.
pub struct RunningSinkTask {
    pub control: Arc<TaskControl>,
    /// None for a task that could not be created.
    pub metrics: Option<Arc<TaskMetrics>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningSinkTask {
    /// A task that could not even be created: no thread, FAILED with `trace`.
    pub fn failed(id: TaskId, worker_id: &str, trace: String) -> Self {
        let control = Arc::new(TaskControl::new(id, worker_id));
        control.fail(trace);
        RunningSinkTask { control, metrics: None, thread: None }
    }

    /// Starts the task on a new thread.
    pub fn spawn(setup: SinkTaskSetup) -> Result<Self> {
        let control = Arc::new(TaskControl::new(setup.id.clone(), &setup.worker_id));
        control.set_version(setup.task.version());
        let thread_control = control.clone();
        let metrics = Some(setup.metrics.clone());
        let name = format!("task-{}", setup.id);
        let task = setup.task.clone();
        let body = move || run(setup, thread_control);
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(crate::logging::context::in_current_span(move || task.run_thread(Box::new(body))))
            .map_err(|e| Error::io("starting a task thread", e))?;
        Ok(RunningSinkTask { control, metrics, thread: Some(thread) })
    }

    /// Asks the task to stop: its loop ends after the current `put`, commits, closes its
    /// partitions and calls the task's `stop`, all on the task's own thread.
    pub fn begin_stop(&mut self) {
        self.control.request_stop();
    }

    /// Waits for the task's thread until `deadline`; false (logged, the thread abandoned) when it
    /// did not finish by then. `timeout` is only for the log line.
    pub fn await_stop(mut self, deadline: Instant, timeout: Duration) -> bool {
        let finished = self.thread.take().is_none_or(|thread| join_by(thread, deadline));
        if !finished {
            log_abandoned(&self.control.id, timeout);
        }
        finished
    }
}

/// Requests a task made through its context, applied by the loop between calls.
#[derive(Default)]
struct Requests {
    offsets: SinkOffsets,
    timeout: Option<Duration>,
    commit: bool,
}

/// The task's `SinkTaskContext`, as the runtime implements it.
struct ContextState {
    fetcher: Weak<Fetcher>,
    requests: Mutex<Requests>,
    reporter: Option<Arc<dyn ErrantRecordReporter>>,
}

impl ContextState {
    fn requests(&self) -> std::sync::MutexGuard<'_, Requests> {
        self.requests.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl SinkControl for ContextState {
    fn assignment(&self) -> Vec<TopicPartition> {
        self.fetcher.upgrade().map(|f| f.assignment().into_iter().collect()).unwrap_or_default()
    }

    fn pause(&self, partitions: &[TopicPartition]) {
        if let Some(fetcher) = self.fetcher.upgrade() {
            fetcher.set_paused_by_task(partitions, true);
        }
    }

    fn resume(&self, partitions: &[TopicPartition]) {
        if let Some(fetcher) = self.fetcher.upgrade() {
            fetcher.set_paused_by_task(partitions, false);
        }
    }

    fn offset(&self, offsets: SinkOffsets) {
        self.requests().offsets.extend(offsets);
    }

    fn timeout(&self, timeout: Duration) {
        self.requests().timeout = Some(timeout);
    }

    fn request_commit(&self) {
        self.requests().commit = true;
    }

    fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>> {
        self.reporter.clone()
    }
}

/// Errant records reported by the task: the original bytes go to the error reporter; a failure
/// beyond tolerance fails the task once `put` returns (Kafka's `maybeThrowAsyncError`).
struct TaskErrantReporter {
    errors: Arc<ErrorReporter>,
    converters: SinkConverters,
    exceeded: Arc<Mutex<Option<String>>>,
}

impl ErrantRecordReporter for TaskErrantReporter {
    fn report(&self, record: &SinkRecord, error: ReportedError, done: ReportDone) -> Result<()> {
        let message = match record.original_message() {
            Some(original) => original,
            None => reserialize(record, &self.converters)?,
        };
        let outcome = self.errors.report(Stage::TaskPut, SINK_TASK_CLASS, Some(&message), &error, Some(done));
        if let Err(e) = &outcome {
            self.exceeded.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert_with(|| e.to_string());
        }
        outcome
    }
}

/// A record the task built itself, serialized with the connector's converters for the DLQ.
fn reserialize(record: &SinkRecord, converters: &SinkConverters) -> Result<ConsumedMessage> {
    let topic = &record.topic;
    let headers = record
        .headers
        .iter()
        .map(|h| Ok((h.key.clone(), converters.header.to_bytes(topic, &h.key, h.schema.as_ref(), &h.value)?)))
        .collect::<Result<Vec<_>>>()?;
    Ok(ConsumedMessage {
        topic: topic.to_string(),
        partition: record.partition,
        offset: record.offset,
        key: converters.key.from_connect_data(topic, record.key_schema.as_ref(), &record.key)?,
        value: converters.value.from_connect_data(topic, record.value_schema.as_ref(), &record.value)?,
        timestamp: record.timestamp,
        timestamp_type: record.timestamp_type,
        headers,
    })
}

fn run(setup: SinkTaskSetup, control: Arc<TaskControl>) {
    let id = setup.id.clone();
    let fetcher = match Fetcher::start(setup.consumer.clone(), format!("consumer-{id}")) {
        Ok(fetcher) => Arc::new(fetcher),
        Err(e) => return control.fail(format!("Failed to create the consumer of task {id}: {e}")),
    };
    let exceeded = Arc::new(Mutex::new(None));
    let reporter = setup.errors.enables_errant_reporter().then(|| {
        Arc::new(TaskErrantReporter {
            errors: setup.errors.clone(),
            converters: setup.converters.clone(),
            exceeded: exceeded.clone(),
        }) as Arc<dyn ErrantRecordReporter>
    });
    let context = Arc::new(ContextState {
        fetcher: Arc::downgrade(&fetcher),
        requests: Mutex::new(Requests::default()),
        reporter,
    });
    let mut driver = Driver {
        setup,
        control: control.clone(),
        fetcher,
        context,
        exceeded,
        current: SinkOffsets::new(),
        committed: SinkOffsets::new(),
        last_commit: Instant::now(),
        held: Vec::new(),
    };
    let task_context = SinkTaskContext { config: driver.setup.config.clone(), control: driver.context.clone() };
    if let Err(e) = driver.setup.task.start(task_context) {
        control.fail_with(&e);
        driver.shut_down(false);
        return;
    }
    control.set_started();
    info!(task = %id, "sink task started");
    let outcome = driver.run_loop();
    if let Err(e) = &outcome {
        control.fail(e.to_string());
    }
    driver.shut_down(outcome.is_ok());
    debug!(task = %id, "sink task stopped");
}

/// The task thread's own state.
struct Driver {
    setup: SinkTaskSetup,
    control: Arc<TaskControl>,
    fetcher: Arc<Fetcher>,
    context: Arc<ContextState>,
    exceeded: Arc<Mutex<Option<String>>>,
    /// Next offset after the last record `put` accepted (or skipped), by partition.
    current: SinkOffsets,
    /// What was last committed, by partition (to rewind to when `pre_commit` fails).
    committed: SinkOffsets,
    last_commit: Instant,
    /// A batch taken just as the connector was paused, delivered after the resume.
    held: Vec<ChunkSlice>,
}

impl Driver {
    fn run_loop(&mut self) -> Result<()> {
        loop {
            if self.control.stopping() {
                return Ok(());
            }
            let commit_requested = std::mem::take(&mut self.context.requests().commit);
            if commit_requested || self.last_commit.elapsed() >= self.setup.flush_interval {
                self.commit(None);
            }
            if !self.held.is_empty() && !self.control.paused() {
                let held = std::mem::take(&mut self.held);
                self.deliver(held)?;
                continue;
            }
            if self.control.paused() {
                // A paused connector delivers nothing but still answers rebalances.
                if let Some(event) = self.fetcher.next_event(MAX_IDLE_WAIT) {
                    self.handle_event(event)?;
                }
                continue;
            }
            let wait = self.setup.flush_interval.saturating_sub(self.last_commit.elapsed()).min(MAX_IDLE_WAIT);
            let batch = self.fetcher.next_batch(self.setup.max_batch, wait);
            if let Some(event) = batch.event {
                self.handle_event(event)?;
                continue;
            }
            if self.control.paused() {
                // Paused while waiting for this batch: it is delivered after the resume.
                self.held = batch.messages;
                continue;
            }
            self.deliver(batch.messages)?;
        }
    }

    fn handle_event(&mut self, event: Fetched) -> Result<()> {
        match event {
            Fetched::Messages(_) => unreachable!("messages come in batches"),
            Fetched::Assigned(partitions) => {
                debug!(task = %self.setup.id, ?partitions, "partitions assigned");
                self.setup.task.open(&partitions)?;
                self.apply_rewinds();
                self.setup.metrics.partitions(self.fetcher.assignment().len());
            }
            Fetched::Revoked { partitions, lost, done } => {
                debug!(task = %self.setup.id, ?partitions, lost, "partitions revoked");
                if !lost {
                    self.commit(Some(&partitions));
                }
                let closed = self.setup.task.close(&partitions);
                // Records held back while paused belong to the partitions' next owner now.
                let held = std::mem::take(&mut self.held);
                self.held =
                    held.into_iter().flat_map(|s| s.retain(|m| !partitions.iter().any(|tp| m.is_of(tp)))).collect();
                for tp in &partitions {
                    self.current.remove(tp);
                    self.committed.remove(tp);
                }
                let _ = done.send(());
                self.setup.metrics.partitions(self.fetcher.assignment().len());
                closed?;
            }
        }
        Ok(())
    }

    /// Converts a batch, hands it to `put` (again after a retriable failure), and advances the
    /// current offsets past it.
    fn deliver(&mut self, messages: Vec<ChunkSlice>) -> Result<()> {
        let mut next = Offsets::default();
        let read = messages.iter().map(ChunkSlice::len).sum();
        self.setup.metrics.read(read);
        let mut records = Vec::with_capacity(read);
        // The topic of the previous message: messages come in runs of one topic, and a chunk
        // shares one name among its messages, so the recorder is asked once per run.
        let mut topic: Option<&Arc<str>> = None;
        for slice in &messages {
            for (n, message) in slice.iter().enumerate() {
                if !topic.is_some_and(|t| Arc::ptr_eq(t, message.topic_arc())) {
                    topic = Some(message.topic_arc());
                    self.setup.active_topics.record(message.topic());
                }
                next.advance(&message);
                if let Some(record) = self.convert(slice, n, message)? {
                    records.push(record);
                }
            }
        }
        if !self.setup.transforms.is_empty() {
            records = self.transform(records)?;
        }
        let batch = SinkBatch::new(records);
        let started = Instant::now();
        loop {
            match self.setup.task.put(&batch) {
                Ok(()) => break,
                Err(Error::Retriable(reason)) => {
                    let timeout = self.context.requests().timeout.take().unwrap_or(Duration::ZERO);
                    debug!(task = %self.setup.id, "put asked for a retry in {timeout:?}: {reason}");
                    // Kafka pauses every partition meanwhile; here the fetcher does once its queue fills.
                    if !self.control.sleep(timeout) {
                        return Ok(()); // stopping: the batch's offsets are not advanced
                    }
                }
                Err(e) => return Err(e),
            }
        }
        if let Some(failure) = self.exceeded.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Err(Error::Connector(failure));
        }
        next.finish(&mut self.current);
        self.setup.metrics.put(batch.shared().len(), started.elapsed(), self.uncommitted());
        self.apply_rewinds();
        Ok(())
    }

    /// Records put whose offsets are not committed yet (`sink-record-active-count`), over the
    /// partitions with a committed offset known.
    fn uncommitted(&self) -> u64 {
        let behind = self.current.iter().filter_map(|(tp, next)| self.committed.get(tp).map(|c| next - c));
        behind.map(|n| n.max(0) as u64).sum()
    }

    /// Converts the `n`-th message of `slice`; `None` when it failed and `errors.tolerance=all`
    /// skips it.
    fn convert(&self, slice: &ChunkSlice, n: usize, message: MessageRef<'_>) -> Result<Option<SinkRecord>> {
        let converters = &self.setup.converters;
        let topic = message.topic();
        let key = self.setup.errors.retry(|| converters.key.to_connect_data(topic, message.key()));
        let key = match key {
            Ok(key) => key,
            Err(e) => return self.conversion_failed(Stage::KeyConverter, &converters.names[0], message, &e),
        };
        let value = self.setup.errors.retry(|| converters.value.to_connect_data(topic, message.value()));
        let value = match value {
            Ok(value) => value,
            Err(e) => return self.conversion_failed(Stage::ValueConverter, &converters.names[1], message, &e),
        };
        let mut headers = Vec::with_capacity(message.header_count());
        for (name, bytes) in message.headers() {
            match converters.header.to_connect_header(topic, name, bytes) {
                Ok(converted) => {
                    headers.push(Header { key: name.to_owned(), schema: converted.schema, value: converted.value })
                }
                Err(e) => return self.conversion_failed(Stage::HeaderConverter, &converters.names[2], message, &e),
            }
        }
        Ok(Some(SinkRecord {
            topic: message.topic_arc().clone(),
            partition: message.partition(),
            offset: message.offset(),
            key_schema: key.schema,
            key: key.value,
            value_schema: value.schema,
            value: value.value,
            timestamp: message.timestamp(),
            timestamp_type: message.timestamp_type(),
            headers,
            original: Some(slice.raw(n)),
        }))
    }

    fn conversion_failed(
        &self,
        stage: Stage,
        class_name: &str,
        message: MessageRef<'_>,
        error: &Error,
    ) -> Result<Option<SinkRecord>> {
        let where_ =
            format!("topic {}, partition {}, offset {}", message.topic(), message.partition(), message.offset());
        let text = format!("{error} ({where_})");
        let failure = ReportedError {
            class_name: DATA_EXCEPTION.to_owned(),
            message: text.clone(),
            trace: format!("{DATA_EXCEPTION}: {text}"),
        };
        let original = message.to_consumed();
        self.setup
            .errors
            .report(stage, class_name, Some(&original), &failure, None)
            .map_err(|e| Error::Data(e.to_string()))?;
        warn!(task = %self.setup.id, "skipped a record that failed conversion (errors.tolerance=all): {text}");
        Ok(None)
    }

    /// Runs converted records through the transform chain, moving their fields in and out. A
    /// record a stage dropped is not delivered; one a stage failed on is reported (log, dead
    /// letter queue with its original bytes) and skipped under `errors.tolerance=all`, else fails
    /// the task. Either way its offset advances with the batch, as in Kafka.
    fn transform(&mut self, records: Vec<SinkRecord>) -> Result<Vec<SinkRecord>> {
        let mut sides = Vec::with_capacity(records.len());
        let mut plain = Vec::with_capacity(records.len());
        for record in records {
            let SinkRecord {
                topic,
                partition,
                offset,
                key_schema,
                key,
                value_schema,
                value,
                timestamp,
                timestamp_type,
                headers,
                original,
            } = record;
            plain.push(Record {
                topic: topic.clone(),
                partition: Some(partition),
                key_schema,
                key,
                value_schema,
                value,
                timestamp,
                headers,
                offset: Some(offset),
            });
            sides.push(SinkSide { topic, partition, offset, timestamp_type, original });
        }
        let outcomes = self.setup.transforms.apply_batch(plain);
        let mut delivered = Vec::with_capacity(outcomes.len());
        for (outcome, side) in outcomes.into_iter().zip(sides) {
            match outcome {
                Ok(Some(record)) => delivered.push(SinkRecord {
                    topic: record.topic,
                    partition: record.partition.unwrap_or(side.partition),
                    offset: side.offset,
                    key_schema: record.key_schema,
                    key: record.key,
                    value_schema: record.value_schema,
                    value: record.value,
                    timestamp: record.timestamp,
                    timestamp_type: side.timestamp_type,
                    headers: record.headers,
                    original: side.original,
                }),
                Ok(None) => {}
                Err(failure) => self.transform_failed(failure, &side)?,
            }
        }
        Ok(delivered)
    }

    fn transform_failed(&self, failure: StageFailure, side: &SinkSide) -> Result<()> {
        let error = failure.reported();
        let original = side.original.as_ref().map(|raw| raw.get().to_consumed());
        if let Err(exceeded) =
            self.setup.errors.report(Stage::Transformation, &failure.class, original.as_ref(), &error, None)
        {
            return Err(Error::Connector(format!(
                "{exceeded} (topic {}, partition {}, offset {})\nCaused by: {}",
                side.topic,
                side.partition,
                side.offset,
                error.trace.trim_end()
            )));
        }
        warn!(
            task = %self.setup.id,
            "skipped a record transform {} failed on (errors.tolerance=all): {} (topic {}, partition {}, offset {})",
            failure.class,
            error.message,
            side.topic,
            side.partition,
            side.offset
        );
        Ok(())
    }

    /// Carries out `context.offset(...)` requests: seeks, and moves the current offsets there.
    fn apply_rewinds(&mut self) {
        let offsets = std::mem::take(&mut self.context.requests().offsets);
        if offsets.is_empty() {
            return;
        }
        let assigned = self.fetcher.assignment();
        let offsets: SinkOffsets = offsets.into_iter().filter(|(tp, _)| assigned.contains(tp)).collect();
        debug!(task = %self.setup.id, ?offsets, "rewinding partitions as the task asked");
        self.fetcher.seek(&offsets);
        self.current.extend(offsets);
    }

    /// Commits what `pre_commit` allows, for `only` these partitions or all assigned ones.
    fn commit(&mut self, only: Option<&[TopicPartition]>) {
        self.last_commit = Instant::now();
        if let Err(e) = self.setup.errors.flush(self.setup.flush_timeout) {
            warn!(task = %self.setup.id, "dead letter queue not flushed; offsets not committed: {e}");
            return;
        }
        let offsets: SinkOffsets = self
            .current
            .iter()
            .filter(|(tp, _)| only.is_none_or(|only| only.contains(tp)))
            .map(|(tp, o)| (tp.clone(), *o))
            .collect();
        if offsets.is_empty() {
            return;
        }
        let allowed = match self.setup.task.pre_commit(&offsets) {
            Ok(allowed) => allowed,
            Err(e) => {
                // Kafka rewinds to the last committed offsets so that nothing unflushed is lost.
                warn!(task = %self.setup.id, "pre_commit failed; rewinding to the last committed offsets: {e}");
                let rewind: SinkOffsets = self
                    .committed
                    .iter()
                    .filter(|(tp, _)| offsets.contains_key(tp))
                    .map(|(t, o)| (t.clone(), *o))
                    .collect();
                self.fetcher.seek(&rewind);
                self.current.extend(rewind);
                return;
            }
        };
        // Only partitions asked about, and never past what `put` accepted.
        let commit: SinkOffsets = allowed
            .into_iter()
            .filter(|(tp, o)| offsets.get(tp).is_some_and(|consumed| o <= consumed))
            .filter(|(tp, o)| self.committed.get(tp) != Some(o))
            .collect();
        if commit.is_empty() {
            return;
        }
        let started = Instant::now();
        let outcome = self.fetcher.commit(&commit);
        self.setup.metrics.committed(outcome.is_ok(), started.elapsed());
        match outcome {
            Ok(()) => {
                debug!(task = %self.setup.id, ?commit, "committed consumer offsets");
                self.committed.extend(commit);
            }
            Err(e) => warn!(task = %self.setup.id, "offset commit failed, will retry: {e}"),
        }
    }

    /// Graceful: commit and close every partition, then `stop`. After a failure: close and stop
    /// without committing.
    fn shut_down(&mut self, graceful: bool) {
        let assigned: Vec<TopicPartition> = self.fetcher.assignment().into_iter().collect();
        if graceful {
            self.commit(Some(&assigned));
        }
        if !assigned.is_empty() {
            if let Err(e) = self.setup.task.close(&assigned) {
                self.control.log_stop_failure("close", &e);
            }
        }
        if let Err(e) = self.setup.task.stop() {
            self.control.log_stop_failure("stop", &e);
        }
        self.setup.transforms.close();
        self.fetcher.close();
    }
}

/// The next offset of each partition in a batch, noted once per run of one partition's messages
/// (a batch is usually a few long runs) instead of once per message.
#[derive(Default)]
struct Offsets {
    done: SinkOffsets,
    /// The partition of the current run and the next offset after its last message.
    run: Option<(Arc<str>, i32, i64)>,
}

impl Offsets {
    fn advance(&mut self, message: &MessageRef<'_>) {
        match &mut self.run {
            Some((topic, partition, next))
                if *partition == message.partition() && Arc::ptr_eq(topic, message.topic_arc()) =>
            {
                *next = message.offset() + 1;
            }
            run => {
                if let Some((topic, partition, next)) = run.take() {
                    self.done.insert(TopicPartition::new(&*topic, partition), next);
                }
                *run = Some((message.topic_arc().clone(), message.partition(), message.offset() + 1));
            }
        }
    }

    /// Adds the batch's offsets to `current`.
    fn finish(mut self, current: &mut SinkOffsets) {
        if let Some((topic, partition, next)) = self.run.take() {
            self.done.insert(TopicPartition::new(&*topic, partition), next);
        }
        current.extend(self.done);
    }
}
