//! A connector's transform chain: Kafka's `transforms`/`predicates` config model, and applying
//! the stages in order (Kafka's `TransformationChain` and `TransformationStage`).

use crate::config::ConfigDef;
use crate::error::{Error, Result};
use crate::runtime::plugin::{Config, PluginDesc};
use crate::transforms::{Predicate, Record, Transformation};

/// Finds the transforms and predicates that are not built in (the bindings' Python classes).
/// Built-ins are looked up first, by [`crate::transforms::builtin`].
pub trait TransformLoader: Send + Sync {
    /// A configured transform of class `class`, or `None` when this loader does not know it.
    fn transform(&self, class: &str, config: &Config) -> Option<Result<Box<dyn Transformation>>>;
    /// The ConfigDef of transform class `class`, or `None` when this loader does not know it.
    fn transform_config_def(&self, class: &str) -> Option<Result<ConfigDef>>;
    /// A configured predicate of class `class`, or `None` when this loader does not know it.
    fn predicate(&self, class: &str, config: &Config) -> Option<Result<Box<dyn Predicate>>>;
    /// The ConfigDef of predicate class `class`, or `None` when this loader does not know it.
    fn predicate_config_def(&self, class: &str) -> Option<Result<ConfigDef>>;
    /// The transforms and predicates it can find (for `GET /connector-plugins`).
    fn plugins(&self) -> Vec<PluginDesc>;
}

/// A record that failed in a stage: the error and the class of the transform (or predicate) that
/// raised it, for the error reporters (`__connect.errors.class.name`).
#[derive(Debug)]
pub struct StageFailure {
    pub class: String,
    pub error: Error,
}

/// The configured stages of one task, in `transforms` order.
pub struct TransformChain {
    // Filled in by the chain's implementation.
}

impl TransformChain {
    /// The chain a connector config describes (`transforms`, `transforms.<alias>.*`,
    /// `predicates`, `predicates.<alias>.*`); built-ins first, then `loader`; errors name the
    /// full key.
    pub fn from_config(config: &Config, loader: Option<&dyn TransformLoader>) -> Result<Self> {
        let _ = (config, loader);
        Err(Error::config("transforms", "transforms are not built yet"))
    }

    /// Whether the chain has no stage (the runtime then skips it entirely).
    pub fn is_empty(&self) -> bool {
        true
    }

    /// Applies every stage whose predicate matches (`negate` inverts it), in order, one outcome
    /// per record: the record, `None` when a stage dropped it, or the stage's failure.
    pub fn apply_batch(&mut self, records: Vec<Record>) -> Vec<std::result::Result<Option<Record>, StageFailure>> {
        records.into_iter().map(|r| Ok(Some(r))).collect()
    }

    /// Closes every stage's transform and predicate.
    pub fn close(&mut self) {}
}
