//! One task's metrics: Kafka Connect's `connector-task-metrics`, `source-task-metrics` or
//! `sink-task-metrics`, and `task-error-metrics`.
//!
//! The task's thread records once per batch (one uncontended lock, never one per record); the
//! error handler counts with atomics; a scrape locks the same mutex to read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::window::Window;
use super::Reading;
use crate::runtime::task_control::TaskId;

pub const TASK_GROUP: &str = "connector-task-metrics";
pub const SOURCE_GROUP: &str = "source-task-metrics";
pub const SINK_GROUP: &str = "sink-task-metrics";
pub const ERROR_GROUP: &str = "task-error-metrics";

/// Which of Kafka's task groups a task reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    Source,
    Sink,
}

/// A cumulative count and its windowed rate (a Kafka sensor with `Rate` and `CumulativeSum`).
struct Counted {
    total: u64,
    window: Window,
}

impl Counted {
    fn new(now: Instant) -> Self {
        Counted { total: 0, window: Window::new(now) }
    }

    fn add(&mut self, n: u64, now: Instant) {
        self.total += n;
        self.window.record(n as f64, now);
    }
}

/// A gauge whose last value is shown beside its windowed average and maximum (Kafka's
/// `*-active-count`, `-avg`, `-max`).
struct Level {
    last: f64,
    window: Window,
}

impl Level {
    fn new(now: Instant) -> Self {
        Level { last: 0.0, window: Window::new(now) }
    }

    fn set(&mut self, value: f64, now: Instant) {
        self.last = value;
        self.window.record(value, now);
    }
}

/// What the task's thread records, behind one mutex.
struct Stats {
    /// Records per batch (`batch-size-avg`/`-max`).
    batch_size: Window,
    /// Offset commit durations in ms, and each commit's outcome (1 success, 0 failure).
    commit_time: Window,
    commit_outcome: Window,
    /// Source: records polled and written; sink: records read and sent to `put`.
    records_in: Counted,
    records_out: Counted,
    /// Source: `poll` durations; sink: `put` durations (ms).
    call_time: Window,
    active: Level,
    // Sink only.
    partition_count: u64,
    commit_seq_no: u64,
    commit_completions: Counted,
    lag_max: f64,
}

/// `task-error-metrics`: counted where errors are handled (rare), with atomics.
#[derive(Default)]
pub struct ErrorCounts {
    pub record_failures: AtomicU64,
    pub record_errors: AtomicU64,
    pub records_skipped: AtomicU64,
    pub retries: AtomicU64,
    pub errors_logged: AtomicU64,
    pub dlq_requests: AtomicU64,
    pub dlq_failures: AtomicU64,
    /// Milliseconds since the epoch of the last error, 0 when none.
    pub last_error_ms: AtomicU64,
}

impl ErrorCounts {
    /// One failed attempt of an operation on a record (Kafka's `recordFailure`).
    pub fn failure(&self) {
        self.record_failures.fetch_add(1, Ordering::Relaxed);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        self.last_error_ms.store(now, Ordering::Relaxed);
    }

    /// A record that failed for good (Kafka's `recordFailure` and `recordError`), and was
    /// `skipped` under `errors.tolerance=all`.
    pub fn error(&self, skipped: bool) {
        self.failure();
        Self::add(&self.record_errors);
        if skipped {
            Self::add(&self.records_skipped);
        }
    }

    pub fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// One task's metrics. Shared by the task's thread, its error handler and the worker.
pub struct TaskMetrics {
    pub id: TaskId,
    pub kind: TaskKind,
    /// `ferroconnect.metrics.enabled=false`: nothing is recorded and nothing read.
    enabled: bool,
    stats: Mutex<Stats>,
    pub errors: ErrorCounts,
    /// The task's Kafka clients' figures, from their latest statistics (see `clients`).
    clients: Mutex<Vec<Reading>>,
}

impl TaskMetrics {
    pub fn new(id: TaskId, kind: TaskKind, enabled: bool) -> Self {
        let now = Instant::now();
        TaskMetrics {
            id,
            kind,
            enabled,
            stats: Mutex::new(Stats {
                batch_size: Window::new(now),
                commit_time: Window::new(now),
                commit_outcome: Window::new(now),
                records_in: Counted::new(now),
                records_out: Counted::new(now),
                call_time: Window::new(now),
                active: Level::new(now),
                partition_count: 0,
                commit_seq_no: 0,
                commit_completions: Counted::new(now),
                lag_max: f64::NAN,
            }),
            errors: ErrorCounts::default(),
            clients: Mutex::new(Vec::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    fn update(&self, f: impl FnOnce(&mut Stats, Instant)) {
        if self.enabled {
            f(&mut self.stats.lock().unwrap_or_else(|p| p.into_inner()), Instant::now());
        }
    }

    /// A source task's `poll` returned `records` after `took` (Kafka's `recordPollReturned`).
    pub fn polled(&self, records: usize, took: Duration) {
        self.update(|s, now| {
            s.records_in.add(records as u64, now);
            s.call_time.record(millis(took), now);
            s.batch_size.record(records as f64, now);
        });
    }

    /// A source task's records Kafka acknowledged since the last call, and how many are still
    /// in flight (`source-record-write-*`, `source-record-active-count*`).
    pub fn written(&self, records: u64, in_flight: usize) {
        self.update(|s, now| {
            if records > 0 {
                s.records_out.add(records, now);
            }
            s.active.set(in_flight as f64, now);
        });
    }

    /// A sink task read `records` from Kafka (before conversion and transforms).
    pub fn read(&self, records: usize) {
        self.update(|s, now| s.records_in.add(records as u64, now));
    }

    /// A sink task's `put` took `records` in `took`; `active`: records put whose offsets are not
    /// committed yet.
    pub fn put(&self, records: usize, took: Duration, active: u64) {
        self.update(|s, now| {
            s.records_out.add(records as u64, now);
            s.call_time.record(millis(took), now);
            s.batch_size.record(records as f64, now);
            s.active.set(active as f64, now);
        });
    }

    /// An offset commit ended after `took`: `ok` or not (`offset-commit-*`). For a sink task it
    /// also counts a sequence number, and a completion when it succeeded.
    pub fn committed(&self, ok: bool, took: Duration) {
        self.update(|s, now| {
            s.commit_time.record(millis(took), now);
            s.commit_outcome.record(if ok { 1.0 } else { 0.0 }, now);
            if self.kind == TaskKind::Sink {
                s.commit_seq_no += 1;
                if ok {
                    s.commit_completions.add(1, now);
                }
            }
        });
    }

    /// A sink task's assignment changed.
    pub fn partitions(&self, count: usize) {
        self.update(|s, _| s.partition_count = count as u64);
    }

    /// The largest consumer lag among the sink task's partitions (from its consumer's statistics).
    pub fn lag_max(&self, lag: f64) {
        self.update(|s, _| s.lag_max = lag);
    }

    /// Replaces the task's clients' figures with those of their latest statistics.
    pub fn set_client_readings(&self, client: &str, readings: Vec<Reading>) {
        if !self.enabled {
            return;
        }
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients.retain(|r| r.tags.get("client-id").map(String::as_str) != Some(client));
        clients.extend(readings);
    }

    /// The task's readings, except its status (the worker adds those, see `metrics::worker`).
    pub fn readings(&self, out: &mut Vec<Reading>) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let s = self.stats.lock().unwrap_or_else(|p| p.into_inner());
        let tags = super::task_tags(&self.id);
        let mut push = |group: &'static str, name: &'static str, value: f64| {
            out.push(Reading { group, name, tags: tags.clone(), value });
        };
        push(TASK_GROUP, "batch-size-avg", s.batch_size.avg(now));
        push(TASK_GROUP, "batch-size-max", s.batch_size.max(now));
        push(TASK_GROUP, "offset-commit-avg-time-ms", s.commit_time.avg(now));
        push(TASK_GROUP, "offset-commit-max-time-ms", s.commit_time.max(now));
        let (attempts, successes) = (s.commit_outcome.count(now), s.commit_outcome.avg(now));
        // Kafka's `Frequencies`: the share of each outcome among the window's attempts, 0 when none.
        let success = if attempts == 0 { 0.0 } else { successes };
        push(TASK_GROUP, "offset-commit-success-percentage", success);
        push(TASK_GROUP, "offset-commit-failure-percentage", if attempts == 0 { 0.0 } else { 1.0 - successes });
        match self.kind {
            TaskKind::Source => {
                push(SOURCE_GROUP, "source-record-poll-rate", s.records_in.window.rate(now));
                push(SOURCE_GROUP, "source-record-poll-total", s.records_in.total as f64);
                push(SOURCE_GROUP, "source-record-write-rate", s.records_out.window.rate(now));
                push(SOURCE_GROUP, "source-record-write-total", s.records_out.total as f64);
                push(SOURCE_GROUP, "poll-batch-avg-time-ms", s.call_time.avg(now));
                push(SOURCE_GROUP, "poll-batch-max-time-ms", s.call_time.max(now));
                push(SOURCE_GROUP, "source-record-active-count", s.active.last);
                push(SOURCE_GROUP, "source-record-active-count-avg", s.active.window.avg(now));
                push(SOURCE_GROUP, "source-record-active-count-max", s.active.window.max(now));
            }
            TaskKind::Sink => {
                push(SINK_GROUP, "sink-record-read-rate", s.records_in.window.rate(now));
                push(SINK_GROUP, "sink-record-read-total", s.records_in.total as f64);
                push(SINK_GROUP, "sink-record-send-rate", s.records_out.window.rate(now));
                push(SINK_GROUP, "sink-record-send-total", s.records_out.total as f64);
                push(SINK_GROUP, "sink-record-lag-max", s.lag_max);
                push(SINK_GROUP, "partition-count", s.partition_count as f64);
                push(SINK_GROUP, "offset-commit-seq-no", s.commit_seq_no as f64);
                push(SINK_GROUP, "offset-commit-completion-rate", s.commit_completions.window.rate(now));
                push(SINK_GROUP, "offset-commit-completion-total", s.commit_completions.total as f64);
                // Commits are synchronous here: no completion ever arrives too late to count.
                push(SINK_GROUP, "offset-commit-skip-rate", 0.0);
                push(SINK_GROUP, "offset-commit-skip-total", 0.0);
                push(SINK_GROUP, "put-batch-avg-time-ms", s.call_time.avg(now));
                push(SINK_GROUP, "put-batch-max-time-ms", s.call_time.max(now));
                push(SINK_GROUP, "sink-record-active-count", s.active.last);
                push(SINK_GROUP, "sink-record-active-count-avg", s.active.window.avg(now));
                push(SINK_GROUP, "sink-record-active-count-max", s.active.window.max(now));
            }
        }
        drop(s);
        let e = &self.errors;
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed) as f64;
        push(ERROR_GROUP, "total-record-failures", get(&e.record_failures));
        push(ERROR_GROUP, "total-record-errors", get(&e.record_errors));
        push(ERROR_GROUP, "total-records-skipped", get(&e.records_skipped));
        push(ERROR_GROUP, "total-retries", get(&e.retries));
        push(ERROR_GROUP, "total-errors-logged", get(&e.errors_logged));
        push(ERROR_GROUP, "deadletterqueue-produce-requests", get(&e.dlq_requests));
        push(ERROR_GROUP, "deadletterqueue-produce-failures", get(&e.dlq_failures));
        push(ERROR_GROUP, "last-error-timestamp", get(&e.last_error_ms));
        out.extend(self.clients.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned());
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> TaskId {
        TaskId { connector: "c".into(), task: 3 }
    }

    fn read(metrics: &TaskMetrics, group: &str, name: &str) -> f64 {
        let mut out = Vec::new();
        metrics.readings(&mut out);
        let found: Vec<_> = out.iter().filter(|r| r.group == group && r.name == name).collect();
        assert_eq!(found.len(), 1, "{group} {name}");
        assert_eq!(found[0].tags, crate::metrics::task_tags(&id()));
        found[0].value
    }

    #[test]
    fn a_source_task_counts_batches_into_kafkas_names() {
        let metrics = TaskMetrics::new(id(), TaskKind::Source, true);
        metrics.polled(100, Duration::from_millis(4));
        metrics.polled(50, Duration::from_millis(2));
        metrics.written(120, 30);
        metrics.committed(true, Duration::from_millis(1));
        metrics.committed(false, Duration::from_millis(3));
        assert_eq!(read(&metrics, SOURCE_GROUP, "source-record-poll-total"), 150.0);
        assert_eq!(read(&metrics, SOURCE_GROUP, "source-record-write-total"), 120.0);
        assert_eq!(read(&metrics, SOURCE_GROUP, "source-record-active-count"), 30.0);
        assert_eq!(read(&metrics, SOURCE_GROUP, "poll-batch-max-time-ms"), 4.0);
        assert_eq!(read(&metrics, SOURCE_GROUP, "poll-batch-avg-time-ms"), 3.0);
        assert_eq!(read(&metrics, TASK_GROUP, "batch-size-avg"), 75.0);
        assert_eq!(read(&metrics, TASK_GROUP, "batch-size-max"), 100.0);
        assert_eq!(read(&metrics, TASK_GROUP, "offset-commit-success-percentage"), 0.5);
        assert_eq!(read(&metrics, TASK_GROUP, "offset-commit-failure-percentage"), 0.5);
        assert_eq!(read(&metrics, TASK_GROUP, "offset-commit-max-time-ms"), 3.0);
        // A young window's rate: 150 records over at least one full 30 s window.
        let rate = read(&metrics, SOURCE_GROUP, "source-record-poll-rate");
        assert!(rate > 4.9 && rate <= 5.0, "{rate}");
    }

    #[test]
    fn a_sink_task_counts_commit_attempts_and_completions() {
        let metrics = TaskMetrics::new(id(), TaskKind::Sink, true);
        metrics.read(10);
        metrics.put(8, Duration::from_millis(2), 8);
        metrics.committed(true, Duration::ZERO);
        metrics.committed(false, Duration::ZERO);
        metrics.partitions(4);
        assert_eq!(read(&metrics, SINK_GROUP, "sink-record-read-total"), 10.0);
        assert_eq!(read(&metrics, SINK_GROUP, "sink-record-send-total"), 8.0);
        assert_eq!(read(&metrics, SINK_GROUP, "offset-commit-seq-no"), 2.0);
        assert_eq!(read(&metrics, SINK_GROUP, "offset-commit-completion-total"), 1.0);
        assert_eq!(read(&metrics, SINK_GROUP, "partition-count"), 4.0);
        assert!(read(&metrics, SINK_GROUP, "sink-record-lag-max").is_nan());
    }

    #[test]
    fn errors_count_failures_errors_and_skips() {
        let metrics = TaskMetrics::new(id(), TaskKind::Sink, true);
        metrics.errors.error(true);
        metrics.errors.error(false);
        assert_eq!(read(&metrics, ERROR_GROUP, "total-record-failures"), 2.0);
        assert_eq!(read(&metrics, ERROR_GROUP, "total-record-errors"), 2.0);
        assert_eq!(read(&metrics, ERROR_GROUP, "total-records-skipped"), 1.0);
        assert!(read(&metrics, ERROR_GROUP, "last-error-timestamp") > 1.6e12);
    }

    #[test]
    fn turned_off_nothing_is_recorded_or_read() {
        let metrics = TaskMetrics::new(id(), TaskKind::Source, false);
        metrics.polled(100, Duration::from_millis(1));
        let mut out = Vec::new();
        metrics.readings(&mut out);
        assert!(out.is_empty());
    }
}
