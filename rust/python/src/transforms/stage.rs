//! A Python `Transformation` or `Predicate` instance as the core's trait object. A batch crosses
//! into Python under one GIL hold: its records become Python `SinkRecord`s (sink connectors; they
//! carry an offset) or `SourceRecord`s, then one `apply_batch` call when the class defines it,
//! else one `apply` call per record. An exception becomes the record's error with its traceback
//! (`failure::from_py`), as a task's does; a `RetriableError` stays retriable.

use ferroconnect_core::transforms::{Predicate, Record, Transformation};
use ferroconnect_core::{Error, Result};
use pyo3::exceptions::PyBaseException;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::failure::{call, from_py};
use crate::records::PySourceRecord;
use crate::sink_record::{from_transform_records, PySinkRecord};

/// Records entering a Python stage, as Python objects in the same order. The records of one batch
/// come from one connector: sink records when the first carries an offset, else source records.
pub(crate) fn to_py_records(py: Python<'_>, records: Vec<Record>) -> PyResult<Vec<Bound<'_, PyAny>>> {
    if records.first().is_some_and(|r| r.offset.is_some()) {
        return Ok(from_transform_records(py, records)?.into_iter().map(Bound::into_any).collect());
    }
    records.into_iter().map(|r| Ok(Bound::new(py, PySourceRecord::from_transform_record(py, r)?)?.into_any())).collect()
}

/// What a Python stage returned for one record: the record, None (dropped), or an exception
/// instance (that record's failure, from `apply_batch`). A `SourceRecord` returned for a record
/// that had an offset keeps that offset.
pub(crate) fn outcome(
    py: Python<'_>,
    item: &Bound<'_, PyAny>,
    offset: Option<i64>,
    method: &str,
) -> Result<Option<Record>> {
    if item.is_none() {
        return Ok(None);
    }
    if let Ok(record) = item.cast::<PySinkRecord>() {
        return record.get().to_transform_record(py).map(Some).map_err(|e| from_py(py, e));
    }
    if let Ok(record) = item.cast::<PySourceRecord>() {
        let mut record = record.borrow().to_transform_record(py).map_err(|e| from_py(py, e))?;
        record.offset = offset;
        return Ok(Some(record));
    }
    if item.is_instance_of::<PyBaseException>() {
        return Err(from_py(py, PyErr::from_value(item.clone())));
    }
    Err(Error::data(format!(
        "{method}() must return a SourceRecord, a SinkRecord or None, not {}",
        item.get_type().name().map_or_else(|_| "?".to_owned(), |n| n.to_string())
    )))
}

/// The same failure for each record of a batch that failed as a whole.
fn failed_batch(error: Error, count: usize) -> Vec<Result<Option<Record>>> {
    let again = |e: &Error| match e {
        Error::Retriable(m) => Error::Retriable(m.clone()),
        Error::Data(m) => Error::Data(m.clone()),
        other => Error::Connector(other.to_string()),
    };
    let mut out: Vec<_> = (1..count).map(|_| Err(again(&error))).collect();
    out.push(Err(error));
    out
}

/// A Python `ferroconnect.Transformation` instance, configured.
pub struct PyTransformation {
    pub(crate) obj: Py<PyAny>,
    /// Whether its class defines `apply_batch` (then called once per batch).
    pub(crate) batch: bool,
}

impl PyTransformation {
    fn apply_in<'py>(
        &self,
        py: Python<'py>,
        inputs: Vec<Bound<'py, PyAny>>,
        offsets: &[Option<i64>],
    ) -> Vec<Result<Option<Record>>> {
        let obj = self.obj.bind(py);
        if !self.batch {
            let apply = intern!(py, "apply");
            return inputs
                .iter()
                .zip(offsets)
                .map(|(record, offset)| match obj.call_method1(apply, (record,)) {
                    Ok(item) => outcome(py, &item, *offset, "apply"),
                    Err(e) => Err(from_py(py, e)),
                })
                .collect();
        }
        let count = inputs.len();
        let results = PyList::new(py, inputs)
            .and_then(|list| obj.call_method1(intern!(py, "apply_batch"), (list,)))
            .and_then(|out| out.try_iter()?.collect::<PyResult<Vec<_>>>());
        match results {
            Ok(items) if items.len() == count => {
                items.iter().zip(offsets).map(|(item, offset)| outcome(py, item, *offset, "apply_batch")).collect()
            }
            Ok(items) => failed_batch(
                Error::data(format!(
                    "apply_batch() must return one result per record: it got {count} records and returned {} results",
                    items.len()
                )),
                count,
            ),
            Err(e) => failed_batch(from_py(py, e), count),
        }
    }
}

impl Transformation for PyTransformation {
    fn apply(&mut self, record: Record) -> Result<Option<Record>> {
        self.apply_batch(vec![record]).pop().expect("one outcome per record")
    }

    fn apply_batch(&mut self, records: Vec<Record>) -> Vec<Result<Option<Record>>> {
        let count = records.len();
        if count == 0 {
            return Vec::new();
        }
        let offsets: Vec<Option<i64>> = records.iter().map(|r| r.offset).collect();
        Python::attach(|py| match to_py_records(py, records) {
            Ok(inputs) => self.apply_in(py, inputs, &offsets),
            Err(e) => failed_batch(from_py(py, e), count),
        })
    }

    fn close(&mut self) {
        close(&self.obj, "transform");
    }
}

/// A Python `ferroconnect.Predicate` instance, configured.
pub struct PyPredicate {
    pub(crate) obj: Py<PyAny>,
}

impl Predicate for PyPredicate {
    fn test(&mut self, record: &Record) -> Result<bool> {
        self.test_batch(&[record]).pop().expect("one outcome per record")
    }

    /// Tests several records under one GIL hold, one outcome per record.
    fn test_batch(&mut self, records: &[&Record]) -> Vec<Result<bool>> {
        if records.is_empty() {
            return Vec::new();
        }
        Python::attach(|py| {
            let inputs = match to_py_records(py, records.iter().map(|&r| r.clone()).collect()) {
                Ok(inputs) => inputs,
                Err(e) => {
                    let message = from_py(py, e).to_string();
                    return records.iter().map(|_| Err(Error::Connector(message.clone()))).collect();
                }
            };
            let test = intern!(py, "test");
            let obj = self.obj.bind(py);
            inputs
                .iter()
                .map(|record| obj.call_method1(test, (record,)).and_then(|r| r.is_truthy()).map_err(|e| from_py(py, e)))
                .collect()
        })
    }

    fn close(&mut self) {
        close(&self.obj, "predicate");
    }
}

/// Calls `close()`; its failure is logged (a stopping task has no one else to tell).
fn close(obj: &Py<PyAny>, what: &str) {
    if let Err(e) = call(|py| obj.bind(py).call_method0(intern!(py, "close")).map(drop)) {
        tracing::warn!("a Python {what}'s close() failed: {e}");
    }
}
