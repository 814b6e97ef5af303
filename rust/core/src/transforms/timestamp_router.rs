//! `TimestampRouter`: renames the topic from `topic.format`, where `${topic}` is the topic and
//! `${timestamp}` the record's timestamp formatted with `timestamp.format` (a Java
//! `SimpleDateFormat` pattern, in UTC). A record without timestamp is a data error.

use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance};
use crate::data::values::java_display;
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::transforms::date_format::SimpleDateFormat;
use crate::transforms::simple_config::{define, SimpleConfig};
use crate::transforms::{Record, Transformation};

const TOPIC_FORMAT: &str = "topic.format";
const TIMESTAMP_FORMAT: &str = "timestamp.format";

/// Kafka's `TimestampRouter.CONFIG_DEF`.
pub(crate) fn config_def() -> ConfigDef {
    let def = define(
        ConfigDef::new(),
        ConfigKey::new(
            TOPIC_FORMAT,
            ConfigType::String,
            Some(ConfigValue::String("${topic}-${timestamp}".into())),
            Importance::High,
            "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> as placeholders \
             for the topic and timestamp, respectively.",
        ),
    );
    define(
        def,
        ConfigKey::new(
            TIMESTAMP_FORMAT,
            ConfigType::String,
            Some(ConfigValue::String("yyyyMMdd".into())),
            Importance::High,
            "Format string for the timestamp that is compatible with <code>java.text.SimpleDateFormat</code>.",
        ),
    )
}

pub(crate) struct TimestampRouter {
    topic_format: String,
    /// Java builds the format when the first record comes, so a bad pattern fails records, not
    /// the configuration.
    timestamp_format: std::result::Result<SimpleDateFormat, String>,
}

pub(crate) fn make(props: &Config) -> Result<Box<dyn Transformation>> {
    let config = SimpleConfig::new(&config_def(), props)?;
    let topic_format = config.string(TOPIC_FORMAT).unwrap_or_default().to_owned();
    let timestamp_format = SimpleDateFormat::new(config.string(TIMESTAMP_FORMAT).unwrap_or_default());
    Ok(Box::new(TimestampRouter { topic_format, timestamp_format }))
}

impl Transformation for TimestampRouter {
    fn apply(&mut self, mut record: Record) -> Result<Option<Record>> {
        let Some(timestamp) = record.timestamp else {
            return Err(Error::data(format!("Timestamp missing on record: {}", connect_record_string(&record))));
        };
        let format = self.timestamp_format.as_ref().map_err(|e| Error::data(e.clone()))?;
        let formatted = format.format(timestamp);
        // Two passes, as Kafka: a topic containing "${timestamp}" gets it replaced too.
        let with_topic = self.topic_format.replace("${topic}", &record.topic);
        record.topic = with_topic.replace("${timestamp}", &formatted).into();
        Ok(Some(record))
    }
}

/// Kafka's `ConnectRecord.toString` (without the source or sink part Kafka prefixes).
fn connect_record_string(record: &Record) -> String {
    let schema = |s: &Option<crate::data::SchemaRef>| s.as_ref().map_or("null".to_owned(), |s| s.to_string());
    let headers: Vec<String> = record
        .headers
        .iter()
        .map(|h| {
            format!("ConnectHeader(key={}, value={}, schema={})", h.key, java_display(&h.value), schema(&h.schema))
        })
        .collect();
    format!(
        "ConnectRecord{{topic='{}', kafkaPartition={}, key={}, keySchema={}, value={}, valueSchema={}, timestamp={}, \
         headers=ConnectHeaders(headers={})}}",
        record.topic,
        record.partition.map_or("null".to_owned(), |p| p.to_string()),
        java_display(&record.key),
        schema(&record.key_schema),
        java_display(&record.value),
        schema(&record.value_schema),
        record.timestamp.map_or("null".to_owned(), |t| t.to_string()),
        if headers.is_empty() { String::new() } else { format!("[{}]", headers.join(", ")) },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Value;

    fn route(props: &[(&str, &str)], topic: &str, timestamp: Option<i64>) -> Result<String> {
        let props: Config = props.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let record = Record { partition: Some(0), timestamp, ..Record::new(topic, Value::Null) };
        Ok(make(&props)?.apply(record)?.unwrap().topic.to_string())
    }

    #[test]
    fn default_configuration() {
        assert_eq!(route(&[], "test", Some(1_483_425_001_864)).unwrap(), "test-20170103");
    }

    #[test]
    fn custom_formats() {
        let props = [("topic.format", "${timestamp}_${topic}_${topic}"), ("timestamp.format", "yyyy-MM-dd'T'HH")];
        assert_eq!(route(&props, "t", Some(1_483_425_001_864)).unwrap(), "2017-01-03T06_t_t");
        // The topic is substituted first.
        assert_eq!(route(&[], "a${timestamp}", Some(0)).unwrap(), "a19700101-19700101");
    }

    #[test]
    fn missing_timestamp_is_a_data_error() {
        let err = route(&[], "test", None).unwrap_err();
        assert!(
            matches!(&err, Error::Data(m) if m.starts_with("Timestamp missing on record: ConnectRecord{topic='test', kafkaPartition=0,")),
            "{err}"
        );
    }

    #[test]
    fn bad_pattern_fails_records_not_configuration() {
        let err = route(&[("timestamp.format", "yyyyq")], "test", Some(0)).unwrap_err();
        assert!(matches!(err, Error::Data(m) if m == "Illegal pattern character 'q'"));
    }
}
