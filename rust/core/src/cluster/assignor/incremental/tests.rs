//! Ports of Kafka's `IncrementalCooperativeAssignorTest` (each test named after the Java test it
//! ports), the worked example of `distributed.md` §2, and protocol-level checks in the manner of
//! `WorkerCoordinatorIncrementalTest`.

mod harness;
mod leader;
mod rebalances;
mod units;
