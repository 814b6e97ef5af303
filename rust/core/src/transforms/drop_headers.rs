//! `DropHeaders`: removes every header with one of the configured names.

use std::collections::HashSet;

use crate::config::{ConfigDef, ConfigKey, ConfigType, Importance};
use crate::error::Result;
use crate::runtime::plugin::Config;
use crate::transforms::simple_config::{define, SimpleConfig};
use crate::transforms::{validators, Record, Transformation};

const HEADERS_FIELD: &str = "headers";

/// Kafka's `DropHeaders.CONFIG_DEF`.
pub(crate) fn config_def() -> ConfigDef {
    define(
        ConfigDef::new(),
        ConfigKey::new(
            HEADERS_FIELD,
            ConfigType::List,
            None,
            Importance::High,
            "The name of the headers to be removed.",
        )
        .with_validator(validators::non_empty_list()),
    )
}

pub(crate) struct DropHeaders {
    headers: HashSet<String>,
}

pub(crate) fn make(props: &Config) -> Result<Box<dyn Transformation>> {
    let config = SimpleConfig::new(&config_def(), props)?;
    Ok(Box::new(DropHeaders { headers: config.list(HEADERS_FIELD).into_iter().collect() }))
}

impl Transformation for DropHeaders {
    fn apply(&mut self, mut record: Record) -> Result<Option<Record>> {
        record.headers.retain(|h| !self.headers.contains(&h.key));
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Schema, SchemaType, Value};
    use crate::error::Error;
    use crate::runtime::record::Header;

    fn header(key: &str, value: &str) -> Header {
        Header { key: key.to_owned(), schema: Some(Schema::of(SchemaType::String)), value: Value::from(value) }
    }

    fn drop(headers: &str, record_headers: Vec<Header>) -> Vec<Header> {
        let props: Config = [("headers".to_owned(), headers.to_owned())].into();
        let record = Record { headers: record_headers, ..Record::new("topic", Value::Null) };
        make(&props).unwrap().apply(record).unwrap().unwrap().headers
    }

    #[test]
    fn drop_existing_header() {
        assert_eq!(
            drop("dont-want", vec![header("existing", "a"), header("dont-want", "b")]),
            vec![header("existing", "a")]
        );
    }

    #[test]
    fn drop_existing_header_with_multiple_values() {
        let headers = vec![header("existing", "a"), header("dont-want", "b"), header("dont-want", "c")];
        assert_eq!(drop("dont-want", headers), vec![header("existing", "a")]);
    }

    #[test]
    fn drop_non_existing_header() {
        assert_eq!(drop("dont-want", vec![header("existing", "a")]), vec![header("existing", "a")]);
    }

    #[test]
    fn configure_rejects_empty_list() {
        let props: Config = [("headers".to_owned(), "".to_owned())].into();
        assert!(matches!(make(&props).err().unwrap(), Error::Config { key, .. } if key == "headers"));
        assert!(matches!(make(&Config::new()).err().unwrap(), Error::Config { key, .. } if key == "headers"));
    }
}
