//! Python transforms and predicates for the core's transform chain.
//!
//! - `mod.rs`: [`PyTransformLoader`], the core's `TransformLoader` for classes that are not
//!   built in: it finds them through `ferroconnect._plugins` (a class registered by the in-process
//!   `Worker`, an entry point of `ferroconnect.transforms`, a dotted path, `plugin.path`), and the
//!   functions `ferroconnect.testing` runs a transform through without a worker.
//! - `stage.rs`: a configured Python instance as the core's `Transformation` / `Predicate`.
//! - `differential.rs` + `neutral.rs`: `apply_transforms`, a testing aid running a config's
//!   built-in chain over records in the neutral JSON form the Java differential shares.

mod differential;
mod neutral;
mod stage;

use ferroconnect_core::config::ConfigDef;
use ferroconnect_core::runtime::plugin::{Config, PluginDesc, PluginType};
use ferroconnect_core::transforms::chain::TransformLoader;
use ferroconnect_core::transforms::{Predicate, Record, Transformation};
use ferroconnect_core::{Error, Result};
use pyo3::prelude::*;
use pyo3::types::PyList;

pub use stage::{PyPredicate, PyTransformation};

use crate::config::PyConfigDef;
use crate::errors::ConfigError;
use crate::failure::{call, from_py};
use crate::source::{config_dict, config_from};

const TRANSFORMATION: &str = "transformation";
const PREDICATE: &str = "predicate";

/// Finds Python `Transformation` and `Predicate` classes (`ferroconnect._plugins`).
pub struct PyTransformLoader;

/// The class `class` names, of this kind (`None`: unknown, or of the other kind). A name that
/// resolves to something that is neither is a config error of the `type` key (the chain names it
/// in full).
fn find<'py>(py: Python<'py>, class: &str, kind: &str) -> Option<Result<Bound<'py, PyAny>>> {
    let found = py.import("ferroconnect._plugins").and_then(|m| m.call_method1("find_transform_class", (class, kind)));
    match found {
        Ok(cls) if cls.is_none() => None,
        Ok(cls) => Some(Ok(cls)),
        Err(e) if e.is_instance_of::<ConfigError>(py) => Some(Err(Error::config("type", e.value(py).to_string()))),
        Err(e) => Some(Err(from_py(py, e))),
    }
}

/// A new instance of the class, configured; and for a transform whether it has `apply_batch`.
fn configured(class: &str, kind: &str, config: &Config) -> Option<Result<(Py<PyAny>, bool)>> {
    Python::attach(|py| {
        let cls = match find(py, class, kind)? {
            Ok(cls) => cls,
            Err(e) => return Some(Err(e)),
        };
        let made = (|| {
            let obj = cls.call0()?;
            obj.call_method1("configure", (config_dict(py, config)?,))?;
            let batch = kind == TRANSFORMATION
                && py.import("ferroconnect.transform")?.call_method1("_overrides_apply_batch", (&obj,))?.is_truthy()?;
            Ok((obj.unbind(), batch))
        })();
        Some(made.map_err(|e| from_py(py, e)))
    })
}

/// The class's `config()` (of a new instance, as Kafka asks), compiled.
fn config_def(class: &str, kind: &str) -> Option<Result<ConfigDef>> {
    Python::attach(|py| {
        let cls = match find(py, class, kind)? {
            Ok(cls) => cls,
            Err(e) => return Some(Err(e)),
        };
        let def = (|| {
            let def = cls.call0()?.call_method0("config")?.getattr("_def")?;
            let def = def.cast::<PyConfigDef>()?;
            let copy = def.get().def.read().expect("config def lock").clone();
            Ok(copy)
        })();
        Some(def.map_err(|e| from_py(py, e)))
    })
}

impl TransformLoader for PyTransformLoader {
    fn transform(&self, class: &str, config: &Config) -> Option<Result<Box<dyn Transformation>>> {
        let made = configured(class, TRANSFORMATION, config)?;
        Some(made.map(|(obj, batch)| Box::new(PyTransformation { obj, batch }) as Box<dyn Transformation>))
    }

    fn transform_config_def(&self, class: &str) -> Option<Result<ConfigDef>> {
        config_def(class, TRANSFORMATION)
    }

    fn predicate(&self, class: &str, config: &Config) -> Option<Result<Box<dyn Predicate>>> {
        let made = configured(class, PREDICATE, config)?;
        Some(made.map(|(obj, _)| Box::new(PyPredicate { obj }) as Box<dyn Predicate>))
    }

    fn predicate_config_def(&self, class: &str) -> Option<Result<ConfigDef>> {
        config_def(class, PREDICATE)
    }

    /// Registered classes, entry points of `ferroconnect.transforms` and classes on `plugin.path`.
    fn plugins(&self) -> Vec<PluginDesc> {
        let found = call(|py| {
            let found = py.import("ferroconnect._plugins")?.call_method0("transform_plugins")?;
            found
                .try_iter()?
                .map(|item| {
                    let (class, kind, version): (String, String, String) = item?.extract()?;
                    let kind = if kind == TRANSFORMATION { PluginType::Transformation } else { PluginType::Predicate };
                    Ok(PluginDesc { class, kind, version })
                })
                .collect()
        });
        found.unwrap_or_else(|e| {
            tracing::warn!("listing Python transforms failed: {e}");
            Vec::new()
        })
    }
}

/// Python's view of an error: the exception its kind maps to.
fn error_object(py: Python<'_>, error: Error) -> Py<PyAny> {
    crate::errors::to_py(error).value(py).clone().into_any().unbind()
}

/// `ferroconnect.testing.apply_transform`: the transform class `class_name` (not a built-in)
/// configured with `config`, applied to `records` as the runtime applies it (converted to core
/// records and back, `apply_batch` when defined), then closed. One result per record: the new
/// record, None, or the error (a `ConnectError`) it failed with.
#[pyfunction]
fn apply_transform<'py>(
    py: Python<'py>,
    class_name: &str,
    config: &Bound<'py, PyAny>,
    records: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyList>> {
    let config = config_from(config)?;
    let inputs = core_records(py, records)?;
    let Some(made) = PyTransformLoader.transform(class_name, &config) else {
        return Err(ConfigError::new_err(format!("Class {class_name} could not be found as a transform.")));
    };
    let mut transform = made.map_err(crate::errors::to_py)?;
    let outcomes = py.detach(|| transform.apply_batch(inputs));
    let mut items = Vec::with_capacity(outcomes.len());
    for outcome in outcomes {
        items.push(match outcome {
            Ok(Some(record)) => stage::to_py_records(py, vec![record])?.pop().expect("one record").unbind(),
            Ok(None) => py.None(),
            Err(e) => error_object(py, e),
        });
    }
    py.detach(|| transform.close());
    PyList::new(py, items)
}

/// `ferroconnect.testing.match_predicate`: the predicate class `class_name` configured with `config`,
/// tested on each record as the runtime tests it, then closed.
#[pyfunction]
fn match_predicate(
    py: Python<'_>,
    class_name: &str,
    config: &Bound<'_, PyAny>,
    records: &Bound<'_, PyAny>,
) -> PyResult<Vec<bool>> {
    let config = config_from(config)?;
    let inputs = core_records(py, records)?;
    let Some(made) = PyTransformLoader.predicate(class_name, &config) else {
        return Err(ConfigError::new_err(format!("Class {class_name} could not be found as a predicate.")));
    };
    let mut predicate = made.map_err(crate::errors::to_py)?;
    let outcome = py.detach(|| {
        let records: Vec<&Record> = inputs.iter().collect();
        predicate.test_batch(&records).into_iter().collect::<Result<Vec<bool>>>()
    });
    py.detach(|| predicate.close());
    outcome.map_err(crate::errors::to_py)
}

/// Python `SourceRecord`s and `SinkRecord`s as the chain's records.
fn core_records(py: Python<'_>, records: &Bound<'_, PyAny>) -> PyResult<Vec<Record>> {
    records
        .try_iter()?
        .map(|item| {
            let item = item?;
            match stage::outcome(py, &item, None, "records") {
                Ok(Some(record)) => Ok(record),
                Ok(None) => {
                    Err(crate::errors::DataError::new_err("records must be SourceRecord or SinkRecord, not None"))
                }
                Err(e) => Err(crate::errors::to_py(e)),
            }
        })
        .collect()
}

/// Adds the testing functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    differential::register(m)?;
    m.add_function(wrap_pyfunction!(apply_transform, m)?)?;
    m.add_function(wrap_pyfunction!(match_predicate, m)?)?;
    Ok(())
}
