//! The group leader's assignors: who runs which connector and task. Pure and deterministic ports of
//! Kafka Connect's `EagerAssignor` (protocol `default`, v0) and `IncrementalCooperativeAssignor`
//! (protocols `compatible`/`sessioned`, KIP-415), so that a ferroconnect leader makes the decisions a
//! Java leader would make for the same members (`../shared/reference/distributed.md` §2).
//!
//! Inputs are plain data: the leader's config snapshot (connector → task count, and its offset),
//! the members' decoded metadata, the generation numbers and the time (`now_ms`); nothing here
//! reads a clock, a topic or a socket. Where Java iterates hash maps, we iterate members by id and
//! sets in insertion or sorted order, which makes the outcome reproducible.

mod eager;
mod incremental;

use std::collections::BTreeMap;

use indexmap::IndexSet;

pub use eager::EagerAssignor;
pub use incremental::{ClusterAssignment, IncrementalCooperativeAssignor};

use crate::cluster::protocol::{Assignment, AssignmentError, ConnectProtocol, ConnectorTaskId, WorkerMetadata};
use crate::error::{Error, Result};

/// The leader's view of the config topic (Java's `ClusterConfigState`, reduced to what assignors use).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigSnapshot {
    /// The next offset to read in the config topic: what the snapshot has seen.
    pub offset: i64,
    /// Each configured connector with its number of tasks (0 while its task configs are missing
    /// or inconsistent, as `ClusterConfigState#tasks` gives none then).
    pub connectors: BTreeMap<String, u32>,
}

impl ConfigSnapshot {
    /// The ids of `connector`'s tasks, in task order.
    pub fn tasks(&self, connector: &str) -> Vec<ConnectorTaskId> {
        let count = self.connectors.get(connector).copied().unwrap_or(0);
        (0..count).map(|task| ConnectorTaskId::new(connector, task)).collect()
    }

    /// Every configured connector and task, sorted.
    pub fn configured(&self) -> ConnectorsAndTasks {
        ConnectorsAndTasks {
            connectors: self.connectors.keys().cloned().collect(),
            tasks: self.connectors.keys().flat_map(|connector| self.tasks(connector)).collect(),
        }
    }
}

/// The generation numbers the leader knows when it assigns (`WorkerCoordinator#generationId` and
/// `#lastCompletedGenerationId`): the cooperative assignor trusts its memory of the previous round
/// only if that round is the one this leader completed last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation {
    /// The generation of the last rebalance this worker completed (`-1` if none).
    pub last_completed: i32,
    /// The generation being assigned now.
    pub current: i32,
}

/// The broker's JoinGroup answer, as the leader's assignor needs it.
#[derive(Debug, Clone, Copy)]
pub struct JoinedGroup<'a> {
    /// The leader's member id (this worker).
    pub leader_id: &'a str,
    /// The protocol the broker selected for the group.
    pub protocol: ConnectProtocol,
    /// Every member's decoded metadata, by member id; the leader is one of them.
    pub members: &'a BTreeMap<String, WorkerMetadata>,
    pub generation: Generation,
}

impl JoinedGroup<'_> {
    /// The greatest config offset any member has read: assignments are made at (at least) it.
    pub fn max_config_offset(&self) -> i64 {
        self.members.values().map(|m| m.config_offset).max().unwrap_or(-1)
    }

    fn leader_url(&self) -> Result<&str> {
        self.members.get(self.leader_id).map(|m| m.url.as_str()).ok_or_else(|| {
            Error::protocol(format!("the group leader {:?} is not among the group's members", self.leader_id))
        })
    }
}

/// Connectors and tasks without duplicates, in a stable order (Java's `ConnectorsAndTasks`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectorsAndTasks {
    pub connectors: IndexSet<String>,
    pub tasks: IndexSet<ConnectorTaskId>,
}

impl ConnectorsAndTasks {
    /// What a member reports running in its metadata (nothing before its first assignment).
    pub fn of_allocation(allocation: Option<&Assignment>) -> Self {
        match allocation {
            Some(a) => ConnectorsAndTasks {
                connectors: a.connectors.iter().cloned().collect(),
                tasks: a.tasks.iter().cloned().collect(),
            },
            None => ConnectorsAndTasks::default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.connectors.is_empty() && self.tasks.is_empty()
    }

    pub fn len(&self) -> usize {
        self.connectors.len() + self.tasks.len()
    }

    /// Adds every item of `other` not yet here, after the existing ones.
    pub fn add_all(&mut self, other: &ConnectorsAndTasks) {
        self.connectors.extend(other.connectors.iter().cloned());
        self.tasks.extend(other.tasks.iter().cloned());
    }

    /// Removes every item of `other`, keeping the order of the rest.
    pub fn remove_all(&mut self, other: &ConnectorsAndTasks) {
        self.connectors.retain(|c| !other.connectors.contains(c));
        self.tasks.retain(|t| !other.tasks.contains(t));
    }
}

/// What the leader remembers about the assignment it sent (Java's `WorkerCoordinator.LeaderState`):
/// who runs what, to answer "where is this connector or task?" when forwarding REST requests.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LeaderState {
    /// Every member's advertised REST URL.
    pub member_urls: BTreeMap<String, String>,
    /// Connector → the member that runs it.
    pub connector_owners: BTreeMap<String, String>,
    /// Task → the member that runs it.
    pub task_owners: BTreeMap<ConnectorTaskId, String>,
}

impl LeaderState {
    fn new(members: &BTreeMap<String, WorkerMetadata>, assigned: &BTreeMap<String, ConnectorsAndTasks>) -> Self {
        let mut state = LeaderState {
            member_urls: members.iter().map(|(id, m)| (id.clone(), m.url.clone())).collect(),
            ..LeaderState::default()
        };
        for (member, load) in assigned {
            state.connector_owners.extend(load.connectors.iter().map(|c| (c.clone(), member.clone())));
            state.task_owners.extend(load.tasks.iter().map(|t| (t.clone(), member.clone())));
        }
        state
    }

    /// The REST URL of the worker running `connector`, if any.
    pub fn connector_owner_url(&self, connector: &str) -> Option<&str> {
        self.connector_owners.get(connector).and_then(|m| self.member_urls.get(m)).map(String::as_str)
    }

    /// The REST URL of the worker running `task`, if any.
    pub fn task_owner_url(&self, task: &ConnectorTaskId) -> Option<&str> {
        self.task_owners.get(task).and_then(|m| self.member_urls.get(m)).map(String::as_str)
    }
}

/// The leader's answer for the whole group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentOutcome {
    /// Each member's assignment, to encode into SyncGroup.
    pub assignments: BTreeMap<String, Assignment>,
    /// Who runs what after this round; `None` when the leader could not assign (CONFIG_MISMATCH).
    pub leader_state: Option<LeaderState>,
}

/// Makes sure the leader's snapshot has caught up with `max_offset` (`#ensureLeaderConfig`): if it
/// is behind, takes a fresh one from `refresh` and keeps it when that one has caught up. Returns the
/// offset to assign at, or `None` when the leader is still behind (the round fails with
/// CONFIG_MISMATCH and everybody reads the config topic and rejoins).
fn ensure_leader_config(
    max_offset: i64,
    snapshot: &mut ConfigSnapshot,
    refresh: impl FnOnce() -> ConfigSnapshot,
) -> Option<i64> {
    if snapshot.offset >= max_offset {
        return Some(max_offset);
    }
    let fresh = refresh();
    if fresh.offset < max_offset {
        tracing::info!(
            "Was selected to perform assignments, but do not have latest config found in sync request \
             (local offset {}, max offset {max_offset}). Returning an empty configuration to trigger re-sync.",
            fresh.offset
        );
        return None;
    }
    let offset = fresh.offset;
    *snapshot = fresh;
    Some(offset)
}

/// The same failed assignment for every member: nothing assigned, the members' max offset.
fn config_mismatch(group: &JoinedGroup<'_>, version: i16, max_offset: i64) -> Result<AssignmentOutcome> {
    let leader_url = group.leader_url()?;
    let failed = Assignment {
        version,
        error: AssignmentError::ConfigMismatch,
        leader: group.leader_id.to_owned(),
        leader_url: leader_url.to_owned(),
        config_offset: max_offset,
        ..Assignment::default()
    };
    let assignments = group.members.keys().map(|member| (member.clone(), failed.clone())).collect();
    Ok(AssignmentOutcome { assignments, leader_state: None })
}
