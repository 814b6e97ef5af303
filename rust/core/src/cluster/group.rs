//! Membership of a Kafka "classic" group with protocol type `connect`: what Kafka Connect's
//! `WorkerGroupMember` and `AbstractCoordinator` do. librdkafka runs consumer groups only, so the
//! requests (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup) are sent here with the
//! `kafka-protocol` crate's messages over [`wire::Connection`]s.
//!
//! The member's metadata and the leader's assignments are opaque bytes at this level; Connect's
//! encodings live in `protocol` and the choice of assignments in `assignor`. Heartbeats run on a
//! tokio task of their own, on a connection of their own, so that neither a long JoinGroup nor a
//! worker busy stopping tasks can starve them; when the coordinator asks for a rebalance, or the
//! member finds itself out of the group, the task says so through [`GroupMember::rejoin_needed`].
//!
//! [`wire::Connection`]: super::wire::Connection

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kafka_protocol::error::ResponseError;
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::{
    FindCoordinatorRequest, GroupId, HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, SyncGroupRequest,
};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::watch;
use tracing::{debug, info, warn};

use super::security::Security;
use super::wire::{bootstrap_addresses, Connection};
use crate::error::{Error, Result};

/// Kafka Connect's group protocol type.
pub const PROTOCOL_TYPE: &str = "connect";

/// Versions asked for: ones every Kafka 4.x broker keeps and librdkafka's mock cluster parses
/// correctly (its LeaveGroup handler reads the v0-2 layout whatever it advertises). The broker's
/// own range wins when it has dropped these (`Connection::version_for`).
const JOIN_GROUP_VERSION: i16 = 5;
const SYNC_GROUP_VERSION: i16 = 3;
const HEARTBEAT_VERSION: i16 = 3;
const LEAVE_GROUP_VERSION: i16 = 1;
const FIND_COORDINATOR_VERSION: i16 = 2;

/// How a worker takes part in the group: Kafka Connect's distributed worker keys.
#[derive(Debug, Clone)]
pub struct GroupSettings {
    pub bootstrap_servers: String,
    pub group_id: String,
    pub client_id: String,
    pub session_timeout: Duration,
    pub rebalance_timeout: Duration,
    pub heartbeat_interval: Duration,
    pub request_timeout: Duration,
    pub retry_backoff: Duration,
    /// TLS and SASL for every connection (`security.protocol`, `ssl.*`, `sasl.*`).
    pub security: Security,
}

/// The outcome of a JoinGroup: this member's place in the new generation. Only the leader gets
/// the members' metadata, and must compute everyone's assignment from it.
#[derive(Debug, Clone)]
pub struct Joined {
    pub generation: i32,
    pub member_id: String,
    pub leader_id: String,
    /// The protocol the broker chose for the whole group (e.g. `sessioned`).
    pub protocol: String,
    /// (member id, metadata of the chosen protocol), in the coordinator's order; empty unless leader.
    pub members: Vec<(String, Bytes)>,
}

impl Joined {
    pub fn is_leader(&self) -> bool {
        self.member_id == self.leader_id
    }
}

/// The generation the heartbeats are for, shared with the heartbeat task.
#[derive(Debug, Clone, Default)]
struct Current {
    coordinator: Option<String>,
    member_id: String,
    /// Set between a completed SyncGroup and the next JoinGroup.
    generation: Option<i32>,
}

/// One worker's membership in the group.
pub struct GroupMember {
    settings: GroupSettings,
    current: Arc<Mutex<Current>>,
    connection: Option<Connection>,
    rejoin: watch::Sender<Option<String>>,
    heartbeat: Option<tokio::task::JoinHandle<()>>,
}

fn code_error(code: i16) -> Option<ResponseError> {
    if code == 0 {
        None
    } else {
        ResponseError::try_from_code(code)
    }
}

fn describe(code: i16) -> String {
    match code_error(code) {
        Some(e) => format!("{e:?} ({code})"),
        None => format!("error code {code}"),
    }
}

/// Errors after which the coordinator must be looked up again.
fn coordinator_moved(code: i16) -> bool {
    matches!(
        code_error(code),
        Some(
            ResponseError::CoordinatorNotAvailable
                | ResponseError::NotCoordinator
                | ResponseError::CoordinatorLoadInProgress
        )
    )
}

fn strbytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_owned())
}

fn millis_i32(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

impl GroupMember {
    /// A member that has not joined yet. Must be used inside a tokio runtime.
    pub fn new(settings: GroupSettings) -> Self {
        let (rejoin, _) = watch::channel(None);
        GroupMember {
            settings,
            current: Arc::new(Mutex::new(Current::default())),
            connection: None,
            rejoin,
            heartbeat: None,
        }
    }

    pub fn settings(&self) -> &GroupSettings {
        &self.settings
    }

    /// This member's id in the group (empty before the first join).
    pub fn member_id(&self) -> String {
        self.lock().member_id.clone()
    }

    /// The current generation, once a SyncGroup completed and until the next join.
    pub fn generation(&self) -> Option<i32> {
        self.lock().generation
    }

    /// Changes to `Some(reason)` when the member must join again (rebalance started by the
    /// coordinator, generation lost, coordinator gone); back to `None` at the next join.
    pub fn rejoin_needed(&self) -> watch::Receiver<Option<String>> {
        self.rejoin.subscribe()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Finds the group's coordinator (asking each bootstrap broker in turn) and connects to it.
    async fn coordinator(&mut self) -> Result<&mut Connection> {
        if self.connection.is_none() {
            let connection = find_coordinator(&self.settings).await?;
            self.lock().coordinator = Some(connection.address().to_owned());
            self.connection = Some(connection);
        }
        Ok(self.connection.as_mut().expect("just set"))
    }

    fn drop_coordinator(&mut self) {
        self.connection = None;
        self.lock().coordinator = None;
    }

    /// Joins (or rejoins) the group offering `protocols` (name, metadata) in preference order.
    /// Retries until it succeeds, answering the coordinator's requests for a member id and
    /// finding a moved coordinator; fails only on errors no retry can fix.
    pub async fn join(&mut self, protocols: &[(String, Bytes)]) -> Result<Joined> {
        self.lock().generation = None;
        self.rejoin.send_replace(None);
        loop {
            match self.try_join(protocols).await {
                Ok(Some(joined)) => return Ok(joined),
                Ok(None) => continue,
                Err(Error::Retriable(reason)) => {
                    debug!(group = self.settings.group_id, "JoinGroup will be retried: {reason}");
                    tokio::time::sleep(self.settings.retry_backoff).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// One JoinGroup. `Ok(None)`: retry at once (a member id was assigned or reset).
    async fn try_join(&mut self, protocols: &[(String, Bytes)]) -> Result<Option<Joined>> {
        let settings = self.settings.clone();
        let member_id = self.member_id();
        let request = JoinGroupRequest::default()
            .with_group_id(GroupId(strbytes(&settings.group_id)))
            .with_session_timeout_ms(millis_i32(settings.session_timeout))
            .with_rebalance_timeout_ms(millis_i32(settings.rebalance_timeout))
            .with_member_id(strbytes(&member_id))
            .with_protocol_type(strbytes(PROTOCOL_TYPE))
            .with_protocols(
                protocols
                    .iter()
                    .map(|(name, metadata)| {
                        JoinGroupRequestProtocol::default().with_name(strbytes(name)).with_metadata(metadata.clone())
                    })
                    .collect(),
            );
        // The coordinator holds a JoinGroup until every member rejoined, up to the rebalance timeout.
        let timeout = settings.rebalance_timeout + settings.request_timeout;
        let connection = self.coordinator().await?;
        let answer = match connection.call(request, JOIN_GROUP_VERSION, timeout).await {
            Ok(answer) => answer,
            Err(e) => {
                self.drop_coordinator();
                return Err(e);
            }
        };
        match code_error(answer.error_code) {
            None => {}
            Some(ResponseError::MemberIdRequired) => {
                // KIP-394: the coordinator names our member id; join again with it.
                self.lock().member_id = answer.member_id.as_str().to_owned();
                return Ok(None);
            }
            Some(ResponseError::UnknownMemberId) => {
                self.lock().member_id.clear();
                return Ok(None);
            }
            Some(ResponseError::InconsistentGroupProtocol) => {
                return Err(Error::Connector(format!(
                    "Could not join group {}: its members use another protocol type than `{PROTOCOL_TYPE}` or share \
                     no `connect.protocol` with this worker (INCONSISTENT_GROUP_PROTOCOL). Is group.id used by \
                     consumers, or by workers with incompatible settings?",
                    settings.group_id
                )))
            }
            Some(ResponseError::GroupAuthorizationFailed) => {
                return Err(Error::Connector(format!("Not authorized to join group {}", settings.group_id)))
            }
            Some(_) if coordinator_moved(answer.error_code) => {
                self.drop_coordinator();
                return Err(Error::Retriable(format!("JoinGroup: {}", describe(answer.error_code))));
            }
            Some(_) => return Err(Error::Retriable(format!("JoinGroup: {}", describe(answer.error_code)))),
        }
        let joined = Joined {
            generation: answer.generation_id,
            member_id: answer.member_id.as_str().to_owned(),
            leader_id: answer.leader.as_str().to_owned(),
            protocol: answer.protocol_name.as_ref().map(|p| p.as_str().to_owned()).unwrap_or_default(),
            members: answer.members.iter().map(|m| (m.member_id.as_str().to_owned(), m.metadata.clone())).collect(),
        };
        self.lock().member_id = joined.member_id.clone();
        info!(
            group = settings.group_id,
            generation = joined.generation,
            member = joined.member_id,
            leader = joined.leader_id,
            protocol = joined.protocol,
            "joined group"
        );
        Ok(Some(joined))
    }

    /// Sends this member's SyncGroup (the leader with everyone's assignment) and returns its own
    /// assignment; `None` when the generation ended meanwhile and the member must join again.
    pub async fn sync(&mut self, joined: &Joined, assignments: Vec<(String, Bytes)>) -> Result<Option<Bytes>> {
        let settings = self.settings.clone();
        let request = SyncGroupRequest::default()
            .with_group_id(GroupId(strbytes(&settings.group_id)))
            .with_generation_id(joined.generation)
            .with_member_id(strbytes(&joined.member_id))
            .with_assignments(
                assignments
                    .into_iter()
                    .map(|(member, bytes)| {
                        SyncGroupRequestAssignment::default().with_member_id(strbytes(&member)).with_assignment(bytes)
                    })
                    .collect(),
            );
        let timeout = settings.rebalance_timeout + settings.request_timeout;
        let connection = self.coordinator().await?;
        let answer = match connection.call(request, SYNC_GROUP_VERSION, timeout).await {
            Ok(answer) => answer,
            Err(e) => {
                warn!(group = settings.group_id, "SyncGroup failed, rejoining: {e}");
                self.drop_coordinator();
                return Ok(None);
            }
        };
        match code_error(answer.error_code) {
            None => {
                {
                    let mut current = self.lock();
                    current.generation = Some(joined.generation);
                    current.member_id = joined.member_id.clone();
                }
                self.ensure_heartbeats();
                Ok(Some(answer.assignment))
            }
            Some(ResponseError::UnknownMemberId) => {
                self.lock().member_id.clear();
                Ok(None)
            }
            Some(ResponseError::GroupAuthorizationFailed) => {
                Err(Error::Connector(format!("Not authorized to join group {}", settings.group_id)))
            }
            // REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, a moved coordinator, and the mock
            // cluster's INVALID_REQUEST to a follower whose SyncGroup came after the leader's.
            Some(_) => {
                debug!(group = settings.group_id, "SyncGroup: {}; rejoining", describe(answer.error_code));
                if coordinator_moved(answer.error_code) {
                    self.drop_coordinator();
                }
                Ok(None)
            }
        }
    }

    /// Leaves the group so that the others rebalance at once instead of after the session
    /// timeout. Best effort: errors are logged.
    pub async fn leave(&mut self) {
        if let Some(heartbeat) = self.heartbeat.take() {
            heartbeat.abort();
        }
        let member_id = {
            let mut current = self.lock();
            current.generation = None;
            std::mem::take(&mut current.member_id)
        };
        if member_id.is_empty() {
            return;
        }
        let settings = self.settings.clone();
        let Some(connection) = self.connection.as_mut() else { return };
        let version = match connection.version_for::<LeaveGroupRequest>(LEAVE_GROUP_VERSION) {
            Ok(version) => version,
            Err(e) => return warn!(group = settings.group_id, "cannot leave the group: {e}"),
        };
        let mut request = LeaveGroupRequest::default().with_group_id(GroupId(strbytes(&settings.group_id)));
        // v3 replaced the member id by a list of members.
        if version >= 3 {
            request = request.with_members(vec![MemberIdentity::default().with_member_id(strbytes(&member_id))]);
        } else {
            request = request.with_member_id(strbytes(&member_id));
        }
        match connection.call(request, version, settings.request_timeout).await {
            Ok(answer) if answer.error_code == 0 => info!(group = settings.group_id, member = member_id, "left group"),
            Ok(answer) => warn!(group = settings.group_id, "LeaveGroup: {}", describe(answer.error_code)),
            Err(e) => warn!(group = settings.group_id, "LeaveGroup failed: {e}"),
        }
    }

    fn ensure_heartbeats(&mut self) {
        if self.heartbeat.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        let task = heartbeat_loop(self.settings.clone(), self.current.clone(), self.rejoin.clone());
        self.heartbeat = Some(tokio::spawn(task));
    }
}

impl Drop for GroupMember {
    fn drop(&mut self) {
        if let Some(heartbeat) = self.heartbeat.take() {
            heartbeat.abort();
        }
    }
}

async fn find_coordinator(settings: &GroupSettings) -> Result<Connection> {
    let mut last_error = None;
    for address in bootstrap_addresses(&settings.bootstrap_servers) {
        match ask_coordinator(settings, &address).await {
            Ok(connection) => return Ok(connection),
            Err(e) => last_error = Some(e),
        }
    }
    Err(last_error.unwrap_or_else(|| Error::config("bootstrap.servers", "no broker address given")))
}

async fn ask_coordinator(settings: &GroupSettings, address: &str) -> Result<Connection> {
    let timeout = settings.request_timeout;
    let mut broker = Connection::open(address, &settings.client_id, &settings.security, timeout).await?;
    let version = broker.version_for::<FindCoordinatorRequest>(FIND_COORDINATOR_VERSION)?;
    let mut request = FindCoordinatorRequest::default();
    // v4 batches keys; the group's key type is 0 in both layouts.
    if version >= 4 {
        request = request.with_coordinator_keys(vec![strbytes(&settings.group_id)]);
    } else {
        request = request.with_key(strbytes(&settings.group_id));
    }
    let answer = broker.call(request, version, timeout).await?;
    let (code, host, port) = match answer.coordinators.first() {
        Some(c) if version >= 4 => (c.error_code, c.host.as_str().to_owned(), c.port),
        _ => (answer.error_code, answer.host.as_str().to_owned(), answer.port),
    };
    if code != 0 {
        return Err(Error::Retriable(format!("FindCoordinator for group {}: {}", settings.group_id, describe(code))));
    }
    let coordinator = format!("{host}:{port}");
    if coordinator == broker.address() {
        return Ok(broker);
    }
    Connection::open(&coordinator, &settings.client_id, &settings.security, timeout).await
}

/// Sends a heartbeat every `heartbeat.interval.ms` while the member has a generation. Asks for a
/// rejoin when the coordinator says so, or when no heartbeat succeeded for a whole session.
async fn heartbeat_loop(settings: GroupSettings, current: Arc<Mutex<Current>>, rejoin: watch::Sender<Option<String>>) {
    let mut connection: Option<Connection> = None;
    let mut last_ok = Instant::now();
    let mut ticker = tokio::time::interval(settings.heartbeat_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let snapshot = current.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let (Some(generation), Some(coordinator)) = (snapshot.generation, snapshot.coordinator) else {
            last_ok = Instant::now();
            continue;
        };
        if connection.as_ref().is_none_or(|c| c.address() != coordinator) {
            connection =
                Connection::open(&coordinator, &settings.client_id, &settings.security, settings.request_timeout)
                    .await
                    .ok();
        }
        let outcome = match connection.as_mut() {
            Some(c) => {
                let request = HeartbeatRequest::default()
                    .with_group_id(GroupId(strbytes(&settings.group_id)))
                    .with_generation_id(generation)
                    .with_member_id(strbytes(&snapshot.member_id));
                c.call(request, HEARTBEAT_VERSION, settings.request_timeout).await.map(|a| a.error_code)
            }
            None => Err(Error::Retriable(format!("no connection to the coordinator {coordinator}"))),
        };
        let reason = match outcome {
            Ok(0) => {
                last_ok = Instant::now();
                continue;
            }
            Ok(code) => {
                if matches!(code_error(code), Some(ResponseError::UnknownMemberId)) {
                    current.lock().unwrap_or_else(|p| p.into_inner()).member_id.clear();
                }
                format!("heartbeat: {}", describe(code))
            }
            Err(e) => {
                connection = None;
                if last_ok.elapsed() < settings.session_timeout {
                    debug!(group = settings.group_id, "heartbeat failed: {e}");
                    continue;
                }
                format!("no heartbeat succeeded for {} ms: {e}", settings.session_timeout.as_millis())
            }
        };
        // The generation is over for this member: stop heartbeating it and ask for a rejoin.
        {
            let mut state = current.lock().unwrap_or_else(|p| p.into_inner());
            if state.generation == Some(generation) {
                state.generation = None;
            }
        }
        info!(group = settings.group_id, "rejoin needed: {reason}");
        rejoin.send_replace(Some(reason));
    }
}
