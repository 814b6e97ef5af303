//! The transactions of an exactly-once source task (Kafka Connect's `ExactlyOnceWorkerSourceTask`,
//! KIP-618).
//!
//! The task's producer is transactional (`transactional.id` = `<group.id>-<connector>-<task>`);
//! `init_transactions` at start fences out any earlier producer of the same task and aborts its open
//! transaction. A transaction opens with the first record sent after the last one ended. The source
//! offset of every record handed to the producer is kept; at a boundary those offsets are written,
//! in the same transaction, to the connector's offsets topic (its own `offsets.storage.topic`,
//! else the worker's; keyed and partitioned as Kafka's offsets store), and the transaction is
//! committed: records and offsets become visible to `read_committed`
//! readers together, or not at all. Only then are `commit_record` and `commit` called.
//!
//! Boundaries (`transaction.boundary`): `poll` after every batch, `interval` at the first batch end
//! after `transaction.boundary.interval.ms`, `connector` when the task asks through its transaction
//! context (after a batch, or right after a given record). An abort discards the transaction's
//! records but still commits their offsets, in a new transaction, so the task does not see them
//! again (Kafka's rule). A task that fails leaves its transaction aborted.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use crate::error::{Error, Result};
use crate::kafka::java_partitioner::partition_for_key;
use crate::kafka::producer::{is_queue_full, OutgoingRecord, Producer};
use crate::offsets::{offset_key, OffsetStore};
use crate::runtime::connector_config::TransactionBoundary;
use crate::runtime::plugin::TransactionContext;
use crate::runtime::record::SourceOffset;
use crate::runtime::task_control::TaskId;

/// The token of the offsets records a transaction carries: not a record of the task, so the
/// delivery handler ignores it (a failure among them fails the commit itself).
pub const OFFSETS_RECORD_TOKEN: usize = usize::MAX;

/// How long committing or aborting a transaction may take: Kafka's task blocks until the
/// producer is done; this only keeps a broken cluster from holding the task thread forever.
const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(300);

/// What a worker of a cluster checks around an exactly-once task's producer start (Kafka's
/// `preProducerCheck` and `postProducerCheck`).
pub trait ProducerStartChecks: Send + Sync {
    /// Before the producer starts: fences out the connector's earlier task generations when that
    /// is still to do (asks the leader of the cluster).
    fn fence_earlier_generations(&self, connector: &str) -> Result<()>;
    /// The connector's task generation now (when its task is set up): how many sets of task
    /// configs it committed, less one (Kafka's `taskConfigGeneration`).
    fn task_generation(&self, connector: &str) -> Option<u32>;
    /// After the producer started: fails unless `generation` is still the connector's latest and
    /// the task is still assigned to this worker (Kafka's `verifyTaskGenerationAndOwnership`).
    fn verify_generation_and_ownership(&self, task: &TaskId, generation: Option<u32>) -> Result<()>;
}

/// What an exactly-once source task is set up with.
pub struct ExactlyOnceSetup {
    /// The cluster's checks around the producer's start, with the task generation the task was
    /// set up in.
    pub checks: Option<(Arc<dyn ProducerStartChecks>, Option<u32>)>,
    pub boundary: TransactionBoundary,
    /// The `interval` boundary's period.
    pub interval: Duration,
    /// The offsets topic the transactions write to (the connector's own, else the worker's) and
    /// its partition count.
    pub offsets_topic: String,
    pub offsets_partitions: i32,
    /// With a connector's own offsets topic: the worker's store, which gets a copy of the offsets
    /// after each commit (Kafka's secondary write; a failure is only logged).
    pub worker_offsets: Option<Arc<dyn OffsetStore>>,
    /// The task's requests, with `transaction.boundary=connector`.
    pub context: Option<Arc<TransactionContext>>,
}

/// The transaction state of one task.
pub struct Transactions {
    setup: ExactlyOnceSetup,
    task: TaskId,
    connector: String,
    open: bool,
    /// The newest offset per source partition of records handed to the producer since the last
    /// commit (kept across an abort: those offsets are committed anyway).
    offsets: HashMap<String, (Arc<serde_json::Value>, SourceOffset)>,
    /// The newest offset of the partition dispatched last, kept out of `offsets` until another
    /// partition comes or the transaction ends: a batch's records usually share one partition
    /// (one `Arc`), so a record costs a pointer comparison, not the partition's JSON text and a hash.
    current: Option<(Arc<serde_json::Value>, SourceOffset)>,
    last_commit: Instant,
}

impl Transactions {
    pub fn new(setup: ExactlyOnceSetup, task: &TaskId) -> Self {
        Transactions {
            setup,
            task: task.clone(),
            connector: task.connector.clone(),
            open: false,
            offsets: HashMap::new(),
            current: None,
            last_commit: Instant::now(),
        }
    }

    /// The task's transaction context, when it defines its own boundaries.
    pub fn context(&self) -> Option<&Arc<TransactionContext>> {
        self.setup.context.as_ref()
    }

    /// Fences out earlier producers of this task and readies the producer (before the task starts,
    /// so that the offsets it reads include everything an earlier instance committed); then
    /// checks that the task may still run here.
    pub fn init(&mut self, producer: &Producer) -> Result<()> {
        if let Some((checks, _)) = &self.setup.checks {
            checks.fence_earlier_generations(&self.connector)?;
        }
        producer.init_transactions(TRANSACTION_TIMEOUT)?;
        if let Some((checks, generation)) = &self.setup.checks {
            checks.verify_generation_and_ownership(&self.task, *generation)?;
        }
        self.last_commit = Instant::now();
        Ok(())
    }

    /// Refuses records for the offsets topic: an open transaction there would block the task's
    /// own next read of its offsets (Kafka's rule and words).
    pub fn check_topic(&self, topic: &str) -> Result<()> {
        if topic == self.setup.offsets_topic {
            return Err(Error::Connector(
                "Source tasks may not produce to their own offsets topics when exactly-once support is enabled".into(),
            ));
        }
        Ok(())
    }

    /// Opens a transaction unless one is open (before a record is sent).
    pub fn begin(&mut self, producer: &Producer) -> Result<()> {
        if !self.open {
            producer.begin_transaction()?;
            self.open = true;
        }
        Ok(())
    }

    /// A record the producer accepted: its offset is committed with the transaction.
    pub fn dispatched(&mut self, partition: Arc<serde_json::Value>, offset: SourceOffset) {
        match &mut self.current {
            Some((last, newest)) if Arc::ptr_eq(last, &partition) => *newest = offset,
            _ => {
                self.settle();
                self.current = Some((partition, offset));
            }
        }
    }

    /// Moves the current partition's newest offset into `offsets`.
    fn settle(&mut self) {
        if let Some((partition, offset)) = self.current.take() {
            self.offsets.insert(partition.to_string(), (partition, offset));
        }
    }

    /// At the end of a batch: whether the boundary says to commit (`Some(true)`), abort
    /// (`Some(false)`) or go on.
    pub fn batch_end(&mut self) -> Result<Option<bool>> {
        Ok(match self.setup.boundary {
            TransactionBoundary::Poll => Some(true),
            TransactionBoundary::Interval => (self.last_commit.elapsed() >= self.setup.interval).then_some(true),
            TransactionBoundary::Connector => match &self.setup.context {
                Some(context) => context.take_batch_request()?,
                None => None,
            },
        })
    }

    /// At a graceful stop or a pause: whether to commit what is open (Kafka's
    /// `shouldCommitFinalTransaction`: always, except with connector-defined boundaries, where
    /// only a pending request of the task counts).
    pub fn final_commit(&mut self) -> Result<Option<bool>> {
        match self.setup.boundary {
            TransactionBoundary::Poll | TransactionBoundary::Interval => Ok(Some(true)),
            TransactionBoundary::Connector => self.batch_end(),
        }
    }

    /// Ends the transaction: commits it with the offsets of its records, or aborts it and then
    /// commits those offsets alone. Returns whether anything was committed (when nothing was
    /// sent since the last commit, nothing is, and Kafka's call of the task's `commit` is left
    /// out). An error leaves the transaction aborted and must fail the task.
    pub fn end(&mut self, producer: &Producer, commit: bool, task: &str) -> Result<bool> {
        if !commit {
            if self.open {
                info!(task, "Aborting transaction as requested by connector");
                // Let every record reach Kafka first: aborting purges queued records, whose
                // failed deliveries would otherwise read as rejected records.
                producer.flush(TRANSACTION_TIMEOUT)?;
                producer.abort_transaction(TRANSACTION_TIMEOUT)?;
                self.open = false;
            } else {
                warn!(task, "Ignoring request by task to abort transaction as the current transaction is empty");
            }
        }
        self.last_commit = Instant::now();
        self.settle();
        if !self.open && self.offsets.is_empty() {
            return Ok(false);
        }
        let outcome = self.commit(producer);
        if outcome.is_err() {
            self.abort_quietly(producer, task);
        }
        outcome.map(|()| true).map_err(|e| {
            Error::Connector(format!("Failed to flush offsets and/or records for task {task}: {}", explain(&e)))
        })
    }

    fn commit(&mut self, producer: &Producer) -> Result<()> {
        self.begin(producer)?;
        let partitions = self.offsets.len();
        for (partition, offset) in self.offsets.values() {
            let key = offset_key(&self.connector, partition).into_bytes();
            let record = OutgoingRecord {
                topic: self.setup.offsets_topic.as_str().into(),
                partition: Some(partition_for_key(&key, self.setup.offsets_partitions)),
                key: Some(key),
                value: Some(serde_json::to_vec(&offset.to_json()).expect("JSON values serialize")),
                timestamp: None,
                headers: Vec::new(),
            };
            send_waiting(producer, &record)?;
        }
        producer.commit_transaction(TRANSACTION_TIMEOUT)?;
        self.open = false;
        let offsets = std::mem::take(&mut self.offsets);
        debug!(connector = %self.connector, partitions, "committed a transaction with its source offsets");
        if let Some(worker) = &self.setup.worker_offsets {
            // After the commit, not when the records are acknowledged as Kafka's callback does:
            // the worker's topic never holds an offset whose transaction was aborted.
            let copy: Vec<_> = offsets.into_values().map(|(p, o)| (p.as_ref().clone(), Some(o.into_json()))).collect();
            worker.put_in_background(&self.connector, &copy);
        }
        Ok(())
    }

    /// Aborts what is open after a failure, so that `read_committed` readers are not held up to
    /// the transaction timeout; a fenced producer cannot, which is fine: its coordinator already
    /// aborted it.
    pub fn abort_quietly(&mut self, producer: &Producer, task: &str) {
        if self.open {
            if let Err(e) = producer.abort_transaction(Duration::from_secs(30)) {
                debug!(task, "could not abort the open transaction: {e}");
            }
            self.open = false;
        }
    }
}

/// Sends one framework record, waiting while librdkafka's queue is full.
fn send_waiting(producer: &Producer, record: &OutgoingRecord) -> Result<()> {
    loop {
        match producer.send(record, OFFSETS_RECORD_TOKEN) {
            Err(e) if is_queue_full(&e) => std::thread::sleep(Duration::from_millis(1)),
            other => return other,
        }
    }
}

/// Kafka's advice when a transaction outlived its timeout (the producer's epoch was bumped by
/// the coordinator); otherwise the error as it is.
fn explain(error: &Error) -> String {
    let text = error.to_string();
    if text.contains("InvalidProducerEpoch") || text.contains("INVALID_PRODUCER_EPOCH") {
        return format!(
            "{text}: the task was unable to finish writing records to Kafka before its producer transaction \
             expired. It may be necessary to reconfigure this connector in order for it to run healthily with \
             exactly-once support: tune the connector's producer configuration for higher throughput, increase the \
             transaction timeout for the connector's producers, decrease the offset commit interval (if using \
             interval-based transaction boundaries), or use the 'poll' transaction boundary"
        );
    }
    text
}
