//! `SinkRecord` as a compiled class: what a sink task's `put` and a sink connector's Python
//! transforms see. Records the runtime hands out keep the converted core record in Rust (shared
//! with the rest of their batch) and make the Python key, value, schemas and headers on first
//! access, once; the original bytes stay in Rust (shared, not copied) for dead letter queue
//! reports. A field never read from Python is taken back from the core record as it is, without
//! a conversion (`to_transform_record`).

use std::sync::Arc;

use ferroconnect_core::data::{SchemaRef, Value};
use ferroconnect_core::runtime::record::Header;
use ferroconnect_core::runtime::sink_record::{SinkBatch, SinkRecord, TimestampType};
use ferroconnect_core::transforms::Record;
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use crate::errors::DataError;

/// `ferroconnect.TopicPartition` (a NamedTuple defined in Python).
pub(crate) fn topic_partition_class(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static CLASS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    CLASS.import(py, "ferroconnect.connector", "TopicPartition")
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

/// A Python object made at most once per record. Not `PyOnceLock::get_or_try_init`: a first access
/// through it lets go of the GIL around the cell's lock, so reading one field of each record of a
/// batch dropped and retook the GIL per record, and waited whenever another thread took it meanwhile
/// (the Python FileStream sink ran at a third of its CPU's pace). Here `make` runs holding the GIL
/// and `set` runs no Python code, so no thread can hold the cell's lock while waiting for the GIL;
/// of two threads reading a field for the first time at once, the first to set it wins.
fn cached<'py>(
    py: Python<'py>,
    cell: &PyOnceLock<Py<PyAny>>,
    make: impl FnOnce() -> PyResult<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(made) = cell.get(py) {
        return Ok(made.bind(py).clone());
    }
    let _ = cell.set(py, make()?);
    Ok(cell.get(py).expect("set just above").bind(py).clone())
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

    /// A copy with some fields replaced (Kafka's `newRecord`): ``record.new_record(value=v,
    /// value_schema=s)``. Takes ``topic``, ``partition``, ``key_schema``, ``key``,
    /// ``value_schema``, ``value``, ``timestamp`` and ``headers`` by keyword; the others, the
    /// offset and the timestamp type are kept. What a transform returns.
    #[pyo3(signature = (**changes))]
    fn new_record(&self, py: Python<'_>, changes: Option<&Bound<'_, PyDict>>) -> PyResult<PySinkRecord> {
        let old = self.core();
        let mut core = SinkRecord {
            topic: old.topic.clone(),
            partition: old.partition,
            offset: old.offset,
            key_schema: None,
            key: Value::Null,
            value_schema: None,
            value: Value::Null,
            timestamp: old.timestamp,
            timestamp_type: old.timestamp_type,
            headers: Vec::new(),
            original: old.original.clone(),
        };
        let (key_schema, key, value_schema, value, headers) =
            (PyOnceLock::new(), PyOnceLock::new(), PyOnceLock::new(), PyOnceLock::new(), PyOnceLock::new());
        let mut given = [false; 5];
        for (name, obj) in new_record_changes(changes)? {
            let (cell, index) = match name.as_str() {
                "topic" => {
                    core.topic = Arc::from(obj.extract::<&str>()?);
                    continue;
                }
                "partition" => {
                    core.partition = obj.extract()?;
                    continue;
                }
                "timestamp" => {
                    core.timestamp = obj.extract()?;
                    continue;
                }
                "key_schema" => (&key_schema, 0),
                "key" => (&key, 1),
                "value_schema" => (&value_schema, 2),
                "value" => (&value, 3),
                _ => (&headers, 4),
            };
            let obj = if index == 4 && obj.is_none() { PyList::empty(py).into_any() } else { obj };
            let _ = cell.set(py, obj.unbind());
            given[index] = true;
        }
        // Fields not given: the old record's Python object if it made one (shared, as Kafka shares
        // them), else its core data (still not converted).
        let share = |cell: &PyOnceLock<Py<PyAny>>, old_cell: &PyOnceLock<Py<PyAny>>| match old_cell.get(py) {
            Some(obj) => {
                let _ = cell.set(py, obj.clone_ref(py));
                true
            }
            None => false,
        };
        if !given[0] && !share(&key_schema, &self.key_schema) {
            core.key_schema = old.key_schema.clone();
        }
        if !given[1] && !share(&key, &self.key) {
            core.key = old.key.clone();
        }
        if !given[2] && !share(&value_schema, &self.value_schema) {
            core.value_schema = old.value_schema.clone();
        }
        if !given[3] && !share(&value, &self.value) {
            core.value = old.value.clone();
        }
        if !given[4] {
            match self.headers.get(py) {
                Some(obj) => {
                    let _ = headers.set(py, copied_headers(obj.bind(py))?);
                }
                None => core.headers = old.headers.clone(),
            }
        }
        Ok(PySinkRecord { core: CoreRecord::Own(Box::new(core)), key, value, key_schema, value_schema, headers })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let core = self.core();
        Ok(format!(
            "SinkRecord(topic={}, partition={}, offset={}, key={}, value={}, timestamp={})",
            PyString::new(py, &core.topic).repr()?,
            core.partition,
            core.offset,
            self.key(py)?.repr()?,
            self.value(py)?.repr()?,
            crate::records::opt_repr(core.timestamp)
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
pub(crate) fn py_batch<'py>(py: Python<'py>, batch: &SinkBatch) -> PyResult<Bound<'py, PyList>> {
    let shared = batch.shared();
    let items = (0..shared.len())
        .map(|index| Bound::new(py, PySinkRecord::from_batch(shared.clone(), index)))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// A Python `SinkRecord` back as a core record (for an errant-record report).
pub(crate) fn core_record(record: &Bound<'_, PySinkRecord>) -> PyResult<SinkRecord> {
    let r = record.get();
    if let CoreRecord::Batch(batch, index) = &r.core {
        // Read from Kafka: the report writes its original bytes.
        return Ok(batch[*index].clone());
    }
    let fields = r.fields(record.py())?;
    Ok(SinkRecord {
        key_schema: fields.key_schema,
        key: fields.key,
        value_schema: fields.value_schema,
        value: fields.value,
        headers: fields.headers,
        ..r.core().clone()
    })
}

/// A record's key, value, schemas and headers as core data.
struct Fields {
    key_schema: Option<SchemaRef>,
    key: Value,
    value_schema: Option<SchemaRef>,
    value: Value,
    headers: Vec<Header>,
}

impl PySinkRecord {
    /// The record's data: a field made in Python (read, or given to the constructor or
    /// `new_record`) is converted from its Python object, which may have been changed in place;
    /// a field never made in Python is the core record's, cloned without a conversion.
    fn fields(&self, py: Python<'_>) -> PyResult<Fields> {
        let core = self.core();
        let schema = |cell: &PyOnceLock<Py<PyAny>>, own: &Option<SchemaRef>| match cell.get(py) {
            Some(obj) => crate::data::schema_ref(obj.bind(py)),
            None => Ok(own.clone()),
        };
        let data = |cell: &PyOnceLock<Py<PyAny>>, own: &Value, schema: Option<&SchemaRef>| match cell.get(py) {
            Some(obj) => crate::data::to_value(obj.bind(py), schema),
            None => Ok(own.clone()),
        };
        let key_schema = schema(&self.key_schema, &core.key_schema)?;
        let value_schema = schema(&self.value_schema, &core.value_schema)?;
        Ok(Fields {
            key: data(&self.key, &core.key, key_schema.as_ref())?,
            value: data(&self.value, &core.value, value_schema.as_ref())?,
            key_schema,
            value_schema,
            headers: match self.headers.get(py) {
                Some(obj) => crate::records::headers_from_py(obj.bind(py))?,
                None => core.headers.clone(),
            },
        })
    }

    /// The record as a transform's output (Kafka's `ConnectRecord`).
    pub(crate) fn to_transform_record(&self, py: Python<'_>) -> PyResult<Record> {
        let fields = self.fields(py)?;
        let core = self.core();
        Ok(Record {
            topic: core.topic.clone(),
            partition: Some(core.partition),
            key_schema: fields.key_schema,
            key: fields.key,
            value_schema: fields.value_schema,
            value: fields.value,
            timestamp: core.timestamp,
            headers: fields.headers,
            offset: Some(core.offset),
        })
    }
}

/// Sink records on their way through a transform chain as Python `SinkRecord`s, one small object
/// per record over one shared batch (as `put` gets them). A transform record does not carry its
/// timestamp type: a record with a timestamp shows `CreateTime`.
pub(crate) fn from_transform_records(py: Python<'_>, records: Vec<Record>) -> PyResult<Vec<Bound<'_, PySinkRecord>>> {
    let shared: Arc<Vec<SinkRecord>> = Arc::new(
        records
            .into_iter()
            .map(|r| SinkRecord {
                topic: r.topic,
                partition: r.partition.unwrap_or(-1),
                offset: r.offset.unwrap_or(-1),
                key_schema: r.key_schema,
                key: r.key,
                value_schema: r.value_schema,
                value: r.value,
                timestamp_type: if r.timestamp.is_some() {
                    TimestampType::CreateTime
                } else {
                    TimestampType::NoTimestampType
                },
                timestamp: r.timestamp,
                headers: r.headers,
                original: None,
            })
            .collect(),
    );
    (0..shared.len()).map(|index| Bound::new(py, PySinkRecord::from_batch(shared.clone(), index))).collect()
}

/// The fields `new_record` takes, by keyword (Kafka's `newRecord` arguments).
pub(crate) const NEW_RECORD_FIELDS: [&str; 8] =
    ["topic", "partition", "key_schema", "key", "value_schema", "value", "timestamp", "headers"];

/// The keyword arguments of a `new_record` call, checked against [`NEW_RECORD_FIELDS`].
pub(crate) fn new_record_changes<'py>(
    changes: Option<&Bound<'py, PyDict>>,
) -> PyResult<Vec<(String, Bound<'py, PyAny>)>> {
    let Some(changes) = changes else { return Ok(Vec::new()) };
    changes
        .iter()
        .map(|(name, value)| {
            let name: String = name.extract()?;
            if !NEW_RECORD_FIELDS.contains(&name.as_str()) {
                return Err(PyTypeError::new_err(format!(
                    "new_record() got an unexpected keyword argument '{name}'; it takes {}",
                    NEW_RECORD_FIELDS.join(", ")
                )));
            }
            Ok((name, value))
        })
        .collect()
}

/// Headers handed on to a new record: a list is copied (a transform that adds a header to the
/// new record leaves the old one's alone, as Kafka's `headers().duplicate()`).
pub(crate) fn copied_headers(headers: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    Ok(match headers.cast::<PyList>() {
        Ok(list) => list.get_slice(0, list.len()).into_any().unbind(),
        Err(_) => headers.clone().unbind(),
    })
}
