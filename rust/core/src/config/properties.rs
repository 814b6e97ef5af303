//! Java `.properties` files, as Kafka Connect's CLI reads them (parsed by the `java-properties` crate).

use std::path::Path;

use crate::error::{Error, Result};
use crate::runtime::plugin::Config;

/// Reads a `.properties` file into a config map.
pub fn read_properties(path: &Path) -> Result<Config> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let map = java_properties::read(std::io::BufReader::new(file))
        .map_err(|e| Error::config(path.display().to_string(), format!("not a valid properties file: {e}")))?;
    Ok(map.into_iter().collect())
}
