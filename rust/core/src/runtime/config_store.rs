//! Standalone mode's connector configs and target states, kept in a file beside the offsets file
//! so that connectors created over REST, and paused or stopped ones, come back as they were after
//! a restart of the worker (what distributed mode gets from its config topic).
//!
//! The file is JSON, `{"connectors": {"<name>": {"config": {...}, "target_state": "PAUSED"}}}`,
//! with configs as the user gave them (`${provider:...}` placeholders unresolved). Each change
//! rewrites it whole: a temporary file in the same directory, fsynced, renamed over the old one,
//! then the directory fsynced, so a crash leaves the old or the new file, never a torn one.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::runtime::plugin::Config;
use crate::runtime::worker::TargetState;

/// The worker key naming the file (ours: Kafka's standalone mode keeps configs in memory only).
pub const CONFIG_FILE_KEY: &str = "config.storage.file.filename";

/// One stored connector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConnector {
    pub config: Config,
    pub target: TargetState,
}

#[derive(Serialize, Deserialize, Default)]
struct FileContent {
    connectors: BTreeMap<String, StoredEntry>,
}

#[derive(Serialize, Deserialize)]
struct StoredEntry {
    config: Config,
    /// Kafka's target-state names: STARTED, PAUSED, STOPPED.
    target_state: String,
}

fn state_name(state: TargetState) -> &'static str {
    match state {
        TargetState::Started => "STARTED",
        TargetState::Paused => "PAUSED",
        TargetState::Stopped => "STOPPED",
    }
}

fn state_from(name: &str) -> Option<TargetState> {
    match name {
        "STARTED" => Some(TargetState::Started),
        "PAUSED" => Some(TargetState::Paused),
        "STOPPED" => Some(TargetState::Stopped),
        _ => None,
    }
}

/// The connector config file of a standalone worker.
#[derive(Debug, Clone)]
pub struct ConfigStore {
    path: PathBuf,
}

impl ConfigStore {
    /// Where a worker with these properties keeps connector configs: `config.storage.file.filename`
    /// if set, else `<offset.storage.file.filename>.connectors.json`; `None` without an offsets file
    /// (an in-memory worker keeps nothing).
    pub fn path_for(props: &Config) -> Option<PathBuf> {
        if let Some(path) = props.get(CONFIG_FILE_KEY).filter(|p| !p.trim().is_empty()) {
            return Some(PathBuf::from(path.trim()));
        }
        let offsets = props.get("offset.storage.file.filename").filter(|p| !p.trim().is_empty())?;
        Some(PathBuf::from(format!("{}.connectors.json", offsets.trim())))
    }

    /// A store at `path` (read on [`ConfigStore::load`]).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ConfigStore { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored connectors; none if the file does not exist yet.
    pub fn load(&self) -> Result<BTreeMap<String, StoredConnector>> {
        let bad = |reason: String| {
            Error::config(CONFIG_FILE_KEY, format!("{} is not a connector config file: {reason}", self.path.display()))
        };
        let content: FileContent = match fs::read(&self.path) {
            Ok(bytes) if bytes.is_empty() => FileContent::default(),
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileContent::default(),
            Err(e) => return Err(Error::io(format!("reading connector config file {}", self.path.display()), e)),
        };
        content
            .connectors
            .into_iter()
            .map(|(name, entry)| {
                let target = state_from(&entry.target_state)
                    .ok_or_else(|| bad(format!("unknown target state {:?} of {name}", entry.target_state)))?;
                Ok((name, StoredConnector { config: entry.config, target }))
            })
            .collect()
    }

    /// Replaces the file's content with `connectors`, atomically and durably.
    pub fn save(&self, connectors: &BTreeMap<String, StoredConnector>) -> Result<()> {
        let content = FileContent {
            connectors: connectors
                .iter()
                .map(|(name, c)| {
                    (name.clone(), StoredEntry { config: c.config.clone(), target_state: state_name(c.target).into() })
                })
                .collect(),
        };
        let bytes = serde_json::to_vec_pretty(&content).expect("configs serialize");
        let io = |what: &str, e| Error::io(format!("{what} connector config file {}", self.path.display()), e);
        let dir = self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| io("creating a temporary file for the", e))?;
        tmp.write_all(&bytes).map_err(|e| io("writing", e))?;
        tmp.as_file().sync_all().map_err(|e| io("syncing", e))?;
        tmp.persist(&self.path).map_err(|e| io("replacing", e.error))?;
        // The rename is durable only once the directory is synced.
        fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io("syncing the directory of the", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configs_and_target_states_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let props: Config = [("offset.storage.file.filename".to_owned(), format!("{}/o", dir.path().display()))].into();
        let store = ConfigStore::new(ConfigStore::path_for(&props).unwrap());
        assert!(store.path().ends_with("o.connectors.json"));
        assert!(store.load().unwrap().is_empty());
        let config: Config = [("connector.class".to_owned(), "x.Y".to_owned())].into();
        let connectors = BTreeMap::from([
            ("a".to_owned(), StoredConnector { config: config.clone(), target: TargetState::Paused }),
            ("b".to_owned(), StoredConnector { config, target: TargetState::Stopped }),
        ]);
        store.save(&connectors).unwrap();
        assert_eq!(store.load().unwrap(), connectors);
        assert!(ConfigStore::path_for(&Config::new()).is_none());
    }
}
