//! The consumer a sink task reads with, polled on a thread of its own (a "fetcher").
//!
//! Kafka Connect polls its consumer from the task's thread, so a `put` slower than
//! `max.poll.interval.ms` makes the task leave its group. Here a fetcher thread keeps polling while
//! the task works: it hands messages and rebalance events to the task through one ordered queue,
//! and when the queue is full it pauses every assigned partition instead of letting the consumer
//! starve. Rebalances are cooperative (`cooperative-sticky`): a revocation waits until the task
//! has committed and closed the revoked partitions, as `onPartitionsRevoked` does in Java.
//!
//! Seeks requested by the task (`SinkTaskContext.offset`) are carried out by the fetcher between
//! two polls, so that no message fetched before the seek reaches the task after it.
//!
//! Messages and events take two librdkafka queues: each assigned partition's messages are
//! forwarded to a fetch-only queue ([`FetchQueue`]) that the fetcher empties up to 500 at a time in
//! one librdkafka call; the consumer's own queue keeps the events (rebalances, errors), served by
//! rust-rdkafka's `poll` so that [`RebalanceContext`] sees every rebalance.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::time::{Duration, Instant};

use ferroconnect_librdkafka_ext::{FetchQueue, FetchedMessage};
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::{ClientContext, Offset, TopicPartitionList};
use tracing::{debug, warn};

use super::chunk::{ChunkBuilder, ChunkSlice, MessageRef};
use crate::error::{Error, Result};

/// Kafka Connect's framework consumer settings (`Worker.baseConsumerConfigs`) in librdkafka's
/// terms; `group.id` and `client.id` are set per task. Worker `consumer.*` and connector
/// `consumer.override.*` settings are laid over these.
pub const CONNECT_CONSUMER_DEFAULTS: &[(&str, &str)] = &[
    ("enable.auto.commit", "false"),
    ("auto.offset.reset", "earliest"),
    ("partition.assignment.strategy", "cooperative-sticky"),
    // librdkafka keeps the partitions' positions itself; offsets are committed explicitly.
    ("enable.auto.offset.store", "false"),
    // librdkafka's prefetch queue, bounded below its own 100,000 messages / 64 MiB: the task takes
    // 500 at a time, so more only holds memory. Measured on the sink benchmark (1 partition, 100 B
    // records, quiet machine): these keep full speed (1.9-2.2M records/s, as librdkafka's defaults)
    // at 71 MiB peak RSS instead of 95; a quarter of them (2 MiB, 10,000) starved the task (1.4M).
    ("queued.max.messages.kbytes", "8192"),
    ("queued.min.messages", "40000"),
    // Once the queue is full librdkafka postpones the partition's next fetch by this much (its
    // default, 1 s, left a task that empties the queue faster idle most of each second: 330-480k
    // records/s instead of 1.1-1.8M on a loaded machine; 0 makes its broker thread spin).
    ("fetch.queue.backoff.ms", "10"),
];

/// Java consumer settings with no librdkafka equivalent, accepted and ignored so that Kafka
/// Connect's `.properties` files work unchanged. (`max.poll.records` is read by the runtime.)
const JAVA_ONLY_CONSUMER_KEYS: &[&str] = &[
    "key.deserializer",
    "value.deserializer",
    "max.poll.records",
    "interceptor.classes",
    "metric.reporters",
    "default.api.timeout.ms",
    "exclude.internal.topics",
];

/// A topic and one of its partitions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition { topic: topic.into(), partition }
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// Kafka's record timestamp types, named as Java prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    NoTimestampType,
    CreateTime,
    LogAppendTime,
}

impl TimestampType {
    pub fn as_str(self) -> &'static str {
        match self {
            TimestampType::NoTimestampType => "NoTimestampType",
            TimestampType::CreateTime => "CreateTime",
            TimestampType::LogAppendTime => "LogAppendTime",
        }
    }
}

/// A record as read from Kafka, owned: its coordinates and its bytes, before conversion. The
/// consumer hands messages over in chunks ([`ChunkSlice`]); this is the form errors and the dead
/// letter queue take.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsumedMessage {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub timestamp: Option<i64>,
    pub timestamp_type: TimestampType,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl ConsumedMessage {
    pub fn topic_partition(&self) -> TopicPartition {
        TopicPartition::new(self.topic.clone(), self.partition)
    }
}

/// What the fetcher hands the task, in the order it happened.
pub enum Fetched {
    /// Messages in the order librdkafka returned them (at most a chunk's worth).
    Messages(ChunkSlice),
    Assigned(Vec<TopicPartition>),
    /// The task must commit (unless `lost`) and close these partitions, then answer on `done`;
    /// the consumer gives them up only after that (or once the task is gone).
    Revoked {
        partitions: Vec<TopicPartition>,
        lost: bool,
        done: mpsc::SyncSender<()>,
    },
}

/// What subscribes the consumer: Kafka Connect's `topics` or `topics.regex`.
#[derive(Debug, Clone)]
pub enum Subscription {
    Topics(Vec<String>),
    Pattern(String),
}

/// Settings of one sink task's consumer.
#[derive(Clone)]
pub struct ConsumerSetup {
    pub bootstrap_servers: String,
    pub group_id: String,
    pub client_id: String,
    /// Worker `consumer.*` then connector `consumer.override.*`, prefixes removed.
    pub settings: HashMap<String, String>,
    pub subscription: Subscription,
    /// Messages queued for the task before the fetcher pauses the partitions.
    pub queue_capacity: usize,
    /// Takes the consumer's statistics (with `statistics.interval.ms` set in `settings`).
    pub statistics: Option<super::StatisticsHandler>,
}

#[derive(Default)]
struct Queue {
    items: VecDeque<Fetched>,
    messages: usize,
    assigned: BTreeSet<TopicPartition>,
    /// Seeks the task asked for, not yet carried out; their partitions' messages are held back.
    seeks: BTreeMap<TopicPartition, i64>,
    paused_by_task: BTreeSet<TopicPartition>,
    closed: bool,
}

impl Queue {
    /// Removes the queued messages for which `drop` holds; events stay where they are.
    fn drop_messages(&mut self, drop: impl Fn(&MessageRef<'_>) -> bool) {
        let mut kept = VecDeque::with_capacity(self.items.len());
        for item in self.items.drain(..) {
            match item {
                Fetched::Messages(slice) => {
                    let before = slice.len();
                    let runs = slice.retain(|m| !drop(m));
                    self.messages -= before - runs.iter().map(ChunkSlice::len).sum::<usize>();
                    kept.extend(runs.into_iter().map(Fetched::Messages));
                }
                event => kept.push_back(event),
            }
        }
        self.items = kept;
    }
}

struct Shared {
    queue: Mutex<Queue>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Turns librdkafka's rebalance callbacks (run inside `poll`, on the fetcher thread) into queue items.
struct RebalanceContext {
    shared: Arc<Shared>,
    statistics: Option<super::StatisticsHandler>,
    /// The connector context of the task owning the consumer, for librdkafka's lines.
    span: tracing::Span,
    /// Where assigned partitions' messages are forwarded (set once the consumer exists; gone once
    /// the fetcher let go of it, as while the consumer closes).
    fetch: OnceLock<Weak<FetchQueue<RebalanceContext>>>,
}

impl RebalanceContext {
    fn fetch_queue(&self) -> Option<Arc<FetchQueue<RebalanceContext>>> {
        self.fetch.get().and_then(Weak::upgrade)
    }
}

impl ClientContext for RebalanceContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        self.span.in_scope(|| super::log::log(level, fac, message));
    }

    fn error(&self, err: rdkafka::error::KafkaError, reason: &str) {
        self.span.in_scope(|| super::log::client_error(&err, reason));
    }

    fn stats(&self, statistics: rdkafka::statistics::Statistics) {
        if let Some(handler) = &self.statistics {
            handler(&statistics);
        }
    }
}

impl ConsumerContext for RebalanceContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let tpl = match rebalance {
            Rebalance::Revoke(tpl) => tpl,
            Rebalance::Assign(tpl) => {
                // Before the assignment starts the partitions' fetches, so that none of their
                // messages reaches the consumer queue (librdkafka leaves a forwarding the
                // application set alone when it starts a fetch).
                if let Some(fetch) = self.fetch_queue() {
                    for tp in partitions_of(tpl) {
                        if !fetch.forward(&tp.topic, tp.partition) {
                            warn!(partition = %tp, "no fetch queue: its messages are polled one by one");
                        }
                    }
                }
                return;
            }
            Rebalance::Error(e) => {
                warn!("consumer rebalance error: {e}");
                return;
            }
        };
        let partitions = partitions_of(tpl);
        let (done, answered) = mpsc::sync_channel(1);
        {
            let mut queue = self.shared.lock();
            for tp in &partitions {
                queue.assigned.remove(tp);
            }
            if queue.closed || partitions.is_empty() {
                return;
            }
            let lost = consumer.assignment_lost();
            queue_polled(&mut queue);
            queue.items.push_back(Fetched::Revoked { partitions, lost, done });
        }
        self.shared.changed.notify_all();
        // Wait for the task to commit and close; an error means it stopped (closing drops the item).
        let _ = answered.recv();
    }

    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            // The partitions' fetches are stopped: their queues are let go (forwarded again if
            // they come back). Messages of theirs still on the fetch queue are outdated by the
            // stop and dropped by librdkafka.
            if let Some(fetch) = self.fetch_queue() {
                for tp in partitions_of(tpl) {
                    fetch.unforward(&tp.topic, tp.partition);
                }
            }
            return;
        }
        let Rebalance::Assign(tpl) = rebalance else { return };
        let partitions = partitions_of(tpl);
        if partitions.is_empty() {
            return;
        }
        let mut queue = self.shared.lock();
        queue.assigned.extend(partitions.iter().cloned());
        if !queue.closed {
            queue_polled(&mut queue);
            queue.items.push_back(Fetched::Assigned(partitions));
        }
        drop(queue);
        self.shared.changed.notify_all();
    }
}

thread_local! {
    /// Messages the fetch loop of this thread polled and did not queue yet. Not a local of the
    /// loop: rebalance callbacks run inside `poll`, on the same thread, and queue these before
    /// their event, so that the task sees messages and events in the order they happened (the
    /// messages of revoked partitions are delivered, then committed, before they are closed).
    static POLLED: RefCell<ChunkBuilder> = RefCell::new(ChunkBuilder::default());
}

/// Queues what this thread polled since the last time.
fn queue_polled(queue: &mut Queue) {
    POLLED.with_borrow_mut(|polled| {
        if !polled.is_empty() {
            let slice = polled.take();
            queue.messages += slice.len();
            queue.items.push_back(Fetched::Messages(slice));
        }
    });
}

fn partitions_of(tpl: &TopicPartitionList) -> Vec<TopicPartition> {
    tpl.elements().iter().map(|e| TopicPartition::new(e.topic(), e.partition())).collect()
}

/// Next offsets to read as librdkafka's list (to commit them).
pub(crate) fn offsets_tpl(offsets: &BTreeMap<TopicPartition, i64>) -> Result<TopicPartitionList> {
    let mut tpl = TopicPartitionList::new();
    for (tp, offset) in offsets {
        tpl.add_partition_offset(&tp.topic, tp.partition, Offset::Offset(*offset))?;
    }
    Ok(tpl)
}

/// The partitions of librdkafka's list that carry an offset (committed ones, as read back).
pub(crate) fn offsets_of(tpl: &TopicPartitionList) -> BTreeMap<TopicPartition, i64> {
    tpl.elements()
        .iter()
        .filter_map(|e| match e.offset() {
            Offset::Offset(o) => Some((TopicPartition::new(e.topic(), e.partition()), o)),
            _ => None,
        })
        .collect()
}

fn tpl_of<'a>(partitions: impl IntoIterator<Item = &'a TopicPartition>) -> TopicPartitionList {
    let mut tpl = TopicPartitionList::new();
    for tp in partitions {
        tpl.add_partition(&tp.topic, tp.partition);
    }
    tpl
}

/// A subscribed consumer polled on its own thread. Dropping it (or `close`) stops the thread,
/// which then closes the consumer and leaves the group.
pub struct Fetcher {
    shared: Arc<Shared>,
    consumer: Arc<BaseConsumer<RebalanceContext>>,
    /// Holds the consumer too: its queue handles go before the consumer can.
    fetch: Arc<FetchQueue<RebalanceContext>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    /// Messages queued before the fetcher stops fetching.
    capacity: usize,
}

impl Fetcher {
    /// Creates the consumer, subscribes it and starts polling.
    pub fn start(setup: ConsumerSetup, thread_name: String) -> Result<Self> {
        let mut settings: HashMap<String, String> =
            CONNECT_CONSUMER_DEFAULTS.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        settings.insert("group.id".into(), setup.group_id.clone());
        settings.insert("client.id".into(), setup.client_id.clone());
        for (key, value) in &setup.settings {
            if JAVA_ONLY_CONSUMER_KEYS.contains(&key.as_str())
                || super::producer::JAVA_ONLY_KEYS.contains(&key.as_str())
            {
                continue;
            }
            let value = if key == "partition.assignment.strategy" { assignor_name(value) } else { value.clone() };
            settings.insert(key.clone(), value);
        }
        let shared = Arc::new(Shared { queue: Mutex::new(Queue::default()), changed: Condvar::new() });
        let consumer: BaseConsumer<RebalanceContext> = super::client_config(&setup.bootstrap_servers, &settings)
            .create_with_context(RebalanceContext {
                shared: shared.clone(),
                statistics: setup.statistics.clone(),
                span: tracing::Span::current(),
                fetch: OnceLock::new(),
            })?;
        match &setup.subscription {
            Subscription::Topics(topics) => {
                let topics: Vec<&str> = topics.iter().map(String::as_str).collect();
                consumer.subscribe(&topics)?;
            }
            // librdkafka treats a subscription starting with `^` as a regex; Java's matches the
            // whole name, hence the anchors.
            Subscription::Pattern(pattern) => consumer.subscribe(&[&format!("^({pattern})$")])?,
        }
        let consumer = Arc::new(consumer);
        // Partitions are assigned inside `poll` only, on the fetcher thread: the queue is in place
        // before any could be.
        let fetch =
            Arc::new(FetchQueue::new(consumer.clone()).ok_or_else(|| Error::Config {
                key: "group.id".into(),
                reason: "a sink consumer needs a group".into(),
            })?);
        let _ = consumer.context().fetch.set(Arc::downgrade(&fetch));
        let (thread_shared, thread_consumer, thread_fetch) = (shared.clone(), consumer.clone(), fetch.clone());
        let capacity = setup.queue_capacity.max(1);
        let thread = std::thread::Builder::new()
            .name(thread_name)
            .spawn(crate::logging::context::in_current_span(move || {
                fetch_loop(&thread_shared, &thread_consumer, &thread_fetch, capacity)
            }))
            .map_err(|e| Error::io("starting a consumer thread", e))?;
        Ok(Fetcher { shared, consumer, fetch, thread: Mutex::new(Some(thread)), capacity })
    }

    /// Takes up to `max_messages` messages, or one rebalance event, waiting at most `timeout` for
    /// the first. Messages of partitions with a pending seek are dropped (the seek supersedes them).
    pub fn next_batch(&self, max_messages: usize, timeout: Duration) -> Batch {
        let mut queue = self.shared.lock();
        if queue.items.is_empty() && !queue.closed {
            let deadline = Instant::now() + timeout;
            while queue.items.is_empty() && !queue.closed {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                queue = self.shared.changed.wait_timeout(queue, left).unwrap_or_else(|p| p.into_inner()).0;
            }
        }
        if !queue.seeks.is_empty() {
            let seeks = std::mem::take(&mut queue.seeks);
            queue.drop_messages(|m| seeks.keys().any(|tp| m.is_of(tp)));
            queue.seeks = seeks;
        }
        let mut batch = Batch { messages: Vec::new(), count: 0, event: None };
        while batch.count < max_messages {
            match queue.items.front_mut() {
                Some(Fetched::Messages(slice)) => {
                    let taken = if slice.len() <= max_messages - batch.count {
                        let Some(Fetched::Messages(slice)) = queue.items.pop_front() else { unreachable!() };
                        slice
                    } else {
                        slice.take_front(max_messages - batch.count)
                    };
                    queue.messages -= taken.len();
                    batch.count += taken.len();
                    batch.messages.push(taken);
                }
                Some(_) if batch.count == 0 => {
                    batch.event = queue.items.pop_front();
                    break;
                }
                _ => break,
            }
        }
        let was_full = queue.messages + batch.count >= self.capacity;
        drop(queue);
        // The fetcher waits on a full queue only; the task is the only other waiter.
        if was_full || batch.event.is_some() {
            self.shared.changed.notify_all();
        }
        batch
    }

    /// Takes the first rebalance event, waiting at most `timeout`, and leaves messages queued
    /// (a paused task). Messages of revoked partitions are dropped: their next owner reads them.
    pub fn next_event(&self, timeout: Duration) -> Option<Fetched> {
        let deadline = Instant::now() + timeout;
        let mut queue = self.shared.lock();
        loop {
            if let Some(index) = queue.items.iter().position(|item| !matches!(item, Fetched::Messages(_))) {
                let event = queue.items.remove(index);
                if let Some(Fetched::Revoked { partitions, .. }) = &event {
                    queue.drop_messages(|m| partitions.iter().any(|tp| m.is_of(tp)));
                }
                drop(queue);
                self.shared.changed.notify_all();
                return event;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || queue.closed {
                return None;
            }
            queue = self.shared.changed.wait_timeout(queue, left).unwrap_or_else(|p| p.into_inner()).0;
        }
    }

    /// The partitions currently assigned to this consumer.
    pub fn assignment(&self) -> BTreeSet<TopicPartition> {
        self.shared.lock().assigned.clone()
    }

    /// Moves the positions of partitions (the task's `context.offset`); applied by the fetcher.
    pub fn seek(&self, offsets: &BTreeMap<TopicPartition, i64>) {
        self.shared.lock().seeks.extend(offsets.iter().map(|(tp, o)| (tp.clone(), *o)));
        self.shared.changed.notify_all();
        self.fetch.wake();
    }

    /// Pauses or resumes fetching of partitions for the task (`context.pause/resume`).
    pub fn set_paused_by_task(&self, partitions: &[TopicPartition], paused: bool) {
        let mut queue = self.shared.lock();
        for tp in partitions {
            if paused {
                queue.paused_by_task.insert(tp.clone());
            } else {
                queue.paused_by_task.remove(tp);
            }
        }
        drop(queue);
        self.shared.changed.notify_all();
        self.fetch.wake();
    }

    /// Commits `offsets` (each the next offset to read) and waits for the broker's answer.
    pub fn commit(&self, offsets: &BTreeMap<TopicPartition, i64>) -> Result<()> {
        if offsets.is_empty() {
            return Ok(());
        }
        self.consumer.commit(&offsets_tpl(offsets)?, CommitMode::Sync).map_err(Error::from)
    }

    /// The committed offsets of partitions, as the group coordinator has them.
    pub fn committed(&self, partitions: &[TopicPartition], timeout: Duration) -> Result<BTreeMap<TopicPartition, i64>> {
        Ok(offsets_of(&self.consumer.committed_offsets(tpl_of(partitions), timeout)?))
    }

    /// Stops polling and closes the consumer (leaving the group). Pending events are dropped.
    pub fn close(&self) {
        {
            let mut queue = self.shared.lock();
            queue.closed = true;
            queue.items.clear();
            queue.messages = 0;
        }
        self.shared.changed.notify_all();
        self.fetch.wake();
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            let _ = thread.join();
        }
    }
}

impl Drop for Fetcher {
    fn drop(&mut self) {
        self.close();
    }
}

/// What `next_batch` returns: messages, or (alone) a rebalance event.
pub struct Batch {
    /// The messages, as consecutive runs of the chunks they were fetched in.
    pub messages: Vec<ChunkSlice>,
    /// How many messages `messages` holds.
    pub count: usize,
    pub event: Option<Fetched>,
}

/// Java assignor class names, as Kafka Connect files give them, to librdkafka's names.
fn assignor_name(value: &str) -> String {
    value
        .split(',')
        .map(|name| match name.trim().rsplit('.').next().unwrap_or("") {
            "CooperativeStickyAssignor" => "cooperative-sticky",
            "RangeAssignor" => "range",
            "RoundRobinAssignor" => "roundrobin",
            _ => name.trim(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// How long a full queue may stay full before the fetcher pauses the partitions.
const FULL_BEFORE_PAUSE: Duration = Duration::from_millis(500);
/// How many messages the fetcher takes from librdkafka per lock of the queue (and per call).
const FETCH_CHUNK: usize = 500;
/// How long the fetcher waits for a message when there is none; a rebalance event, a seek, a
/// pause or closing ends the wait early.
const FETCH_WAIT: Duration = Duration::from_millis(100);

/// What the fetcher does about the task's queue filling up.
#[derive(Debug, PartialEq, Eq)]
enum Fill {
    /// Full for less than [`FULL_BEFORE_PAUSE`]: wait for the task (librdkafka keeps prefetching).
    Wait,
    /// Fetch on; with every partition paused while `hold_back`.
    Fetch { hold_back: bool },
}

/// The queue's fill over time: the partitions are paused once the queue stayed full for
/// [`FULL_BEFORE_PAUSE`], and resumed once the task has taken half of it. A queue that was full
/// for a moment must not pause them: librdkafka fetches again only about a second after a resume
/// (measured: 1 s gaps in a sink of 1 KiB records, a quarter of its throughput).
#[derive(Debug, Default)]
struct Backpressure {
    /// Since when the queue has been full without a break.
    full_since: Option<Instant>,
    held_back: bool,
}

impl Backpressure {
    fn observe(&mut self, messages: usize, capacity: usize, now: Instant) -> Fill {
        if messages >= capacity {
            let since = *self.full_since.get_or_insert(now);
            self.held_back |= now.duration_since(since) >= FULL_BEFORE_PAUSE;
            if !self.held_back {
                return Fill::Wait;
            }
        } else {
            self.full_since = None;
            self.held_back &= messages > capacity / 2;
        }
        Fill::Fetch { hold_back: self.held_back }
    }
}

fn fetch_loop(
    shared: &Shared,
    consumer: &BaseConsumer<RebalanceContext>,
    fetch: &FetchQueue<RebalanceContext>,
    capacity: usize,
) {
    let mut paused: BTreeSet<TopicPartition> = BTreeSet::new();
    let mut backpressure = Backpressure::default();
    loop {
        let (seeks, want_paused) = {
            let mut queue = shared.lock();
            if queue.closed {
                break;
            }
            let hold_back = match backpressure.observe(queue.messages, capacity, Instant::now()) {
                Fill::Wait if queue.seeks.is_empty() => {
                    let _ = shared.changed.wait_timeout(queue, Duration::from_millis(50));
                    continue;
                }
                Fill::Wait => false,
                Fill::Fetch { hold_back } => hold_back,
            };
            let seeks = std::mem::take(&mut queue.seeks);
            let want: BTreeSet<TopicPartition> = if hold_back {
                queue.assigned.clone()
            } else {
                queue.paused_by_task.intersection(&queue.assigned).cloned().collect()
            };
            // Keep the seeks' partitions held back until they are carried out below.
            queue.seeks.extend(seeks.iter().map(|(tp, o)| (tp.clone(), *o)));
            (seeks, want)
        };
        for (tp, offset) in &seeks {
            if let Err(e) = consumer.seek(&tp.topic, tp.partition, Offset::Offset(*offset), Duration::from_secs(10)) {
                warn!(partition = %tp, "seek to offset {offset} failed: {e}");
            }
        }
        if !seeks.is_empty() {
            let mut queue = shared.lock();
            queue.drop_messages(|m| seeks.keys().any(|tp| m.is_of(tp)));
            for tp in seeks.keys() {
                queue.seeks.remove(tp);
            }
        }
        update_paused(consumer, &mut paused, want_paused);
        poll_events(consumer, fetch);
        if fetch.consume(Duration::ZERO, FETCH_CHUNK, push_fetched) == 0 && POLLED.with_borrow(ChunkBuilder::is_empty) {
            // Nothing waiting: wait for the first message (not for a whole batch, which would hold
            // a trickle of messages back), then take what came with it.
            if fetch.consume(FETCH_WAIT, 1, push_fetched) == 1 {
                fetch.consume(Duration::ZERO, FETCH_CHUNK - 1, push_fetched);
            }
        }
        if POLLED.with_borrow(|polled| !polled.is_empty()) {
            let mut queue = shared.lock();
            if queue.closed {
                break;
            }
            let was_empty = queue.items.is_empty();
            queue_polled(&mut queue);
            drop(queue);
            // Only a task waiting for its next batch waits on an empty queue.
            if was_empty {
                shared.changed.notify_all();
            }
        }
    }
    debug!("consumer thread stopping");
}

/// Copies a message taken from the fetch queue into this thread's chunk.
fn push_fetched(fetched: std::result::Result<&FetchedMessage<'_>, rdkafka::error::KafkaError>) {
    match fetched {
        Ok(message) => POLLED.with_borrow_mut(|polled| polled.push(message)),
        Err(e) => debug!("consumer fetch: {e}"),
    }
}

/// Serves the consumer queue: rebalance events (whose callbacks run inside `poll`), errors, and
/// messages of a partition librdkafka had no queue for. Stops once the queue is empty.
fn poll_events(consumer: &BaseConsumer<RebalanceContext>, fetch: &FetchQueue<RebalanceContext>) {
    // `poll` ends after serving one event even when more wait; a few more tries then, but never
    // a spin on an op it does not take (the next round comes back to it).
    let mut tries = 8;
    for _ in 0..FETCH_CHUNK {
        match consumer.poll(Duration::ZERO) {
            Some(Ok(message)) => POLLED.with_borrow_mut(|polled| polled.push(&message)),
            Some(Err(e)) => debug!("consumer poll: {e}"),
            None if tries == 0 || !fetch.events_waiting() => break,
            None => tries -= 1,
        }
    }
}

/// Pauses and resumes partitions so that exactly `want` are paused.
fn update_paused(
    consumer: &BaseConsumer<RebalanceContext>,
    paused: &mut BTreeSet<TopicPartition>,
    want: BTreeSet<TopicPartition>,
) {
    if want == *paused {
        return;
    }
    // A partition that left the assignment stays paused in librdkafka (its pause flag outlives
    // the assignment: `rdkafka_partition.c`, only a resume clears `RD_KAFKA_TOPPAR_F_APP_PAUSE`),
    // and would stay paused when assigned again: it is kept in `paused` until resumed below.
    let assigned: BTreeSet<TopicPartition> =
        consumer.assignment().map(|tpl| partitions_of(&tpl).into_iter().collect()).unwrap_or_default();
    let to_pause: Vec<_> = want.difference(paused).filter(|tp| assigned.contains(tp)).cloned().collect();
    let to_resume: Vec<_> = paused.difference(&want).cloned().collect();
    if !to_pause.is_empty() {
        match consumer.pause(&tpl_of(&to_pause)) {
            Ok(()) => paused.extend(to_pause),
            Err(e) => warn!("pausing partitions failed: {e}"),
        }
    }
    if !to_resume.is_empty() {
        match consumer.resume(&tpl_of(&to_resume)) {
            Ok(()) => to_resume.iter().for_each(|tp| {
                paused.remove(tp);
            }),
            Err(e) => warn!("resuming partitions failed: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The partitions are paused only after the queue stayed full for FULL_BEFORE_PAUSE, not
    /// whenever it had been full once and was still over half full (which paused them after 1 ms).
    #[test]
    fn the_partitions_are_held_back_only_after_the_queue_stayed_full() {
        let (t0, ms) = (Instant::now(), Duration::from_millis);
        let mut fill = Backpressure::default();
        assert_eq!(fill.observe(100, 1000, t0), Fill::Fetch { hold_back: false });
        assert_eq!(fill.observe(1000, 1000, t0), Fill::Wait);
        assert_eq!(fill.observe(700, 1000, t0 + ms(10)), Fill::Fetch { hold_back: false });
        assert_eq!(fill.observe(1200, 1000, t0 + ms(20)), Fill::Wait);
        assert_eq!(fill.observe(1200, 1000, t0 + ms(20) + FULL_BEFORE_PAUSE), Fill::Fetch { hold_back: true });
        assert_eq!(fill.observe(600, 1000, t0 + ms(600)), Fill::Fetch { hold_back: true });
        assert_eq!(fill.observe(500, 1000, t0 + ms(700)), Fill::Fetch { hold_back: false });
        assert_eq!(fill.observe(1000, 1000, t0 + ms(710)), Fill::Wait);
    }

    #[test]
    fn java_assignor_names_map_to_librdkafka_names() {
        assert_eq!(
            assignor_name("org.apache.kafka.clients.consumer.RangeAssignor, org.apache.kafka.clients.consumer.CooperativeStickyAssignor"),
            "range,cooperative-sticky"
        );
        assert_eq!(assignor_name("roundrobin"), "roundrobin");
    }
}
