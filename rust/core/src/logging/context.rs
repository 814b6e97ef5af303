//! Kafka Connect's connector context on log lines (KIP-449): `[name|task-0] ` for what a task
//! does, `[name|worker] ` for what the worker does for a connector (Kafka's `LoggingContext`
//! prefixes, same text).
//!
//! The context is a `tracing` span ([`task_span`], [`connector_span`]) entered on the threads
//! that work for a connector or task; threads they start enter it too ([`in_current_span`]), and
//! Kafka clients of a task log librdkafka's lines inside it. No log call names its context: the
//! outputs (stderr, Python's `logging`) find it with [`event_context`] and write the prefix.

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Span, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::{LookupSpan, Registry, Scope};
use tracing_subscriber::Layer;

/// The name of the context spans.
const SPAN_NAME: &str = "connector_context";

/// The span of work done by task `task` of `connector`. At ERROR level, so that it is enabled
/// whenever any line can be: a span a filter turns off could not give its context to the WARN
/// lines inside it.
pub fn task_span(connector: &str, task: u32) -> Span {
    tracing::error_span!(target: "ferroconnect_core::context", SPAN_NAME, connector, task, scope = "task")
}

/// The span of work the worker does for a connector (starting it, asking it for task configs,
/// stopping it).
pub fn connector_span(connector: &str) -> Span {
    tracing::error_span!(target: "ferroconnect_core::context", SPAN_NAME, connector, scope = "worker")
}

/// `f`, to run on another thread inside the caller's current span (a task's own threads: the
/// `stop()` caller, the sink's fetcher, the producer's poll thread).
pub fn in_current_span<T>(f: impl FnOnce() -> T + Send) -> impl FnOnce() -> T + Send {
    let span = Span::current();
    move || span.in_scope(f)
}

/// The connector context of a log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogContext {
    pub connector: String,
    /// The task's number; `None` for connector-level work of the worker.
    pub task: Option<u32>,
    /// Kafka's prefix: `[name|task-0] ` or `[name|worker] `.
    pub prefix: String,
}

impl LogContext {
    fn new(connector: String, task: Option<u32>) -> Self {
        // Kafka's `LoggingContext.prefixFor`.
        let prefix = match task {
            Some(task) => format!("[{connector}|task-{task}] "),
            None => format!("[{connector}|worker] "),
        };
        LogContext { connector, task, prefix }
    }
}

#[derive(Default)]
struct ContextFields {
    connector: Option<String>,
    task: Option<u32>,
}

impl Visit for ContextFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "connector" {
            self.connector = Some(value.to_owned());
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "task" {
            self.task = u32::try_from(value).ok();
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "task" {
            self.task = u32::try_from(value).ok();
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "connector" {
            self.connector = Some(format!("{value:?}").trim_matches('"').to_owned());
        }
    }
}

/// Stores each context span's [`LogContext`] with the span, for the outputs to find.
pub struct ContextLayer;

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for ContextLayer {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.metadata().name() != SPAN_NAME {
            return;
        }
        let mut fields = ContextFields::default();
        attrs.record(&mut fields);
        let (Some(connector), Some(span)) = (fields.connector, ctx.span(id)) else { return };
        span.extensions_mut().insert(LogContext::new(connector, fields.task));
    }
}

/// The innermost connector context among `scope`'s spans.
pub fn scope_context<'a, R: LookupSpan<'a>>(scope: Option<Scope<'a, R>>) -> Option<LogContext> {
    scope?.into_iter().find_map(|span| span.extensions().get::<LogContext>().cloned())
}

/// The connector context of `event` (its span, or the current one).
pub fn event_context<S: Subscriber + for<'a> LookupSpan<'a>>(
    event: &Event<'_>,
    ctx: &Context<'_, S>,
) -> Option<LogContext> {
    scope_context(ctx.event_scope(event))
}

/// The connector context of the calling thread (for log records made outside `tracing`: a Python
/// connector's own `logging` calls); `None` outside any, or when no subscriber of ours runs.
pub fn current_context() -> Option<LogContext> {
    tracing::dispatcher::get_default(|dispatch| {
        let registry = dispatch.downcast_ref::<Registry>()?;
        let current = dispatch.current_span();
        let id = current.id()?;
        scope_context(registry.span(id).map(|span| span.scope()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn spans_give_kafka_prefixes_to_what_runs_inside_them_and_on_threads_they_start() {
        let subscriber = tracing_subscriber::registry().with(ContextLayer);
        tracing::subscriber::with_default(subscriber, || {
            assert_eq!(current_context(), None);
            let _task = task_span("orders", 3).entered();
            let context = current_context().expect("inside the task span");
            assert_eq!((context.connector.as_str(), context.task), ("orders", Some(3)));
            assert_eq!(context.prefix, "[orders|task-3] ");
            {
                // The innermost context wins.
                let _worker = connector_span("orders").entered();
                assert_eq!(current_context().unwrap().prefix, "[orders|worker] ");
            }
            assert_eq!(current_context().unwrap().prefix, "[orders|task-3] ");
            let on_thread = in_current_span(|| current_context().map(|c| c.prefix));
            // The thread has no default subscriber of its own: give it this one, as the global one would be.
            let dispatch = tracing::dispatcher::get_default(Clone::clone);
            let seen =
                std::thread::spawn(move || tracing::dispatcher::with_default(&dispatch, on_thread)).join().unwrap();
            assert_eq!(seen.as_deref(), Some("[orders|task-3] "));
        });
    }
}
