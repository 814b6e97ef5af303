//! Converters for Python (`JsonConverter`, `StringConverter`, `ByteArrayConverter`, the number
//! converters, `SimpleHeaderConverter`), with Kafka's method names in snake_case. Thin: each
//! holds the core converter; values cross with `data::to_value` / `data::to_py`, and the
//! conversion itself runs with the GIL released.

use std::collections::HashMap;
use std::sync::Arc;

use ferroconnect_core::convert::{
    converter_for, header_converter_for, Converter, HeaderConverter, JsonConfig, JsonConverter,
};
use ferroconnect_core::data::SchemaAndValue;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict};

use crate::data::{py_schema_opt, schema_ref, to_value, PySchema, PySchemaAndValue};
use crate::errors::IntoPyResult;

/// Converter settings from a Python dict (values as text; booleans as `true`/`false`, as Kafka reads them).
fn settings(config: Option<&Bound<'_, PyDict>>) -> PyResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    if let Some(config) = config {
        for (k, v) in config.iter() {
            let value = if let Ok(b) = v.cast::<PyBool>() {
                if b.is_true() { "true" } else { "false" }.to_owned()
            } else {
                v.str()?.to_string()
            };
            out.insert(k.str()?.to_string(), value);
        }
    }
    Ok(out)
}

fn sv_to_py(py: Python<'_>, sv: SchemaAndValue) -> PyResult<PySchemaAndValue> {
    PySchemaAndValue::from_core(py, &sv)
}

/// Base class of the record converters: `from_connect_data` / `to_connect_data`.
#[pyclass(name = "Converter", module = "ferroconnect._core", subclass, frozen)]
pub struct PyConverter {
    inner: Arc<dyn Converter>,
}

#[pymethods]
impl PyConverter {
    /// Any converter by Kafka class name (`org.apache.kafka.connect.json.JsonConverter`) or short name.
    #[new]
    #[pyo3(signature = (class_name, config = None, is_key = false))]
    fn new(class_name: &str, config: Option<&Bound<'_, PyDict>>, is_key: bool) -> PyResult<Self> {
        Ok(PyConverter { inner: converter_for(class_name, &settings(config)?, is_key).py_err()? })
    }

    /// Data model → bytes (None for a tombstone).
    fn from_connect_data<'py>(
        &self,
        py: Python<'py>,
        topic: &str,
        schema: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let schema = schema_ref(schema)?;
        let value = to_value(value, schema.as_ref())?;
        let inner = &self.inner;
        let bytes = py.detach(|| inner.from_connect_data(topic, schema.as_ref(), &value)).py_err()?;
        Ok(bytes.map(|b| PyBytes::new(py, &b)))
    }

    /// Bytes (or None) → `SchemaAndValue`.
    #[pyo3(signature = (topic, data))]
    fn to_connect_data(&self, py: Python<'_>, topic: &str, data: Option<Vec<u8>>) -> PyResult<PySchemaAndValue> {
        let inner = &self.inner;
        let sv = py.detach(|| inner.to_connect_data(topic, data.as_deref())).py_err()?;
        sv_to_py(py, sv)
    }
}

macro_rules! record_converter {
    ($py_name:literal, $rust:ident, $class:literal, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(name = $py_name, module = "ferroconnect._core", extends = PyConverter, frozen)]
        pub struct $rust;

        #[pymethods]
        impl $rust {
            #[new]
            #[pyo3(signature = (config = None, is_key = false))]
            fn new(config: Option<&Bound<'_, PyDict>>, is_key: bool) -> PyResult<PyClassInitializer<Self>> {
                Ok(PyClassInitializer::from(PyConverter::new($class, config, is_key)?).add_subclass($rust))
            }
        }
    };
}

record_converter!("StringConverter", PyStringConverter, "string", "Kafka's StringConverter: values as text.");
record_converter!(
    "ByteArrayConverter",
    PyByteArrayConverter,
    "bytes",
    "Kafka's ByteArrayConverter: bytes as they are."
);
record_converter!("BooleanConverter", PyBooleanConverter, "boolean", "Kafka's BooleanConverter (one byte).");
record_converter!("ShortConverter", PyShortConverter, "short", "Kafka's ShortConverter (INT16, big-endian).");
record_converter!("IntegerConverter", PyIntegerConverter, "integer", "Kafka's IntegerConverter (INT32, big-endian).");
record_converter!("LongConverter", PyLongConverter, "long", "Kafka's LongConverter (INT64, big-endian).");
record_converter!("FloatConverter", PyFloatConverter, "float", "Kafka's FloatConverter (FLOAT32, big-endian).");
record_converter!("DoubleConverter", PyDoubleConverter, "double", "Kafka's DoubleConverter (FLOAT64, big-endian).");

/// Kafka's JsonConverter: `{"schema": ..., "payload": ...}` envelopes (or bare payloads with
/// `schemas.enable=false`), byte-for-byte as Kafka writes them.
#[pyclass(name = "JsonConverter", module = "ferroconnect._core", extends = PyConverter, frozen)]
pub struct PyJsonConverter {
    json: Arc<JsonConverter>,
}

#[pymethods]
impl PyJsonConverter {
    #[new]
    #[pyo3(signature = (config = None, is_key = false))]
    fn new(config: Option<&Bound<'_, PyDict>>, is_key: bool) -> PyResult<PyClassInitializer<Self>> {
        let _ = is_key;
        let json = Arc::new(JsonConverter::new(JsonConfig::from_settings(&settings(config)?).py_err()?));
        let inner: Arc<dyn Converter> = json.clone();
        Ok(PyClassInitializer::from(PyConverter { inner }).add_subclass(PyJsonConverter { json }))
    }

    /// The JSON text Kafka writes for `schema` (`asJsonSchema`).
    fn as_json_schema(&self, schema: &Bound<'_, PyAny>) -> PyResult<String> {
        match schema_ref(schema)? {
            None => Ok("null".to_owned()),
            Some(s) => Ok(String::from_utf8_lossy(&self.json.schema_json(&s).py_err()?).into_owned()),
        }
    }

    /// The schema described by Kafka's JSON form (`asConnectSchema`); None for `null`.
    fn as_connect_schema(&self, py: Python<'_>, json: &Bound<'_, PyAny>) -> PyResult<Option<Py<PySchema>>> {
        let bytes: Vec<u8> = match json.extract::<String>() {
            Ok(s) => s.into_bytes(),
            Err(_) => json.extract()?,
        };
        py_schema_opt(py, self.json.as_connect_schema(&bytes).py_err()?.as_ref())
    }
}

/// Base class of header converters: `from_connect_header` / `to_connect_header`.
#[pyclass(name = "HeaderConverter", module = "ferroconnect._core", subclass, frozen)]
pub struct PyHeaderConverter {
    inner: Arc<dyn HeaderConverter>,
}

#[pymethods]
impl PyHeaderConverter {
    /// Any header converter by Kafka class name or short name.
    #[new]
    #[pyo3(signature = (class_name, config = None))]
    fn new(class_name: &str, config: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        Ok(PyHeaderConverter { inner: header_converter_for(class_name, &settings(config)?).py_err()? })
    }

    /// A header value → bytes (None for a null value).
    fn from_connect_header<'py>(
        &self,
        py: Python<'py>,
        topic: &str,
        header_key: &str,
        schema: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let schema = schema_ref(schema)?;
        let value = to_value(value, schema.as_ref())?;
        let bytes = self.inner.to_bytes(topic, header_key, schema.as_ref(), &value).py_err()?;
        Ok(bytes.map(|b| PyBytes::new(py, &b)))
    }

    /// Header bytes (or None) → `SchemaAndValue`.
    fn to_connect_header(
        &self,
        py: Python<'_>,
        topic: &str,
        header_key: &str,
        data: Option<Vec<u8>>,
    ) -> PyResult<PySchemaAndValue> {
        sv_to_py(py, self.inner.to_connect_header(topic, header_key, data.as_deref()).py_err()?)
    }

    /// `from_connect_header` without a header key (the same bytes).
    fn from_connect_data<'py>(
        &self,
        py: Python<'py>,
        topic: &str,
        schema: &Bound<'py, PyAny>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        self.from_connect_header(py, topic, "", schema, value)
    }

    /// `to_connect_header` without a header key.
    fn to_connect_data(&self, py: Python<'_>, topic: &str, data: Option<Vec<u8>>) -> PyResult<PySchemaAndValue> {
        self.to_connect_header(py, topic, "", data)
    }
}

/// Kafka's default header converter: values as text (`Values.convertToString`), parsed back
/// into typed values (`Values.parseString`).
#[pyclass(name = "SimpleHeaderConverter", module = "ferroconnect._core", extends = PyHeaderConverter, frozen)]
pub struct PySimpleHeaderConverter;

#[pymethods]
impl PySimpleHeaderConverter {
    #[new]
    #[pyo3(signature = (config = None))]
    fn new(config: Option<&Bound<'_, PyDict>>) -> PyResult<PyClassInitializer<Self>> {
        Ok(PyClassInitializer::from(PyHeaderConverter::new("simple", config)?).add_subclass(PySimpleHeaderConverter))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyConverter>()?;
    m.add_class::<PyJsonConverter>()?;
    m.add_class::<PyStringConverter>()?;
    m.add_class::<PyByteArrayConverter>()?;
    m.add_class::<PyBooleanConverter>()?;
    m.add_class::<PyShortConverter>()?;
    m.add_class::<PyIntegerConverter>()?;
    m.add_class::<PyLongConverter>()?;
    m.add_class::<PyFloatConverter>()?;
    m.add_class::<PyDoubleConverter>()?;
    m.add_class::<PyHeaderConverter>()?;
    m.add_class::<PySimpleHeaderConverter>()?;
    Ok(())
}
