//! The dead letter queue of a sink task (Kafka Connect's `DeadLetterQueueReporter`): the original
//! bytes, headers and timestamp of a failed record go to `errors.deadletterqueue.topic.name`, with
//! the `__connect.errors.*` context headers when enabled. The topic is created (one partition,
//! `errors.deadletterqueue.topic.replication.factor`) if it does not exist.

use std::collections::HashMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::types::RDKafkaErrorCode;
use tracing::info;

use crate::error::{Error, Result};
use crate::errors::Stage;
use crate::kafka::callback_producer::{CallbackProducer, DeliveryCallback};
use crate::kafka::consumer::ConsumedMessage;
use crate::kafka::log::QuietContext;
use crate::kafka::producer::{is_queue_full, OutgoingRecord};
use crate::runtime::plugin::{ReportDone, ReportedError};
use crate::runtime::task_control::TaskId;

/// Header names of Kafka Connect's error context.
const HEADER_PREFIX: &str = "__connect.errors.";

/// What failed, for the context headers.
pub struct ErrorContext<'a> {
    pub task: &'a TaskId,
    pub stage: Stage,
    pub class_name: &'a str,
    pub failure: &'a ReportedError,
}

/// A producer to one dead letter queue topic.
pub struct DeadLetterQueue {
    topic: String,
    context_headers: bool,
    producer: CallbackProducer,
}

impl DeadLetterQueue {
    /// Creates the topic if needed and the producer (`settings`: producer settings, client id included).
    pub fn open(
        bootstrap_servers: &str,
        topic: &str,
        replication_factor: i16,
        context_headers: bool,
        settings: &HashMap<String, String>,
        admin_settings: &HashMap<String, String>,
    ) -> Result<Self> {
        create_topic(bootstrap_servers, topic, replication_factor, admin_settings)?;
        let producer = CallbackProducer::new(bootstrap_servers, settings)?;
        Ok(DeadLetterQueue { topic: topic.to_owned(), context_headers, producer })
    }

    /// Sends the original record; `done` runs when Kafka acknowledged it (or finally refused it).
    pub fn send(&self, message: &ConsumedMessage, context: &ErrorContext<'_>, done: Option<ReportDone>) -> Result<()> {
        let mut headers = message.headers.clone();
        if self.context_headers {
            headers.extend(context_headers(message, context).into_iter().map(|(k, v)| (k, Some(v.into_bytes()))));
        }
        let record = OutgoingRecord {
            topic: self.topic.as_str().into(),
            partition: None,
            key: message.key.clone(),
            value: message.value.clone(),
            timestamp: message.timestamp,
            headers,
        };
        let mut callback: DeliveryCallback = Box::new(move |outcome| {
            if let Some(done) = done {
                done(outcome.map(drop).map_err(Error::from));
            }
        });
        loop {
            match self.producer.send(&record, callback) {
                Ok(()) => return Ok(()),
                Err((error, returned)) if is_queue_full(&error) => {
                    callback = returned;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err((error, _)) => return Err(error),
            }
        }
    }

    /// Waits for every queued report to be acknowledged.
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        self.producer.flush(timeout)
    }
}

/// Kafka Connect's `__connect.errors.*` headers, in its order.
fn context_headers(message: &ConsumedMessage, context: &ErrorContext<'_>) -> Vec<(String, String)> {
    let h = |name: &str, value: String| (format!("{HEADER_PREFIX}{name}"), value);
    let mut headers = vec![
        h("topic", message.topic.clone()),
        h("partition", message.partition.to_string()),
        h("offset", message.offset.to_string()),
        h("connector.name", context.task.connector.clone()),
        h("task.id", context.task.task.to_string()),
        h("stage", context.stage.as_str().to_owned()),
        h("class.name", context.class_name.to_owned()),
    ];
    if !context.failure.class_name.is_empty() {
        headers.push(h("exception.class.name", context.failure.class_name.clone()));
        headers.push(h("exception.message", context.failure.message.clone()));
        headers.push(h("exception.stacktrace", context.failure.trace.clone()));
    }
    headers
}

/// How long the dead letter queue's admin requests (metadata, CreateTopics) may take.
const ADMIN_TIMEOUT: Duration = Duration::from_secs(30);

/// Creates `topic` with one partition unless the cluster's metadata lists it, as Kafka Connect
/// does (`listTopics` before `createTopics`). Metadata for all topics, so that asking never
/// auto-creates the topic with the broker's defaults; and a broker without CreateTopics (the
/// embedded mock cluster) works with a topic created beforehand.
fn create_topic(
    bootstrap_servers: &str,
    topic: &str,
    replication_factor: i16,
    settings: &HashMap<String, String>,
) -> Result<()> {
    let failed = |reason: String| {
        Error::Connector(format!("Could not initialize dead letter queue with topic={topic}: {reason}"))
    };
    let admin: AdminClient<QuietContext> =
        crate::kafka::client_config(bootstrap_servers, settings).create_with_context(QuietContext)?;
    let metadata = admin
        .inner()
        .fetch_metadata(None, ADMIN_TIMEOUT)
        .map_err(|e| failed(format!("could not list the cluster's topics: {e}")))?;
    if metadata.topics().iter().any(|t| t.name() == topic) {
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting a runtime for the admin client", e))?;
    let new_topic = NewTopic::new(topic, 1, TopicReplication::Fixed(i32::from(replication_factor)));
    let options = AdminOptions::new().operation_timeout(Some(ADMIN_TIMEOUT)).request_timeout(Some(ADMIN_TIMEOUT));
    let results = runtime.block_on(admin.create_topics([&new_topic], &options)).map_err(|e| match e {
        rdkafka::error::KafkaError::AdminOp(RDKafkaErrorCode::OperationTimedOut) => failed(format!(
            "the broker did not answer CreateTopics within {} s; a broker without the admin API (such as \
             the embedded mock cluster) needs the topic created beforehand",
            ADMIN_TIMEOUT.as_secs()
        )),
        other => failed(other.to_string()),
    })?;
    for result in results {
        match result {
            Ok(_) => info!(topic, "created the dead letter queue topic"),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => return Err(failed(code.to_string())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::consumer::TimestampType;

    #[test]
    fn context_headers_follow_kafka_connect() {
        let message = ConsumedMessage {
            topic: "orders".into(),
            partition: 2,
            offset: 41,
            key: None,
            value: Some(b"{bad".to_vec()),
            timestamp: Some(1),
            timestamp_type: TimestampType::CreateTime,
            headers: vec![],
        };
        let task = TaskId { connector: "sink".into(), task: 1 };
        let failure = ReportedError {
            class_name: "org.apache.kafka.connect.errors.DataException".into(),
            message: "bad json".into(),
            trace: "trace".into(),
        };
        let context = ErrorContext {
            task: &task,
            stage: Stage::ValueConverter,
            class_name: "org.apache.kafka.connect.json.JsonConverter",
            failure: &failure,
        };
        let headers = context_headers(&message, &context);
        let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "__connect.errors.topic",
                "__connect.errors.partition",
                "__connect.errors.offset",
                "__connect.errors.connector.name",
                "__connect.errors.task.id",
                "__connect.errors.stage",
                "__connect.errors.class.name",
                "__connect.errors.exception.class.name",
                "__connect.errors.exception.message",
                "__connect.errors.exception.stacktrace",
            ]
        );
        assert_eq!(headers[1].1, "2");
        assert_eq!(headers[2].1, "41");
        assert_eq!(headers[5].1, "VALUE_CONVERTER");
    }
}
