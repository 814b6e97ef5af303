//! The chain's semantics with tiny test-only transforms and predicates, found through a test
//! [`TransformLoader`] (the built-ins live on other modules).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;
use crate::config::{ConfigKey, ConfigType, Importance};
use crate::data::Value;
use crate::runtime::plugin::PluginType;

/// Appends `suffix` to the topic.
struct Suffix(String);

impl Transformation for Suffix {
    fn apply(&mut self, mut record: Record) -> Result<Option<Record>> {
        record.topic = format!("{}{}", record.topic, self.0).into();
        Ok(Some(record))
    }
}

/// Drops every record.
struct DropAll;

impl Transformation for DropAll {
    fn apply(&mut self, _record: Record) -> Result<Option<Record>> {
        Ok(None)
    }
}

/// Fails on records whose value is the string "bad".
struct FailOnBad;

impl Transformation for FailOnBad {
    fn apply(&mut self, record: Record) -> Result<Option<Record>> {
        if record.value == Value::String("bad".into()) {
            return Err(Error::data("bad value"));
        }
        Ok(Some(record))
    }
}

/// Counts closes, to check that the chain closes every stage once.
struct Closing(Arc<AtomicUsize>);

impl Transformation for Closing {
    fn apply(&mut self, record: Record) -> Result<Option<Record>> {
        Ok(Some(record))
    }
    fn close(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Matches records of topic `topic`; fails on topic "boom".
struct TopicIs(String);

impl Predicate for TopicIs {
    fn test(&mut self, record: &Record) -> Result<bool> {
        if &*record.topic == "boom" {
            return Err(Error::data("predicate failed"));
        }
        Ok(*record.topic == *self.0)
    }
}

struct TestLoader;

impl TransformLoader for TestLoader {
    fn transform(&self, class: &str, config: &Config) -> Option<Result<Box<dyn Transformation>>> {
        Some(Ok(match class {
            "test.Suffix" => match config.get("suffix") {
                Some(s) => Box::new(Suffix(s.clone())),
                None => return Some(Err(Error::config("suffix", "Missing required configuration \"suffix\""))),
            },
            "test.Drop" => Box::new(DropAll),
            "test.Fail" => Box::new(FailOnBad),
            _ => return None,
        }))
    }
    fn transform_config_def(&self, class: &str) -> Option<Result<ConfigDef>> {
        match class {
            "test.Suffix" => Some(ConfigDef::new().define(ConfigKey::new(
                "suffix",
                ConfigType::String,
                None,
                Importance::High,
                "Appended.",
            ))),
            "test.Drop" | "test.Fail" => Some(Ok(ConfigDef::new())),
            _ => None,
        }
    }
    fn predicate(&self, class: &str, config: &Config) -> Option<Result<Box<dyn Predicate>>> {
        (class == "test.TopicIs").then(|| Ok(Box::new(TopicIs(config["topic"].clone())) as Box<dyn Predicate>))
    }
    fn predicate_config_def(&self, class: &str) -> Option<Result<ConfigDef>> {
        (class == "test.TopicIs").then(|| {
            ConfigDef::new().define(ConfigKey::new("topic", ConfigType::String, None, Importance::Medium, "Topic."))
        })
    }
    fn plugins(&self) -> Vec<PluginDesc> {
        let p = |class: &str, kind| PluginDesc { class: class.into(), kind, version: "1".into() };
        vec![
            p("test.Suffix", PluginType::Transformation),
            p("test.Drop", PluginType::Transformation),
            p("test.Fail", PluginType::Transformation),
            p("test.TopicIs", PluginType::Predicate),
        ]
    }
}

fn config(pairs: &[(&str, &str)]) -> Config {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn chain(pairs: &[(&str, &str)]) -> TransformChain {
    TransformChain::from_config(&config(pairs), Some(&TestLoader)).expect("chain")
}

fn records(topics: &[&str]) -> Vec<Record> {
    topics.iter().map(|t| Record::new(t, Value::String((*t).to_owned()))).collect()
}

/// Each outcome as text: the topic, "dropped", or "failed by <class>: <error>".
fn summary(outcomes: Vec<Outcome>) -> Vec<String> {
    outcomes
        .into_iter()
        .map(|o| match o {
            Ok(Some(r)) => r.topic.to_string(),
            Ok(None) => "dropped".into(),
            Err(f) => format!("failed by {}: {}", f.class, f.error),
        })
        .collect()
}

#[test]
fn no_transforms_is_an_empty_chain_that_passes_records() {
    let mut empty = TransformChain::from_config(&Config::new(), None).unwrap();
    assert!(empty.is_empty());
    assert_eq!(summary(empty.apply_batch(records(&["a", "b"]))), ["a", "b"]);
    assert!(chain(&[("transforms", "")]).is_empty());
}

#[test]
fn stages_apply_in_the_order_transforms_lists_them() {
    let mut chain = chain(&[
        ("transforms", "two, one"),
        ("transforms.one.type", "test.Suffix"),
        ("transforms.one.suffix", "-1"),
        ("transforms.two.type", "test.Suffix"),
        ("transforms.two.suffix", "-2"),
    ]);
    assert!(!chain.is_empty());
    assert_eq!(summary(chain.apply_batch(records(&["a", "b"]))), ["a-2-1", "b-2-1"]);
}

#[test]
fn a_dropped_record_skips_the_rest_of_the_chain() {
    let mut chain = chain(&[
        ("transforms", "drop,fail"),
        ("transforms.drop.type", "test.Drop"),
        ("transforms.drop.predicate", "isA"),
        ("transforms.fail.type", "test.Fail"),
        ("predicates", "isA"),
        ("predicates.isA.type", "test.TopicIs"),
        ("predicates.isA.topic", "a"),
    ]);
    let mut batch = records(&["a", "b", "a"]);
    batch[0].value = Value::String("bad".into()); // dropped before it could fail
    assert_eq!(summary(chain.apply_batch(batch)), ["dropped", "b", "dropped"]);
}

#[test]
fn a_stage_runs_iff_negate_xor_its_predicate_matches() {
    let with = |negate: &str| {
        let mut pairs = vec![
            ("transforms", "s"),
            ("transforms.s.type", "test.Suffix"),
            ("transforms.s.suffix", "!"),
            ("transforms.s.predicate", "isA"),
            ("predicates", "isA"),
            ("predicates.isA.type", "test.TopicIs"),
            ("predicates.isA.topic", "a"),
        ];
        if !negate.is_empty() {
            pairs.push(("transforms.s.negate", negate));
        }
        summary(chain(&pairs).apply_batch(records(&["a", "b", "a", "c"])))
    };
    assert_eq!(with(""), ["a!", "b", "a!", "c"]);
    assert_eq!(with("false"), ["a!", "b", "a!", "c"]);
    assert_eq!(with("true"), ["a", "b!", "a", "c!"]);
}

#[test]
fn failures_are_the_records_own_and_name_the_transform_class() {
    let mut chain = chain(&[
        ("transforms", "fail,s"),
        ("transforms.fail.type", "test.Fail"),
        ("transforms.fail.predicate", "isA"),
        ("transforms.fail.negate", "true"),
        ("transforms.s.type", "test.Suffix"),
        ("transforms.s.suffix", "+"),
        ("predicates", "isA"),
        ("predicates.isA.type", "test.TopicIs"),
        ("predicates.isA.topic", "a"),
    ]);
    let mut batch = records(&["x", "y", "boom", "a"]);
    batch[1].value = Value::String("bad".into());
    assert_eq!(
        summary(chain.apply_batch(batch)),
        ["x+", "failed by test.Fail: bad value", "failed by test.Fail: predicate failed", "a+"]
    );
}

#[test]
fn every_stage_gets_its_own_keys_and_errors_name_the_full_key() {
    let err = TransformChain::from_config(
        &config(&[("transforms", "s"), ("transforms.s.type", "test.Suffix")]),
        Some(&TestLoader),
    )
    .err()
    .unwrap();
    assert!(matches!(&err, Error::Config { key, .. } if key == "transforms.s.suffix"), "{err}");
    let err = TransformChain::from_config(&config(&[("transforms", "s"), ("transforms.s.type", "test.Nope")]), None)
        .err()
        .unwrap();
    assert!(err.to_string().ends_with("Class test.Nope could not be found."), "{err}");
    // A predicate class where a transform is expected.
    let err = TransformChain::from_config(
        &config(&[("transforms", "s"), ("transforms.s.type", "test.TopicIs")]),
        Some(&TestLoader),
    )
    .err()
    .unwrap();
    assert!(err.to_string().ends_with("Class class test.TopicIs does not implement the Transformation interface"));
}

#[test]
fn close_closes_every_stage_once() {
    let closed = Arc::new(AtomicUsize::new(0));
    let stage = |c: &Arc<AtomicUsize>| ("c".to_owned(), Box::new(Closing(c.clone())) as Box<dyn Transformation>, None);
    let mut chain = TransformChain::from_stages(vec![stage(&closed), stage(&closed)]);
    assert_eq!(summary(chain.apply_batch(records(&["a"]))), ["a"]);
    chain.close();
    drop(chain);
    assert_eq!(closed.load(Ordering::SeqCst), 2);
}

/// A transform that answers for fewer records than it was given.
struct Short;

impl Transformation for Short {
    fn apply(&mut self, record: Record) -> Result<Option<Record>> {
        Ok(Some(record))
    }
    fn apply_batch(&mut self, records: Vec<Record>) -> Vec<Result<Option<Record>>> {
        records.into_iter().take(1).map(|r| Ok(Some(r))).collect()
    }
}

#[test]
fn a_batch_transform_that_loses_records_fails_them() {
    let mut chain = TransformChain::from_stages(vec![("x.Short".into(), Box::new(Short), None)]);
    let outcomes = summary(chain.apply_batch(records(&["a", "b"])));
    assert_eq!(outcomes[0], "a");
    assert!(outcomes[1].starts_with("failed by x.Short: transform x.Short returned 1 outcomes"), "{outcomes:?}");
}

#[test]
fn kafkas_built_ins_are_found_without_a_loader() {
    let mut chain = chain_without_loader(&[
        ("transforms", "dropTombstones,route"),
        ("transforms.dropTombstones.type", "org.apache.kafka.connect.transforms.Filter"),
        ("transforms.dropTombstones.predicate", "isTombstone"),
        ("transforms.route.type", "org.apache.kafka.connect.transforms.RegexRouter"),
        ("transforms.route.regex", "(.*)"),
        ("transforms.route.replacement", "$1-copy"),
        ("predicates", "isTombstone"),
        ("predicates.isTombstone.type", "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"),
    ]);
    let mut batch = records(&["a", "b"]);
    batch[1].value = Value::Null;
    assert_eq!(summary(chain.apply_batch(batch)), ["a-copy", "dropped"]);
    // A built-in's own config error names the full key.
    let err = TransformChain::from_config(
        &config(&[("transforms", "r"), ("transforms.r.type", "org.apache.kafka.connect.transforms.RegexRouter")]),
        None,
    )
    .err()
    .unwrap();
    assert!(matches!(&err, Error::Config { key, .. } if key.starts_with("transforms.r.")), "{err}");
}

fn chain_without_loader(pairs: &[(&str, &str)]) -> TransformChain {
    TransformChain::from_config(&config(pairs), None).expect("chain")
}

/// Fails with a retriable error the first `fails` times it is called.
struct Flaky {
    fails: usize,
}

impl Transformation for Flaky {
    fn apply(&mut self, mut record: Record) -> Result<Option<Record>> {
        if self.fails > 0 {
            self.fails -= 1;
            return Err(Error::Retriable("busy".into()));
        }
        record.topic = format!("{}-ok", record.topic).into();
        Ok(Some(record))
    }
}

/// Retries at most `attempts` more times, without waiting.
struct Attempts(usize);

impl RetryPolicy for Attempts {
    fn retries(&self) -> bool {
        self.0 > 0
    }
    fn retry(&self, reason: String, attempt: &mut dyn FnMut() -> Result<Option<Record>>) -> Result<Option<Record>> {
        let mut last = Err(Error::Retriable(reason));
        for _ in 0..self.0 {
            last = attempt();
            if !matches!(last, Err(Error::Retriable(_))) {
                break;
            }
        }
        last
    }
}

#[test]
fn retriable_failures_are_retried_with_the_record_as_it_entered_the_stage() {
    let flaky = |fails, attempts| {
        let mut chain = TransformChain::from_stages(vec![("x.Flaky".into(), Box::new(Flaky { fails }), None)]);
        chain.set_retry(Arc::new(Attempts(attempts)));
        summary(chain.apply_batch(records(&["a"])))
    };
    assert_eq!(flaky(2, 3), ["a-ok"]);
    assert_eq!(flaky(3, 2), ["failed by x.Flaky: busy"]);
    assert_eq!(flaky(1, 0), ["failed by x.Flaky: busy"], "no retry when none is allowed");
    // Without a policy, no retry either.
    let mut chain = TransformChain::from_stages(vec![("x.Flaky".into(), Box::new(Flaky { fails: 1 }), None)]);
    assert_eq!(summary(chain.apply_batch(records(&["a"]))), ["failed by x.Flaky: busy"]);
}
