//! The embedded broker's front door: one loopback listener per mock broker that relays every
//! request and answer unchanged, except for two things a Kafka client cannot tell from a real
//! broker's behaviour:
//! - a topic that a Metadata request asks to auto-create is first created with the cluster's
//!   `num.partitions` (librdkafka's mock cluster auto-creates topics with 4 partitions, a number
//!   fixed in its source with no setting; Kafka's default is 1, and with 4 Kafka's own file
//!   quickstart comes out reordered);
//! - Metadata and FindCoordinator answers name the front listeners instead of the mock's own, so
//!   that clients never go around the front.
//!
//! Everything else (Produce, Fetch, groups, the mock's injected faults) passes through as bytes.
//! A connection the mock closes (a broker taken down) is closed to the client too.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, FindCoordinatorResponse, MetadataRequest, MetadataResponse, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tracing::debug;

use crate::error::{Error, Result};

/// Creates a topic on the mock cluster (an error, such as "already exists", is only logged).
pub type CreateTopic = Arc<dyn Fn(&str) -> Result<()> + Send + Sync>;

/// Kafka frames larger than this are refused (the mock's own limit is lower).
const MAX_FRAME: usize = 256 * 1024 * 1024;

/// The running front listeners; dropping it closes them and every relayed connection.
pub struct Front {
    addresses: Vec<SocketAddr>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct Shared {
    /// The mock's listener address -> the front's, for rewriting answers.
    fronts: HashMap<SocketAddr, SocketAddr>,
    create_topic: CreateTopic,
    /// Topics already created or found, so each is created once.
    known: Mutex<HashSet<String>>,
}

impl Front {
    /// Listens on a free loopback port for each of `brokers` (the mock's listener addresses).
    pub fn start(brokers: &[SocketAddr], create_topic: CreateTopic) -> Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| Error::io("starting the embedded broker's front", e))?;
        let listeners = brokers
            .iter()
            .map(|_| runtime.block_on(TcpListener::bind("127.0.0.1:0")))
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| Error::io("binding the embedded broker's front listeners", e))?;
        let addresses = listeners
            .iter()
            .map(TcpListener::local_addr)
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|e| Error::io("binding the embedded broker's front listeners", e))?;
        let shared = Arc::new(Shared {
            fronts: brokers.iter().copied().zip(addresses.iter().copied()).collect(),
            create_topic,
            known: Mutex::new(HashSet::new()),
        });
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        let upstreams = brokers.to_vec();
        let thread = std::thread::Builder::new()
            .name("ferroconnect-mock-front".into())
            .spawn(move || {
                runtime.block_on(async move {
                    for (listener, upstream) in listeners.into_iter().zip(upstreams) {
                        tokio::spawn(accept(listener, upstream, shared.clone()));
                    }
                    let _ = stopped.await;
                });
                // Dropping the runtime cancels every relay and closes its sockets.
            })
            .map_err(|e| Error::io("starting the embedded broker's front", e))?;
        Ok(Front { addresses, shutdown: Some(shutdown), thread: Some(thread) })
    }

    /// The front listeners, in the order of the brokers given to [`Front::start`].
    pub fn addresses(&self) -> &[SocketAddr] {
        &self.addresses
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept(listener: TcpListener, upstream: SocketAddr, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((client, _)) => drop(tokio::spawn(relay(client, upstream, shared.clone()))),
            // Out of file descriptors, say: try again shortly rather than spin.
            Err(e) => {
                debug!("embedded broker front: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// Relays one client connection; a broker that is down closes it at once, as a refused
/// connection would.
async fn relay(client: TcpStream, upstream: SocketAddr, shared: Arc<Shared>) {
    let Ok(broker) = TcpStream::connect(upstream).await else { return };
    let _ = (client.set_nodelay(true), broker.set_nodelay(true));
    let (client_read, client_write) = client.into_split();
    let (broker_read, broker_write) = broker.into_split();
    // Correlation id -> (API, version) of the requests whose answers are rewritten.
    let pending = Arc::new(Mutex::new(HashMap::new()));
    tokio::select! {
        _ = requests(client_read, broker_write, pending.clone(), &shared) => {}
        _ = answers(broker_read, client_write, pending, &shared) => {}
    }
}

async fn requests(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    pending: Arc<Mutex<HashMap<i32, (ApiKey, i16)>>>,
    shared: &Shared,
) -> std::io::Result<()> {
    loop {
        let frame = read_frame(&mut from).await?;
        if frame.len() >= 8 {
            let version = i16::from_be_bytes([frame[2], frame[3]]);
            let correlation = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
            match ApiKey::try_from(i16::from_be_bytes([frame[0], frame[1]])) {
                Ok(ApiKey::Metadata) => {
                    pending.lock().unwrap().insert(correlation, (ApiKey::Metadata, version));
                    create_requested_topics(frame.clone(), version, shared).await;
                }
                Ok(ApiKey::FindCoordinator) => {
                    pending.lock().unwrap().insert(correlation, (ApiKey::FindCoordinator, version));
                }
                _ => {}
            }
        }
        write_frame(&mut to, &frame).await?;
    }
}

async fn answers(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    pending: Arc<Mutex<HashMap<i32, (ApiKey, i16)>>>,
    shared: &Shared,
) -> std::io::Result<()> {
    loop {
        let mut frame = read_frame(&mut from).await?;
        if frame.len() >= 4 {
            let correlation = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
            let request = pending.lock().unwrap().remove(&correlation);
            if let Some((api, version)) = request {
                match rewrite_addresses(frame.clone(), api, version, &shared.fronts) {
                    Ok(rewritten) => frame = rewritten,
                    Err(e) => debug!("embedded broker front: {api:?} v{version} answer left as it was: {e}"),
                }
            }
        }
        write_frame(&mut to, &frame).await?;
    }
}

/// Creates, with the cluster's partition count, each topic a Metadata request may auto-create.
async fn create_requested_topics(frame: Bytes, version: i16, shared: &Shared) {
    let mut body = frame;
    let request = RequestHeader::decode(&mut body, ApiKey::Metadata.request_header_version(version))
        .and_then(|_| MetadataRequest::decode(&mut body, version));
    let request = match request {
        Ok(request) => request,
        Err(e) => return debug!("embedded broker front: Metadata v{version} request not read: {e}"),
    };
    // Before version 4 every Metadata request may auto-create.
    if version >= 4 && !request.allow_auto_topic_creation {
        return;
    }
    let wanted: Vec<String> = {
        let known = shared.known.lock().unwrap();
        let names = request.topics.iter().flatten().filter_map(|t| t.name.as_ref());
        names.map(|name| name.to_string()).filter(|name| !known.contains(name)).collect()
    };
    for name in wanted {
        let create = shared.create_topic.clone();
        let topic = name.clone();
        // The mock cluster answers on its own thread; this runtime keeps relaying meanwhile.
        match tokio::task::spawn_blocking(move || create(&topic)).await {
            Ok(Ok(())) => debug!("embedded broker front: created topic {name}"),
            Ok(Err(e)) => debug!("embedded broker front: topic {name} not created: {e}"),
            Err(e) => debug!("embedded broker front: topic {name} not created: {e}"),
        }
        shared.known.lock().unwrap().insert(name);
    }
}

/// The answer with every broker address of the mock replaced by its front's.
fn rewrite_addresses(
    frame: Bytes,
    api: ApiKey,
    version: i16,
    fronts: &HashMap<SocketAddr, SocketAddr>,
) -> std::result::Result<Bytes, String> {
    let header_version = api.response_header_version(version);
    let mut body = frame;
    let header = ResponseHeader::decode(&mut body, header_version).map_err(|e| e.to_string())?;
    let front_of = |host: &StrBytes, port: i32| -> Option<(StrBytes, i32)> {
        let address: SocketAddr = format!("{}:{port}", host.as_str()).parse().ok()?;
        let front = fronts.get(&address)?;
        Some((StrBytes::from_string(front.ip().to_string()), i32::from(front.port())))
    };
    let mut out = BytesMut::new();
    header.encode(&mut out, header_version).map_err(|e| e.to_string())?;
    match api {
        ApiKey::Metadata => {
            let mut answer = MetadataResponse::decode(&mut body, version).map_err(|e| e.to_string())?;
            for broker in &mut answer.brokers {
                if let Some((host, port)) = front_of(&broker.host, broker.port) {
                    (broker.host, broker.port) = (host, port);
                }
            }
            answer.encode(&mut out, version).map_err(|e| e.to_string())?;
        }
        ApiKey::FindCoordinator => {
            let mut answer = FindCoordinatorResponse::decode(&mut body, version).map_err(|e| e.to_string())?;
            if let Some((host, port)) = front_of(&answer.host, answer.port) {
                (answer.host, answer.port) = (host, port);
            }
            for coordinator in &mut answer.coordinators {
                if let Some((host, port)) = front_of(&coordinator.host, coordinator.port) {
                    (coordinator.host, coordinator.port) = (host, port);
                }
            }
            answer.encode(&mut out, version).map_err(|e| e.to_string())?;
        }
        other => return Err(format!("no rewriting for {other:?}")),
    }
    Ok(out.freeze())
}

async fn read_frame(from: &mut OwnedReadHalf) -> std::io::Result<Bytes> {
    let size = from.read_i32().await?;
    let size = usize::try_from(size)
        .ok()
        .filter(|size| *size <= MAX_FRAME)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("frame size {size}")))?;
    let mut frame = BytesMut::zeroed(size);
    from.read_exact(&mut frame).await?;
    Ok(frame.freeze())
}

async fn write_frame(to: &mut OwnedWriteHalf, frame: &[u8]) -> std::io::Result<()> {
    let mut out = Vec::with_capacity(4 + frame.len());
    out.extend_from_slice(&(frame.len() as i32).to_be_bytes());
    out.extend_from_slice(frame);
    to.write_all(&out).await
}
