//! Distributed mode: workers sharing a `group.id` form a cluster through Kafka's group
//! coordinator, keep connector configs, offsets and statuses in three compacted topics, and split
//! connectors and tasks among themselves, all in Kafka Connect's wire and record formats.
//!
//! - `protocol`: the codec of the `connect` group protocol (byte-compatible with Java workers);
//! - `assignor`: the leader's choice of assignments (Kafka's eager and incremental cooperative);
//! - `group` over `wire`: the group membership client, its connections secured by `security`
//!   (the worker's `security.protocol`, `ssl.*`, `sasl.*`) through `tls` and `sasl`;
//! - `kafka_log`, `topic_setup`, `config_records`, `config_topic`, `status_topic`: the internal
//!   topics and their record formats, `offsets_topic` the offset store of distributed mode;
//! - `config`: the distributed worker keys; `herder` and `requests`: the distributed herder and
//!   what the REST API asks of it; `rest_client`: requests between workers.

pub mod assignor;
pub mod config;
pub mod config_records;
pub mod config_topic;
pub mod fencing;
pub mod group;
pub mod herder;
pub mod kafka_log;
pub mod offsets_topic;
pub mod protocol;
pub mod requests;
pub mod rest_client;
pub(crate) mod sasl;
pub mod security;
pub mod status_topic;
pub(crate) mod tls;
pub mod topic_setup;
pub mod wire;
