//! Distributed mode: how workers form a Kafka Connect group. Today it holds the pure parts that
//! must be byte-compatible with Java workers in the same group: the codec of the `connect` group
//! protocol (`protocol`). The group client, the internal topic stores and the distributed herder
//! build on it.

pub mod protocol;
