//! Connector and task states, in Kafka Connect's names and status shape.

use serde::Serialize;
use utoipa::ToSchema;

use crate::runtime::auto_restart::RestartStatus;

/// Kafka Connect's states (`AbstractStatus.State`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    Unassigned,
    Running,
    Paused,
    Stopped,
    Failed,
    Restarting,
    Destroyed,
}

/// The state of one connector or task, with the failure trace when FAILED and the version of the
/// connector or task instance behind it (Kafka 4.x, KIP-891; absent when no instance runs here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Status {
    pub state: State,
    pub worker_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl Status {
    pub fn new(state: State, worker_id: &str) -> Self {
        Status { state, worker_id: worker_id.to_owned(), trace: None, version: None }
    }

    pub fn failed(worker_id: &str, trace: String) -> Self {
        Status { state: State::Failed, worker_id: worker_id.to_owned(), trace: Some(trace), version: None }
    }

    /// The same status, naming the version of the instance behind it (an empty one counts as
    /// none, as Kafka leaves an empty version out).
    pub fn with_version(mut self, version: Option<String>) -> Self {
        self.version = version.filter(|v| !v.is_empty());
        self
    }
}

/// A task's status in `GET /connectors/{name}/status`: its id and state, and (our addition) its
/// automatic restarts when they are on for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TaskState {
    pub id: u32,
    #[serde(flatten)]
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restarts: Option<RestartStatus>,
}

/// `GET /connectors/{name}/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: Status,
    pub tasks: Vec<TaskState>,
    #[serde(rename = "type")]
    pub kind: String,
}
