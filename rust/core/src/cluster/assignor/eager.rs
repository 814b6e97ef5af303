//! `EagerAssignor`: the v0 (`default` protocol) assignment. Every rebalance hands out everything
//! again, round-robin over the members sorted by id: all connectors first, then all tasks, with one
//! cursor that carries on from the connectors to the tasks, so that 1-task connectors do not put
//! every connector on even workers and every task on odd ones.

use std::collections::BTreeMap;

use super::{
    config_mismatch, ensure_leader_config, AssignmentOutcome, ConfigSnapshot, ConnectorsAndTasks, JoinedGroup,
};
use crate::cluster::protocol::{Assignment, AssignmentError, CONNECT_PROTOCOL_V0};
use crate::error::Result;

/// The eager assignor; it keeps no state between rebalances.
#[derive(Debug, Clone, Copy, Default)]
pub struct EagerAssignor;

impl EagerAssignor {
    /// Assigns every configured connector and task (`EagerAssignor#performAssignment`). `snapshot`
    /// is the leader's config; if it is behind a member's offset, `refresh` is asked for a fresh one
    /// (which replaces it when it has caught up) and otherwise every member gets CONFIG_MISMATCH.
    pub fn perform_assignment(
        &self,
        group: &JoinedGroup<'_>,
        snapshot: &mut ConfigSnapshot,
        refresh: impl FnOnce() -> ConfigSnapshot,
    ) -> Result<AssignmentOutcome> {
        let max_offset = group.max_config_offset();
        let Some(offset) = ensure_leader_config(max_offset, snapshot, refresh) else {
            return config_mismatch(group, CONNECT_PROTOCOL_V0, max_offset);
        };
        let leader_url = group.leader_url()?;

        let mut assigned: BTreeMap<String, ConnectorsAndTasks> =
            group.members.keys().map(|member| (member.clone(), ConnectorsAndTasks::default())).collect();
        let members: Vec<&String> = group.members.keys().collect();
        let mut next_member = members.iter().cycle();
        for connector in snapshot.connectors.keys() {
            let member = next_member.next().expect("the group has members");
            assigned.get_mut(*member).expect("a member").connectors.insert(connector.clone());
        }
        for connector in snapshot.connectors.keys() {
            for task in snapshot.tasks(connector) {
                let member = next_member.next().expect("the group has members");
                assigned.get_mut(*member).expect("a member").tasks.insert(task);
            }
        }

        let assignments = assigned
            .iter()
            .map(|(member, load)| {
                let assignment = Assignment {
                    version: CONNECT_PROTOCOL_V0,
                    error: AssignmentError::NoError,
                    leader: group.leader_id.to_owned(),
                    leader_url: leader_url.to_owned(),
                    config_offset: offset,
                    connectors: load.connectors.iter().cloned().collect(),
                    tasks: load.tasks.iter().cloned().collect(),
                    ..Assignment::default()
                };
                (member.clone(), assignment)
            })
            .collect();
        Ok(AssignmentOutcome { assignments, leader_state: Some(super::LeaderState::new(group.members, &assigned)) })
    }
}

#[cfg(test)]
mod tests {
    //! Ports of `WorkerCoordinatorTest#testLeaderPerformAssignment*` and `#testJoinLeaderCannotAssign`
    //! (the eager side; the tests drive `onLeaderElected` with the `default` protocol).

    use std::collections::BTreeMap;

    use super::*;
    use crate::cluster::assignor::Generation;
    use crate::cluster::protocol::{ConnectProtocol, ConnectorTaskId, WorkerMetadata};

    fn snapshot(offset: i64, connectors: &[(&str, u32)]) -> ConfigSnapshot {
        ConfigSnapshot { offset, connectors: connectors.iter().map(|(c, n)| (c.to_string(), *n)).collect() }
    }

    fn members(offset: i64) -> BTreeMap<String, WorkerMetadata> {
        [("leader", "http://leader:8083"), ("member", "http://member:8083")]
            .into_iter()
            .map(|(id, url)| {
                (id.to_string(), WorkerMetadata { url: url.into(), config_offset: offset, allocation: None })
            })
            .collect()
    }

    fn assign(snapshot: &mut ConfigSnapshot, members: &BTreeMap<String, WorkerMetadata>) -> AssignmentOutcome {
        let group = JoinedGroup {
            leader_id: "leader",
            protocol: ConnectProtocol::Eager,
            members,
            generation: Generation { last_completed: -1, current: 1 },
        };
        let stale = snapshot.clone();
        EagerAssignor.perform_assignment(&group, snapshot, || stale).unwrap()
    }

    fn task(connector: &str, task: u32) -> ConnectorTaskId {
        ConnectorTaskId::new(connector, task)
    }

    fn check(outcome: &AssignmentOutcome, member: &str, offset: i64, connectors: &[&str], tasks: &[ConnectorTaskId]) {
        let assignment = &outcome.assignments[member];
        assert!(!assignment.failed());
        assert_eq!((assignment.version, assignment.leader.as_str()), (0, "leader"));
        assert_eq!(assignment.leader_url, "http://leader:8083");
        assert_eq!(assignment.config_offset, offset);
        assert_eq!(assignment.connectors, connectors, "{member}'s connectors");
        assert_eq!(assignment.tasks, tasks, "{member}'s tasks");
    }

    #[test]
    fn test_leader_perform_assignment1() {
        let mut config = snapshot(4, &[("connector1", 1)]);
        let outcome = assign(&mut config, &members(4));
        check(&outcome, "leader", 4, &["connector1"], &[]);
        check(&outcome, "member", 4, &[], &[task("connector1", 0)]);
        let state = outcome.leader_state.unwrap();
        assert_eq!(state.connector_owner_url("connector1"), Some("http://leader:8083"));
        assert_eq!(state.task_owner_url(&task("connector1", 0)), Some("http://member:8083"));
    }

    #[test]
    fn test_leader_perform_assignment2() {
        let mut config = snapshot(9, &[("connector1", 2), ("connector2", 1)]);
        let outcome = assign(&mut config, &members(9));
        check(&outcome, "leader", 9, &["connector1"], &[task("connector1", 0), task("connector2", 0)]);
        check(&outcome, "member", 9, &["connector2"], &[task("connector1", 1)]);
    }

    #[test]
    fn test_leader_perform_assignment_single_task_connectors() {
        let mut config = snapshot(12, &[("connector1", 1), ("connector2", 1), ("connector3", 1)]);
        let outcome = assign(&mut config, &members(12));
        check(&outcome, "leader", 12, &["connector1", "connector3"], &[task("connector2", 0)]);
        check(&outcome, "member", 12, &["connector2"], &[task("connector1", 0), task("connector3", 0)]);
    }

    #[test]
    fn test_join_leader_cannot_assign() {
        // The leader read up to 4, a member up to 9: a fresh snapshot still at 4 fails the round...
        let mut behind = members(9);
        behind.get_mut("leader").unwrap().config_offset = 4;
        let mut config = snapshot(4, &[("connector1", 1)]);
        let outcome = assign(&mut config, &behind);
        assert!(outcome.leader_state.is_none());
        for assignment in outcome.assignments.values() {
            assert_eq!(assignment.error, AssignmentError::ConfigMismatch);
            assert_eq!(assignment.config_offset, 9);
            assert!(assignment.connectors.is_empty() && assignment.tasks.is_empty());
        }
        // ...while a fresh snapshot that has caught up is used, at its own offset.
        let group = JoinedGroup {
            leader_id: "leader",
            protocol: ConnectProtocol::Eager,
            members: &behind,
            generation: Generation { last_completed: -1, current: 1 },
        };
        let caught_up = snapshot(10, &[("connector1", 2), ("connector2", 1)]);
        let outcome = EagerAssignor.perform_assignment(&group, &mut config, || caught_up.clone()).unwrap();
        assert_eq!(config, caught_up, "the fresh snapshot replaces the stale one");
        check(&outcome, "leader", 10, &["connector1"], &[task("connector1", 0), task("connector2", 0)]);
    }
}
