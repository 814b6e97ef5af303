//! `CountingSinkConnector`: a native Rust sink that counts the records it is given and drops them.
//!
//! It is the benchmark's "native Rust sink through the same runtime" (consumer, conversion,
//! offsets and commits, with no Python in the loop) and a sink for trying a worker without writing
//! a connector. What it counted, per connector name, is readable in the same process with
//! [`counted`] while the connector runs and after it stopped.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::error::Result;
use crate::runtime::plugin::{
    Config, Connector, ConnectorContext, ConnectorKind, SinkOffsets, SinkTask, SinkTaskContext,
};
use crate::runtime::sink_record::{SinkBatch, TopicPartition};

/// The class name (`connector.class`); `CountingSinkConnector` and `CountingSink` also work.
pub const CLASS: &str = "ferroconnect.connectors.CountingSinkConnector";

/// What the tasks of one connector counted.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counted {
    pub records: u64,
    /// Bytes of the records' keys and values as read from Kafka.
    pub bytes: u64,
    /// From the start of the first non-empty `put` to the end of the last one.
    pub elapsed: Duration,
}

#[derive(Default)]
struct Counter {
    records: u64,
    bytes: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

type Registry = Mutex<BTreeMap<String, Arc<Mutex<Counter>>>>;

fn registry() -> &'static Registry {
    static COUNTERS: OnceLock<Registry> = OnceLock::new();
    COUNTERS.get_or_init(Registry::default)
}

/// What the counting sink named `connector` counted so far in this process (since it last started).
pub fn counted(connector: &str) -> Option<Counted> {
    let counter = registry().lock().unwrap_or_else(|p| p.into_inner()).get(connector).cloned()?;
    let c = counter.lock().unwrap_or_else(|p| p.into_inner());
    let elapsed = match (c.first, c.last) {
        (Some(first), Some(last)) => last.saturating_duration_since(first),
        _ => Duration::ZERO,
    };
    Some(Counted { records: c.records, bytes: c.bytes, elapsed })
}

/// The connector: one task config per task, all counting into the connector's counter.
#[derive(Default)]
pub struct CountingSinkConnector {
    config: Mutex<Config>,
}

impl Connector for CountingSinkConnector {
    fn task_class(&self) -> Option<String> {
        Some("ferroconnect.connectors.CountingSinkTask".into())
    }

    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Sink
    }

    fn version(&self) -> String {
        crate::version().to_owned()
    }

    fn start(&self, config: &Config, _context: ConnectorContext) -> Result<()> {
        let name = config.get("name").cloned().unwrap_or_default();
        registry().lock().unwrap_or_else(|p| p.into_inner()).insert(name, Arc::default());
        *self.config.lock().unwrap_or_else(|p| p.into_inner()) = config.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<Config>> {
        let config = self.config.lock().unwrap_or_else(|p| p.into_inner());
        Ok(vec![config.clone(); max_tasks])
    }

    fn stop(&self) -> Result<()> {
        Ok(())
    }

    fn create_sink_task(&self) -> Result<Box<dyn SinkTask>> {
        Ok(Box::new(CountingSinkTask::default()))
    }
}

/// A task: adds each batch to its connector's counter.
#[derive(Default)]
pub struct CountingSinkTask {
    counter: OnceLock<Arc<Mutex<Counter>>>,
}

impl SinkTask for CountingSinkTask {
    fn version(&self) -> String {
        crate::version().to_owned()
    }

    fn start(&self, context: SinkTaskContext) -> Result<()> {
        let name = context.config.get("name").cloned().unwrap_or_default();
        let counter = registry().lock().unwrap_or_else(|p| p.into_inner()).entry(name).or_default().clone();
        let _ = self.counter.set(counter);
        Ok(())
    }

    fn open(&self, _partitions: &[TopicPartition]) -> Result<()> {
        Ok(())
    }

    fn put(&self, records: &SinkBatch) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        let bytes: usize = records
            .iter()
            .filter_map(|r| r.original.as_ref())
            .map(|raw| {
                let m = raw.get();
                m.key().map_or(0, <[u8]>::len) + m.value().map_or(0, <[u8]>::len)
            })
            .sum();
        if let Some(counter) = self.counter.get() {
            let mut c = counter.lock().unwrap_or_else(|p| p.into_inner());
            c.records += records.len() as u64;
            c.bytes += bytes as u64;
            c.first.get_or_insert(started);
            c.last = Some(Instant::now());
        }
        Ok(())
    }

    fn pre_commit(&self, offsets: &SinkOffsets) -> Result<SinkOffsets> {
        Ok(offsets.clone())
    }

    fn close(&self, _partitions: &[TopicPartition]) -> Result<()> {
        Ok(())
    }

    fn stop(&self) -> Result<()> {
        Ok(())
    }
}
