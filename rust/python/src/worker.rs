//! The in-process worker (`ferroconnect.Worker` wraps this class). Every call releases the GIL
//! while the core works, so task threads keep running Python.

use std::sync::Arc;

use ferroconnect_core::connectors::BuiltinsFirst;
use ferroconnect_core::offsets::{FileOffsetStore, MemoryOffsetStore, OffsetStore};
use ferroconnect_core::runtime::worker::{TargetState, Worker};
use ferroconnect_core::runtime::worker_config::WorkerConfig;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::IntoPyResult;
use crate::source::{config_dict, config_from, PyPluginLoader};

/// A worker running connectors in this process.
#[pyclass(name = "Worker", module = "ferroconnect._core", frozen)]
pub struct PyWorker {
    worker: Worker,
}

fn target(state: &str) -> PyResult<TargetState> {
    match state {
        "RUNNING" | "STARTED" => Ok(TargetState::Started),
        "PAUSED" => Ok(TargetState::Paused),
        "STOPPED" => Ok(TargetState::Stopped),
        other => Err(crate::errors::ConfigError::new_err(format!("unknown initial state {other:?}"))),
    }
}

#[pymethods]
impl PyWorker {
    /// Starts a worker from Kafka Connect worker properties.
    #[new]
    fn new(py: Python<'_>, props: Bound<'_, PyAny>) -> PyResult<Self> {
        let config = WorkerConfig::from_props(config_from(&props)?).py_err()?;
        let offsets: Arc<dyn OffsetStore> = match &config.offsets_file {
            Some(path) => Arc::new(py.detach(|| FileOffsetStore::open(path)).py_err()?),
            None => Arc::new(MemoryOffsetStore::default()),
        };
        Ok(PyWorker { worker: Worker::new(config, Arc::new(BuiltinsFirst::new(Arc::new(PyPluginLoader))), offsets) })
    }

    #[pyo3(signature = (name, config, initial_state = "RUNNING"))]
    fn create_connector(
        &self,
        py: Python<'_>,
        name: &str,
        config: Bound<'_, PyAny>,
        initial_state: &str,
    ) -> PyResult<()> {
        let config = config_from(&config)?;
        let initial = target(initial_state)?;
        py.detach(|| self.worker.create_connector(name, config, initial)).py_err()
    }

    /// Replaces a connector's config; returns True if it created the connector.
    fn put_connector_config(&self, py: Python<'_>, name: &str, config: Bound<'_, PyAny>) -> PyResult<bool> {
        let config = config_from(&config)?;
        py.detach(|| self.worker.put_connector_config(name, config)).py_err()
    }

    fn delete_connector(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        py.detach(|| self.worker.delete_connector(name)).py_err()
    }

    fn connectors(&self, py: Python<'_>) -> Vec<String> {
        py.detach(|| self.worker.connectors())
    }

    fn connector_config<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
        let config = py.detach(|| self.worker.connector_config(name)).py_err()?;
        config_dict(py, &config)
    }

    fn task_configs<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyList>> {
        let configs = py.detach(|| self.worker.task_configs(name)).py_err()?;
        PyList::new(py, configs.iter().map(|c| config_dict(py, c)).collect::<PyResult<Vec<_>>>()?)
    }

    /// Kafka Connect's status document as JSON text.
    fn status_json(&self, py: Python<'_>, name: &str) -> PyResult<String> {
        let status = py.detach(|| self.worker.status(name)).py_err()?;
        Ok(serde_json::to_string(&status).expect("status serializes"))
    }

    fn pause(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        py.detach(|| self.worker.pause(name)).py_err()
    }

    fn resume(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        py.detach(|| self.worker.resume(name)).py_err()
    }

    fn stop_connector(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        py.detach(|| self.worker.stop(name)).py_err()
    }

    #[pyo3(signature = (name, include_tasks = false, only_failed = false))]
    fn restart(&self, py: Python<'_>, name: &str, include_tasks: bool, only_failed: bool) -> PyResult<()> {
        py.detach(|| self.worker.restart(name, include_tasks, only_failed)).py_err()
    }

    fn restart_task(&self, py: Python<'_>, name: &str, task: u32) -> PyResult<()> {
        py.detach(|| self.worker.restart_task(name, task)).py_err()
    }

    /// Stops every connector gracefully (offsets of acknowledged records are committed).
    fn shutdown(&self, py: Python<'_>) {
        py.detach(|| self.worker.shutdown())
    }
}

/// Adds this module's classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyWorker>()?;
    m.add_class::<crate::records::PySourceRecord>()?;
    m.add_class::<crate::source::PyConnectorContext>()?;
    m.add_class::<crate::source::PySourceTaskContext>()?;
    m.add_class::<crate::source::PyOffsetStorageReader>()?;
    Ok(())
}
