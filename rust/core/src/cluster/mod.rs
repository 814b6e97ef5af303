//! Distributed mode: how workers form a Kafka Connect group. Today it holds the pure parts that
//! must be byte- and decision-compatible with Java workers in the same group: the codec of the
//! `connect` group protocol (`protocol`) and the leader's assignors (`assignor`). The group
//! client, the internal topic stores and the distributed herder build on them.

pub mod assignor;
pub mod protocol;
