//! One connection to a Kafka broker speaking the wire protocol directly: size-prefixed frames,
//! request headers with correlation ids, and the API versions the broker supports. The messages
//! themselves come from the `kafka-protocol` crate; this module only frames them.
//!
//! Requests on one connection go one at a time (a Kafka broker handles a connection's requests in
//! order anyway), so a caller that must not wait behind a long request, such as a heartbeat behind
//! a JoinGroup, opens a connection of its own.
//!
//! A connection is secured as the worker's `security.protocol` says, before any request but
//! ApiVersions: the TLS handshake (`tls`) right after the TCP connect, then SASL (`sasl`) after
//! ApiVersions, as Java's client does (a broker answers ApiVersions before authentication).

use std::collections::HashMap;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::security::Security;
use super::{sasl, tls};
use crate::error::{Error, Result};

/// The largest response accepted (a JoinGroup answer lists every member's metadata).
const MAX_FRAME_BYTES: usize = 64 * 1024 * 1024;

/// A broker's address as `host:port`.
pub type BrokerAddress = String;

/// The bytes under the frames: TCP, or TLS over TCP.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// An open connection with the broker's supported version range per API.
pub struct Connection {
    address: BrokerAddress,
    stream: Box<dyn Stream>,
    client_id: String,
    correlation: i32,
    versions: HashMap<i16, (i16, i16)>,
}

fn wire_error(address: &str, what: impl std::fmt::Display) -> Error {
    Error::Retriable(format!("Kafka broker {address}: {what}"))
}

impl Connection {
    /// Connects to `address` within `timeout` (TLS if `security` says so), asks for its API
    /// versions, then authenticates with SASL if `security` says so. Each step has `timeout`.
    pub async fn open(address: &str, client_id: &str, security: &Security, timeout: Duration) -> Result<Self> {
        let tcp = tokio::time::timeout(timeout, TcpStream::connect(address))
            .await
            .map_err(|_| wire_error(address, format!("no connection within {} ms", timeout.as_millis())))?
            .map_err(|e| wire_error(address, e))?;
        tcp.set_nodelay(true).map_err(|e| wire_error(address, e))?;
        let stream: Box<dyn Stream> = match &security.tls {
            Some(settings) => {
                Box::new(tokio::time::timeout(timeout, tls::handshake(settings, address, tcp)).await.map_err(
                    |_| wire_error(address, format!("no TLS handshake within {} ms", timeout.as_millis())),
                )??)
            }
            None => Box::new(tcp),
        };
        let mut connection = Connection {
            address: address.to_owned(),
            stream,
            client_id: client_id.to_owned(),
            correlation: 0,
            versions: HashMap::new(),
        };
        // v0 is understood by every broker and lists every API with its version range.
        let answer: ApiVersionsResponse = connection.call_version(ApiVersionsRequest::default(), 0, timeout).await?;
        if answer.error_code != 0 {
            return Err(wire_error(address, format!("ApiVersions failed with error code {}", answer.error_code)));
        }
        connection.versions =
            answer.api_keys.iter().map(|api| (api.api_key, (api.min_version, api.max_version))).collect();
        if let Some(settings) = &security.sasl {
            sasl::authenticate(&mut connection, settings, timeout).await?;
        }
        Ok(connection)
    }

    /// The broker this connection goes to.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The version to use for `R`: `preferred` if the broker supports it, else the nearest one
    /// inside the broker's range (newer brokers drop old versions; older ones lack new ones).
    pub fn version_for<R: Request>(&self, preferred: i16) -> Result<i16> {
        let (min, max) = self.versions.get(&R::KEY).copied().ok_or_else(|| {
            wire_error(&self.address, format!("the broker does not support API {:?}", ApiKey::try_from(R::KEY)))
        })?;
        let (low, high) = (min.max(R::VERSIONS.min), max.min(R::VERSIONS.max));
        if low > high {
            return Err(wire_error(
                &self.address,
                format!("no common version of API key {} (broker {min}..{max})", R::KEY),
            ));
        }
        let version = preferred.clamp(low, high);
        Ok(version)
    }

    /// Sends `request` at the version negotiated from `preferred` and waits up to `timeout`.
    pub async fn call<R: Request>(&mut self, request: R, preferred: i16, timeout: Duration) -> Result<R::Response> {
        let version = self.version_for::<R>(preferred)?;
        self.call_version(request, version, timeout).await
    }

    async fn call_version<R: Request>(&mut self, request: R, version: i16, timeout: Duration) -> Result<R::Response> {
        self.correlation = self.correlation.wrapping_add(1);
        let correlation = self.correlation;
        let header = RequestHeader::default()
            .with_request_api_key(R::KEY)
            .with_request_api_version(version)
            .with_correlation_id(correlation)
            .with_client_id(Some(StrBytes::from_string(self.client_id.clone())));
        let mut body = BytesMut::new();
        let encoded =
            header.encode(&mut body, R::header_version(version)).and_then(|()| request.encode(&mut body, version));
        encoded.map_err(|e| Error::Connector(format!("encoding API key {} v{version}: {e}", R::KEY)))?;
        let mut frame = BytesMut::with_capacity(body.len() + 4);
        frame.put_i32(body.len() as i32);
        frame.extend_from_slice(&body);
        let exchange = async {
            self.stream.write_all(&frame).await?;
            let size = self.stream.read_i32().await?;
            let size = usize::try_from(size).ok().filter(|s| *s <= MAX_FRAME_BYTES).ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, format!("bad frame size {size}"))
            })?;
            let mut answer = vec![0u8; size];
            self.stream.read_exact(&mut answer).await?;
            Ok::<_, std::io::Error>(Bytes::from(answer))
        };
        let mut answer = match tokio::time::timeout(timeout, exchange).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => return Err(wire_error(&self.address, e)),
            Err(_) => {
                return Err(wire_error(
                    &self.address,
                    format!("no answer to API key {} within {} ms", R::KEY, timeout.as_millis()),
                ))
            }
        };
        let decoded = ResponseHeader::decode(&mut answer, R::Response::header_version(version)).and_then(|h| {
            let response = R::Response::decode(&mut answer, version)?;
            Ok((h, response))
        });
        let (header, response) =
            decoded.map_err(|e| wire_error(&self.address, format!("decoding API key {} v{version}: {e}", R::KEY)))?;
        if header.correlation_id != correlation {
            return Err(wire_error(
                &self.address,
                format!("answer for request {} while waiting for {correlation}", header.correlation_id),
            ));
        }
        if answer.has_remaining() {
            tracing::debug!(address = self.address, api = R::KEY, "{} bytes left after the answer", answer.remaining());
        }
        Ok(response)
    }
}

/// The addresses of `bootstrap.servers` (`host:port,...`; a `PLAINTEXT://` prefix is allowed).
pub fn bootstrap_addresses(bootstrap_servers: &str) -> Vec<BrokerAddress> {
    bootstrap_servers
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.split_once("://").map_or(s, |(_, rest)| rest).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_addresses_drop_scheme_and_spaces() {
        assert_eq!(
            bootstrap_addresses(" 127.0.0.1:9092, PLAINTEXT://broker:9093 ,"),
            vec!["127.0.0.1:9092".to_owned(), "broker:9093".to_owned()]
        );
    }
}
