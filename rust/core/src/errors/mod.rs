//! Kafka Connect's error handling for records (KIP-298): retries of retriable failures, the
//! `errors.tolerance` decision, the error log and, for sink connectors, the dead letter queue.
//!
//! A task owns one [`ErrorReporter`]. Every failure of a per-record stage (transforms, converters,
//! the task's own errant-record reports) goes through `report`, which logs and writes to the dead letter queue
//! first and then answers whether the failure is tolerated, as Kafka's
//! `RetryWithToleranceOperator` does.

pub mod dlq;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::{error, warn};

use crate::config::ConfigValue;
use crate::error::{Error, Result};
use crate::kafka::consumer::ConsumedMessage;
use crate::metrics::task::ErrorCounts;
use crate::metrics::TaskMetrics;
use crate::runtime::plugin::{ReportDone, ReportedError};
use crate::runtime::task_control::TaskId;

pub use self::dlq::DeadLetterQueue;

/// Where a record failed (Kafka's `Stage` enum; the names go into `__connect.errors.stage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    TaskPut,
    Transformation,
    KeyConverter,
    ValueConverter,
    HeaderConverter,
    KafkaProduce,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::TaskPut => "TASK_PUT",
            Stage::Transformation => "TRANSFORMATION",
            Stage::KeyConverter => "KEY_CONVERTER",
            Stage::ValueConverter => "VALUE_CONVERTER",
            Stage::HeaderConverter => "HEADER_CONVERTER",
            Stage::KafkaProduce => "KAFKA_PRODUCE",
        }
    }
}

/// The `errors.*` keys of a connector config, parsed.
#[derive(Debug, Clone)]
pub struct ErrorSettings {
    pub tolerate_all: bool,
    /// `errors.retry.timeout`: `None` retries forever (`-1`).
    pub retry_timeout: Option<Duration>,
    pub retry_delay_max: Duration,
    pub log_enable: bool,
    pub log_include_messages: bool,
    /// `errors.deadletterqueue.topic.name`, when set (sink connectors only).
    pub dlq_topic: Option<String>,
    pub dlq_replication_factor: i16,
    pub dlq_context_headers: bool,
}

impl ErrorSettings {
    /// Reads the settings from a connector config parsed by the framework's `ConfigDef`.
    pub fn from_values(values: &std::collections::BTreeMap<String, ConfigValue>) -> Self {
        let long = |k: &str| match values.get(k) {
            Some(ConfigValue::Long(n)) => *n,
            Some(ConfigValue::Int(n)) => i64::from(*n),
            Some(ConfigValue::Short(n)) => i64::from(*n),
            _ => 0,
        };
        let flag = |k: &str| values.get(k) == Some(&ConfigValue::Boolean(true));
        let string = |k: &str| match values.get(k) {
            Some(ConfigValue::String(s)) => s.clone(),
            _ => String::new(),
        };
        let retry = long("errors.retry.timeout");
        let dlq_topic = string("errors.deadletterqueue.topic.name").trim().to_owned();
        ErrorSettings {
            tolerate_all: string("errors.tolerance").eq_ignore_ascii_case("all"),
            retry_timeout: (retry >= 0).then(|| Duration::from_millis(retry as u64)),
            retry_delay_max: Duration::from_millis(long("errors.retry.delay.max.ms").max(0) as u64),
            log_enable: flag("errors.log.enable"),
            log_include_messages: flag("errors.log.include.messages"),
            dlq_replication_factor: long("errors.deadletterqueue.topic.replication.factor") as i16,
            dlq_context_headers: flag("errors.deadletterqueue.context.headers.enable"),
            dlq_topic: (!dlq_topic.is_empty()).then_some(dlq_topic),
        }
    }
}

/// One task's error handling: log, dead letter queue, tolerance.
pub struct ErrorReporter {
    task: TaskId,
    settings: ErrorSettings,
    dlq: Option<DeadLetterQueue>,
    /// The task's metrics, whose `task-error-metrics` this counts.
    metrics: Arc<TaskMetrics>,
}

impl ErrorReporter {
    pub fn new(task: TaskId, settings: ErrorSettings, dlq: Option<DeadLetterQueue>, metrics: Arc<TaskMetrics>) -> Self {
        ErrorReporter { task, settings, dlq, metrics }
    }

    /// Counts a record that failed for good and, when tolerated, skipped.
    fn count_error(&self) {
        self.metrics.errors.error(self.settings.tolerate_all);
    }

    /// Whether a sink task gets an errant record reporter (Kafka: a DLQ topic or the error log).
    pub fn enables_errant_reporter(&self) -> bool {
        self.dlq.is_some() || self.settings.log_enable
    }

    pub fn tolerates_all(&self) -> bool {
        self.settings.tolerate_all
    }

    /// Reports a failed record: logs it (with `errors.log.enable`), writes its original bytes to
    /// the dead letter queue (if any; `done` runs when Kafka acknowledged it), then returns an
    /// error unless `errors.tolerance=all`.
    pub fn report(
        &self,
        stage: Stage,
        class_name: &str,
        message: Option<&ConsumedMessage>,
        failure: &ReportedError,
        done: Option<ReportDone>,
    ) -> Result<()> {
        self.count_error();
        if self.settings.log_enable {
            let record = match message {
                Some(m) if self.settings.log_include_messages => format!(
                    ", where consumed record is {{topic='{}', partition={}, offset={}, timestamp={}, timestampType={}}}",
                    m.topic,
                    m.partition,
                    m.offset,
                    m.timestamp.unwrap_or(-1),
                    m.timestamp_type.as_str()
                ),
                _ => String::new(),
            };
            self.log(stage, class_name, &record, failure);
        }
        let mut done = done;
        if let (Some(dlq), Some(message)) = (&self.dlq, message) {
            let context = dlq::ErrorContext { task: &self.task, stage, class_name, failure };
            ErrorCounts::add(&self.metrics.errors.dlq_requests);
            let metrics = self.metrics.clone();
            let task_done = done.take();
            let counted: ReportDone = Box::new(move |outcome: Result<()>| {
                if outcome.is_err() {
                    ErrorCounts::add(&metrics.errors.dlq_failures);
                }
                if let Some(task_done) = task_done {
                    task_done(outcome);
                }
            });
            if let Err(e) = dlq.send(message, &context, Some(counted)) {
                ErrorCounts::add(&self.metrics.errors.dlq_failures);
                return Err(e);
            }
        }
        if let Some(done) = done {
            done(Ok(()));
        }
        if self.settings.tolerate_all {
            Ok(())
        } else {
            Err(Error::Connector(format!(
                "Tolerance exceeded in error handler: {} failed in stage {}: {}",
                class_name,
                stage.as_str(),
                failure.message
            )))
        }
    }

    /// Waits until every report sent to the dead letter queue is acknowledged (before offsets
    /// are committed past the reported records).
    pub fn flush(&self, timeout: Duration) -> Result<()> {
        match &self.dlq {
            Some(dlq) => dlq.flush(timeout),
            None => Ok(()),
        }
    }

    /// Whether `errors.retry.timeout` allows any retry (it is 0 by default: none).
    pub fn retries(&self) -> bool {
        self.settings.retry_timeout != Some(Duration::ZERO)
    }

    /// Runs `operation`, retrying `Error::Retriable` failures until `errors.retry.timeout`
    /// elapses, with Kafka's back-off (300 ms doubling, at most `errors.retry.delay.max.ms`).
    pub fn retry<T>(&self, mut operation: impl FnMut() -> Result<T>) -> Result<T> {
        // Taken at the first failure (the hot path never fails): the operation itself is quick.
        let mut started: Option<Instant> = None;
        let mut attempt: u32 = 0;
        loop {
            match operation() {
                Err(Error::Retriable(reason)) => {
                    let started = *started.get_or_insert_with(Instant::now);
                    attempt += 1;
                    let delay = Duration::from_millis(300u64.saturating_mul(1 << (attempt - 1).min(20)))
                        .min(self.settings.retry_delay_max);
                    let within = match self.settings.retry_timeout {
                        None => true,
                        Some(limit) => started.elapsed() + delay < limit,
                    };
                    if !within {
                        return Err(Error::Retriable(reason));
                    }
                    self.metrics.errors.failure();
                    ErrorCounts::add(&self.metrics.errors.retries);
                    warn!(task = %self.task, attempt, "retrying after a retriable failure: {reason}");
                    std::thread::sleep(delay);
                }
                other => return other,
            }
        }
    }

    /// Reports a source record that failed in a converter stage (`record`: how the task's record
    /// prints itself): logs it with `errors.log.enable` (the record too with
    /// `errors.log.include.messages`), and answers whether `errors.tolerance` lets the task skip
    /// it. Source connectors have no dead letter queue, as in Kafka Connect.
    pub fn report_source(&self, stage: Stage, class_name: &str, record: &str, failure: &ReportedError) -> bool {
        self.count_error();
        if self.settings.log_enable {
            let record = if self.settings.log_include_messages {
                format!(", where source record is = {record}")
            } else {
                String::new()
            };
            self.log(stage, class_name, &record, failure);
        }
        self.settings.tolerate_all
    }

    fn log(&self, stage: Stage, class_name: &str, record: &str, failure: &ReportedError) {
        ErrorCounts::add(&self.metrics.errors.errors_logged);
        error!(
            task = %self.task,
            "Error encountered in task {}. Executing stage '{}' with class '{}'{}. {}: {}",
            self.task,
            stage.as_str(),
            class_name,
            record,
            failure.class_name,
            failure.message
        );
    }
}
