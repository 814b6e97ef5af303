//! Python sink tasks as the core's `SinkTask`; `SinkRecord`, the task context and the errant
//! record reporter as compiled classes. A batch becomes a list of small `SinkRecord` objects under
//! one GIL hold; each converts its key, value and headers to Python when first read, and the
//! original bytes stay in Rust (shared, not copied) for dead letter queue reports.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ferroconnect_core::data::{SchemaRef, Value};
use ferroconnect_core::runtime::plugin::{
    ErrantRecordReporter, ReportedError, SinkControl, SinkOffsets, SinkTask, SinkTaskContext,
};
use ferroconnect_core::runtime::record::Header;
use ferroconnect_core::runtime::sink_record::{SinkBatch, SinkRecord, TimestampType, TopicPartition};
use ferroconnect_core::Result;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::errors::{ConnectError, DataError};
use crate::failure::{call, traceback_text};
use crate::source::config_dict;

/// `ferroconnect.TopicPartition` (a NamedTuple defined in Python).
fn topic_partition_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    CLASS.import(py, "ferroconnect.connector", "TopicPartition")
}

fn py_partitions<'py>(py: Python<'py>, partitions: &[TopicPartition]) -> PyResult<Bound<'py, PyList>> {
    let class = topic_partition_class(py)?;
    PyList::new(py, partitions.iter().map(|tp| class.call1((&tp.topic, tp.partition))).collect::<PyResult<Vec<_>>>()?)
}

fn core_partition(obj: &Bound<'_, PyAny>) -> PyResult<TopicPartition> {
    let (topic, partition): (String, i32) = obj.extract()?;
    Ok(TopicPartition::new(topic, partition))
}

fn py_offsets<'py>(py: Python<'py>, offsets: &SinkOffsets) -> PyResult<Bound<'py, PyDict>> {
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

fn parse_timestamp_type(name: &str) -> PyResult<TimestampType> {
    match name {
        "CreateTime" => Ok(TimestampType::CreateTime),
        "LogAppendTime" => Ok(TimestampType::LogAppendTime),
        "NoTimestampType" => Ok(TimestampType::NoTimestampType),
        other => Err(DataError::new_err(format!(
            "timestamp_type must be CreateTime, LogAppendTime or NoTimestampType, not {other:?}"
        ))),
    }
}

/// A record read from Kafka (Kafka Connect's `SinkRecord`).
///
/// Records the runtime hands to `put` keep the converted core record in Rust (shared with the rest
/// of their batch) and make the Python key, value, schemas and headers on first access, once: a
/// batch costs one small object per record, whatever the records hold.
#[pyclass(name = "SinkRecord", module = "ferroconnect._core", frozen)]
pub struct PySinkRecord {
    core: CoreRecord,
    key: PyOnceLock<Py<PyAny>>,
    value: PyOnceLock<Py<PyAny>>,
    key_schema: PyOnceLock<Py<PyAny>>,
    value_schema: PyOnceLock<Py<PyAny>>,
    headers: PyOnceLock<Py<PyAny>>,
}

/// Where a `SinkRecord`'s fields come from.
enum CoreRecord {
    /// The `index`-th record of a batch handed to `put`.
    Batch(Arc<Vec<SinkRecord>>, usize),
    /// Built in Python: the scalar fields (the others are set as given).
    Own(Box<SinkRecord>),
}

impl PySinkRecord {
    fn core(&self) -> &SinkRecord {
        match &self.core {
            CoreRecord::Batch(batch, index) => &batch[*index],
            CoreRecord::Own(record) => record,
        }
    }

    fn from_batch(batch: Arc<Vec<SinkRecord>>, index: usize) -> Self {
        PySinkRecord {
            core: CoreRecord::Batch(batch, index),
            key: PyOnceLock::new(),
            value: PyOnceLock::new(),
            key_schema: PyOnceLock::new(),
            value_schema: PyOnceLock::new(),
            headers: PyOnceLock::new(),
        }
    }
}

/// A Python object made at most once per record.
fn cached<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyAny>>,
    make: impl FnOnce() -> PyResult<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(cell.get_or_try_init(py, make)?.bind(py).clone())
}

fn set_once(py: Python<'_>, value: Py<PyAny>) -> PyOnceLock<Py<PyAny>> {
    let cell = PyOnceLock::new();
    let _ = cell.set(py, value);
    cell
}

#[pymethods]
impl PySinkRecord {
    #[new]
    #[pyo3(signature = (topic, partition, key_schema, key, value_schema, value, kafka_offset, timestamp = None,
                        timestamp_type = "NoTimestampType", headers = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        topic: &str,
        partition: i32,
        key_schema: Py<PyAny>,
        key: Py<PyAny>,
        value_schema: Py<PyAny>,
        value: Py<PyAny>,
        kafka_offset: i64,
        timestamp: Option<i64>,
        timestamp_type: &str,
        headers: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let core = SinkRecord {
            topic: Arc::from(topic),
            partition,
            offset: kafka_offset,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value: Value::Null,
            timestamp,
            timestamp_type: parse_timestamp_type(timestamp_type)?,
            headers: Vec::new(),
            original: None,
        };
        Ok(PySinkRecord {
            core: CoreRecord::Own(Box::new(core)),
            key: set_once(py, key),
            value: set_once(py, value),
            key_schema: set_once(py, key_schema),
            value_schema: set_once(py, value_schema),
            headers: set_once(py, headers.unwrap_or_else(|| PyList::empty(py).into_any().unbind())),
        })
    }

    #[getter]
    fn topic<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
        PyString::new(py, &self.core().topic)
    }

    #[getter]
    fn kafka_partition(&self) -> i32 {
        self.core().partition
    }

    #[getter]
    fn kafka_offset(&self) -> i64 {
        self.core().offset
    }

    #[getter]
    fn key_schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        cached(py, &self.key_schema, || schema_object(py, self.core().key_schema.as_ref()))
    }

    #[getter]
    fn key<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        cached(py, &self.key, || {
            let core = self.core();
            crate::data::to_py(py, &core.key, core.key_schema.as_ref())
        })
    }

    #[getter]
    fn value_schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        cached(py, &self.value_schema, || schema_object(py, self.core().value_schema.as_ref()))
    }

    #[getter]
    fn value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        cached(py, &self.value, || {
            let core = self.core();
            crate::data::to_py(py, &core.value, core.value_schema.as_ref())
        })
    }

    #[getter]
    fn timestamp(&self) -> Option<i64> {
        self.core().timestamp
    }

    #[getter]
    fn timestamp_type(&self) -> &'static str {
        self.core().timestamp_type.as_str()
    }

    /// ``(name, value)`` pairs, in order.
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        cached(py, &self.headers, || {
            let items = self
                .core()
                .headers
                .iter()
                .map(|h| {
                    let value = crate::data::to_py(py, &h.value, h.schema.as_ref())?;
                    PyTuple::new(py, [PyString::new(py, &h.key).into_any(), value.into_bound(py)])
                })
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, items)?.into_any().unbind())
        })
    }

    /// The record's topic and partition.
    #[getter]
    fn topic_partition<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        topic_partition_class(py)?.call1((self.topic(py), self.kafka_partition()))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let core = self.core();
        Ok(format!(
            "SinkRecord(topic={:?}, partition={}, offset={}, key={}, value={}, timestamp={:?})",
            &*core.topic,
            core.partition,
            core.offset,
            self.key(py)?.repr()?,
            self.value(py)?.repr()?,
            core.timestamp
        ))
    }
}

fn schema_object(py: Python<'_>, schema: Option<&SchemaRef>) -> PyResult<Py<PyAny>> {
    Ok(match schema {
        Some(schema) => crate::data::py_schema(py, schema.clone())?.into_any(),
        None => py.None(),
    })
}

/// A batch of core records as a Python list of `SinkRecord`: one small object per record, the
/// records' data staying in Rust until the task reads it.
fn py_batch<'py>(py: Python<'py>, batch: &SinkBatch) -> PyResult<Bound<'py, PyList>> {
    let shared = batch.shared();
    let items = (0..shared.len())
        .map(|index| Bound::new(py, PySinkRecord::from_batch(shared.clone(), index)))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// A Python `SinkRecord` back as a core record (for an errant-record report).
fn core_record(record: &Bound<'_, PySinkRecord>) -> PyResult<SinkRecord> {
    let r = record.get();
    if let CoreRecord::Batch(batch, index) = &r.core {
        // Read from Kafka: the report writes its original bytes.
        return Ok(batch[*index].clone());
    }
    let py = record.py();
    let key_schema = crate::data::schema_ref(&r.key_schema(py)?)?;
    let value_schema = crate::data::schema_ref(&r.value_schema(py)?)?;
    let mut headers = Vec::new();
    let py_headers = r.headers(py)?;
    if !py_headers.is_none() {
        for item in py_headers.try_iter()? {
            let (key, value): (String, Bound<'_, PyAny>) = item?.extract()?;
            headers.push(Header { key, schema: None, value: crate::data::to_value(&value, None)? });
        }
    }
    let core = r.core();
    Ok(SinkRecord {
        key: crate::data::to_value(&r.key(py)?, key_schema.as_ref())?,
        key_schema,
        value: crate::data::to_value(&r.value(py)?, value_schema.as_ref())?,
        value_schema,
        headers,
        ..core.clone()
    })
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
}

/// `SinkTask.context`: Kafka Connect's `SinkTaskContext`.
#[pyclass(name = "SinkTaskContext", module = "ferroconnect._core", frozen)]
pub struct PySinkTaskContext {
    config: ferroconnect_core::runtime::plugin::Config,
    control: Arc<dyn SinkControl>,
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
