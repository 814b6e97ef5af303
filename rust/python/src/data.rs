//! Python objects ↔ the core's data model. Runs once per batch under one GIL hold.
//!
//! With a schema, conversion is guided by it: integer widths are range-checked, Structs keep
//! their schema, and logical types map to Python's own types (`decimal.Decimal`, `datetime.date`,
//! `datetime.time`, `datetime.datetime`; timestamps come back timezone-aware in UTC, naive ones
//! are taken as UTC). Errors are `DataError`s naming the field path (`address.zip`, `tags[2]`).
//! The Python classes of the model live in `data/` (schema, struct, logical helpers).

mod logical;
mod schema;
mod structs;

use std::sync::Arc;

use ferroconnect_core::data::logical::{self as core_logical, LogicalType, MILLIS_PER_DAY};
use ferroconnect_core::data::{BigDecimal, Schema, SchemaRef, SchemaType, Struct, Value, ValuePath};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMemoryView, PyString, PyTuple, PyType,
};

use crate::errors::{DataError, IntoPyResult};

pub use logical::PySchemaAndValue;
pub use schema::{PySchema, PySchemaBuilder};
pub use structs::PyStruct;
pub(crate) use structs::{references, take_unshared};

/// The ordinal (days since 0001-01-01, plus one) of 1970-01-01 in Python's `date.toordinal()`.
const EPOCH_ORDINAL: i64 = 719_163;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static DATETIME: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TIMEDELTA: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DECIMAL.import(py, "decimal", "Decimal")
}
fn date_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DATE.import(py, "datetime", "date")
}
fn time_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    TIME.import(py, "datetime", "time")
}
fn datetime_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DATETIME.import(py, "datetime", "datetime")
}

/// `isinstance(obj, ty)`, with the usual case (exactly `ty`) told by comparing one pointer.
fn is_a(obj: &Bound<'_, PyAny>, ty: &Bound<'_, PyType>) -> PyResult<bool> {
    Ok(obj.get_type().is(ty) || obj.is_instance(ty)?)
}
fn utc(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    UTC.get_or_try_init(py, || Ok::<_, PyErr>(py.import("datetime")?.getattr("timezone")?.getattr("utc")?.unbind()))
        .map(|u| u.bind(py))
}

/// The core schema behind a Python `Schema` (or `SchemaBuilder`, built); `None` for Python's None.
pub fn schema_ref(obj: &Bound<'_, PyAny>) -> PyResult<Option<SchemaRef>> {
    if obj.is_none() {
        return Ok(None);
    }
    if let Ok(schema) = obj.cast::<PySchema>() {
        return Ok(Some(schema.get().inner.clone()));
    }
    if let Ok(builder) = obj.cast::<PySchemaBuilder>() {
        return builder.borrow().inner.build().py_err().map(Some);
    }
    Err(DataError::new_err(format!("expected a Schema or None, got {}", obj.get_type().name()?)))
}

/// A Python value → a core value, guided by `schema` when there is one.
/// Schemaless: `None`, `bool`, `int` (INT64), `float` (FLOAT64), `str`, `bytes`, `list`/`tuple`,
/// `dict`, `Struct`.
pub fn to_value(obj: &Bound<'_, PyAny>, schema: Option<&SchemaRef>) -> PyResult<Value> {
    match schema {
        Some(schema) => guided(obj, schema, &ValuePath::Root),
        None => schemaless(obj, &ValuePath::Root),
    }
}

fn place(path: &ValuePath<'_>) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" for field \"{path}\"")
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

fn schemaless(obj: &Bound<'_, PyAny>, path: &ValuePath<'_>) -> PyResult<Value> {
    if obj.is_none() {
        Ok(Value::Null)
    } else if let Ok(s) = obj.cast::<PyString>() {
        Ok(Value::String(s.to_str()?.to_owned()))
    } else if let Ok(b) = obj.cast::<PyBytes>() {
        Ok(Value::Bytes(b.as_bytes().to_vec()))
    } else if obj.is_instance_of::<PyBool>() {
        Ok(Value::Boolean(obj.extract()?))
    } else if obj.is_instance_of::<PyInt>() {
        Ok(Value::Int64(
            obj.extract()
                .map_err(|_| DataError::new_err(format!("Value {obj} is out of range for INT64{}", place(path))))?,
        ))
    } else if obj.is_instance_of::<PyFloat>() {
        Ok(Value::Float64(obj.extract()?))
    } else if let Ok(list) = obj.cast::<PyList>() {
        let items = list.iter().enumerate().map(|(i, item)| schemaless(&item, &ValuePath::Item(path, &i)));
        items.collect::<PyResult<_>>().map(Value::Array)
    } else if let Ok(tuple) = obj.cast::<PyTuple>() {
        let items = tuple.iter().enumerate().map(|(i, item)| schemaless(&item, &ValuePath::Item(path, &i)));
        items.collect::<PyResult<_>>().map(Value::Array)
    } else if let Ok(dict) = obj.cast::<PyDict>() {
        let entries = dict.iter().map(|(k, v)| {
            let item_path = ValuePath::Item(path, &k);
            Ok((schemaless(&k, &item_path)?, schemaless(&v, &item_path)?))
        });
        entries.collect::<PyResult<_>>().map(Value::Map)
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        Ok(Value::Bytes(b.to_vec()))
    } else if let Ok(s) = obj.cast::<PyStruct>() {
        Ok(Value::Struct(s.borrow().inner.clone()))
    } else {
        Err(DataError::new_err(format!(
            "cannot convert a value of type {} without a schema{}",
            type_name(obj),
            place(path)
        )))
    }
}

fn mismatch(schema: &Schema, obj: &Bound<'_, PyAny>, path: &ValuePath<'_>) -> PyErr {
    let named = schema.name.as_ref().map(|n| format!(" \"{n}\"")).unwrap_or_default();
    DataError::new_err(format!(
        "Invalid value for schema{named} with type {}: {}{}",
        schema.schema_type,
        type_name(obj),
        place(path)
    ))
}

fn int_in(obj: &Bound<'_, PyAny>, schema: &Schema, path: &ValuePath<'_>, min: i64, max: i64) -> PyResult<i64> {
    if !obj.is_instance_of::<PyInt>() || obj.is_instance_of::<PyBool>() {
        return Err(mismatch(schema, obj, path));
    }
    match obj.extract::<i64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(DataError::new_err(format!("Value {obj} is out of range for {}{}", schema.schema_type, place(path)))),
    }
}

fn guided(obj: &Bound<'_, PyAny>, schema: &SchemaRef, path: &ValuePath<'_>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Some(logical) = LogicalType::of(schema) {
        return from_logical(obj, schema, logical, path);
    }
    Ok(match schema.schema_type {
        SchemaType::Int8 => Value::Int8(int_in(obj, schema, path, i8::MIN.into(), i8::MAX.into())? as i8),
        SchemaType::Int16 => Value::Int16(int_in(obj, schema, path, i16::MIN.into(), i16::MAX.into())? as i16),
        SchemaType::Int32 => Value::Int32(int_in(obj, schema, path, i32::MIN.into(), i32::MAX.into())? as i32),
        SchemaType::Int64 => Value::Int64(int_in(obj, schema, path, i64::MIN, i64::MAX)?),
        SchemaType::Float32 | SchemaType::Float64 => {
            if !(obj.is_instance_of::<PyFloat>() || obj.is_instance_of::<PyInt>()) || obj.is_instance_of::<PyBool>() {
                return Err(mismatch(schema, obj, path));
            }
            let v: f64 = obj.extract()?;
            if schema.schema_type == SchemaType::Float32 {
                Value::Float32(v as f32)
            } else {
                Value::Float64(v)
            }
        }
        SchemaType::Boolean => match obj.cast::<PyBool>() {
            Ok(b) => Value::Boolean(b.is_true()),
            Err(_) => return Err(mismatch(schema, obj, path)),
        },
        SchemaType::String => match obj.cast::<PyString>() {
            Ok(s) => Value::String(s.to_str()?.to_owned()),
            Err(_) => return Err(mismatch(schema, obj, path)),
        },
        SchemaType::Bytes => bytes_of(obj).ok_or_else(|| mismatch(schema, obj, path))?,
        SchemaType::Array => {
            let element = schema.value_schema.as_ref();
            let convert = |(i, item): (usize, Bound<'_, PyAny>)| {
                let item_path = ValuePath::Item(path, &i);
                match element {
                    Some(e) => guided(&item, e, &item_path),
                    None => schemaless(&item, &item_path),
                }
            };
            // A list's iterator reads its length at each step, so one that a value's conversion
            // changes (a `__str__` of a Decimal subclass could) ends where the list does.
            if let Ok(list) = obj.cast::<PyList>() {
                Value::Array(list.iter().enumerate().map(convert).collect::<PyResult<_>>()?)
            } else if let Ok(tuple) = obj.cast::<PyTuple>() {
                Value::Array(tuple.iter().enumerate().map(convert).collect::<PyResult<_>>()?)
            } else {
                return Err(mismatch(schema, obj, path));
            }
        }
        SchemaType::Map => {
            let dict = obj.cast::<PyDict>().map_err(|_| mismatch(schema, obj, path))?;
            let mut out = Vec::with_capacity(dict.len());
            for (k, v) in dict.iter() {
                let item_path = ValuePath::Item(path, &k);
                let convert = |x: &Bound<'_, PyAny>, s: Option<&SchemaRef>| match s {
                    Some(s) => guided(x, s, &item_path),
                    None => schemaless(x, &item_path),
                };
                out.push((convert(&k, schema.key_schema.as_ref())?, convert(&v, schema.value_schema.as_ref())?));
            }
            Value::Map(out)
        }
        SchemaType::Struct => struct_of(obj, schema, path)?,
    })
}

/// Whether `value`, made by `guided` for `schema`, is already what Kafka's validation would
/// accept, so a struct field can take it without that second walk. `guided` makes a value of the
/// schema's type or fails; it leaves to validation nulls (allowed only where optional), a
/// Decimal's bytes and a Time's range (checked there), and nested structs (unset fields). A Date
/// or Timestamp is any INT32 or INT64, and an array of unnamed primitives only needs its nulls
/// checked.
pub(crate) fn checked_by_conversion(schema: &Schema, value: &Value) -> bool {
    let primitive = |s: &Schema| s.name.is_none() && s.schema_type.is_primitive();
    match value {
        Value::Null | Value::Map(_) | Value::Struct(_) => false,
        Value::Array(items) => schema
            .value_schema
            .as_deref()
            .is_some_and(|element| primitive(element) && (element.optional || items.iter().all(|v| !v.is_null()))),
        Value::Int32(_) | Value::Int64(_) if schema.name.is_some() => {
            matches!(LogicalType::of(schema), Some(LogicalType::Date | LogicalType::Timestamp))
        }
        _ => primitive(schema),
    }
}

fn bytes_of(obj: &Bound<'_, PyAny>) -> Option<Value> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        Some(Value::Bytes(b.as_bytes().to_vec()))
    } else if let Ok(b) = obj.cast::<PyByteArray>() {
        Some(Value::Bytes(b.to_vec()))
    } else if obj.is_instance_of::<PyMemoryView>() {
        obj.call_method0(intern!(obj.py(), "tobytes")).ok()?.extract::<Vec<u8>>().ok().map(Value::Bytes)
    } else {
        None
    }
}

/// A `Struct` (same schema required), or what `Struct(schema, values)` takes: a dict of field
/// values (fields left out must be optional or have a default), or a tuple or list of one value
/// per field in the schema's order. The latter let a task hand a row over without building a
/// Python `Struct` for it; each value is checked as `Struct.put` checks it.
fn struct_of(obj: &Bound<'_, PyAny>, schema: &SchemaRef, path: &ValuePath<'_>) -> PyResult<Value> {
    if let Ok(s) = obj.cast::<PyStruct>() {
        let s = s.borrow();
        if !Arc::ptr_eq(&s.inner.schema, schema) && *s.inner.schema != **schema {
            return Err(DataError::new_err(format!("Struct schemas do not match{}.", place(path))));
        }
        return Ok(Value::Struct(s.inner.clone()));
    }
    let by_name = obj.is_instance_of::<PyDict>();
    if !(by_name || obj.is_instance_of::<PyTuple>() || obj.is_instance_of::<PyList>()) {
        return Err(mismatch(schema, obj, path));
    }
    let mut out = Struct::new(schema.clone()).py_err()?;
    structs::fill(&mut out, obj, path)?;
    // Values given in order set every field, each checked by its `put`; a dict may leave some out.
    if by_name {
        structs::check_unset(&out, path)?;
    }
    Ok(Value::Struct(out))
}

fn from_logical(
    obj: &Bound<'_, PyAny>,
    schema: &SchemaRef,
    logical: LogicalType,
    path: &ValuePath<'_>,
) -> PyResult<Value> {
    let py = obj.py();
    let is_int = obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>();
    let wrap = |e: ferroconnect_core::Error| DataError::new_err(format!("{e}{}", place(path)));
    match logical {
        LogicalType::Decimal => {
            // Plain text at the schema's scale (the usual case) is converted in one pass; the
            // general path handles the rest and words the errors.
            let plain = |text: &str| {
                let scale = core_logical::decimal_scale(schema).ok()?;
                ferroconnect_core::data::decimal::unscaled_bytes_of_plain(text, scale).map(Value::Bytes)
            };
            let decimal = if is_a(obj, decimal_type(py)?)? {
                // A Decimal's text keeps its digits and exponent exactly (`12.340`, `1.2E+5`) and
                // costs one C call, where `as_tuple()` builds a tuple of digits.
                let text = obj.str()?;
                let text = text.to_str()?;
                if let Some(value) = plain(text) {
                    return Ok(value);
                }
                BigDecimal::parse(text)
                    .map_err(|_| DataError::new_err(format!("Decimal {obj} is not a finite number{}", place(path))))?
            } else if let Some(bytes) = bytes_of(obj) {
                return Ok(bytes);
            } else if is_int || obj.is_instance_of::<PyFloat>() {
                let text = obj.str()?.to_string();
                if let Some(value) = plain(&text) {
                    return Ok(value);
                }
                BigDecimal::parse(&text).map_err(wrap)?
            } else {
                return Err(mismatch(schema, obj, path));
            };
            core_logical::decimal_to_value(schema, &decimal).map_err(wrap)
        }
        LogicalType::Date => {
            if is_int {
                return Ok(Value::Int32(int_in(obj, schema, path, i32::MIN.into(), i32::MAX.into())? as i32));
            }
            let date = date_type(py)?;
            if !is_a(obj, date)? {
                return Err(mismatch(schema, obj, path));
            }
            if !obj.get_type().is(date) && obj.is_instance(datetime_type(py)?)? {
                let (_, ms) = datetime_millis(obj)?;
                if ms.rem_euclid(MILLIS_PER_DAY) != 0 {
                    return Err(DataError::new_err(format!(
                        "Kafka Connect Date type should not have any time fields set to non-zero values{}",
                        place(path)
                    )));
                }
                return Ok(Value::Int32(ms.div_euclid(MILLIS_PER_DAY) as i32));
            }
            let ordinal: i64 = obj.call_method0(intern!(obj.py(), "toordinal"))?.extract()?;
            Ok(Value::Int32((ordinal - EPOCH_ORDINAL) as i32))
        }
        LogicalType::Time => {
            let ms = if is_int {
                int_in(obj, schema, path, i32::MIN.into(), i32::MAX.into())?
            } else if is_a(obj, time_type(py)?)? {
                let (h, m, s, us): (i64, i64, i64, i64) = (
                    obj.getattr(intern!(obj.py(), "hour"))?.extract()?,
                    obj.getattr(intern!(obj.py(), "minute"))?.extract()?,
                    obj.getattr(intern!(obj.py(), "second"))?.extract()?,
                    obj.getattr(intern!(obj.py(), "microsecond"))?.extract()?,
                );
                let offset = utc_offset_millis(obj)?;
                (((h * 60 + m) * 60 + s) * 1000 + us / 1000 - offset).rem_euclid(MILLIS_PER_DAY)
            } else {
                return Err(mismatch(schema, obj, path));
            };
            core_logical::check_time_millis(ms as i32).map_err(wrap)?;
            Ok(Value::Int32(ms as i32))
        }
        LogicalType::Timestamp => {
            if is_int {
                return Ok(Value::Int64(int_in(obj, schema, path, i64::MIN, i64::MAX)?));
            }
            if is_a(obj, datetime_type(py)?)? {
                return Ok(Value::Int64(datetime_millis(obj)?.1));
            }
            if is_a(obj, date_type(py)?)? {
                let ordinal: i64 = obj.call_method0(intern!(obj.py(), "toordinal"))?.extract()?;
                return Ok(Value::Int64((ordinal - EPOCH_ORDINAL) * MILLIS_PER_DAY));
            }
            Err(mismatch(schema, obj, path))
        }
    }
}

/// `utcoffset()` of a time or datetime, in milliseconds (0 when naive).
fn utc_offset_millis(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    let offset = obj.call_method0(intern!(obj.py(), "utcoffset"))?;
    if offset.is_none() {
        return Ok(0);
    }
    let (days, seconds, us): (i64, i64, i64) = (
        offset.getattr(intern!(obj.py(), "days"))?.extract()?,
        offset.getattr(intern!(obj.py(), "seconds"))?.extract()?,
        offset.getattr(intern!(obj.py(), "microseconds"))?.extract()?,
    );
    Ok((days * 86_400 + seconds) * 1000 + us / 1000)
}

/// (days, milliseconds) since the epoch of a datetime; naive datetimes are taken as UTC.
fn datetime_millis(obj: &Bound<'_, PyAny>) -> PyResult<(i64, i64)> {
    let ordinal: i64 = obj.call_method0(intern!(obj.py(), "toordinal"))?.extract()?;
    let (h, m, s, us): (i64, i64, i64, i64) = (
        obj.getattr(intern!(obj.py(), "hour"))?.extract()?,
        obj.getattr(intern!(obj.py(), "minute"))?.extract()?,
        obj.getattr(intern!(obj.py(), "second"))?.extract()?,
        obj.getattr(intern!(obj.py(), "microsecond"))?.extract()?,
    );
    let days = ordinal - EPOCH_ORDINAL;
    // Floor division keeps instants before the epoch on the right millisecond.
    let ms = days * MILLIS_PER_DAY + ((h * 60 + m) * 60 + s) * 1000 + us.div_euclid(1000) - utc_offset_millis(obj)?;
    Ok((days, ms))
}

/// A core value → a Python object (logical types as Python's types when the schema says so).
pub fn to_py(py: Python<'_>, value: &Value, schema: Option<&SchemaRef>) -> PyResult<Py<PyAny>> {
    if value.is_null() {
        return Ok(py.None());
    }
    if let Some(logical) = schema.and_then(|s| LogicalType::of(s)) {
        return to_logical(py, value, schema.expect("logical type has a schema"), logical);
    }
    Ok(match value {
        Value::Null => py.None(),
        Value::Boolean(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Int8(v) => v.into_pyobject(py)?.into_any().unbind(),
        Value::Int16(v) => v.into_pyobject(py)?.into_any().unbind(),
        Value::Int32(v) => v.into_pyobject(py)?.into_any().unbind(),
        Value::Int64(v) => v.into_pyobject(py)?.into_any().unbind(),
        Value::Float32(v) => f64::from(*v).into_pyobject(py)?.into_any().unbind(),
        Value::Float64(v) => v.into_pyobject(py)?.into_any().unbind(),
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Bytes(b) => PyBytes::new(py, b).into_any().unbind(),
        Value::Array(items) => {
            let element = schema.and_then(|s| s.value_schema.as_ref());
            PyList::new(py, items.iter().map(|v| to_py(py, v, element)).collect::<PyResult<Vec<_>>>()?)?
                .into_any()
                .unbind()
        }
        Value::Map(entries) => {
            let (ks, vs) = (schema.and_then(|s| s.key_schema.as_ref()), schema.and_then(|s| s.value_schema.as_ref()));
            let dict = PyDict::new(py);
            for (k, v) in entries {
                dict.set_item(to_py(py, k, ks)?, to_py(py, v, vs)?)?;
            }
            dict.into_any().unbind()
        }
        Value::Struct(s) => Py::new(py, PyStruct { inner: s.clone() })?.into_any(),
    })
}

fn to_logical(py: Python<'_>, value: &Value, schema: &SchemaRef, logical: LogicalType) -> PyResult<Py<PyAny>> {
    let wrong = || DataError::new_err(format!("Invalid {} value: {}", logical.name(), value.type_name()));
    let out_of_range = |e: PyErr| DataError::new_err(format!("{} value out of Python's range: {e}", logical.name()));
    Ok(match (logical, value) {
        (LogicalType::Decimal, Value::Bytes(_)) => {
            let decimal = core_logical::decimal_from_value(schema, value).py_err()?;
            decimal_type(py)?.call1((decimal.to_string(),))?.unbind()
        }
        (LogicalType::Date, Value::Int32(days)) => date_type(py)?
            .call_method1(intern!(py, "fromordinal"), (i64::from(*days) + EPOCH_ORDINAL,))
            .map_err(out_of_range)?
            .unbind(),
        (LogicalType::Time, Value::Int32(ms)) => {
            core_logical::check_time_millis(*ms).py_err()?;
            if i64::from(*ms) == MILLIS_PER_DAY {
                return Err(DataError::new_err("Time 24:00:00.000 cannot be represented as a datetime.time"));
            }
            let ms = i64::from(*ms);
            let args = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000 * 1000);
            time_type(py)?.call1(args)?.unbind()
        }
        (LogicalType::Timestamp, Value::Int64(ms)) => {
            let epoch = datetime_type(py)?.call1((1970, 1, 1, 0, 0, 0, 0, utc(py)?))?;
            let delta = TIMEDELTA.import(py, "datetime", "timedelta")?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("milliseconds", *ms)?;
            epoch.add(delta.call((), Some(&kwargs))?).map_err(out_of_range)?.unbind()
        }
        _ => return Err(wrong()),
    })
}

/// Adds the data model's classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    schema::register(m)?;
    structs::register(m)?;
    logical::register(m)?;
    Ok(())
}

/// `Arc` a freshly built schema for the Python side.
pub(crate) fn py_schema(py: Python<'_>, schema: SchemaRef) -> PyResult<Py<PySchema>> {
    Py::new(py, PySchema { inner: schema })
}

/// An optional Python `Schema` for an optional core schema.
pub(crate) fn py_schema_opt(py: Python<'_>, schema: Option<&SchemaRef>) -> PyResult<Option<Py<PySchema>>> {
    schema.map(|s| py_schema(py, Arc::clone(s))).transpose()
}
