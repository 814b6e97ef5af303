//! Kafka Connect's metrics (the "Monitoring" section of Kafka's docs; names, groups and tags from
//! `ConnectMetricsRegistry`), read as a list of [`Reading`]s: by `GET /metrics` (see `prometheus`)
//! and by Python's `Worker.metrics()`.
//!
//! Each task keeps its own [`TaskMetrics`] (recorded per batch by its thread, see `task`); the
//! worker keeps [`WorkerMetrics`] (startups, rebalances). Nothing is registered globally: a
//! reading walks what the worker runs now, so a connector's or task's metrics go when it goes.
//! A string-valued metric of Kafka's (a status, a class name) reads 1 with the string as a tag
//! named after the metric, as the common JMX exporter rules turn them into labels.

pub mod clients;
pub mod prometheus;
pub mod task;
pub mod window;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

pub use task::{TaskKind, TaskMetrics};
use window::Window;

use crate::runtime::task_control::TaskId;

pub const WORKER_GROUP: &str = "connect-worker-metrics";
pub const REBALANCE_GROUP: &str = "connect-worker-rebalance-metrics";
pub const CONNECTOR_GROUP: &str = "connector-metrics";

/// The worker key that turns metrics off (ours; Kafka Connect's metrics cannot be turned off).
pub const ENABLED_KEY: &str = "ferroconnect.metrics.enabled";

/// One metric's current value: Kafka's group, name and tags.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub group: &'static str,
    pub name: &'static str,
    pub tags: BTreeMap<String, String>,
    pub value: f64,
}

impl Reading {
    pub fn new(group: &'static str, name: &'static str, tags: &[(&str, &str)], value: f64) -> Self {
        let tags = tags.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Reading { group, name, tags, value }
    }
}

/// Kafka's task tags: `connector` and `task`.
pub fn task_tags(id: &TaskId) -> BTreeMap<String, String> {
    BTreeMap::from([("connector".to_owned(), id.connector.clone()), ("task".to_owned(), id.task.to_string())])
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

    /// The worker-level readings that need no connector: startups and rebalances.
    pub fn readings(&self, out: &mut Vec<Reading>) {
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
