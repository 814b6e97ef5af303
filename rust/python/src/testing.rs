//! What `ferroconnect.testing` needs to run a Python task without a worker: the runtime's own task
//! contexts, over offsets kept in memory (a source task) or over a Python object that records what
//! the task asks (a sink task), and the runtime's conversion of a polled batch. No runtime logic:
//! the harnesses themselves are Python (`ferroconnect/testing/`).

use std::sync::Arc;
use std::time::Duration;

use ferroconnect_core::offsets::{MemoryOffsetStore, OffsetStore};
use ferroconnect_core::runtime::plugin::{
    ErrantRecordReporter, OffsetReader, ReportDone, ReportedError, SinkControl, SinkOffsets,
};
use ferroconnect_core::runtime::sink_record::{SinkRecord, TopicPartition};
use ferroconnect_core::{Error, Result};
use pyo3::prelude::*;

use crate::records::{from_json, to_core_batch, to_json};
use crate::sink::{core_partition, py_offsets, py_partitions, PySinkTaskContext};
use crate::source::{config_from, PySourceTaskContext};

/// Committed source offsets kept in memory, stored and read back with the runtime's conversions
/// (so a task restarted on them sees what Kafka Connect's offset storage would give it).
#[pyclass(name = "MemoryOffsets", module = "ferroconnect._core", frozen)]
pub struct PyMemoryOffsets {
    store: Arc<MemoryOffsetStore>,
}

#[pymethods]
impl PyMemoryOffsets {
    #[new]
    fn new() -> Self {
        PyMemoryOffsets { store: Arc::new(MemoryOffsetStore::default()) }
    }

    /// Commits ``(source partition, source offset)`` pairs of a connector; an offset of None
    /// removes its partition. Raises ``DataError`` for a value Kafka could not store.
    fn put(&self, connector: &str, offsets: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)>) -> PyResult<()> {
        let pairs = offsets
            .iter()
            .map(|(p, o)| Ok((to_json(p)?, if o.is_none() { None } else { Some(to_json(o)?) })))
            .collect::<PyResult<Vec<_>>>()?;
        self.store.put(connector, &pairs).map_err(crate::errors::to_py)
    }

    /// Every committed ``(source partition, source offset)`` of a connector.
    fn all(&self, py: Python<'_>, connector: &str) -> PyResult<Vec<(Py<PyAny>, Py<PyAny>)>> {
        let entries = self.store.all(connector).map_err(crate::errors::to_py)?;
        entries.iter().map(|(p, o)| Ok((from_json(py, p)?, from_json(py, o)?))).collect()
    }

    /// A source task's context over these offsets, as the worker builds it for ``connector``.
    fn source_task_context(&self, connector: &str, config: Bound<'_, PyAny>) -> PyResult<PySourceTaskContext> {
        let reader = ConnectorOffsets { connector: connector.to_owned(), store: self.store.clone() };
        Ok(PySourceTaskContext { config: config_from(&config)?, reader: Arc::new(reader), transactions: None })
    }
}

/// One connector's view of the store (the worker's reader does the same).
struct ConnectorOffsets {
    connector: String,
    store: Arc<MemoryOffsetStore>,
}

impl OffsetReader for ConnectorOffsets {
    fn offsets(&self, partitions: &[serde_json::Value]) -> Result<Vec<Option<serde_json::Value>>> {
        self.store.get(&self.connector, partitions)
    }
}

/// A sink task's context whose requests (pause, resume, rewinds, timeouts, commit requests,
/// errant-record reports) go to ``control``, a Python object with the methods ``assignment()``,
/// ``pause(partitions)``, ``resume(partitions)``, ``offset(offsets)``, ``timeout(ms)``,
/// ``request_commit()``, ``reports_errors()`` and ``report(where, class_name, message, trace)``.
#[pyfunction]
fn sink_task_context(config: Bound<'_, PyAny>, control: Bound<'_, PyAny>) -> PyResult<PySinkTaskContext> {
    Ok(PySinkTaskContext { config: config_from(&config)?, control: Arc::new(PyControl { obj: control.unbind() }) })
}

/// A batch as the runtime converts what ``poll()`` returned: raises ``DataError`` for what fails
/// the task; for each record, the converter stage and message that would refuse it, or None.
#[pyfunction]
fn convert_source_batch(batch: Bound<'_, PyAny>) -> PyResult<Vec<Option<(String, String)>>> {
    let records = to_core_batch(&batch, false)?;
    Ok(records.into_iter().map(|r| r.unconvertible.map(|u| (u.stage.as_str().to_owned(), u.error.message))).collect())
}

struct PyControl {
    obj: Py<PyAny>,
}

impl PyControl {
    /// Calls a method of the Python object; the trait has no error path, so a failure is
    /// reported as unraisable (pytest shows it).
    fn call<T>(
        &self,
        method: &str,
        args: impl FnOnce(Python<'_>) -> PyResult<Vec<Bound<'_, PyAny>>>,
        out: impl FnOnce(&Bound<'_, PyAny>) -> PyResult<T>,
    ) -> Option<T> {
        Python::attach(|py| {
            let result = args(py)
                .and_then(|args| self.obj.bind(py).call_method1(method, pyo3::types::PyTuple::new(py, args)?))
                .and_then(|r| out(&r));
            result.map_err(|e| e.write_unraisable(py, None)).ok()
        })
    }
}

impl SinkControl for PyControl {
    fn assignment(&self) -> Vec<TopicPartition> {
        self.call("assignment", |_| Ok(vec![]), |r| r.try_iter()?.map(|tp| core_partition(&tp?)).collect())
            .unwrap_or_default()
    }

    fn pause(&self, partitions: &[TopicPartition]) {
        self.call("pause", |py| Ok(vec![py_partitions(py, partitions)?.into_any()]), |_| Ok(()));
    }

    fn resume(&self, partitions: &[TopicPartition]) {
        self.call("resume", |py| Ok(vec![py_partitions(py, partitions)?.into_any()]), |_| Ok(()));
    }

    fn offset(&self, offsets: SinkOffsets) {
        self.call("offset", |py| Ok(vec![py_offsets(py, &offsets)?.into_any()]), |_| Ok(()));
    }

    fn timeout(&self, timeout: Duration) {
        let ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        self.call("timeout", |py| Ok(vec![ms.into_pyobject(py)?.into_any()]), |_| Ok(()));
    }

    fn request_commit(&self) {
        self.call("request_commit", |_| Ok(vec![]), |_| Ok(()));
    }

    fn errant_record_reporter(&self) -> Option<Arc<dyn ErrantRecordReporter>> {
        let enabled = self.call("reports_errors", |_| Ok(vec![]), |r| r.is_truthy()).unwrap_or(false);
        let obj = Python::attach(|py| self.obj.clone_ref(py));
        enabled.then(|| Arc::new(PyControl { obj }) as Arc<dyn ErrantRecordReporter>)
    }
}

impl ErrantRecordReporter for PyControl {
    /// Hands the record's place and the error to Python; done at once (nothing is written).
    fn report(&self, record: &SinkRecord, error: ReportedError, done: ReportDone) -> Result<()> {
        let place = (record.topic.to_string(), record.partition, record.offset);
        let reported = Python::attach(|py| {
            self.obj
                .bind(py)
                .call_method1("report", (place, error.class_name, error.message, error.trace))
                .map(drop)
                .map_err(|e| e.to_string())
        });
        done(Ok(()));
        reported.map_err(Error::Connector)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMemoryOffsets>()?;
    m.add_function(wrap_pyfunction!(sink_task_context, m)?)?;
    m.add_function(wrap_pyfunction!(convert_source_batch, m)?)?;
    Ok(())
}
