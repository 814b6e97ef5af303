//! The runtime's `tracing` events forwarded to Python's `logging` (embedded use: notebooks,
//! scripts, tests). The CLI logs to stderr instead (`cli::init_logging`).
//!
//! Runtime threads never take the GIL to log: events go into a channel bounded by a count (dropped,
//! and counted, if Python falls behind), and a Python daemon thread (`ferroconnect._logging`)
//! drains it with the GIL released while it waits.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use ferroconnect_core::logging::context::{current_context, event_context};
use pyo3::prelude::*;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// Events waiting for Python: (Python level number, logger name, message, connector, task); the
/// message starts with Kafka's connector context (`[name|task-0] `) when it has one.
type Record = (u8, String, String, Option<String>, Option<u32>);

/// The most events waiting for Python. Counted beside an unbounded channel rather than given to
/// `sync_channel`, which allocates and writes every slot up front: 10,000 slots of ~100 bytes,
/// about 1 MiB of every embedded worker's resident memory, mostly never used.
const CAPACITY: usize = 10_000;

static RECEIVER: OnceLock<Mutex<Receiver<Record>>> = OnceLock::new();
static DROPPED: AtomicU64 = AtomicU64::new(0);
/// Events sent and not yet received.
static WAITING: AtomicUsize = AtomicUsize::new(0);

struct ForwardLayer {
    sender: Sender<Record>,
}

/// Collects an event's message and its other fields as `key=value`.
#[derive(Default)]
struct Fields {
    message: String,
    rest: Vec<String>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.message = format!("{value:?}");
        } else {
            self.rest.push(format!("{}={value:?}", field.name()));
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_owned();
        } else {
            self.rest.push(format!("{}={value}", field.name()));
        }
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for ForwardLayer {
    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        // Trimmed: a message ending in a newline (a traceback) would leave the context on a line alone.
        let mut text = fields.message.trim_end().to_owned();
        if !fields.rest.is_empty() {
            text = format!("{text} [{}]", fields.rest.join(" "));
        }
        let level = match *event.metadata().level() {
            Level::ERROR => 40,
            Level::WARN => 30,
            Level::INFO => 20,
            _ => 10,
        };
        // `ferroconnect_core::runtime::worker` → `ferroconnect.runtime.worker`;
        // `rdkafka::client` → `ferroconnect.rdkafka.client`.
        let target = event.metadata().target();
        let module = target.strip_prefix("ferroconnect_core").unwrap_or(target).trim_start_matches("::");
        let name = match module {
            "" => "ferroconnect".to_owned(),
            module => format!("ferroconnect.{}", module.replace("::", ".")),
        };
        let context = event_context(event, &ctx);
        let (connector, task) = match context {
            Some(context) => {
                text.insert_str(0, &context.prefix);
                (Some(context.connector), context.task)
            }
            None => (None, None),
        };
        // The place is taken before the send, so the count never passes the bound; a send fails
        // only once the receiver is gone, and then gives its place back.
        if WAITING.fetch_add(1, Ordering::Relaxed) >= CAPACITY {
            WAITING.fetch_sub(1, Ordering::Relaxed);
            DROPPED.fetch_add(1, Ordering::Relaxed);
        } else if self.sender.send((level, name, text, connector, task)).is_err() {
            WAITING.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// Installs the forwarding subscriber (level filter from `FERROCONNECT_LOG`, else `level`).
/// False if a subscriber was already installed (e.g. the CLI's, or an earlier call).
#[pyfunction]
pub fn forward_logs(level: &str) -> bool {
    let (sender, receiver) = channel();
    let filter = std::env::var("FERROCONNECT_LOG").unwrap_or_else(|_| level.to_owned());
    // The core's reloadable filter, so that /admin/loggers changes what is forwarded too.
    let installed = ferroconnect_core::logging::init_with(&filter, Box::new(ForwardLayer { sender }));
    if installed {
        let _ = RECEIVER.set(Mutex::new(receiver));
    }
    installed
}

/// Waits up to `timeout` seconds for log events; returns them (and how many were dropped since
/// the last call because Python fell behind).
#[pyfunction]
pub fn next_log_records(py: Python<'_>, timeout: f64) -> (Vec<Record>, u64) {
    let Some(receiver) = RECEIVER.get() else { return (Vec::new(), 0) };
    let records = py.detach(|| {
        let receiver = receiver.lock().unwrap_or_else(|p| p.into_inner());
        let mut records = Vec::new();
        match receiver.recv_timeout(Duration::from_secs_f64(timeout.max(0.0))) {
            Ok(first) => records.push(first),
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return records,
        }
        records.extend(receiver.try_iter().take(1000));
        WAITING.fetch_sub(records.len(), Ordering::Relaxed);
        records
    });
    (records, DROPPED.swap(0, Ordering::Relaxed))
}

/// The connector context of the calling thread: `(connector, task, prefix)` while it works for a
/// connector (`task` is None for the worker's work on the connector itself), else None. Python's
/// log records made by connector code get it as attributes (`ferroconnect._logging`).
#[pyfunction]
pub fn log_context() -> Option<(String, Option<u32>, String)> {
    current_context().map(|c| (c.connector, c.task, c.prefix))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(log_context, m)?)?;
    m.add_function(wrap_pyfunction!(forward_logs, m)?)?;
    m.add_function(wrap_pyfunction!(next_log_records, m)?)?;
    Ok(())
}
