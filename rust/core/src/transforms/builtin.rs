//! Kafka's own transforms and predicates, by class name. Each row gives the names it answers to
//! (Kafka's full class name first; `$Key`/`$Value` variants are separate rows), its ConfigDef
//! (what validation and `GET /connector-plugins/{plugin}/config` show) and how to build one.

use crate::config::ConfigDef;
use crate::transforms::{
    cast, flatten, mask_field, replace_field, set_schema_metadata, timestamp_converter, MakePredicate, MakeTransform,
};

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
pub const TRANSFORMS: &[BuiltinTransform] = &[
    BuiltinTransform { names: &[cast::KEY_CLASS], config_def: cast::config_def, make: cast::make_key },
    BuiltinTransform { names: &[cast::VALUE_CLASS], config_def: cast::config_def, make: cast::make_value },
    BuiltinTransform { names: &[flatten::KEY_CLASS], config_def: flatten::config_def, make: flatten::make_key },
    BuiltinTransform { names: &[flatten::VALUE_CLASS], config_def: flatten::config_def, make: flatten::make_value },
    BuiltinTransform {
        names: &[mask_field::KEY_CLASS],
        config_def: mask_field::config_def,
        make: mask_field::make_key,
    },
    BuiltinTransform {
        names: &[mask_field::VALUE_CLASS],
        config_def: mask_field::config_def,
        make: mask_field::make_value,
    },
    BuiltinTransform {
        names: &[replace_field::KEY_CLASS],
        config_def: replace_field::config_def,
        make: replace_field::make_key,
    },
    BuiltinTransform {
        names: &[replace_field::VALUE_CLASS],
        config_def: replace_field::config_def,
        make: replace_field::make_value,
    },
    BuiltinTransform {
        names: &[set_schema_metadata::KEY_CLASS],
        config_def: set_schema_metadata::config_def,
        make: set_schema_metadata::make_key,
    },
    BuiltinTransform {
        names: &[set_schema_metadata::VALUE_CLASS],
        config_def: set_schema_metadata::config_def,
        make: set_schema_metadata::make_value,
    },
    BuiltinTransform {
        names: &[timestamp_converter::KEY_CLASS],
        config_def: timestamp_converter::config_def,
        make: timestamp_converter::make_key,
    },
    BuiltinTransform {
        names: &[timestamp_converter::VALUE_CLASS],
        config_def: timestamp_converter::config_def,
        make: timestamp_converter::make_value,
    },
];

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
