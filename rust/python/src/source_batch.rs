//! `SourceBatch`: a batch of source records given column by column, which `poll` may return
//! instead of a list of `SourceRecord`s, and its conversion to the core's records.
//!
//! Why: a `SourceRecord` object and its offset dict cost more to build (and for the cyclic GC to
//! track) than the runtime spends sending the record. A task whose records share a source
//! partition and a topic (the common case: one file, one table, one API cursor) hands over a list
//! of values and a list of offsets instead; the conversion walks them once, converting the
//! partition and the schemas once per batch. Each record keeps its own offset, tracked and
//! committed as a `SourceRecord`'s is.

use std::sync::Arc;

use ferroconnect_core::data::{SchemaRef, Value};
use ferroconnect_core::errors::Stage;
use ferroconnect_core::runtime::record::{SourceOffset, SourceRecord, Unconvertible};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyIterator, PyList, PyString, PyTuple};

use crate::data::references;
use crate::errors::DataError;
use crate::records::{field, headers, in_batch, reported, to_json, value_field, OffsetKeys, PySourceRecord};

/// A batch of records of one source partition and one topic, given column by column.
///
/// `SourceBatch(source_partition, topic, values, offsets, *, offset_key=None, keys=None,
/// partition=None, key_schema=None, value_schema=None, timestamps=None, headers=None)`; each
/// argument is also an attribute. `poll` may return one instead of a list of `SourceRecord`: the
/// same records, with no Python object per record. Record `i` has `values[i]`, `offsets[i]` and,
/// where given, `keys[i]`, `timestamps[i]` and `headers[i]`; the sequences must be equally long.
/// With a STRUCT `value_schema` (or `key_schema`), a value (key) may be a tuple of the field
/// values in the schema's order instead of a `Struct`: `SourceBatch(p, topic, [(1, "Ada"), (2,
/// "Grace")], [1, 2], offset_key="n", value_schema=schema)`.
#[pyclass(name = "SourceBatch", module = "ferroconnect._core", frozen)]
pub struct PySourceBatch {
    /// Where all the records come from in the source system (a dict, e.g. `{"file": "in.txt"}`).
    #[pyo3(get)]
    pub source_partition: Py<PyAny>,
    /// The Kafka topic to write them to.
    #[pyo3(get)]
    pub topic: String,
    /// A sequence of values, one per record (Connect data matching `value_schema`). With a STRUCT
    /// schema each may be a `Struct` or a row: a tuple of the field values in the schema's order
    /// (or a list, or a dict by field name), converted by the schema with the checks of
    /// `Struct.put` and no Python `Struct` built, the cheapest way to hand over Struct rows.
    #[pyo3(get)]
    pub values: Py<PyAny>,
    /// A sequence of source offsets, one per record: dicts, or with `offset_key` plain values that
    /// each become `{offset_key: value}`.
    #[pyo3(get)]
    pub offsets: Py<PyAny>,
    /// The key under which each plain offset is stored, or None when `offsets` holds dicts.
    #[pyo3(get)]
    pub offset_key: Option<String>,
    /// A sequence of keys, one per record, or None for no keys.
    #[pyo3(get)]
    pub keys: Py<PyAny>,
    /// The Kafka partition of every record (`partition=` in the constructor), or None for the
    /// producer's partitioner.
    #[pyo3(get)]
    pub kafka_partition: Option<i32>,
    /// The keys' `Schema`, or None for schemaless keys.
    #[pyo3(get)]
    pub key_schema: Py<PyAny>,
    /// The values' `Schema`, or None for schemaless values.
    #[pyo3(get)]
    pub value_schema: Py<PyAny>,
    /// A sequence of timestamps (milliseconds since the epoch, or None), one per record, or None.
    #[pyo3(get)]
    pub timestamps: Py<PyAny>,
    /// A sequence of headers (each a list of `(name, value)` pairs, a dict or None), one per
    /// record, or None.
    #[pyo3(get)]
    pub headers: Py<PyAny>,
    /// The number of records (not an attribute: `len(batch)`).
    len: usize,
}

#[pymethods]
impl PySourceBatch {
    #[new]
    #[pyo3(signature = (source_partition, topic, values, offsets, *, offset_key = None, keys = None, partition = None,
                        key_schema = None, value_schema = None, timestamps = None, headers = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        source_partition: Py<PyAny>,
        topic: String,
        values: Bound<'_, PyAny>,
        offsets: Bound<'_, PyAny>,
        offset_key: Option<String>,
        keys: Option<Bound<'_, PyAny>>,
        partition: Option<i32>,
        key_schema: Option<Py<PyAny>>,
        value_schema: Option<Py<PyAny>>,
        timestamps: Option<Bound<'_, PyAny>>,
        headers: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let len = sequence_len("values", &values)?;
        let column = |name: &str, column: Option<Bound<'_, PyAny>>| -> PyResult<Py<PyAny>> {
            let Some(column) = column.filter(|c| !c.is_none()) else { return Ok(py.None()) };
            match sequence_len(name, &column)? {
                n if n == len => Ok(column.unbind()),
                n => Err(DataError::new_err(format!("SourceBatch: {len} values but {n} {name}"))),
            }
        };
        let offsets = column("offsets", Some(offsets))?;
        if offsets.is_none(py) {
            return Err(DataError::new_err("SourceBatch: offsets must be a sequence"));
        }
        Ok(PySourceBatch {
            source_partition,
            topic,
            values: values.unbind(),
            offsets,
            offset_key,
            keys: column("keys", keys)?,
            kafka_partition: partition,
            key_schema: key_schema.unwrap_or_else(|| py.None()),
            value_schema: value_schema.unwrap_or_else(|| py.None()),
            timestamps: column("timestamps", timestamps)?,
            headers: column("headers", headers)?,
            len,
        })
    }

    fn __len__(&self) -> usize {
        self.len
    }

    /// The batch as a list of `SourceRecord`s (what a task would otherwise have built): the records
    /// the runtime hands to `commit_record`.
    fn records(&self, py: Python<'_>) -> PyResult<Py<PyList>> {
        let records = self.each_record(py)?;
        Ok(PyList::new(py, records.into_iter().map(|r| Py::new(py, r)).collect::<PyResult<Vec<_>>>()?)?.unbind())
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "SourceBatch(source_partition={}, topic={}, records={})",
            self.source_partition.bind(py).repr()?,
            PyString::new(py, &self.topic).repr()?,
            self.len
        ))
    }
}

/// The length of a column. A str, bytes or dict has one too, but iterates as characters, ints or
/// keys: given as a column it is a mistake (a single value or offset for the whole batch), refused.
fn sequence_len(name: &str, column: &Bound<'_, PyAny>) -> PyResult<usize> {
    let not_a_column =
        column.is_instance_of::<PyString>() || column.is_instance_of::<PyBytes>() || column.is_instance_of::<PyDict>();
    match column.len() {
        Ok(n) if !not_a_column => Ok(n),
        _ => Err(DataError::new_err(format!(
            "SourceBatch: {name} must be a sequence with one item per record (a list), not {}",
            column.get_type()
        ))),
    }
}

/// One column of a batch while it is walked. Lists and tuples (what tasks build) are read by
/// index, without an iterator object; any other sequence through its iterator.
enum Column<'py> {
    Absent,
    List(Bound<'py, PyList>, usize),
    Tuple(Bound<'py, PyTuple>, usize),
    Iter(Bound<'py, PyIterator>),
}

impl<'py> Column<'py> {
    fn of(py: Python<'py>, column: &Py<PyAny>) -> PyResult<Self> {
        let column = column.bind(py);
        Ok(if column.is_none() {
            Column::Absent
        } else if let Ok(list) = column.cast::<PyList>() {
            Column::List(list.clone(), 0)
        } else if let Ok(tuple) = column.cast::<PyTuple>() {
            Column::Tuple(tuple.clone(), 0)
        } else {
            Column::Iter(column.try_iter()?)
        })
    }

    /// How many references Python counts to a list or tuple column (None for others).
    fn references(&self) -> Option<isize> {
        match self {
            Column::List(list, _) => Some(references(list.as_any())),
            Column::Tuple(tuple, _) => Some(references(tuple.as_any())),
            Column::Absent | Column::Iter(_) => None,
        }
    }

    /// The next item; None for a column not given. A sequence that got shorter since the batch was
    /// made fails here.
    fn next(&mut self, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        let item = match self {
            Column::Absent => return Ok(None),
            Column::List(list, at) => {
                *at += 1;
                list.get_item(*at - 1).ok()
            }
            Column::Tuple(tuple, at) => {
                *at += 1;
                tuple.get_item(*at - 1).ok()
            }
            Column::Iter(items) => items.next().transpose()?,
        };
        match item {
            Some(item) => Ok(Some(item)),
            None => Err(DataError::new_err(format!("SourceBatch: {name} got shorter after the batch was made"))),
        }
    }
}

/// The columns of a batch, walked together, record by record.
struct Rows<'py> {
    values: Column<'py>,
    offsets: Column<'py>,
    keys: Column<'py>,
    timestamps: Column<'py>,
    headers: Column<'py>,
}

/// One record's items.
struct Row<'py> {
    value: Bound<'py, PyAny>,
    offset: Bound<'py, PyAny>,
    key: Option<Bound<'py, PyAny>>,
    timestamp: Option<Bound<'py, PyAny>>,
    headers: Option<Bound<'py, PyAny>>,
}

impl<'py> Rows<'py> {
    fn of(py: Python<'py>, batch: &PySourceBatch) -> PyResult<Self> {
        Ok(Rows {
            values: Column::of(py, &batch.values)?,
            offsets: Column::of(py, &batch.offsets)?,
            keys: Column::of(py, &batch.keys)?,
            timestamps: Column::of(py, &batch.timestamps)?,
            headers: Column::of(py, &batch.headers)?,
        })
    }

    fn next(&mut self) -> PyResult<Row<'py>> {
        // Values and offsets are always given (the constructor checks), so never None.
        let missing = |name: &str| DataError::new_err(format!("SourceBatch: no {name}"));
        Ok(Row {
            value: self.values.next("values")?.ok_or_else(|| missing("values"))?,
            offset: self.offsets.next("offsets")?.ok_or_else(|| missing("offsets"))?,
            key: self.keys.next("keys")?,
            timestamp: self.timestamps.next("timestamps")?,
            headers: self.headers.next("headers")?,
        })
    }
}

impl PySourceBatch {
    /// A record's offset as a Python object (a plain value wrapped as `{offset_key: value}`).
    fn py_offset<'py>(&self, offset: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        match &self.offset_key {
            Some(key) => {
                let dict = PyDict::new(offset.py());
                dict.set_item(key, offset)?;
                Ok(dict.into_any())
            }
            None => Ok(offset),
        }
    }

    /// One row of the batch as a Python `SourceRecord`.
    fn record(&self, py: Python<'_>, row: Row<'_>) -> PyResult<PySourceRecord> {
        let none = || py.None();
        Ok(PySourceRecord {
            source_partition: self.source_partition.clone_ref(py),
            source_offset: self.py_offset(row.offset)?.unbind(),
            topic: PyString::new(py, &self.topic).unbind(),
            kafka_partition: self.kafka_partition,
            key_schema: self.key_schema.clone_ref(py),
            key: row.key.map_or_else(none, Bound::unbind),
            value_schema: self.value_schema.clone_ref(py),
            value: row.value.unbind(),
            timestamp: row.timestamp.map(|t| t.extract()).transpose()?.flatten(),
            headers: row.headers.map_or_else(none, Bound::unbind),
        })
    }

    fn each_record(&self, py: Python<'_>) -> PyResult<Vec<PySourceRecord>> {
        let mut rows = Rows::of(py, self)?;
        (0..self.len).map(|_| self.record(py, rows.next()?)).collect()
    }
}

/// Makes the core's offset of each record: `{offset_key: value}` for a plain value (kept as
/// `SourceOffset::Keyed`, the key shared by the batch's records), or the item itself.
enum Offsets {
    Keyed(Arc<str>),
    Items(OffsetKeys),
}

impl Offsets {
    fn of(offset_key: Option<&str>) -> Self {
        match offset_key {
            Some(key) => Offsets::Keyed(Arc::from(key)),
            None => Offsets::Items(OffsetKeys::default()),
        }
    }

    fn offset(&mut self, offset: &Bound<'_, PyAny>) -> PyResult<SourceOffset> {
        match self {
            Offsets::Keyed(key) => Ok(SourceOffset::Keyed(key.clone(), to_json(offset)?)),
            Offsets::Items(keys) => keys.offset(offset),
        }
    }
}

/// Converts a `SourceBatch` as `records::to_core_batch` converts a list: the source partition and
/// the schemas once, then each record, whose errors name its place in the batch. With `keep`,
/// each record also gets a Python `SourceRecord` (for `commit_record`), made here.
pub(crate) fn to_core(batch: &Bound<'_, PySourceBatch>, keep: bool) -> PyResult<Vec<SourceRecord>> {
    let py = batch.py();
    let b = batch.get();
    let source_partition = Arc::new(to_json(b.source_partition.bind(py)).map_err(|e| {
        let wrapped =
            DataError::new_err(format!("the source_partition of the SourceBatch returned by poll(): {}", e.value(py)));
        wrapped.set_cause(py, Some(e));
        wrapped
    })?);
    let key_schema: Option<SchemaRef> = crate::data::schema_ref(b.key_schema.bind(py))?;
    let value_schema: Option<SchemaRef> = crate::data::schema_ref(b.value_schema.bind(py))?;
    let mut offsets = Offsets::of(b.offset_key.as_deref());
    let topic: Arc<str> = b.topic.as_str().into();
    let mut rows = Rows::of(py, b)?;
    // Only the runtime holds the batch, and only the batch (and `rows`) its values: a Struct that
    // only the values refer to is gone once converted, so it is moved out, not copied.
    let sole_values = !keep && references(batch.as_any()) == 1 && rows.values.references() == Some(2);
    let mut out = Vec::with_capacity(b.len);
    for index in 0..b.len {
        let place = |e: PyErr| in_batch(py, e, index);
        let row = rows.next().map_err(place)?;
        let mut failed = None;
        let key = match &row.key {
            Some(key) => field(key, key_schema.as_ref(), Stage::KeyConverter, &mut failed),
            None => Value::Null,
        };
        // Not when a failure will print the record (its key's, or possibly its headers'). Held
        // by the values and by `row`.
        let movable = sole_values && failed.is_none() && row.headers.as_ref().is_none_or(|h| h.is_none());
        let value = value_field(&row.value, value_schema.as_ref(), movable.then_some(2), &mut failed);
        let headers = match &row.headers {
            Some(h) => headers(h, &mut failed).map_err(place)?,
            None => Vec::new(),
        };
        let timestamp =
            row.timestamp.as_ref().map(|t| t.extract::<Option<i64>>()).transpose().map_err(place)?.flatten();
        let source_offset = offsets.offset(&row.offset).map_err(place)?;
        // The Python record, only where it is needed: for `commit_record`, or to print a record a
        // converter will refuse.
        let record = if keep || failed.is_some() { Some(Bound::new(py, b.record(py, row)?)?) } else { None };
        let unconvertible = failed.map(|(stage, err)| {
            let repr = record.as_ref().and_then(|r| r.repr().ok());
            Box::new(Unconvertible {
                stage,
                error: reported(py, &err),
                record: repr.map_or_else(|| "SourceRecord(?)".to_owned(), |r| r.to_string()),
            })
        });
        out.push(SourceRecord {
            source_partition: source_partition.clone(),
            source_offset,
            topic: topic.clone(),
            partition: b.kafka_partition,
            key,
            key_schema: key_schema.clone(),
            value,
            value_schema: value_schema.clone(),
            timestamp,
            headers,
            handle: record
                .filter(|_| keep)
                .map(|r| Arc::new(r.into_any().unbind()) as Arc<dyn std::any::Any + Send + Sync>),
            unconvertible,
        });
    }
    Ok(out)
}
