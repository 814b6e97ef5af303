//! A connector's transform chain: Kafka's `transforms`/`predicates` config model, and applying
//! the stages in order (Kafka's `TransformationChain` and `TransformationStage`).

use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::transforms::Record;

/// The configured stages of one task, in `transforms` order.
pub struct TransformChain {
    // Filled in by the chain's implementation.
}

impl TransformChain {
    /// The chain a connector config describes (`transforms`, `transforms.<alias>.*`,
    /// `predicates`, `predicates.<alias>.*`), with Kafka's built-ins only; errors name the full key.
    pub fn from_config(config: &Config) -> Result<Self> {
        let _ = config;
        Err(Error::config("transforms", "transforms are not built yet"))
    }

    /// Applies every stage whose predicate matches (`negate` inverts it), in order; `None` when
    /// a stage dropped the record. An error is the record's failure in stage `TRANSFORMATION`.
    pub fn apply(&mut self, record: Record) -> Result<Option<Record>> {
        Ok(Some(record))
    }
}
