//! Distributed mode: the group client, Connect's protocol and assignor, the internal-topic stores and the herder.

pub mod config_records;
pub mod config_topic;
pub mod kafka_log;
pub mod status_topic;
pub mod topic_setup;
