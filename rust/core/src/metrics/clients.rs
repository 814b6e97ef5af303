//! A handful of each Kafka client's own figures, from librdkafka's statistics (emitted every
//! `statistics.interval.ms`), under the Java client's metric names where the meaning is the same.
//! Each reading is tagged with the client's `client-id`, as Kafka's client metrics are.

use std::sync::Arc;

use rdkafka::statistics::Statistics;

use super::{Reading, TaskMetrics};
use crate::kafka::StatisticsHandler;

/// How often the task's clients report statistics when metrics are on (unless the worker or
/// connector config sets `statistics.interval.ms`): Kafka's 30 s metric sample window.
pub const STATISTICS_INTERVAL_MS: &str = "30000";

/// The figures of a producer (`client.type` "producer") or a consumer.
pub fn readings(stats: &Statistics) -> Vec<Reading> {
    let tags = [("client-id", stats.client_id.as_str())];
    // Round-trip time to the brokers, averaged over those that have one (librdkafka: µs).
    let rtts: Vec<f64> = stats.brokers.values().filter_map(|b| b.rtt.as_ref()).map(|w| w.avg as f64 / 1000.0).collect();
    let rtt = if rtts.is_empty() { f64::NAN } else { rtts.iter().sum::<f64>() / rtts.len() as f64 };
    if stats.client_type == "producer" {
        let g = "producer-metrics";
        vec![
            Reading::new(g, "record-send-total", &tags, stats.txmsgs as f64),
            Reading::new(g, "outgoing-byte-total", &tags, stats.tx_bytes as f64),
            Reading::new(g, "incoming-byte-total", &tags, stats.rx_bytes as f64),
            Reading::new(g, "request-total", &tags, stats.tx as f64),
            Reading::new(g, "request-latency-avg", &tags, rtt),
            // Ours: records waiting in librdkafka's queue (its `msg_cnt`).
            Reading::new(g, "queued-records", &tags, stats.msg_cnt as f64),
        ]
    } else {
        let fetch = "consumer-fetch-manager-metrics";
        let g = "consumer-metrics";
        vec![
            Reading::new(fetch, "records-consumed-total", &tags, stats.rxmsgs as f64),
            Reading::new(fetch, "bytes-consumed-total", &tags, stats.rxmsg_bytes as f64),
            Reading::new(fetch, "records-lag-max", &tags, lag_max(stats)),
            Reading::new(g, "incoming-byte-total", &tags, stats.rx_bytes as f64),
            Reading::new(g, "outgoing-byte-total", &tags, stats.tx_bytes as f64),
            Reading::new(g, "request-latency-avg", &tags, rtt),
        ]
    }
}

/// The largest lag among the consumer's partitions, as Kafka's `records-lag-max` counts it: the
/// partition's end (its last stable offset, or high watermark) minus the position of the next
/// record the application gets. librdkafka's own `consumer_lag` counts from the committed offset
/// instead, unknown until the first commit. NaN while no partition has both.
pub fn lag_max(stats: &Statistics) -> f64 {
    let lags = stats.topics.values().flat_map(|t| t.partitions.values()).filter_map(|p| {
        let end = if p.ls_offset >= 0 { p.ls_offset } else { p.hi_offset };
        (end >= 0 && p.app_offset >= 0).then(|| (end - p.app_offset).max(0))
    });
    lags.max().map_or(f64::NAN, |l| l as f64)
}

/// Stores a task's client's figures in its metrics; a consumer's largest lag is also the sink
/// task's `sink-record-lag-max`.
pub fn task_statistics(metrics: &Arc<TaskMetrics>) -> StatisticsHandler {
    let metrics = metrics.clone();
    Arc::new(move |stats: &Statistics| record(&metrics, stats))
}

/// Stores one client's statistics in its task's metrics.
pub fn record(metrics: &TaskMetrics, stats: &Statistics) {
    if stats.client_type != "producer" {
        metrics.lag_max(lag_max(stats));
    }
    metrics.set_client_readings(&stats.client_id, readings(stats));
}
