//! `InsertHeader`: adds a header to every record, its value the configured literal read as
//! Kafka's `Values.parseString` reads it (so `42` is an INT8, `true` a BOOLEAN, `[1,2]` an ARRAY).

use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use crate::data::values_parse::parse_string;
use crate::data::SchemaAndValue;
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::runtime::record::Header;
use crate::transforms::simple_config::{define, SimpleConfig};
use crate::transforms::{Record, Transformation};

const HEADER_FIELD: &str = "header";
const VALUE_LITERAL_FIELD: &str = "value.literal";

/// Kafka's `InsertHeader.CONFIG_DEF` (its `NonNullValidator` cannot fail on text, so it is left out).
pub(crate) fn config_def() -> ConfigDef {
    let def = define(
        ConfigDef::new(),
        ConfigKey::new(HEADER_FIELD, ConfigType::String, None, Importance::High, "The name of the header."),
    );
    define(
        def,
        ConfigKey::new(
            VALUE_LITERAL_FIELD,
            ConfigType::String,
            None,
            Importance::High,
            "The literal value that is to be set as the header value on all records.",
        ),
    )
}

pub(crate) struct InsertHeader {
    header: String,
    literal: SchemaAndValue,
}

pub(crate) fn make(props: &Config) -> Result<Box<dyn Transformation>> {
    let config = SimpleConfig::new(&config_def(), props)?;
    let header = config.string(HEADER_FIELD).unwrap_or_default().to_owned();
    let literal = parse_string(config.string(VALUE_LITERAL_FIELD).unwrap_or_default())
        .map_err(|e| Error::config(VALUE_LITERAL_FIELD, e.to_string()))?;
    Ok(Box::new(InsertHeader { header, literal }))
}

impl Transformation for InsertHeader {
    fn apply(&mut self, mut record: Record) -> Result<Option<Record>> {
        record.headers.push(Header {
            key: self.header.clone(),
            schema: self.literal.schema.clone(),
            value: self.literal.value.clone(),
        });
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Schema, SchemaType, Value};

    fn insert(header: &str, literal: &str, headers: Vec<Header>) -> Vec<Header> {
        let props: Config =
            [("header".to_owned(), header.to_owned()), ("value.literal".to_owned(), literal.to_owned())].into();
        let record = Record { headers, ..Record::new("topic", Value::Null) };
        make(&props).unwrap().apply(record).unwrap().unwrap().headers
    }

    fn string_header(key: &str, value: &str) -> Header {
        Header { key: key.to_owned(), schema: Some(Schema::of(SchemaType::String)), value: Value::from(value) }
    }

    #[test]
    fn insertion_with_existing_other_header() {
        let out = insert("inserted", "inserted-value", vec![string_header("existing", "existing-value")]);
        assert_eq!(out, vec![string_header("existing", "existing-value"), string_header("inserted", "inserted-value")]);
    }

    #[test]
    fn insertion_with_existing_same_header() {
        let out = insert("existing", "inserted-value", vec![string_header("existing", "preexisting-value")]);
        assert_eq!(
            out,
            vec![string_header("existing", "preexisting-value"), string_header("existing", "inserted-value")]
        );
    }

    #[test]
    fn insertion_with_by_default_type() {
        let out = insert("inserted", "1", Vec::new());
        assert_eq!(
            out,
            vec![Header { key: "inserted".into(), schema: Some(Schema::of(SchemaType::Int8)), value: Value::Int8(1) }]
        );
        let out = insert("inserted", "null", Vec::new());
        assert_eq!(out, vec![Header { key: "inserted".into(), schema: None, value: Value::Null }]);
    }

    #[test]
    fn configure_requires_both_keys() {
        let props: Config = [("header".to_owned(), "h".to_owned())].into();
        assert!(matches!(make(&props).err().unwrap(), Error::Config { key, .. } if key == "value.literal"));
        let props: Config = [("value.literal".to_owned(), "v".to_owned())].into();
        assert!(matches!(make(&props).err().unwrap(), Error::Config { key, .. } if key == "header"));
    }
}
