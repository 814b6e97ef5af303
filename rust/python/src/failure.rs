//! Python exceptions raised by connector code, as core errors: the traceback text is kept for the
//! task's FAILED status; `RetriableError` stays retriable.

use ferroconnect_core::Error;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::errors::{ConfigError, RetriableError};

/// A connector's exception → a core error carrying the full Python traceback.
pub fn from_py(py: Python<'_>, err: PyErr) -> Error {
    if err.is_instance_of::<RetriableError>(py) {
        return Error::Retriable(err.to_string());
    }
    if err.is_instance_of::<ConfigError>(py) {
        return Error::ConnectorConfig(traceback_text(py, &err));
    }
    Error::Connector(traceback_text(py, &err))
}

/// The exception formatted as Python prints it (traceback, chained causes included).
pub fn traceback_text(py: Python<'_>, err: &PyErr) -> String {
    let formatted = py
        .import("traceback")
        .and_then(|tb| tb.call_method1("format_exception", (err.get_type(py), err.value(py), err.traceback(py))))
        .and_then(|lines| lines.cast_into::<PyList>().map_err(PyErr::from))
        .map(|lines| lines.iter().filter_map(|l| l.extract::<String>().ok()).collect::<String>());
    formatted.unwrap_or_else(|_| err.to_string())
}

/// Runs connector code with the GIL, turning its exception into a core error.
pub fn call<T>(f: impl for<'py> FnOnce(Python<'py>) -> PyResult<T>) -> ferroconnect_core::Result<T> {
    Python::attach(|py| f(py).map_err(|e| from_py(py, e)))
}

/// Runs a task thread's whole body holding one Python thread state, the GIL released.
///
/// On a thread Python does not know, every `Python::attach` creates a thread state and its end
/// destroys it again (`PyGILState_Ensure`/`Release`: an allocation and an `mmap`/`munmap` of the
/// frame stack per call). Attached once here and detached for the body, the thread keeps its
/// state: each inner `attach` (every `call`) finds it and only takes the GIL.
pub fn with_thread_state(body: ferroconnect_core::runtime::plugin::ThreadBody<'_>) {
    Python::attach(|py| py.detach(body))
}
