//! `IncrementalCooperativeAssignor` (KIP-415): assignments as deltas, revoke first and reassign in
//! a second round, hold lost work for `scheduled.rebalance.max.delay.ms` in case its worker comes
//! back, balance load by revoking the surplus of over-loaded workers, and back off exponentially
//! when rounds keep revoking. The state it keeps between rebalances lives in the struct, which the
//! leader keeps for as long as it stays leader.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexSet;

use super::{
    config_mismatch, ensure_leader_config, AssignmentOutcome, ConfigSnapshot, ConnectorsAndTasks, Generation,
    JoinedGroup, LeaderState,
};
use crate::cluster::protocol::{Assignment, AssignmentError, ConnectorTaskId};
use crate::error::Result;

/// Growth factor of the delay between successive revoking rebalances (Java's
/// `ExponentialBackoff(1, 40, maxDelay, 0)`): 40 ms, 1.6 s, 64 s, then `maxDelay`.
const REVOKING_BACKOFF_MULTIPLIER: f64 = 40.0;

/// The leader's cooperative assignor with the memory of its previous rounds.
#[derive(Debug, Clone)]
pub struct IncrementalCooperativeAssignor {
    /// `scheduled.rebalance.max.delay.ms`.
    max_delay: i32,
    /// Everything assigned after the previous round (minus its revocations, plus its lost work).
    previous_assignment: ConnectorsAndTasks,
    /// What the previous round revoked; if it is still running, the revocation did not happen.
    previous_revocation: ConnectorsAndTasks,
    revoked_in_previous: bool,
    /// Workers that were empty while lost work was held: they get it when the delay expires.
    candidate_workers_for_reassignment: IndexSet<String>,
    /// When held lost work is to be reassigned (ms; 0 = nothing held).
    scheduled_rebalance: i64,
    /// The delay sent to every member in the last round (ms).
    delay: i32,
    previous_generation_id: i32,
    previous_members: BTreeSet<String>,
    num_successive_revoking_rebalances: u32,
}

/// The result of one round for the whole cluster, by member id; every member appears in each map.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterAssignment {
    /// What each member starts this round (the delta sent to it).
    pub newly_assigned: BTreeMap<String, ConnectorsAndTasks>,
    /// What each member stops this round.
    pub newly_revoked: BTreeMap<String, ConnectorsAndTasks>,
    /// What each member runs once this round is applied.
    pub all_assigned: BTreeMap<String, ConnectorsAndTasks>,
}

/// One worker's load while a round is computed (Java's `WorkerCoordinator.WorkerLoad`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct WorkerLoad {
    pub(super) worker: String,
    pub(super) load: ConnectorsAndTasks,
}

impl IncrementalCooperativeAssignor {
    /// A new leader's assignor: it remembers nothing yet.
    pub fn new(max_delay_ms: i32) -> Self {
        IncrementalCooperativeAssignor {
            max_delay: max_delay_ms,
            previous_assignment: ConnectorsAndTasks::default(),
            previous_revocation: ConnectorsAndTasks::default(),
            revoked_in_previous: false,
            candidate_workers_for_reassignment: IndexSet::new(),
            scheduled_rebalance: 0,
            delay: 0,
            previous_generation_id: -1,
            previous_members: BTreeSet::new(),
            num_successive_revoking_rebalances: 0,
        }
    }

    /// The delay (ms) sent with the last round's assignments: members rejoin after it.
    pub fn delay_ms(&self) -> i32 {
        self.delay
    }

    /// Assigns for the whole group (`#performAssignment`), at the selected protocol's version.
    /// `snapshot` is the leader's config; if it is behind a member's offset, `refresh` is asked for a
    /// fresh one (which replaces it when it has caught up) and otherwise every member gets
    /// CONFIG_MISMATCH. `now_ms` is the leader's clock, for the scheduled rebalance.
    pub fn perform_assignment(
        &mut self,
        group: &JoinedGroup<'_>,
        snapshot: &mut ConfigSnapshot,
        refresh: impl FnOnce() -> ConfigSnapshot,
        now_ms: i64,
    ) -> Result<AssignmentOutcome> {
        let version = group.protocol.version();
        let max_offset = group.max_config_offset();
        let Some(offset) = ensure_leader_config(max_offset, snapshot, refresh) else {
            return config_mismatch(group, version, max_offset);
        };
        let leader_url = group.leader_url()?.to_owned();
        let members: BTreeMap<String, ConnectorsAndTasks> = group
            .members
            .iter()
            .map(|(id, metadata)| (id.clone(), ConnectorsAndTasks::of_allocation(metadata.allocation.as_ref())))
            .collect();
        let cluster = self.perform_task_assignment(snapshot, group.generation, &members, now_ms);
        let empty = ConnectorsAndTasks::default();
        let assignments = members
            .keys()
            .map(|member| {
                let assigned = cluster.newly_assigned.get(member).unwrap_or(&empty);
                let revoked = cluster.newly_revoked.get(member).unwrap_or(&empty);
                let assignment = Assignment {
                    version,
                    error: AssignmentError::NoError,
                    leader: group.leader_id.to_owned(),
                    leader_url: leader_url.clone(),
                    config_offset: offset,
                    connectors: assigned.connectors.iter().cloned().collect(),
                    tasks: assigned.tasks.iter().cloned().collect(),
                    revoked_connectors: revoked.connectors.iter().cloned().collect(),
                    revoked_tasks: revoked.tasks.iter().cloned().collect(),
                    delay_ms: self.delay,
                };
                (member.clone(), assignment)
            })
            .collect();
        let leader_state = LeaderState::new(group.members, &cluster.all_assigned);
        Ok(AssignmentOutcome { assignments, leader_state: Some(leader_state) })
    }

    /// One round on plain data (`#performTaskAssignment`): `members` maps each member to what it
    /// runs now, as its metadata reports.
    pub fn perform_task_assignment(
        &mut self,
        snapshot: &ConfigSnapshot,
        generation: Generation,
        members: &BTreeMap<String, ConnectorsAndTasks>,
        now_ms: i64,
    ) -> ClusterAssignment {
        if self.previous_generation_id != generation.last_completed {
            tracing::debug!(
                "Clearing the view of previous assignments: previous generation {} is not the last completed {}",
                self.previous_generation_id,
                generation.last_completed
            );
            self.previous_assignment = ConnectorsAndTasks::default();
        }

        let configured = snapshot.configured();
        let mut active = ConnectorsAndTasks::default();
        members.values().for_each(|load| active.add_all(load));

        // A revocation that did not take effect: start again from what really runs.
        if !self.previous_revocation.is_empty() {
            let revocation = std::mem::take(&mut self.previous_revocation);
            if revocation.connectors.iter().any(|c| active.connectors.contains(c))
                || revocation.tasks.iter().any(|t| active.tasks.contains(t))
            {
                self.previous_assignment = active.clone();
            }
        }

        let deleted = diff(&self.previous_assignment, &[&configured]);
        let duplicated = duplicated_assignments(members);
        let lost = diff(&self.previous_assignment, &[&active, &deleted]);
        let created = diff(&configured, &[&self.previous_assignment, &active]);
        tracing::debug!("Deleted {deleted:?}, duplicated {duplicated:?}, lost {lost:?}, created {created:?}");

        // What each member runs now, less what is deleted: the base of the deltas.
        let current: BTreeMap<&String, ConnectorsAndTasks> = members
            .iter()
            .map(|(member, load)| {
                let mut kept = load.clone();
                kept.remove_all(&deleted);
                (member, kept)
            })
            .collect();

        let mut to_revoke: BTreeMap<String, ConnectorsAndTasks> = BTreeMap::new();
        let deleted_to_revoke = intersection(&deleted, members);
        add_all(&mut to_revoke, &deleted_to_revoke);
        let duplicated_to_revoke = intersection(&duplicated, members);
        add_all(&mut to_revoke, &duplicated_to_revoke);

        let mut next: Vec<WorkerLoad> =
            members.iter().map(|(worker, load)| WorkerLoad { worker: worker.clone(), load: load.clone() }).collect();
        remove_all(&mut next, &deleted_to_revoke);
        remove_all(&mut next, &duplicated_to_revoke);

        let lost_to_reassign = self.handle_lost_assignments(&lost, &mut next, now_ms);

        // No load-balancing revocations while a delayed rebalance is pending.
        if self.delay == 0 {
            let balancing = load_balancing_revocations(&configured, &next);
            if self.revoked_in_previous && !balancing.is_empty() {
                self.num_successive_revoking_rebalances += 1;
                self.delay = self.revoking_backoff(self.num_successive_revoking_rebalances);
                if self.delay != 0 {
                    self.scheduled_rebalance = now_ms + i64::from(self.delay);
                    tracing::debug!("Successive revoking rebalance: revocations postponed by {} ms", self.delay);
                } else {
                    add_all(&mut to_revoke, &balancing);
                    remove_all(&mut next, &balancing);
                }
            } else if !balancing.is_empty() {
                add_all(&mut to_revoke, &balancing);
                remove_all(&mut next, &balancing);
                self.revoked_in_previous = true;
            } else if self.revoked_in_previous {
                // The cluster has converged: restart the backoff.
                self.revoked_in_previous = false;
                self.num_successive_revoking_rebalances = 0;
            }
        } else {
            self.revoked_in_previous = false;
        }

        let mut to_assign = created;
        to_assign.add_all(&lost_to_reassign);
        assign_connectors(&mut next, &to_assign.connectors);
        assign_tasks(&mut next, &to_assign.tasks);

        let next: BTreeMap<String, ConnectorsAndTasks> = next.into_iter().map(|w| (w.worker, w.load)).collect();
        let newly_assigned = next
            .iter()
            .map(|(member, load)| {
                let mut delta = load.clone();
                if let Some(running) = current.get(member) {
                    delta.remove_all(running);
                }
                (member.clone(), delta)
            })
            .collect();
        let all_assigned = next
            .iter()
            .map(|(member, load)| {
                let mut kept = load.clone();
                if let Some(revoked) = to_revoke.get(member) {
                    kept.remove_all(revoked);
                }
                (member.clone(), kept)
            })
            .collect();

        self.previous_assignment = self.compute_previous_assignment(&to_revoke, &next, &lost);
        self.previous_generation_id = generation.current;
        self.previous_members = members.keys().cloned().collect();

        ClusterAssignment { newly_assigned, newly_revoked: to_revoke, all_assigned }
    }

    /// Everything assigned after this round, less its revocations (remembered, to detect a
    /// revocation that did not happen), plus the lost work that is still held.
    fn compute_previous_assignment(
        &mut self,
        revoked: &BTreeMap<String, ConnectorsAndTasks>,
        next: &BTreeMap<String, ConnectorsAndTasks>,
        lost: &ConnectorsAndTasks,
    ) -> ConnectorsAndTasks {
        let mut previous = ConnectorsAndTasks::default();
        next.values().for_each(|load| previous.add_all(load));
        for revocation in revoked.values() {
            previous.remove_all(revocation);
            self.previous_revocation.add_all(revocation);
        }
        previous.add_all(lost);
        previous
    }

    /// Decides what happens to work whose worker is gone (`#handleLostAssignments`); returns what is
    /// to be reassigned as new work now. Lost work may also go straight to `workers` that were
    /// remembered as candidates (empty while the delay ran), round-robin.
    pub(super) fn handle_lost_assignments(
        &mut self,
        lost: &ConnectorsAndTasks,
        workers: &mut [WorkerLoad],
        now_ms: i64,
    ) -> ConnectorsAndTasks {
        if lost.is_empty() && !self.revoked_in_previous {
            self.reset_delay();
            return ConnectorsAndTasks::default();
        }
        let active: BTreeSet<&String> = workers.iter().map(|w| &w.worker).collect();
        if self.scheduled_rebalance <= 0 && self.previous_members.iter().all(|m| active.contains(m)) {
            // Nobody left: some worker probably missed its last assignment.
            return lost.clone();
        }
        if self.max_delay == 0 {
            return lost.clone();
        }

        let mut to_reassign = ConnectorsAndTasks::default();
        if self.scheduled_rebalance > 0 && now_ms >= self.scheduled_rebalance {
            // The delay expired: the work goes to the candidates, or is treated as new.
            let candidates: Vec<usize> = self
                .candidate_workers_for_reassignment
                .iter()
                .filter_map(|candidate| workers.iter().position(|w| &w.worker == candidate))
                .collect();
            if candidates.is_empty() {
                to_reassign = lost.clone();
            } else {
                for (connector, index) in lost.connectors.iter().zip(candidates.iter().cycle()) {
                    workers[*index].load.connectors.insert(connector.clone());
                }
                for (task, index) in lost.tasks.iter().zip(candidates.iter().cycle()) {
                    workers[*index].load.tasks.insert(task.clone());
                }
            }
            self.reset_delay();
            self.revoked_in_previous = false;
        } else {
            self.candidate_workers_for_reassignment
                .extend(workers.iter().filter(|w| w.load.is_empty()).map(|w| w.worker.clone()));
            self.delay = if now_ms < self.scheduled_rebalance {
                // Still waiting: the rest of the delay.
                i32::try_from((self.scheduled_rebalance - now_ms).min(i64::from(self.max_delay)))
                    .unwrap_or(self.max_delay)
            } else {
                self.max_delay
            };
            self.scheduled_rebalance = now_ms + i64::from(self.delay);
        }
        to_reassign
    }

    fn reset_delay(&mut self) {
        self.candidate_workers_for_reassignment.clear();
        self.scheduled_rebalance = 0;
        self.delay = 0;
    }

    /// Java's `ExponentialBackoff(maxDelay == 0 ? 0 : 1, 40, maxDelay, 0).backoff(attempts)`.
    fn revoking_backoff(&self, attempts: u32) -> i32 {
        let max = i64::from(self.max_delay);
        let initial = max.min(if self.max_delay == 0 { 0 } else { 1 });
        if max <= initial {
            return initial as i32;
        }
        let exp_max = (max as f64 / initial.max(1) as f64).ln() / REVOKING_BACKOFF_MULTIPLIER.ln();
        let term = initial as f64 * REVOKING_BACKOFF_MULTIPLIER.powf(f64::from(attempts).min(exp_max));
        (term as i64).min(max) as i32
    }
}

/// `base` less everything in `subtract`, sorted (Java builds these derived sets as `TreeSet`s).
fn diff(base: &ConnectorsAndTasks, subtract: &[&ConnectorsAndTasks]) -> ConnectorsAndTasks {
    let connectors: BTreeSet<&String> =
        base.connectors.iter().filter(|c| !subtract.iter().any(|s| s.connectors.contains(*c))).collect();
    let tasks: BTreeSet<&ConnectorTaskId> =
        base.tasks.iter().filter(|t| !subtract.iter().any(|s| s.tasks.contains(*t))).collect();
    ConnectorsAndTasks {
        connectors: connectors.into_iter().cloned().collect(),
        tasks: tasks.into_iter().cloned().collect(),
    }
}

/// Connectors and tasks that more than one member reports running.
fn duplicated_assignments(members: &BTreeMap<String, ConnectorsAndTasks>) -> ConnectorsAndTasks {
    let mut connectors: BTreeMap<&String, usize> = BTreeMap::new();
    let mut tasks: BTreeMap<&ConnectorTaskId, usize> = BTreeMap::new();
    for load in members.values() {
        load.connectors.iter().for_each(|c| *connectors.entry(c).or_default() += 1);
        load.tasks.iter().for_each(|t| *tasks.entry(t).or_default() += 1);
    }
    ConnectorsAndTasks {
        connectors: connectors.into_iter().filter(|(_, n)| *n > 1).map(|(c, _)| c.clone()).collect(),
        tasks: tasks.into_iter().filter(|(_, n)| *n > 1).map(|(t, _)| t.clone()).collect(),
    }
}

/// For each member, the part of `items` it runs.
fn intersection(
    items: &ConnectorsAndTasks,
    members: &BTreeMap<String, ConnectorsAndTasks>,
) -> BTreeMap<String, ConnectorsAndTasks> {
    members
        .iter()
        .map(|(member, load)| {
            let common = ConnectorsAndTasks {
                connectors: load.connectors.iter().filter(|c| items.connectors.contains(*c)).cloned().collect(),
                tasks: load.tasks.iter().filter(|t| items.tasks.contains(*t)).cloned().collect(),
            };
            (member.clone(), common)
        })
        .collect()
}

fn add_all(base: &mut BTreeMap<String, ConnectorsAndTasks>, more: &BTreeMap<String, ConnectorsAndTasks>) {
    for (member, load) in more {
        base.entry(member.clone()).or_default().add_all(load);
    }
}

fn remove_all(workers: &mut [WorkerLoad], remove: &BTreeMap<String, ConnectorsAndTasks>) {
    for worker in workers {
        if let Some(items) = remove.get(&worker.worker) {
            worker.load.remove_all(items);
        }
    }
}

/// What to revoke from whom so that nobody runs more than a balanced share
/// (`#performLoadBalancingRevocations`); connectors and tasks are balanced separately.
fn load_balancing_revocations(
    configured: &ConnectorsAndTasks,
    workers: &[WorkerLoad],
) -> BTreeMap<String, ConnectorsAndTasks> {
    let mut result: BTreeMap<String, ConnectorsAndTasks> = BTreeMap::new();
    if workers.iter().all(|w| w.load.is_empty()) || configured.is_empty() {
        return result;
    }
    for (worker, revoked) in surplus(configured.connectors.len(), workers, |w| &w.load.connectors) {
        result.entry(worker).or_default().connectors.extend(revoked);
    }
    for (worker, revoked) in surplus(configured.tasks.len(), workers, |w| &w.load.tasks) {
        result.entry(worker).or_default().tasks.extend(revoked);
    }
    result
}

/// One resource type's surplus per worker (`#loadBalancingRevocations`): with `total` items over
/// the workers, each should hold `total / workers`, and `total % workers` of them one more. If that
/// is already so nothing moves; otherwise workers, in order, keep `min + 1` while extras remain and
/// `min` after, and give up the first items of their lists beyond that.
fn surplus<'w, E: Clone + 'w>(
    total: usize,
    workers: &'w [WorkerLoad],
    allocation: impl Fn(&'w WorkerLoad) -> &'w IndexSet<E>,
) -> Vec<(String, Vec<E>)> {
    let min = total / workers.len();
    let extra = total % workers.len();
    let at_min = workers.iter().filter(|w| allocation(w).len() == min).count();
    let at_min_plus_one = workers.iter().filter(|w| allocation(w).len() == min + 1).count();
    if at_min_plus_one == extra && at_min + at_min_plus_one == workers.len() {
        return Vec::new();
    }
    let mut result = Vec::new();
    let mut allocated_extras = 0;
    for worker in workers {
        let held = allocation(worker);
        if held.len() <= min {
            continue;
        }
        let keep = if allocated_extras < extra {
            allocated_extras += 1;
            if held.len() == min + 1 {
                continue;
            }
            min + 1
        } else {
            min
        };
        result.push((worker.worker.clone(), held.iter().take(held.len() - keep).cloned().collect()));
    }
    result
}

/// Deals `connectors` to the least-loaded workers (`#assignConnectors`): workers sorted by
/// connector count then id; each pass gives one to every worker whose count is not above the
/// first worker's.
pub(super) fn assign_connectors(workers: &mut [WorkerLoad], connectors: &IndexSet<String>) {
    workers.sort_by(|a, b| a.load.connectors.len().cmp(&b.load.connectors.len()).then_with(|| a.worker.cmp(&b.worker)));
    deal(
        workers,
        connectors.iter(),
        |w| w.load.connectors.len(),
        |w, c| {
            w.load.connectors.insert(c.clone());
        },
    );
}

/// Deals `tasks` to the least-loaded workers, as `assign_connectors` (`#assignTasks`).
pub(super) fn assign_tasks(workers: &mut [WorkerLoad], tasks: &IndexSet<ConnectorTaskId>) {
    workers.sort_by(|a, b| a.load.tasks.len().cmp(&b.load.tasks.len()).then_with(|| a.worker.cmp(&b.worker)));
    deal(
        workers,
        tasks.iter(),
        |w| w.load.tasks.len(),
        |w, t| {
            w.load.tasks.insert(t.clone());
        },
    );
}

fn deal<'i, T: 'i>(
    workers: &mut [WorkerLoad],
    items: impl Iterator<Item = &'i T>,
    count: impl Fn(&WorkerLoad) -> usize,
    assign: impl Fn(&mut WorkerLoad, &T),
) {
    if workers.is_empty() {
        return;
    }
    let mut items = items.peekable();
    while items.peek().is_some() {
        let first = count(&workers[0]);
        let up_to = workers.iter().position(|w| count(w) > first).unwrap_or(workers.len());
        for worker in &mut workers[..up_to] {
            match items.next() {
                Some(item) => assign(worker, item),
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests;
