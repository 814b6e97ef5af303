//! The worker's own metrics (`connect-worker-metrics`, `connect-worker-rebalance-metrics`) and the
//! readings of a worker's connectors and tasks, from a [`ConnectorView`] of each: what the worker
//! runs now, taken under its lock (see `runtime::worker::Worker::metrics`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::task::{TaskMetrics, TASK_GROUP};
use super::window::Window;
use super::{task_tags, Reading};

pub const WORKER_GROUP: &str = "connect-worker-metrics";
pub const REBALANCE_GROUP: &str = "connect-worker-rebalance-metrics";
pub const CONNECTOR_GROUP: &str = "connector-metrics";
/// Ours: automatic restarts (`docs/restarts.md`), per task and for the worker.
pub const TASK_RESTART_GROUP: &str = "task-restart-metrics";
pub const WORKER_RESTART_GROUP: &str = "worker-restart-metrics";

/// One connector as the worker has it now. States are Kafka's metric values: lower case.
pub struct ConnectorView {
    pub name: String,
    /// Whether its instance runs on this worker (always in standalone mode; when assigned in a
    /// cluster, where a worker may run only some of its tasks).
    pub runs_here: bool,
    pub class: String,
    pub version: String,
    /// `source`, `sink` or `unknown` (a class that could not be loaded).
    pub kind: &'static str,
    pub state: String,
    pub tasks: Vec<TaskView>,
}

/// One of a connector's tasks on this worker.
pub struct TaskView {
    pub task: u32,
    pub state: String,
    /// Shares of its life spent running and paused.
    pub running_ratio: f64,
    pub pause_ratio: f64,
    /// None for a task that could not be created.
    pub metrics: Option<Arc<TaskMetrics>>,
    /// With automatic restarts on for the task: the attempts in a row so far, and when the next
    /// one is due (ms since the epoch), if one is.
    pub restarts: Option<(u32, Option<u64>)>,
}

/// Startup attempts and their outcomes (connectors or tasks): totals, and each outcome's share
/// of the window's attempts (Kafka's `Frequencies`, 0 when there were none).
struct Startups {
    attempts: AtomicU64,
    successes: AtomicU64,
    failures: AtomicU64,
    /// 1 per success, 0 per failure.
    outcomes: Mutex<Window>,
}

impl Startups {
    fn new() -> Self {
        Startups {
            attempts: AtomicU64::new(0),
            successes: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            outcomes: Mutex::new(Window::new(Instant::now())),
        }
    }

    fn record(&self, ok: bool) {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        let outcome = if ok { &self.successes } else { &self.failures };
        outcome.fetch_add(1, Ordering::Relaxed);
        let value = if ok { 1.0 } else { 0.0 };
        self.outcomes.lock().unwrap_or_else(|p| p.into_inner()).record(value, Instant::now());
    }

    fn readings(&self, kind: &str, out: &mut Vec<Reading>) {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed) as f64;
        let (attempts, ok, failed) = (get(&self.attempts), get(&self.successes), get(&self.failures));
        let (count, success) = {
            let outcomes = self.outcomes.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            (outcomes.count(now), outcomes.avg(now))
        };
        let (success, failure) = if count == 0 { (0.0, 0.0) } else { (success, 1.0 - success) };
        let names: [&'static str; 5] = if kind == "connector" {
            [
                "connector-startup-attempts-total",
                "connector-startup-success-total",
                "connector-startup-success-percentage",
                "connector-startup-failure-total",
                "connector-startup-failure-percentage",
            ]
        } else {
            [
                "task-startup-attempts-total",
                "task-startup-success-total",
                "task-startup-success-percentage",
                "task-startup-failure-total",
                "task-startup-failure-percentage",
            ]
        };
        for (name, value) in names.into_iter().zip([attempts, ok, success, failed, failure]) {
            out.push(Reading::new(WORKER_GROUP, name, &[], value));
        }
    }
}

/// A distributed worker's rebalances (`connect-worker-rebalance-metrics`).
struct Rebalances {
    started: Option<Instant>,
    completed: u64,
    last_completed: Option<Instant>,
    durations: Window,
    epoch: i32,
    leader: String,
    protocol: String,
}

/// The worker's own metrics: startups, and (distributed mode) rebalances.
pub struct WorkerMetrics {
    enabled: bool,
    connector_startups: Startups,
    task_startups: Startups,
    rebalances: Mutex<Option<Rebalances>>,
}

impl WorkerMetrics {
    pub fn new(enabled: bool) -> Self {
        WorkerMetrics {
            enabled,
            connector_startups: Startups::new(),
            task_startups: Startups::new(),
            rebalances: Mutex::new(None),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn connector_started(&self, ok: bool) {
        self.connector_startups.record(ok);
    }

    pub fn task_started(&self, ok: bool) {
        self.task_startups.record(ok);
    }

    fn with_rebalances(&self, f: impl FnOnce(&mut Rebalances, Instant)) {
        let mut guard = self.rebalances.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let r = guard.get_or_insert_with(|| Rebalances {
            started: None,
            completed: 0,
            last_completed: None,
            durations: Window::new(now),
            epoch: -1,
            leader: String::new(),
            protocol: String::new(),
        });
        f(r, now);
    }

    /// A distributed worker began a rebalance (it is rejoining its group).
    pub fn rebalance_started(&self) {
        self.with_rebalances(|r, now| {
            r.started.get_or_insert(now);
        });
    }

    /// A rebalance ended with an assignment: the group's `epoch` (generation), leader and protocol.
    pub fn rebalance_completed(&self, epoch: i32, leader: &str, protocol: &str) {
        self.with_rebalances(|r, now| {
            if let Some(started) = r.started.take() {
                r.durations.record(now.duration_since(started).as_secs_f64() * 1000.0, now);
            }
            r.completed += 1;
            r.last_completed = Some(now);
            r.epoch = epoch;
            r.leader = leader.to_owned();
            r.protocol = protocol.to_owned();
        });
    }

    /// Every reading of this worker and of `connectors`; `restarts`: automatic restarts made so
    /// far. None when metrics are off.
    pub fn readings(&self, connectors: &[ConnectorView], restarts: u64) -> Vec<Reading> {
        let mut out = Vec::new();
        if !self.enabled {
            return out;
        }
        let mut task_count = 0;
        for connector in connectors {
            connector_readings(connector, &mut out);
            task_count += connector.tasks.len();
        }
        let running = connectors.iter().filter(|c| c.runs_here).count();
        out.push(Reading::new(WORKER_GROUP, "connector-count", &[], running as f64));
        out.push(Reading::new(WORKER_GROUP, "task-count", &[], task_count as f64));
        out.push(Reading::new(WORKER_RESTART_GROUP, "restarts-total", &[], restarts as f64));
        self.own_readings(&mut out);
        out
    }

    /// Startups and rebalances.
    fn own_readings(&self, out: &mut Vec<Reading>) {
        self.connector_startups.readings("connector", out);
        self.task_startups.readings("task", out);
        let guard = self.rebalances.lock().unwrap_or_else(|p| p.into_inner());
        let Some(r) = guard.as_ref() else { return };
        let now = Instant::now();
        let g = REBALANCE_GROUP;
        out.push(Reading::new(g, "completed-rebalances-total", &[], r.completed as f64));
        out.push(Reading::new(g, "rebalance-avg-time-ms", &[], r.durations.avg(now)));
        out.push(Reading::new(g, "rebalance-max-time-ms", &[], r.durations.max(now)));
        out.push(Reading::new(g, "rebalancing", &[], if r.started.is_some() { 1.0 } else { 0.0 }));
        out.push(Reading::new(g, "epoch", &[], r.epoch as f64));
        // Kafka reads +Infinity before the first rebalance completed.
        let since = r.last_completed.map_or(f64::INFINITY, |t| now.duration_since(t).as_secs_f64() * 1000.0);
        out.push(Reading::new(g, "time-since-last-rebalance-ms", &[], since));
        out.push(Reading::new(g, "leader-name", &[("leader_name", &r.leader)], 1.0));
        out.push(Reading::new(g, "connect-protocol", &[("connect_protocol", &r.protocol)], 1.0));
    }
}

/// A connector's `connector-metrics` (where its instance runs), its per-state task counts, and its
/// tasks' readings.
fn connector_readings(c: &ConnectorView, out: &mut Vec<Reading>) {
    let name = c.name.as_str();
    if c.runs_here {
        let infos = [
            ("connector-class", "connector_class", c.class.as_str()),
            ("connector-version", "connector_version", c.version.as_str()),
            ("connector-type", "connector_type", c.kind),
            ("status", "status", c.state.as_str()),
        ];
        for (metric, tag, value) in infos {
            out.push(Reading::new(CONNECTOR_GROUP, metric, &[("connector", name), (tag, value)], 1.0));
        }
    }
    for task in &c.tasks {
        let tags = task_tags(name, task.task);
        let mut status = tags.clone();
        status.insert("status".into(), task.state.clone());
        out.push(Reading { group: TASK_GROUP, name: "status", tags: status, value: 1.0 });
        out.push(Reading { group: TASK_GROUP, name: "running-ratio", tags: tags.clone(), value: task.running_ratio });
        if let Some((attempts, next)) = task.restarts {
            let next = next.map_or(f64::NAN, |ms| ms as f64);
            out.push(Reading {
                group: TASK_RESTART_GROUP,
                name: "restart-attempts",
                tags: tags.clone(),
                value: f64::from(attempts),
            });
            out.push(Reading {
                group: TASK_RESTART_GROUP,
                name: "next-restart-timestamp",
                tags: tags.clone(),
                value: next,
            });
        }
        out.push(Reading { group: TASK_GROUP, name: "pause-ratio", tags, value: task.pause_ratio });
        if let Some(metrics) = &task.metrics {
            metrics.readings(out);
        }
    }
    if c.tasks.is_empty() {
        return;
    }
    let tag = [("connector", name)];
    let count = |state: &str| c.tasks.iter().filter(|t| t.state == state).count() as f64;
    out.push(Reading::new(WORKER_GROUP, "connector-total-task-count", &tag, c.tasks.len() as f64));
    for (metric, state) in [
        ("connector-running-task-count", "running"),
        ("connector-paused-task-count", "paused"),
        ("connector-failed-task-count", "failed"),
        ("connector-unassigned-task-count", "unassigned"),
        ("connector-destroyed-task-count", "destroyed"),
        ("connector-restarting-task-count", "restarting"),
    ] {
        out.push(Reading::new(WORKER_GROUP, metric, &tag, count(state)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(task: u32, state: &str) -> TaskView {
        TaskView { task, state: state.into(), running_ratio: 1.0, pause_ratio: 0.0, metrics: None, restarts: None }
    }

    fn connector(name: &str, runs_here: bool, tasks: Vec<TaskView>) -> ConnectorView {
        ConnectorView {
            name: name.into(),
            runs_here,
            class: "org.example.Source".into(),
            version: "1.0".into(),
            kind: "source",
            state: "running".into(),
            tasks,
        }
    }

    fn find<'a>(readings: &'a [Reading], name: &str, tags: &[(&str, &str)]) -> Option<&'a Reading> {
        let tags: std::collections::BTreeMap<String, String> =
            tags.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        readings.iter().find(|r| r.name == name && r.tags == tags)
    }

    #[test]
    fn counts_connectors_run_here_and_tasks_by_state() {
        let metrics = WorkerMetrics::new(true);
        metrics.task_started(true);
        metrics.task_started(false);
        let views = [
            connector("a", true, vec![task(0, "running"), task(1, "failed")]),
            // Distributed: only a task of this connector runs here.
            connector("b", false, vec![task(2, "paused")]),
        ];
        let readings = metrics.readings(&views, 0);
        let value = |name: &str, tags: &[(&str, &str)]| find(&readings, name, tags).map(|r| r.value);
        assert_eq!(value("connector-count", &[]), Some(1.0));
        assert_eq!(value("task-count", &[]), Some(3.0));
        assert_eq!(value("connector-failed-task-count", &[("connector", "a")]), Some(1.0));
        assert_eq!(value("connector-paused-task-count", &[("connector", "b")]), Some(1.0));
        assert_eq!(value("status", &[("connector", "a"), ("status", "running")]), Some(1.0));
        assert_eq!(value("status", &[("connector", "b"), ("status", "running")]), None);
        assert_eq!(value("status", &[("connector", "a"), ("task", "1"), ("status", "failed")]), Some(1.0));
        assert_eq!(value("task-startup-attempts-total", &[]), Some(2.0));
        assert_eq!(value("task-startup-failure-percentage", &[]), Some(0.5));
        assert_eq!(value("restarts-total", &[]), Some(0.0));
        // Standalone: no rebalance metrics until a rebalance starts.
        assert!(readings.iter().all(|r| r.group != REBALANCE_GROUP));
        assert!(WorkerMetrics::new(false).readings(&views, 0).is_empty());
    }

    #[test]
    fn a_rebalance_is_timed_from_its_start_to_its_assignment() {
        let metrics = WorkerMetrics::new(true);
        metrics.rebalance_started();
        let during = metrics.readings(&[], 0);
        assert_eq!(find(&during, "rebalancing", &[]).map(|r| r.value), Some(1.0));
        assert_eq!(find(&during, "time-since-last-rebalance-ms", &[]).map(|r| r.value), Some(f64::INFINITY));
        std::thread::sleep(std::time::Duration::from_millis(20));
        metrics.rebalance_completed(7, "http://leader:8083/", "sessioned");
        let after = metrics.readings(&[], 0);
        let value = |name: &str, tags: &[(&str, &str)]| find(&after, name, tags).map(|r| r.value);
        assert_eq!(value("rebalancing", &[]), Some(0.0));
        assert_eq!(value("epoch", &[]), Some(7.0));
        assert_eq!(value("completed-rebalances-total", &[]), Some(1.0));
        assert!(value("rebalance-max-time-ms", &[]).is_some_and(|ms| ms >= 20.0));
        assert_eq!(value("leader-name", &[("leader_name", "http://leader:8083/")]), Some(1.0));
        assert_eq!(value("connect-protocol", &[("connect_protocol", "sessioned")]), Some(1.0));
    }
}
