//! `ConfigDef` for Python: a thin class over the core's definition (the REST validate endpoint
//! and the runtime read the same definition).

use std::sync::{Arc, RwLock};

use ferroconnect_core::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Validator, Width};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::{ConfigError, IntoPyResult};
use crate::source::config_from;

/// The compiled half of `ferroconnect.ConfigDef`.
#[pyclass(name = "ConfigDef", module = "ferroconnect._core", frozen)]
#[derive(Default)]
pub struct PyConfigDef {
    pub def: RwLock<ConfigDef>,
}

fn importance(name: &str) -> PyResult<Importance> {
    match name.to_ascii_uppercase().as_str() {
        "HIGH" => Ok(Importance::High),
        "MEDIUM" => Ok(Importance::Medium),
        "LOW" => Ok(Importance::Low),
        other => Err(ConfigError::new_err(format!("unknown importance {other:?}"))),
    }
}

fn width(name: &str) -> PyResult<Width> {
    match name.to_ascii_uppercase().as_str() {
        "NONE" => Ok(Width::None),
        "SHORT" => Ok(Width::Short),
        "MEDIUM" => Ok(Width::Medium),
        "LONG" => Ok(Width::Long),
        other => Err(ConfigError::new_err(format!("unknown width {other:?}"))),
    }
}

/// A validator from its Python description: `("range", min, max)`, `("valid_string", [..], case)`,
/// `("non_empty",)`, or a callable `(name, value)` that raises to reject.
fn validator(obj: &Bound<'_, PyAny>) -> PyResult<Validator> {
    if let Ok(spec) = obj.call_method0("_spec") {
        let kind: String = spec.get_item(0)?.extract()?;
        return match kind.as_str() {
            "range" => Ok(Validator::Range { min: spec.get_item(1)?.extract()?, max: spec.get_item(2)?.extract()? }),
            "valid_string" => Ok(Validator::ValidString {
                allowed: spec.get_item(1)?.extract()?,
                case_sensitive: spec.get_item(2)?.extract()?,
            }),
            "non_empty" => Ok(Validator::NonEmptyString),
            other => Err(ConfigError::new_err(format!("unknown validator kind {other:?}"))),
        };
    }
    if !obj.is_callable() {
        return Err(ConfigError::new_err("a validator is a ferroconnect validator or a callable (name, value)"));
    }
    let check = obj.clone().unbind();
    Ok(Validator::Custom(Arc::new(move |name, value| {
        Python::attach(|py| {
            let value = to_py(py, value).map_err(|e| e.to_string())?;
            check.bind(py).call1((name, value)).map(drop).map_err(|e| e.value(py).to_string())
        })
    })))
}

/// A typed config value as a Python value (passwords stay wrapped in `ferroconnect.Password`).
pub fn to_py(py: Python<'_>, value: &ConfigValue) -> PyResult<Py<PyAny>> {
    Ok(match value {
        ConfigValue::Null => py.None(),
        ConfigValue::Boolean(b) => b.into_pyobject(py)?.to_owned().into_any().unbind(),
        ConfigValue::String(s) | ConfigValue::Class(s) => s.into_pyobject(py)?.into_any().unbind(),
        ConfigValue::Int(v) => v.into_pyobject(py)?.into_any().unbind(),
        ConfigValue::Short(v) => v.into_pyobject(py)?.into_any().unbind(),
        ConfigValue::Long(v) => v.into_pyobject(py)?.into_any().unbind(),
        ConfigValue::Double(v) => v.into_pyobject(py)?.into_any().unbind(),
        ConfigValue::List(items) => PyList::new(py, items)?.into_any().unbind(),
        ConfigValue::Password(p) => py.import("ferroconnect.config")?.getattr("Password")?.call1((p,))?.unbind(),
    })
}

/// A Python default as the key's typed value (None: a null default).
fn default_value(name: &str, config_type: ConfigType, obj: &Bound<'_, PyAny>) -> PyResult<ConfigValue> {
    if obj.is_none() {
        return Ok(ConfigValue::Null);
    }
    let raw = if let Ok(b) = obj.extract::<bool>() {
        b.to_string()
    } else if let Ok(items) = obj.extract::<Vec<String>>() {
        items.join(",")
    } else {
        obj.str()?.to_string()
    };
    ferroconnect_core::config::parse_value(name, config_type, &raw).py_err()
}

#[pymethods]
impl PyConfigDef {
    #[new]
    fn new() -> Self {
        PyConfigDef::default()
    }

    /// Adds a key (`has_default=False`: required).
    #[pyo3(signature = (name, type_name, has_default, default, importance_name, doc, group, order_in_group,
                        width_name, display_name, validator_obj, dependents))]
    #[allow(clippy::too_many_arguments)]
    fn define(
        &self,
        name: &str,
        type_name: &str,
        has_default: bool,
        default: Bound<'_, PyAny>,
        importance_name: &str,
        doc: &str,
        group: Option<String>,
        order_in_group: i32,
        width_name: &str,
        display_name: Option<String>,
        validator_obj: Option<Bound<'_, PyAny>>,
        dependents: Vec<String>,
    ) -> PyResult<()> {
        let config_type = ConfigType::from_name(type_name)
            .ok_or_else(|| ConfigError::new_err(format!("unknown config type {type_name:?} for {name}")))?;
        let default = if has_default { Some(default_value(name, config_type, &default)?) } else { None };
        let mut key = ConfigKey::new(name, config_type, default, importance(importance_name)?, doc);
        key.group = group;
        key.order_in_group = order_in_group;
        key.width = width(width_name)?;
        key.display_name = display_name.unwrap_or_else(|| name.to_owned());
        key.dependents = dependents;
        key.validator = validator_obj.map(|v| validator(&v)).transpose()?;
        let mut def = self.def.write().expect("config def lock");
        *def = std::mem::take(&mut *def).define(key).py_err()?;
        Ok(())
    }

    /// Names of the keys, in definition order.
    fn names(&self) -> Vec<String> {
        self.def.read().expect("config def lock").keys().iter().map(|k| k.name.clone()).collect()
    }

    /// Parses a config into typed values; raises ConfigError naming the first bad key.
    fn parse<'py>(&self, py: Python<'py>, props: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let props = config_from(&props)?;
        let def = self.def.read().expect("config def lock").clone();
        let values = def.parse(&props).py_err()?;
        let out = PyDict::new(py);
        for (k, v) in values {
            out.set_item(k, to_py(py, &v)?)?;
        }
        Ok(out)
    }

    /// Error messages by key, for every key (an empty list where the value is valid).
    fn validate<'py>(&self, py: Python<'py>, props: Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
        let props = config_from(&props)?;
        let def = self.def.read().expect("config def lock").clone();
        let out = PyDict::new(py);
        for (name, outcome) in def.validate(&props) {
            out.set_item(name, outcome.err().unwrap_or_default())?;
        }
        Ok(out)
    }
}

/// Adds this module's classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyConfigDef>()
}
