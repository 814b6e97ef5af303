//! Kafka Connect's group protocol, byte-compatible with Java workers (`ConnectProtocol`,
//! `IncrementalCooperativeConnectProtocol`, `ExtendedAssignment`, `ConnectProtocolCompatibility`).
//!
//! Two blobs travel through the broker's classic group protocol (protocol type `connect`): each
//! worker's *metadata* in JoinGroup (its REST URL, its config-topic offset and, from v1, what it
//! currently runs) and the leader's per-member *assignment* in SyncGroup. The broker treats both as
//! opaque bytes, so a mixed Java/ferroconnect cluster only works if these bytes match Java's. The
//! layout (all big-endian, Kafka's `Type`s: `STRING` = int16 length + UTF-8, arrays = int32 count,
//! `-1` = null) is documented in `../shared/reference/distributed.md` §1.
//!
//! Decoding follows Java's reader, which every worker uses whatever the version: versions below 0
//! are rejected, higher ones are read as v1, missing trailing fields (revocations, delay, the
//! allocation) take their defaults, trailing extra bytes are ignored, and nothing depends on the
//! order of connector entries (Java builds them from hash maps).

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// The classic group's `protocol_type` for Connect workers (`WorkerCoordinator#protocolType`).
pub const PROTOCOL_TYPE: &str = "connect";
/// The worker config that picks the offered protocols (`DistributedConfig.CONNECT_PROTOCOL_CONFIG`).
pub const CONNECT_PROTOCOL_CONFIG: &str = "connect.protocol";
/// Eager rebalancing: every rebalance revokes everything (`ConnectProtocol.CONNECT_PROTOCOL_V0`).
pub const CONNECT_PROTOCOL_V0: i16 = 0;
/// Incremental cooperative rebalancing (KIP-415).
pub const CONNECT_PROTOCOL_V1: i16 = 1;
/// v1 plus signed internal REST requests (KIP-507); byte-identical to v1 but for the version.
pub const CONNECT_PROTOCOL_V2: i16 = 2;
/// The task number that stands for the Connector instance itself in an assignment's task list.
pub const CONNECTOR_TASK: i32 = -1;

/// Which protocols a worker offers, as `connect.protocol` names it (`ConnectProtocolCompatibility`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConnectProtocol {
    /// `eager`: offers only `default` (v0).
    Eager,
    /// `compatible`: offers `compatible` (v1), then `default` (v0).
    Compatible,
    /// `sessioned` (Kafka's default): offers `sessioned` (v2), `compatible` (v1), `default` (v0).
    #[default]
    Sessioned,
}

impl ConnectProtocol {
    /// Every mode, most preferred first: the order in which protocols are offered in JoinGroup.
    pub const PREFERENCE: [ConnectProtocol; 3] =
        [ConnectProtocol::Sessioned, ConnectProtocol::Compatible, ConnectProtocol::Eager];

    /// Parses a `connect.protocol` value; case is ignored, as Java's `compatibility(name)` does.
    pub fn parse(value: &str) -> Result<Self> {
        Self::PREFERENCE.into_iter().find(|mode| mode.config_value().eq_ignore_ascii_case(value.trim())).ok_or_else(
            || Error::config(CONNECT_PROTOCOL_CONFIG, format!("{value:?} is not one of eager, compatible, sessioned")),
        )
    }

    /// The value of `connect.protocol` that selects this mode.
    pub fn config_value(self) -> &'static str {
        match self {
            ConnectProtocol::Eager => "eager",
            ConnectProtocol::Compatible => "compatible",
            ConnectProtocol::Sessioned => "sessioned",
        }
    }

    /// The protocol name offered in JoinGroup and chosen by the broker (`eager` is called `default`).
    pub fn protocol(self) -> &'static str {
        match self {
            ConnectProtocol::Eager => "default",
            ConnectProtocol::Compatible => "compatible",
            ConnectProtocol::Sessioned => "sessioned",
        }
    }

    /// The metadata and assignment version that goes with this protocol.
    pub fn version(self) -> i16 {
        match self {
            ConnectProtocol::Eager => CONNECT_PROTOCOL_V0,
            ConnectProtocol::Compatible => CONNECT_PROTOCOL_V1,
            ConnectProtocol::Sessioned => CONNECT_PROTOCOL_V2,
        }
    }

    /// The mode of the protocol the broker selected for the group (case ignored, as in Java).
    pub fn from_protocol(name: &str) -> Result<Self> {
        Self::PREFERENCE
            .into_iter()
            .find(|mode| mode.protocol().eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::protocol(format!("no Connect protocol is called {name:?}")))
    }

    /// The mode whose protocol has this version.
    pub fn from_version(version: i16) -> Result<Self> {
        Self::PREFERENCE
            .into_iter()
            .find(|mode| mode.version() == version)
            .ok_or_else(|| Error::protocol(format!("unknown Connect protocol version {version}")))
    }

    /// The protocols this mode offers, most preferred first (the broker's vote depends on it).
    pub fn offered(self) -> &'static [ConnectProtocol] {
        let all = &Self::PREFERENCE;
        match self {
            ConnectProtocol::Sessioned => all,
            ConnectProtocol::Compatible => &all[1..],
            ConnectProtocol::Eager => &all[2..],
        }
    }

    /// JoinGroup's `protocols[]`: each offered protocol's name with `metadata` encoded at its version.
    pub fn join_group_protocols(self, metadata: &WorkerMetadata) -> Result<Vec<(&'static str, Vec<u8>)>> {
        self.offered().iter().map(|mode| Ok((mode.protocol(), metadata.encode(mode.version())?))).collect()
    }
}

impl fmt::Display for ConnectProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.config_value())
    }
}

impl FromStr for ConnectProtocol {
    type Err = Error;

    fn from_str(value: &str) -> Result<Self> {
        Self::parse(value)
    }
}

/// The version of the protocol the broker selected (`sessioned` → 2, `compatible` → 1, `default` → 0).
pub fn selected_protocol_version(name: &str) -> Result<i16> {
    ConnectProtocol::from_protocol(name).map(ConnectProtocol::version)
}

/// A task's id as the protocol carries it: its connector and its index (Java's `ConnectorTaskId`).
/// Ordered by connector then task, as Java's `compareTo` (the assignors sort by it).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectorTaskId {
    pub connector: String,
    pub task: u32,
}

impl ConnectorTaskId {
    pub fn new(connector: impl Into<String>, task: u32) -> Self {
        ConnectorTaskId { connector: connector.into(), task }
    }
}

impl fmt::Display for ConnectorTaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.connector, self.task)
    }
}

/// An assignment's error code (`ConnectProtocol.Assignment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AssignmentError {
    #[default]
    NoError,
    /// The leader's config snapshot is behind a member's: everybody reads the config topic to the
    /// end and rejoins.
    ConfigMismatch,
    /// A code this version does not know; kept so that decoding loses nothing. Counts as failed.
    Unknown(i16),
}

impl AssignmentError {
    pub fn code(self) -> i16 {
        match self {
            AssignmentError::NoError => 0,
            AssignmentError::ConfigMismatch => 1,
            AssignmentError::Unknown(code) => code,
        }
    }

    pub fn from_code(code: i16) -> Self {
        match code {
            0 => AssignmentError::NoError,
            1 => AssignmentError::ConfigMismatch,
            other => AssignmentError::Unknown(other),
        }
    }
}

/// What the leader tells one member in SyncGroup (Java's `ExtendedAssignment`; v0 is
/// `ConnectProtocol.Assignment`). Under the cooperative protocols it is a delta: what to start,
/// what to stop, and after how long to rejoin.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Assignment {
    /// Version of the selected protocol; the encoding writes it as the header.
    pub version: i16,
    pub error: AssignmentError,
    /// The leader's member id.
    pub leader: String,
    /// The leader's advertised REST URL (where writes are forwarded).
    pub leader_url: String,
    /// The config-topic offset the assignment was computed at; a worker starts work only there.
    pub config_offset: i64,
    pub connectors: Vec<String>,
    pub tasks: Vec<ConnectorTaskId>,
    /// v1+: connectors to stop (dropped by the v0 encoding).
    pub revoked_connectors: Vec<String>,
    /// v1+: tasks to stop (dropped by the v0 encoding).
    pub revoked_tasks: Vec<ConnectorTaskId>,
    /// v1+: rejoin after this many ms (0 = no scheduled rebalance).
    pub delay_ms: i32,
}

impl Assignment {
    /// Whether the leader could not compute an assignment (any error code but 0).
    pub fn failed(&self) -> bool {
        self.error != AssignmentError::NoError
    }

    /// Encodes with `self.version` as the header: v0 writes no revocations and no delay.
    pub fn encode(&self) -> Result<Vec<u8>> {
        self.encode_as(self.version)
    }

    /// Encodes with `version` as the header (a metadata blob embeds the current assignment under
    /// the metadata's own version, as Java's `serializeMetadata` does).
    fn encode_as(&self, version: i16) -> Result<Vec<u8>> {
        let mut out = Writer::default();
        out.i16(version);
        out.i16(self.error.code());
        out.string("leader", &self.leader)?;
        out.string("leader-url", &self.leader_url)?;
        out.i64(self.config_offset);
        out.entries(&self.connectors, &self.tasks)?;
        if version >= CONNECT_PROTOCOL_V1 {
            out.entries(&self.revoked_connectors, &self.revoked_tasks)?;
            out.i32(self.delay_ms);
        }
        Ok(out.0)
    }

    /// Decodes any version with Java's v1 reader (v0 bytes simply end before the revocations).
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut reader = Reader::new(bytes);
        let version = reader.version()?;
        let error = AssignmentError::from_code(reader.i16("error")?);
        let leader = reader.string("leader")?;
        let leader_url = reader.string("leader-url")?;
        let config_offset = reader.i64("config-offset")?;
        let (connectors, tasks) = reader.optional_entries("assignment")?;
        let (revoked_connectors, revoked_tasks) = reader.optional_entries("revoked")?;
        let delay_ms = if reader.has_remaining() { reader.i32("delay")? } else { 0 };
        Ok(Assignment {
            version,
            error,
            leader,
            leader_url,
            config_offset,
            connectors,
            tasks,
            revoked_connectors,
            revoked_tasks,
            delay_ms,
        })
    }
}

/// What a worker says about itself in JoinGroup (Java's `ExtendedWorkerState`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkerMetadata {
    /// The worker's advertised REST URL.
    pub url: String,
    /// The next offset it would read in the config topic.
    pub config_offset: i64,
    /// v1+: everything it runs now, as a complete assignment; `None` before its first assignment
    /// (encoded as null bytes). v0 drops it.
    pub allocation: Option<Assignment>,
}

impl WorkerMetadata {
    /// Encodes as metadata `version` (0, 1 or 2); from v1 the allocation is embedded under the same
    /// version header, whatever version it was received with.
    pub fn encode(&self, version: i16) -> Result<Vec<u8>> {
        let mut out = Writer::default();
        out.i16(version);
        out.string("url", &self.url)?;
        out.i64(self.config_offset);
        if version >= CONNECT_PROTOCOL_V1 {
            match &self.allocation {
                None => out.i32(-1),
                Some(assignment) => {
                    let bytes = assignment.encode_as(version)?;
                    out.i32(len_i32("allocation", bytes.len())?);
                    out.0.extend_from_slice(&bytes);
                }
            }
        }
        Ok(out.0)
    }

    /// Decodes any version with Java's v1 reader (v0 bytes end before the allocation).
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut reader = Reader::new(bytes);
        reader.version()?;
        let url = reader.string("url")?;
        let config_offset = reader.i64("config-offset")?;
        let allocation = match reader.has_remaining() {
            true => reader.nullable_bytes("allocation")?.map(Assignment::decode).transpose()?,
            false => None,
        };
        Ok(WorkerMetadata { url, config_offset, allocation })
    }

    /// The version header of encoded metadata (or of an assignment: same header).
    pub fn version_of(bytes: &[u8]) -> Result<i16> {
        Reader::new(bytes).version()
    }
}

fn len_i32(field: &str, len: usize) -> Result<i32> {
    i32::try_from(len).map_err(|_| Error::protocol(format!("field '{field}' is too long to encode ({len} entries)")))
}

/// Big-endian writer of Kafka's protocol types.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn i16(&mut self, value: i16) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }

    fn i32(&mut self, value: i32) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }

    fn i64(&mut self, value: i64) {
        self.0.extend_from_slice(&value.to_be_bytes());
    }

    /// `STRING`: int16 length, as Java refuses anything longer than `Short.MAX_VALUE` bytes.
    fn string(&mut self, field: &str, value: &str) -> Result<()> {
        let len = i16::try_from(value.len()).map_err(|_| {
            Error::protocol(format!("field '{field}' is {} bytes, longer than a protocol string allows", value.len()))
        })?;
        self.i16(len);
        self.0.extend_from_slice(value.as_bytes());
        Ok(())
    }

    /// An array of `{connector, tasks[]}` grouped by connector: each connector once with
    /// `CONNECTOR_TASK` first, then each task under its connector, entries in order of first
    /// appearance (Java's `asMap`/`revokedAsMap`; only the order of entries can differ from Java's).
    fn entries(&mut self, connectors: &[String], tasks: &[ConnectorTaskId]) -> Result<()> {
        fn slot<'e, 'n>(entries: &'e mut Vec<(&'n str, Vec<i32>)>, connector: &'n str) -> &'e mut Vec<i32> {
            let index = match entries.iter().position(|(name, _)| *name == connector) {
                Some(index) => index,
                None => {
                    entries.push((connector, Vec::new()));
                    entries.len() - 1
                }
            };
            &mut entries[index].1
        }
        let mut entries: Vec<(&str, Vec<i32>)> = Vec::new();
        for connector in connectors {
            let list = slot(&mut entries, connector);
            // A connector listed twice is still one Connector instance.
            if !list.contains(&CONNECTOR_TASK) {
                list.push(CONNECTOR_TASK);
            }
        }
        for task in tasks {
            let number = i32::try_from(task.task)
                .map_err(|_| Error::protocol(format!("task number {} does not fit a protocol INT32", task.task)))?;
            slot(&mut entries, &task.connector).push(number);
        }
        self.i32(len_i32("assignment", entries.len())?);
        for (connector, tasks) in entries {
            self.string("connector", connector)?;
            self.i32(len_i32("tasks", tasks.len())?);
            for task in tasks {
                self.i32(task);
            }
        }
        Ok(())
    }
}

/// Reader of Kafka's protocol types; errors name the field, as Java's `SchemaException` does.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    fn has_remaining(&self) -> bool {
        self.pos < self.bytes.len()
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, field: &str, len: usize) -> Result<&'a [u8]> {
        if self.remaining() < len {
            return Err(Error::protocol(format!(
                "error reading field '{field}': {len} bytes needed, {} available",
                self.remaining()
            )));
        }
        let slice = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, field: &str) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(field, N)?);
        Ok(out)
    }

    fn i16(&mut self, field: &str) -> Result<i16> {
        Ok(i16::from_be_bytes(self.array(field)?))
    }

    fn i32(&mut self, field: &str) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array(field)?))
    }

    fn i64(&mut self, field: &str) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array(field)?))
    }

    /// The header: any version from 0 up is accepted and read as v1 (`checkVersionCompatibility`).
    fn version(&mut self) -> Result<i16> {
        let version = self.i16("version")?;
        if version < CONNECT_PROTOCOL_V0 {
            return Err(Error::protocol(format!("unsupported subscription version: {version}")));
        }
        Ok(version)
    }

    fn string(&mut self, field: &str) -> Result<String> {
        let len = self.i16(field)?;
        let len = usize::try_from(len)
            .map_err(|_| Error::protocol(format!("error reading field '{field}': string length {len} is negative")))?;
        let bytes = self.take(field, len)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| Error::protocol(format!("error reading field '{field}': the string is not UTF-8")))
    }

    /// `NULLABLE_BYTES`: a negative length is null.
    fn nullable_bytes(&mut self, field: &str) -> Result<Option<&'a [u8]>> {
        let len = self.i32(field)?;
        match usize::try_from(len) {
            Err(_) => Ok(None),
            Ok(len) => self.take(field, len).map(Some),
        }
    }

    /// An array's count: negative is null when `nullable`, else an error; a count larger than the
    /// bytes left is refused before anything is allocated.
    fn count(&mut self, field: &str, nullable: bool) -> Result<Option<usize>> {
        let count = self.i32(field)?;
        match usize::try_from(count) {
            Err(_) if nullable => Ok(None),
            Err(_) => Err(Error::protocol(format!("error reading field '{field}': array size {count} is negative"))),
            Ok(count) if count > self.remaining() => Err(Error::protocol(format!(
                "error reading field '{field}': array of size {count}, only {} bytes available",
                self.remaining()
            ))),
            Ok(count) => Ok(Some(count)),
        }
    }

    /// A nullable (and, at the end of the bytes, missing) array of connector entries, split into
    /// connectors (task `-1`) and tasks. Null and missing both mean empty.
    fn optional_entries(&mut self, field: &str) -> Result<(Vec<String>, Vec<ConnectorTaskId>)> {
        let mut connectors = Vec::new();
        let mut tasks = Vec::new();
        if !self.has_remaining() {
            return Ok((connectors, tasks));
        }
        let Some(count) = self.count(field, true)? else { return Ok((connectors, tasks)) };
        for _ in 0..count {
            let connector = self.string("connector")?;
            let task_count = self.count("tasks", false)?.unwrap_or_default();
            for _ in 0..task_count {
                match self.i32("tasks")? {
                    CONNECTOR_TASK => connectors.push(connector.clone()),
                    task => {
                        let task = u32::try_from(task).map_err(|_| {
                            Error::protocol(format!("invalid task number {task} for connector {connector:?}"))
                        })?;
                        tasks.push(ConnectorTaskId { connector: connector.clone(), task });
                    }
                }
            }
        }
        Ok((connectors, tasks))
    }
}

#[cfg(test)]
mod tests;
