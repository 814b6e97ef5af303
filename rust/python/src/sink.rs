//! Python sink tasks as the core's `SinkTask`; `SinkRecord`, the task context and the errant
//! record reporter as compiled classes. A batch becomes Python objects in one pass under one GIL
//! hold; the original bytes stay in Rust (shared, not copied) for dead letter queue reports.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ferroconnect_core::data::{SchemaRef, Value};
use ferroconnect_core::runtime::plugin::{
    ErrantRecordReporter, ReportedError, SinkControl, SinkOffsets, SinkTask, SinkTaskContext,
};
use ferroconnect_core::runtime::record::Header;
use ferroconnect_core::runtime::sink_record::{ConsumedMessage, SinkRecord, TimestampType, TopicPartition};
use ferroconnect_core::Result;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyTuple};

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
#[pyclass(name = "SinkRecord", module = "ferroconnect._core", frozen)]
pub struct PySinkRecord {
    #[pyo3(get)]
    topic: String,
    #[pyo3(get)]
    kafka_partition: i32,
    #[pyo3(get)]
    kafka_offset: i64,
    #[pyo3(get)]
    key_schema: Py<PyAny>,
    #[pyo3(get)]
    key: Py<PyAny>,
    #[pyo3(get)]
    value_schema: Py<PyAny>,
    #[pyo3(get)]
    value: Py<PyAny>,
    #[pyo3(get)]
    timestamp: Option<i64>,
    #[pyo3(get)]
    timestamp_type: &'static str,
    #[pyo3(get)]
    headers: Py<PyAny>,
    /// The bytes it came from (not for Python; the dead letter queue writes them).
    original: Option<Arc<ConsumedMessage>>,
}

#[pymethods]
impl PySinkRecord {
    #[new]
    #[pyo3(signature = (topic, partition, key_schema, key, value_schema, value, kafka_offset, timestamp = None,
                        timestamp_type = "NoTimestampType", headers = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        topic: String,
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
        Ok(PySinkRecord {
            topic,
            kafka_partition: partition,
            kafka_offset,
            key_schema,
            key,
            value_schema,
            value,
            timestamp,
            timestamp_type: timestamp_type_name(parse_timestamp_type(timestamp_type)?),
            headers: headers.unwrap_or_else(|| PyList::empty(py).into_any().unbind()),
            original: None,
        })
    }

    /// The record's topic and partition.
    #[getter]
    fn topic_partition<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        topic_partition_class(py)?.call1((&self.topic, self.kafka_partition))
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "SinkRecord(topic={:?}, partition={}, offset={}, key={}, value={}, timestamp={:?})",
            self.topic,
            self.kafka_partition,
            self.kafka_offset,
            self.key.bind(py).repr()?,
            self.value.bind(py).repr()?,
            self.timestamp
        ))
    }
}

fn timestamp_type_name(t: TimestampType) -> &'static str {
    t.as_str()
}

/// Python schema objects for a batch, made once per distinct schema (records usually share one).
#[derive(Default)]
struct SchemaCache {
    last: Vec<(SchemaRef, Py<PyAny>)>,
}

impl SchemaCache {
    fn get(&mut self, py: Python<'_>, schema: Option<&SchemaRef>) -> PyResult<Py<PyAny>> {
        let Some(schema) = schema else { return Ok(py.None()) };
        if let Some((_, obj)) = self.last.iter().find(|(s, _)| Arc::ptr_eq(s, schema)) {
            return Ok(obj.clone_ref(py));
        }
        let obj = crate::data::py_schema(py, schema.clone())?.into_any();
        if self.last.len() >= 8 {
            self.last.remove(0);
        }
        self.last.push((schema.clone(), obj.clone_ref(py)));
        Ok(obj)
    }
}

/// A batch of core records as a Python list of `SinkRecord`.
fn py_batch<'py>(py: Python<'py>, records: &[SinkRecord]) -> PyResult<Bound<'py, PyList>> {
    let mut schemas = SchemaCache::default();
    let items = records
        .iter()
        .map(|r| {
            let headers = PyList::new(
                py,
                r.headers
                    .iter()
                    .map(|h| {
                        let value = crate::data::to_py(py, &h.value, h.schema.as_ref())?.into_bound(py);
                        PyTuple::new(py, [h.key.clone().into_pyobject(py)?.into_any(), value])
                    })
                    .collect::<PyResult<Vec<_>>>()?,
            )?;
            Py::new(
                py,
                PySinkRecord {
                    topic: r.topic.clone(),
                    kafka_partition: r.partition,
                    kafka_offset: r.offset,
                    key_schema: schemas.get(py, r.key_schema.as_ref())?,
                    key: crate::data::to_py(py, &r.key, r.key_schema.as_ref())?,
                    value_schema: schemas.get(py, r.value_schema.as_ref())?,
                    value: crate::data::to_py(py, &r.value, r.value_schema.as_ref())?,
                    timestamp: r.timestamp,
                    timestamp_type: timestamp_type_name(r.timestamp_type),
                    headers: headers.into_any().unbind(),
                    original: r.original.clone(),
                },
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// A Python `SinkRecord` back as a core record (for a report of a record the task built).
fn core_record(record: &Bound<'_, PySinkRecord>) -> PyResult<SinkRecord> {
    let py = record.py();
    let r = record.get();
    let key_schema = crate::data::schema_ref(r.key_schema.bind(py))?;
    let value_schema = crate::data::schema_ref(r.value_schema.bind(py))?;
    let mut headers = Vec::new();
    if !r.headers.bind(py).is_none() {
        for item in r.headers.bind(py).try_iter()? {
            let (key, value): (String, Bound<'_, PyAny>) = item?.extract()?;
            headers.push(Header { key, schema: None, value: crate::data::to_value(&value, None)? });
        }
    }
    Ok(SinkRecord {
        topic: r.topic.clone(),
        partition: r.kafka_partition,
        offset: r.kafka_offset,
        key: if r.original.is_some() {
            Value::Null
        } else {
            crate::data::to_value(r.key.bind(py), key_schema.as_ref())?
        },
        key_schema,
        value: if r.original.is_some() {
            Value::Null
        } else {
            crate::data::to_value(r.value.bind(py), value_schema.as_ref())?
        },
        value_schema,
        timestamp: r.timestamp,
        timestamp_type: parse_timestamp_type(r.timestamp_type)?,
        headers,
        original: r.original.clone(),
    })
}

/// A Python `SinkTask` instance; `async def` methods run on the task thread's own loop.
pub struct PySinkTask {
    pub obj: Py<PyAny>,
    pub runner: PyOnceLock<Py<PyAny>>,
}

impl PySinkTask {
    fn invoke<'py>(&self, py: Python<'py>, method: &str, args: Bound<'py, PyTuple>) -> PyResult<Bound<'py, PyAny>> {
        let runner = self.runner.get(py).expect("runner set at start").bind(py);
        runner.call_method1("call", (self.obj.bind(py).getattr(method)?, args))
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
            self.invoke(py, "start", PyTuple::new(py, [config])?)?;
            Ok(())
        })
    }

    fn open(&self, partitions: &[TopicPartition]) -> Result<()> {
        call(|py| self.invoke(py, "open", PyTuple::new(py, [py_partitions(py, partitions)?])?).map(drop))
    }

    fn put(&self, records: &[SinkRecord]) -> Result<()> {
        call(|py| self.invoke(py, "put", PyTuple::new(py, [py_batch(py, records)?])?).map(drop))
    }

    fn pre_commit(&self, offsets: &SinkOffsets) -> Result<SinkOffsets> {
        call(|py| core_offsets(&self.invoke(py, "pre_commit", PyTuple::new(py, [py_offsets(py, offsets)?])?)?))
    }

    fn close(&self, partitions: &[TopicPartition]) -> Result<()> {
        call(|py| self.invoke(py, "close", PyTuple::new(py, [py_partitions(py, partitions)?])?).map(drop))
    }

    fn stop(&self) -> Result<()> {
        call(|py| match self.runner.get(py) {
            Some(_) => self.invoke(py, "stop", PyTuple::empty(py)).map(drop),
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySinkRecord>()?;
    m.add_class::<PySinkTaskContext>()?;
    m.add_class::<PyErrantRecordReporter>()?;
    Ok(())
}
