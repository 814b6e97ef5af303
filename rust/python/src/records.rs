//! `SourceRecord` as a compiled class, the batch conversion of a task's records to the core's
//! (one GIL hold per batch; converters then run in Rust without the GIL), and the conversions of
//! source records on their way through a transform chain.

use std::sync::Arc;

use ferroconnect_core::data::{SchemaRef, Value};
use ferroconnect_core::errors::Stage;
use ferroconnect_core::runtime::plugin::ReportedError;
use ferroconnect_core::runtime::record::{Header, SourceOffset, SourceRecord, Unconvertible};
use ferroconnect_core::transforms::Record;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::data::{references, take_unshared};
use crate::errors::DataError;
use crate::sink_record::{copied_headers, new_record_changes};
use crate::source_batch::PySourceBatch;

/// A record from a source task (Kafka Connect's `SourceRecord`).
///
/// `SourceRecord(source_partition, source_offset, topic, partition=None, key_schema=None, key=None,
/// value_schema=None, value=None, timestamp=None, headers=None)`; each argument is also an attribute.
//
// A free list: a task builds a batch of these, the runtime converts and drops them, and the next
// batch takes their memory back. pyo3 makes the reused objects without tracking them in Python's
// cycle collector, which changes nothing here (this class has no `__traverse__`, so the collector
// never saw through it) but spares each record its visits during collections: with allocation and
// traversal, 568 instructions of the 4,158 that building one `SourceRecord` with its offset dict
// cost (callgrind, batches of 1,000).
#[pyclass(name = "SourceRecord", module = "ferroconnect._core", get_all, set_all, freelist = 4096)]
pub struct PySourceRecord {
    /// Where the record comes from in the source system (a dict of str to primitives, e.g.
    /// `{"filename": "in.txt"}`): offsets are stored per source partition.
    pub source_partition: Py<PyAny>,
    /// The record's position in its source partition (a dict, e.g. `{"position": 42}`), committed
    /// once Kafka acknowledged this record and every one before it in the partition.
    pub source_offset: Py<PyAny>,
    /// The Kafka topic to write to. Kept as the Python string given: a batch's records mostly name
    /// one string object, which the conversion recognises by identity instead of copying it per
    /// record (a Rust `String` here cost an allocation and a copy per record).
    pub topic: Py<PyString>,
    /// The Kafka partition (`partition=` in the constructor), or None for the producer's partitioner.
    pub kafka_partition: Option<i32>,
    /// The key's `Schema`, or None for a schemaless key.
    pub key_schema: Py<PyAny>,
    /// The key: Connect data matching `key_schema` (None for no key); for a STRUCT schema a `Struct`,
    /// or its field values as a tuple or list in field order or a dict by name (see `value`).
    pub key: Py<PyAny>,
    /// The value's `Schema`, or None for a schemaless value.
    pub value_schema: Py<PyAny>,
    /// The value: Connect data matching `value_schema` (None for a tombstone). For a STRUCT schema,
    /// a `Struct`, or what `Struct(schema, values)` takes: a tuple or list of the field values in the
    /// schema's order, or a dict of field names to values, converted by the schema with the checks
    /// of `Struct.put` and no Python `Struct` built (a Python convenience: Kafka's takes a Struct).
    pub value: Py<PyAny>,
    /// Milliseconds since the epoch, or None for the time the producer sends it.
    pub timestamp: Option<i64>,
    /// A list of `(name, value)` pairs, or None.
    pub headers: Py<PyAny>,
}

#[pymethods]
impl PySourceRecord {
    #[new]
    #[pyo3(signature = (source_partition, source_offset, topic, partition = None, key_schema = None, key = None,
                        value_schema = None, value = None, timestamp = None, headers = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        source_partition: Py<PyAny>,
        source_offset: Py<PyAny>,
        topic: Py<PyString>,
        partition: Option<i32>,
        key_schema: Option<Py<PyAny>>,
        key: Option<Py<PyAny>>,
        value_schema: Option<Py<PyAny>>,
        value: Option<Py<PyAny>>,
        timestamp: Option<i64>,
        headers: Option<Py<PyAny>>,
    ) -> Self {
        let none = || py.None();
        PySourceRecord {
            source_partition,
            source_offset,
            topic,
            kafka_partition: partition,
            key_schema: key_schema.unwrap_or_else(none),
            key: key.unwrap_or_else(none),
            value_schema: value_schema.unwrap_or_else(none),
            value: value.unwrap_or_else(none),
            timestamp,
            headers: headers.unwrap_or_else(none),
        }
    }

    /// A copy with some fields replaced (Kafka's `newRecord`): ``record.new_record(value=v,
    /// value_schema=s)``. Takes ``topic``, ``partition``, ``key_schema``, ``key``,
    /// ``value_schema``, ``value``, ``timestamp`` and ``headers`` by keyword; the others, and the
    /// source partition and offset, are kept. What a transform returns.
    #[pyo3(signature = (**changes))]
    fn new_record(&self, py: Python<'_>, changes: Option<&Bound<'_, PyDict>>) -> PyResult<PySourceRecord> {
        let mut new = PySourceRecord {
            source_partition: self.source_partition.clone_ref(py),
            source_offset: self.source_offset.clone_ref(py),
            topic: self.topic.clone_ref(py),
            kafka_partition: self.kafka_partition,
            key_schema: self.key_schema.clone_ref(py),
            key: self.key.clone_ref(py),
            value_schema: self.value_schema.clone_ref(py),
            value: self.value.clone_ref(py),
            timestamp: self.timestamp,
            headers: copied_headers(self.headers.bind(py))?,
        };
        for (name, obj) in new_record_changes(changes)? {
            match name.as_str() {
                "topic" => new.topic = obj.extract()?,
                "partition" => new.kafka_partition = obj.extract()?,
                "key_schema" => new.key_schema = obj.unbind(),
                "key" => new.key = obj.unbind(),
                "value_schema" => new.value_schema = obj.unbind(),
                "value" => new.value = obj.unbind(),
                "timestamp" => new.timestamp = obj.extract()?,
                _ => new.headers = obj.unbind(),
            }
        }
        Ok(new)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "SourceRecord(source_partition={}, source_offset={}, topic={}, partition={}, key={}, value={}, timestamp={})",
            self.source_partition.bind(py).repr()?,
            self.source_offset.bind(py).repr()?,
            self.topic.bind(py).repr()?,
            opt_repr(self.kafka_partition),
            self.key.bind(py).repr()?,
            self.value.bind(py).repr()?,
            opt_repr(self.timestamp)
        ))
    }
}

impl PySourceRecord {
    /// The record as a transform's output (Kafka's `ConnectRecord`; the source partition and
    /// offset stay with the runtime's record).
    pub(crate) fn to_transform_record(&self, py: Python<'_>) -> PyResult<Record> {
        let key_schema = schema_of(self.key_schema.bind(py))?;
        let value_schema = schema_of(self.value_schema.bind(py))?;
        Ok(Record {
            topic: self.topic.bind(py).to_str()?.into(),
            partition: self.kafka_partition,
            key: crate::data::to_value(self.key.bind(py), key_schema.as_ref())?,
            key_schema,
            value: crate::data::to_value(self.value.bind(py), value_schema.as_ref())?,
            value_schema,
            timestamp: self.timestamp,
            headers: headers_from_py(self.headers.bind(py))?,
            offset: None,
        })
    }

    /// A source record on its way through a transform chain, as a Python `SourceRecord`. The chain
    /// does not carry the source partition and offset (the runtime keeps them with its own record
    /// and gives them back to the transform's result): here they are None.
    pub(crate) fn from_transform_record(py: Python<'_>, record: Record) -> PyResult<Self> {
        let schema = |s: &Option<SchemaRef>| -> PyResult<Py<PyAny>> {
            Ok(match s {
                Some(s) => crate::data::py_schema(py, s.clone())?.into_any(),
                None => py.None(),
            })
        };
        let headers = record
            .headers
            .iter()
            .map(|h| {
                let value = crate::data::to_py(py, &h.value, h.schema.as_ref())?;
                PyTuple::new(py, [PyString::new(py, &h.key).into_any(), value.into_bound(py)])
            })
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PySourceRecord {
            source_partition: py.None(),
            source_offset: py.None(),
            key: crate::data::to_py(py, &record.key, record.key_schema.as_ref())?,
            key_schema: schema(&record.key_schema)?,
            value: crate::data::to_py(py, &record.value, record.value_schema.as_ref())?,
            value_schema: schema(&record.value_schema)?,
            topic: PyString::new(py, &record.topic).unbind(),
            kafka_partition: record.partition,
            timestamp: record.timestamp,
            headers: PyList::new(py, headers)?.into_any().unbind(),
        })
    }
}

/// An optional number as Python prints it (`None` or the number).
pub(crate) fn opt_repr<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "None".to_owned(), |v| v.to_string())
}

/// The schema object of a record field, as the core's schema (None for schemaless).
fn schema_of(obj: &Bound<'_, PyAny>) -> PyResult<Option<SchemaRef>> {
    crate::data::schema_ref(obj)
}

/// Converts a task's batch. `keep` stores each Python record in the core record (for `commit_record`).
///
/// A key, value or header that cannot become Connect data does not fail the batch: the record is
/// marked `unconvertible` and the runtime judges it in that converter's stage under
/// `errors.tolerance`, as Kafka Connect judges a converter's refusal. What is wrong with the
/// record itself (not a `SourceRecord`, a bad schema object, an offset that is not JSON) fails the
/// task, naming the record's place in the batch.
pub fn to_core_batch(batch: &Bound<'_, PyAny>, keep: bool) -> PyResult<Vec<SourceRecord>> {
    if let Ok(columns) = batch.cast::<PySourceBatch>() {
        return crate::source_batch::to_core(columns, keep);
    }
    let list = batch.cast::<PyList>().map_err(|_| {
        DataError::new_err(format!(
            "poll() must return a list of SourceRecord, a SourceBatch or None, not {}",
            batch.get_type()
        ))
    })?;
    let mut out = Vec::with_capacity(list.len());
    let mut partitions = PartitionCache::default();
    let mut offsets = OffsetKeys::default();
    let mut topics = Topics::default();
    // Only the runtime holds the list (the task kept no reference to it), so a record that only
    // the list holds is gone once converted: its Struct value can be moved out, not copied.
    let sole_list = !keep && references(batch) == 1;
    for (index, item) in list.iter().enumerate() {
        // The list's reference and `item`'s.
        let sole_record = sole_list && references(&item) == 2;
        let record = item.cast::<PySourceRecord>().map_err(|_| {
            DataError::new_err(format!(
                "poll() returned a {} where a SourceRecord was expected (record {index} of the batch)",
                item.get_type()
            ))
        })?;
        let r = record.borrow();
        let py = item.py();
        let place = |e: PyErr| in_batch(py, e, index);
        let key_schema = schema_of(r.key_schema.bind(py)).map_err(place)?;
        let value_schema = schema_of(r.value_schema.bind(py)).map_err(place)?;
        let mut failed = None;
        let key = field(r.key.bind(py), key_schema.as_ref(), Stage::KeyConverter, &mut failed);
        // Not when a failure will print the record (its key's, or possibly its headers').
        let movable = sole_record && failed.is_none() && r.headers.bind(py).is_none();
        let value = value_field(r.value.bind(py), value_schema.as_ref(), movable.then_some(1), &mut failed);
        let headers = headers(r.headers.bind(py), &mut failed).map_err(place)?;
        let unconvertible = failed.map(|(stage, err)| {
            Box::new(Unconvertible {
                stage,
                error: reported(py, &err),
                record: item.repr().map_or_else(|_| "SourceRecord(?)".to_owned(), |r| r.to_string()),
            })
        });
        out.push(SourceRecord {
            source_partition: partitions.get(r.source_partition.bind(py)).map_err(place)?,
            source_offset: offsets.offset(r.source_offset.bind(py)).map_err(place)?,
            topic: topics.get(r.topic.bind(py)).map_err(place)?,
            partition: r.kafka_partition,
            key,
            key_schema,
            value,
            value_schema,
            timestamp: r.timestamp,
            headers,
            handle: keep.then(|| Arc::new(item.clone().unbind()) as Arc<dyn std::any::Any + Send + Sync>),
            unconvertible,
        });
    }
    Ok(out)
}

/// A key, value or header value as Connect data; on failure `Null`, the first failure kept in
/// `failed` with its converter's stage.
pub(crate) fn field(
    obj: &Bound<'_, PyAny>,
    schema: Option<&SchemaRef>,
    stage: Stage,
    failed: &mut Option<(Stage, PyErr)>,
) -> Value {
    crate::data::to_value(obj, schema).unwrap_or_else(|err| {
        failed.get_or_insert((stage, err));
        Value::Null
    })
}

/// A record's value as `field` converts it, or, when `held` says how many references account for
/// all of a Struct value's (the caller found nothing else holding its batch), that Struct's
/// contents moved out instead of copied (`take_unshared`).
pub(crate) fn value_field(
    obj: &Bound<'_, PyAny>,
    schema: Option<&SchemaRef>,
    held: Option<isize>,
    failed: &mut Option<(Stage, PyErr)>,
) -> Value {
    match held.and_then(|held| take_unshared(obj, schema, held)) {
        Some(value) => value,
        None => field(obj, schema, Stage::ValueConverter, failed),
    }
}

/// A Python exception as the runtime reports it: class, message and the traceback with its causes.
pub(crate) fn reported(py: Python<'_>, err: &PyErr) -> ReportedError {
    let class = err.get_type(py);
    let class_name = match (class.module(), class.qualname()) {
        (Ok(module), Ok(name)) => format!("{module}.{name}"),
        _ => "Exception".to_owned(),
    };
    let message = err.value(py).str().map_or_else(|_| err.to_string(), |m| m.to_string());
    ReportedError { class_name, message, trace: crate::failure::traceback_text(py, err) }
}

/// The same exception, its message naming the record's place in the batch (the original stays
/// its `__cause__`).
pub(crate) fn in_batch(py: Python<'_>, err: PyErr, index: usize) -> PyErr {
    let wrapped = DataError::new_err(format!("record {index} of the batch returned by poll(): {}", err.value(py)));
    wrapped.set_cause(py, Some(err));
    wrapped
}

/// The last source partition converted in a batch. Tasks usually pass the same partition object
/// for all their records (as the FileStream example does), or an equal one made afresh for each
/// (`{"table": name}`); either is converted once and shared. Not Python's `==`, which would
/// equate `{"p": 1}` and `{"p": 1.0}`, which Kafka stores as different keys: the object itself,
/// or the JSON it would make (`same_json`).
#[derive(Default)]
struct PartitionCache {
    last: Option<(Py<PyAny>, Arc<serde_json::Value>)>,
}

impl PartitionCache {
    fn get(&mut self, obj: &Bound<'_, PyAny>) -> PyResult<Arc<serde_json::Value>> {
        if let Some((known, json)) = &self.last {
            if known.is(obj) || same_json(obj, json) {
                return Ok(json.clone());
            }
        }
        let json = Arc::new(to_json(obj)?);
        self.last = Some((obj.clone().unbind(), json.clone()));
        Ok(json)
    }
}

/// Source offsets as the core keeps them: a dict of one key as `SourceOffset::Keyed`, its key
/// shared with the previous record's when equal (a task's offsets usually all have the same key),
/// so that a record's offset needs no JSON map of its own; any other offset as its JSON.
#[derive(Default)]
pub(crate) struct OffsetKeys {
    keys: SharedStr,
}

impl OffsetKeys {
    pub(crate) fn offset(&mut self, obj: &Bound<'_, PyAny>) -> PyResult<SourceOffset> {
        if let Ok(dict) = obj.cast::<PyDict>() {
            if let (1, Some((key, value))) = (dict.len(), dict.iter().next()) {
                if let Ok(key) = key.cast::<PyString>() {
                    return Ok(SourceOffset::Keyed(self.keys.get(key.to_str()?), to_json(&value)?));
                }
            }
        }
        Ok(SourceOffset::Json(to_json(obj)?))
    }
}

/// Strings shared with the previous one when equal: the records of a batch usually name one topic,
/// and their offsets one key, which are then shared instead of copied per record.
#[derive(Default)]
pub(crate) struct SharedStr {
    last: Option<Arc<str>>,
}

impl SharedStr {
    /// `text` as an `Arc`: the previous one's when equal.
    pub(crate) fn get(&mut self, text: &str) -> Arc<str> {
        match &self.last {
            Some(last) if **last == *text => last.clone(),
            _ => self.last.insert(Arc::from(text)).clone(),
        }
    }
}

/// A batch's topics as `Arc`s: the previous record's when the record names the same Python string
/// object (compared by address; the cache holds a reference to it, so the address cannot be reused
/// meanwhile), else as `SharedStr` finds it.
#[derive(Default)]
struct Topics {
    last: Option<(Py<PyString>, Arc<str>)>,
    shared: SharedStr,
}

impl Topics {
    fn get(&mut self, topic: &Bound<'_, PyString>) -> PyResult<Arc<str>> {
        if let Some((last, shared)) = &self.last {
            if last.as_ptr() == topic.as_ptr() {
                return Ok(shared.clone());
            }
        }
        let shared = self.shared.get(topic.to_str()?);
        self.last = Some((topic.clone().unbind(), shared.clone()));
        Ok(shared)
    }
}

/// Whether `to_json(obj)` would be `json`, found without building it. As strict as the JSON
/// text: `1`, `1.0` and `True` differ, so do `0.0` and `-0.0`, and a dict's order counts.
fn same_json(obj: &Bound<'_, PyAny>, json: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match json {
        J::Null => obj.is_none(),
        J::Bool(b) => obj.cast::<PyBool>().is_ok_and(|o| o.is_true() == *b),
        // `bool` is an `int` to Python, not a number to `to_json`.
        J::Number(_) if obj.is_instance_of::<PyBool>() => false,
        J::Number(n) if n.is_f64() => {
            obj.is_instance_of::<PyFloat>()
                && obj.extract::<f64>().is_ok_and(|v| n.as_f64().is_some_and(|f| f.to_bits() == v.to_bits()))
        }
        J::Number(n) => obj.is_instance_of::<PyInt>() && obj.extract::<i64>().ok() == n.as_i64(),
        J::String(s) => obj.cast::<PyString>().is_ok_and(|o| o.to_str().is_ok_and(|o| o == s)),
        J::Array(items) => {
            let same = |len: usize, mut values: Box<dyn Iterator<Item = Bound<'_, PyAny>> + '_>| {
                len == items.len() && items.iter().all(|item| values.next().is_some_and(|v| same_json(&v, item)))
            };
            if let Ok(list) = obj.cast::<PyList>() {
                same(list.len(), Box::new(list.iter()))
            } else if let Ok(tuple) = obj.cast::<PyTuple>() {
                same(tuple.len(), Box::new(tuple.iter()))
            } else {
                false
            }
        }
        J::Object(map) => obj.cast::<PyDict>().is_ok_and(|dict| {
            dict.len() == map.len()
                && dict.iter().zip(map).all(|((k, v), (key, value))| {
                    k.cast::<PyString>().is_ok_and(|k| k.to_str().is_ok_and(|k| k == key)) && same_json(&v, value)
                })
        }),
    }
}

/// Headers given as a dict or a list of `(key, value)` pairs; a value that cannot become Connect
/// data is kept in `failed` (stage `HEADER_CONVERTER`).
pub(crate) fn headers(obj: &Bound<'_, PyAny>, failed: &mut Option<(Stage, PyErr)>) -> PyResult<Vec<Header>> {
    if obj.is_none() {
        return Ok(Vec::new());
    }
    let pairs: Vec<(String, Bound<'_, PyAny>)> = match obj.cast::<PyDict>() {
        Ok(dict) => dict.iter().map(|(k, v)| Ok((k.extract()?, v))).collect::<PyResult<_>>()?,
        Err(_) => obj.try_iter()?.map(|item| item?.extract()).collect::<PyResult<_>>()?,
    };
    Ok(pairs
        .into_iter()
        .map(|(key, value)| Header { key, schema: None, value: field(&value, None, Stage::HeaderConverter, failed) })
        .collect())
}

/// Headers given as a dict or a list of `(key, value)` pairs (None for none), each value as
/// schemaless Connect data; a value that cannot be converted fails the conversion.
pub(crate) fn headers_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Vec<Header>> {
    let mut failed = None;
    let headers = headers(obj, &mut failed)?;
    match failed {
        Some((_, err)) => Err(err),
        None => Ok(headers),
    }
}

/// Source partitions and offsets: JSON-like Python values (as Kafka stores them in JSON).
pub fn to_json(obj: &Bound<'_, PyAny>) -> PyResult<serde_json::Value> {
    use serde_json::Value as J;
    Ok(if obj.is_none() {
        J::Null
    } else if let Ok(s) = obj.cast::<PyString>() {
        J::String(s.to_str()?.to_owned())
    } else if obj.is_instance_of::<PyBool>() {
        J::Bool(obj.extract()?)
    } else if obj.is_instance_of::<PyInt>() {
        J::from(obj.extract::<i64>()?)
    } else if obj.is_instance_of::<PyFloat>() {
        serde_json::Number::from_f64(obj.extract()?).map_or(J::Null, J::Number)
    } else if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = serde_json::Map::with_capacity(dict.len());
        for (k, v) in dict.iter() {
            let key =
                k.cast::<PyString>().map_err(|_| DataError::new_err("source partition/offset keys must be str"))?;
            map.insert(key.to_str()?.to_owned(), to_json(&v)?);
        }
        J::Object(map)
    } else if let Ok(list) = obj.cast::<PyList>() {
        J::Array(list.iter().map(|v| to_json(&v)).collect::<PyResult<_>>()?)
    } else if let Ok(tuple) = obj.cast::<PyTuple>() {
        J::Array(tuple.iter().map(|v| to_json(&v)).collect::<PyResult<_>>()?)
    } else {
        return Err(DataError::new_err(format!(
            "source partitions and offsets hold str, int, float, bool, None, list and dict values, not {}",
            obj.get_type()
        )));
    })
}

/// A JSON value as a Python object (offsets read back for a task).
pub fn from_json(py: Python<'_>, value: &serde_json::Value) -> PyResult<Py<PyAny>> {
    use serde_json::Value as J;
    Ok(match value {
        J::Null => py.None(),
        J::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        J::Number(n) => match n.as_i64() {
            Some(i) => i.into_pyobject(py)?.into_any().unbind(),
            None => n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any().unbind(),
        },
        J::String(s) => PyString::new(py, s).into_any().unbind(),
        J::Array(items) => {
            PyList::new(py, items.iter().map(|v| from_json(py, v)).collect::<PyResult<Vec<_>>>()?)?.into_any().unbind()
        }
        J::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, from_json(py, v)?)?;
            }
            dict.into_any().unbind()
        }
    })
}
