//! Config providers (KIP-297): `${provider:path:key}` placeholders in connector configs, resolved
//! from files, directories or environment variables only when a config is handed to a connector or
//! task. Stored and displayed configs keep the placeholders, so secrets never reach the REST API,
//! the config file or the logs.
//!
//! Worker settings, as in Kafka: `config.providers=file,env`, then
//! `config.providers.<name>.class=<class>` and `config.providers.<name>.param.<key>=<value>`. The
//! classes are Kafka's three built-ins (`org.apache.kafka.common.config.provider.FileConfigProvider`,
//! `DirectoryConfigProvider`, `EnvVarConfigProvider`; the simple names work too).

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::OnceLock;

use regex::Regex;

use crate::error::{Error, Result};
use crate::runtime::plugin::Config;

/// Kafka's variable syntax (`ConfigTransformer.DEFAULT_PATTERN`): `${provider:key}` or
/// `${provider:path:key}`.
fn pattern() -> &'static Regex {
    static PATTERN: OnceLock<Regex> = OnceLock::new();
    PATTERN.get_or_init(|| Regex::new(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}").expect("valid pattern"))
}

/// One placeholder found in a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Variable {
    provider: String,
    path: String,
    key: String,
}

fn variables(value: &str) -> Vec<(std::ops::Range<usize>, Variable)> {
    pattern()
        .captures_iter(value)
        .map(|c| {
            let whole = c.get(0).expect("group 0");
            let var = Variable {
                provider: c[1].to_owned(),
                path: c.get(3).map_or("", |m| m.as_str()).to_owned(),
                key: c[4].to_owned(),
            };
            (whole.range(), var)
        })
        .collect()
}

/// Whether a config value holds a placeholder.
pub fn has_placeholder(value: &str) -> bool {
    pattern().is_match(value)
}

/// Restricts file and directory providers to some directories (`allowed.paths`, KIP-993).
#[derive(Debug, Clone, Default)]
struct AllowedPaths(Option<Vec<PathBuf>>);

impl AllowedPaths {
    fn parse(value: Option<&String>) -> Result<Self> {
        let Some(value) = value.filter(|v| !v.trim().is_empty()) else { return Ok(AllowedPaths(None)) };
        let paths = value
            .split(',')
            .map(|p| {
                let path = PathBuf::from(p.trim());
                if path.is_absolute() {
                    Ok(normalize(&path))
                } else {
                    Err(Error::config("allowed.paths", format!("Path {} is not absolute", p.trim())))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(AllowedPaths(Some(paths)))
    }

    /// The path if it may be read (normalized, so `..` cannot escape an allowed directory).
    fn check(&self, path: &str) -> Option<PathBuf> {
        let normalized = normalize(Path::new(path));
        match &self.0 {
            None => Some(normalized),
            Some(allowed) => allowed.iter().any(|a| normalized.starts_with(a)).then_some(normalized),
        }
    }
}

/// Removes `.` and resolves `..` lexically (Java's `Path.normalize`).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// One configured provider.
#[derive(Debug, Clone)]
enum Provider {
    /// A Java properties file per path; the key is a property.
    File(AllowedPaths),
    /// A directory per path; the key is a file name, its content the value.
    Directory(AllowedPaths),
    /// Environment variables; no path; only names matching the allow-list pattern.
    Env(Regex),
}

impl Provider {
    fn from_class(name: &str, class: &str, params: &HashMap<String, String>) -> Result<Self> {
        let simple = class.rsplit('.').next().unwrap_or(class);
        let key = format!("config.providers.{name}.class");
        match simple {
            "FileConfigProvider" => Ok(Provider::File(AllowedPaths::parse(params.get("allowed.paths"))?)),
            "DirectoryConfigProvider" => Ok(Provider::Directory(AllowedPaths::parse(params.get("allowed.paths"))?)),
            "EnvVarConfigProvider" => {
                let pattern = params.get("allowlist.pattern").map_or(".*", String::as_str);
                let regex = Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
                    Error::config(format!("config.providers.{name}.param.allowlist.pattern"), e.to_string())
                })?;
                Ok(Provider::Env(regex))
            }
            _ => Err(Error::config(
                key,
                format!(
                    "Class {class} cannot be found; the config providers are FileConfigProvider, \
                     DirectoryConfigProvider and EnvVarConfigProvider (org.apache.kafka.common.config.provider)"
                ),
            )),
        }
    }

    /// The values of `keys` under `path`; keys the provider does not have are left out.
    fn get(&self, path: &str, keys: &[&str]) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        match self {
            Provider::File(allowed) => {
                if path.is_empty() {
                    return Ok(out);
                }
                let Some(file) = allowed.check(path) else {
                    tracing::warn!("The path {path} is not allowed to be accessed");
                    return Ok(out);
                };
                let props = crate::config::read_properties(&file).map_err(|_| {
                    Error::config("config.providers", format!("Could not read properties from file {path}"))
                })?;
                for key in keys {
                    if let Some(v) = props.get(*key) {
                        out.insert((*key).to_owned(), v.clone());
                    }
                }
            }
            Provider::Directory(allowed) => {
                if path.is_empty() {
                    return Ok(out);
                }
                let Some(dir) = allowed.check(path) else {
                    tracing::warn!("The path {path} is not allowed to be accessed");
                    return Ok(out);
                };
                for key in keys {
                    // A key is a file name inside the directory, never a path out of it.
                    if key.contains('/') || *key == ".." {
                        continue;
                    }
                    let file = dir.join(key);
                    if file.is_file() {
                        let text = std::fs::read_to_string(&file).map_err(|_| {
                            Error::config(
                                "config.providers",
                                format!("Could not read file {} for property {key}", file.display()),
                            )
                        })?;
                        out.insert((*key).to_owned(), text);
                    }
                }
            }
            Provider::Env(allow) => {
                if !path.is_empty() {
                    return Err(Error::config(
                        "config.providers",
                        format!("Path is not supported for EnvVarConfigProvider, invalid value '{path}'"),
                    ));
                }
                for key in keys {
                    if allow.is_match(key) {
                        if let Ok(v) = std::env::var(key) {
                            out.insert((*key).to_owned(), v);
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

/// The worker's config providers (Kafka's `WorkerConfigTransformer`).
#[derive(Debug, Clone, Default)]
pub struct ConfigProviders {
    providers: BTreeMap<String, Provider>,
}

impl ConfigProviders {
    /// Reads `config.providers` and its per-provider keys from worker properties.
    pub fn from_worker_props(props: &Config) -> Result<Self> {
        let mut providers = BTreeMap::new();
        let names = props.get("config.providers").map(String::as_str).unwrap_or("");
        for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let class_key = format!("config.providers.{name}.class");
            let class = props.get(&class_key).ok_or_else(|| {
                Error::config(
                    &class_key,
                    format!("Missing required configuration \"{class_key}\" which has no default value."),
                )
            })?;
            let prefix = format!("config.providers.{name}.param.");
            let params = crate::runtime::worker_config::prefixed(props, &prefix);
            providers.insert(name.to_owned(), Provider::from_class(name, class, &params)?);
        }
        Ok(ConfigProviders { providers })
    }

    /// Whether any provider is configured.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }

    /// The config with every placeholder whose provider and key are known replaced by its value
    /// (Kafka's `ConfigTransformer.transform`: unknown ones stay as written).
    pub fn resolve(&self, config: &Config) -> Result<Config> {
        if self.providers.is_empty() {
            return Ok(config.clone());
        }
        // Group lookups by (provider, path) so each file is read once per resolution.
        let mut wanted: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for value in config.values() {
            for (_, var) in variables(value) {
                if self.providers.contains_key(&var.provider) {
                    wanted.entry((var.provider, var.path)).or_default().push(var.key);
                }
            }
        }
        if wanted.is_empty() {
            return Ok(config.clone());
        }
        let mut found: HashMap<Variable, String> = HashMap::new();
        for ((provider, path), keys) in wanted {
            let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
            for (key, value) in self.providers[&provider].get(&path, &keys)? {
                found.insert(Variable { provider: provider.clone(), path: path.clone(), key }, value);
            }
        }
        Ok(config
            .iter()
            .map(|(k, v)| {
                let mut out = String::with_capacity(v.len());
                let mut last = 0;
                for (range, var) in variables(v) {
                    out.push_str(&v[last..range.start]);
                    match found.get(&var) {
                        Some(value) => out.push_str(value),
                        None => out.push_str(&v[range.clone()]),
                    }
                    last = range.end;
                }
                out.push_str(&v[last..]);
                (k.clone(), out)
            })
            .collect())
    }
}

/// Puts the placeholders of `raw` (the connector's stored config) back into configs derived from
/// its resolved form (Kafka's `AbstractHerder.reverseTransform`): a task config key that the
/// connector config wrote with a placeholder shows the placeholder, never the secret.
pub fn reverse_transform(raw: &Config, derived: &Config) -> Config {
    let mut out = derived.clone();
    for (key, raw_value) in raw {
        if has_placeholder(raw_value) {
            if let Some(v) = out.get_mut(key) {
                v.clone_from(raw_value);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn file_directory_and_env_providers_resolve_and_unknown_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secrets.properties");
        std::fs::write(&file, "db.password=s3cret\n").unwrap();
        std::fs::write(dir.path().join("token"), "tok").unwrap();
        let providers = ConfigProviders::from_worker_props(&props(&[
            ("config.providers", "file,dir,env"),
            ("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider"),
            ("config.providers.dir.class", "DirectoryConfigProvider"),
            ("config.providers.env.class", "org.apache.kafka.common.config.provider.EnvVarConfigProvider"),
            ("config.providers.env.param.allowlist.pattern", "PATH"),
        ]))
        .unwrap();
        let f = file.display();
        let d = dir.path().display();
        let raw = props(&[
            ("password", &format!("${{file:{f}:db.password}}")),
            ("token", &format!("x-${{dir:{d}:token}}-y")),
            ("path", "${env:PATH}"),
            ("home", "${env:HOME}"),
            ("other", "${vault:a:b}"),
        ]);
        let resolved = providers.resolve(&raw).unwrap();
        assert_eq!(resolved["password"], "s3cret");
        assert_eq!(resolved["token"], "x-tok-y");
        assert_eq!(resolved["path"], std::env::var("PATH").unwrap());
        assert_eq!(resolved["home"], "${env:HOME}", "not in the allow-list");
        assert_eq!(resolved["other"], "${vault:a:b}");
        let task = reverse_transform(&raw, &resolved);
        assert_eq!(task["password"], raw["password"]);
    }

    #[test]
    fn allowed_paths_keep_files_outside_unresolved() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.properties"), "k=v\n").unwrap();
        let providers = ConfigProviders::from_worker_props(&props(&[
            ("config.providers", "file"),
            ("config.providers.file.class", "FileConfigProvider"),
            ("config.providers.file.param.allowed.paths", "/nonexistent/allowed"),
        ]))
        .unwrap();
        let raw = props(&[("k", &format!("${{file:{}/a.properties:k}}", dir.path().display()))]);
        assert_eq!(providers.resolve(&raw).unwrap()["k"], raw["k"]);
        let err = ConfigProviders::from_worker_props(&props(&[("config.providers", "x")])).unwrap_err();
        assert!(err.to_string().contains("config.providers.x.class"), "{err}");
    }
}
