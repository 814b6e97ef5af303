//! The worker's settings (Kafka Connect's `WorkerConfig` and `StandaloneConfig` keys).

use std::collections::HashMap;
use std::time::Duration;

use crate::config::ConfigProviders;
use crate::error::{Error, Result};
use crate::runtime::plugin::Config;

/// Settings of one worker, parsed from Kafka Connect's worker properties.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub bootstrap_servers: String,
    /// `host:port` of the worker's REST listener, as Kafka Connect names workers; for a worker
    /// that serves no REST API and advertises no name, `<host>:pid-<pid>` ([`in_process_worker_id`]).
    pub worker_id: String,
    pub offset_flush_interval: Duration,
    pub offset_flush_timeout: Duration,
    pub task_shutdown_timeout: Duration,
    /// `offset.storage.file.filename` (standalone); `None` keeps offsets in memory.
    pub offsets_file: Option<String>,
    /// `config.providers`: resolve `${provider:path:key}` in connector configs.
    pub config_providers: ConfigProviders,
    /// `topic.tracking.enable` / `topic.tracking.allow.reset` (KIP-558).
    pub topic_tracking_enable: bool,
    pub topic_tracking_allow_reset: bool,
    /// `ferroconnect.metrics.enabled` (ours, default true): whether tasks record metrics.
    pub metrics_enabled: bool,
    /// Every key as given, for converter settings and client prefixes.
    pub props: Config,
}

impl WorkerConfig {
    /// Parses worker properties; errors name the key.
    pub fn from_props(props: Config) -> Result<Self> {
        Ok(WorkerConfig {
            bootstrap_servers: props.get("bootstrap.servers").cloned().unwrap_or_else(|| "localhost:9092".into()),
            worker_id: props.get("rest.advertised.host.name").map_or_else(in_process_worker_id, |h| {
                format!("{h}:{}", props.get("rest.advertised.port").map_or("8083", String::as_str))
            }),
            offset_flush_interval: millis(&props, "offset.flush.interval.ms", 60_000)?,
            offset_flush_timeout: millis(&props, "offset.flush.timeout.ms", 5_000)?,
            task_shutdown_timeout: millis(&props, "task.shutdown.graceful.timeout.ms", 5_000)?,
            offsets_file: props.get("offset.storage.file.filename").cloned(),
            config_providers: ConfigProviders::from_worker_props(&props)?,
            topic_tracking_enable: boolean(&props, "topic.tracking.enable", true)?,
            topic_tracking_allow_reset: boolean(&props, "topic.tracking.allow.reset", true)?,
            metrics_enabled: boolean(&props, crate::metrics::ENABLED_KEY, true)?,
            props,
        })
    }

    /// Worker-wide settings under `prefix` (e.g. `producer.`), prefix removed.
    pub fn prefixed(&self, prefix: &str) -> HashMap<String, String> {
        prefixed(&self.props, prefix)
    }

    /// The admin client's settings: `admin.*`, less the REST API's `admin.listeners*` keys, which
    /// share the prefix but configure the worker's admin endpoints, not a Kafka client.
    pub fn admin_settings(&self) -> HashMap<String, String> {
        let mut settings = self.prefixed("admin.");
        settings.retain(|key, _| key != "listeners" && !key.starts_with("listeners."));
        settings
    }
}

/// The `worker_id` of a worker that serves no REST API (an in-process `fc.Worker`): Kafka names a
/// worker by the `host:port` of its REST listener, which such a worker has not, so it is named by
/// its host and process instead: `<host>:pid-<pid>` (a worker with a listener is renamed after it
/// binds).
pub fn in_process_worker_id() -> String {
    format!("{}:pid-{}", host_name(), std::process::id())
}

/// The machine's host name, as Python's `socket.gethostname()` gives it (read without a libc
/// binding: the kernel's value on Linux, else the usual environment variables).
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// The keys of `props` under `prefix`, with the prefix removed.
pub fn prefixed(props: &Config, prefix: &str) -> HashMap<String, String> {
    props.iter().filter_map(|(k, v)| k.strip_prefix(prefix).map(|k| (k.to_owned(), v.clone()))).collect()
}

/// A boolean setting (Kafka's parsing: trimmed, any case).
pub fn boolean(props: &Config, key: &str, default: bool) -> Result<bool> {
    match props.get(key).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if v == "true" => Ok(true),
        Some(v) if v == "false" => Ok(false),
        Some(v) => Err(Error::config(
            key,
            format!("Invalid value {v} for configuration {key}: Expected value to be either true or false"),
        )),
    }
}

/// A non-negative duration in milliseconds.
pub fn millis(props: &Config, key: &str, default: u64) -> Result<Duration> {
    match props.get(key) {
        None => Ok(Duration::from_millis(default)),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| Error::config(key, format!("expected a non-negative number of milliseconds, got {v:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_without_rest_is_named_by_host_and_pid_unless_advertised() {
        let plain = WorkerConfig::from_props(Config::new()).unwrap();
        let (host, pid) = plain.worker_id.rsplit_once(':').unwrap();
        assert!(!host.is_empty());
        assert_eq!(pid, format!("pid-{}", std::process::id()));

        let props = Config::from([
            ("rest.advertised.host.name".to_owned(), "connect-1".to_owned()),
            ("rest.advertised.port".to_owned(), "9999".to_owned()),
        ]);
        assert_eq!(WorkerConfig::from_props(props).unwrap().worker_id, "connect-1:9999");
    }
}
