//! Requests from one worker to another: user requests forwarded to the leader (or to the worker
//! that runs a connector), and the internal requests of the cluster (`POST
//! /connectors/{c}/tasks`), signed with the session key when the group runs the `sessioned`
//! protocol (KIP-507: `X-Connect-Authorization` is the Base64 HMAC of the body).

use std::time::Duration;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};

/// The signature headers of Kafka Connect's internal requests (`InternalRequestSignature`).
pub const SIGNATURE_HEADER: &str = "X-Connect-Authorization";
pub const SIGNATURE_ALGORITHM_HEADER: &str = "X-Connect-Request-Signature-Algorithm";
/// The one MAC algorithm supported (Kafka Connect's default).
pub const HMAC_SHA256: &str = "HmacSHA256";

/// An answer from another worker, passed on as it came.
#[derive(Debug, Clone)]
pub struct PeerResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// A blocking HTTP client for worker-to-worker requests.
#[derive(Clone)]
pub struct PeerClient {
    agent: ureq::Agent,
}

impl PeerClient {
    /// Requests time out after `timeout` (Kafka's REST request timeout, 90 s).
    pub fn new(timeout: Duration) -> Self {
        let agent =
            ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(timeout)).build().into();
        PeerClient { agent }
    }

    /// Sends `method url` with `headers` and a JSON `body`; any HTTP status is an answer.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: Option<&[u8]>,
    ) -> Result<PeerResponse> {
        let mut request = ureq::http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if body.is_some() {
            request = request.header("Content-Type", "application/json");
        }
        let request = request
            .body(body.map(<[u8]>::to_vec).unwrap_or_default())
            .map_err(|e| Error::Connector(format!("Could not build the request to {url}: {e}")))?;
        let mut response = self
            .agent
            .run(request)
            .map_err(|e| Error::Connector(format!("Error trying to forward REST request: {e} ({method} {url})")))?;
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response
            .body_mut()
            .read_to_vec()
            .map_err(|e| Error::Connector(format!("Error reading the answer of {method} {url}: {e}")))?;
        Ok(PeerResponse { status, content_type, body })
    }
}

/// The Base64 HMAC-SHA256 of `body` under `key`: the value of [`SIGNATURE_HEADER`].
pub fn sign(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any size");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Whether `signature` (Base64) is `body`'s HMAC-SHA256 under `key`, compared in constant time.
pub fn verify(key: &[u8], body: &[u8], signature: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any size");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// A fresh 256-bit session key (Kafka's `HmacSHA256` key generator's default size).
pub fn new_session_key() -> Result<Vec<u8>> {
    let mut key = vec![0u8; 32];
    getrandom::fill(&mut key).map_err(|e| Error::Connector(format!("Could not generate a session key: {e}")))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let signature = sign(b"Jefe", b"what do ya want for nothing?");
        let hex: String = base64::engine::general_purpose::STANDARD
            .decode(&signature)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert!(verify(b"Jefe", b"what do ya want for nothing?", &signature));
        assert!(!verify(b"Jefe", b"what do ya want for something?", &signature));
        assert!(!verify(b"Jefe", b"x", "not base64!"));
    }

    #[test]
    fn session_keys_are_random_and_256_bits() {
        let (a, b) = (new_session_key().unwrap(), new_session_key().unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }
}
