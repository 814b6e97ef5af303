//! Kafka's own transforms and predicates, by class name. Each row gives the names it answers to
//! (Kafka's full class name first; `$Key`/`$Value` variants are separate rows), its ConfigDef
//! (what validation and `GET /connector-plugins/{plugin}/config` show) and how to build one.

use crate::config::ConfigDef;
use crate::transforms::{MakePredicate, MakeTransform};

/// A built-in transform.
pub struct BuiltinTransform {
    pub names: &'static [&'static str],
    pub config_def: fn() -> ConfigDef,
    pub make: MakeTransform,
}

/// A built-in predicate.
pub struct BuiltinPredicate {
    pub names: &'static [&'static str],
    pub config_def: fn() -> ConfigDef,
    pub make: MakePredicate,
}

/// Every built-in transform (rows are added as the transforms are written).
pub const TRANSFORMS: &[BuiltinTransform] = &[];

/// Every built-in predicate.
pub const PREDICATES: &[BuiltinPredicate] = &[];

/// The built-in transform of this class name, if there is one.
pub fn transform(class: &str) -> Option<&'static BuiltinTransform> {
    TRANSFORMS.iter().find(|t| t.names.contains(&class))
}

/// The built-in predicate of this class name, if there is one.
pub fn predicate(class: &str) -> Option<&'static BuiltinPredicate> {
    PREDICATES.iter().find(|p| p.names.contains(&class))
}
