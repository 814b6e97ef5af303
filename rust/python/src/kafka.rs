//! Bindings for the embedded broker (librdkafka's mock cluster) and a batch producer for tools
//! and tests. Every wait releases the GIL.

use std::collections::HashMap;
use std::time::Duration;

use ferroconnect_core::kafka::ceiling;
use ferroconnect_core::kafka::mock::{EmbeddedCluster, MockCommand};
use ferroconnect_core::kafka::producer::{produce_all, OutgoingRecord};
use ferroconnect_core::kafka::reader;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::errors::IntoPyResult;

/// librdkafka's mock cluster in this process (see `ferroconnect.EmbeddedKafka`).
#[pyclass(name = "MockCluster", module = "ferroconnect._core")]
pub struct PyMockCluster {
    cluster: Option<EmbeddedCluster>,
}

impl PyMockCluster {
    fn cluster(&self) -> PyResult<&EmbeddedCluster> {
        self.cluster.as_ref().ok_or_else(|| crate::errors::ConnectError::new_err("the mock cluster is closed"))
    }

    fn apply(&self, py: Python<'_>, command: MockCommand) -> PyResult<()> {
        let cluster = self.cluster()?;
        py.detach(|| cluster.apply(command)).py_err()
    }
}

#[pymethods]
impl PyMockCluster {
    #[new]
    #[pyo3(signature = (num_brokers = 1, num_partitions = 1))]
    fn new(py: Python<'_>, num_brokers: i32, num_partitions: i32) -> PyResult<Self> {
        if num_partitions < 1 {
            return Err(crate::errors::ConfigError::new_err(format!(
                "num_partitions must be at least 1, not {num_partitions}"
            )));
        }
        let cluster = py.detach(|| EmbeddedCluster::start(num_brokers, num_partitions)).py_err()?;
        Ok(PyMockCluster { cluster: Some(cluster) })
    }

    #[getter]
    fn bootstrap_servers(&self) -> PyResult<String> {
        Ok(self.cluster()?.bootstrap_servers().to_owned())
    }

    #[pyo3(signature = (name, partitions = 1, replication_factor = 1))]
    fn create_topic(&self, py: Python<'_>, name: String, partitions: i32, replication_factor: i32) -> PyResult<()> {
        self.apply(py, MockCommand::CreateTopic { name, partitions, replication_factor })
    }

    fn request_errors(&self, py: Python<'_>, api_key: i32, error_codes: Vec<i32>) -> PyResult<()> {
        self.apply(py, MockCommand::RequestErrors { api_key, error_codes })
    }

    fn clear_request_errors(&self, py: Python<'_>, api_key: i32) -> PyResult<()> {
        self.apply(py, MockCommand::ClearRequestErrors { api_key })
    }

    fn broker_down(&self, py: Python<'_>, broker_id: i32) -> PyResult<()> {
        self.apply(py, MockCommand::BrokerDown { broker_id })
    }

    fn broker_up(&self, py: Python<'_>, broker_id: i32) -> PyResult<()> {
        self.apply(py, MockCommand::BrokerUp { broker_id })
    }

    fn close(&mut self, py: Python<'_>) {
        if let Some(cluster) = self.cluster.take() {
            py.detach(move || drop(cluster));
        }
    }
}

/// A record for [`produce`]: `(key, value)` or `(key, value, headers)`.
type PyRecord = (Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<(String, Option<Vec<u8>>)>>);

/// Produces records with ferroconnect's producer (Kafka Connect's defaults under `config`) and
/// returns `(partition, offset)` of each, raising on the first failed record.
#[pyfunction]
#[pyo3(signature = (bootstrap_servers, topic, records, config = None, partition = None, timeout = 30.0))]
pub fn produce(
    py: Python<'_>,
    bootstrap_servers: &str,
    topic: &str,
    records: Vec<Bound<'_, PyAny>>,
    config: Option<HashMap<String, String>>,
    partition: Option<i32>,
    timeout: f64,
) -> PyResult<Vec<(i32, i64)>> {
    let outgoing = records
        .iter()
        .map(|r| {
            let (key, value, headers): PyRecord = match r.len()? {
                2 => {
                    let (k, v) = r.extract()?;
                    (k, v, None)
                }
                _ => r.extract()?,
            };
            Ok(OutgoingRecord {
                topic: topic.into(),
                partition,
                key,
                value,
                timestamp: None,
                headers: headers.unwrap_or_default(),
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let config = config.unwrap_or_default();
    py.detach(|| {
        let outcomes = produce_all(bootstrap_servers, &config, &outgoing, Duration::from_secs_f64(timeout))?;
        outcomes.into_iter().map(|o| o.map(|d| (d.partition, d.offset))).collect::<ferroconnect_core::Result<Vec<_>>>()
    })
    .py_err()
}

/// The benchmark ceiling: `count` copies of `value` sent with ferroconnect's producer and nothing
/// else per record; returns the seconds from creating the producer to the last acknowledgement.
#[pyfunction]
#[pyo3(signature = (bootstrap_servers, topic, value, count, config = None, timeout = 600.0))]
pub fn produce_copies(
    py: Python<'_>,
    bootstrap_servers: &str,
    topic: &str,
    value: Vec<u8>,
    count: usize,
    config: Option<HashMap<String, String>>,
    timeout: f64,
) -> PyResult<f64> {
    let config = config.unwrap_or_default();
    py.detach(|| {
        ceiling::produce_copies(bootstrap_servers, &config, topic, &value, count, Duration::from_secs_f64(timeout))
    })
    .map(|elapsed| elapsed.as_secs_f64())
    .py_err()
}

/// A stored record: `(partition, offset, timestamp, key, value, headers)`.
type PyStoredRecord =
    (i32, i64, Option<i64>, Option<Py<PyBytes>>, Option<Py<PyBytes>>, Vec<(String, Option<Py<PyBytes>>)>);

/// Reads a topic from the start, without a consumer group (see `ferroconnect.testing.read_topic`).
#[pyfunction]
#[pyo3(signature = (bootstrap_servers, topic, max_records, idle = 1.0, timeout = 30.0, config = None))]
pub fn read_topic(
    py: Python<'_>,
    bootstrap_servers: &str,
    topic: &str,
    max_records: usize,
    idle: f64,
    timeout: f64,
    config: Option<HashMap<String, String>>,
) -> PyResult<Vec<PyStoredRecord>> {
    let config = config.unwrap_or_default();
    let records = py
        .detach(|| {
            reader::read_topic(
                bootstrap_servers,
                topic,
                max_records,
                Duration::from_secs_f64(idle),
                Duration::from_secs_f64(timeout),
                &config,
            )
        })
        .py_err()?;
    let bytes = |b: &Option<Vec<u8>>| b.as_ref().map(|b| PyBytes::new(py, b).unbind());
    Ok(records
        .iter()
        .map(|r| {
            let headers = r.headers.iter().map(|(k, v)| (k.clone(), bytes(v))).collect();
            (r.partition, r.offset, r.timestamp, bytes(&r.key), bytes(&r.value), headers)
        })
        .collect())
}

/// Adds this module's classes and functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyMockCluster>()?;
    m.add_function(wrap_pyfunction!(produce, m)?)?;
    m.add_function(wrap_pyfunction!(produce_copies, m)?)?;
    m.add_function(wrap_pyfunction!(read_topic, m)?)?;
    m.add_function(wrap_pyfunction!(consume_count, m)?)?;
    Ok(())
}

/// Consumes `count` records of a topic in a consumer group and keeps nothing; returns the seconds
/// between the first and the last record (the sink benchmark's librdkafka ceiling; `batched`: 500
/// records per librdkafka call from a fetch-only queue, as the sink fetcher reads).
#[pyfunction]
#[pyo3(signature = (bootstrap_servers, topic, count, timeout = 600.0, config = None, batched = false))]
pub fn consume_count(
    py: Python<'_>,
    bootstrap_servers: &str,
    topic: &str,
    count: usize,
    timeout: f64,
    config: Option<HashMap<String, String>>,
    batched: bool,
) -> PyResult<f64> {
    let config = config.unwrap_or_default();
    py.detach(|| {
        reader::consume_count(bootstrap_servers, topic, count, Duration::from_secs_f64(timeout), &config, batched)
    })
    .py_err()
}
