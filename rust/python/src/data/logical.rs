//! Python helpers for Kafka's logical types (`Decimal.schema(2)`, `Date.SCHEMA`, ...) and
//! `SchemaAndValue`, the pair converters return.

use std::sync::Arc;

use ferroconnect_core::data::logical::{self, DATE_NAME, DECIMAL_NAME, SCALE_PARAMETER, TIMESTAMP_NAME, TIME_NAME};
use ferroconnect_core::data::{SchemaAndValue, SchemaBuilder};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::{py_schema_opt, schema_ref, to_py, PySchema, PySchemaBuilder};

/// Kafka's Decimal logical type: BYTES holding the unscaled integer, with a `scale` parameter.
/// Values are Python `decimal.Decimal`s.
#[pyclass(name = "Decimal", module = "ferroconnect._core", frozen)]
pub struct PyDecimal;

#[pymethods]
impl PyDecimal {
    #[classattr]
    const LOGICAL_NAME: &'static str = DECIMAL_NAME;
    #[classattr]
    const SCALE_FIELD: &'static str = SCALE_PARAMETER;

    /// A builder of a Decimal schema with `scale` (to make it optional, add a default, ...).
    #[staticmethod]
    fn builder(scale: i32) -> PySchemaBuilder {
        PySchemaBuilder { inner: SchemaBuilder::from_schema(&logical::decimal_schema(scale, false)) }
    }

    /// The Decimal schema with `scale`.
    #[staticmethod]
    fn schema(scale: i32) -> PySchema {
        PySchema { inner: Arc::new(logical::decimal_schema(scale, false)) }
    }
}

macro_rules! temporal {
    ($py_name:literal, $rust:ident, $name:expr, $schema:path, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(name = $py_name, module = "ferroconnect._core", frozen)]
        pub struct $rust;

        #[pymethods]
        impl $rust {
            #[classattr]
            const LOGICAL_NAME: &'static str = $name;

            #[classattr]
            #[allow(non_snake_case)]
            fn SCHEMA() -> PySchema {
                PySchema { inner: $schema(false) }
            }

            /// A builder of this logical schema (to make it optional, add a default, ...).
            #[staticmethod]
            fn builder() -> PySchemaBuilder {
                PySchemaBuilder { inner: SchemaBuilder::from_schema(&$schema(false)) }
            }
        }
    };
}

temporal!(
    "Date",
    PyDate,
    DATE_NAME,
    logical::date_schema,
    "Kafka's Date: INT32 days since the epoch; values are `datetime.date`."
);
temporal!(
    "Time",
    PyTime,
    TIME_NAME,
    logical::time_schema,
    "Kafka's Time: INT32 milliseconds since midnight; values are `datetime.time`."
);
temporal!(
    "Timestamp",
    PyTimestamp,
    TIMESTAMP_NAME,
    logical::timestamp_schema,
    "Kafka's Timestamp: INT64 milliseconds since the epoch; values are UTC `datetime.datetime`."
);

/// A schema and a value (what `to_connect_data` returns). Unpacks as `schema, value = sv`.
#[pyclass(name = "SchemaAndValue", module = "ferroconnect._core", frozen)]
pub struct PySchemaAndValue {
    schema: Option<Py<PySchema>>,
    value: Py<PyAny>,
}

impl PySchemaAndValue {
    /// The Python form of a core pair (logical values as Python's types).
    pub fn from_core(py: Python<'_>, sv: &SchemaAndValue) -> PyResult<Self> {
        Ok(PySchemaAndValue {
            schema: py_schema_opt(py, sv.schema.as_ref())?,
            value: to_py(py, &sv.value, sv.schema.as_ref())?,
        })
    }
}

#[pymethods]
impl PySchemaAndValue {
    #[new]
    #[pyo3(signature = (schema = None, value = None))]
    fn new(py: Python<'_>, schema: Option<&Bound<'_, PyAny>>, value: Option<Py<PyAny>>) -> PyResult<Self> {
        let schema = match schema {
            Some(s) => py_schema_opt(py, schema_ref(s)?.as_ref())?,
            None => None,
        };
        Ok(PySchemaAndValue { schema, value: value.unwrap_or_else(|| py.None()) })
    }

    #[getter]
    fn schema(&self, py: Python<'_>) -> Option<Py<PySchema>> {
        self.schema.as_ref().map(|s| s.clone_ref(py))
    }

    #[getter]
    fn value(&self, py: Python<'_>) -> Py<PyAny> {
        self.value.clone_ref(py)
    }

    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pair = PyTuple::new(py, [self.schema(py).map_or_else(|| py.None(), Py::into_any), self.value(py)])?;
        pair.try_iter().map(Bound::into_any)
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Ok(other) = other.cast::<PySchemaAndValue>() else { return Ok(false) };
        let other = other.get();
        let same_schema = match (&self.schema, &other.schema) {
            (None, None) => true,
            (Some(a), Some(b)) => *a.get().inner == *b.get().inner,
            _ => false,
        };
        Ok(same_schema && self.value.bind(py).eq(other.value.bind(py))?)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let schema = match &self.schema {
            Some(s) => s.bind(py).repr()?.to_string(),
            None => "None".to_owned(),
        };
        Ok(format!("SchemaAndValue(schema={schema}, value={})", self.value.bind(py).repr()?))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDecimal>()?;
    m.add_class::<PyDate>()?;
    m.add_class::<PyTime>()?;
    m.add_class::<PyTimestamp>()?;
    m.add_class::<PySchemaAndValue>()?;
    Ok(())
}
