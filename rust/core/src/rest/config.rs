//! The REST server's worker settings (Kafka's `RestServerConfig`): `listeners`, `admin.listeners`
//! and the advertised host and port that name the worker (`worker_id`) in statuses.

use std::net::{SocketAddr, TcpListener, ToSocketAddrs};

use crate::error::{Error, Result};
use crate::runtime::plugin::Config;

/// Where the API listens unless `listeners` says otherwise: loopback only (Kafka binds every
/// interface; opening the API beyond this machine is left to an explicit setting).
pub const DEFAULT_LISTENER: &str = "http://127.0.0.1:8083";

/// Parsed REST settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestConfig {
    /// `listeners`: host and port of each `http://host:port` listener (empty host: all interfaces).
    pub listeners: Vec<(String, u16)>,
    /// `admin.listeners`: `None` serves `/admin` on `listeners`; an empty list disables it.
    pub admin_listeners: Option<Vec<(String, u16)>>,
    pub advertised_host: Option<String>,
    pub advertised_port: Option<u16>,
}

fn parse_listeners(key: &str, value: &str) -> Result<Vec<(String, u16)>> {
    value
        .split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|listener| {
            let bad =
                |why: &str| Error::config(key, format!("Invalid value {listener} for configuration {key}: {why}"));
            let rest = match listener.split_once("://") {
                Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
                Some((scheme, _)) => return Err(bad(&format!("the {scheme} protocol is not supported, only http"))),
                None => return Err(bad("expected a URL such as http://127.0.0.1:8083")),
            };
            let (host, port) = rest.trim_end_matches('/').rsplit_once(':').ok_or_else(|| bad("no port"))?;
            let port = port.parse::<u16>().map_err(|_| bad("the port is not a number from 0 to 65535"))?;
            Ok((host.trim_start_matches('[').trim_end_matches(']').to_owned(), port))
        })
        .collect()
}

impl RestConfig {
    /// Reads the REST keys of worker properties; errors name the key.
    pub fn from_props(props: &Config) -> Result<Self> {
        let listeners = parse_listeners("listeners", props.get("listeners").map_or(DEFAULT_LISTENER, String::as_str))?;
        if listeners.is_empty() {
            return Err(Error::config(
                "listeners",
                "Invalid value  for configuration listeners: at least one listener is needed",
            ));
        }
        let admin_listeners =
            props.get("admin.listeners").map(|v| parse_listeners("admin.listeners", v)).transpose()?;
        let advertised_port = props
            .get("rest.advertised.port")
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                p.trim().parse::<u16>().map_err(|_| {
                    Error::config(
                        "rest.advertised.port",
                        format!("Invalid value {p} for configuration rest.advertised.port: Not a number of type INT"),
                    )
                })
            })
            .transpose()?;
        Ok(RestConfig {
            listeners,
            admin_listeners,
            advertised_host: props.get("rest.advertised.host.name").filter(|h| !h.trim().is_empty()).cloned(),
            advertised_port,
        })
    }
}

/// Listeners bound before the worker starts, so that `worker_id` can name a port chosen by the
/// system (`:0`).
pub struct BoundListeners {
    pub(crate) main: Vec<TcpListener>,
    pub(crate) admin: Option<Vec<TcpListener>>,
    worker_id: String,
    url: String,
}

fn bind(key: &str, host: &str, port: u16) -> Result<TcpListener> {
    let host_for_bind = if host.is_empty() { "0.0.0.0" } else { host };
    let addrs: Vec<SocketAddr> = (host_for_bind, port)
        .to_socket_addrs()
        .map_err(|e| Error::config(key, format!("cannot resolve {host}:{port}: {e}")))?
        .collect();
    let listener = TcpListener::bind(&addrs[..])
        .map_err(|e| Error::io(format!("binding the REST listener {host}:{port} ({key})"), e))?;
    listener.set_nonblocking(true).map_err(|e| Error::io("configuring the REST listener", e))?;
    Ok(listener)
}

impl BoundListeners {
    /// Binds every listener of `config`.
    pub fn bind(config: &RestConfig) -> Result<Self> {
        let main = config.listeners.iter().map(|(h, p)| bind("listeners", h, *p)).collect::<Result<Vec<_>>>()?;
        let admin = match &config.admin_listeners {
            // Same listeners as the rest of the API: admin routes are mounted there.
            None => None,
            Some(list) => Some(list.iter().map(|(h, p)| bind("admin.listeners", h, *p)).collect::<Result<Vec<_>>>()?),
        };
        let (host, _) = &config.listeners[0];
        let local = main[0].local_addr().map_err(|e| Error::io("reading the REST listener's address", e))?;
        let shown_host = match host.as_str() {
            "" | "0.0.0.0" | "::" => "localhost".to_owned(),
            h => h.to_owned(),
        };
        let advertised_host = config.advertised_host.clone().unwrap_or_else(|| shown_host.clone());
        let advertised_port = config.advertised_port.unwrap_or(local.port());
        let url_host = if shown_host.contains(':') { format!("[{shown_host}]") } else { shown_host };
        Ok(BoundListeners {
            main,
            admin,
            worker_id: format!("{advertised_host}:{advertised_port}"),
            url: format!("http://{url_host}:{}", local.port()),
        })
    }

    /// `<advertised host>:<advertised port>`: how statuses name this worker.
    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// The URL of the first listener (with the port actually bound).
    pub fn url(&self) -> &str {
        &self.url
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn listeners_default_to_loopback_and_errors_name_the_key() {
        let config = RestConfig::from_props(&Config::new()).unwrap();
        assert_eq!(config.listeners, vec![("127.0.0.1".to_owned(), 8083)]);
        assert_eq!(config.admin_listeners, None);
        let err = RestConfig::from_props(&props(&[("listeners", "https://x:1")])).unwrap_err().to_string();
        assert!(err.contains("listeners") && err.contains("https"), "{err}");
        let config = RestConfig::from_props(&props(&[("admin.listeners", "")])).unwrap();
        assert_eq!(config.admin_listeners, Some(vec![]));
    }

    #[test]
    fn worker_id_uses_the_advertised_name_or_the_bound_port() {
        let config = RestConfig::from_props(&props(&[("listeners", "http://127.0.0.1:0")])).unwrap();
        let bound = BoundListeners::bind(&config).unwrap();
        let port = bound.main[0].local_addr().unwrap().port();
        assert_eq!(bound.worker_id(), format!("127.0.0.1:{port}"));
        let config = RestConfig::from_props(&props(&[
            ("listeners", "http://127.0.0.1:0"),
            ("rest.advertised.host.name", "connect-1"),
            ("rest.advertised.port", "9999"),
        ]))
        .unwrap();
        assert_eq!(BoundListeners::bind(&config).unwrap().worker_id(), "connect-1:9999");
    }
}
