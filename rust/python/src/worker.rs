//! The in-process worker (`ferroconnect.Worker` wraps this class). Every call releases the GIL
//! while the core works, so task threads keep running Python. Requests go through the standalone
//! herder (validation, the connector config file), as REST requests do; the REST server, when
//! asked for, serves the same herder.

use std::sync::{Arc, Mutex};

use ferroconnect_core::cluster::config::DistributedConfig;
use ferroconnect_core::cluster::herder::Cluster;
use ferroconnect_core::connectors::BuiltinsFirst;
use ferroconnect_core::offsets::{FileOffsetStore, MemoryOffsetStore, OffsetStore};
use ferroconnect_core::rest::{BoundListeners, RestConfig, RestServer};
use ferroconnect_core::runtime::config_store::ConfigStore;
use ferroconnect_core::runtime::herder::{Herder, RawConfig};
use ferroconnect_core::runtime::plugin::Config;
use ferroconnect_core::runtime::worker::{TargetState, Worker};
use ferroconnect_core::runtime::worker_config::WorkerConfig;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::IntoPyResult;
use crate::source::{config_dict, config_from, PyPluginLoader};

/// A worker running connectors in this process.
#[pyclass(name = "Worker", module = "ferroconnect._core", frozen)]
pub struct PyWorker {
    herder: Herder,
    rest: Mutex<Option<RestServer>>,
    rest_url: Option<String>,
}

impl PyWorker {
    fn worker(&self) -> &Worker {
        self.herder.worker()
    }
}

fn target(state: &str) -> PyResult<TargetState> {
    match state {
        "RUNNING" | "STARTED" => Ok(TargetState::Started),
        "PAUSED" => Ok(TargetState::Paused),
        "STOPPED" => Ok(TargetState::Stopped),
        other => Err(crate::errors::ConfigError::new_err(format!("unknown initial state {other:?}"))),
    }
}

fn raw(config: Config) -> RawConfig {
    config.into_iter().map(|(k, v)| (k, Some(v))).collect()
}

impl PyWorker {
    /// A worker of a cluster (distributed mode): its REST API is always served (workers forward
    /// requests to each other), and what it runs is what the group assigns to it.
    fn new_distributed(py: Python<'_>, props: Config) -> PyResult<Self> {
        let mut config = WorkerConfig::from_props(props.clone()).py_err()?;
        let distributed = DistributedConfig::from_props(&props).py_err()?;
        let rest_config = RestConfig::from_props(&props).py_err()?;
        let bound = BoundListeners::bind(&rest_config).py_err()?;
        config.worker_id = bound.worker_id().to_owned();
        let url = format!("http://{}/", bound.worker_id());
        let loader = Arc::new(BuiltinsFirst::new(Arc::new(PyPluginLoader)));
        let cluster = py.detach(|| Cluster::start(config, distributed, loader, url)).py_err()?;
        let herder = Herder::distributed(cluster);
        let server = RestServer::start(bound, herder.clone(), &rest_config).py_err()?;
        let rest_url = Some(server.url().to_owned());
        Ok(PyWorker { herder, rest: Mutex::new(Some(server)), rest_url })
    }
}

#[pymethods]
impl PyWorker {
    /// Starts a worker from Kafka Connect worker properties; with `rest`, also its REST API on
    /// `listeners`. Connectors kept in the connector config file (beside the offsets file) are
    /// started again in their stored target states.
    #[new]
    #[pyo3(signature = (props, rest = false, distributed = false))]
    fn new(py: Python<'_>, props: Bound<'_, PyAny>, rest: bool, distributed: bool) -> PyResult<Self> {
        let props = config_from(&props)?;
        if distributed {
            return Self::new_distributed(py, props);
        }
        let mut config = WorkerConfig::from_props(props.clone()).py_err()?;
        let rest_config = rest.then(|| RestConfig::from_props(&props)).transpose().py_err()?;
        // Bound first, so that statuses name the port actually bound (`listeners=http://...:0`).
        let bound = rest_config.as_ref().map(BoundListeners::bind).transpose().py_err()?;
        if let Some(bound) = &bound {
            config.worker_id = bound.worker_id().to_owned();
        }
        let offsets: Arc<dyn OffsetStore> = match &config.offsets_file {
            Some(path) => Arc::new(py.detach(|| FileOffsetStore::open(path)).py_err()?),
            None => Arc::new(MemoryOffsetStore::default()),
        };
        let store = ConfigStore::path_for(&props).map(ConfigStore::new);
        let worker = Worker::new(config, Arc::new(BuiltinsFirst::new(Arc::new(PyPluginLoader))), offsets);
        // As Kafka Connect: no worker without its Kafka cluster (bounded by default.api.timeout.ms).
        py.detach(|| worker.connect().map(drop)).py_err()?;
        let herder = Herder::new(worker, store);
        py.detach(|| herder.restore()).py_err()?;
        let (server, rest_url) = match (bound, rest_config) {
            (Some(bound), Some(rest_config)) => {
                let server = RestServer::start(bound, herder.clone(), &rest_config).py_err()?;
                let url = server.url().to_owned();
                (Some(server), Some(url))
            }
            _ => (None, None),
        };
        Ok(PyWorker { herder, rest: Mutex::new(server), rest_url })
    }

    /// The REST API's URL (`http://host:port`), or None when it is not served.
    #[getter]
    fn rest_url(&self) -> Option<String> {
        self.rest_url.clone()
    }

    #[pyo3(signature = (name, config, initial_state = "RUNNING"))]
    fn create_connector(
        &self,
        py: Python<'_>,
        name: &str,
        config: Bound<'_, PyAny>,
        initial_state: &str,
    ) -> PyResult<()> {
        let config = raw(config_from(&config)?);
        let initial = target(initial_state)?;
        py.detach(|| self.herder.create_connector(name, config, Some(initial))).py_err().map(drop)
    }

    /// Replaces a connector's config; returns True if it created the connector.
    fn put_connector_config(&self, py: Python<'_>, name: &str, config: Bound<'_, PyAny>) -> PyResult<bool> {
        let config = raw(config_from(&config)?);
        py.detach(|| self.herder.put_connector_config(name, config)).py_err().map(|(created, _)| created)
    }

    fn delete_connector(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        py.detach(|| self.herder.delete_connector(name)).py_err()
    }

    fn connectors(&self, py: Python<'_>) -> Vec<String> {
        py.detach(|| self.herder.connectors())
    }

    fn connector_config<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyDict>> {
        let config = py.detach(|| self.herder.connector_config(name)).py_err()?;
        config_dict(py, &config)
    }

    fn task_configs<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyList>> {
        let configs = py.detach(|| self.worker().task_configs(name)).py_err()?;
        PyList::new(py, configs.iter().map(|c| config_dict(py, c)).collect::<PyResult<Vec<_>>>()?)
    }

    /// Kafka Connect's status document as JSON text.
    fn status_json(&self, py: Python<'_>, name: &str) -> PyResult<String> {
        let status = py.detach(|| self.herder.status(name)).py_err()?;
        Ok(serde_json::to_string(&status).expect("status serializes"))
    }

    /// Kafka Connect's `ConfigInfos` for a config, as JSON text (what the validate endpoint answers).
    fn validate_json(&self, py: Python<'_>, config: Bound<'_, PyAny>) -> PyResult<String> {
        let config = raw(config_from(&config)?);
        let infos = py.detach(|| self.herder.validate(&config)).py_err()?;
        Ok(serde_json::to_string(&infos).expect("config infos serialize"))
    }

    /// Kafka Connect's metrics of this worker and what it runs: one dict per metric, with
    /// `group`, `name`, `tags` and `value` (see docs/metrics.md).
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let readings = py.detach(|| self.worker().metrics());
        let dicts = readings
            .into_iter()
            .map(|r| {
                let dict = PyDict::new(py);
                dict.set_item("group", r.group)?;
                dict.set_item("name", r.name)?;
                dict.set_item("tags", r.tags)?;
                dict.set_item("value", r.value)?;
                Ok(dict)
            })
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, dicts)
    }

    /// The connector's committed source offsets, as Kafka's `ConnectorOffsets` JSON text.
    fn offsets_json(&self, py: Python<'_>, name: &str) -> PyResult<String> {
        let offsets = py.detach(|| self.herder.offsets(name)).py_err()?;
        Ok(serde_json::to_string(&offsets).expect("offsets serialize"))
    }

    fn pause(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        py.detach(|| self.herder.pause(name)).py_err()
    }

    fn resume(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        py.detach(|| self.herder.resume(name)).py_err()
    }

    fn stop_connector(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        py.detach(|| self.herder.stop(name)).py_err()
    }

    #[pyo3(signature = (name, include_tasks = false, only_failed = false))]
    fn restart(&self, py: Python<'_>, name: &str, include_tasks: bool, only_failed: bool) -> PyResult<()> {
        py.detach(|| {
            if include_tasks || only_failed {
                self.herder.restart_plan(name, include_tasks, only_failed).map(drop)
            } else {
                self.herder.restart_connector(name)
            }
        })
        .py_err()
    }

    fn restart_task(&self, py: Python<'_>, name: &str, task: u32) -> PyResult<()> {
        py.detach(|| self.herder.restart_task(name, task)).py_err()
    }

    /// Stops the REST server, then every connector gracefully (offsets of acknowledged records
    /// are committed). The connector config file keeps the connectors for the next start.
    fn shutdown(&self, py: Python<'_>) {
        let server = self.rest.lock().expect("rest lock").take();
        py.detach(|| {
            drop(server);
            match self.herder.cluster() {
                // Stops what runs here, marks it UNASSIGNED and leaves the group.
                Some(cluster) => cluster.stop(),
                None => self.worker().shutdown(),
            }
        })
    }
}

/// Adds this module's classes and functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyWorker>()?;
    m.add_class::<crate::records::PySourceRecord>()?;
    m.add_class::<crate::source_batch::PySourceBatch>()?;
    m.add_class::<crate::source::PyConnectorContext>()?;
    m.add_class::<crate::source::PySourceTaskContext>()?;
    m.add_class::<crate::source::PyOffsetStorageReader>()?;
    m.add_class::<crate::source::PyTransactionContext>()?;
    m.add_function(wrap_pyfunction!(openapi_json, m)?)?;
    Ok(())
}

/// The REST API's OpenAPI document (what `/openapi.json` serves), as JSON text.
#[pyfunction]
fn openapi_json() -> String {
    ferroconnect_core::rest::openapi_json()
}
