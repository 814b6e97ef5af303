//! `Struct` for Python: a structured value of a STRUCT schema, checked on every `put`
//! (`Struct(schema).put("name", "Barbara Liskov").put("age", 75)`).

use ferroconnect_core::data::Struct;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::{guided, schema_ref, to_py, PySchema};
use crate::errors::{DataError, IntoPyResult};

/// A structured value (Kafka Connect's `Struct`). `put` converts and validates the value against
/// the field's schema at once; errors are `DataError`s naming the field.
#[pyclass(name = "Struct", module = "ferroconnect._core")]
pub struct PyStruct {
    pub inner: Struct,
}

#[pymethods]
impl PyStruct {
    #[new]
    fn new(schema: &Bound<'_, PyAny>) -> PyResult<Self> {
        let schema = schema_ref(schema)?.ok_or_else(|| DataError::new_err("Struct needs a schema"))?;
        Ok(PyStruct { inner: Struct::new(schema).py_err()? })
    }

    #[getter]
    fn schema(&self) -> PySchema {
        PySchema { inner: self.inner.schema.clone() }
    }

    /// Sets field `name` to `value` and returns this struct (for chaining).
    fn put<'py>(mut slf: PyRefMut<'py, Self>, name: &str, value: &Bound<'py, PyAny>) -> PyResult<PyRefMut<'py, Self>> {
        let field = slf.inner.schema.field_or_err(name).py_err()?;
        let converted = guided(value, &field.schema, &field.name)?;
        slf.inner.put(name, converted).py_err()?;
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
        for field in &self.inner.schema.fields {
            dict.set_item(&field.name, self.get(py, &field.name)?)?;
        }
        Ok(dict)
    }

    fn __getitem__(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyAny>> {
        self.get(py, name)
    }

    fn __setitem__(&mut self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let field = self.inner.schema.field_or_err(name).py_err()?;
        let converted = guided(value, &field.schema, &field.name)?;
        self.inner.put(name, converted).py_err()?;
        Ok(())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyStruct>().is_ok_and(|o| o.borrow().inner == self.inner)
    }

    /// Kafka's form: `Struct{name=Barbara Liskov,age=75}` (unset fields left out).
    fn __repr__(&self) -> String {
        self.inner.to_string()
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyStruct>()
}
