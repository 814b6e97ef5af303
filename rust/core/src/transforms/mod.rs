//! Single message transforms and predicates (Kafka Connect's SMTs, KIP-66 and KIP-585).
//!
//! - `record.rs`: [`Record`], what a transform sees (Kafka's `ConnectRecord`): source records
//!   before their converters, sink records after theirs.
//! - `builtin.rs`: the table of Kafka's own transforms and predicates, native here, under Kafka's
//!   class names; each lives in a module of its own below.
//! - `side.rs`: what `$Key`/`$Value` variants share (the side they work on, Kafka's checks).
//! - `config.rs`: the `transforms`/`predicates` config model, shared by the runtime and validation.
//! - `chain.rs`: one task's chain of stages and how it applies them.
//! - `validate.rs`: what the REST validate endpoint shows for those keys (Kafka's `ConnectorConfig.enrich`).
//! - One module per built-in (`extract_field.rs`, `insert_field.rs`, ..., `predicates.rs`), and
//!   what they share: `simple_config.rs` and `validators.rs` (their configs, with Kafka's
//!   messages), `schema_cache.rs` (derived schemas, cached per instance as Kafka does),
//!   `schema_basics.rs` (`copySchemaBasics`, schemaless map access), `field_path.rs` (KIP-821
//!   paths), `java_regex.rs` (Java's regex) and `date_format.rs` (Java's `SimpleDateFormat`).
//!   `cast.rs`, `flatten.rs`, `mask_field.rs`, `replace_field.rs`, `set_schema_metadata.rs` and
//!   `timestamp_converter.rs` share `config_util.rs`, `schema_util.rs`, `date_format.rs` and
//!   `java_number.rs`.
//!
//! A transform is configured once per task and applied to one record at a time; it keeps its
//! own caches (Kafka's transforms cache the schemas they derive), hence `&mut self`.

pub mod builtin;
pub mod cast;
pub mod chain;
pub mod config;
mod config_util;
mod date_format;
pub mod flatten;
mod java_number;
pub mod mask_field;
pub mod record;
pub mod replace_field;
mod schema_util;
pub mod set_schema_metadata;
pub mod side;
pub mod validate;

// Kafka's built-ins (smt-t2): transforms, predicates and what they share.
mod drop_headers;
mod extract_field;
mod field_path;
mod filter;
mod header_from;
mod hoist_field;
mod insert_field;
mod insert_header;
mod java_regex;
mod predicates;
mod regex_router;
mod schema_basics;
mod schema_cache;
mod simple_config;
mod timestamp_router;
mod validators;
mod value_to_key;

// Kafka's built-ins (smt-t1).
#[cfg(test)]
mod test_util;
pub mod timestamp_converter;

pub use chain::TransformChain;
pub use record::Record;

use crate::error::Result;
use crate::runtime::plugin::Config;

/// A configured transform (Kafka's `Transformation`).
pub trait Transformation: Send {
    /// The transformed record, or `None` to drop it (the rest of the chain is skipped). An
    /// error is the record's failure in stage `TRANSFORMATION`, which `errors.tolerance` decides.
    fn apply(&mut self, record: Record) -> Result<Option<Record>>;

    /// Applies the transform to several records at once, one outcome per record in order. A
    /// transform that gains from batches (a Python one with `apply_batch`) overrides it.
    fn apply_batch(&mut self, records: Vec<Record>) -> Vec<Result<Option<Record>>> {
        records.into_iter().map(|r| self.apply(r)).collect()
    }

    /// Frees what the transform holds (Kafka's `close`); called once when its task stops.
    fn close(&mut self) {}
}

/// A configured predicate (Kafka's `Predicate`): whether a transform applies to a record.
pub trait Predicate: Send {
    fn test(&mut self, record: &Record) -> Result<bool>;

    /// Tests several records at once, one outcome per record in order. A predicate that gains
    /// from batches (a Python one: one GIL hold per batch) overrides it.
    fn test_batch(&mut self, records: &[&Record]) -> Vec<Result<bool>> {
        records.iter().map(|r| self.test(r)).collect()
    }

    /// Kafka's `close`; called once when its task stops.
    fn close(&mut self) {}
}

/// Builds a configured transform from its own keys (`transforms.<alias>.` stripped).
pub type MakeTransform = fn(&Config) -> Result<Box<dyn Transformation>>;

/// Builds a configured predicate from its own keys (`predicates.<alias>.` stripped).
pub type MakePredicate = fn(&Config) -> Result<Box<dyn Predicate>>;

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::data::Value;

    /// Matches topic `a`; answers whole batches only, keeping their sizes, and drops the last
    /// answer when `short`.
    struct TopicA {
        batches: Arc<Mutex<Vec<usize>>>,
        short: bool,
    }

    impl Predicate for TopicA {
        fn test(&mut self, _: &Record) -> Result<bool> {
            panic!("the chain tests a stage's records with test_batch");
        }

        fn test_batch(&mut self, records: &[&Record]) -> Vec<Result<bool>> {
            self.batches.lock().unwrap().push(records.len());
            let mut out: Vec<_> = records.iter().map(|r| Ok(&*r.topic == "a")).collect();
            if self.short {
                out.pop();
            }
            out
        }
    }

    struct Upper;

    impl Transformation for Upper {
        fn apply(&mut self, mut record: Record) -> Result<Option<Record>> {
            record.topic = record.topic.to_uppercase().into();
            Ok(Some(record))
        }
    }

    fn chain(short: bool) -> (TransformChain, Arc<Mutex<Vec<usize>>>) {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let predicate = TopicA { batches: batches.clone(), short };
        let stage: (String, Box<dyn Transformation>, Option<chain::StagePredicate>) =
            ("Upper".to_owned(), Box::new(Upper), Some((Box::new(predicate), false)));
        (TransformChain::from_stages(vec![stage]), batches)
    }

    fn records() -> Vec<Record> {
        ["a", "b", "a"].iter().map(|t| Record::new(t, Value::Null)).collect()
    }

    #[test]
    fn a_stage_tests_its_records_in_one_predicate_batch() {
        let (mut chain, batches) = chain(false);
        let topics: Vec<String> =
            chain.apply_batch(records()).into_iter().map(|o| o.unwrap().unwrap().topic.to_string()).collect();
        assert_eq!(topics, ["A", "b", "A"]);
        assert_eq!(*batches.lock().unwrap(), [3]);
    }

    #[test]
    fn a_record_a_predicate_left_untested_fails() {
        let (mut chain, _) = chain(true);
        let outcomes = chain.apply_batch(records());
        assert_eq!(&*outcomes[0].as_ref().unwrap().as_ref().unwrap().topic, "A");
        let failure = outcomes[2].as_ref().unwrap_err();
        assert_eq!(failure.class, "Upper");
        assert!(failure.error.to_string().contains("left a record untested"), "{}", failure.error);
    }
}
