//! `apply_transforms`: a testing aid that runs a connector config's transform chain (the core's
//! `TransformChain`, built-ins only) over records given in the neutral JSON form that the
//! transforms differential test shares with Kafka's side (see `transforms/neutral.rs`).

use super::neutral;
use std::collections::BTreeMap;

use ferroconnect_core::transforms::{Record, TransformChain};
use ferroconnect_core::{Error, Result};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};
use serde_json::{json, Value as Json};

use crate::errors::{DataError, IntoPyResult};

/// JSON data (dicts with str keys, lists, str, int, float, bool, None) as serde_json's value.
/// Walked rather than parsed from `json.dumps`: serde_json's text parser may be off by one bit
/// in the last place of a float.
fn to_json(obj: &Bound<'_, PyAny>) -> PyResult<Json> {
    if obj.is_none() {
        return Ok(Json::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Json::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(json!(i));
        }
        return Ok(json!(obj.extract::<u64>()?));
    }
    if let Ok(x) = obj.cast::<PyFloat>() {
        let x = x.value();
        return serde_json::Number::from_f64(x)
            .map(Json::Number)
            .ok_or_else(|| DataError::new_err(format!("not a finite float: {x}")));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Json::String(s.to_str()?.to_owned()));
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return list.iter().map(|x| to_json(&x)).collect::<PyResult<_>>().map(Json::Array);
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut out = serde_json::Map::new();
        for (k, v) in dict.iter() {
            out.insert(k.cast::<PyString>()?.to_str()?.to_owned(), to_json(&v)?);
        }
        return Ok(Json::Object(out));
    }
    Err(DataError::new_err(format!("not JSON data: {}", obj.get_type().name()?)))
}

/// The kind of an error as the differential compares it (`config`, `data` or `other`) and the
/// name of its variant (in place of Kafka's exception class).
fn error_json(error: &Error, stage: &str) -> Json {
    let (kind, class) = match error {
        Error::Config { .. } => ("config", "Config"),
        Error::ConfigErrors(_) => ("config", "ConfigErrors"),
        Error::InvalidConnectorConfig(_) => ("config", "InvalidConnectorConfig"),
        Error::BadRequest(_) => ("config", "BadRequest"),
        Error::Data(_) => ("data", "Data"),
        Error::Retriable(_) => ("other", "Retriable"),
        Error::Connector(_) => ("other", "Connector"),
        _ => ("other", "Other"),
    };
    json!({"kind": kind, "class": class, "message": error.to_string(), "stage": stage})
}

fn outcome_json(record: Result<Record>) -> Json {
    match record {
        Ok(record) => json!({ "record": neutral::record_out(&record) }),
        Err(e) => json!({ "build_error": error_json(&e, "") }),
    }
}

/// Runs the transform chain of `config` (`transforms`, `transforms.<alias>.*`, `predicates`,
/// `predicates.<alias>.*`; built-in transforms only) over `records`, each a dict in the neutral
/// form of ``tests/jvm/transforms/TransformCases.java``; one outcome per record: `{"record": ...}`,
/// `{"dropped": True}` or `{"error": {"kind", "class", "message", "stage"}}`. A chain that cannot
/// be built raises (`ConfigError` for a bad config). A testing aid for the differential test
/// against Kafka's transforms, not an API for connectors.
#[pyfunction]
pub fn apply_transforms<'py>(
    py: Python<'py>,
    config: BTreeMap<String, String>,
    records: &Bound<'py, PyList>,
) -> PyResult<Bound<'py, PyAny>> {
    let input: Vec<Json> = records.iter().map(|r| to_json(&r)).collect::<PyResult<_>>()?;
    let mut chain = TransformChain::from_config(&config, None).py_err()?;
    let outcomes = py.detach(move || {
        let built: Vec<Result<Record>> = input.iter().map(neutral::record_in).collect();
        let ready: Vec<Record> = built.iter().filter_map(|r| r.as_ref().ok().cloned()).collect();
        let mut applied = chain.apply_batch(ready).into_iter();
        chain.close();
        built
            .into_iter()
            .map(|r| match r {
                Err(e) => outcome_json(Err(e)),
                Ok(_) => match applied.next() {
                    Some(Ok(Some(record))) => outcome_json(Ok(record)),
                    Some(Ok(None)) => json!({"dropped": true}),
                    Some(Err(failure)) => json!({ "error": error_json(&failure.error, &failure.class) }),
                    None => json!({"error": {"kind": "other", "class": "Missing", "message": "no outcome"}}),
                },
            })
            .collect::<Vec<Json>>()
    });
    // Out as text: serde_json writes floats in their shortest exact form and Python reads them exactly.
    let text = serde_json::to_string(&outcomes).map_err(|e| DataError::new_err(e.to_string()))?;
    py.import("json")?.call_method1("loads", (text,))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(apply_transforms, m)?)
}
