//! Round-by-round scenarios: ports of `IncrementalCooperativeAssignorTest`'s rebalance tests and
//! `distributed.md` §2's worked example.

use std::collections::BTreeMap;

use super::super::*;
use super::harness::*;

#[test]
fn test_task_assignment_when_worker_joins() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_workers(&["worker1"]);
    h.assert_connector_allocations(&[2]);
    h.assert_task_allocations(&[8]);
    h.assert_balanced_and_complete_allocation();

    // A second worker joins: the first round only revokes...
    h.add_workers(&["worker2"]);
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_workers(&["worker1", "worker2"]);
    h.assert_connector_allocations(&[0, 1]);
    h.assert_task_allocations(&[0, 4]);

    // ...the follow-up round assigns what was revoked.
    h.rebalance();
    h.assert_no_revocations();
    assert_eq!(h.delay(), 0);
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();

    h.sleep(i64::from(h.delay()));
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_empty_assignment();
}

#[test]
fn test_assignments_when_workers_join_after_revocations() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.add_connector("connector3", 4);
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_connector_allocations(&[3]);
    h.assert_task_allocations(&[12]);
    h.assert_balanced_and_complete_allocation();

    h.add_workers(&["worker2"]);
    h.rebalance();
    h.assert_connector_allocations(&[0, 2]);
    h.assert_task_allocations(&[0, 6]);

    // A successive revoking round: no revocations, a backoff delay instead.
    h.add_workers(&["worker3"]);
    h.rebalance();
    assert!(h.delay() > 0);
    h.assert_workers(&["worker1", "worker2", "worker3"]);
    h.assert_connector_allocations(&[0, 1, 2]);
    h.assert_task_allocations(&[3, 3, 6]);

    // After the backoff expired, revocations again.
    h.sleep(i64::from(h.delay()));
    h.add_workers(&["worker4"]);
    h.rebalance();
    h.assert_workers(&["worker1", "worker2", "worker3", "worker4"]);
    h.assert_connector_allocations(&[0, 0, 1, 1]);
    h.assert_task_allocations(&[0, 3, 3, 3]);

    // Right after a revoking round: the backoff grows beyond its first step (40 ms).
    h.add_workers(&["worker5"]);
    h.rebalance();
    assert!(h.delay() > 40, "delay {}", h.delay());
    h.assert_connector_allocations(&[0, 0, 1, 1, 1]);
    h.assert_task_allocations(&[1, 2, 3, 3, 3]);

    h.sleep(i64::from(h.delay()));
    h.add_workers(&["worker6"]);
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_connector_allocations(&[0, 0, 0, 1, 1, 1]);
    h.assert_task_allocations(&[0, 1, 2, 2, 2, 2]);

    h.rebalance();
    h.assert_connector_allocations(&[0, 0, 0, 1, 1, 1]);
    h.assert_task_allocations(&[2, 2, 2, 2, 2, 2]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn test_immediate_revocations_when_max_delay_is0() {
    let mut h = Harness::new(0);
    h.add_connector("connector3", 4);
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_connector_allocations(&[3]);
    h.assert_task_allocations(&[12]);

    h.add_workers(&["worker2"]);
    h.rebalance();
    h.assert_connector_allocations(&[0, 2]);
    h.assert_task_allocations(&[0, 6]);

    // Successive revoking round, but with no delay allowed it revokes at once.
    h.add_workers(&["worker3"]);
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[3, 3, 4]);

    h.rebalance();
    h.assert_no_revocations();
    h.assert_connector_allocations(&[1, 1, 1]);
    h.assert_task_allocations(&[4, 4, 4]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn test_successive_revocations_when_max_delay_is_equal_to_exp_back_off_initial_interval() {
    let mut h = Harness::new(1);
    h.add_connector("connector3", 4);
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_task_allocations(&[12]);

    h.add_workers(&["worker2"]);
    h.rebalance();
    h.assert_connector_allocations(&[0, 2]);
    h.assert_task_allocations(&[0, 6]);

    h.add_workers(&["worker3"]);
    h.rebalance();
    assert_eq!(h.delay(), 1);
    h.assert_connector_allocations(&[0, 1, 2]);
    h.assert_task_allocations(&[3, 3, 6]);
}

#[test]
fn test_worker_joining_during_delayed_rebalance() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.add_connector("connector3", 4);
    h.rebalance();
    h.assert_task_allocations(&[12]);

    h.add_workers(&["worker2"]);
    h.rebalance();
    h.assert_connector_allocations(&[0, 2]);
    h.assert_task_allocations(&[0, 6]);

    h.add_workers(&["worker3"]);
    h.rebalance();
    assert!(h.delay() > 0);
    h.assert_no_revocations();
    h.assert_connector_allocations(&[0, 1, 2]);
    h.assert_task_allocations(&[3, 3, 6]);

    // A fourth worker while the delay runs: still no revocations.
    h.sleep(i64::from(h.delay() / 2));
    h.add_workers(&["worker4"]);
    h.rebalance();
    assert!(h.delay() > 0);
    h.assert_no_revocations();
    h.assert_connector_allocations(&[0, 0, 1, 2]);
    h.assert_task_allocations(&[0, 3, 3, 6]);

    h.sleep(i64::from(h.delay()));
    h.add_workers(&["worker5"]);
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_connector_allocations(&[0, 0, 0, 1, 1]);
    h.assert_task_allocations(&[0, 0, 2, 3, 3]);

    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_no_revocations();
    h.assert_connector_allocations(&[0, 0, 1, 1, 1]);
    h.assert_task_allocations(&[2, 2, 2, 3, 3]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn test_task_assignment_when_worker_leaves_permanently() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.add_workers(&["worker2"]);
    h.rebalance();
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();

    // A follower leaves: its work is held for the whole delay.
    h.remove_workers(&["worker2"]);
    h.rebalance();
    assert_eq!(h.delay(), DEFAULT_MAX_DELAY);
    h.assert_workers(&["worker1"]);
    h.assert_empty_assignment();

    h.sleep(i64::from(DEFAULT_MAX_DELAY / 2));
    h.rebalance();
    assert_eq!(h.delay(), DEFAULT_MAX_DELAY / 2);
    h.assert_empty_assignment();

    // After the delay, the lost work goes to the remaining worker.
    h.sleep(i64::from(DEFAULT_MAX_DELAY / 2 + 1));
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_connector_allocations(&[2]);
    h.assert_task_allocations(&[8]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn test_task_assignment_when_worker_bounces() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.add_workers(&["worker2"]);
    h.rebalance();
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);

    h.remove_workers(&["worker2"]);
    h.rebalance();
    assert_eq!(h.delay(), DEFAULT_MAX_DELAY);
    h.assert_empty_assignment();

    h.sleep(i64::from(DEFAULT_MAX_DELAY / 2));
    h.rebalance();
    assert_eq!(h.delay(), DEFAULT_MAX_DELAY / 2);
    h.assert_empty_assignment();

    // The worker comes back before the delay expires: nothing moves yet.
    h.sleep(i64::from(DEFAULT_MAX_DELAY / 4));
    h.add_workers(&["worker2"]);
    h.rebalance();
    assert_eq!(h.delay(), DEFAULT_MAX_DELAY / 4);
    h.assert_workers(&["worker1", "worker2"]);
    h.assert_empty_assignment();

    // At expiry it gets its work back, without revocations.
    h.sleep(i64::from(DEFAULT_MAX_DELAY / 4));
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_no_revocations();
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn test_task_assignment_when_leader_leaves_permanently() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.add_workers(&["worker2", "worker3"]);
    h.rebalance();
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[2, 3, 3]);
    h.assert_balanced_and_complete_allocation();

    // The leader leaves: the new leader starts from a clean slate and reassigns at once.
    h.remove_workers(&["worker1"]);
    h.init_assignor();
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_workers(&["worker2", "worker3"]);
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();

    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_empty_assignment();
}

#[test]
fn test_task_assignment_when_leader_bounces() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.add_workers(&["worker2", "worker3"]);
    h.rebalance();
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[2, 3, 3]);

    h.remove_workers(&["worker1"]);
    h.init_assignor();
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);

    // The old leader returns as a follower: a new worker, so revoke then assign.
    h.add_workers(&["worker1"]);
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_workers(&["worker1", "worker2", "worker3"]);
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[0, 3, 3]);

    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_no_revocations();
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[2, 3, 3]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn test_task_assignment_when_first_assignment_attempt_fails() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.add_workers(&["worker2"]);
    h.failed_rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_workers(&["worker1", "worker2"]);
    h.assert_connector_allocations(&[0, 0]);
    h.assert_task_allocations(&[0, 0]);

    // Same members again: the lost work was never received, so it is assigned as new, no delay.
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn test_task_assignment_when_subsequent_assignment_attempt_fails() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.add_workers(&["worker2"]);
    h.rebalance();
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);

    h.add_workers(&["worker3"]);
    h.failed_rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[0, 4, 4]);

    // The revocation never happened; this is a successive revoking round: a delay, no revocation.
    h.rebalance();
    assert!(h.delay() > 0);
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[0, 4, 4]);

    h.sleep(i64::from(h.delay()));
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[0, 3, 3]);

    h.rebalance();
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[2, 3, 3]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn test_task_assignment_when_subsequent_assignment_attempt_fails_outside_the_assignor() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.add_workers(&["worker2"]);
    h.rebalance();
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);

    h.add_workers(&["worker3"]);
    h.failed_rebalance();
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[0, 4, 4]);

    // SyncGroup failed on the leader too: the generation does not match, the memory is dropped.
    h.rebalance_with_mismatched_generation();
    assert!(h.delay() > 0);
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[0, 4, 4]);

    h.sleep(i64::from(h.delay()));
    h.rebalance();
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[0, 3, 3]);

    h.rebalance();
    h.assert_connector_allocations(&[0, 1, 1]);
    h.assert_task_allocations(&[2, 3, 3]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn test_task_assignment_when_connectors_are_deleted() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.add_connector("connector3", 4);
    h.add_workers(&["worker2"]);
    h.rebalance();
    h.assert_connector_allocations(&[1, 2]);
    h.assert_task_allocations(&[6, 6]);
    h.assert_balanced_and_complete_allocation();

    h.remove_connector("connector3");
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();
}

/// Not in Java's test: a connector whose task count changes (new `commit-` record).
#[test]
fn task_count_change_assigns_new_tasks_and_revokes_removed_ones() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.add_workers(&["worker2"]);
    h.rebalance();
    h.assert_task_allocations(&[4, 4]);

    h.connectors.insert("connector1".into(), 6);
    h.rebalance();
    h.assert_no_revocations();
    h.assert_task_allocations(&[5, 5]);
    h.assert_balanced_and_complete_allocation();

    h.connectors.insert("connector1".into(), 1);
    h.rebalance();
    let revoked: BTreeSet<&ConnectorTaskId> = h.returned.newly_revoked.values().flat_map(|r| &r.tasks).collect();
    assert_eq!(revoked, new_tasks("connector1", 1, 6).iter().collect());
    h.assert_task_allocations(&[2, 3]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn test_scheduled_delay_is_disabled() {
    let mut h = Harness::new(0);
    h.add_workers(&["worker2"]);
    h.rebalance();
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);

    // A follower leaves; with no delay allowed its work moves at once.
    h.remove_workers(&["worker2"]);
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_workers(&["worker1"]);
    h.assert_connector_allocations(&[2]);
    h.assert_task_allocations(&[8]);
    h.assert_balanced_and_complete_allocation();
}

#[test]
fn test_task_assignment_when_tasks_duplicated_in_worker_assignment() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.rebalance();
    h.assert_connector_allocations(&[2]);
    h.assert_task_allocations(&[8]);

    // worker2 joins claiming connector1 and its tasks, which worker1 runs too: both lose them.
    h.add_worker("worker2", &new_connectors(1, 2), &new_tasks("connector1", 0, 4));
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_workers(&["worker1", "worker2"]);
    h.assert_connector_allocations(&[0, 1]);
    h.assert_task_allocations(&[0, 4]);

    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_no_revocations();
    h.assert_connector_allocations(&[1, 1]);
    h.assert_task_allocations(&[4, 4]);
    h.assert_balanced_and_complete_allocation();

    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_empty_assignment();
}

#[test]
fn test_duplicated_assignment_handle_when_the_duplicated_assignments_deleted() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.rebalance();
    h.assert_connector_allocations(&[2]);
    h.assert_task_allocations(&[8]);

    h.remove_connector("connector1");
    h.add_worker("worker2", &new_connectors(1, 2), &new_tasks("connector1", 0, 4));
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_connector_allocations(&[0, 1]);
    h.assert_task_allocations(&[0, 2]);

    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_no_revocations();
    h.assert_connector_allocations(&[0, 1]);
    h.assert_task_allocations(&[2, 2]);
    h.assert_balanced_and_complete_allocation();

    h.sleep(i64::from(h.delay()));
    h.rebalance();
    assert_eq!(h.delay(), 0);
    h.assert_empty_assignment();
}

/// Not in Java's test: a balanced cluster that rebalances (e.g. a restarted worker's rejoin)
/// keeps everything where it is.
#[test]
fn balanced_cluster_stays_untouched() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.add_workers(&["worker2", "worker3"]);
    h.rebalance();
    h.assert_balanced_and_complete_allocation();
    let before = h.members.clone();
    for _ in 0..3 {
        h.rebalance();
        h.assert_empty_assignment();
        assert_eq!(h.delay(), 0);
    }
    assert_eq!(h.members, before);
}

/// `distributed.md` §2's worked example, round by round.
#[test]
fn worked_example_of_distributed_md() {
    let mut h = Harness::new(DEFAULT_MAX_DELAY);
    h.connectors = BTreeMap::from([("a".into(), 4), ("b".into(), 2)]);
    h.members.clear();
    h.add_worker("W1", &["a".into()], &[task("a", 0), task("a", 1), task("a", 2)]);
    h.add_worker("W2", &["b".into()], &[task("a", 3), task("b", 0), task("b", 1)]);
    h.rebalance(); // The leader's first round with these two: nothing to change.
    h.assert_empty_assignment();

    // W3 joins. Round 1: connectors are balanced (2 over 3), each full worker gives up its first task.
    h.add_workers(&["W3"]);
    h.rebalance();
    let revoked = |h: &Harness, w: &str| h.returned.newly_revoked[w].clone();
    assert_eq!(revoked(&h, "W1").tasks, IndexSet::from([task("a", 0)]));
    assert_eq!(revoked(&h, "W2").tasks, IndexSet::from([task("a", 3)]));
    assert!(revoked(&h, "W3").is_empty() && revoked(&h, "W1").connectors.is_empty());
    assert!(h.returned.newly_assigned.values().all(ConnectorsAndTasks::is_empty));

    // Round 2: the revoked tasks are "created" and go to the least loaded worker, W3.
    h.rebalance();
    h.assert_no_revocations();
    assert_eq!(h.returned.newly_assigned["W3"].tasks, IndexSet::from([task("a", 0), task("a", 3)]));
    assert_eq!(h.members["W1"].tasks, IndexSet::from([task("a", 1), task("a", 2)]));
    assert_eq!(h.members["W2"].tasks, IndexSet::from([task("b", 0), task("b", 1)]));

    // W3 crashes: its tasks are held for the whole delay.
    h.remove_workers(&["W3"]);
    h.rebalance();
    assert_eq!(h.delay(), DEFAULT_MAX_DELAY);
    h.assert_empty_assignment();

    // W3 is back within the delay, empty: a candidate, and at expiry it gets them back.
    h.sleep(10_000);
    h.add_workers(&["W3"]);
    h.rebalance();
    assert_eq!(h.delay(), DEFAULT_MAX_DELAY - 10_000);
    h.assert_empty_assignment();
    h.sleep(i64::from(h.delay()));
    h.rebalance();
    assert_eq!(h.delay(), 0);
    assert_eq!(sorted(&h.returned.newly_assigned["W3"].tasks), [task("a", 0), task("a", 3)]);
    h.assert_balanced_and_complete_allocation();
}
