//! TLS for the group client (`security.protocol` SSL or SASL_SSL): an OpenSSL connector built
//! from the worker's `ssl.*` keys, and the handshake over a connected TCP stream.
//!
//! Apart from `wire` because the certificate and key loading is its own concern (files, formats,
//! passwords) and `wire` stays a framing layer over any byte stream. OpenSSL through the `openssl`
//! crate, not rustls: librdkafka already links a vendored OpenSSL (rdkafka's `ssl-vendored`), and
//! `openssl-sys` is one crate per build, so the group client and the internal-topic clients run the
//! same TLS library, with the same handling of PEM files, encrypted keys and PKCS#12 keystores.

use std::path::Path;

use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{SslConnector, SslMethod};
use openssl::x509::X509;
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

use super::security::TlsSettings;
use crate::error::{Error, Result};

/// CA bundles tried when no `ssl.ca.location` is given, after OpenSSL's own default paths (the
/// vendored OpenSSL's defaults point into its build folder): librdkafka's `probe` list, shortened.
const CA_BUNDLES: [&str; 5] = [
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
];
const CA_DIRECTORIES: [&str; 2] = ["/etc/ssl/certs", "/etc/pki/tls/certs"];

fn bad(key: &str, what: impl std::fmt::Display) -> Error {
    Error::config(key, what.to_string())
}

fn read(key: &str, path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| bad(key, format!("cannot read {path}: {e}")))
}

fn private_key(key: &str, pem: &[u8], password: Option<&str>) -> Result<PKey<Private>> {
    let parsed = match password {
        Some(password) => PKey::private_key_from_pem_passphrase(pem, password.as_bytes()),
        None => PKey::private_key_from_pem(pem),
    };
    parsed.map_err(|e| bad(key, format!("not a PEM private key (or ssl.key.password is wrong): {e}")))
}

/// Builds the connector for `settings`. Errors name the key whose file or value is wrong, so
/// `Security::from_props` calls this once to check the files when the worker starts.
pub(crate) fn connector(settings: &TlsSettings) -> Result<SslConnector> {
    let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(|e| bad("security.protocol", e))?;
    match (&settings.ca_location, &settings.ca_pem) {
        (Some(location), _) if location == "probe" => probe_ca(&mut builder),
        (Some(location), _) => {
            let path = Path::new(location);
            let loaded = if path.is_dir() {
                builder.load_verify_locations(None, Some(path))
            } else if path.is_file() {
                builder.set_ca_file(path)
            } else {
                return Err(bad("ssl.ca.location", format!("{location} is neither a file nor a folder")));
            };
            loaded.map_err(|e| bad("ssl.ca.location", format!("{location}: {e}")))?;
        }
        (None, Some(pem)) => {
            let certificates = X509::stack_from_pem(pem.as_bytes()).map_err(|e| bad("ssl.ca.pem", e))?;
            for certificate in certificates {
                builder.cert_store_mut().add_cert(certificate).map_err(|e| bad("ssl.ca.pem", e))?;
            }
        }
        (None, None) => probe_ca(&mut builder),
    }
    if let Some(location) = &settings.keystore_location {
        let der = read("ssl.keystore.location", location)?;
        let password = settings.keystore_password.as_deref().unwrap_or("");
        let store = Pkcs12::from_der(&der)
            .and_then(|p| p.parse2(password))
            .map_err(|e| bad("ssl.keystore.location", format!("{location} (PKCS#12, ssl.keystore.password): {e}")))?;
        if let Some(certificate) = &store.cert {
            builder.set_certificate(certificate).map_err(|e| bad("ssl.keystore.location", e))?;
        }
        for extra in store.ca.into_iter().flatten() {
            builder.add_extra_chain_cert(extra).map_err(|e| bad("ssl.keystore.location", e))?;
        }
        if let Some(key) = &store.pkey {
            builder.set_private_key(key).map_err(|e| bad("ssl.keystore.location", e))?;
        }
    }
    if let Some(location) = &settings.certificate_location {
        builder
            .set_certificate_chain_file(location)
            .map_err(|e| bad("ssl.certificate.location", format!("{location}: {e}")))?;
    } else if let Some(pem) = &settings.certificate_pem {
        let mut chain = X509::stack_from_pem(pem.as_bytes()).map_err(|e| bad("ssl.certificate.pem", e))?.into_iter();
        let leaf = chain.next().ok_or_else(|| bad("ssl.certificate.pem", "no certificate"))?;
        builder.set_certificate(&leaf).map_err(|e| bad("ssl.certificate.pem", e))?;
        for extra in chain {
            builder.add_extra_chain_cert(extra).map_err(|e| bad("ssl.certificate.pem", e))?;
        }
    }
    let password = settings.key_password.as_deref();
    let key = match (&settings.key_location, &settings.key_pem) {
        (Some(location), _) => Some(private_key("ssl.key.location", &read("ssl.key.location", location)?, password)?),
        (None, Some(pem)) => Some(private_key("ssl.key.pem", pem.as_bytes(), password)?),
        (None, None) => None,
    };
    if let Some(key) = key {
        builder.set_private_key(&key).map_err(|e| bad("ssl.key.location", e))?;
        builder
            .check_private_key()
            .map_err(|e| bad("ssl.key.location", format!("the key does not match the certificate: {e}")))?;
    }
    if let Some(ciphers) = &settings.cipher_suites {
        builder.set_cipher_list(ciphers).map_err(|e| bad("ssl.cipher.suites", e))?;
    }
    Ok(builder.build())
}

/// OpenSSL's default paths, then the usual system bundles (what librdkafka's `probe` does).
fn probe_ca(builder: &mut openssl::ssl::SslConnectorBuilder) {
    let _ = builder.set_default_verify_paths();
    if let Some(bundle) = CA_BUNDLES.iter().find(|p| Path::new(p).is_file()) {
        let _ = builder.set_ca_file(bundle);
    } else if let Some(folder) = CA_DIRECTORIES.iter().find(|p| Path::new(p).is_dir()) {
        let _ = builder.load_verify_locations(None, Some(Path::new(folder)));
    }
}

/// The TLS handshake with the broker at `address` (`host:port`) over `tcp`. The host is sent as
/// SNI (unless an IP address) and, with `ssl.endpoint.identification.algorithm=https`, must be
/// named by the broker's certificate (a DNS name or an IP address SAN).
pub(crate) async fn handshake(settings: &TlsSettings, address: &str, tcp: TcpStream) -> Result<SslStream<TcpStream>> {
    let fail = |what: String| Error::Retriable(format!("Kafka broker {address}: TLS handshake failed: {what}"));
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ssl = connector(settings)?
        .configure()
        .map(|c| c.verify_hostname(settings.verify_hostname))
        .and_then(|c| c.into_ssl(host))
        .map_err(|e| fail(e.to_string()))?;
    let mut stream = SslStream::new(ssl, tcp).map_err(|e| fail(e.to_string()))?;
    std::pin::Pin::new(&mut stream).connect().await.map_err(|e| {
        let verify = stream.ssl().verify_result();
        if verify == openssl::x509::X509VerifyResult::OK {
            fail(e.to_string())
        } else {
            fail(format!("{e} (certificate verification: {verify})"))
        }
    })?;
    Ok(stream)
}
