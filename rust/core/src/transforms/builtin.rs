//! Kafka's own transforms and predicates, by class name. Each row gives the names it answers to
//! (Kafka's full class name first; `$Key`/`$Value` variants are separate rows), its ConfigDef
//! (what validation and `GET /connector-plugins/{plugin}/config` show) and how to build one.

use crate::config::ConfigDef;
use crate::transforms::{
    cast, drop_headers, extract_field, filter, flatten, header_from, hoist_field, insert_field, insert_header,
    mask_field, predicates, regex_router, replace_field, set_schema_metadata, timestamp_converter, timestamp_router,
    value_to_key, MakePredicate, MakeTransform,
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
    BuiltinTransform {
        names: &["org.apache.kafka.connect.transforms.ExtractField$Key"],
        config_def: extract_field::config_def,
        make: extract_field::make_key,
    },
    BuiltinTransform {
        names: &["org.apache.kafka.connect.transforms.ExtractField$Value"],
        config_def: extract_field::config_def,
        make: extract_field::make_value,
    },
    BuiltinTransform {
        names: &["org.apache.kafka.connect.transforms.HoistField$Key"],
        config_def: hoist_field::config_def,
        make: hoist_field::make_key,
    },
    BuiltinTransform {
        names: &["org.apache.kafka.connect.transforms.HoistField$Value"],
        config_def: hoist_field::config_def,
        make: hoist_field::make_value,
    },
    BuiltinTransform {
        names: &["org.apache.kafka.connect.transforms.InsertField$Key"],
        config_def: insert_field::config_def,
        make: insert_field::make_key,
    },
    BuiltinTransform {
        names: &["org.apache.kafka.connect.transforms.InsertField$Value"],
        config_def: insert_field::config_def,
        make: insert_field::make_value,
    },
    BuiltinTransform {
        names: &["org.apache.kafka.connect.transforms.HeaderFrom$Key"],
        config_def: header_from::config_def,
        make: header_from::make_key,
    },
    BuiltinTransform {
        names: &["org.apache.kafka.connect.transforms.HeaderFrom$Value"],
        config_def: header_from::config_def,
        make: header_from::make_value,
    },
    BuiltinTransform {
        names: &["org.apache.kafka.connect.transforms.ValueToKey"],
        config_def: value_to_key::config_def,
        make: value_to_key::make,
    },
    BuiltinTransform {
        names: &["org.apache.kafka.connect.transforms.DropHeaders"],
        config_def: drop_headers::config_def,
        make: drop_headers::make,
    },
    BuiltinTransform {
        names: &["org.apache.kafka.connect.transforms.InsertHeader"],
        config_def: insert_header::config_def,
        make: insert_header::make,
    },
    BuiltinTransform {
        names: &["org.apache.kafka.connect.transforms.RegexRouter"],
        config_def: regex_router::config_def,
        make: regex_router::make,
    },
    BuiltinTransform {
        names: &["org.apache.kafka.connect.transforms.TimestampRouter"],
        config_def: timestamp_router::config_def,
        make: timestamp_router::make,
    },
    BuiltinTransform {
        names: &["org.apache.kafka.connect.transforms.Filter"],
        config_def: filter::config_def,
        make: filter::make,
    },
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
pub const PREDICATES: &[BuiltinPredicate] = &[
    BuiltinPredicate {
        names: &["org.apache.kafka.connect.transforms.predicates.TopicNameMatches"],
        config_def: predicates::topic_name_matches_config_def,
        make: predicates::make_topic_name_matches,
    },
    BuiltinPredicate {
        names: &["org.apache.kafka.connect.transforms.predicates.HasHeaderKey"],
        config_def: predicates::has_header_key_config_def,
        make: predicates::make_has_header_key,
    },
    BuiltinPredicate {
        names: &["org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"],
        config_def: predicates::record_is_tombstone_config_def,
        make: predicates::make_record_is_tombstone,
    },
];

/// The built-in transform of this class name, if there is one.
pub fn transform(class: &str) -> Option<&'static BuiltinTransform> {
    TRANSFORMS.iter().find(|t| t.names.contains(&class))
}

/// The built-in predicate of this class name, if there is one.
pub fn predicate(class: &str) -> Option<&'static BuiltinPredicate> {
    PREDICATES.iter().find(|p| p.names.contains(&class))
}
