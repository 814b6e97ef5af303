//! The offsets API of KIP-875 (`GET/PATCH/DELETE /connectors/{c}/offsets`) for source connectors:
//! offsets are read from and written to the worker's offset store, under Kafka's rules (the
//! connector must be STOPPED with no tasks to change them; the connector's `alter_offsets` hook is
//! told first and may refuse).

use serde_json::Value;

use crate::error::{Error, Result};
use crate::runtime::entities::{ConnectorOffset, ConnectorOffsets, Message};
use crate::runtime::herder::{not_found, Herder};
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
        let config = self.worker().connector_config(name).map_err(|_| not_found(name))?;
        Ok(config.get("connector.class").and_then(|class| self.connector_kind(class)))
    }

    /// `GET /connectors/{c}/offsets`: every committed source partition and offset.
    pub fn offsets(&self, name: &str) -> Result<ConnectorOffsets> {
        if self.kind_of(name)? == Some(ConnectorKind::Sink) {
            return Err(sink_not_supported(name));
        }
        let offsets = self
            .worker()
            .offset_store()
            .all(name)?
            .into_iter()
            .map(|(partition, offset)| ConnectorOffset { partition, offset: Some(offset) })
            .collect();
        Ok(ConnectorOffsets { offsets })
    }

    /// Kafka's `modifyConnectorOffsetsChecks`: exists, STOPPED, no tasks.
    fn check_stopped(&self, name: &str) -> Result<()> {
        let target = self.worker().target_state(name).map_err(|_| not_found(name))?;
        let tasks = self.worker().task_configs(name).map_err(|_| not_found(name))?.len();
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
            return Err(sink_not_supported(name));
        }
        let config = self.worker().connector_config(name)?;
        let class = config.get("connector.class").cloned().unwrap_or_default();
        let connector = self.worker().plugin_loader().load_connector(&class)?;
        let connector_managed = connector
            .alter_offsets(&config, &offsets)
            .map_err(|e| Error::Connector(format!("Failed to modify offsets for connector {name}: {e}")))?;
        if !offsets.is_empty() {
            self.worker()
                .offset_store()
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

    /// `DELETE /connectors/{c}/offsets`: removes every source offset of the connector.
    pub fn reset_offsets(&self, name: &str) -> Result<Message> {
        let partitions = self.worker().offset_store().all(name)?;
        self.modify(name, partitions.into_iter().map(|(p, _)| (p, None)).collect(), true)
    }
}

fn sink_not_supported(name: &str) -> Error {
    Error::Connector(format!(
        "Offsets of sink connector {name} are kept by its consumer group, which this worker cannot read yet"
    ))
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
}
