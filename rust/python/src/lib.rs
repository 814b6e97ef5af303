//! `ferroconnect._core`: thin pyo3 bindings over `ferroconnect-core`. Python connector objects are
//! wrapped as the core's traits here; no runtime logic lives in this crate.

use pyo3::prelude::*;

mod cli;
mod config;
mod convert;
mod data;
mod errors;
mod failure;
mod kafka;
mod logging;
mod records;
mod sink;
mod source;
mod worker;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", ferroconnect_core::version())?;
    errors::register(m)?;
    data::register(m)?;
    convert::register(m)?;
    kafka::register(m)?;
    worker::register(m)?;
    sink::register(m)?;
    config::register(m)?;
    cli::register(m)?;
    logging::register(m)?;
    Ok(())
}
