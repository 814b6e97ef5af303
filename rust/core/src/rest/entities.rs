//! Request bodies and the REST-only answers (server info, health, logger levels), in Kafka
//! Connect's shapes. The herder's answers are in `runtime::entities`.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::runtime::herder::RawConfig;

/// A config map in a request body. Values may be strings, numbers or booleans (Jackson turns
/// them into strings for Kafka too) or null (a removal in PATCH, an error elsewhere).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigBody(pub RawConfig);

impl<'de> Deserialize<'de> for ConfigBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(deserializer)?;
        let mut config = RawConfig::new();
        for (key, value) in map {
            let text = match value {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s),
                serde_json::Value::Bool(b) => Some(b.to_string()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                other => {
                    let kind = if other.is_array() { "an array" } else { "an object" };
                    return Err(serde::de::Error::custom(format!(
                        "the value of configuration {key} is {kind}; config values are strings"
                    )));
                }
            };
            config.insert(key, text);
        }
        Ok(ConfigBody(config))
    }
}

/// A config value as a request may give it: a string, or a number or boolean taken as its text.
pub struct ConfigText;

impl utoipa::PartialSchema for ConfigText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new().schema_type(SchemaType::Array(vec![Type::String, Type::Number, Type::Boolean])).into()
    }
}

impl ToSchema for ConfigText {}

/// A config value that may be null: a removal in PATCH, reported as an error by validate.
pub struct ConfigTextOrNull;

impl utoipa::PartialSchema for ConfigTextOrNull {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        let types = vec![Type::String, Type::Number, Type::Boolean, Type::Null];
        ObjectBuilder::new().schema_type(SchemaType::Array(types)).into()
    }
}

impl ToSchema for ConfigTextOrNull {}

/// The target state a connector is created in (KIP-980).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum InitialState {
    Running,
    Paused,
    Stopped,
}

/// `POST /connectors` (`CreateConnectorRequest`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(example = json!({"name": "local-file-source", "config": {
    "connector.class": "FileStreamSource", "tasks.max": "1", "file": "/tmp/test.txt", "topic": "connect-test"}}))]
pub struct CreateConnectorRequest {
    /// The connector's name (trimmed).
    pub name: Option<String>,
    /// Its config; `name` in it, if present, must equal the name above.
    #[schema(value_type = std::collections::HashMap<String, ConfigText>)]
    pub config: Option<ConfigBody>,
    /// RUNNING (default), PAUSED or STOPPED.
    pub initial_state: Option<InitialState>,
}

/// `GET /` (`ServerInfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ServerInfo {
    /// ferroconnect's version.
    pub version: String,
    /// The source revision the worker was built from, when known.
    pub commit: String,
    /// The id of the Kafka cluster the worker uses; null while it cannot be reached.
    pub kafka_cluster_id: Option<String>,
}

/// `GET /health` (`WorkerStatus`, KIP-1017).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WorkerStatus {
    /// `healthy`, `starting` or `unhealthy`.
    pub status: String,
    pub message: String,
}

/// `PUT /admin/loggers/{logger}`'s body.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct LevelRequest {
    /// A log4j level: OFF, FATAL, ERROR, WARN, INFO, DEBUG, TRACE (any case).
    pub level: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_values_become_text_and_nested_values_are_refused() {
        let body: ConfigBody = serde_json::from_str(r#"{"a": "x", "b": 2, "c": true, "d": null}"#).unwrap();
        assert_eq!(body.0["b"].as_deref(), Some("2"));
        assert_eq!(body.0["c"].as_deref(), Some("true"));
        assert_eq!(body.0["d"], None);
        let err = serde_json::from_str::<ConfigBody>(r#"{"a": [1]}"#).unwrap_err().to_string();
        assert!(err.contains("configuration a is an array"), "{err}");
    }
}
