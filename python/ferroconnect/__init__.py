"""ferroconnect: Kafka Connect with a Rust core and a Python connector API.

Write source and sink connectors as Python classes; the native runtime does the Kafka I/O, offset
commits, converters and task management.
"""

from ferroconnect._core import __version__
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

__all__ = [
    "ConfigError",
    "ConflictError",
    "ConnectError",
    "DataError",
    "EmbeddedKafka",
    "KafkaError",
    "NotFoundError",
    "RetriableError",
    "__version__",
]
