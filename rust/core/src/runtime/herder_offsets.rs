//! The offsets API of KIP-875 (`GET/PATCH/DELETE /connectors/{c}/offsets`), under Kafka's rules
//! (the connector must be STOPPED with no tasks to change them; the connector's `alter_offsets`
//! hook is told first and may refuse). Source offsets live in the worker's offset store (and in
//! distributed mode in the connector's own `offsets.storage.topic` first, if it sets one); sink
//! offsets are the consumer group `connect-<name>`'s, in Kafka's fixed shape
//! `{"kafka_topic", "kafka_partition"}` → `{"kafka_offset"}`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use crate::kafka::consumer::TopicPartition;
use crate::kafka::group_offsets::{delete_group, GroupOffsets};

use crate::error::{Error, Result};
use crate::runtime::entities::{ConnectorOffset, ConnectorOffsets, Message};
use crate::runtime::herder::Herder;
use crate::runtime::plugin::ConnectorKind;
use crate::runtime::worker::TargetState;

/// Kafka's `OffsetUtils.validateFormat`: a map with string keys and primitive values.
fn check_format(what: &str, value: &Value) -> Result<()> {
    let Value::Object(map) = value else {
        return Err(Error::BadRequest(format!("{what}s must be specified as a Map")));
    };
    for (key, field) in map {
        if matches!(field, Value::Array(_) | Value::Object(_)) {
            let kind = if field.is_array() { "ARRAY" } else { "MAP" };
            return Err(Error::BadRequest(format!(
                "{what}s may only contain primitive types as values, but field {key} contains {kind}"
            )));
        }
    }
    Ok(())
}

/// Kafka's success message, depending on whether the connector changed its own offsets too.
fn done(connector_managed: bool, reset: bool) -> Message {
    let kind = if reset { "reset" } else { "altered" };
    let message = if connector_managed {
        format!("The offsets for this connector have been {kind} successfully")
    } else {
        format!(
            "The Connect framework-managed offsets for this connector have been {kind} successfully. However, if this \
             connector manages offsets externally, they will need to be manually {kind} in the system that the \
             connector uses."
        )
    };
    Message { message }
}

impl Herder {
    fn kind_of(&self, name: &str) -> Result<Option<ConnectorKind>> {
        let config = self.connector_config(name)?;
        Ok(config.get("connector.class").and_then(|class| self.connector_kind(class)))
    }

    /// Where the source connector's offsets are: its own offsets topic first, when it has one.
    fn source_offset_store(&self, name: &str) -> Result<std::sync::Arc<dyn crate::offsets::OffsetStore>> {
        Ok(self.worker().source_offsets(&self.connector_config(name)?)?.store)
    }

    /// A non-member client of the sink connector's consumer group.
    fn sink_group(&self, name: &str) -> Result<GroupOffsets> {
        let worker = self.worker().config();
        GroupOffsets::open(&worker.bootstrap_servers, &worker.prefixed("consumer."), &group_id(name), GROUP_TIMEOUT)
    }

    /// `GET /connectors/{c}/offsets`: every committed source partition and offset (for a sink
    /// connector, every committed offset of its consumer group).
    pub fn offsets(&self, name: &str) -> Result<ConnectorOffsets> {
        if self.kind_of(name)? == Some(ConnectorKind::Sink) {
            let committed = self.sink_group(name)?.committed().map_err(|e| {
                Error::Connector(format!("Failed to retrieve consumer group offsets for sink connector {name}: {e}"))
            })?;
            let offsets = committed
                .into_iter()
                .map(|(tp, offset)| ConnectorOffset {
                    partition: json!({"kafka_topic": tp.topic, "kafka_partition": tp.partition}),
                    offset: Some(json!({"kafka_offset": offset})),
                })
                .collect();
            return Ok(ConnectorOffsets { offsets });
        }
        if let Some(cluster) = self.cluster() {
            cluster.refresh_offsets()?;
        }
        let offsets = self
            .source_offset_store(name)?
            .all(name)?
            .into_iter()
            .map(|(partition, offset)| ConnectorOffset { partition, offset: Some(offset) })
            .collect();
        Ok(ConnectorOffsets { offsets })
    }

    /// Kafka's `modifyConnectorOffsetsChecks`: exists, STOPPED, no tasks.
    fn check_stopped(&self, name: &str) -> Result<()> {
        if let Some(cluster) = self.cluster() {
            cluster.check_offsets_change()?;
        }
        let target = self.target_state(name)?;
        let tasks = self.task_configs(name)?.len();
        if target != TargetState::Stopped || tasks != 0 {
            return Err(Error::BadRequest(format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for \
                 the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
            )));
        }
        Ok(())
    }

    fn modify(&self, name: &str, offsets: Vec<(Value, Option<Value>)>, reset: bool) -> Result<Message> {
        let _changes = self.lock_changes();
        self.check_stopped(name)?;
        if self.kind_of(name)? == Some(ConnectorKind::Sink) {
            return self.modify_sink(name, offsets, reset);
        }
        let config = self.connector_config(name)?;
        let class = config.get("connector.class").cloned().unwrap_or_default();
        let connector = self.worker().plugin_loader().load_connector(&class)?;
        let connector_managed = connector
            .alter_offsets(&config, &offsets)
            // The connector refused these offsets: the request's fault, 400 (Kafka answers 500;
            // docs/compatibility.md).
            .map_err(|e| Error::BadRequest(format!("Failed to modify offsets for connector {name}: {e}")))?;
        if !offsets.is_empty() {
            self.source_offset_store(name)?
                .put(name, &offsets)
                .map_err(|e| Error::Connector(format!("Failed to modify offsets for source connector {name}: {e}")))?;
        }
        tracing::info!(connector = name, partitions = offsets.len(), reset, "source offsets modified");
        Ok(done(connector_managed, reset))
    }

    /// `PATCH /connectors/{c}/offsets`: sets (or, with a null offset, removes) source offsets.
    pub fn alter_offsets(&self, name: &str, offsets: ConnectorOffsets) -> Result<Message> {
        if offsets.offsets.is_empty() {
            return Err(Error::BadRequest(
                "Partitions / offsets need to be provided for an alter offsets request".into(),
            ));
        }
        let mut changes = Vec::with_capacity(offsets.offsets.len());
        for ConnectorOffset { partition, offset } in offsets.offsets {
            check_format("Partition", &partition)?;
            if let Some(offset) = &offset {
                check_format("Offset", offset)?;
            }
            changes.push((partition, offset.filter(|o| !o.is_null())));
        }
        self.modify(name, changes, false)
    }

    /// `DELETE /connectors/{c}/offsets`: removes every offset of the connector.
    pub fn reset_offsets(&self, name: &str) -> Result<Message> {
        let partitions = match self.kind_of(name)? {
            // A sink's partitions are listed (for the connector's hook) once it is known to be stopped.
            Some(ConnectorKind::Sink) => Vec::new(),
            _ => self.source_offset_store(name)?.all(name)?,
        };
        self.modify(name, partitions.into_iter().map(|(p, _)| (p, None)).collect(), true)
    }

    /// Sink offsets: checked and parsed as Kafka's `SinkUtils` does, shown to the connector, then
    /// committed for the group (or the group deleted, for a reset).
    fn modify_sink(&self, name: &str, offsets: Vec<(Value, Option<Value>)>, reset: bool) -> Result<Message> {
        let group = self.sink_group(name)?;
        let parsed: Vec<(TopicPartition, Option<i64>)> = if reset {
            let committed = group.committed().map_err(|e| {
                Error::Connector(format!(
                    "Failed to list offsets prior to resetting offsets for sink connector {name}: {e}"
                ))
            })?;
            committed.into_keys().map(|tp| (tp, None)).collect()
        } else {
            offsets.iter().map(|(p, o)| parse_sink_offset(p, o.as_ref())).collect::<Result<_>>()?
        };
        if !reset && parsed.iter().any(|(_, o)| o.is_none()) {
            return Err(Error::BadRequest(format!(
                "Resetting single partitions of a sink connector is not supported yet; reset them all with \
                 'DELETE /connectors/{name}/offsets'"
            )));
        }
        let config = self.connector_config(name)?;
        let class = config.get("connector.class").cloned().unwrap_or_default();
        let connector = self.worker().plugin_loader().load_connector(&class)?;
        let as_json: Vec<(Value, Option<Value>)> = parsed
            .iter()
            .map(|(tp, o)| {
                (
                    json!({"kafka_topic": tp.topic, "kafka_partition": tp.partition}),
                    o.map(|o| json!({"kafka_offset": o})),
                )
            })
            .collect();
        let connector_managed = connector
            .alter_offsets(&config, &as_json)
            // The connector refused these offsets: the request's fault, 400 (Kafka answers 500;
            // docs/compatibility.md).
            .map_err(|e| Error::BadRequest(format!("Failed to modify offsets for connector {name}: {e}")))?;
        let worker = self.worker().config();
        let outcome = if reset {
            delete_group(&worker.bootstrap_servers, &worker.admin_settings(), &group_id(name), GROUP_TIMEOUT)
        } else {
            let offsets: BTreeMap<TopicPartition, i64> =
                parsed.into_iter().filter_map(|(tp, o)| o.map(|o| (tp, o))).collect();
            group.alter(&offsets)
        };
        let verb = if reset { "reset" } else { "alter" };
        outcome.map_err(|e| {
            Error::Connector(format!(
                "Failed to {verb} consumer group offsets for connector {name} either because its tasks haven't \
                 stopped completely yet or the connector was resumed before the request to {verb} its offsets could \
                 be successfully completed. If the connector is in a stopped state, this operation can be safely \
                 retried. If it doesn't eventually succeed, the Connect cluster may need to be restarted to get rid \
                 of the zombie sink tasks. ({e})"
            ))
        })?;
        tracing::info!(connector = name, reset, "sink offsets modified");
        Ok(done(connector_managed, reset))
    }
}

/// How long a group request may take (inside Kafka's 90 s REST timeout).
const GROUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A sink connector's consumer group (`SinkUtils.consumerGroupId`).
fn group_id(name: &str) -> String {
    format!("connect-{name}")
}

/// Text of a JSON scalar as Java's `String.valueOf` gives it (numbers and numeric strings alike).
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Kafka's `SinkUtils.parseSinkConnectorOffsets`, for one entry.
fn parse_sink_offset(partition: &Value, offset: Option<&Value>) -> Result<(TopicPartition, Option<i64>)> {
    let bad = Error::BadRequest;
    let Value::Object(map) = partition else {
        return Err(bad("The partition for a sink connector offset cannot be null or missing".into()));
    };
    let (Some(topic), Some(number)) = (map.get("kafka_topic"), map.get("kafka_partition")) else {
        return Err(bad(
            "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'"
                .into(),
        ));
    };
    if topic.is_null() {
        return Err(bad("Kafka topic names must be valid strings and may not be null".into()));
    }
    if number.is_null() {
        return Err(bad("Kafka partitions must be valid numbers and may not be null".into()));
    }
    let partition = scalar_text(number).parse::<i32>().map_err(|_| {
        bad(format!(
            "Failed to parse the following Kafka partition value in the provided offsets: '{}'. Partition values \
             for sink connectors need to be integers.",
            scalar_text(number)
        ))
    })?;
    let tp = TopicPartition::new(scalar_text(topic), partition);
    let Some(offset) = offset else { return Ok((tp, None)) };
    let Some(value) = offset.get("kafka_offset") else {
        return Err(bad(
            "The offset for a sink connector should either be null or contain the key 'kafka_offset'".into()
        ));
    };
    let offset = scalar_text(value).parse::<i64>().map_err(|_| {
        bad(format!(
            "Failed to parse the following Kafka offset value in the provided offsets: '{}'. Offset values for sink \
             connectors need to be integers.",
            scalar_text(value)
        ))
    })?;
    Ok((tp, Some(offset)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn offsets_must_be_flat_maps() {
        assert!(check_format("Partition", &json!({"file": "a", "n": 1, "x": null})).is_ok());
        let err = check_format("Offset", &json!({"a": [1]})).unwrap_err().to_string();
        assert_eq!(err, "Offsets may only contain primitive types as values, but field a contains ARRAY");
        assert!(check_format("Partition", &json!(3)).unwrap_err().to_string().contains("Map"));
        assert!(done(false, true).message.contains("manually reset"));
    }

    #[test]
    fn sink_offsets_parse_as_kafka_parses_them() {
        let tp = |t: &str, p: i32| TopicPartition::new(t, p);
        let parsed =
            parse_sink_offset(&json!({"kafka_topic": "t", "kafka_partition": "3"}), Some(&json!({"kafka_offset": 5})));
        assert_eq!(parsed.unwrap(), (tp("t", 3), Some(5)));
        assert_eq!(
            parse_sink_offset(&json!({"kafka_topic": "t", "kafka_partition": 0}), None).unwrap(),
            (tp("t", 0), None)
        );
        let missing = parse_sink_offset(&json!({"kafka_topic": "t"}), None).unwrap_err().to_string();
        assert!(missing.contains("must contain the keys 'kafka_topic' and 'kafka_partition'"), "{missing}");
        let bad =
            parse_sink_offset(&json!({"kafka_topic": "t", "kafka_partition": 0}), Some(&json!({"kafka_offset": "x"})));
        assert!(bad.unwrap_err().to_string().contains("Offset values for sink connectors need to be integers."));
        let no_key = parse_sink_offset(&json!({"kafka_topic": "t", "kafka_partition": 0}), Some(&json!({"o": 1})));
        assert!(no_key.unwrap_err().to_string().contains("should either be null or contain the key 'kafka_offset'"));
    }
}
