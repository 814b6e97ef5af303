//! Python objects ↔ the core's data model. Runs once per batch under one GIL hold.

use ferroconnect_core::data::{SchemaRef, Value};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::errors::DataError;

/// A Python value → a core value, guided by `schema` when there is one.
/// Schemaless: `None`, `bool`, `int` (INT64), `float` (FLOAT64), `str`, `bytes`, `list`/`tuple`, `dict`.
pub fn to_value(obj: &Bound<'_, PyAny>, schema: Option<&SchemaRef>) -> PyResult<Value> {
    let _ = schema; // schema-guided conversion (structs, logical types, widths) comes with the schema model
    if obj.is_none() {
        Ok(Value::Null)
    } else if let Ok(s) = obj.cast::<PyString>() {
        Ok(Value::String(s.to_str()?.to_owned()))
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(Value::Bytes(b.as_bytes().to_vec()))
    } else if obj.is_instance_of::<PyBool>() {
        Ok(Value::Boolean(obj.extract()?))
    } else if obj.is_instance_of::<PyInt>() {
        Ok(Value::Int64(obj.extract().map_err(|_| DataError::new_err(format!("integer {obj} does not fit in INT64")))?))
    } else if obj.is_instance_of::<PyFloat>() {
        Ok(Value::Float64(obj.extract()?))
    } else if let Ok(list) = obj.cast::<PyList>() {
        list.iter().map(|item| to_value(&item, None)).collect::<PyResult<_>>().map(Value::Array)
    } else if let Ok(tuple) = obj.cast::<PyTuple>() {
        tuple.iter().map(|item| to_value(&item, None)).collect::<PyResult<_>>().map(Value::Array)
    } else if let Ok(dict) = obj.cast::<PyDict>() {
        dict.iter()
            .map(|(k, v)| Ok((to_value(&k, None)?, to_value(&v, None)?)))
            .collect::<PyResult<_>>()
            .map(Value::Map)
    } else {
        Err(DataError::new_err(format!("cannot convert a value of type {} without a schema", obj.get_type().name()?)))
    }
}

/// A core value → a Python object.
pub fn to_py(py: Python<'_>, value: &Value, schema: Option<&SchemaRef>) -> PyResult<Py<PyAny>> {
    let _ = schema;
    Ok(match value {
        Value::Null => py.None(),
        Value::Boolean(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Int8(v) => v.into_pyobject(py)?.into_any().unbind(),
        Value::Int16(v) => v.into_pyobject(py)?.into_any().unbind(),
        Value::Int32(v) => v.into_pyobject(py)?.into_any().unbind(),
        Value::Int64(v) => v.into_pyobject(py)?.into_any().unbind(),
        Value::Float32(v) => v.into_pyobject(py)?.into_any().unbind(),
        Value::Float64(v) => v.into_pyobject(py)?.into_any().unbind(),
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Bytes(b) => PyBytes::new(py, b).into_any().unbind(),
        Value::Array(items) => {
            PyList::new(py, items.iter().map(|v| to_py(py, v, None)).collect::<PyResult<Vec<_>>>()?)?
                .into_any()
                .unbind()
        }
        Value::Map(entries) => {
            let dict = PyDict::new(py);
            for (k, v) in entries {
                dict.set_item(to_py(py, k, None)?, to_py(py, v, None)?)?;
            }
            dict.into_any().unbind()
        }
        Value::Struct(_) => return Err(DataError::new_err("structs need the schema model")),
    })
}
