//! The embedded broker: librdkafka's mock cluster, owned by a thread of its own.
//!
//! librdkafka's mock cluster handle is not `Send`, so one thread creates it, serves commands sent
//! over a channel, and destroys it when the [`EmbeddedCluster`] is dropped. Any Kafka client can
//! reach it on loopback while it lives, through its front listeners (`mock_front.rs`), which make
//! auto-created topics take the cluster's `num.partitions`. Limits (librdkafka's): about 5 MiB kept
//! per partition, no compaction, no real transactions, no admin APIs.

use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::Duration;

use rdkafka::mocking::MockCluster;
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};

use super::mock_front::{CreateTopic, Front};
use crate::error::{Error, Result};

/// A fault or topic operation applied to the running mock cluster.
#[derive(Debug, Clone)]
pub enum MockCommand {
    CreateTopic {
        name: String,
        partitions: i32,
        replication_factor: i32,
    },
    /// The next requests of this API (by Kafka API key number) fail with these error codes, in order.
    RequestErrors {
        api_key: i32,
        error_codes: Vec<i32>,
    },
    ClearRequestErrors {
        api_key: i32,
    },
    BrokerDown {
        broker_id: i32,
    },
    BrokerUp {
        broker_id: i32,
    },
    /// The broker's answers are held back this long: a slow network or a loaded broker.
    BrokerRoundTripTime {
        broker_id: i32,
        delay: Duration,
    },
}

type Reply = mpsc::Sender<Result<()>>;

/// A running mock cluster. Dropping it stops the cluster.
pub struct EmbeddedCluster {
    bootstrap_servers: String,
    front: Option<Front>,
    commands: Option<mpsc::Sender<(MockCommand, Reply)>>,
    thread: Option<JoinHandle<()>>,
}

impl EmbeddedCluster {
    /// Starts a mock cluster of `num_brokers` brokers on loopback, whose auto-created topics have
    /// `num_partitions` partitions (Kafka's `num.partitions`, 1 by default).
    pub fn start(num_brokers: i32, num_partitions: i32) -> Result<Self> {
        let (ready_tx, ready_rx) = mpsc::channel::<Result<String>>();
        let (cmd_tx, cmd_rx) = mpsc::channel::<(MockCommand, Reply)>();
        let thread = std::thread::Builder::new()
            .name("ferroconnect-mock-cluster".into())
            .spawn(move || {
                let cluster = match MockCluster::new(num_brokers) {
                    Ok(cluster) => cluster,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.into()));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(cluster.bootstrap_servers()));
                // Serve until every sender is gone (the EmbeddedCluster was dropped).
                for (command, reply) in cmd_rx {
                    let _ = reply.send(apply(&cluster, command));
                }
            })
            .map_err(|e| Error::io("starting the mock cluster thread", e))?;
        let mock_servers = ready_rx
            .recv()
            .map_err(|_| Error::Connector("the mock cluster thread exited during start-up".into()))??;
        let brokers = mock_servers
            .split(',')
            .map(|address| address.parse())
            .collect::<std::result::Result<Vec<std::net::SocketAddr>, _>>()
            .map_err(|e| Error::Connector(format!("the mock cluster's addresses {mock_servers}: {e}")))?;
        let commands = cmd_tx.clone();
        let create_topic: CreateTopic = Arc::new(move |name: &str| {
            let command =
                MockCommand::CreateTopic { name: name.into(), partitions: num_partitions, replication_factor: 1 };
            send(&commands, command)
        });
        let front = Front::start(&brokers, create_topic)?;
        let bootstrap_servers = front.addresses().iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
        Ok(EmbeddedCluster { bootstrap_servers, front: Some(front), commands: Some(cmd_tx), thread: Some(thread) })
    }

    /// The `host:port,...` list of the cluster's brokers.
    pub fn bootstrap_servers(&self) -> &str {
        &self.bootstrap_servers
    }

    /// Applies a command and waits for its result.
    pub fn apply(&self, command: MockCommand) -> Result<()> {
        send(self.commands.as_ref().expect("commands live until drop"), command)
    }

    /// Creates a topic (the mock cluster also auto-creates topics on first use).
    pub fn create_topic(&self, name: &str, partitions: i32) -> Result<()> {
        self.apply(MockCommand::CreateTopic { name: name.into(), partitions, replication_factor: 1 })
    }
}

/// Sends a command to the mock cluster's thread and waits for its result.
fn send(commands: &mpsc::Sender<(MockCommand, Reply)>, command: MockCommand) -> Result<()> {
    let (tx, rx) = mpsc::channel();
    commands.send((command, tx)).map_err(|_| Error::Connector("the mock cluster has stopped".into()))?;
    rx.recv_timeout(Duration::from_secs(30)).map_err(|_| Error::Connector("the mock cluster did not answer".into()))?
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        // The front first: it holds a sender of commands, and the thread serves until all are gone.
        self.front.take();
        self.commands.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn apply<C: rdkafka::ClientContext>(cluster: &MockCluster<'_, C>, command: MockCommand) -> Result<()> {
    match command {
        MockCommand::CreateTopic { name, partitions, replication_factor } => {
            cluster.create_topic(&name, partitions, replication_factor)?
        }
        MockCommand::RequestErrors { api_key, error_codes } => {
            let errors: Vec<RDKafkaRespErr> = error_codes.into_iter().map(resp_err).collect::<Result<_>>()?;
            cluster.request_errors(api_key_of(api_key)?, &errors)
        }
        MockCommand::ClearRequestErrors { api_key } => cluster.clear_request_errors(api_key_of(api_key)?),
        MockCommand::BrokerDown { broker_id } => cluster.broker_down(broker_id)?,
        MockCommand::BrokerUp { broker_id } => cluster.broker_up(broker_id)?,
        MockCommand::BrokerRoundTripTime { broker_id, delay } => cluster.broker_round_trip_time(broker_id, delay)?,
    }
    Ok(())
}

fn api_key_of(key: i32) -> Result<RDKafkaApiKey> {
    use RDKafkaApiKey::*;
    // The APIs whose faults the tests inject; Kafka's numbering.
    Ok(match key {
        0 => Produce,
        1 => Fetch,
        2 => ListOffsets,
        3 => Metadata,
        8 => OffsetCommit,
        9 => OffsetFetch,
        10 => FindCoordinator,
        11 => JoinGroup,
        12 => Heartbeat,
        13 => LeaveGroup,
        14 => SyncGroup,
        22 => InitProducerId,
        other => return Err(Error::config("api_key", format!("no fault injection for Kafka API key {other}"))),
    })
}

fn resp_err(code: i32) -> Result<RDKafkaRespErr> {
    use RDKafkaRespErr::*;
    // Kafka's protocol error codes the tests use; extend as needed.
    Ok(match code {
        0 => RD_KAFKA_RESP_ERR_NO_ERROR,
        3 => RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
        5 => RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        6 => RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        7 => RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        10 => RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
        13 => RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION,
        15 => RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
        16 => RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
        19 => RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        20 => RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
        29 => RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        other => return Err(Error::config("error_codes", format!("unsupported Kafka error code {other}"))),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    use rdkafka::ClientConfig;

    use super::EmbeddedCluster;

    /// Produces one record to `topic` (auto-creating it) and returns the topic's partition count and
    /// the brokers the cluster's metadata names.
    fn auto_create(cluster: &EmbeddedCluster, topic: &str) -> (usize, Vec<String>) {
        let config = ClientConfig::new().set("bootstrap.servers", cluster.bootstrap_servers()).clone();
        let producer: BaseProducer = config.create().unwrap();
        producer.send(BaseRecord::<(), [u8]>::to(topic).payload(b"x")).unwrap();
        producer.flush(Duration::from_secs(10)).unwrap();
        let consumer: BaseConsumer = config.create().unwrap();
        let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).unwrap();
        let brokers = metadata.brokers().iter().map(|b| format!("{}:{}", b.host(), b.port())).collect();
        (metadata.topics()[0].partitions().len(), brokers)
    }

    /// librdkafka's mock auto-creates 4 partitions; the front makes it Kafka's `num.partitions`,
    /// and clients only ever learn the front's addresses.
    #[test]
    fn auto_created_topics_take_the_clusters_partition_count() {
        let cluster = EmbeddedCluster::start(1, 1).unwrap();
        let (partitions, brokers) = auto_create(&cluster, "auto-one");
        assert_eq!(partitions, 1);
        assert_eq!(brokers, vec![cluster.bootstrap_servers().to_string()]);
        cluster.create_topic("made-first", 3).unwrap();
        assert_eq!(auto_create(&cluster, "made-first").0, 3);

        let cluster = EmbeddedCluster::start(2, 5).unwrap();
        let (partitions, mut brokers) = auto_create(&cluster, "auto-five");
        assert_eq!(partitions, 5);
        brokers.sort();
        let mut fronts: Vec<String> = cluster.bootstrap_servers().split(',').map(String::from).collect();
        fronts.sort();
        assert_eq!(brokers, fronts);
    }
}
