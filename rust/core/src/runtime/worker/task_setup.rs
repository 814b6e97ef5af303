//! What a task is started with: its connector's config resolved, its converters, transforms,
//! clients' settings, offsets and (exactly once) transactions, gathered into the setup its
//! driver runs from (`SinkTaskSetup`, `SourceTaskSetup`).

use std::collections::HashMap;
use std::sync::Arc;

use super::source_offsets::SourceOffsets;
use super::{Worker, DEFAULT_HEADER_CONVERTER};
use crate::convert::{converter_for, header_converter_for, Converter, HeaderConverter};
use crate::error::{Error, Result};
use crate::errors::{DeadLetterQueue, ErrorReporter};
use crate::kafka::consumer::ConsumerSetup;
use crate::metrics::TaskMetrics;
use crate::offsets::OffsetStore;
use crate::runtime::connector_config::{ConnectorConfig, SinkConfig, SourceConfig, TransactionBoundary};
use crate::runtime::exactly_once::ExactlyOnceSetup;
use crate::runtime::plugin::{Config, Connector, OffsetReader, SourceTaskContext, TransactionContext};
use crate::runtime::sink_task::{SinkConverters, SinkTaskSetup};
use crate::runtime::source_task::SourceTaskSetup;
use crate::runtime::task_control::TaskId;
use crate::runtime::worker_config::{prefixed, ExactlyOnceSource};
use crate::transforms::TransformChain;

/// Kafka's `max.poll.records` default: the most records in one `put`.
const DEFAULT_MAX_POLL_RECORDS: usize = 500;

impl Worker {
    pub(super) fn sink_task_setup(
        &self,
        id: &TaskId,
        connector: &Arc<dyn Connector>,
        connector_config: &Config,
        task_config: Config,
        metrics: Arc<TaskMetrics>,
    ) -> Result<SinkTaskSetup> {
        let worker = &self.inner.config;
        let connector_config = self.resolved(connector_config)?;
        let task_config = self.resolved(&task_config)?;
        let parsed = SinkConfig::parse(&connector_config)?;
        let mut transforms = self.transform_chain(&connector_config)?;
        let task = Arc::from(connector.create_sink_task()?);
        let mut consumer_settings = worker.prefixed("consumer.");
        consumer_settings.extend(prefixed(&connector_config, "consumer.override."));
        if metrics.enabled() {
            consumer_settings
                .entry("statistics.interval.ms".into())
                .or_insert_with(|| crate::metrics::clients::STATISTICS_INTERVAL_MS.into());
        }
        let max_batch = match consumer_settings.get("max.poll.records") {
            Some(v) => v.trim().parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
                Error::config("consumer.max.poll.records", format!("expected a positive integer, got {v:?}"))
            })?,
            None => DEFAULT_MAX_POLL_RECORDS,
        };
        let dlq = match &parsed.errors.dlq_topic {
            Some(topic) => {
                let mut producer_settings = worker.prefixed("producer.");
                producer_settings.extend(prefixed(&connector_config, "producer.override."));
                producer_settings
                    .insert("client.id".into(), format!("connector-dlq-producer-{}-{}", id.connector, id.task));
                let mut admin_settings = worker.admin_settings();
                admin_settings.extend(prefixed(&connector_config, "admin.override."));
                Some(DeadLetterQueue::open(
                    &worker.bootstrap_servers,
                    topic,
                    parsed.errors.dlq_replication_factor,
                    parsed.errors.dlq_context_headers,
                    &producer_settings,
                    &admin_settings,
                )?)
            }
            None => None,
        };
        let converters = SinkConverters {
            key: self.converter(&connector_config, "key.converter", true)?,
            value: self.converter(&connector_config, "value.converter", false)?,
            header: self.header_converter(&connector_config)?,
            names: ["key.converter", "value.converter", "header.converter"]
                .map(|k| self.converter_class(&connector_config, k)),
        };
        let errors = Arc::new(ErrorReporter::new(id.clone(), parsed.errors, dlq, metrics.clone()));
        transforms.set_retry(errors.clone());
        Ok(SinkTaskSetup {
            id: id.clone(),
            worker_id: worker.worker_id.clone(),
            task,
            config: task_config,
            consumer: ConsumerSetup {
                bootstrap_servers: worker.bootstrap_servers.clone(),
                group_id: format!("connect-{}", id.connector),
                client_id: format!("connector-consumer-{}-{}", id.connector, id.task),
                settings: consumer_settings,
                subscription: parsed.subscription,
                queue_capacity: max_batch * 2,
                statistics: Some(crate::metrics::clients::task_statistics(&metrics)),
            },
            metrics,
            converters,
            transforms,
            errors,
            flush_interval: worker.offset_flush_interval,
            flush_timeout: worker.offset_flush_timeout,
            max_batch,
            active_topics: self.inner.topics.recorder(&id.connector),
        })
    }

    pub(super) fn source_task_setup(
        &self,
        id: &TaskId,
        connector: &Arc<dyn Connector>,
        connector_config: &Config,
        task_config: Config,
        metrics: Arc<TaskMetrics>,
    ) -> Result<SourceTaskSetup> {
        let worker = &self.inner.config;
        let connector_config = self.resolved(connector_config)?;
        let task_config = self.resolved(&task_config)?;
        let parsed = ConnectorConfig::parse(&connector_config)?;
        let mut transforms = self.transform_chain(&connector_config)?;
        let task = Arc::from(connector.create_source_task()?);
        let mut producer_settings = worker.prefixed("producer.");
        producer_settings.insert("client.id".into(), format!("connector-producer-{}-{}", id.connector, id.task));
        producer_settings.extend(prefixed(&connector_config, "producer.override."));
        if metrics.enabled() {
            producer_settings
                .entry("statistics.interval.ms".into())
                .or_insert_with(|| crate::metrics::clients::STATISTICS_INTERVAL_MS.into());
        }
        let offsets = self.source_offsets_of(&connector_config)?;
        let reader: Arc<dyn OffsetReader> =
            Arc::new(ConnectorOffsets { connector: id.connector.clone(), store: offsets.store.clone() });
        let errors = Arc::new(ErrorReporter::new(id.clone(), parsed.error_settings(), None, metrics.clone()));
        transforms.set_retry(errors.clone());
        let exactly_once = match &worker.exactly_once {
            Some(eos) => Some(self.exactly_once_setup(id, eos, &connector_config, &offsets, &mut producer_settings)?),
            None => None,
        };
        let transaction_context = exactly_once.as_ref().and_then(|eos| eos.context.clone());
        Ok(SourceTaskSetup {
            id: id.clone(),
            worker_id: worker.worker_id.clone(),
            task,
            context: SourceTaskContext { config: task_config, offset_reader: reader, transaction_context },
            exactly_once,
            bootstrap_servers: worker.bootstrap_servers.clone(),
            producer_settings,
            key_converter: self.converter(&connector_config, "key.converter", true)?,
            value_converter: self.converter(&connector_config, "value.converter", false)?,
            header_converter: self.header_converter(&connector_config)?,
            transforms,
            active_topics: self.inner.topics.recorder(&id.connector),
            offset_store: offsets.store,
            flush_interval: worker.offset_flush_interval,
            flush_timeout: worker.offset_flush_timeout,
            errors,
            converter_classes: ["key.converter", "value.converter", "header.converter"]
                .map(|k| self.converter_class(&connector_config, k)),
            metrics,
        })
    }

    /// An exactly-once source task's transactions (KIP-618): its producer gets the task's
    /// `transactional.id` (Kafka's `Worker.exactlyOnceSourceTaskProducerConfigs`), its offsets go
    /// into its transactions on the connector's offsets topic (its own, else the worker's; with a
    /// copy to the worker's after each commit), and with `transaction.boundary=connector` the task
    /// gets a transaction context.
    fn exactly_once_setup(
        &self,
        id: &TaskId,
        eos: &ExactlyOnceSource,
        connector_config: &Config,
        offsets: &SourceOffsets,
        producer_settings: &mut HashMap<String, String>,
    ) -> Result<ExactlyOnceSetup> {
        let source = SourceConfig::parse(connector_config)?;
        producer_settings.insert("enable.idempotence".into(), "true".into());
        // librdkafka refuses a record timeout beyond the transaction's; Kafka Connect's framework
        // default (forever) would, so a transactional producer's records time out with it.
        if !producer_settings.contains_key("delivery.timeout.ms")
            && !producer_settings.contains_key("message.timeout.ms")
        {
            let transaction_timeout =
                producer_settings.get("transaction.timeout.ms").cloned().unwrap_or_else(|| "60000".into());
            producer_settings.insert("delivery.timeout.ms".into(), transaction_timeout);
        }
        producer_settings.insert("transactional.id".into(), eos.transactional_id(&id.connector, id.task));
        let context =
            (source.boundary == TransactionBoundary::Connector).then(|| Arc::new(TransactionContext::default()));
        let checks = self.inner.producer_checks.get().map(|c| (c.clone(), c.task_generation(&id.connector)));
        let (offsets_topic, offsets_partitions, worker_offsets) = match &offsets.own_topic {
            Some(own) => (own.name.clone(), own.partitions, Some(self.inner.offsets.clone())),
            None => (eos.offsets_topic.clone(), eos.offsets_partitions, None),
        };
        Ok(ExactlyOnceSetup {
            checks,
            boundary: source.boundary,
            interval: source.boundary_interval.unwrap_or(self.inner.config.offset_flush_interval),
            offsets_topic,
            offsets_partitions,
            worker_offsets,
            context,
        })
    }

    /// A task's transform chain, from its connector's config (Kafka builds it per task, at start);
    /// a bad `transforms` config fails the task with the key named.
    fn transform_chain(&self, connector_config: &Config) -> Result<TransformChain> {
        let loader = self.inner.loader.transform_loader();
        TransformChain::from_config(connector_config, loader.as_deref())
    }

    /// The connector's converter if it names one, else the worker's (settings from the same place).
    fn converter(&self, config: &Config, key: &str, is_key: bool) -> Result<Arc<dyn Converter>> {
        let (source, class) = match config.get(key) {
            Some(class) => (config, class),
            None => {
                let props = &self.inner.config.props;
                let class =
                    props.get(key).ok_or_else(|| Error::config(key, "no converter configured for the worker"))?;
                (props, class)
            }
        };
        converter_for(class, &prefixed(source, &format!("{key}.")), is_key)
    }

    /// The connector's header converter if it names one, else the worker's, else Kafka's default.
    fn header_converter(&self, config: &Config) -> Result<Arc<dyn HeaderConverter>> {
        let key = "header.converter";
        let source = if config.contains_key(key) { config } else { &self.inner.config.props };
        let class = source.get(key).map_or(DEFAULT_HEADER_CONVERTER, String::as_str);
        header_converter_for(class, &prefixed(source, "header.converter."))
    }

    /// The class name a converter key resolves to (for error reports).
    fn converter_class(&self, config: &Config, key: &str) -> String {
        config
            .get(key)
            .or_else(|| self.inner.config.props.get(key))
            .cloned()
            .unwrap_or_else(|| DEFAULT_HEADER_CONVERTER.to_owned())
    }
}

/// One connector's view of the offset store.
struct ConnectorOffsets {
    connector: String,
    store: Arc<dyn OffsetStore>,
}

impl OffsetReader for ConnectorOffsets {
    fn offsets(&self, partitions: &[serde_json::Value]) -> Result<Vec<Option<serde_json::Value>>> {
        self.store.get(&self.connector, partitions)
    }
}
