//! The protocol-level entry point: member metadata in, encodable assignments out, as
//! `WorkerCoordinatorIncrementalTest` and `testProtocolV1/V2` drive it; and the revoking backoff.

use std::collections::BTreeMap;

use super::super::*;
use super::harness::*;
use crate::cluster::protocol::{ConnectProtocol, WorkerMetadata};

fn metadata(url: &str, offset: i64, allocation: Option<Assignment>) -> WorkerMetadata {
    WorkerMetadata { url: url.into(), config_offset: offset, allocation }
}

fn perform(
    assignor: &mut IncrementalCooperativeAssignor,
    protocol: ConnectProtocol,
    members: &BTreeMap<String, WorkerMetadata>,
    snapshot: &mut ConfigSnapshot,
    generation: i32,
) -> AssignmentOutcome {
    let group = JoinedGroup {
        leader_id: "leader",
        protocol,
        members,
        generation: Generation { last_completed: generation - 1, current: generation },
    };
    let stale = snapshot.clone();
    assignor.perform_assignment(&group, snapshot, || stale, 0).unwrap()
}

#[test]
fn test_protocol_v1_and_v2() {
    for protocol in [ConnectProtocol::Compatible, ConnectProtocol::Sessioned] {
        let mut assignor = IncrementalCooperativeAssignor::new(DEFAULT_MAX_DELAY);
        let members = BTreeMap::from([("leader".to_string(), metadata("followMe:618", CONFIG_OFFSET, None))]);
        let mut snapshot = ConfigSnapshot { offset: CONFIG_OFFSET, connectors: BTreeMap::new() };
        let outcome = perform(&mut assignor, protocol, &members, &mut snapshot, 1);
        let assignment = &outcome.assignments["leader"];
        assert_eq!(assignment.version, protocol.version());
        assert_eq!(Assignment::decode(&assignment.encode().unwrap()).unwrap(), *assignment);
        assert!(outcome.leader_state.is_some(), "testLeaderStateUpdated");
    }
}

/// In the manner of `WorkerCoordinatorIncrementalTest#testTaskAssignmentWhenWorkerJoins`: members'
/// allocations come from their metadata and the deltas go out as encodable assignments.
#[test]
fn worker_joins_through_member_metadata() {
    let mut assignor = IncrementalCooperativeAssignor::new(DEFAULT_MAX_DELAY);
    let mut snapshot =
        ConfigSnapshot { offset: 9, connectors: BTreeMap::from([("connector1".into(), 4), ("connector2".into(), 4)]) };
    let mut members = BTreeMap::from([
        ("leader".to_string(), metadata("http://leader", 9, None)),
        ("member".to_string(), metadata("http://member", 9, None)),
    ]);
    let first = perform(&mut assignor, ConnectProtocol::Sessioned, &members, &mut snapshot, 1);
    for (member, assignment) in &first.assignments {
        assert_eq!((assignment.connectors.len(), assignment.tasks.len()), (1, 4), "{member}");
        assert_eq!((assignment.leader.as_str(), assignment.leader_url.as_str()), ("leader", "http://leader"));
        assert_eq!(assignment.config_offset, 9);
        members.get_mut(member).unwrap().allocation = Some(assignment.clone());
    }
    let state = first.leader_state.unwrap();
    assert_eq!(state.connector_owner_url("connector1"), Some("http://leader"));
    assert_eq!(state.task_owner_url(&task("connector2", 3)), Some("http://member"));

    members.insert("other".into(), metadata("http://other", 9, None));
    let second = perform(&mut assignor, ConnectProtocol::Sessioned, &members, &mut snapshot, 2);
    for member in ["leader", "member"] {
        let assignment = &second.assignments[member];
        assert!(assignment.connectors.is_empty() && assignment.tasks.is_empty());
        assert_eq!((assignment.revoked_connectors.len(), assignment.revoked_tasks.len()), (0, 1), "{member}");
    }
    // The new worker gets the revoked tasks only in the follow-up round.
    let other = &second.assignments["other"];
    assert!(other.connectors.is_empty() && other.tasks.is_empty());
    assert!(other.revoked_connectors.is_empty() && other.revoked_tasks.is_empty());
}

#[test]
fn leader_behind_gets_config_mismatch_unless_a_fresh_snapshot_catches_up() {
    let mut assignor = IncrementalCooperativeAssignor::new(DEFAULT_MAX_DELAY);
    let members = BTreeMap::from([
        ("leader".to_string(), metadata("http://leader", 4, None)),
        ("member".to_string(), metadata("http://member", 9, None)),
    ]);
    let mut snapshot = ConfigSnapshot { offset: 4, connectors: BTreeMap::from([("c".into(), 1)]) };
    let outcome = perform(&mut assignor, ConnectProtocol::Sessioned, &members, &mut snapshot, 1);
    assert!(outcome.leader_state.is_none());
    for assignment in outcome.assignments.values() {
        assert_eq!(assignment.error, AssignmentError::ConfigMismatch);
        assert_eq!((assignment.version, assignment.config_offset, assignment.delay_ms), (2, 9, 0));
        assert_eq!(assignment.leader_url, "http://leader");
        assert!(assignment.connectors.is_empty() && assignment.tasks.is_empty());
    }

    let group = JoinedGroup {
        leader_id: "leader",
        protocol: ConnectProtocol::Compatible,
        members: &members,
        generation: Generation { last_completed: 0, current: 1 },
    };
    let fresh = ConfigSnapshot { offset: 11, connectors: BTreeMap::from([("c".into(), 1)]) };
    let outcome = assignor.perform_assignment(&group, &mut snapshot, || fresh.clone(), 0).unwrap();
    assert_eq!(snapshot, fresh);
    let assigned: usize = outcome.assignments.values().map(|a| a.connectors.len() + a.tasks.len()).sum();
    assert_eq!(assigned, 2);
    assert!(outcome.assignments.values().all(|a| !a.failed() && a.config_offset == 11 && a.version == 1));
}

#[test]
fn revoking_backoff_follows_javas_exponential_backoff() {
    let backoff = |max: i32, attempts: u32| IncrementalCooperativeAssignor::new(max).revoking_backoff(attempts);
    assert_eq!(backoff(300_000, 1), 40);
    assert_eq!(backoff(300_000, 2), 1_600);
    assert_eq!(backoff(300_000, 3), 64_000);
    assert!((299_999..=300_000).contains(&backoff(300_000, 4)));
    assert_eq!(backoff(300_000, 40), backoff(300_000, 4));
    assert_eq!(backoff(1, 1), 1);
    assert_eq!(backoff(0, 3), 0);
}
