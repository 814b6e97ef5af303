//! Distributed mode: workers sharing a `group.id` form a cluster through Kafka's group
//! coordinator, keep connector configs, offsets and statuses in three compacted topics, and split
//! connectors and tasks among themselves, all in Kafka Connect's wire and record formats.

pub mod config;
pub mod group;
pub mod rest_client;
pub mod wire;
