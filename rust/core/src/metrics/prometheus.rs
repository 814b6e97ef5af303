//! Readings as Prometheus text (`GET /metrics`), encoded by the `prometheus-client` crate.
//!
//! Names follow the Prometheus JMX exporter's default rule for Kafka's MBeans, so dashboards built
//! on it work unchanged: `kafka.connect:type=source-task-metrics,connector=c,task=0` attribute
//! `source-record-poll-total` becomes `kafka_connect_source_task_metrics_source_record_poll_total
//! {connector="c",task="0"}` (domain, `type`, attribute; lower case, `-` and `.` as `_`; the other
//! key properties as labels). The clients' figures are named under `kafka_producer_` or
//! `kafka_consumer_` likewise. Every metric is a gauge, as the exporter types MBean attributes.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::Reading;

/// The content type of [`encode`]'s text (OpenMetrics, which Prometheus negotiates).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The Prometheus name of a reading: the JMX domain its group lives in, its group, its name.
pub fn metric_name(reading: &Reading) -> String {
    let domain = if reading.group.starts_with("producer") {
        "kafka_producer"
    } else if reading.group.starts_with("consumer") {
        "kafka_consumer"
    } else {
        "kafka_connect"
    };
    format!("{domain}_{}_{}", sanitize(reading.group), sanitize(reading.name))
}

fn sanitize(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect()
}

/// Readings grouped by metric, in the order they first appear.
#[derive(Debug)]
struct Families(Vec<(String, &'static str, &'static str, Vec<Reading>)>);

impl Collector for Families {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for (name, group, kafka_name, readings) in &self.0 {
            let help = format!("Kafka Connect's {kafka_name} ({group})");
            let mut family = encoder.encode_descriptor(name, &help, None, MetricType::Gauge)?;
            for reading in readings {
                let labels: Vec<(String, String)> =
                    reading.tags.iter().map(|(k, v)| (sanitize(k), v.clone())).collect();
                let gauge = prometheus_client::metrics::gauge::ConstGauge::new(reading.value);
                gauge.encode(family.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

/// The readings as Prometheus text.
pub fn encode(readings: Vec<Reading>) -> String {
    let mut families: Vec<(String, &'static str, &'static str, Vec<Reading>)> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for reading in readings {
        let name = metric_name(&reading);
        let at = *index.entry(name.clone()).or_insert_with(|| {
            families.push((name, reading.group, reading.name, Vec::new()));
            families.len() - 1
        });
        families[at].3.push(reading);
    }
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Families(families)));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).expect("writing to a String");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_jmx_exporter_default_rule() {
        let reading = Reading::new("source-task-metrics", "source-record-poll-total", &[("connector", "c")], 1.0);
        assert_eq!(metric_name(&reading), "kafka_connect_source_task_metrics_source_record_poll_total");
        let client = Reading::new("producer-metrics", "record-send-total", &[], 1.0);
        assert_eq!(metric_name(&client), "kafka_producer_producer_metrics_record_send_total");
    }

    #[test]
    fn one_family_per_metric_with_a_sample_per_tag_set() {
        let text = encode(vec![
            Reading::new("sink-task-metrics", "sink-record-read-total", &[("connector", "s"), ("task", "0")], 5.0),
            Reading::new("connect-worker-metrics", "task-count", &[], 2.0),
            Reading::new("sink-task-metrics", "sink-record-read-total", &[("connector", "s"), ("task", "1")], 7.0),
            Reading::new("sink-task-metrics", "put-batch-max-time-ms", &[("client-id", "x")], f64::NAN),
        ]);
        let families = text.matches("# TYPE kafka_connect_sink_task_metrics_sink_record_read_total gauge").count();
        assert_eq!(families, 1, "{text}");
        assert!(text.contains("kafka_connect_sink_task_metrics_sink_record_read_total{connector=\"s\",task=\"0\"} 5.0"));
        assert!(text.contains("kafka_connect_sink_task_metrics_sink_record_read_total{connector=\"s\",task=\"1\"} 7.0"));
        assert!(text.contains("kafka_connect_connect_worker_metrics_task_count 2.0"), "{text}");
        assert!(text.contains("kafka_connect_sink_task_metrics_put_batch_max_time_ms{client_id=\"x\"} NaN"), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }
}
