//! `Struct` for Python: a structured value of a STRUCT schema, checked on every `put`
//! (`Struct(schema).put("name", "Barbara Liskov").put("age", 75)`), or built in one call from a
//! dict or a tuple (`Struct(schema, {"name": "Barbara Liskov", "age": 75})`), which checks each
//! value as `put` does but crosses into Rust once instead of once per field. The same dict, tuple or
//! list is what a record's value (or key, or a nested field) may be in place of a `Struct` when its
//! schema is a STRUCT: `fill` builds both, so both check alike.

use std::sync::Arc;

use ferroconnect_core::data::{validate_value, SchemaRef, Struct, Value, ValuePath};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};

use super::{checked_by_conversion, guided, place, schema_ref, to_py, PySchema};
use crate::errors::{DataError, IntoPyResult};

/// A structured value (Kafka Connect's `Struct`). `put` converts and validates the value against
/// the field's schema at once; errors are `DataError`s naming the field.
///
/// `Struct(schema, values)` builds one in a single call: `values` is a dict of field names to
/// values (fields left out stay unset), or a tuple or list with one value per field in the
/// schema's order; each value is checked as by `put` (so None only for optional fields).
#[pyclass(name = "Struct", module = "ferroconnect._core")]
pub struct PyStruct {
    pub inner: Struct,
}

#[pymethods]
impl PyStruct {
    #[new]
    #[pyo3(signature = (schema, values = None))]
    fn new(schema: &Bound<'_, PyAny>, values: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let schema = schema_ref(schema)?.ok_or_else(|| DataError::new_err("Struct needs a schema"))?;
        let mut inner = Struct::new(schema).py_err()?;
        if let Some(values) = values {
            fill(&mut inner, values, &ValuePath::Root)?;
        }
        Ok(PyStruct { inner })
    }

    #[getter]
    fn schema(&self) -> PySchema {
        PySchema { inner: self.inner.schema.clone() }
    }

    /// Sets field `name` to `value` and returns this struct (for chaining).
    fn put<'py>(mut slf: PyRefMut<'py, Self>, name: &str, value: &Bound<'py, PyAny>) -> PyResult<PyRefMut<'py, Self>> {
        put(&mut slf.inner, name, value, &ValuePath::Root)?;
        Ok(slf)
    }

    /// The value of field `name`, or its default when unset.
    fn get(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        let field = self.inner.schema.field_or_err(name).py_err()?;
        to_py(py, self.inner.get(name).py_err()?, Some(&field.schema))
    }

    /// The value of field `name` as set (None when unset, even with a default).
    fn get_without_default(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        let field = self.inner.schema.field_or_err(name).py_err()?;
        to_py(py, self.inner.get_without_default(name).py_err()?, Some(&field.schema))
    }

    /// Raises `DataError` unless every required field without a default is set.
    fn validate(&self) -> PyResult<()> {
        self.inner.validate().py_err()
    }

    /// The fields' values (defaults applied) as a dict, nested structs included as `Struct`s.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (field, value) in self.inner.iter_with_defaults() {
            dict.set_item(&field.name, to_py(py, value, Some(&field.schema))?)?;
        }
        Ok(dict)
    }

    fn __getitem__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        self.get(py, name)
    }

    fn __setitem__(&mut self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        put(&mut self.inner, name, value, &ValuePath::Root)
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyStruct>().is_ok_and(|o| o.borrow().inner == self.inner)
    }

    /// Kafka's form: `Struct{name=Barbara Liskov,age=75}` (unset fields left out).
    fn __repr__(&self) -> String {
        self.inner.to_string()
    }
}

/// The value of a `Struct` that nothing but its record refers to, in a batch nothing else refers to
/// (`records::to_core_batch` checks that): its contents are moved out instead of copied, since no
/// Python code can reach the emptied object, which goes as soon as the batch does. `None` (take
/// the general path) for anything else, and for a Struct of another schema object than `schema`
/// (compared, and refused with an error, by the general path).
///
/// `held` is how many references the caller's own record and iteration account for.
pub(crate) fn take_unshared(obj: &Bound<'_, PyAny>, schema: Option<&SchemaRef>, held: isize) -> Option<Value> {
    let schema = schema?;
    let found = obj.cast::<PyStruct>().ok()?;
    if references(obj) != held {
        return None;
    }
    let mut found = found.try_borrow_mut().ok()?;
    if !Arc::ptr_eq(&found.inner.schema, schema) {
        return None;
    }
    // No values at all (no allocation): nothing holds the object. Python code that dug it out of
    // `gc.get_objects()` while the batch is converted would get a PanicException from its getters.
    let emptied = Struct { schema: Arc::clone(schema), values: Vec::new() };
    Some(Value::Struct(std::mem::replace(&mut found.inner, emptied)))
}

/// How many references to `obj` Python counts (CPython's reference count).
// pyo3 0.30 deprecates `get_refcnt` for `ffi::Py_REFCNT`, which needs `unsafe` (forbidden here).
#[allow(deprecated)]
pub(crate) fn references(obj: &Bound<'_, PyAny>) -> isize {
    obj.get_refcnt()
}

/// `put` of one Python value: converted along the field's schema, then checked (Kafka's `put`).
/// `path` is where the struct itself sits in a record's value (the root for a `Struct` of its
/// own), so that errors name a nested field by its whole path (`address.zip`).
fn put(inner: &mut Struct, name: &str, value: &Bound<'_, PyAny>, path: &ValuePath<'_>) -> PyResult<()> {
    let index = field_index(inner, name, path)?;
    put_at(inner, index, value, path)
}

/// The index of field `name`, or Kafka's error for no such field.
fn field_index(inner: &Struct, name: &str, path: &ValuePath<'_>) -> PyResult<usize> {
    inner.schema.field(name).map(|f| f.index).ok_or_else(|| {
        DataError::new_err(format!("{} is not a valid field name{}", ValuePath::Field(path, name), place(path)))
    })
}

/// `put` of the field at `index` (the schema's field order), without looking its name up again.
fn put_at(inner: &mut Struct, index: usize, value: &Bound<'_, PyAny>, path: &ValuePath<'_>) -> PyResult<()> {
    let field = &inner.schema.fields[index];
    let converted = guided(value, &field.schema, &ValuePath::Field(path, &field.name))?;
    if checked_by_conversion(&field.schema, &converted) {
        inner.values[index] = converted;
    } else {
        inner.put_at(index, converted).map_err(|e| DataError::new_err(format!("{e}{}", place(path))))?;
    }
    Ok(())
}

/// Fills a struct from a dict of field names to values (fields left out stay unset), or from a
/// tuple or list of one value per field in the schema's order; each value is `put`. `path` as
/// for `put`.
pub(super) fn fill(inner: &mut Struct, values: &Bound<'_, PyAny>, path: &ValuePath<'_>) -> PyResult<()> {
    if let Ok(dict) = values.cast::<PyDict>() {
        // A row's dict is mostly written in the schema's field order: each name is first compared
        // with the field after the previous one's, before the search by name.
        let mut next = 0;
        for (name, value) in dict.iter() {
            let name = name.cast::<PyString>().map_err(|_| {
                DataError::new_err(format!("Struct field names must be str, not {}{}", name.get_type(), place(path)))
            })?;
            let name = name.to_str()?;
            let index = match inner.schema.fields.get(next) {
                Some(field) if field.name == name => next,
                _ => field_index(inner, name, path)?,
            };
            put_at(inner, index, &value, path)?;
            next = index + 1;
        }
        return Ok(());
    }
    if let Ok(tuple) = values.cast::<PyTuple>() {
        put_in_order(inner, tuple.len(), tuple.iter(), path)
    } else if let Ok(list) = values.cast::<PyList>() {
        // A snapshot: the list could change length while its values are converted.
        let items: Vec<Bound<'_, PyAny>> = list.iter().collect();
        put_in_order(inner, items.len(), items.into_iter(), path)
    } else {
        Err(DataError::new_err(format!(
            "Struct values must be a dict, tuple or list, not {}{}",
            values.get_type(),
            place(path)
        )))
    }
}

/// Kafka's `validate` of a struct whose set fields were each checked by `put`: what is left is that
/// no required field without a default is unset (Kafka's error for the first that is).
pub(super) fn check_unset(inner: &Struct, path: &ValuePath<'_>) -> PyResult<()> {
    for (field, value) in inner.iter() {
        if value.is_null() && !field.schema.optional && field.schema.default.is_none() {
            validate_value(&field.schema, value, Some(&field.name))
                .map_err(|e| DataError::new_err(format!("{e}{}", place(path))))?;
        }
    }
    Ok(())
}

/// `put` of `given` values, one per field in the schema's order.
fn put_in_order<'py>(
    inner: &mut Struct,
    given: usize,
    values: impl Iterator<Item = Bound<'py, PyAny>>,
    path: &ValuePath<'_>,
) -> PyResult<()> {
    let count = inner.schema.fields.len();
    if given != count {
        return Err(DataError::new_err(format!(
            "Struct values: the schema has {count} fields, {given} values were given{}",
            place(path)
        )));
    }
    for (index, value) in values.enumerate() {
        put_at(inner, index, &value, path)?;
    }
    Ok(())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyStruct>()
}
