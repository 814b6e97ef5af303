//! A connector's transform chain: building one task's stages from its connector config (Kafka's
//! `ConnectorConfig.transformationStages`) and applying them in order (Kafka's
//! `TransformationChain` and `TransformationStage`).
//!
//! A stage runs on a record iff it has no predicate, or `negate XOR predicate.test(record)`. A
//! stage that returns `None` drops the record: the later stages never see it. A failure ends the
//! record's way too, and is reported with the transform's class, as Kafka reports every failure of
//! a stage (its predicate's included) under `TransformationStage.transformClass()`.
//!
//! The chain applies each stage to the whole batch at once (the records its predicate selects), so
//! a transform written in Python is called once per batch, not once per record.

use std::sync::Arc;

use crate::config::ConfigDef;
use crate::error::{Error, Result};
use crate::errors::ErrorReporter;
use crate::runtime::plugin::{Config, PluginDesc, ReportedError};
use crate::transforms::config::{self, make_predicate, make_transform, stage_specs, PREDICATES, TRANSFORMS};
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

/// Retries a stage that failed on a record with a retriable error, as Kafka's
/// `RetryWithToleranceOperator` does (`errors.retry.timeout`, `errors.retry.delay.max.ms`).
pub trait RetryPolicy: Send + Sync {
    /// Whether any retry is allowed: the chain keeps a copy of each record for its retries only then.
    fn retries(&self) -> bool;
    /// Called after a first attempt failed with `Error::Retriable(reason)`: runs `attempt` again,
    /// with back-off, until it succeeds, fails otherwise, or the retry time is up (its last error).
    fn retry(&self, reason: String, attempt: &mut dyn FnMut() -> Result<Option<Record>>) -> Result<Option<Record>>;
}

impl RetryPolicy for ErrorReporter {
    fn retries(&self) -> bool {
        ErrorReporter::retries(self)
    }

    fn retry(&self, reason: String, attempt: &mut dyn FnMut() -> Result<Option<Record>>) -> Result<Option<Record>> {
        // The first attempt's failure counts as the first call, so the back-off starts with it.
        let mut first = Some(Err(Error::Retriable(reason)));
        ErrorReporter::retry(self, || first.take().unwrap_or_else(&mut *attempt))
    }
}

/// A record that failed in a stage: the error and the class of the stage's transform, for the
/// error reporters (`__connect.errors.class.name`).
#[derive(Debug)]
pub struct StageFailure {
    pub class: String,
    pub error: Error,
}

impl StageFailure {
    /// The failure as the error reporters show it: Kafka's exception class for the error's kind,
    /// its message, and a trace that starts with both.
    pub fn reported(&self) -> ReportedError {
        let class_name = match &self.error {
            Error::Data(_) => "org.apache.kafka.connect.errors.DataException",
            Error::Config { .. } | Error::ConfigErrors(_) => "org.apache.kafka.common.config.ConfigException",
            Error::Retriable(_) => "org.apache.kafka.connect.errors.RetriableException",
            _ => "org.apache.kafka.connect.errors.ConnectException",
        };
        let message = self.error.to_string();
        ReportedError { class_name: class_name.to_owned(), trace: format!("{class_name}: {message}"), message }
    }
}

/// A stage's predicate, and its `negate`.
pub type StagePredicate = (Box<dyn Predicate>, bool);

/// Records on their way through the chain, each with its index in the batch, in order.
type Indexed = Vec<(usize, Record)>;

/// One stage: a transform, and the predicate that decides whether it runs.
struct Stage {
    class: String,
    transform: Box<dyn Transformation>,
    predicate: Option<StagePredicate>,
}

/// The configured stages of one task, in `transforms` order.
#[derive(Default)]
pub struct TransformChain {
    stages: Vec<Stage>,
    /// Retries of retriable failures; none without one.
    retry: Option<Arc<dyn RetryPolicy>>,
}

/// What happened to one record in the chain.
pub type Outcome = std::result::Result<Option<Record>, StageFailure>;

impl TransformChain {
    /// The chain a connector config describes (`transforms`, `transforms.<alias>.*`,
    /// `predicates`, `predicates.<alias>.*`); built-ins first, then `loader`; errors name the
    /// full key. Each stage gets a predicate of its own, as in Kafka.
    pub fn from_config(config: &Config, loader: Option<&dyn TransformLoader>) -> Result<Self> {
        let mut chain = TransformChain::default();
        for spec in stage_specs(config)? {
            let prefix = config::prefix(TRANSFORMS, &spec.alias);
            let transform = make_transform(&spec.class, &spec.config, &prefix, loader)?;
            let predicate = match &spec.predicate {
                None => None,
                Some(p) => {
                    let prefix = config::prefix(PREDICATES, &p.alias);
                    match make_predicate(&p.class, &p.config, &prefix, loader) {
                        Ok(predicate) => Some((predicate, spec.negate)),
                        Err(e) => {
                            let mut transform = transform;
                            transform.close();
                            return Err(e);
                        }
                    }
                }
            };
            chain.stages.push(Stage { class: spec.class, transform, predicate });
        }
        Ok(chain)
    }

    /// A chain of ready-made stages (tests and native users): `(class, transform, predicate and
    /// negate)`.
    pub fn from_stages(stages: Vec<(String, Box<dyn Transformation>, Option<StagePredicate>)>) -> Self {
        let stages =
            stages.into_iter().map(|(class, transform, predicate)| Stage { class, transform, predicate }).collect();
        TransformChain { stages, retry: None }
    }

    /// Retries retriable failures of a stage with `policy` (the task's `errors.retry.*`).
    pub fn set_retry(&mut self, policy: Arc<dyn RetryPolicy>) {
        self.retry = Some(policy);
    }

    /// Whether the chain has no stage (the runtime then skips it entirely).
    pub fn is_empty(&self) -> bool {
        self.stages.is_empty()
    }

    /// Applies every stage whose predicate matches (`negate` inverts it), in order, one outcome
    /// per record, in the records' order: the record, `None` when a stage dropped it, or the
    /// stage's failure.
    pub fn apply_batch(&mut self, records: Vec<Record>) -> Vec<Outcome> {
        let total = records.len();
        if self.stages.is_empty() {
            return records.into_iter().map(|r| Ok(Some(r))).collect();
        }
        // Records still on their way, with their index in the batch, in order.
        let mut live: Indexed = records.into_iter().enumerate().collect();
        // Records that left the chain early (dropped or failed), by index.
        let mut ended: Vec<(usize, Outcome)> = Vec::new();
        let retry = self.retry.as_deref().filter(|r| r.retries());
        for stage in &mut self.stages {
            if live.is_empty() {
                break;
            }
            live = stage.apply(std::mem::take(&mut live), &mut ended, retry);
        }
        let mut outcomes: Vec<Option<Outcome>> = (0..total).map(|_| None).collect();
        for (index, record) in live {
            outcomes[index] = Some(Ok(Some(record)));
        }
        for (index, outcome) in ended {
            outcomes[index] = Some(outcome);
        }
        outcomes.into_iter().map(|o| o.expect("every record has an outcome")).collect()
    }

    /// Closes every stage's transform and predicate (once; the chain is empty afterwards).
    pub fn close(&mut self) {
        for mut stage in self.stages.drain(..) {
            stage.transform.close();
            if let Some((predicate, _)) = &mut stage.predicate {
                predicate.close();
            }
        }
    }
}

impl Drop for TransformChain {
    fn drop(&mut self) {
        self.close();
    }
}

impl Stage {
    /// Applies the stage to the records its predicate selects; the others pass unchanged. Returns
    /// the records that go on, in order; those dropped or failed go to `ended`.
    fn apply(&mut self, live: Indexed, ended: &mut Vec<(usize, Outcome)>, retry: Option<&dyn RetryPolicy>) -> Indexed {
        let (selected, passed): (Indexed, Indexed) = match &mut self.predicate {
            None => (live, Vec::new()),
            Some((predicate, negate)) => {
                let mut selected = Vec::with_capacity(live.len());
                let mut passed = Vec::new();
                let mut failed = Vec::new();
                let records: Vec<&Record> = live.iter().map(|(_, r)| r).collect();
                let mut tested = predicate.test_batch(&records);
                // One outcome per record, whatever the predicate answered.
                tested.resize_with(live.len(), || {
                    Err(Error::Connector(format!("the predicate of transform {} left a record untested", self.class)))
                });
                for ((index, record), tested) in live.into_iter().zip(tested) {
                    match tested {
                        Ok(matched) if matched != *negate => selected.push((index, record)),
                        Ok(_) => passed.push((index, record)),
                        Err(error) => failed.push((index, record, error)),
                    }
                }
                // Retried (the whole stage, as Kafka), or the record's failure.
                for (index, record, error) in failed {
                    match self.retried(record, error, retry) {
                        Ok(Some(record)) => passed.push((index, record)),
                        Ok(None) => ended.push((index, Ok(None))),
                        Err(error) => ended.push((index, Err(StageFailure { class: self.class.clone(), error }))),
                    }
                }
                passed.sort_by_key(|(index, _)| *index);
                (selected, passed)
            }
        };
        if selected.is_empty() {
            return passed;
        }
        let (indices, records): (Vec<usize>, Vec<Record>) = selected.into_iter().unzip();
        // Kept only when retries are configured: a failed record must be given to the stage again.
        let mut originals = retry.map(|_| records.clone()).unwrap_or_default();
        let mut outcomes = self.transform.apply_batch(records);
        // A transform that answers for fewer or more records than it was given breaks the
        // contract; the records it left without an answer fail rather than vanish.
        if outcomes.len() != indices.len() {
            let message = format!(
                "transform {} returned {} outcomes for a batch of {} records",
                self.class,
                outcomes.len(),
                indices.len()
            );
            outcomes.truncate(indices.len());
            outcomes.resize_with(indices.len(), || Err(Error::Connector(message.clone())));
        }
        let mut transformed = Vec::with_capacity(indices.len());
        for (n, (index, outcome)) in indices.into_iter().zip(outcomes).enumerate() {
            let outcome = match (outcome, originals.get_mut(n)) {
                (Err(error @ Error::Retriable(_)), Some(original)) => {
                    self.retried(std::mem::replace(original, Record::new("", crate::data::Value::Null)), error, retry)
                }
                (outcome, _) => outcome,
            };
            match outcome {
                Ok(Some(record)) => transformed.push((index, record)),
                Ok(None) => ended.push((index, Ok(None))),
                Err(error) => ended.push((index, Err(StageFailure { class: self.class.clone(), error }))),
            }
        }
        merge_by_index(transformed, passed)
    }

    /// The stage on one record again after `error`, while `retry` allows (only a retriable error
    /// is retried); else `error`.
    fn retried(&mut self, record: Record, error: Error, retry: Option<&dyn RetryPolicy>) -> Result<Option<Record>> {
        let (Some(retry), Error::Retriable(reason)) = (retry, &error) else { return Err(error) };
        retry.retry(reason.clone(), &mut || self.once(record.clone()))
    }

    /// The stage on one record: Kafka's `TransformationStage.apply`.
    fn once(&mut self, record: Record) -> Result<Option<Record>> {
        if let Some((predicate, negate)) = &mut self.predicate {
            if predicate.test(&record)? == *negate {
                return Ok(Some(record));
            }
        }
        self.transform.apply(record)
    }
}

/// Merges two lists sorted by index into one.
fn merge_by_index(a: Indexed, b: Indexed) -> Indexed {
    if b.is_empty() {
        return a;
    }
    if a.is_empty() {
        return b;
    }
    let mut merged = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let take_a = match (a.peek(), b.peek()) {
            (Some((i, _)), Some((j, _))) => i < j,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return merged,
        };
        merged.push(if take_a { a.next() } else { b.next() }.expect("peeked"));
    }
}

#[cfg(test)]
mod tests;
