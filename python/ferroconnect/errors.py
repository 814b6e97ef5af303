"""ferroconnect's exception hierarchy, rooted at :class:`ConnectError`.

Raised by the runtime and available to connector code: raise :class:`RetriableError` from a task to
ask for the same work again later; any other exception fails the task with its traceback.
"""

from ferroconnect._core import (
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
    "KafkaError",
    "NotFoundError",
    "RetriableError",
]
