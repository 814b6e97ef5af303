//! Kafka Connect's metrics (the "Monitoring" section of Kafka's docs; names, groups and tags from
//! `ConnectMetricsRegistry`), read as a list of [`Reading`]s: by `GET /metrics` (see `prometheus`)
//! and by Python's `Worker.metrics()`.
//!
//! Each task keeps its own [`TaskMetrics`] (recorded per batch by its thread, see `task`); the
//! worker keeps [`WorkerMetrics`] (startups, rebalances; see `worker`). Nothing is registered
//! globally: a reading walks what the worker runs now (a [`ConnectorView`] each), so a
//! connector's or task's metrics go when it goes.
//! A string-valued metric of Kafka's (a status, a class name) reads 1 with the string as a tag
//! named after the metric, as the common JMX exporter rules turn them into labels.

pub mod clients;
pub mod prometheus;
pub mod task;
pub mod window;
pub mod worker;

use std::collections::BTreeMap;

pub use task::{TaskKind, TaskMetrics};
pub use worker::{ConnectorView, TaskView, WorkerMetrics};

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
pub fn task_tags(connector: &str, task: u32) -> BTreeMap<String, String> {
    BTreeMap::from([("connector".to_owned(), connector.to_owned()), ("task".to_owned(), task.to_string())])
}
