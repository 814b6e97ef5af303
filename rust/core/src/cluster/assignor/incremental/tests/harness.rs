//! The harness of Java's `IncrementalCooperativeAssignorTest`: members' running sets, one round
//! at a time, checks that nothing is assigned twice, and the deltas applied.

use std::collections::BTreeMap;

use super::super::*;

/// `DistributedConfig.SCHEDULED_REBALANCE_MAX_DELAY_MS_DEFAULT`.
pub(super) const DEFAULT_MAX_DELAY: i32 = 300_000;
pub(super) const CONFIG_OFFSET: i64 = 618;

pub(super) fn task(connector: &str, task: u32) -> ConnectorTaskId {
    ConnectorTaskId::new(connector, task)
}

pub(super) struct Harness {
    pub(super) assignor: IncrementalCooperativeAssignor,
    pub(super) max_delay: i32,
    pub(super) connectors: BTreeMap<String, u32>,
    pub(super) members: BTreeMap<String, ConnectorsAndTasks>,
    pub(super) generation_id: i32,
    pub(super) now: i64,
    pub(super) returned: ClusterAssignment,
}

impl Harness {
    /// Java's `setup` + `initAssignor`: connector1 and connector2 with 4 tasks each, worker1 empty.
    pub(super) fn new(max_delay: i32) -> Self {
        let mut harness = Harness {
            assignor: IncrementalCooperativeAssignor::new(max_delay),
            max_delay,
            connectors: BTreeMap::new(),
            members: BTreeMap::new(),
            generation_id: 1000,
            now: 1_700_000_000_000,
            returned: ClusterAssignment::default(),
        };
        harness.init_assignor();
        harness.add_connector("connector1", 4);
        harness.add_connector("connector2", 4);
        harness.add_workers(&["worker1"]);
        harness
    }

    /// A fresh assignor (a new leader) that trusts the previous generation, as Java's `initAssignor`.
    pub(super) fn init_assignor(&mut self) {
        self.assignor = IncrementalCooperativeAssignor::new(self.max_delay);
        self.assignor.previous_generation_id = self.generation_id;
    }

    pub(super) fn add_connector(&mut self, name: &str, tasks: u32) {
        assert!(self.connectors.insert(name.into(), tasks).is_none(), "{name} exists");
    }

    pub(super) fn remove_connector(&mut self, name: &str) {
        assert!(self.connectors.remove(name).is_some(), "{name} does not exist");
    }

    pub(super) fn add_workers(&mut self, workers: &[&str]) {
        for worker in workers {
            self.add_worker(worker, &[], &[]);
        }
    }

    pub(super) fn add_worker(&mut self, worker: &str, connectors: &[String], tasks: &[ConnectorTaskId]) {
        let load = ConnectorsAndTasks {
            connectors: connectors.iter().cloned().collect(),
            tasks: tasks.iter().cloned().collect(),
        };
        assert!(self.members.insert(worker.into(), load).is_none(), "{worker} exists");
    }

    pub(super) fn remove_workers(&mut self, workers: &[&str]) {
        for worker in workers {
            assert!(self.members.remove(*worker).is_some(), "{worker} does not exist");
        }
    }

    pub(super) fn sleep(&mut self, ms: i64) {
        self.now += ms;
    }

    pub(super) fn delay(&self) -> i32 {
        self.assignor.delay
    }

    pub(super) fn rebalance(&mut self) {
        self.perform_rebalance(false, false);
    }

    /// The assignment is computed but never reaches the members.
    pub(super) fn failed_rebalance(&mut self) {
        self.perform_rebalance(true, false);
    }

    pub(super) fn rebalance_with_mismatched_generation(&mut self) {
        self.perform_rebalance(false, true);
    }

    pub(super) fn perform_rebalance(&mut self, assignment_failure: bool, generation_mismatch: bool) {
        self.generation_id += 1;
        let last_completed = if generation_mismatch { self.generation_id - 2 } else { self.generation_id - 1 };
        let snapshot = ConfigSnapshot { offset: CONFIG_OFFSET, connectors: self.connectors.clone() };
        let generation = Generation { last_completed, current: self.generation_id };
        self.returned = self.assignor.perform_task_assignment(&snapshot, generation, &self.members.clone(), self.now);
        self.assert_no_redundant_assignments();
        if !assignment_failure {
            self.apply_assignments();
        }
    }

    pub(super) fn apply_assignments(&mut self) {
        let workers: BTreeSet<String> = self.returned.all_assigned.keys().cloned().collect();
        for worker in workers {
            let load = self.members.entry(worker.clone()).or_default();
            if let Some(revoked) = self.returned.newly_revoked.get(&worker) {
                load.remove_all(revoked);
            }
            if let Some(assigned) = self.returned.newly_assigned.get(&worker) {
                load.add_all(assigned);
            }
            let all = &self.returned.all_assigned[&worker];
            assert_eq!(sorted(&load.connectors), sorted(&all.connectors), "{worker}'s connectors after the deltas");
            assert_eq!(sorted(&load.tasks), sorted(&all.tasks), "{worker}'s tasks after the deltas");
        }
    }

    pub(super) fn assert_no_redundant_assignments(&self) {
        let mut seen_connectors = BTreeSet::new();
        let mut seen_tasks = BTreeSet::new();
        for assigned in self.returned.newly_assigned.values() {
            for connector in &assigned.connectors {
                assert!(seen_connectors.insert(connector), "{connector} newly assigned twice");
                assert!(self.members.values().all(|m| !m.connectors.contains(connector)), "{connector} already runs");
            }
            for task in &assigned.tasks {
                assert!(seen_tasks.insert(task), "{task} newly assigned twice");
                assert!(self.members.values().all(|m| !m.tasks.contains(task)), "{task} already runs");
            }
        }
    }

    #[track_caller]
    pub(super) fn assert_workers(&self, workers: &[&str]) {
        let returned: Vec<&str> = self.returned.all_assigned.keys().map(String::as_str).collect();
        assert_eq!(returned, workers);
        assert!(self
            .returned
            .newly_assigned
            .keys()
            .chain(self.returned.newly_revoked.keys())
            .all(|w| workers.contains(&w.as_str())));
    }

    #[track_caller]
    pub(super) fn assert_connector_allocations(&self, expected: &[usize]) {
        assert_eq!(self.allocations(|m| m.connectors.len()), sorted_counts(expected), "connector allocations");
    }

    #[track_caller]
    pub(super) fn assert_task_allocations(&self, expected: &[usize]) {
        assert_eq!(self.allocations(|m| m.tasks.len()), sorted_counts(expected), "task allocations");
    }

    pub(super) fn allocations(&self, count: impl Fn(&ConnectorsAndTasks) -> usize) -> Vec<usize> {
        sorted_counts(&self.members.values().map(count).collect::<Vec<_>>())
    }

    #[track_caller]
    pub(super) fn assert_no_revocations(&self) {
        for (worker, revoked) in &self.returned.newly_revoked {
            assert!(revoked.is_empty(), "{worker} got revocations {revoked:?}");
        }
    }

    #[track_caller]
    pub(super) fn assert_empty_assignment(&self) {
        self.assert_no_revocations();
        for (worker, assigned) in &self.returned.newly_assigned {
            assert!(assigned.is_empty(), "{worker} got new work {assigned:?}");
        }
    }

    #[track_caller]
    pub(super) fn assert_balanced_and_complete_allocation(&self) {
        for counts in [self.allocations(|m| m.connectors.len()), self.allocations(|m| m.tasks.len())] {
            assert!(counts[counts.len() - 1] - counts[0] <= 1, "imbalanced: {counts:?}");
        }
        let connectors: BTreeSet<&String> = self.members.values().flat_map(|m| &m.connectors).collect();
        assert_eq!(connectors, self.connectors.keys().collect(), "connectors assigned across the cluster");
        let tasks: BTreeSet<&ConnectorTaskId> = self.members.values().flat_map(|m| &m.tasks).collect();
        let configured: Vec<ConnectorTaskId> =
            self.connectors.iter().flat_map(|(c, n)| (0..*n).map(move |t| task(c, t))).collect();
        assert_eq!(tasks, configured.iter().collect(), "tasks assigned across the cluster");
    }
}

pub(super) fn sorted<T: Ord + Clone>(items: &IndexSet<T>) -> Vec<T> {
    let mut items: Vec<T> = items.iter().cloned().collect();
    items.sort();
    items
}

pub(super) fn sorted_counts(counts: &[usize]) -> Vec<usize> {
    let mut counts = counts.to_vec();
    counts.sort_unstable();
    counts
}

pub(super) fn new_connectors(start: u32, end: u32) -> Vec<String> {
    (start..end).map(|i| format!("connector{i}")).collect()
}

pub(super) fn new_tasks(connector: &str, start: u32, end: u32) -> Vec<ConnectorTaskId> {
    (start..end).map(|i| task(connector, i)).collect()
}

pub(super) fn worker_load(
    worker: &str,
    connector_start: u32,
    connectors: u32,
    task_start: u32,
    tasks: u32,
) -> WorkerLoad {
    WorkerLoad {
        worker: worker.into(),
        load: ConnectorsAndTasks {
            connectors: new_connectors(connector_start, connector_start + connectors).into_iter().collect(),
            tasks: new_tasks("task", task_start, task_start + tasks).into_iter().collect(),
        },
    }
}

pub(super) fn empty_worker_load(worker: &str) -> WorkerLoad {
    WorkerLoad { worker: worker.into(), load: ConnectorsAndTasks::default() }
}
