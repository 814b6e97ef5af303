//! The runtime: connectors and tasks (as traits), the task threads that drive them, and the worker
//! that runs them.

pub mod auto_restart;
pub mod cluster_requests;
pub mod config_store;
pub mod connector_config;
pub mod entities;
pub mod exactly_once;
pub mod herder;
mod herder_offsets;
pub mod plugin;
pub mod record;
pub mod sink_record;
pub mod sink_task;
pub mod source_task;
pub mod status;
pub mod submitted;
pub mod task_control;
pub mod topics;
pub mod transaction_context;
mod validation;
pub mod worker;
pub mod worker_config;
