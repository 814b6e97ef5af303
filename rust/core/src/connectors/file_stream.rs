//! Kafka's FileStream connectors, native, under Kafka's class names: `FileStreamSourceConnector`
//! reads lines of a file (stdin when `file` is unset) into a topic, `FileStreamSinkConnector`
//! writes records' values as lines into a file (stdout when unset). Kafka's quickstart files
//! (`connect-file-source.properties`, `connect-file-sink.properties`) run as they are.
//!
//! The source keeps Kafka's offset format, so offsets mean the same to a Java worker and to ours:
//! source partition `{"filename": <file as configured>}`, offset `{"position": <next byte>}`.
//! Lines end at `\n`, `\r\n` or `\r` (Kafka's rule: a `\r` at the end of what was read waits for
//! the next byte); each record's offset is the position after its line. Kafka counts characters
//! where this counts bytes: the same for ASCII files, and bytes are what a file is skipped by.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tracing::{debug, warn};

use crate::config::{ConfigDef, ConfigKey, ConfigType, ConfigValue, Importance, Validator};
use crate::data::values::java_display;
use crate::data::{SchemaBuilder, SchemaRef, Value};
use crate::error::{Error, Result};
use crate::runtime::plugin::{
    Config, Connector, ConnectorContext, ConnectorKind, SinkOffsets, SinkTask, SinkTaskContext, SourceTask,
    SourceTaskContext,
};
use crate::runtime::record::{SourceOffset, SourceRecord};
use crate::runtime::sink_record::{SinkBatch, TopicPartition};

/// Kafka's class names; `FileStreamSource`/`FileStreamSourceConnector` (and the sink's) also work.
pub const SOURCE_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
pub const SINK_CLASS: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";

const FILE: &str = "file";
const TOPIC: &str = "topic";
const BATCH_SIZE: &str = "batch.size";
/// Kafka's `FileStreamSourceConnector.DEFAULT_TASK_BATCH_SIZE`.
const DEFAULT_BATCH_SIZE: i32 = 2000;
const FILENAME_FIELD: &str = "filename";
const POSITION_FIELD: &str = "position";
/// Bytes read from the file per poll at most (a longer line takes several polls).
const READ_CHUNK: u64 = 1 << 20;
/// How long `poll` waits when there is nothing new (Kafka's 1 s), unless `stop` comes first.
const IDLE_WAIT: Duration = Duration::from_secs(1);

fn source_config_def() -> Result<ConfigDef> {
    ConfigDef::new()
        .define(ConfigKey::new(
            FILE,
            ConfigType::String,
            Some(ConfigValue::Null),
            Importance::High,
            "Source filename. If not specified, the standard input will be used",
        ))?
        .define(
            ConfigKey::new(TOPIC, ConfigType::String, None, Importance::High, "The topic to publish data to")
                .with_validator(Validator::NonEmptyString),
        )?
        .define(
            ConfigKey::new(
                BATCH_SIZE,
                ConfigType::Int,
                Some(ConfigValue::Int(DEFAULT_BATCH_SIZE)),
                Importance::Low,
                "The maximum number of records the source task can read from the file each time it is polled",
            )
            .with_validator(Validator::Range { min: Some(1.0), max: None }),
        )
}

fn sink_config_def() -> Result<ConfigDef> {
    ConfigDef::new().define(ConfigKey::new(
        FILE,
        ConfigType::String,
        Some(ConfigValue::Null),
        Importance::High,
        "Destination filename. If not specified, the standard output will be used",
    ))
}

fn string_setting(values: &std::collections::BTreeMap<String, ConfigValue>, key: &str) -> String {
    match values.get(key) {
        Some(ConfigValue::String(s)) => s.clone(),
        _ => String::new(),
    }
}

/// The source connector: checks its config (one topic, no comma) and runs one task.
#[derive(Default)]
pub struct FileStreamSourceConnector {
    config: Mutex<Config>,
}

impl Connector for FileStreamSourceConnector {
    fn task_class(&self) -> Option<String> {
        Some("org.apache.kafka.connect.file.FileStreamSourceTask".into())
    }

    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Source
    }

    fn version(&self) -> String {
        crate::version().to_owned()
    }

    fn start(&self, config: &Config, _context: ConnectorContext) -> Result<()> {
        let values = source_config_def()?.parse(config)?;
        if string_setting(&values, TOPIC).contains(',') {
            return Err(Error::config(
                TOPIC,
                "'topic' in FileStreamSourceConnector configuration requires definition of a single topic",
            ));
        }
        *self.config.lock().unwrap_or_else(|p| p.into_inner()) = config.clone();
        Ok(())
    }

    /// One task whatever `tasks.max` says: a file is read by one reader (Kafka's behaviour).
    fn task_configs(&self, _max_tasks: usize) -> Result<Vec<Config>> {
        Ok(vec![self.config.lock().unwrap_or_else(|p| p.into_inner()).clone()])
    }

    fn stop(&self) -> Result<()> {
        Ok(())
    }

    fn create_source_task(&self) -> Result<Box<dyn SourceTask>> {
        Ok(Box::new(FileStreamSourceTask::default()))
    }

    /// Kafka's checks (`FileStreamSourceConnector.alterOffsets`): a file must be configured (stdin
    /// keeps no offsets); a non-null offset is `{"position": <non-negative integer>}` of a
    /// partition with a `filename`. True: the task checks the position against the file when it
    /// starts, so nothing else needs changing.
    fn alter_offsets(
        &self,
        config: &Config,
        offsets: &[(serde_json::Value, Option<serde_json::Value>)],
    ) -> Result<bool> {
        if config.get(FILE).is_none_or(|f| f.is_empty()) {
            return Err(Error::Connector(format!(
                "Offsets cannot be modified if the '{FILE}' configuration is unspecified. This is because stdin is \
                 used for input and offsets are not tracked."
            )));
        }
        for (partition, offset) in offsets {
            let Some(offset) = offset else { continue };
            let Some(position) = offset.get(POSITION_FIELD) else {
                return Err(Error::Connector(format!(
                    "Offset objects should either be null or contain the key '{POSITION_FIELD}'"
                )));
            };
            let Some(position) = position.as_i64() else {
                return Err(Error::Connector(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset is expected to be a Long value"
                )));
            };
            if position < 0 {
                return Err(Error::Connector(format!(
                    "The value for the '{POSITION_FIELD}' key in the offset should be a non-negative value"
                )));
            }
            if partition.get(FILENAME_FIELD).is_none() {
                return Err(Error::Connector(format!("Partition objects should contain the key '{FILENAME_FIELD}'")));
            }
        }
        Ok(true)
    }

    fn config_def(&self) -> Result<ConfigDef> {
        source_config_def()
    }
}

/// What the source task reads from.
enum Input {
    /// Not opened yet (the file may not exist yet).
    Closed,
    File(File),
    /// Filled by a reader thread: stdin cannot be read without blocking.
    Stdin(Arc<Mutex<Vec<u8>>>),
}

struct SourceState {
    filename: Option<String>,
    /// Shared by the records.
    topic: Arc<str>,
    batch_size: usize,
    input: Input,
    /// Bytes read but not yet part of a whole line.
    pending: Vec<u8>,
    /// Byte position of `pending`'s start in the file (None for stdin).
    position: Option<u64>,
    partition: Arc<serde_json::Value>,
    /// `"position"`, shared by every record's offset.
    position_key: Arc<str>,
    committed: Option<u64>,
    value_schema: SchemaRef,
}

/// The source task: the lines after the committed position, in batches of `batch.size`.
#[derive(Default)]
pub struct FileStreamSourceTask {
    state: Mutex<Option<SourceState>>,
    stopping: Mutex<bool>,
    wake: Condvar,
}

impl FileStreamSourceTask {
    /// Sleeps until `stop` or the idle period ends.
    fn idle(&self) {
        let stopping = self.stopping.lock().unwrap_or_else(|p| p.into_inner());
        if !*stopping {
            let _ = self.wake.wait_timeout(stopping, IDLE_WAIT);
        }
    }
}

/// Whether `pending` holds a whole line (what [`extract_line`] would take).
fn has_whole_line(pending: &[u8]) -> bool {
    pending.iter().enumerate().any(|(i, b)| *b == b'\n' || (*b == b'\r' && i + 1 < pending.len()))
}

/// The next whole line at the start of `pending`, and its length with its terminator. The caller
/// moves past it: removing each line from the front of the buffer would move what follows once per
/// line, quadratic in the size of a read.
fn extract_line(pending: &[u8]) -> Option<(String, usize)> {
    let end = pending.iter().position(|b| *b == b'\n' || *b == b'\r')?;
    let consumed = if pending[end] == b'\r' {
        // A `\r` at the end of what was read may be the first half of `\r\n`: wait for more.
        let next = pending.get(end + 1)?;
        if *next == b'\n' {
            end + 2
        } else {
            end + 1
        }
    } else {
        end + 1
    };
    Some((String::from_utf8_lossy(&pending[..end]).into_owned(), consumed))
}

impl SourceTask for FileStreamSourceTask {
    fn version(&self) -> String {
        crate::version().to_owned()
    }

    fn start(&self, context: SourceTaskContext) -> Result<()> {
        let values = source_config_def()?.parse(&context.config)?;
        let file = string_setting(&values, FILE);
        let batch_size = match values.get(BATCH_SIZE) {
            Some(ConfigValue::Int(n)) => usize::try_from(*n).unwrap_or(1).max(1),
            _ => DEFAULT_BATCH_SIZE as usize,
        };
        let filename = (!file.is_empty()).then_some(file);
        let partition = json!({ FILENAME_FIELD: filename });
        let committed = context.offset_reader.offsets(std::slice::from_ref(&partition))?;
        let committed = match committed.first().and_then(|o| o.as_ref()).and_then(|o| o.get(POSITION_FIELD)) {
            None | Some(serde_json::Value::Null) => None,
            Some(position) => Some(
                position
                    .as_u64()
                    .ok_or_else(|| Error::Connector(format!("Offset position is the incorrect type: {position}")))?,
            ),
        };
        let input = if filename.is_some() { Input::Closed } else { Input::Stdin(spawn_stdin_reader()?) };
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = Some(SourceState {
            position: filename.as_ref().map(|_| committed.unwrap_or(0)),
            filename,
            topic: string_setting(&values, TOPIC).into(),
            batch_size,
            input,
            pending: Vec::new(),
            partition: Arc::new(partition),
            position_key: POSITION_FIELD.into(),
            committed,
            value_schema: SchemaBuilder::string().build()?,
        });
        Ok(())
    }

    fn poll(&self) -> Result<Option<Vec<SourceRecord>>> {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let Some(state) = guard.as_mut() else {
            return Err(Error::Connector("poll() before start()".into()));
        };
        if matches!(state.input, Input::Closed) {
            let filename = state.filename.clone().unwrap_or_default();
            match File::open(&filename) {
                Ok(mut file) => {
                    let skip = state.committed.unwrap_or(0);
                    file.seek(SeekFrom::Start(skip))
                        .map_err(|e| Error::io(format!("skipping to {skip} in {filename}"), e))?;
                    debug!(file = %filename, position = skip, "opened for reading");
                    state.input = Input::File(file);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    warn!(
                        "Couldn't find file {filename} for FileStreamSourceTask, sleeping to wait for it to be created"
                    );
                    drop(guard);
                    self.idle();
                    return Ok(None);
                }
                Err(e) => return Err(Error::io(format!("opening {filename}"), e)),
            }
        }
        let read = match &mut state.input {
            // Bounded reads: a large file is not held in memory whole. More is read while less than
            // a chunk waits, or while what waits holds no whole line (a line longer than a chunk).
            Input::File(_) if state.pending.len() >= READ_CHUNK as usize && has_whole_line(&state.pending) => 0,
            Input::File(file) => {
                let before = state.pending.len();
                file.take(READ_CHUNK)
                    .read_to_end(&mut state.pending)
                    .map_err(|e| Error::io("reading the source file", e))?;
                state.pending.len() - before
            }
            Input::Stdin(shared) => {
                let mut shared = shared.lock().unwrap_or_else(|p| p.into_inner());
                let n = shared.len();
                state.pending.append(&mut shared);
                n
            }
            Input::Closed => 0,
        };
        let mut records = Vec::new();
        let mut taken = 0;
        while records.len() < state.batch_size {
            let Some((line, consumed)) = extract_line(&state.pending[taken..]) else { break };
            taken += consumed;
            if let Some(position) = state.position.as_mut() {
                *position += consumed as u64;
            }
            records.push(SourceRecord {
                source_partition: state.partition.clone(),
                source_offset: SourceOffset::Keyed(state.position_key.clone(), state.position.into()),
                topic: state.topic.clone(),
                partition: None,
                key_schema: None,
                key: Value::Null,
                value_schema: Some(state.value_schema.clone()),
                value: Value::String(line),
                timestamp: Some(now_ms()),
                headers: Vec::new(),
                handle: None,
                unconvertible: None,
            });
        }
        state.pending.drain(..taken);
        if records.is_empty() {
            if read == 0 {
                drop(guard);
                self.idle();
            }
            return Ok(None);
        }
        Ok(Some(records))
    }

    fn commit(&self) -> Result<()> {
        Ok(())
    }

    fn stop(&self) -> Result<()> {
        *self.stopping.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.wake.notify_all();
        Ok(())
    }
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Reads stdin on a thread of its own into a shared buffer (it ends with the process).
fn spawn_stdin_reader() -> Result<Arc<Mutex<Vec<u8>>>> {
    let shared = Arc::new(Mutex::new(Vec::new()));
    let sink = shared.clone();
    std::thread::Builder::new()
        .name("file-source-stdin".into())
        .spawn(move || {
            let mut chunk = [0u8; 8192];
            let mut stdin = std::io::stdin();
            while let Ok(n) = stdin.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap_or_else(|p| p.into_inner()).extend_from_slice(&chunk[..n]);
            }
        })
        .map_err(|e| Error::io("starting the stdin reader", e))?;
    Ok(shared)
}

/// The sink connector: every task appends to the same file.
#[derive(Default)]
pub struct FileStreamSinkConnector {
    config: Mutex<Config>,
}

impl Connector for FileStreamSinkConnector {
    fn task_class(&self) -> Option<String> {
        Some("org.apache.kafka.connect.file.FileStreamSinkTask".into())
    }

    fn kind(&self) -> ConnectorKind {
        ConnectorKind::Sink
    }

    fn version(&self) -> String {
        crate::version().to_owned()
    }

    fn start(&self, config: &Config, _context: ConnectorContext) -> Result<()> {
        sink_config_def()?.parse(config)?;
        *self.config.lock().unwrap_or_else(|p| p.into_inner()) = config.clone();
        Ok(())
    }

    fn task_configs(&self, max_tasks: usize) -> Result<Vec<Config>> {
        Ok(vec![self.config.lock().unwrap_or_else(|p| p.into_inner()).clone(); max_tasks])
    }

    fn stop(&self) -> Result<()> {
        Ok(())
    }

    fn create_sink_task(&self) -> Result<Box<dyn SinkTask>> {
        Ok(Box::new(FileStreamSinkTask::default()))
    }

    /// Nothing to check or change, as Kafka's `FileStreamSinkConnector.alterOffsets`: true.
    fn alter_offsets(
        &self,
        _config: &Config,
        _offsets: &[(serde_json::Value, Option<serde_json::Value>)],
    ) -> Result<bool> {
        Ok(true)
    }

    fn config_def(&self) -> Result<ConfigDef> {
        sink_config_def()
    }
}

/// The sink task: each record's value, as Java's `toString` writes it, and a newline.
#[derive(Default)]
pub struct FileStreamSinkTask {
    output: Mutex<Option<Box<dyn Write + Send>>>,
}

impl SinkTask for FileStreamSinkTask {
    fn version(&self) -> String {
        crate::version().to_owned()
    }

    fn start(&self, context: SinkTaskContext) -> Result<()> {
        let values = sink_config_def()?.parse(&context.config)?;
        let file = string_setting(&values, FILE);
        let output: Box<dyn Write + Send> = if file.is_empty() {
            Box::new(std::io::stdout())
        } else {
            let opened = OpenOptions::new().create(true).append(true).open(&file).map_err(|e| {
                Error::Connector(format!("Couldn't find or create file '{file}' for FileStreamSinkTask: {e}"))
            })?;
            Box::new(BufWriter::new(opened))
        };
        *self.output.lock().unwrap_or_else(|p| p.into_inner()) = Some(output);
        Ok(())
    }

    fn open(&self, _partitions: &[TopicPartition]) -> Result<()> {
        Ok(())
    }

    fn put(&self, records: &SinkBatch) -> Result<()> {
        let mut guard = self.output.lock().unwrap_or_else(|p| p.into_inner());
        let Some(output) = guard.as_mut() else { return Err(Error::Connector("put() before start()".into())) };
        for record in records.iter() {
            writeln!(output, "{}", java_display(&record.value)).map_err(|e| Error::io("writing the sink file", e))?;
        }
        Ok(())
    }

    /// Flushes what `put` wrote (Kafka's `flush`: the stream's, no fsync), then commits it all.
    fn pre_commit(&self, offsets: &SinkOffsets) -> Result<SinkOffsets> {
        if let Some(output) = self.output.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            output.flush().map_err(|e| Error::io("flushing the sink file", e))?;
        }
        Ok(offsets.clone())
    }

    fn close(&self, _partitions: &[TopicPartition]) -> Result<()> {
        Ok(())
    }

    fn stop(&self) -> Result<()> {
        if let Some(mut output) = self.output.lock().unwrap_or_else(|p| p.into_inner()).take() {
            output.flush().map_err(|e| Error::io("flushing the sink file", e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_at_lf_crlf_or_cr_and_a_final_cr_waits_for_the_next_byte() {
        let mut pending = b"a\nb\r\nc\rd\r".to_vec();
        assert_eq!(extract_line(&pending), Some(("a".into(), 2)));
        assert_eq!(extract_line(&pending[2..]), Some(("b".into(), 3)));
        assert_eq!(extract_line(&pending[5..]), Some(("c".into(), 2)));
        assert_eq!(extract_line(&pending[7..]), None, "a \\r at the end may be half of \\r\\n");
        pending.push(b'\n');
        assert_eq!(extract_line(&pending[7..]), Some(("d".into(), 3)));
        assert_eq!(extract_line(b"no end yet"), None);
        assert!(!has_whole_line(b"no end yet\r") && has_whole_line(b"a\rb") && has_whole_line(b"a\n"));
    }

    #[test]
    fn a_topic_list_is_refused_naming_the_key() {
        let connector = FileStreamSourceConnector::default();
        let config: Config = [("topic".to_owned(), "a,b".to_owned())].into();
        let context = ConnectorContext { request_task_reconfiguration: Arc::new(|| {}), raise_error: Arc::new(|_| {}) };
        let error = connector.start(&config, context).expect_err("refused").to_string();
        assert!(error.contains("topic") && error.contains("single topic"), "{error}");
    }
}
