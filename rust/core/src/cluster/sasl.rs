//! SASL authentication of a group-client connection (`security.protocol` SASL_PLAINTEXT or
//! SASL_SSL), as Kafka's Java client does it (KIP-152): a SaslHandshake v1 naming the mechanism,
//! then the mechanism's tokens in SaslAuthenticate requests. PLAIN (RFC 4616) and SCRAM-SHA-256/512
//! (RFC 5802, RFC 7677; Kafka's minimum of 4096 iterations), the mechanisms that take a username
//! and a password. GSSAPI and OAUTHBEARER are not built.
//!
//! Apart from `wire` because it is a conversation of its own with its own crypto, and the SCRAM
//! client is testable without a broker (RFC 7677's example exchange is a unit test below). The
//! hashes, HMAC and PBKDF2 are the RustCrypto crates'.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use kafka_protocol::messages::{SaslAuthenticateRequest, SaslHandshakeRequest};
use kafka_protocol::protocol::StrBytes;
use sha2::{Digest, Sha256, Sha512};

use super::security::{SaslMechanism, SaslSettings};
use super::wire::Connection;
use crate::error::{Error, Result};

/// SaslHandshake v1 (v0 means GSSAPI-style raw tokens without SaslAuthenticate); Kafka 4 keeps
/// v0-1. SaslAuthenticate: v1 adds the session lifetime; Kafka 4 keeps v0-2.
const HANDSHAKE_VERSION: i16 = 1;
const AUTHENTICATE_VERSION: i16 = 1;

/// Kafka's `ScramMechanism.minIterations()`: a server asking for fewer is refused.
const SCRAM_MIN_ITERATIONS: u32 = 4096;

fn failed(connection: &Connection, mechanism: SaslMechanism, what: impl std::fmt::Display) -> Error {
    Error::Retriable(format!(
        "Kafka broker {}: SASL {} authentication failed: {what}",
        connection.address(),
        mechanism.name()
    ))
}

/// Authenticates `connection` with `settings`; the connection takes other requests afterwards.
pub(crate) async fn authenticate(
    connection: &mut Connection,
    settings: &SaslSettings,
    timeout: Duration,
) -> Result<()> {
    let mechanism = settings.mechanism;
    let version = connection.version_for::<SaslHandshakeRequest>(HANDSHAKE_VERSION)?;
    if version < 1 {
        return Err(failed(connection, mechanism, "the broker has no SaslHandshake v1"));
    }
    let request = SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism.name()));
    let answer = connection.call(request, version, timeout).await?;
    if answer.error_code != 0 {
        let enabled: Vec<&str> = answer.mechanisms.iter().map(|m| m.as_str()).collect();
        return Err(failed(
            connection,
            mechanism,
            format!("SaslHandshake error code {}; the broker enables {}", answer.error_code, enabled.join(", ")),
        ));
    }
    match mechanism {
        SaslMechanism::Plain => {
            let token = format!("\0{}\0{}", settings.username, settings.password);
            exchange(connection, mechanism, token.into_bytes(), timeout).await?;
        }
        SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => {
            let hash = if mechanism == SaslMechanism::ScramSha256 { ScramHash::Sha256 } else { ScramHash::Sha512 };
            let mut scram = ScramClient::new(hash, &settings.username, &settings.password, &client_nonce()?);
            let server_first = exchange(connection, mechanism, scram.client_first().into_bytes(), timeout).await?;
            let client_final = scram.client_final(&server_first).map_err(|e| failed(connection, mechanism, e))?;
            let server_final = exchange(connection, mechanism, client_final.into_bytes(), timeout).await?;
            scram.verify_server_final(&server_final).map_err(|e| failed(connection, mechanism, e))?;
        }
    }
    Ok(())
}

/// One SaslAuthenticate round: sends `token`, returns the server's.
async fn exchange(
    connection: &mut Connection,
    mechanism: SaslMechanism,
    token: Vec<u8>,
    timeout: Duration,
) -> Result<String> {
    let request = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(token));
    let answer = connection.call(request, AUTHENTICATE_VERSION, timeout).await?;
    if answer.error_code != 0 {
        let message = answer.error_message.as_ref().map_or("", |m| m.as_str());
        return Err(failed(connection, mechanism, format!("error code {}: {message}", answer.error_code)));
    }
    Ok(String::from_utf8_lossy(&answer.auth_bytes).into_owned())
}

/// 24 random bytes as printable text (the nonce must not contain ',').
fn client_nonce() -> Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| Error::Retriable(format!("no random bytes for the SCRAM nonce: {e}")))?;
    Ok(BASE64.encode(bytes))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScramHash {
    Sha256,
    Sha512,
}

impl ScramHash {
    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => {
                let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
            Self::Sha512 => {
                let mut mac = Hmac::<Sha512>::new_from_slice(key).expect("HMAC takes any key length");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// RFC 5802's Hi(): PBKDF2 with HMAC of this hash, output as long as the hash.
    fn hi(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            Self::Sha256 => pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(password, salt, iterations).to_vec(),
            Self::Sha512 => pbkdf2::pbkdf2_hmac_array::<Sha512, 64>(password, salt, iterations).to_vec(),
        }
    }
}

/// The client side of one SCRAM exchange (RFC 5802 section 3), without channel binding (`n,,`).
struct ScramClient {
    hash: ScramHash,
    password: String,
    nonce: String,
    client_first_bare: String,
    /// ServerSignature, known once the client-final message is computed.
    server_signature: Option<Vec<u8>>,
}

impl ScramClient {
    fn new(hash: ScramHash, username: &str, password: &str, nonce: &str) -> Self {
        // saslname: '=' and ',' are escaped (RFC 5802 section 5.1).
        let name = username.replace('=', "=3D").replace(',', "=2C");
        ScramClient {
            hash,
            password: password.to_owned(),
            nonce: nonce.to_owned(),
            client_first_bare: format!("n={name},r={nonce}"),
            server_signature: None,
        }
    }

    fn client_first(&self) -> String {
        format!("n,,{}", self.client_first_bare)
    }

    /// The client-final message for `server_first` (`r=...,s=...,i=...`), with the proof.
    fn client_final(&mut self, server_first: &str) -> std::result::Result<String, String> {
        let attribute = |name: char| {
            server_first.split(',').find_map(|part| part.strip_prefix(name).and_then(|p| p.strip_prefix('=')))
        };
        if let Some(error) = attribute('e') {
            return Err(format!("the server says {error}"));
        }
        let nonce = attribute('r').ok_or("no nonce in the server-first message")?;
        if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() {
            return Err("the server's nonce does not extend ours".to_owned());
        }
        let salt = attribute('s')
            .ok_or("no salt in the server-first message")
            .and_then(|s| BASE64.decode(s).map_err(|_| "the salt is not base64"))?;
        let iterations: u32 =
            attribute('i').and_then(|i| i.parse().ok()).ok_or("no iteration count in the server-first message")?;
        if iterations < SCRAM_MIN_ITERATIONS {
            return Err(format!("{iterations} iterations is below the minimum of {SCRAM_MIN_ITERATIONS}"));
        }
        let h = self.hash;
        let salted = h.hi(self.password.as_bytes(), &salt, iterations);
        let client_key = h.hmac(&salted, b"Client Key");
        let stored_key = h.hash(&client_key);
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let signature = h.hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key.iter().zip(&signature).map(|(k, s)| k ^ s).collect();
        let server_key = h.hmac(&salted, b"Server Key");
        self.server_signature = Some(h.hmac(&server_key, auth_message.as_bytes()));
        Ok(format!("{without_proof},p={}", BASE64.encode(proof)))
    }

    /// Checks the server's `v=` signature: the server knew the password too.
    fn verify_server_final(&self, server_final: &str) -> std::result::Result<(), String> {
        if let Some(error) = server_final.strip_prefix("e=") {
            return Err(format!("the server says {error}"));
        }
        let verifier = server_final
            .split(',')
            .find_map(|p| p.strip_prefix("v="))
            .ok_or("no verifier in the server-final message")?;
        let expected = self.server_signature.as_ref().ok_or("no client-final message was sent")?;
        match BASE64.decode(verifier) {
            Ok(signature) if &signature == expected => Ok(()),
            _ => Err("the server's signature is wrong".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7677 section 3: the SCRAM-SHA-256 example exchange.
    #[test]
    fn scram_sha_256_matches_rfc_7677() {
        let mut client = ScramClient::new(ScramHash::Sha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
        assert_eq!(client.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        assert_eq!(
            client.client_final(server_first).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        client.verify_server_final("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=").unwrap();
        assert!(client.verify_server_final("v=AAAA").is_err());
        assert!(client.verify_server_final("e=invalid-proof").unwrap_err().contains("invalid-proof"));
    }

    #[test]
    fn scram_refuses_a_bad_server_first() {
        let mut client = ScramClient::new(ScramHash::Sha512, "a=b,c", "p", "abc");
        assert_eq!(client.client_first(), "n,,n=a=3Db=2Cc,r=abc");
        for (server_first, why) in [
            ("r=xyz123,s=AAAA,i=4096", "nonce"),
            ("r=abc,s=AAAA,i=4096", "nonce"),
            ("r=abcdef,s=AAAA,i=1000", "minimum"),
            ("r=abcdef,s=!!,i=4096", "base64"),
            ("e=unknown-user", "unknown-user"),
        ] {
            let error = client.client_final(server_first).unwrap_err();
            assert!(error.contains(why), "{server_first}: {error}");
        }
    }

    #[test]
    fn nonces_differ_and_have_no_comma() {
        let (a, b) = (client_nonce().unwrap(), client_nonce().unwrap());
        assert_ne!(a, b);
        assert!(!a.contains(','));
    }
}
