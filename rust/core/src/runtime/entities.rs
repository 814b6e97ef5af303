//! What the herder answers, in Kafka Connect's REST shapes (`connect/runtime/.../rest/entities`):
//! the JSON property names are Kafka's, so existing clients parse them unchanged. The schemas feed
//! the generated `/openapi.json`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::runtime::plugin::Config;

/// A task's id: its connector and its index (`ConnectorTaskId`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: u32,
}

/// `GET /connectors/{c}` and the answer to creates and config updates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConnectorInfo {
    pub name: String,
    /// The config as stored: `${provider:...}` placeholders unresolved.
    pub config: Config,
    pub tasks: Vec<ConnectorTaskId>,
    /// `source`, `sink` or `unknown`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// One element of `GET /connectors/{c}/tasks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TaskInfo {
    pub id: ConnectorTaskId,
    pub config: Config,
}

/// `GET /connectors/{c}/topics`: `{"<connector>": {"topics": [...]}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ActiveTopicsInfo {
    pub topics: Vec<String>,
}

/// One source partition and its offset (`ConnectorOffset`); `offset: null` in a PATCH resets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConnectorOffset {
    /// The source partition (connector-defined keys; primitive values).
    #[schema(value_type = Object)]
    pub partition: serde_json::Value,
    /// The source offset (connector-defined keys; primitive values), or null.
    #[schema(value_type = Option<Object>)]
    pub offset: Option<serde_json::Value>,
}

/// `GET/PATCH /connectors/{c}/offsets` (`ConnectorOffsets`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConnectorOffsets {
    pub offsets: Vec<ConnectorOffset>,
}

/// A one-line answer (`Message`), e.g. to an offsets change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Message {
    pub message: String,
}

/// A plugin of `GET /connector-plugins` (`PluginInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PluginInfo {
    #[serde(rename = "class")]
    pub class: String,
    /// `source`, `sink`, `converter`, `header_converter`, `transformation` or `predicate`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Left out when the plugin has no version (Kafka's "undefined").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// The definition of one config key (`ConfigKeyInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConfigKeyInfo {
    pub name: String,
    /// Kafka's type name: BOOLEAN, STRING, INT, SHORT, LONG, DOUBLE, LIST, CLASS, PASSWORD.
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    /// Null when required.
    pub default_value: Option<String>,
    pub importance: String,
    pub documentation: String,
    pub group: Option<String>,
    /// The key's position in its group (Kafka 4.4's `order_in_group`; older versions wrote `order`),
    /// serialized after `group` as Java Connect 4.4 writes it.
    pub order_in_group: i32,
    pub width: String,
    pub display_name: String,
    pub dependents: Vec<String>,
}

/// The validated value of one key (`ConfigValueInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConfigValueInfo {
    pub name: String,
    /// The value as text (`[hidden]` for passwords); null when unset or unparsable.
    pub value: Option<String>,
    pub recommended_values: Vec<String>,
    pub errors: Vec<String>,
    pub visible: bool,
}

/// A key's definition and validated value (`ConfigInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConfigInfo {
    /// Null for a value the connector reported without defining its key.
    pub definition: Option<ConfigKeyInfo>,
    /// Null for a key no value was reported for.
    pub value: Option<ConfigValueInfo>,
}

/// `PUT /connector-plugins/{plugin}/config/validate` (`ConfigInfos`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConfigInfos {
    /// The body's `connector.class`.
    pub name: String,
    /// The number of error messages over all keys.
    pub error_count: usize,
    pub groups: Vec<String>,
    pub configs: Vec<ConfigInfo>,
}

impl ConfigInfos {
    /// Every error message, in key order (for the 400 message of an invalid create).
    pub fn errors(&self) -> impl Iterator<Item = &String> {
        self.configs.iter().filter_map(|c| c.value.as_ref()).flat_map(|v| v.errors.iter())
    }
}

/// `GET /connectors/{c}/tasks-config` (deprecated): task configs by task id text (`c-0`).
pub type TasksConfig = BTreeMap<String, Config>;
