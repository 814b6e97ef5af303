//! `Schema`, `Field`, `SchemaBuilder` and `SchemaProjector` for Python: thin wrappers over the
//! core's schema model. Schemas are immutable and shared (`Arc`); a builder is mutable and fluent:
//! `SchemaBuilder.struct().name("x").field("name", Schema.STRING).build()`.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use ferroconnect_core::data::{self, Schema, SchemaBuilder, SchemaRef, SchemaType};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::{py_schema, schema_ref, to_py, to_value};
use crate::errors::{DataError, IntoPyResult};

/// A schema (Kafka Connect's `Schema`): type, optionality, default, name, version, doc,
/// parameters, and the nested schemas of structs, arrays and maps. Build one with `SchemaBuilder`
/// or use the predefined `Schema.STRING`, `Schema.OPTIONAL_INT64`, ...
#[pyclass(name = "Schema", module = "ferroconnect._core", frozen)]
pub struct PySchema {
    pub inner: SchemaRef,
}

fn predefined(t: SchemaType, optional: bool) -> PySchema {
    PySchema { inner: if optional { Schema::optional_of(t) } else { Schema::of(t) } }
}

#[pymethods]
impl PySchema {
    #[classattr]
    #[allow(non_snake_case)]
    fn INT8() -> PySchema {
        predefined(SchemaType::Int8, false)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn OPTIONAL_INT8() -> PySchema {
        predefined(SchemaType::Int8, true)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn INT16() -> PySchema {
        predefined(SchemaType::Int16, false)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn OPTIONAL_INT16() -> PySchema {
        predefined(SchemaType::Int16, true)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn INT32() -> PySchema {
        predefined(SchemaType::Int32, false)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn OPTIONAL_INT32() -> PySchema {
        predefined(SchemaType::Int32, true)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn INT64() -> PySchema {
        predefined(SchemaType::Int64, false)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn OPTIONAL_INT64() -> PySchema {
        predefined(SchemaType::Int64, true)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn FLOAT32() -> PySchema {
        predefined(SchemaType::Float32, false)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn OPTIONAL_FLOAT32() -> PySchema {
        predefined(SchemaType::Float32, true)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn FLOAT64() -> PySchema {
        predefined(SchemaType::Float64, false)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn OPTIONAL_FLOAT64() -> PySchema {
        predefined(SchemaType::Float64, true)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn BOOLEAN() -> PySchema {
        predefined(SchemaType::Boolean, false)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn OPTIONAL_BOOLEAN() -> PySchema {
        predefined(SchemaType::Boolean, true)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn STRING() -> PySchema {
        predefined(SchemaType::String, false)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn OPTIONAL_STRING() -> PySchema {
        predefined(SchemaType::String, true)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn BYTES() -> PySchema {
        predefined(SchemaType::Bytes, false)
    }
    #[classattr]
    #[allow(non_snake_case)]
    fn OPTIONAL_BYTES() -> PySchema {
        predefined(SchemaType::Bytes, true)
    }
    /// The type's name as in Kafka: `"INT32"`, `"STRUCT"`, ...
    #[getter(r#type)]
    fn schema_type(&self) -> &'static str {
        self.inner.schema_type.name()
    }

    #[getter]
    fn optional(&self) -> bool {
        self.inner.optional
    }

    fn is_optional(&self) -> bool {
        self.inner.optional
    }

    /// The default value (as a Python value), or None.
    #[getter]
    fn default(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        match &self.inner.default {
            Some(v) => to_py(py, v, Some(&self.inner)),
            None => Ok(py.None()),
        }
    }

    #[getter]
    fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    #[getter]
    fn version(&self) -> Option<i32> {
        self.inner.version
    }

    #[getter]
    fn doc(&self) -> Option<&str> {
        self.inner.doc.as_deref()
    }

    /// Parameters in the order they were set.
    #[getter]
    fn parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        for (k, v) in &self.inner.parameters {
            dict.set_item(k, v)?;
        }
        Ok(dict)
    }

    /// The fields of a STRUCT schema (empty for other types).
    #[getter]
    fn fields(&self) -> Vec<PyField> {
        self.inner.fields.iter().map(|f| PyField { inner: f.clone() }).collect()
    }

    /// The field called `name`, or None.
    fn field(&self, name: &str) -> Option<PyField> {
        self.inner.field(name).map(|f| PyField { inner: f.clone() })
    }

    #[getter]
    fn key_schema(&self) -> Option<PySchema> {
        self.inner.key_schema.clone().map(|inner| PySchema { inner })
    }

    #[getter]
    fn value_schema(&self) -> Option<PySchema> {
        self.inner.value_schema.clone().map(|inner| PySchema { inner })
    }

    /// Checks `value` against this schema (Kafka's `validateValue`); raises `DataError`.
    fn validate_value(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = to_value(value, Some(&self.inner))?;
        data::validate_value(&self.inner, &v, None).py_err()
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PySchema>().is_ok_and(|o| *o.get().inner == *self.inner)
    }

    fn __hash__(&self) -> u64 {
        let mut h = DefaultHasher::new();
        let s = &self.inner;
        (s.schema_type, s.optional, &s.name, s.version, &s.doc, s.fields.len()).hash(&mut h);
        for f in &s.fields {
            f.name.hash(&mut h);
        }
        h.finish()
    }

    fn __repr__(&self) -> String {
        let s = &self.inner;
        let mut out = format!("Schema({}", s.schema_type);
        if let Some(name) = &s.name {
            out.push_str(&format!(", name={name:?}"));
        }
        if s.optional {
            out.push_str(", optional");
        }
        out.push(')');
        out
    }

    fn __str__(&self) -> String {
        self.inner.to_string()
    }
}

/// One field of a STRUCT schema.
#[pyclass(name = "Field", module = "ferroconnect._core", frozen)]
pub struct PyField {
    pub inner: data::Field,
}

#[pymethods]
impl PyField {
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    #[getter]
    fn index(&self) -> usize {
        self.inner.index
    }

    #[getter]
    fn schema(&self) -> PySchema {
        PySchema { inner: self.inner.schema.clone() }
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<PyField>().is_ok_and(|o| o.get().inner == self.inner)
    }

    fn __repr__(&self) -> String {
        format!("Field{{name={}, index={}, schema={}}}", self.inner.name, self.inner.index, self.inner.schema)
    }
}

/// Kafka's fluent schema builder. Each attribute can be set once; mistakes raise `DataError` at
/// the call that makes them.
#[pyclass(name = "SchemaBuilder", module = "ferroconnect._core")]
pub struct PySchemaBuilder {
    pub inner: SchemaBuilder,
}

type Fluent<'py> = PyResult<PyRefMut<'py, PySchemaBuilder>>;

fn builder(inner: SchemaBuilder) -> PySchemaBuilder {
    PySchemaBuilder { inner }
}

fn required_schema(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<SchemaRef> {
    schema_ref(obj)?.ok_or_else(|| DataError::new_err(format!("{what} cannot be null.")))
}

#[pymethods]
impl PySchemaBuilder {
    /// A builder of the type named `type_name` (`"int32"` or `"INT32"`).
    #[new]
    fn new(type_name: &str) -> PyResult<Self> {
        let t = SchemaType::from_name(type_name)
            .ok_or_else(|| DataError::new_err(format!("Unknown schema type: {type_name}")))?;
        Ok(builder(SchemaBuilder::new(t)))
    }

    #[staticmethod]
    #[pyo3(name = "type")]
    fn of_type(type_name: &str) -> PyResult<Self> {
        Self::new(type_name)
    }
    #[staticmethod]
    fn int8() -> Self {
        builder(SchemaBuilder::int8())
    }
    #[staticmethod]
    fn int16() -> Self {
        builder(SchemaBuilder::int16())
    }
    #[staticmethod]
    fn int32() -> Self {
        builder(SchemaBuilder::int32())
    }
    #[staticmethod]
    fn int64() -> Self {
        builder(SchemaBuilder::int64())
    }
    #[staticmethod]
    fn float32() -> Self {
        builder(SchemaBuilder::float32())
    }
    #[staticmethod]
    fn float64() -> Self {
        builder(SchemaBuilder::float64())
    }
    #[staticmethod]
    #[pyo3(name = "bool")]
    fn boolean() -> Self {
        builder(SchemaBuilder::boolean())
    }
    #[staticmethod]
    fn string() -> Self {
        builder(SchemaBuilder::string())
    }
    #[staticmethod]
    fn bytes() -> Self {
        builder(SchemaBuilder::bytes())
    }
    #[staticmethod]
    #[pyo3(name = "struct")]
    fn struct_() -> Self {
        builder(SchemaBuilder::struct_())
    }
    #[staticmethod]
    fn array(value_schema: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(builder(SchemaBuilder::array(required_schema(value_schema, "valueSchema")?)))
    }
    #[staticmethod]
    fn map(key_schema: &Bound<'_, PyAny>, value_schema: &Bound<'_, PyAny>) -> PyResult<Self> {
        let keys = required_schema(key_schema, "keySchema")?;
        Ok(builder(SchemaBuilder::map(keys, required_schema(value_schema, "valueSchema")?)))
    }

    fn optional(mut slf: PyRefMut<'_, Self>) -> Fluent<'_> {
        slf.inner.set_optional(true).py_err()?;
        Ok(slf)
    }
    fn required(mut slf: PyRefMut<'_, Self>) -> Fluent<'_> {
        slf.inner.set_optional(false).py_err()?;
        Ok(slf)
    }
    /// Sets the default value, checked against the schema built so far.
    fn default<'py>(mut slf: PyRefMut<'py, Self>, value: &Bound<'py, PyAny>) -> Fluent<'py> {
        let current = Arc::new(slf.inner.current());
        let v = to_value(value, Some(&current))
            .map_err(|e| DataError::new_err(format!("Invalid default value: {}", e.value(value.py()))))?;
        slf.inner.set_default(v).py_err()?;
        Ok(slf)
    }
    fn name<'py>(mut slf: PyRefMut<'py, Self>, name: &str) -> Fluent<'py> {
        slf.inner.set_name(name).py_err()?;
        Ok(slf)
    }
    fn version(mut slf: PyRefMut<'_, Self>, version: i32) -> Fluent<'_> {
        slf.inner.set_version(version).py_err()?;
        Ok(slf)
    }
    fn doc<'py>(mut slf: PyRefMut<'py, Self>, doc: &str) -> Fluent<'py> {
        slf.inner.set_doc(doc).py_err()?;
        Ok(slf)
    }
    fn parameter<'py>(mut slf: PyRefMut<'py, Self>, key: &str, value: &str) -> Fluent<'py> {
        slf.inner.set_parameter(key, value).py_err()?;
        Ok(slf)
    }
    fn parameters<'py>(mut slf: PyRefMut<'py, Self>, parameters: &Bound<'py, PyDict>) -> Fluent<'py> {
        for (k, v) in parameters.iter() {
            slf.inner.set_parameter(&k.extract::<String>()?, &v.extract::<String>()?).py_err()?;
        }
        Ok(slf)
    }
    /// Adds a field (STRUCT only); `schema` is a `Schema` or a `SchemaBuilder`.
    fn field<'py>(mut slf: PyRefMut<'py, Self>, name: &str, schema: &Bound<'py, PyAny>) -> Fluent<'py> {
        let schema = required_schema(schema, &format!("fieldSchema for field {name}"))?;
        slf.inner.add_field(name, schema).py_err()?;
        Ok(slf)
    }

    #[getter(r#type)]
    fn schema_type(&self) -> &'static str {
        self.inner.schema_type().name()
    }

    /// The schema.
    fn build(&self, py: Python<'_>) -> PyResult<Py<PySchema>> {
        py_schema(py, self.inner.build().py_err()?)
    }

    /// Kafka's alias of `build()`.
    fn schema(&self, py: Python<'_>) -> PyResult<Py<PySchema>> {
        self.build(py)
    }

    fn __repr__(&self) -> String {
        format!("SchemaBuilder({})", self.inner.schema_type())
    }
}

/// Schema evolution for sinks (Kafka's `SchemaProjector`).
#[pyclass(name = "SchemaProjector", module = "ferroconnect._core", frozen)]
pub struct PySchemaProjector;

#[pymethods]
impl PySchemaProjector {
    /// `record` (of schema `source`) rewritten into `target`: numeric widening, defaults for
    /// missing fields; raises `DataError` when it cannot.
    #[staticmethod]
    fn project(
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        record: &Bound<'_, PyAny>,
        target: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let source = required_schema(source, "source schema")?;
        let target = required_schema(target, "target schema")?;
        let value = to_value(record, Some(&source))?;
        let projected = data::project(&source, &value, &target).py_err()?;
        to_py(py, &projected, Some(&target))
    }

    /// Raises `DataError` (naming the field) unless data of schema `actual` can be read as `expected`.
    #[staticmethod]
    fn check_compatible(actual: &Bound<'_, PyAny>, expected: &Bound<'_, PyAny>) -> PyResult<()> {
        let actual = required_schema(actual, "actual schema")?;
        let expected = required_schema(expected, "expected schema")?;
        data::check_compatible(&actual, &expected).py_err()
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PySchema>()?;
    m.add_class::<PyField>()?;
    m.add_class::<PySchemaBuilder>()?;
    m.add_class::<PySchemaProjector>()?;
    Ok(())
}
