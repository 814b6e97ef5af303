//! `ferroconnect._core`: thin pyo3 bindings over `ferroconnect-core`. Python connector objects are
//! wrapped as the core's traits here; no runtime logic lives in this crate.

use pyo3::prelude::*;

/// Rust allocations of the extension use mimalloc (as polars does): the source path allocates and
/// frees a few small blocks per record across threads, where glibc's malloc spent a tenth of the
/// task thread's time consolidating and unlinking chunks. librdkafka and Python keep their own.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
mod sink_record;
mod source;
mod source_batch;
mod testing;
mod transforms;
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
    transforms::register(m)?;
    testing::register(m)?;
    Ok(())
}
