//! Helpers of the command line: `.properties` files and logging to stderr.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;

use ferroconnect_core::error::Error;

use crate::errors::IntoPyResult;

/// Reads a Java `.properties` file (Kafka Connect's worker and connector files) into a dict.
#[pyfunction]
pub fn read_properties<'py>(py: Python<'py>, path: PathBuf) -> PyResult<Bound<'py, PyDict>> {
    let config = py.detach(|| ferroconnect_core::config::read_properties(&path)).py_err()?;
    crate::source::config_dict(py, &config)
}

/// Sends the runtime's log to stderr at `level` (`error`, `warn`, `info`, `debug`, `trace`, or a
/// `tracing` filter such as `ferroconnect_core=debug`). `FERROCONNECT_LOG` overrides it. Only the
/// first call takes effect.
#[pyfunction]
pub fn init_logging(level: &str) -> PyResult<()> {
    let (key, filter) = match std::env::var("FERROCONNECT_LOG") {
        Ok(filter) => ("FERROCONNECT_LOG", filter),
        Err(_) => ("--log-level", level.to_owned()),
    };
    ferroconnect_core::logging::check_filter(&filter).map_err(|reason| Error::config(key, reason)).py_err()?;
    // Levels stay changeable at run time through the REST API's /admin/loggers.
    ferroconnect_core::logging::init_stderr(&filter);
    Ok(())
}

/// Adds this module's functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(read_properties, m)?)?;
    m.add_function(wrap_pyfunction!(init_logging, m)?)?;
    Ok(())
}
