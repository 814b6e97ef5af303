//! ferroconnect's runtime: Kafka Connect's model (connectors, tasks, converters, offsets) over
//! librdkafka. This crate never names Python: the bindings in `rust/python` implement its traits.

pub mod cluster;
pub mod config;
pub mod connectors;
pub mod convert;
pub mod data;
pub mod error;
pub mod errors;
pub mod kafka;
pub mod logging;
pub mod metrics;
pub mod offsets;
pub mod rest;
pub mod runtime;
pub mod transforms;

pub use error::{Error, Result};

/// The version of ferroconnect (shared by the crate, the wheel and the CLI).
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
