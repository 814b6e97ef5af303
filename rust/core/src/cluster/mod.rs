//! Distributed mode: workers sharing a `group.id` form a cluster through Kafka's group
//! coordinator, keep connector configs, offsets and statuses in three compacted topics, and split
//! connectors and tasks among themselves, all in Kafka Connect's wire and record formats.
//!
//! `protocol` is the codec of the `connect` group protocol (byte-compatible with Java workers in
//! the same group), `assignor` the leader's choice of assignments (Kafka's eager and incremental
//! cooperative assignors), `group` the group membership client over `wire`, `config` the
//! distributed worker keys, `rest_client` the requests between workers.

pub mod assignor;
pub mod config;
pub mod group;
pub mod protocol;
pub mod rest_client;
pub mod wire;
