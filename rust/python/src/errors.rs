//! The one place where core errors become Python exceptions (`ferroconnect.errors`).

use ferroconnect_core::error::invalid_config_text;
use ferroconnect_core::Error;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(ferroconnect, ConnectError, PyException, "Base class of every error ferroconnect raises.");
create_exception!(ferroconnect, ConfigError, ConnectError, "A configuration key is missing or has an invalid value.");
create_exception!(ferroconnect, DataError, ConnectError, "Data does not match its schema or cannot be converted.");
create_exception!(ferroconnect, RetriableError, ConnectError, "A failure that may succeed if retried.");
create_exception!(ferroconnect, KafkaError, ConnectError, "A Kafka client operation failed.");
create_exception!(ferroconnect, NotFoundError, ConnectError, "No connector or task of that name.");
create_exception!(ferroconnect, ConflictError, ConnectError, "The request conflicts with the current state.");

/// Where an in-process user finds a config's errors, key by key.
const VALIDATE_HINT: &str =
    "worker.validate(config) lists every key with its definition, value and errors (Kafka's ConfigInfos).";

/// Maps a core error onto the exception class of its kind.
pub fn to_py(error: Error) -> PyErr {
    let message = error.to_string();
    match error {
        Error::Config { .. } | Error::ConfigErrors(_) | Error::BadRequest(_) => ConfigError::new_err(message),
        // Kafka's text ends by pointing at the REST validate endpoint; in process it is `validate`.
        Error::InvalidConnectorConfig(ref errors) => ConfigError::new_err(invalid_config_text(errors, VALIDATE_HINT)),
        Error::ConnectorConfig(_) => ConfigError::new_err(message),
        Error::Data(_) => DataError::new_err(message),
        Error::Retriable(_) => RetriableError::new_err(message),
        Error::Kafka(ref e) if error.is_retriable() => RetriableError::new_err(format!("Kafka error: {e}")),
        Error::Kafka(_) => KafkaError::new_err(message),
        Error::NotFound(_) => NotFoundError::new_err(message),
        Error::Conflict(_) => ConflictError::new_err(message),
        // Distributed mode: an in-process call that only another worker may answer.
        Error::Forward { url: Some(ref url), .. } => ConnectError::new_err(format!(
            "{message} It is handled by the worker at {url}: send it there, or to this worker's REST API, which forwards it."
        )),
        _ => ConnectError::new_err(message),
    }
}

/// `?`-friendly conversion of core results.
pub trait IntoPyResult<T> {
    fn py_err(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for ferroconnect_core::Result<T> {
    fn py_err(self) -> PyResult<T> {
        self.map_err(to_py)
    }
}

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ConnectError", py.get_type::<ConnectError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("DataError", py.get_type::<DataError>())?;
    m.add("RetriableError", py.get_type::<RetriableError>())?;
    m.add("KafkaError", py.get_type::<KafkaError>())?;
    m.add("NotFoundError", py.get_type::<NotFoundError>())?;
    m.add("ConflictError", py.get_type::<ConflictError>())?;
    Ok(())
}
