//! The send stage of a source task: a thread of its own that hands converted records to the
//! producer, in order, while the task's thread polls and converts the next batch.
//!
//! Kafka Connect polls, converts and sends on the task's one thread. Here the producer call is
//! a good third of the work per record, so overlapping it with the next `poll` (on another core)
//! raises a task's throughput; everything else keeps Kafka Connect's semantics: one queue, so
//! records reach the producer in the order `poll` returned them, and the queue is bounded, so a
//! slow broker still stops `poll` (back-pressure, nothing dropped).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing::warn;

use crate::error::{Error, Result};
use crate::kafka::producer::{is_queue_full, OutgoingRecord, Producer};
use crate::runtime::source_task::TaskShared;
use crate::runtime::submitted::Ticket;

/// Converted records, each with its ticket, in `poll` order.
pub(crate) type Batch = Vec<(OutgoingRecord, Ticket)>;

/// Records that may wait for the sender (beyond librdkafka's own queue). Small: it only has to
/// cover the time between two polls. A larger batch is still taken when the queue is empty.
const MAX_QUEUED_RECORDS: usize = 4_000;

/// Kafka Connect's back-off after a retriable error from `send` (`SEND_FAILED_BACKOFF_MS`).
const SEND_FAILED_BACKOFF: Duration = Duration::from_millis(100);

/// How long the sender sleeps while librdkafka's queue is full.
const QUEUE_FULL_BACKOFF: Duration = Duration::from_millis(1);

#[derive(Default)]
struct State {
    batches: VecDeque<Batch>,
    queued: usize,
    closed: bool,
}

#[derive(Default)]
struct Queue {
    state: Mutex<State>,
    changed: Condvar,
}

impl Queue {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("sender queue lock")
    }

    fn closed(&self) -> bool {
        self.lock().closed
    }

    /// The next batch, or `None` once the queue is closed.
    fn next(&self) -> Option<Batch> {
        let mut state = self.lock();
        loop {
            if state.closed {
                return None;
            }
            if let Some(batch) = state.batches.pop_front() {
                state.queued -= batch.len();
                self.changed.notify_all();
                return Some(batch);
            }
            state = self.changed.wait(state).expect("sender queue lock");
        }
    }
}

/// The send stage of one task.
pub(crate) struct Sender {
    queue: Arc<Queue>,
    thread: Option<JoinHandle<()>>,
}

impl Sender {
    /// Starts the sender thread of a task.
    pub(crate) fn spawn(name: String, producer: Arc<Producer>, shared: Arc<TaskShared>) -> Result<Self> {
        let queue = Arc::new(Queue::default());
        let thread_queue = queue.clone();
        let thread = std::thread::Builder::new()
            .name(name)
            .spawn(move || run(&thread_queue, &producer, &shared))
            .map_err(|e| Error::io("starting a task's sender thread", e))?;
        Ok(Sender { queue, thread: Some(thread) })
    }

    /// Queues a batch, waiting up to `wait` for room; hands the batch back if there was none.
    pub(crate) fn offer(&self, batch: Batch, wait: Duration) -> Option<Batch> {
        let mut state = self.queue.lock();
        if state.queued > 0 && state.queued + batch.len() > MAX_QUEUED_RECORDS {
            state = self.queue.changed.wait_timeout(state, wait).expect("sender queue lock").0;
            if state.queued > 0 && state.queued + batch.len() > MAX_QUEUED_RECORDS {
                return Some(batch);
            }
        }
        state.queued += batch.len();
        state.batches.push_back(batch);
        self.queue.changed.notify_all();
        None
    }

    /// Stops the thread and waits for it. Records it had not handed to the producer are dropped,
    /// never acknowledged, so their offsets are never committed (they are polled again after a
    /// restart, as in Kafka Connect, which drops its unsent records on stop too).
    pub(crate) fn close(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.queue.lock().closed = true;
        self.queue.changed.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The sender thread: sends each queued record until the queue is closed.
fn run(queue: &Queue, producer: &Producer, shared: &TaskShared) {
    while let Some(batch) = queue.next() {
        for (record, ticket) in batch {
            if !send_one(queue, producer, shared, &record, ticket) {
                return;
            }
        }
    }
}

/// Sends one record, waiting out retriable refusals (a full queue above all); a refusal that is
/// not retriable is final for that record. Returns false when the queue was closed meanwhile.
fn send_one(queue: &Queue, producer: &Producer, shared: &TaskShared, record: &OutgoingRecord, ticket: Ticket) -> bool {
    loop {
        match producer.send(record, ticket.token()) {
            Ok(()) => return true,
            Err(e) if is_queue_full(&e) => std::thread::sleep(QUEUE_FULL_BACKOFF),
            Err(e) if e.is_retriable() => {
                warn!(task = %shared.control.id, "failed to send a record to topic {}, retrying: {e}", record.topic);
                std::thread::sleep(SEND_FAILED_BACKOFF);
            }
            Err(e) => {
                shared.record_failed(ticket, &format!("sending to topic {}: {e}", record.topic));
                return true;
            }
        }
        if queue.closed() {
            return false;
        }
    }
}
