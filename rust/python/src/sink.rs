//! Python sink tasks as the core's `SinkTask`; the task context and the errant record reporter
//! as compiled classes. A batch is handed to `put` as a list of small `SinkRecord` objects made
//! under one GIL hold (`sink_record.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ferroconnect_core::runtime::plugin::{
    ErrantRecordReporter, ReportedError, SinkControl, SinkOffsets, SinkTask, SinkTaskContext, ThreadBody,
};
use ferroconnect_core::runtime::sink_record::{SinkBatch, TopicPartition};
use ferroconnect_core::Result;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::errors::{ConnectError, DataError};
use crate::failure::{call, traceback_text, with_thread_state};
use crate::sink_record::{core_record, py_batch, topic_partition_class, PySinkRecord};
use crate::source::config_dict;

pub(crate) fn py_partitions<'py>(py: Python<'py>, partitions: &[TopicPartition]) -> PyResult<Bound<'py, PyList>> {
    let class = topic_partition_class(py)?;
    PyList::new(py, partitions.iter().map(|tp| class.call1((&tp.topic, tp.partition))).collect::<PyResult<Vec<_>>>()?)
}

pub(crate) fn core_partition(obj: &Bound<'_, PyAny>) -> PyResult<TopicPartition> {
    let (topic, partition): (String, i32) = obj.extract()?;
    Ok(TopicPartition::new(topic, partition))
}

pub(crate) fn py_offsets<'py>(py: Python<'py>, offsets: &SinkOffsets) -> PyResult<Bound<'py, PyDict>> {
    let class = topic_partition_class(py)?;
    let dict = PyDict::new(py);
    for (tp, offset) in offsets {
        dict.set_item(class.call1((&tp.topic, tp.partition))?, offset)?;
    }
    Ok(dict)
}

fn core_offsets(obj: &Bound<'_, PyAny>) -> PyResult<SinkOffsets> {
    if obj.is_none() {
        return Ok(SinkOffsets::new());
    }
    let dict = obj
        .cast::<PyDict>()
        .map_err(|_| DataError::new_err("pre_commit() must return a dict of TopicPartition to offset, or None"))?;
    dict.iter().map(|(tp, offset)| Ok((core_partition(&tp)?, offset.extract::<i64>()?))).collect()
}

/// A Python `SinkTask` instance. Methods are called directly; a result that is awaitable (an
/// `async def` method) is run to completion on the task thread's own loop.
pub struct PySinkTask {
    pub obj: Py<PyAny>,
    pub runner: PyOnceLock<Py<PyAny>>,
}

impl PySinkTask {
    fn invoke<'py>(
        &self,
        py: Python<'py>,
        method: &Bound<'py, PyString>,
        args: Bound<'py, PyTuple>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let result = self.obj.bind(py).call_method1(method, args)?;
        if result.is_none() {
            return Ok(result);
        }
        let runner = self.runner.get(py).expect("runner set at start").bind(py);
        runner.call_method1(intern!(py, "resolve"), (result,))
    }
}

impl SinkTask for PySinkTask {
    fn version(&self) -> String {
        call(|py| self.obj.bind(py).call_method0("version")?.extract()).unwrap_or_else(|_| "unknown".into())
    }

    fn start(&self, context: SinkTaskContext) -> Result<()> {
        call(|py| {
            let obj = self.obj.bind(py);
            let runner = py.import("ferroconnect._plugins")?.getattr("AsyncRunner")?.call1((obj,))?;
            let _ = self.runner.set(py, runner.unbind());
            let config = config_dict(py, &context.config)?;
            obj.setattr("context", PySinkTaskContext { config: context.config.clone(), control: context.control })?;
            self.invoke(py, intern!(py, "start"), PyTuple::new(py, [config])?)?;
            Ok(())
        })
    }

    fn open(&self, partitions: &[TopicPartition]) -> Result<()> {
        call(|py| self.invoke(py, intern!(py, "open"), PyTuple::new(py, [py_partitions(py, partitions)?])?).map(drop))
    }

    fn put(&self, records: &SinkBatch) -> Result<()> {
        call(|py| self.invoke(py, intern!(py, "put"), PyTuple::new(py, [py_batch(py, records)?])?).map(drop))
    }

    fn pre_commit(&self, offsets: &SinkOffsets) -> Result<SinkOffsets> {
        call(|py| {
            core_offsets(&self.invoke(py, intern!(py, "pre_commit"), PyTuple::new(py, [py_offsets(py, offsets)?])?)?)
        })
    }

    fn close(&self, partitions: &[TopicPartition]) -> Result<()> {
        call(|py| self.invoke(py, intern!(py, "close"), PyTuple::new(py, [py_partitions(py, partitions)?])?).map(drop))
    }

    fn stop(&self) -> Result<()> {
        call(|py| match self.runner.get(py) {
            Some(_) => self.invoke(py, intern!(py, "stop"), PyTuple::empty(py)).map(drop),
            None => self.obj.bind(py).call_method0("stop").map(drop),
        })
    }

    fn run_thread(&self, body: ThreadBody<'_>) {
        with_thread_state(body)
    }
}

/// `SinkTask.context`: Kafka Connect's `SinkTaskContext`.
#[pyclass(name = "SinkTaskContext", module = "ferroconnect._core", frozen)]
pub struct PySinkTaskContext {
    pub(crate) config: ferroconnect_core::runtime::plugin::Config,
    pub(crate) control: Arc<dyn SinkControl>,
}

fn partitions_arg(partitions: &Bound<'_, PyTuple>) -> PyResult<Vec<TopicPartition>> {
    partitions.iter().map(|tp| core_partition(&tp)).collect()
}

#[pymethods]
impl PySinkTaskContext {
    /// The task's configuration.
    #[getter]
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        config_dict(py, &self.config)
    }

    /// The partitions currently assigned to this task.
    fn assignment<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let assigned = py.detach(|| self.control.assignment());
        py_partitions(py, &assigned)
    }

    /// Stops fetching records of these partitions until :meth:`resume`.
    #[pyo3(signature = (*partitions))]
    fn pause(&self, partitions: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.control.pause(&partitions_arg(partitions)?);
        Ok(())
    }

    /// Fetches records of these partitions again.
    #[pyo3(signature = (*partitions))]
    fn resume(&self, partitions: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.control.resume(&partitions_arg(partitions)?);
        Ok(())
    }

    /// Rewinds or skips: ``offset(tp, 42)`` or ``offset({tp: 42, ...})``; the next records of
    /// each partition start at that offset.
    #[pyo3(signature = (partition_or_offsets, offset = None))]
    fn offset(&self, partition_or_offsets: &Bound<'_, PyAny>, offset: Option<i64>) -> PyResult<()> {
        let offsets: SinkOffsets = match offset {
            Some(offset) => BTreeMap::from([(core_partition(partition_or_offsets)?, offset)]),
            None => partition_or_offsets
                .cast::<PyDict>()
                .map_err(|_| DataError::new_err("offset() takes a TopicPartition and an offset, or a dict of them"))?
                .iter()
                .map(|(tp, o)| Ok((core_partition(&tp)?, o.extract::<i64>()?)))
                .collect::<PyResult<_>>()?,
        };
        self.control.offset(offsets);
        Ok(())
    }

    /// After ``put`` raised ``RetriableError``: wait this many milliseconds before handing the
    /// same records again.
    fn timeout(&self, timeout_ms: u64) {
        self.control.timeout(Duration::from_millis(timeout_ms));
    }

    /// Asks for an offset commit (``pre_commit``, then a commit) as soon as possible.
    fn request_commit(&self) {
        self.control.request_commit();
    }

    /// The errant record reporter, or None unless the connector sets
    /// ``errors.deadletterqueue.topic.name`` or ``errors.log.enable``.
    fn errant_record_reporter(&self) -> Option<PyErrantRecordReporter> {
        self.control.errant_record_reporter().map(|inner| PyErrantRecordReporter { inner })
    }
}

/// Kafka Connect's `ErrantRecordReporter`.
#[pyclass(name = "ErrantRecordReporter", module = "ferroconnect._core", frozen)]
pub struct PyErrantRecordReporter {
    inner: Arc<dyn ErrantRecordReporter>,
}

#[pymethods]
impl PyErrantRecordReporter {
    /// Reports a record this task could not handle, with the exception. Returns a
    /// ``concurrent.futures.Future`` done once the report is written to the dead letter queue.
    /// Offsets are never committed past a report that is not yet written.
    fn report<'py>(
        &self,
        py: Python<'py>,
        record: &Bound<'py, PySinkRecord>,
        error: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let core = core_record(record)?;
        let err = PyErr::from_value(error.clone());
        let class = error.get_type();
        let failure = ReportedError {
            class_name: format!("{}.{}", class.module()?, class.qualname()?),
            message: error.str()?.to_string(),
            trace: traceback_text(py, &err),
        };
        let future = py.import("concurrent.futures")?.getattr("Future")?.call0()?;
        let completer = future.clone().unbind();
        let done = Box::new(move |outcome: Result<()>| {
            Python::attach(|py| {
                let future = completer.bind(py);
                let _ = match outcome {
                    Ok(()) => future.call_method1("set_result", (py.None(),)),
                    Err(e) => future.call_method1("set_exception", (ConnectError::new_err(e.to_string()).value(py),)),
                };
            });
        });
        // Without the GIL: the completion may run on librdkafka's thread, which needs it.
        let reporter = self.inner.clone();
        let reported = py.detach(move || reporter.report(&core, failure, done));
        // A failure beyond errors.tolerance fails the task once put() returns (as in Kafka).
        if let Err(e) = reported {
            tracing::debug!("errant record report exceeded tolerance: {e}");
        }
        Ok(future)
    }
}

/// What the built-in ``CountingSinkConnector`` named ``connector`` counted in this process:
/// ``(records, bytes, seconds from its first non-empty put to its last)``, or None if no such
/// connector started here.
#[pyfunction]
fn counting_sink_stats(connector: &str) -> Option<(u64, u64, f64)> {
    ferroconnect_core::connectors::counting_sink::counted(connector)
        .map(|c| (c.records, c.bytes, c.elapsed.as_secs_f64()))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(counting_sink_stats, m)?)?;
    m.add_class::<PySinkRecord>()?;
    m.add_class::<PySinkTaskContext>()?;
    m.add_class::<PyErrantRecordReporter>()?;
    Ok(())
}
