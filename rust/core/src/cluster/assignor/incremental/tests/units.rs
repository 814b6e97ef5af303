//! Ports of the tests of single steps: dealing new work (`assignConnectors`/`assignTasks`) and
//! holding lost work (`handleLostAssignments`).

use std::collections::BTreeMap;

use super::super::*;
use super::harness::*;

#[test]
fn test_assign_connectors_when_balanced() {
    let mut existing: Vec<WorkerLoad> =
        (0..3).map(|i| worker_load(&format!("worker{i}"), i * 2, 2, i * 2, 2)).collect();
    let mut expected = existing.clone();
    expected[0].load.connectors.extend(["connector6".to_string(), "connector9".to_string()]);
    expected[1].load.connectors.extend(["connector7".to_string(), "connector10".to_string()]);
    expected[2].load.connectors.insert("connector8".into());

    assign_connectors(&mut existing, &new_connectors(6, 11).into_iter().collect());
    assert_eq!(existing, expected);
}

#[test]
fn test_assign_tasks_when_balanced() {
    let mut existing: Vec<WorkerLoad> =
        (0..3).map(|i| worker_load(&format!("worker{i}"), i * 2, 2, i * 2, 2)).collect();
    let mut expected = existing.clone();
    expected[0].load.connectors.extend(["connector6".to_string(), "connector9".to_string()]);
    expected[1].load.connectors.extend(["connector7".to_string(), "connector10".to_string()]);
    expected[2].load.connectors.insert("connector8".into());
    expected[0].load.tasks.extend([task("task", 6), task("task", 9)]);
    expected[1].load.tasks.extend([task("task", 7), task("task", 10)]);
    expected[2].load.tasks.insert(task("task", 8));

    assign_connectors(&mut existing, &new_connectors(6, 11).into_iter().collect());
    assign_tasks(&mut existing, &new_tasks("task", 6, 11).into_iter().collect());
    assert_eq!(existing, expected);
}

#[test]
fn test_assign_connectors_when_imbalanced() {
    let mut existing = vec![
        worker_load("worker0", 0, 2, 0, 2),
        worker_load("worker1", 2, 3, 2, 3),
        worker_load("worker2", 5, 4, 5, 4),
        empty_worker_load("worker3"),
    ];
    assign_connectors(&mut existing, &new_connectors(9, 24).into_iter().collect());
    assign_tasks(&mut existing, &new_tasks("task", 9, 24).into_iter().collect());
    for worker in &existing {
        assert_eq!((worker.load.connectors.len(), worker.load.tasks.len()), (6, 6), "{}", worker.worker);
    }
}

/// The three workers of Java's lost-assignment tests: 2 connectors and 4 tasks each.
fn configured_assignment() -> BTreeMap<String, WorkerLoad> {
    [("worker0", 0, 0), ("worker1", 2, 4), ("worker2", 4, 8)]
        .into_iter()
        .map(|(w, c, t)| (w.to_string(), worker_load(w, c, 2, t, 4)))
        .collect()
}

fn loads(configured: &BTreeMap<String, WorkerLoad>) -> Vec<WorkerLoad> {
    configured.values().cloned().collect()
}

/// The assignor and time at the start of Java's lost-assignment tests, after a round with nothing lost.
fn lost_assignment_start(max_delay: i32) -> (IncrementalCooperativeAssignor, BTreeMap<String, WorkerLoad>, i64) {
    let mut assignor = IncrementalCooperativeAssignor::new(max_delay);
    let configured = configured_assignment();
    let now = 1_700_000_000_000;
    let none = assignor.handle_lost_assignments(&ConnectorsAndTasks::default(), &mut loads(&configured), now);
    assert!(none.is_empty() && assignor.candidate_workers_for_reassignment.is_empty());
    assert_eq!((assignor.scheduled_rebalance, assignor.delay), (0, 0));
    assignor.previous_members = configured.keys().cloned().collect();
    (assignor, configured, now)
}

fn candidates(assignor: &IncrementalCooperativeAssignor) -> BTreeSet<&str> {
    assignor.candidate_workers_for_reassignment.iter().map(String::as_str).collect()
}

#[test]
fn test_lost_assignment_handling_when_worker_bounces() {
    let (mut assignor, mut configured, mut now) = lost_assignment_start(DEFAULT_MAX_DELAY);
    let lost = configured.remove("worker1").unwrap().load;

    // Lost work, no candidate yet: the delay starts.
    assignor.handle_lost_assignments(&lost, &mut loads(&configured), now);
    assert!(candidates(&assignor).is_empty());
    assert_eq!((assignor.scheduled_rebalance, assignor.delay), (now + i64::from(DEFAULT_MAX_DELAY), DEFAULT_MAX_DELAY));

    // The worker returns empty halfway: it becomes the candidate, the delay continues.
    assignor.previous_members = configured.keys().cloned().collect();
    let half = DEFAULT_MAX_DELAY / 2;
    now += i64::from(half);
    configured.insert("worker1".into(), empty_worker_load("worker1"));
    assignor.handle_lost_assignments(&lost, &mut loads(&configured), now);
    assert_eq!(candidates(&assignor), BTreeSet::from(["worker1"]));
    assert_eq!((assignor.scheduled_rebalance, assignor.delay), (now + i64::from(half), half));

    // At expiry the candidate gets the lost work back directly.
    assignor.previous_members = configured.keys().cloned().collect();
    now += i64::from(half);
    let mut workers = loads(&configured);
    let to_reassign = assignor.handle_lost_assignments(&lost, &mut workers, now);
    assert!(to_reassign.is_empty());
    let worker1 = workers.iter().find(|w| w.worker == "worker1").unwrap();
    assert_eq!(worker1.load, lost);
    assert!(candidates(&assignor).is_empty());
    assert_eq!((assignor.scheduled_rebalance, assignor.delay), (0, 0));
}

#[test]
fn test_lost_assignment_handling_when_worker_leaves_permanently() {
    let (mut assignor, mut configured, mut now) = lost_assignment_start(DEFAULT_MAX_DELAY);
    let lost = configured.remove("worker1").unwrap().load;

    assignor.handle_lost_assignments(&lost, &mut loads(&configured), now);
    assert!(candidates(&assignor).is_empty());
    assert_eq!((assignor.scheduled_rebalance, assignor.delay), (now + i64::from(DEFAULT_MAX_DELAY), DEFAULT_MAX_DELAY));

    let half = DEFAULT_MAX_DELAY / 2;
    now += i64::from(half);
    assignor.handle_lost_assignments(&lost, &mut loads(&configured), now);
    assert!(candidates(&assignor).is_empty());
    assert_eq!((assignor.scheduled_rebalance, assignor.delay), (now + i64::from(half), half));

    // At expiry with no candidate, the lost work is treated as new.
    now += i64::from(half);
    let to_reassign = assignor.handle_lost_assignments(&lost, &mut loads(&configured), now);
    assert_eq!(to_reassign, lost);
    assert!(candidates(&assignor).is_empty());
    assert_eq!((assignor.scheduled_rebalance, assignor.delay), (0, 0));
}

#[test]
fn test_lost_assignment_handling_with_more_than_one_candidates() {
    let (mut assignor, mut configured, mut now) = lost_assignment_start(DEFAULT_MAX_DELAY);
    let lost = configured.remove("worker1").unwrap().load;
    configured.insert("worker3".into(), empty_worker_load("worker3"));

    // A new worker (not the one that left) is there when the loss is seen.
    assignor.handle_lost_assignments(&lost, &mut loads(&configured), now);
    assert_eq!(candidates(&assignor), BTreeSet::from(["worker3"]));
    assert_eq!((assignor.scheduled_rebalance, assignor.delay), (now + i64::from(DEFAULT_MAX_DELAY), DEFAULT_MAX_DELAY));

    assignor.previous_members = configured.keys().cloned().collect();
    let half = DEFAULT_MAX_DELAY / 2;
    now += i64::from(half);
    configured.insert("worker1".into(), empty_worker_load("worker1"));
    assignor.handle_lost_assignments(&lost, &mut loads(&configured), now);
    assert_eq!(candidates(&assignor), BTreeSet::from(["worker1", "worker3"]));
    assert_eq!((assignor.scheduled_rebalance, assignor.delay), (now + i64::from(half), half));

    // The candidates got other work meanwhile; they still share the lost work round-robin.
    assignor.previous_members = configured.keys().cloned().collect();
    now += i64::from(half);
    configured.insert("worker1".into(), worker_load("worker1", 6, 2, 8, 4));
    configured.insert("worker3".into(), worker_load("worker3", 8, 2, 12, 4));
    let mut workers = loads(&configured);
    assert!(assignor.handle_lost_assignments(&lost, &mut workers, now).is_empty());
    let mut last_two = ConnectorsAndTasks::default();
    workers.iter().filter(|w| w.worker == "worker1" || w.worker == "worker3").for_each(|w| last_two.add_all(&w.load));
    assert!(lost.connectors.iter().all(|c| last_two.connectors.contains(c)));
    assert!(lost.tasks.iter().all(|t| last_two.tasks.contains(t)));
    assert!(candidates(&assignor).is_empty());
    assert_eq!((assignor.scheduled_rebalance, assignor.delay), (0, 0));
}

#[test]
fn test_lost_assignment_handling_when_worker_bounces_back_but_finally_leaves() {
    let (mut assignor, mut configured, mut now) = lost_assignment_start(DEFAULT_MAX_DELAY);
    let lost = configured.remove("worker1").unwrap().load;

    assignor.handle_lost_assignments(&lost, &mut loads(&configured), now);
    assert_eq!(assignor.delay, DEFAULT_MAX_DELAY);

    assignor.previous_members = configured.keys().cloned().collect();
    let half = DEFAULT_MAX_DELAY / 2;
    now += i64::from(half);
    configured.insert("worker1".into(), empty_worker_load("worker1"));
    assignor.handle_lost_assignments(&lost, &mut loads(&configured), now);
    assert_eq!(candidates(&assignor), BTreeSet::from(["worker1"]));
    assert_eq!((assignor.scheduled_rebalance, assignor.delay), (now + i64::from(half), half));

    // The returning worker leaves again before expiry: the lost work is treated as new.
    assignor.previous_members = configured.keys().cloned().collect();
    now += i64::from(half);
    configured.remove("worker1");
    let to_reassign = assignor.handle_lost_assignments(&lost, &mut loads(&configured), now);
    assert_eq!(to_reassign, lost);
    assert!(candidates(&assignor).is_empty());
    assert_eq!((assignor.scheduled_rebalance, assignor.delay), (0, 0));
}

#[test]
fn test_lost_assignment_handling_when_scheduled_delay_is_disabled() {
    let (mut assignor, mut configured, now) = lost_assignment_start(0);
    let lost = configured.remove("worker1").unwrap().load;
    let to_reassign = assignor.handle_lost_assignments(&lost, &mut loads(&configured), now);
    assert_eq!(to_reassign, lost);
    assert!(candidates(&assignor).is_empty());
    assert_eq!((assignor.scheduled_rebalance, assignor.delay), (0, 0));
}
