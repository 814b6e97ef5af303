//! Kafka Connect's `JsonConverter`, byte-compatible: with `schemas.enable=true` (the default) each
//! message is `{"schema":...,"payload":...}`; without, just the payload. Settings (the keys under
//! `key.converter.` / `value.converter.`): `schemas.enable`, `schemas.cache.size`, `decimal.format`
//! (`BASE64` or `NUMERIC`), `replace.null.with.default`.
//!
//! - `parse.rs`: JSON text → nodes (Jackson's leniencies);
//! - `read.rs`: nodes → schemas and values;
//! - `guided.rs`: JSON text → values of a known schema, without nodes (the usual payload);
//! - `write.rs`: schemas and values → JSON bytes.
//!
//! Schemas are cached both ways, as Kafka does: written schema JSON by schema identity (the cache
//! holds the `Arc`, so an address is never reused while cached), read schemas by their exact JSON
//! text. A source that changes its schema mid-stream gets a new entry; nothing goes stale. An
//! envelope whose schema text is the one read last has only its payload parsed.

mod guided;
mod parse;
mod read;
mod write;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::{parse_bool, Converter};
use crate::data::{SchemaAndValue, SchemaRef, Value};
use crate::error::{Error, Result};

pub use parse::{parse as parse_json, Node};

/// How Decimal values are written (`decimal.format`); both are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalFormat {
    /// The unscaled integer's bytes in base64 (Kafka's default).
    Base64,
    /// A JSON number (`1.56`).
    Numeric,
}

/// JsonConverter settings.
#[derive(Debug, Clone)]
pub struct JsonConfig {
    pub schemas_enable: bool,
    pub schemas_cache_size: usize,
    pub decimal_format: DecimalFormat,
    pub replace_null_with_default: bool,
}

impl Default for JsonConfig {
    fn default() -> Self {
        JsonConfig {
            schemas_enable: true,
            schemas_cache_size: 1000,
            decimal_format: DecimalFormat::Base64,
            replace_null_with_default: true,
        }
    }
}

impl JsonConfig {
    /// Reads the converter's settings (prefix removed); unknown keys are ignored, as Kafka does.
    pub fn from_settings(settings: &HashMap<String, String>) -> Result<Self> {
        let mut config = JsonConfig::default();
        if let Some(v) = settings.get("schemas.enable") {
            config.schemas_enable = parse_bool("schemas.enable", v)?;
        }
        if let Some(v) = settings.get("schemas.cache.size") {
            config.schemas_cache_size = v
                .trim()
                .parse()
                .map_err(|_| Error::config("schemas.cache.size", format!("{v:?} is not an integer")))?;
        }
        if let Some(v) = settings.get("decimal.format") {
            config.decimal_format = match v.trim().to_ascii_uppercase().as_str() {
                "BASE64" => DecimalFormat::Base64,
                "NUMERIC" => DecimalFormat::Numeric,
                _ => return Err(Error::config("decimal.format", format!("{v:?} is not one of BASE64, NUMERIC"))),
            };
        }
        if let Some(v) = settings.get("replace.null.with.default") {
            config.replace_null_with_default = parse_bool("replace.null.with.default", v)?;
        }
        Ok(config)
    }
}

/// Kafka's JsonConverter. Shared by task threads; the caches are behind mutexes held briefly.
/// Written schemas by the address of their `Arc` (held, so the address stays theirs) → JSON.
type WrittenCache = Mutex<HashMap<usize, (SchemaRef, Arc<[u8]>)>>;
/// Read schemas by their exact JSON text (`None` for `"schema":null`).
type ReadCache = Mutex<HashMap<Box<[u8]>, Option<SchemaRef>>>;
/// The last schema text read and its schema.
type LastRead = Mutex<Option<(Box<[u8]>, Option<SchemaRef>)>>;

pub struct JsonConverter {
    config: JsonConfig,
    written: WrittenCache,
    read: ReadCache,
    /// The schema text read last: a stream of one schema compares bytes instead of hashing them.
    last_read: LastRead,
    /// The length of the record written last: the next record's buffer starts that large, so a
    /// stream of similar records (a Struct with its schema is ~1 KiB) does not grow it from
    /// 128 bytes, copying it three times over, for every record.
    last_written: AtomicUsize,
}

impl std::fmt::Debug for JsonConverter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonConverter").field("config", &self.config).finish_non_exhaustive()
    }
}

impl JsonConverter {
    pub fn new(config: JsonConfig) -> Self {
        JsonConverter {
            config,
            written: Mutex::default(),
            read: Mutex::default(),
            last_read: Mutex::default(),
            last_written: AtomicUsize::new(0),
        }
    }

    pub fn config(&self) -> &JsonConfig {
        &self.config
    }

    /// The JSON of a schema (`asJsonSchema`), from the cache when this schema was written before.
    pub fn schema_json(&self, schema: &SchemaRef) -> Result<Arc<[u8]>> {
        let key = Arc::as_ptr(schema) as usize;
        if let Some((_, json)) = self.written.lock().expect("schema cache poisoned").get(&key) {
            return Ok(json.clone());
        }
        let mut out = Vec::with_capacity(256);
        write::write_schema(&mut out, Some(schema), None, &self.config)?;
        let json: Arc<[u8]> = out.into();
        let mut cache = self.written.lock().expect("schema cache poisoned");
        if cache.len() >= self.config.schemas_cache_size {
            cache.clear();
        }
        if self.config.schemas_cache_size > 0 {
            cache.insert(key, (schema.clone(), json.clone()));
        }
        Ok(json)
    }

    /// Kafka's `asConnectSchema`: a schema from its JSON text (`null` gives `None`).
    pub fn as_connect_schema(&self, json: &[u8]) -> Result<Option<SchemaRef>> {
        let document = parse::parse(json)?;
        let root = document.root.ok_or_else(|| Error::data("Empty schema JSON"))?;
        read::read_schema(&root, &self.config)
    }

    /// Appends one value's JSON (envelope or not) to `out`; `false` for a tombstone (nothing written).
    pub fn write_into(&self, out: &mut Vec<u8>, schema: Option<&SchemaRef>, value: &Value) -> Result<bool> {
        if schema.is_none() && value.is_null() {
            return Ok(false);
        }
        if self.config.schemas_enable {
            out.extend_from_slice(b"{\"schema\":");
            match schema {
                Some(s) => out.extend_from_slice(&self.schema_json(s)?),
                None => out.extend_from_slice(b"null"),
            }
            out.extend_from_slice(b",\"payload\":");
            write::write_value(out, schema.map(|s| &**s), value, &self.config)?;
            out.push(b'}');
        } else {
            write::write_value(out, schema.map(|s| &**s), value, &self.config)?;
        }
        Ok(true)
    }

    fn cached_schema(&self, raw: &[u8]) -> Result<Option<SchemaRef>> {
        if let Some((text, schema)) = self.last_read.lock().expect("schema cache poisoned").as_ref() {
            if **text == *raw {
                return Ok(schema.clone());
            }
        }
        let cached = self.read.lock().expect("schema cache poisoned").get(raw).cloned();
        let schema = match cached {
            Some(schema) => schema,
            None => self.parse_schema(raw)?,
        };
        *self.last_read.lock().expect("schema cache poisoned") = Some((raw.into(), schema.clone()));
        Ok(schema)
    }

    /// The envelope as Kafka writes it, `{"schema":S,"payload":P}`, where S is byte for byte the
    /// schema text read last: only the payload is parsed (a stream of one schema spends most of
    /// its parsing on the schema half otherwise, only to find where it ends). A JSON value ends
    /// where its text ends, so the full parse would have found the same members; anything else
    /// (other spacing, other members, a payload that does not parse) is `None`, for the full path
    /// and its errors.
    fn read_with_last_schema(&self, data: &[u8]) -> Option<Result<SchemaAndValue>> {
        const HEAD: &[u8] = b"{\"schema\":";
        const MIDDLE: &[u8] = b",\"payload\":";
        let rest = data.strip_prefix(HEAD)?;
        let (schema, payload_at) = {
            let last = self.last_read.lock().expect("schema cache poisoned");
            let (text, schema) = last.as_ref()?;
            let payload = rest.strip_prefix(&**text)?.strip_prefix(MIDDLE)?;
            (schema.clone(), data.len() - payload.len())
        };
        // The payload is one level deep, inside the envelope.
        let mut parser = parse::Parser::at(data, payload_at, 1);
        let guided = schema.as_ref().and_then(|s| guided::read_guided(&mut parser, s, &self.config));
        let value = match guided {
            Some(value) => Ok(value),
            None => {
                parser = parse::Parser::at(data, payload_at, 1);
                let node = parser.value(None).ok()?;
                read::read_value(schema.as_ref(), Some(&node), &self.config)
            }
        };
        if !parser.consume(b'}') {
            return None;
        }
        Some(value.map(|value| SchemaAndValue::new(schema, value)))
    }

    fn parse_schema(&self, raw: &[u8]) -> Result<Option<SchemaRef>> {
        let document = parse::parse(raw)?;
        let node = document.root.ok_or_else(|| Error::data("Empty schema"))?;
        let schema = read::read_schema(&node, &self.config)?;
        let mut cache = self.read.lock().expect("schema cache poisoned");
        if cache.len() >= self.config.schemas_cache_size {
            cache.clear();
        }
        if self.config.schemas_cache_size > 0 {
            cache.insert(raw.into(), schema.clone());
        }
        Ok(schema)
    }
}

const ENVELOPE_ERROR: &str = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not \
contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter \
configuration.";

impl Converter for JsonConverter {
    fn from_connect_data(&self, topic: &str, schema: Option<&SchemaRef>, value: &Value) -> Result<Option<Vec<u8>>> {
        // A little over the last record's length: room for one a bit longer without a regrowth.
        let last = self.last_written.load(Ordering::Relaxed);
        let mut out = Vec::with_capacity((last + last / 8).clamp(128, 1 << 20));
        let written = self.write_into(&mut out, schema, value).map_err(|e| {
            Error::data(format!("Converting Kafka Connect data to byte[] failed for topic {topic}: {e}"))
        })?;
        self.last_written.store(out.len(), Ordering::Relaxed);
        Ok(written.then_some(out))
    }

    fn to_connect_data(&self, topic: &str, data: Option<&[u8]>) -> Result<SchemaAndValue> {
        let Some(data) = data else {
            return Ok(SchemaAndValue::NULL);
        };
        let failed = |e: Error| {
            Error::data(format!(
                "Converting byte[] to Kafka Connect data failed due to serialization error of topic {topic}: {e}"
            ))
        };
        if !self.config.schemas_enable {
            let document = parse::parse(data).map_err(failed)?;
            let value = read::read_value(None, document.root.as_ref(), &self.config)?;
            return Ok(SchemaAndValue::new(None, value));
        }
        if let Some(read) = self.read_with_last_schema(data) {
            return read;
        }
        let document = parse::parse_skipping(data, Some("schema")).map_err(failed)?;
        let Some(Node::Object(members)) = &document.root else {
            return Err(Error::data(ENVELOPE_ERROR));
        };
        let (mut schema_at, mut payload_at) = (None, None);
        for (i, (key, _)) in members.iter().enumerate() {
            match key.as_ref() {
                "schema" => schema_at = Some(i),
                "payload" => payload_at = Some(i),
                _ => return Err(Error::data(ENVELOPE_ERROR)),
            }
        }
        let (Some(schema_at), Some(payload_at)) = (schema_at, payload_at) else {
            return Err(Error::data(ENVELOPE_ERROR));
        };
        let (start, end) = document.member_spans[schema_at];
        let schema = self.cached_schema(&data[start..end]).map_err(failed)?;
        let value = read::read_value(schema.as_ref(), Some(&members[payload_at].1), &self.config)?;
        Ok(SchemaAndValue::new(schema, value))
    }
}
