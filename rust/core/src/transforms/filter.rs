//! `Filter`: drops every record. Useful only with a predicate (`transforms.<alias>.predicate`),
//! which decides the records it applies to.

use crate::config::ConfigDef;
use crate::error::Result;
use crate::runtime::plugin::Config;
use crate::transforms::{Record, Transformation};

/// Kafka's `Filter.CONFIG_DEF`: no keys.
pub(crate) fn config_def() -> ConfigDef {
    ConfigDef::new()
}

pub(crate) struct Filter;

pub(crate) fn make(_props: &Config) -> Result<Box<dyn Transformation>> {
    Ok(Box::new(Filter))
}

impl Transformation for Filter {
    fn apply(&mut self, _record: Record) -> Result<Option<Record>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Value;

    #[test]
    fn drops_every_record() {
        let mut filter = make(&Config::new()).unwrap();
        assert_eq!(filter.apply(Record::new("t", Value::from("x"))).unwrap(), None);
        assert_eq!(filter.apply(Record::new("t", Value::Null)).unwrap(), None);
    }
}
