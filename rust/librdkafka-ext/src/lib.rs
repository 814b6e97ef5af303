//! The few librdkafka calls the runtime needs that rust-rdkafka does not expose.
//!
//! # Why this crate holds unsafe code
//!
//! Every other crate of the workspace forbids unsafe code (`[workspace.lints]`). This one is the
//! exception, kept to the librdkafka calls that need it, each with its safety argument, and run
//! under valgrind memcheck by `scripts/test`:
//!
//! - [`FetchQueue`]: a sink consumer's messages taken 500 at a time (`rd_kafka_consume_batch_queue`)
//!   from a queue that carries fetched messages only (`fetch_queue.rs`);
//! - [`request_broker_metadata`]: a Metadata request for the brokers alone, which an idempotent
//!   producer needs to get its producer id promptly (`metadata.rs`);
//! - [`TopicHandle`]: records sent through a topic handle kept for the producer's life, instead of
//!   the topic's name copied and looked up per record (`produce.rs`).

mod fetch_queue;
mod metadata;
mod produce;

pub use fetch_queue::{FetchQueue, FetchedMessage};
pub use metadata::request_broker_metadata;
pub use produce::{Produce, TopicHandle};
