//! Runs one source task on its own OS thread (Kafka Connect's `WorkerSourceTask`).
//!
//! The loop: poll the task for a batch, convert each record's key, value and headers, send them,
//! and every `offset.flush.interval.ms` store the offsets whose records Kafka acknowledged (see
//! `submitted`). When librdkafka's queue is full the unsent records wait and `poll` is not called:
//! back-pressure, nothing dropped. `stop` comes from another thread (the worker): it sets the stop
//! flag and calls the task's `stop`, which must make a blocked `poll` return.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use crate::convert::{Converter, HeaderConverter};
use crate::error::{Error, Result};
use crate::kafka::producer::{is_queue_full, Delivered, DeliveryCallback, OutgoingRecord, Producer};
use crate::offsets::OffsetStore;
use crate::runtime::plugin::{SourceTask, SourceTaskContext};
use crate::runtime::record::SourceRecord;
use crate::runtime::submitted::{SubmittedRecords, Ticket};
pub use crate::runtime::task_control::TaskId;
use crate::runtime::task_control::{join_within, TaskControl};

/// Everything a source task's thread needs.
pub struct SourceTaskSetup {
    pub id: TaskId,
    pub worker_id: String,
    pub task: Arc<dyn SourceTask>,
    pub context: SourceTaskContext,
    pub producer: Producer,
    pub key_converter: Arc<dyn Converter>,
    pub value_converter: Arc<dyn Converter>,
    pub header_converter: Arc<dyn HeaderConverter>,
    pub offset_store: Arc<dyn OffsetStore>,
    pub flush_interval: Duration,
    pub flush_timeout: Duration,
    /// `errors.tolerance=all`: records that fail conversion or delivery are logged and skipped.
    pub tolerate_errors: bool,
    /// Where the topics this task produces to are recorded (KIP-558).
    pub active_topics: crate::runtime::topics::TopicRecorder,
}

/// State shared by the task's thread, the producer's delivery callbacks and the worker.
pub struct TaskShared {
    pub control: TaskControl,
    submitted: Mutex<SubmittedRecords>,
    acked: Mutex<Vec<(SourceRecord, Delivered)>>,
    failure: Mutex<Option<String>>,
    tolerate_errors: bool,
}

impl TaskShared {
    fn new(id: TaskId, worker_id: &str, tolerate_errors: bool) -> Arc<Self> {
        Arc::new(TaskShared {
            control: TaskControl::new(id, worker_id),
            submitted: Mutex::new(SubmittedRecords::default()),
            acked: Mutex::new(Vec::new()),
            failure: Mutex::new(None),
            tolerate_errors,
        })
    }

    fn on_delivery(
        &self,
        ticket: Ticket,
        record: Option<SourceRecord>,
        outcome: std::result::Result<Delivered, rdkafka::error::KafkaError>,
    ) {
        match outcome {
            Ok(delivered) => {
                self.submitted.lock().expect("submitted lock").ack(ticket);
                if let Some(record) = record {
                    self.acked.lock().expect("acked lock").push((record, delivered));
                }
            }
            Err(e) if self.tolerate_errors => {
                // Kafka Connect with errors.tolerance=all: the failure is reported and the record
                // counts as done so that its offset can be committed.
                warn!(task = %self.control.id, "skipping a record Kafka rejected (errors.tolerance=all): {e}");
                self.submitted.lock().expect("submitted lock").ack(ticket);
            }
            Err(e) => {
                let mut failure = self.failure.lock().expect("failure lock");
                failure.get_or_insert_with(|| format!("Kafka rejected a record and errors.tolerance=none: {e}"));
            }
        }
    }
}

/// A running source task: its thread and its shared state.
pub struct RunningSourceTask {
    pub shared: Arc<TaskShared>,
    task: Option<Arc<dyn SourceTask>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningSourceTask {
    /// A task that could not even be created: no thread, FAILED with `trace`.
    pub fn failed(id: TaskId, worker_id: &str, trace: String) -> Self {
        let shared = TaskShared::new(id, worker_id, false);
        shared.control.fail(trace);
        RunningSourceTask { shared, task: None, thread: None }
    }

    /// Starts the task on a new thread.
    pub fn spawn(setup: SourceTaskSetup) -> Result<Self> {
        let shared = TaskShared::new(setup.id.clone(), &setup.worker_id, setup.tolerate_errors);
        let task = Some(setup.task.clone());
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("task-{}", setup.id))
            .spawn(move || Driver::new(setup, thread_shared).run())
            .map_err(|e| Error::io("starting a task thread", e))?;
        Ok(RunningSourceTask { shared, task, thread: Some(thread) })
    }

    /// Stops the task: flags the loop, calls the task's `stop` (which must unblock `poll`), and
    /// waits for the thread up to `timeout`; false when it did not finish in time.
    pub fn stop(mut self, timeout: Duration) -> bool {
        self.shared.control.request_stop();
        if let Some(Err(e)) = self.task.as_ref().map(|t| t.stop()) {
            warn!(task = %self.shared.control.id, "task stop() failed: {e}");
        }
        match self.thread.take() {
            Some(thread) => join_within(&self.shared.control.id, thread, timeout),
            None => true,
        }
    }
}

/// The task thread's own state.
struct Driver {
    setup: SourceTaskSetup,
    shared: Arc<TaskShared>,
    unsent: VecDeque<(OutgoingRecord, Ticket, Option<SourceRecord>)>,
    /// Offsets released by `submitted` but not yet stored (kept across a failed store).
    unstored: HashMap<String, (serde_json::Value, serde_json::Value)>,
    last_flush: Instant,
    wants_records: bool,
}

impl Driver {
    fn new(setup: SourceTaskSetup, shared: Arc<TaskShared>) -> Self {
        let wants_records = setup.task.wants_commit_record();
        Driver {
            setup,
            shared,
            unsent: VecDeque::new(),
            unstored: HashMap::new(),
            last_flush: Instant::now(),
            wants_records,
        }
    }

    fn run(mut self) {
        if let Err(e) = self.setup.task.start(self.setup.context.clone()) {
            self.shared.control.fail(e.to_string());
            return;
        }
        self.shared.control.set_started();
        info!(task = %self.setup.id, "source task started");
        let outcome = self.run_loop();
        // Graceful stop or failure: store what Kafka acknowledged, never more.
        if let Err(e) = self.setup.producer.flush(self.setup.flush_timeout) {
            warn!(task = %self.setup.id, "producer flush at shutdown did not finish: {e}");
        }
        if let Err(e) = self.commit_offsets() {
            warn!(task = %self.setup.id, "offset commit at shutdown failed: {e}");
        }
        match outcome {
            Err(e) => self.shared.control.fail(e.to_string()),
            Ok(()) => debug!(task = %self.setup.id, "source task stopped"),
        }
    }

    fn run_loop(&mut self) -> Result<()> {
        loop {
            if self.shared.control.stopping() {
                return Ok(());
            }
            if let Some(failure) = self.shared.failure.lock().expect("failure lock").take() {
                return Err(Error::Connector(failure));
            }
            if self.last_flush.elapsed() >= self.setup.flush_interval {
                self.commit_offsets()?;
            }
            self.deliver_commit_records()?;
            if !self.shared.control.wait_while_paused() {
                return Ok(());
            }
            if !self.unsent.is_empty() {
                if !self.send_unsent()? {
                    // Queue full: let librdkafka drain it before trying again.
                    std::thread::sleep(Duration::from_millis(1));
                }
                continue;
            }
            let Some(batch) = self.setup.task.poll()? else { continue };
            self.convert_batch(batch)?;
            self.send_unsent()?;
        }
    }

    fn convert_batch(&mut self, batch: Vec<SourceRecord>) -> Result<()> {
        let mut submitted = self.shared.submitted.lock().expect("submitted lock");
        for record in batch {
            let outgoing = match self.convert(&record) {
                Ok(outgoing) => outgoing,
                Err(e) if self.setup.tolerate_errors => {
                    warn!(task = %self.setup.id, "skipping a record that failed conversion (errors.tolerance=all): {e}");
                    continue;
                }
                Err(e) => return Err(Error::Data(format!("Tolerance exceeded in error handler: {e}"))),
            };
            self.setup.active_topics.record(&record.topic);
            let ticket = submitted.submit(&record.source_partition, record.source_offset.clone());
            let keep = self.wants_records.then_some(record);
            self.unsent.push_back((outgoing, ticket, keep));
        }
        Ok(())
    }

    fn convert(&self, record: &SourceRecord) -> Result<OutgoingRecord> {
        let topic = &record.topic;
        let key = self.setup.key_converter.from_connect_data(topic, record.key_schema.as_ref(), &record.key)?;
        let value = self.setup.value_converter.from_connect_data(topic, record.value_schema.as_ref(), &record.value)?;
        let headers = record
            .headers
            .iter()
            .map(|h| {
                Ok((h.key.clone(), self.setup.header_converter.to_bytes(topic, &h.key, h.schema.as_ref(), &h.value)?))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(OutgoingRecord {
            topic: topic.clone(),
            partition: record.partition,
            key,
            value,
            timestamp: record.timestamp,
            headers,
        })
    }

    /// Sends queued records until the producer's queue is full; returns whether all were sent.
    fn send_unsent(&mut self) -> Result<bool> {
        while let Some((outgoing, ticket, record)) = self.unsent.pop_front() {
            let shared = self.shared.clone();
            // Only tasks that implement commit_record keep their records (a clone, so that a
            // record refused by a full queue can be queued again with its own copy).
            let for_callback = record.clone();
            let callback: DeliveryCallback = Box::new(move |outcome| shared.on_delivery(ticket, for_callback, outcome));
            if let Err((error, callback)) = self.setup.producer.send(&outgoing, callback) {
                if is_queue_full(&error) {
                    drop(callback); // never run: the record is queued again
                    self.unsent.push_front((outgoing, ticket, record));
                    return Ok(false);
                }
                return Err(Error::Connector(format!("Failed to send a record to topic {}: {error}", outgoing.topic)));
            }
        }
        Ok(true)
    }

    fn deliver_commit_records(&mut self) -> Result<()> {
        if !self.wants_records {
            return Ok(());
        }
        let acked = std::mem::take(&mut *self.shared.acked.lock().expect("acked lock"));
        if acked.is_empty() {
            return Ok(());
        }
        self.setup.task.commit_records(acked)
    }

    /// Stores the offsets of acknowledged records, then calls the task's `commit`.
    fn commit_offsets(&mut self) -> Result<()> {
        self.last_flush = Instant::now();
        let released = self.shared.submitted.lock().expect("submitted lock").committable();
        for (partition, offset) in released {
            self.unstored.insert(partition.to_string(), (partition, offset));
        }
        if self.unstored.is_empty() {
            return Ok(());
        }
        let offsets: Vec<_> = self.unstored.values().map(|(p, o)| (p.clone(), Some(o.clone()))).collect();
        match self.setup.offset_store.put(&self.setup.id.connector, &offsets) {
            Ok(()) => {
                debug!(task = %self.setup.id, partitions = offsets.len(), "committed source offsets");
                self.unstored.clear();
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
