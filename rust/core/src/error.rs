//! The one error type of the core. The bindings map it onto Python's `ferroconnect.ConnectError`
//! hierarchy in a single place (`rust/python/src/errors.rs`).

use rdkafka::error::KafkaError;

/// Everything that can go wrong in the runtime, by kind (the kind picks the Python exception).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is missing or invalid; `key` names it.
    #[error("Invalid value for configuration {key}: {reason}")]
    Config { key: String, reason: String },
    /// Several configuration errors at once (a connector's config validated as a whole).
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    ConfigErrors(Vec<Error>),
    /// A connector config with errors, each listed (Kafka's `BadRequestException` from
    /// `AbstractHerder`). Shown as Kafka's REST text; the bindings word its last line for Python.
    #[error("{}", invalid_config_text(.0, INVALID_CONFIG_REST_HINT))]
    InvalidConnectorConfig(Vec<String>),
    /// Data does not match its schema, or bytes cannot be converted.
    #[error("{0}")]
    Data(String),
    /// A failure that may go away if the same operation is retried.
    #[error("{0}")]
    Retriable(String),
    /// A client of Kafka (producer, consumer, admin) failed.
    #[error("Kafka error: {0}")]
    Kafka(#[from] KafkaError),
    /// The local file system failed (offset store, config files).
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    /// A connector or task reported a failure (for Python connectors: its exception and traceback).
    #[error("{0}")]
    Connector(String),
    /// A connector or task reported that its configuration is wrong (Python's `ConfigError`: its
    /// traceback). Kept apart from [`Error::Connector`] so that a task failing on its config is
    /// not restarted automatically.
    #[error("{0}")]
    ConnectorConfig(String),
    /// A named connector or task does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (e.g. a connector that already exists).
    #[error("{0}")]
    Conflict(String),
    /// The request is invalid as a whole (Kafka's `BadRequestException`): a config with errors,
    /// offsets changed while the connector runs, a name that does not match.
    #[error("{0}")]
    BadRequest(String),
    /// Bytes of Kafka Connect's group protocol (member metadata, an assignment) that cannot be
    /// decoded: another worker speaks a version or layout we do not understand.
    #[error("Connect group protocol: {0}")]
    Protocol(String),
    /// Distributed mode: the request must be handled by another worker (the leader, or the one
    /// running the connector or task), at `url`; `None` while a rebalance hides who that is
    /// (the REST API answers 409 then, as Kafka Connect).
    #[error("{message}")]
    Forward { url: Option<String>, message: String },
    /// The request is not allowed (an internal request with a bad signature: 403).
    #[error("{0}")]
    Forbidden(String),
    /// The worker cannot answer yet (still starting: 503).
    #[error("{0}")]
    Unavailable(String),
}

impl Error {
    /// A configuration error for `key`.
    pub fn config(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Config { key: key.into(), reason: reason.into() }
    }

    /// A data error with a message.
    pub fn data(message: impl Into<String>) -> Self {
        Error::Data(message.into())
    }

    /// An I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }

    /// Whether this is a configuration error, the framework's or the connector's own: retrying
    /// with the same config would fail the same way.
    pub fn is_config_error(&self) -> bool {
        matches!(
            self,
            Error::Config { .. }
                | Error::ConfigErrors(_)
                | Error::InvalidConnectorConfig(_)
                | Error::ConnectorConfig(_)
        )
    }

    /// A group-protocol decoding error with a message.
    pub fn protocol(message: impl Into<String>) -> Self {
        Error::Protocol(message.into())
    }

    /// Whether retrying the same operation may succeed.
    pub fn is_retriable(&self) -> bool {
        match self {
            Error::Retriable(_) => true,
            Error::Kafka(e) => e.rdkafka_error_code().is_some_and(crate::kafka::is_retriable_code),
            _ => false,
        }
    }
}

/// Where Kafka's REST answer says the list of config errors can also be found.
pub const INVALID_CONFIG_REST_HINT: &str =
    "You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`";

/// Kafka's text for a connector config with errors, ending with `hint` (where else to find them).
pub fn invalid_config_text(errors: &[String], hint: &str) -> String {
    let mut text = format!("Connector configuration is invalid and contains the following {} error(s):", errors.len());
    for error in errors {
        text.push('\n');
        text.push_str(error);
    }
    text.push('\n');
    text.push_str(hint);
    text
}

/// The core's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_config_lists_its_errors_then_kafkas_rest_hint() {
        let error = Error::InvalidConnectorConfig(vec!["a is bad".into(), "b is missing".into()]);
        assert_eq!(
            error.to_string(),
            "Connector configuration is invalid and contains the following 2 error(s):\na is bad\nb is missing\n\
             You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"
        );
        assert!(invalid_config_text(&["x".into()], "elsewhere").ends_with("\nx\nelsewhere"));
    }
}
