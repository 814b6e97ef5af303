//! Standalone mode's offsets file (`offset.storage.file.filename`).
//!
//! The whole map is rewritten on every flush to a temporary file that is fsynced and renamed over
//! the old one, so a crash at any moment leaves either the old or the new offsets, never a torn
//! file. The content is JSON: `{"<offsets-topic key>": <offset value>, ...}` (Kafka's own file store
//! uses Java serialization, which nothing outside the JVM reads; the keys and values are Kafka's).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::{apply, entries_of, lookup, OffsetMap, OffsetStore};
use crate::error::{Error, Result};

/// Offsets in a local file, loaded at start and rewritten atomically on each `put`.
pub struct FileOffsetStore {
    path: PathBuf,
    entries: Mutex<OffsetMap>,
}

impl FileOffsetStore {
    /// Opens (or will create) the offsets file at `path`.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let entries = match fs::read(&path) {
            Ok(bytes) if bytes.is_empty() => OffsetMap::new(),
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::config("offset.storage.file.filename", format!("{} is not an offsets file: {e}", path.display()))
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => OffsetMap::new(),
            Err(e) => return Err(Error::io(format!("reading offsets file {}", path.display()), e)),
        };
        Ok(FileOffsetStore { path, entries: Mutex::new(entries) })
    }

    fn write(&self, entries: &OffsetMap) -> Result<()> {
        let io = |what: &str, e| Error::io(format!("{what} offsets file {}", self.path.display()), e);
        let dir = self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp = self.path.with_extension("tmp");
        let bytes = serde_json::to_vec(entries).expect("JSON values serialize");
        let mut file = fs::File::create(&tmp).map_err(|e| io("creating", e))?;
        file.write_all(&bytes).map_err(|e| io("writing", e))?;
        file.sync_all().map_err(|e| io("syncing", e))?;
        fs::rename(&tmp, &self.path).map_err(|e| io("replacing", e))?;
        // The rename itself is durable only once the directory is synced.
        fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io("syncing the directory of", e))?;
        Ok(())
    }
}

impl OffsetStore for FileOffsetStore {
    fn get(&self, connector: &str, partitions: &[serde_json::Value]) -> Result<Vec<Option<serde_json::Value>>> {
        Ok(lookup(&self.entries.lock().expect("offset store lock"), connector, partitions))
    }

    fn put(&self, connector: &str, offsets: &[(serde_json::Value, Option<serde_json::Value>)]) -> Result<()> {
        let mut entries = self.entries.lock().expect("offset store lock");
        // The new map is written before it replaces the old one: a failed write changes nothing.
        let mut next = entries.clone();
        apply(&mut next, connector, offsets);
        self.write(&next)?;
        *entries = next;
        Ok(())
    }

    fn all(&self, connector: &str) -> Result<Vec<(serde_json::Value, serde_json::Value)>> {
        Ok(entries_of(&self.entries.lock().expect("offset store lock"), connector))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn offsets_survive_reopening_and_keys_are_kafkas() {
        let dir = std::env::temp_dir().join(format!("fc-offsets-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("offsets.json");
        let _ = fs::remove_file(&path);
        let store = FileOffsetStore::open(&path).unwrap();
        store.put("c", &[(json!({"filename": "a"}), Some(json!({"position": 7})))]).unwrap();
        let reopened = FileOffsetStore::open(&path).unwrap();
        assert_eq!(reopened.get("c", &[json!({"filename": "a"})]).unwrap(), vec![Some(json!({"position": 7}))]);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(r#"[\"c\",{\"filename\":\"a\"}]"#), "{text}");
        assert_eq!(reopened.all("c").unwrap().len(), 1);
        fs::remove_dir_all(&dir).unwrap();
    }
}
