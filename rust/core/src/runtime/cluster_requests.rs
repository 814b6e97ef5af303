//! What the herder asks of the cluster in distributed mode. `cluster::herder::Cluster` implements
//! it; the trait lives here so that `runtime` (below) never names `cluster` (above): the herder
//! holds an `Arc<dyn ClusterRequests>` and, in standalone mode, none.
//!
//! Each method answers one REST request with Kafka Connect's distributed rules: reads from this
//! worker's view of the internal topics, writes by the leader (an [`Error::Forward`] otherwise),
//! restarts where the work runs.
//!
//! [`Error::Forward`]: crate::error::Error::Forward

use crate::error::Result;
use crate::runtime::entities::ConnectorInfo;
use crate::runtime::herder::Herder;
use crate::runtime::plugin::Config;
use crate::runtime::status::{ConnectorStateInfo, TaskState};
use crate::runtime::worker::{TargetState, Worker};

/// A signature on an internal request, as its headers carry it (KIP-507).
pub struct RequestSignature {
    pub algorithm: Option<String>,
    pub signature: Option<String>,
}

/// A worker of a cluster, as the herder and the REST API use it.
pub trait ClusterRequests: Send + Sync {
    /// The worker that runs what the group assigns here.
    fn worker(&self) -> &Worker;
    fn connectors(&self) -> Vec<String>;
    fn connector_config(&self, name: &str) -> Option<Config>;
    fn target_state(&self, name: &str) -> Option<TargetState>;
    fn task_configs(&self, name: &str) -> Option<Vec<Config>>;
    fn status(&self, herder: &Herder, name: &str) -> Result<ConnectorStateInfo>;
    fn task_status(&self, name: &str, task: u32) -> Result<TaskState>;
    /// Creates (`allow_replace` false: 409 if it exists) or replaces a connector's config; true
    /// if it was created.
    fn put_connector_config(
        &self,
        herder: &Herder,
        name: &str,
        config: Config,
        allow_replace: bool,
        initial: Option<TargetState>,
    ) -> Result<(bool, ConnectorInfo)>;
    fn delete_connector(&self, name: &str) -> Result<()>;
    /// Pause (PAUSED) or resume (STARTED).
    fn set_target_state(&self, name: &str, target: TargetState) -> Result<()>;
    fn stop_connector(&self, name: &str) -> Result<()>;
    fn restart_plan(
        &self,
        herder: &Herder,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<ConnectorStateInfo>;
    fn restart_connector(&self, name: &str) -> Result<()>;
    fn restart_task(&self, name: &str, task: u32) -> Result<()>;
    /// The internal `POST /connectors/{c}/tasks` (task configs for the leader to write).
    fn put_task_configs(&self, name: &str, body: &[u8], signature: RequestSignature) -> Result<()>;
    /// The internal `PUT /connectors/{c}/fence`: a round of zombie fencing by the leader
    /// (exactly-once sources).
    fn fence_zombies(&self, name: &str, signature: RequestSignature) -> Result<()>;
    fn active_topics(&self, name: &str) -> Vec<String>;
    fn reset_active_topics(&self, name: &str);
    /// Offsets may change now (leader, caught up), or where to forward the request.
    fn check_offsets_change(&self) -> Result<()>;
    /// Reads the offsets topic to its end, for a read that sees other workers' writes.
    fn refresh_offsets(&self) -> Result<()>;
    /// Stops what runs here, marks it UNASSIGNED and leaves the group.
    fn stop(&self);
}
