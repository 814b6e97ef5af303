"""ferroconnect: Kafka Connect with a Rust core and a Python connector API.

Write source and sink connectors as Python classes; the native runtime does the Kafka I/O, offset
commits, converters and task management.
"""

from ferroconnect._core import (
    ConnectorContext,
    OffsetStorageReader,
    SourceRecord,
    SourceTaskContext,
    __version__,
)
from ferroconnect._plugins import RecordMetadata
from ferroconnect.config import (
    ConfigDef,
    Importance,
    NonEmptyString,
    Password,
    Range,
    Type,
    ValidString,
    Width,
)
from ferroconnect.connector import Connector, SourceConnector, SourceTask
from ferroconnect.embedded import EmbeddedKafka
from ferroconnect.errors import (
    ConfigError,
    ConflictError,
    ConnectError,
    DataError,
    KafkaError,
    NotFoundError,
    RetriableError,
)
from ferroconnect.worker import ConnectorStatus, Worker

__all__ = [
    "ConfigDef",
    "ConfigError",
    "ConflictError",
    "ConnectError",
    "Connector",
    "ConnectorContext",
    "ConnectorStatus",
    "DataError",
    "EmbeddedKafka",
    "Importance",
    "KafkaError",
    "NonEmptyString",
    "NotFoundError",
    "OffsetStorageReader",
    "Password",
    "Range",
    "RecordMetadata",
    "RetriableError",
    "SourceConnector",
    "SourceRecord",
    "SourceTask",
    "SourceTaskContext",
    "Type",
    "ValidString",
    "Width",
    "Worker",
    "__version__",
]
