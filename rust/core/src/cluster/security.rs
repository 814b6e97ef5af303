//! How the group client secures its connections: the worker's `security.protocol`, `ssl.*` and
//! `sasl.*` keys, read once here, with errors naming the key. The names are librdkafka's, because
//! the same worker properties also go, as they are, to the librdkafka clients of the internal
//! topics (`internal_client_settings`); Java's names for the same things are refused with a hint
//! (`ssl.truststore.location`, ...), except `sasl.jaas.config`, whose username and password are
//! taken for PLAIN and SCRAM (and handed to librdkafka as `sasl.username`/`sasl.password`).
//!
//! What the settings do on a connection is in `tls` (the TLS handshake) and `sasl` (SaslHandshake
//! and SaslAuthenticate, PLAIN and SCRAM).

use std::collections::HashMap;
use std::fmt;

use crate::error::{Error, Result};
use crate::runtime::plugin::Config;

/// `security.protocol`: whether the connection is TLS and whether it authenticates with SASL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityProtocol {
    #[default]
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl SecurityProtocol {
    fn parse(text: &str) -> Result<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Ok(Self::Plaintext),
            "SSL" => Ok(Self::Ssl),
            "SASL_PLAINTEXT" => Ok(Self::SaslPlaintext),
            "SASL_SSL" => Ok(Self::SaslSsl),
            _ => Err(Error::config(
                "security.protocol",
                format!("'{text}' is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"),
            )),
        }
    }

    fn uses_tls(self) -> bool {
        matches!(self, Self::Ssl | Self::SaslSsl)
    }

    fn uses_sasl(self) -> bool {
        matches!(self, Self::SaslPlaintext | Self::SaslSsl)
    }
}

/// The SASL mechanisms the group client speaks (`sasl.mechanism`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslMechanism {
    Plain,
    ScramSha256,
    ScramSha512,
}

impl SaslMechanism {
    /// The mechanism's name in SaslHandshake and in `sasl.mechanism`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// SASL credentials. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SaslSettings {
    pub mechanism: SaslMechanism,
    pub username: String,
    pub password: String,
}

impl fmt::Debug for SaslSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslSettings")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &"[hidden]")
            .finish()
    }
}

/// TLS settings, as librdkafka names them. A `*.location` is a file (PEM; the keystore PKCS#12);
/// `ssl.ca.location` may also be a directory of hashed certificates, or `probe`. Without any CA
/// the system's usual bundles are tried. `Debug` hides passwords and inline keys.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct TlsSettings {
    /// `ssl.ca.location`
    pub ca_location: Option<String>,
    /// `ssl.ca.pem`: CA certificates inline.
    pub ca_pem: Option<String>,
    /// `ssl.certificate.location`: the client's certificate (chain), for mutual TLS.
    pub certificate_location: Option<String>,
    /// `ssl.certificate.pem`
    pub certificate_pem: Option<String>,
    /// `ssl.key.location`: the client's private key.
    pub key_location: Option<String>,
    /// `ssl.key.pem`
    pub key_pem: Option<String>,
    /// `ssl.key.password`: decrypts the private key.
    pub key_password: Option<String>,
    /// `ssl.keystore.location`: a PKCS#12 file with the client's key and certificate.
    pub keystore_location: Option<String>,
    /// `ssl.keystore.password`
    pub keystore_password: Option<String>,
    /// `ssl.endpoint.identification.algorithm`: `https` (the default) checks that the broker's
    /// certificate names the host connected to; `none` does not.
    pub verify_hostname: bool,
    /// `ssl.cipher.suites`: an OpenSSL cipher list for TLS 1.2 and older.
    pub cipher_suites: Option<String>,
}

impl fmt::Debug for TlsSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |v: &Option<String>| v.as_ref().map(|_| "[hidden]");
        f.debug_struct("TlsSettings")
            .field("ca_location", &self.ca_location)
            .field("ca_pem", &self.ca_pem.as_ref().map(|_| "[inline]"))
            .field("certificate_location", &self.certificate_location)
            .field("certificate_pem", &self.certificate_pem.as_ref().map(|_| "[inline]"))
            .field("key_location", &self.key_location)
            .field("key_pem", &hidden(&self.key_pem))
            .field("key_password", &hidden(&self.key_password))
            .field("keystore_location", &self.keystore_location)
            .field("keystore_password", &hidden(&self.keystore_password))
            .field("verify_hostname", &self.verify_hostname)
            .field("cipher_suites", &self.cipher_suites)
            .finish()
    }
}

/// The group client's security: TLS if `tls` is set, then SASL if `sasl` is set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Security {
    pub protocol: SecurityProtocol,
    pub tls: Option<TlsSettings>,
    pub sasl: Option<SaslSettings>,
}

/// Java client keys with no librdkafka counterpart of the same name, and what to use instead.
const JAVA_ONLY_KEYS: [(&str, &str); 5] = [
    ("ssl.truststore.location", "ssl.ca.location (PEM file)"),
    ("ssl.truststore.type", "ssl.ca.location (PEM file)"),
    ("ssl.truststore.certificates", "ssl.ca.pem"),
    ("ssl.keystore.type", "ssl.keystore.location (PKCS#12) or ssl.certificate.location and ssl.key.location (PEM)"),
    ("ssl.keystore.key", "ssl.key.pem"),
];

impl Security {
    /// Reads the worker's security keys. Errors name the key.
    pub fn from_props(props: &Config) -> Result<Self> {
        let get = |k: &str| props.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let protocol = match get("security.protocol") {
            Some(text) => SecurityProtocol::parse(&text)?,
            None => SecurityProtocol::Plaintext,
        };
        if let Some((key, instead)) = JAVA_ONLY_KEYS.iter().find(|(k, _)| props.contains_key(*k)) {
            return Err(Error::config(
                *key,
                format!("is a Java client key; ferroconnect's clients use librdkafka's names: set {instead}"),
            ));
        }
        let tls = protocol.uses_tls().then(|| tls_settings(&get)).transpose()?;
        if let Some(tls) = &tls {
            super::tls::connector(tls)?;
        }
        let sasl = if protocol.uses_sasl() { Some(sasl_settings(&get)?) } else { None };
        Ok(Security { protocol, tls, sasl })
    }
}

fn tls_settings(get: &dyn Fn(&str) -> Option<String>) -> Result<TlsSettings> {
    let verify_hostname = match get("ssl.endpoint.identification.algorithm").map(|v| v.to_ascii_lowercase()) {
        None => true,
        Some(v) if v == "https" => true,
        Some(v) if v == "none" => false,
        Some(v) => {
            return Err(Error::config(
                "ssl.endpoint.identification.algorithm",
                format!("'{v}' is not one of https, none"),
            ))
        }
    };
    Ok(TlsSettings {
        ca_location: get("ssl.ca.location"),
        ca_pem: get("ssl.ca.pem"),
        certificate_location: get("ssl.certificate.location"),
        certificate_pem: get("ssl.certificate.pem"),
        key_location: get("ssl.key.location"),
        key_pem: get("ssl.key.pem"),
        key_password: get("ssl.key.password"),
        keystore_location: get("ssl.keystore.location"),
        keystore_password: get("ssl.keystore.password"),
        verify_hostname,
        cipher_suites: get("ssl.cipher.suites"),
    })
}

fn sasl_settings(get: &dyn Fn(&str) -> Option<String>) -> Result<SaslSettings> {
    // librdkafka accepts both spellings; Java and librdkafka default to GSSAPI.
    let (key, name) = match (get("sasl.mechanism"), get("sasl.mechanisms")) {
        (Some(name), _) => ("sasl.mechanism", name),
        (None, Some(name)) => ("sasl.mechanisms", name),
        (None, None) => ("sasl.mechanism", "GSSAPI".to_owned()),
    };
    let mechanism = match name.to_ascii_uppercase().as_str() {
        "PLAIN" => SaslMechanism::Plain,
        "SCRAM-SHA-256" => SaslMechanism::ScramSha256,
        "SCRAM-SHA-512" => SaslMechanism::ScramSha512,
        _ => {
            return Err(Error::config(
                key,
                format!(
                    "{name}{} is not supported by the group client of distributed mode: use PLAIN, \
                     SCRAM-SHA-256 or SCRAM-SHA-512",
                    if get(key).is_none() { " (the default)" } else { "" }
                ),
            ))
        }
    };
    let jaas = get("sasl.jaas.config").map(|text| jaas_credentials(&text, mechanism)).transpose()?;
    let username = get("sasl.username").or_else(|| jaas.as_ref().and_then(|j| j.0.clone()));
    let password = get("sasl.password").or_else(|| jaas.as_ref().and_then(|j| j.1.clone()));
    let missing = |key: &str| {
        Error::config(
            key,
            format!("is required for sasl.mechanism={} (or give it in sasl.jaas.config)", mechanism.name()),
        )
    };
    Ok(SaslSettings {
        mechanism,
        username: username.ok_or_else(|| missing("sasl.username"))?,
        password: password.ok_or_else(|| missing("sasl.password"))?,
    })
}

/// The `username` and `password` options of a Java `sasl.jaas.config` for PLAIN or SCRAM, e.g.
/// `org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";`.
fn jaas_credentials(text: &str, mechanism: SaslMechanism) -> Result<(Option<String>, Option<String>)> {
    let error = |why: &str| Error::config("sasl.jaas.config", why.to_owned());
    let mut rest = text.trim();
    let module_end = rest.find(char::is_whitespace).ok_or_else(|| error("expected '<LoginModule> required ...;'"))?;
    let module = &rest[..module_end];
    let expected = match mechanism {
        SaslMechanism::Plain => "org.apache.kafka.common.security.plain.PlainLoginModule",
        SaslMechanism::ScramSha256 | SaslMechanism::ScramSha512 => {
            "org.apache.kafka.common.security.scram.ScramLoginModule"
        }
    };
    if module != expected {
        return Err(error(&format!("sasl.mechanism={} needs {expected}, not {module}", mechanism.name())));
    }
    rest = rest[module_end..].trim_start();
    let flag_end = rest.find(|c: char| c.is_whitespace() || c == ';').unwrap_or(rest.len());
    rest = &rest[flag_end..];
    let mut options = HashMap::new();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() || rest.starts_with(';') {
            break;
        }
        let (name, after) = rest.split_once('=').ok_or_else(|| error("expected name=value options"))?;
        let name = name.trim().to_owned();
        let after = after.trim_start();
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                match chars.next() {
                    Some((i, '"')) => break i,
                    Some((_, '\\')) => value.extend(chars.next().map(|(_, c)| c)),
                    Some((_, c)) => value.push(c),
                    None => return Err(error(&format!("unterminated quoted value of {name}"))),
                }
            };
            (value, &quoted[end + 1..])
        } else {
            let end = after.find(|c: char| c.is_whitespace() || c == ';').unwrap_or(after.len());
            (after[..end].to_owned(), &after[end..])
        };
        options.insert(name, value);
        rest = after;
    }
    Ok((options.remove("username"), options.remove("password")))
}

/// The worker's security keys for the librdkafka clients of the internal topics: `security.protocol`,
/// `ssl.*` and `sasl.*` as they are, except that a Java `sasl.jaas.config` (which librdkafka does not
/// know) becomes `sasl.username` and `sasl.password`.
pub(crate) fn librdkafka_settings(props: &Config) -> HashMap<String, String> {
    let mut settings: HashMap<String, String> = props
        .iter()
        .filter(|(k, _)| k.as_str() == "security.protocol" || k.starts_with("ssl.") || k.starts_with("sasl."))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if settings.remove("sasl.jaas.config").is_some() {
        if let Ok(Some(sasl)) = Security::from_props(props).map(|s| s.sasl) {
            settings.entry("sasl.username".to_owned()).or_insert(sasl.username);
            settings.entry("sasl.password".to_owned()).or_insert(sasl.password);
        }
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn key_of(error: Error) -> String {
        error.to_string()
    }

    #[test]
    fn plaintext_by_default() {
        let security = Security::from_props(&props(&[("sasl.username", "ignored")])).unwrap();
        assert_eq!(security, Security::default());
    }

    #[test]
    fn sasl_plain_with_librdkafka_keys() {
        let security = Security::from_props(&props(&[
            ("security.protocol", "sasl_plaintext"),
            ("sasl.mechanism", "PLAIN"),
            ("sasl.username", "alice"),
            ("sasl.password", "secret"),
        ]))
        .unwrap();
        assert_eq!(security.protocol, SecurityProtocol::SaslPlaintext);
        assert!(security.tls.is_none());
        let sasl = security.sasl.unwrap();
        assert_eq!(
            (sasl.mechanism, sasl.username.as_str(), sasl.password.as_str()),
            (SaslMechanism::Plain, "alice", "secret")
        );
        assert!(!format!("{sasl:?}").contains("secret"));
    }

    #[test]
    fn scram_from_java_jaas_config() {
        let p = props(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanisms", "scram-sha-512"),
            (
                "sasl.jaas.config",
                r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="p\"w;d";"#,
            ),
        ]);
        let sasl = Security::from_props(&p).unwrap().sasl.unwrap();
        assert_eq!(
            (sasl.mechanism, sasl.username.as_str(), sasl.password.as_str()),
            (SaslMechanism::ScramSha512, "bob", "p\"w;d")
        );
        let rd = librdkafka_settings(&p);
        assert!(!rd.contains_key("sasl.jaas.config"));
        assert_eq!(rd["sasl.username"], "bob");
        assert_eq!(rd["sasl.password"], "p\"w;d");
    }

    #[test]
    fn errors_name_the_key() {
        let cases: [(&[(&str, &str)], &str); 6] = [
            (&[("security.protocol", "TLS")], "security.protocol"),
            (
                &[("security.protocol", "SASL_PLAINTEXT"), ("sasl.username", "u"), ("sasl.password", "p")],
                "GSSAPI (the default)",
            ),
            (&[("security.protocol", "SASL_SSL"), ("sasl.mechanism", "OAUTHBEARER")], "sasl.mechanism"),
            (
                &[("security.protocol", "SASL_PLAINTEXT"), ("sasl.mechanism", "PLAIN"), ("sasl.password", "p")],
                "sasl.username",
            ),
            (&[("security.protocol", "SSL"), ("ssl.truststore.location", "/x.jks")], "ssl.ca.location"),
            (
                &[("security.protocol", "SSL"), ("ssl.endpoint.identification.algorithm", "dns")],
                "ssl.endpoint.identification.algorithm",
            ),
        ];
        for (pairs, expected) in cases {
            let message = key_of(Security::from_props(&props(pairs)).unwrap_err());
            assert!(message.contains(expected), "{pairs:?}: {message}");
        }
        let jaas = props(&[
            ("security.protocol", "SASL_PLAINTEXT"),
            ("sasl.mechanism", "PLAIN"),
            ("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\";"),
        ]);
        assert!(key_of(Security::from_props(&jaas).unwrap_err()).contains("sasl.jaas.config"));
    }

    #[test]
    fn ssl_files_are_checked_at_parse_time() {
        let message = key_of(
            Security::from_props(&props(&[("security.protocol", "SSL"), ("ssl.ca.location", "/nonexistent/ca.pem")]))
                .unwrap_err(),
        );
        assert!(message.contains("ssl.ca.location"), "{message}");
        let security = Security::from_props(&props(&[
            ("security.protocol", "SSL"),
            ("ssl.endpoint.identification.algorithm", "NONE"),
        ]))
        .unwrap();
        assert!(!security.tls.unwrap().verify_hostname);
    }
}
