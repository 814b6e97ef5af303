//! Python connectors and source tasks as the core's `Connector` and `SourceTask`.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferroconnect_core::config::{ConfigDef, ConfigValueReport};
use ferroconnect_core::kafka::producer::Delivered;
use ferroconnect_core::runtime::plugin::{
    Config, Connector, ConnectorContext, ConnectorKind, OffsetReader, PluginDesc, PluginLoader, PluginType, SourceTask,
    SourceTaskContext, ThreadBody, TransactionContext,
};
use ferroconnect_core::runtime::record::SourceRecord;
use ferroconnect_core::{Error, Result};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::config::PyConfigDef;
use crate::errors::ConfigError;
use crate::failure::{call, from_py, with_thread_state};
use crate::records::{from_json, to_core_batch, to_json};

/// A config map as a Python dict.
pub fn config_dict<'py>(py: Python<'py>, config: &Config) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in config {
        dict.set_item(k, v)?;
    }
    Ok(dict)
}

/// A Python mapping as a config map; non-string values are written as Kafka would print them.
pub fn config_from(obj: &Bound<'_, PyAny>) -> PyResult<Config> {
    let dict = obj.cast::<PyDict>()?;
    dict.iter()
        .map(|(k, v)| {
            let value = if let Ok(b) = v.extract::<bool>() { b.to_string() } else { v.str()?.to_string() };
            Ok((k.str()?.to_string(), value))
        })
        .collect()
}

/// Resolves `connector.class` through `ferroconnect._plugins.load_connector`, and transforms and
/// predicates through [`crate::transforms::PyTransformLoader`].
pub struct PyPluginLoader;

impl PluginLoader for PyPluginLoader {
    fn load_connector(&self, class: &str) -> Result<Arc<dyn Connector>> {
        Python::attach(|py| {
            let loaded = py.import("ferroconnect._plugins").and_then(|m| m.call_method1("load_connector", (class,)));
            let obj = match loaded {
                Ok(obj) => obj,
                // Not found / not a connector: a config error that names what was looked up.
                Err(e) if e.is_instance_of::<ConfigError>(py) => {
                    return Err(Error::config("connector.class", e.value(py).to_string()))
                }
                Err(e) => return Err(from_py(py, e)),
            };
            let kind: String =
                obj.getattr("_ferroconnect_kind").and_then(|k| k.extract()).map_err(|e| from_py(py, e))?;
            let kind = if kind == "sink" { ConnectorKind::Sink } else { ConnectorKind::Source };
            Ok(Arc::new(PyConnector { obj: obj.unbind(), kind }) as Arc<dyn Connector>)
        })
    }

    /// Classes registered with the in-process `Worker` and entry points of `ferroconnect.connectors`.
    fn connector_plugins(&self) -> Result<Vec<PluginDesc>> {
        call(|py| {
            let found = py.import("ferroconnect._plugins")?.call_method0("connector_plugins")?;
            found
                .try_iter()?
                .map(|item| {
                    let (class, kind, version): (String, String, String) = item?.extract()?;
                    let kind = if kind == "sink" { PluginType::Sink } else { PluginType::Source };
                    Ok(PluginDesc { class, kind, version })
                })
                .collect()
        })
    }

    /// Python transforms and predicates (`transforms/`), for what is not built in.
    fn transform_loader(&self) -> Option<Arc<dyn ferroconnect_core::transforms::chain::TransformLoader>> {
        Some(Arc::new(crate::transforms::PyTransformLoader))
    }
}

/// A Python `Connector` instance.
pub struct PyConnector {
    obj: Py<PyAny>,
    kind: ConnectorKind,
}

impl Connector for PyConnector {
    fn kind(&self) -> ConnectorKind {
        self.kind
    }

    fn version(&self) -> String {
        call(|py| self.obj.bind(py).call_method0("version")?.extract()).unwrap_or_else(|_| "unknown".into())
    }

    fn start(&self, config: &Config, context: ConnectorContext) -> Result<()> {
        call(|py| {
            let obj = self.obj.bind(py);
            obj.setattr("context", PyConnectorContext { inner: context })?;
            obj.call_method1("start", (config_dict(py, config)?,))?;
            Ok(())
        })
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<Config>> {
        call(|py| {
            let configs = self.obj.bind(py).call_method1("task_configs", (max_tasks,))?;
            configs.try_iter()?.map(|c| config_from(&c?)).collect()
        })
    }

    fn stop(&self) -> Result<()> {
        call(|py| self.obj.bind(py).call_method0("stop").map(drop))
    }

    /// `module.QualName` of the class `task_class()` returns.
    fn task_class(&self) -> Option<String> {
        call(|py| {
            let class = self.obj.bind(py).call_method0("task_class")?;
            let module: String = class.getattr("__module__")?.extract()?;
            let name: String = class.getattr("__qualname__")?.extract()?;
            Ok(format!("{module}.{name}"))
        })
        .ok()
    }

    fn create_sink_task(&self) -> Result<Box<dyn ferroconnect_core::runtime::plugin::SinkTask>> {
        call(|py| {
            let task = self.obj.bind(py).call_method0("task_class")?.call0()?;
            Ok(Box::new(crate::sink::PySinkTask { obj: task.unbind(), runner: PyOnceLock::new() })
                as Box<dyn ferroconnect_core::runtime::plugin::SinkTask>)
        })
    }

    /// `Connector.config()`: the Python `ConfigDef`'s compiled definition.
    fn config_def(&self) -> Result<ConfigDef> {
        call(|py| {
            let def = self.obj.bind(py).call_method0("config")?.getattr("_def")?;
            let def = def.cast::<PyConfigDef>()?;
            let copy = def.get().def.read().expect("config def lock").clone();
            Ok(copy)
        })
    }

    /// `Connector.validate(config)` (error messages by key) with the definition's reports and the
    /// recommenders' values.
    fn validate(&self, config: &Config) -> Result<Vec<ConfigValueReport>> {
        let mut reports = self.config_def()?.validate_all(config);
        call(|py| {
            let outcome = py
                .import("ferroconnect._plugins")?
                .call_method1("validate_connector", (self.obj.bind(py), config_dict(py, config)?))?;
            let (errors, recommended): (BTreeMap<String, Vec<String>>, BTreeMap<String, Vec<String>>) =
                outcome.extract()?;
            for (name, errors) in errors {
                // The connector's answer replaces the definition's: by default it is the same check.
                match reports.iter_mut().find(|r| r.name == name) {
                    Some(report) => report.errors = errors,
                    None if !errors.is_empty() => reports.push(ConfigValueReport::undefined(&name, errors)),
                    None => {}
                }
            }
            for (name, values) in recommended {
                if let Some(report) = reports.iter_mut().find(|r| r.name == name) {
                    report.recommended_values = values;
                }
            }
            Ok(reports)
        })
    }

    /// `SourceConnector.alter_offsets(config, [(partition, offset or None), ...])`.
    fn alter_offsets(
        &self,
        config: &Config,
        offsets: &[(serde_json::Value, Option<serde_json::Value>)],
    ) -> Result<bool> {
        call(|py| {
            let obj = self.obj.bind(py);
            if !obj.hasattr("alter_offsets")? {
                return Ok(false);
            }
            let pairs = offsets
                .iter()
                .map(|(p, o)| {
                    let offset = match o {
                        Some(o) => from_json(py, o)?,
                        None => py.None(),
                    };
                    Ok((from_json(py, p)?, offset))
                })
                .collect::<PyResult<Vec<_>>>()?;
            let result = obj.call_method1("alter_offsets", (config_dict(py, config)?, PyList::new(py, pairs)?))?;
            result.is_truthy()
        })
    }

    /// `SourceConnector.exactly_once_support(config)`: `ExactlyOnceSupport.SUPPORTED` /
    /// `UNSUPPORTED`, or None when the connector does not say.
    fn exactly_once_support(&self, config: &Config) -> Result<Option<bool>> {
        call(|py| {
            let answer = self.obj.bind(py).call_method1("exactly_once_support", (config_dict(py, config)?,))?;
            support_answer(&answer)
        })
    }

    /// `SourceConnector.can_define_transaction_boundaries(config)`:
    /// `ConnectorTransactionBoundaries.SUPPORTED` / `UNSUPPORTED` (None is refused by validation).
    fn can_define_transaction_boundaries(&self, config: &Config) -> Result<Option<bool>> {
        call(|py| {
            let answer =
                self.obj.bind(py).call_method1("can_define_transaction_boundaries", (config_dict(py, config)?,))?;
            support_answer(&answer)
        })
    }

    fn create_source_task(&self) -> Result<Box<dyn SourceTask>> {
        call(|py| {
            let class = self.obj.bind(py).call_method0("task_class")?;
            let task = class.call0()?;
            let wants_commit_record: bool =
                py.import("ferroconnect._plugins")?.call_method1("overrides_commit_record", (&task,))?.extract()?;
            Ok(Box::new(PySourceTask {
                obj: task.unbind(),
                runner: PyOnceLock::new(),
                wants_commit_record,
                keeps_handles: std::sync::atomic::AtomicBool::new(wants_commit_record),
            }) as Box<dyn SourceTask>)
        })
    }
}

/// A Python `SourceTask` instance. `async def` methods run on an asyncio loop owned by the task's
/// thread (`ferroconnect._plugins.AsyncRunner`), created at start when the task has one.
pub struct PySourceTask {
    obj: Py<PyAny>,
    runner: PyOnceLock<Py<PyAny>>,
    wants_commit_record: bool,
    /// Whether polled records keep their Python object: for `commit_record`, and for a
    /// transaction context whose requests name records.
    keeps_handles: std::sync::atomic::AtomicBool,
}

/// `SUPPORTED` / `UNSUPPORTED` (an enum member or its name) as the core's answer; None as None.
fn support_answer(answer: &Bound<'_, PyAny>) -> PyResult<Option<bool>> {
    if answer.is_none() {
        return Ok(None);
    }
    let name: String = match answer.getattr("name") {
        Ok(name) => name.extract()?,
        Err(_) => answer.str()?.to_string(),
    };
    match name.to_ascii_uppercase().as_str() {
        "SUPPORTED" => Ok(Some(true)),
        "UNSUPPORTED" => Ok(Some(false)),
        _ => Err(pyo3::exceptions::PyValueError::new_err(format!(
            "expected SUPPORTED, UNSUPPORTED or None, not {}",
            answer.repr()?
        ))),
    }
}

impl PySourceTask {
    /// Calls a method, awaiting it on the task's loop if it is a coroutine function.
    fn invoke<'py>(&self, py: Python<'py>, method: &str, args: Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        let runner = self.runner.get(py).expect("runner set at start").bind(py);
        runner.call_method1("call", (self.obj.bind(py).getattr(method)?, args))
    }
}

impl SourceTask for PySourceTask {
    fn version(&self) -> String {
        call(|py| self.obj.bind(py).call_method0("version")?.extract()).unwrap_or_else(|_| "unknown".into())
    }

    fn start(&self, context: SourceTaskContext) -> Result<()> {
        call(|py| {
            let obj = self.obj.bind(py);
            let runner = py.import("ferroconnect._plugins")?.getattr("AsyncRunner")?.call1((obj,))?;
            let _ = self.runner.set(py, runner.unbind());
            let config = config_dict(py, &context.config)?;
            if context.transaction_context.is_some() {
                self.keeps_handles.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            obj.setattr(
                "context",
                PySourceTaskContext {
                    config: context.config.clone(),
                    reader: context.offset_reader,
                    transactions: context.transaction_context,
                },
            )?;
            self.invoke(py, "start", PyTuple::new(py, [config])?)?;
            Ok(())
        })
    }

    fn poll(&self) -> Result<Option<Vec<SourceRecord>>> {
        call(|py| {
            let batch = self.invoke(py, "poll", PyTuple::empty(py))?;
            if batch.is_none() {
                return Ok(None);
            }
            to_core_batch(&batch, self.keeps_handles.load(std::sync::atomic::Ordering::Relaxed)).map(Some)
        })
    }

    fn commit(&self) -> Result<()> {
        call(|py| self.invoke(py, "commit", PyTuple::empty(py)).map(drop))
    }

    fn wants_commit_record(&self) -> bool {
        self.wants_commit_record
    }

    fn commit_records(&self, acked: Vec<(SourceRecord, Option<Delivered>)>) -> Result<()> {
        call(|py| {
            let metadata_class = py.import("ferroconnect._plugins")?.getattr("RecordMetadata")?;
            let method = self.obj.bind(py).getattr("commit_record")?;
            for (record, delivered) in acked {
                let Some(handle) = record.handle.as_ref().and_then(|h| h.downcast_ref::<Py<PyAny>>()) else { continue };
                let metadata = match delivered {
                    Some(d) => metadata_class.call1((d.topic, d.partition, d.offset, d.timestamp))?,
                    None => py.None().into_bound(py),
                };
                method.call1((handle.bind(py), metadata))?;
            }
            Ok(())
        })
    }

    /// The Python object's identity, as `TransactionContext.commit_transaction(record)` names it.
    fn record_key(&self, record: &SourceRecord) -> Option<usize> {
        let handle = record.handle.as_ref()?.downcast_ref::<Py<PyAny>>()?;
        Some(handle.as_ptr() as usize)
    }

    fn run_thread(&self, body: ThreadBody<'_>) {
        with_thread_state(body)
    }

    fn stop(&self) -> Result<()> {
        call(|py| match self.runner.get(py) {
            Some(runner) => runner.bind(py).call_method1("stop", (self.obj.bind(py),)).map(drop),
            None => self.obj.bind(py).call_method0("stop").map(drop),
        })
    }
}

/// `Connector.context`: talk back to the runtime.
#[pyclass(name = "ConnectorContext", module = "ferroconnect._core", frozen)]
pub struct PyConnectorContext {
    inner: ConnectorContext,
}

#[pymethods]
impl PyConnectorContext {
    /// Asks the runtime to call `task_configs` again and restart the tasks if their configs changed.
    fn request_task_reconfiguration(&self) {
        (self.inner.request_task_reconfiguration)();
    }

    /// Puts the connector in FAILED with this exception's traceback.
    fn raise_error(&self, py: Python<'_>, exc: Bound<'_, PyAny>) {
        let err = PyErr::from_value(exc);
        (self.inner.raise_error)(crate::failure::traceback_text(py, &err));
    }
}

/// `SourceTask.context`: the task's config and the offsets committed for it.
#[pyclass(name = "SourceTaskContext", module = "ferroconnect._core", frozen)]
pub struct PySourceTaskContext {
    pub(crate) config: Config,
    pub(crate) reader: Arc<dyn OffsetReader>,
    pub(crate) transactions: Option<Arc<TransactionContext>>,
}

#[pymethods]
impl PySourceTaskContext {
    /// The task's configuration.
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        config_dict(py, &self.config)
    }

    /// Reads committed offsets of this connector's source partitions.
    #[getter]
    fn offset_storage_reader(&self) -> PyOffsetStorageReader {
        PyOffsetStorageReader { reader: self.reader.clone() }
    }

    /// Where the task commits and aborts its transactions: set only for an exactly-once task whose
    /// connector has `transaction.boundary=connector`; None otherwise.
    #[getter]
    fn transaction_context(&self) -> Option<PyTransactionContext> {
        self.transactions.clone().map(|inner| PyTransactionContext { inner })
    }
}

/// Kafka Connect's `TransactionContext` (KIP-618): an exactly-once task with connector-defined
/// boundaries asks here for its transaction to end.
#[pyclass(name = "TransactionContext", module = "ferroconnect._core", frozen)]
pub struct PyTransactionContext {
    inner: Arc<TransactionContext>,
}

#[pymethods]
impl PyTransactionContext {
    /// Commits the transaction after the batch being polled is sent or, given a record of it,
    /// right after that record (the records after it start the next transaction).
    #[pyo3(signature = (record = None))]
    fn commit_transaction(&self, record: Option<Bound<'_, PyAny>>) {
        match record {
            Some(record) => self.inner.commit_transaction_on(record.as_ptr() as usize),
            None => self.inner.commit_transaction(),
        }
    }

    /// Aborts the transaction after the batch being polled is sent or, given a record, right
    /// after that record: the transaction's records are discarded, their offsets still committed.
    #[pyo3(signature = (record = None))]
    fn abort_transaction(&self, record: Option<Bound<'_, PyAny>>) {
        match record {
            Some(record) => self.inner.abort_transaction_on(record.as_ptr() as usize),
            None => self.inner.abort_transaction(),
        }
    }
}

/// Kafka Connect's `OffsetStorageReader`.
#[pyclass(name = "OffsetStorageReader", module = "ferroconnect._core", frozen)]
pub struct PyOffsetStorageReader {
    reader: Arc<dyn OffsetReader>,
}

#[pymethods]
impl PyOffsetStorageReader {
    /// The committed offset of one source partition, or None.
    fn offset(&self, py: Python<'_>, partition: Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let partition = to_json(&partition)?;
        let mut found = py.detach(|| self.reader.offsets(&[partition])).map_err(crate::errors::to_py)?;
        match found.pop().flatten() {
            Some(offset) => from_json(py, &offset),
            None => Ok(py.None()),
        }
    }

    /// The committed offsets of several partitions: a list in the same order (None where absent).
    fn offsets(&self, py: Python<'_>, partitions: Bound<'_, PyAny>) -> PyResult<Py<PyList>> {
        let partitions = partitions.try_iter()?.map(|p| to_json(&p?)).collect::<PyResult<Vec<_>>>()?;
        let found = py.detach(|| self.reader.offsets(&partitions)).map_err(crate::errors::to_py)?;
        let items = found
            .iter()
            .map(|o| o.as_ref().map_or_else(|| Ok(py.None()), |o| from_json(py, o)))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, items)?.unbind())
    }
}
