"""The classes connector authors subclass: Kafka Connect's ``Connector``, ``SourceConnector``,
``SourceTask``, ``SinkConnector`` and ``SinkTask``, in Python style.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from ferroconnect._awaitables import is_awaitable
from ferroconnect._core import SinkRecord, SourceBatch, SourceRecord
from ferroconnect.config import ConfigDef

if TYPE_CHECKING:
    from ferroconnect._core import ConnectorContext, SinkTaskContext, SourceTaskContext
    from ferroconnect._plugins import RecordMetadata


class Connector:
    """Base of every connector: takes the connector's config and splits its job into task configs.

    Subclass :class:`SourceConnector` (or ``SinkConnector``), not this class. The runtime sets
    :attr:`context` before calling :meth:`start`.

    Attributes:
        config_def: The connector's own config keys; used by :meth:`config` and :meth:`validate`.
        context: Lets the connector ask for task reconfiguration or report a failure.
    """

    _ferroconnect_kind: ClassVar[str] = ""
    config_def: ClassVar[ConfigDef] = ConfigDef()
    context: ConnectorContext

    def version(self) -> str:
        """The connector's version, shown by the REST API."""
        return "unknown"

    def start(self, config: dict[str, str]) -> None:
        """Starts the connector with its config (string values, as given by the user)."""

    def task_class(self) -> type[Any]:
        """The task class this connector's tasks are instances of."""
        raise NotImplementedError("connectors must implement task_class()")

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        """Configs for at most ``max_tasks`` tasks: one dict per task to run."""
        raise NotImplementedError("connectors must implement task_configs(max_tasks)")

    def stop(self) -> None:
        """Stops the connector; release what :meth:`start` acquired."""

    def config(self) -> ConfigDef:
        """The connector's config definition (by default :attr:`config_def`)."""
        return self.config_def

    def validate(self, config: dict[str, str]) -> dict[str, list[str]]:
        """Checks a config against :meth:`config`; returns error messages by key (empty: valid)."""
        return self.config().validate(config)


class ExactlyOnceSupport(enum.Enum):
    """A source connector's answer to :meth:`SourceConnector.exactly_once_support` (Kafka's
    ``ExactlyOnceSupport``)."""

    SUPPORTED = "SUPPORTED"
    UNSUPPORTED = "UNSUPPORTED"


class ConnectorTransactionBoundaries(enum.Enum):
    """A source connector's answer to :meth:`SourceConnector.can_define_transaction_boundaries`
    (Kafka's ``ConnectorTransactionBoundaries``)."""

    SUPPORTED = "SUPPORTED"
    UNSUPPORTED = "UNSUPPORTED"


class SourceConnector(Connector):
    """A connector that copies data from an external system into Kafka."""

    _ferroconnect_kind: ClassVar[str] = "source"

    def exactly_once_support(self, config: dict[str, str]) -> ExactlyOnceSupport | None:
        """Whether the connector's tasks give exactly-once delivery with this config (KIP-618).

        Asked when a connector with ``exactly.once.support=required`` is validated or created on
        a worker of a cluster with ``exactly.once.source.support=enabled``: anything but
        ``SUPPORTED`` refuses it. A task supports exactly once when what it polls depends only on
        the source offsets it reads back at start (records and offsets are committed together).

        Returns:
            ``ExactlyOnceSupport.SUPPORTED`` or ``UNSUPPORTED``; None (the default) when the
            connector does not say.
        """
        return None

    def can_define_transaction_boundaries(self, config: dict[str, str]) -> ConnectorTransactionBoundaries:
        """Whether the connector's tasks define their own transaction boundaries with this config
        (``transaction.boundary=connector``), through ``self.context.transaction_context``.

        Returns:
            ``ConnectorTransactionBoundaries.SUPPORTED`` or ``UNSUPPORTED`` (the default).
        """
        return ConnectorTransactionBoundaries.UNSUPPORTED

    def alter_offsets(self, config: dict[str, str], offsets: list[tuple[dict[str, Any], Any]]) -> bool:
        """Called before offsets are altered or reset over REST (the connector is STOPPED).

        Args:
            config: The connector's config.
            offsets: ``(source partition, source offset)`` pairs; an offset of None resets its
                partition.

        Returns:
            True if the connector also changed offsets it keeps in its own system (the REST
            answer then says so); False by default.

        Raises:
            Exception: Refuses the change; the REST request fails with the message.
        """
        return False


class SourceTask:
    """A source task: :meth:`poll` returns batches of :class:`SourceRecord` or a :class:`SourceBatch`.

    The runtime runs each task on its own thread and calls :meth:`poll` in a loop, one batch ahead
    of the sending: while a batch is converted and sent (on a thread of the runtime's), ``poll``
    makes the next. :meth:`start`, :meth:`poll`, :meth:`commit` and :meth:`commit_record` are all
    called on the task's own thread. :meth:`stop` is called from another thread and must make a
    blocked :meth:`poll` return. ``poll``, ``start``,
    ``commit`` and ``stop`` may be ``async def``: they then run on an asyncio loop owned by the
    task's thread.

    Attributes:
        context: The task's config and an offset reader (``context.offset_storage_reader``).
    """

    context: SourceTaskContext

    def version(self) -> str:
        """The task's version."""
        return "unknown"

    def start(self, config: dict[str, str]) -> None:
        """Starts the task with one of the configs its connector's ``task_configs`` returned.

        If it raises, the task is FAILED with that exception's traceback, and :meth:`stop` is
        still called later (when the task is stopped, restarted or deleted), as in Kafka Connect,
        so that it can release whatever ``start`` acquired before failing.
        """

    def poll(self) -> list[SourceRecord] | SourceBatch | None:
        """The next records, or None when there are none yet. May block briefly.

        A :class:`SourceBatch` (records of one source partition and topic, given as a list of
        values and a list of offsets) may be returned instead of a list: the same records, with
        no Python object built per record. With a STRUCT ``value_schema``, each value may be the
        row itself, a tuple of the field values in the schema's order (or a dict by field name),
        instead of a :class:`Struct`: converted by the schema with the checks of ``Struct.put``.
        """
        raise NotImplementedError("source tasks must implement poll()")

    def commit(self) -> None:
        """Called after the offsets of acknowledged records were committed."""

    def commit_record(self, record: SourceRecord, metadata: RecordMetadata | None) -> None:
        """Called for each record Kafka acknowledged, with where it was stored.

        ``metadata`` is None for a record skipped under ``errors.tolerance=all`` (a converter or
        Kafka refused it), as Kafka Connect calls ``commitRecord(record, null)``. Records are kept
        for this call only when a task overrides it.
        """

    def stop(self) -> None:
        """Signals the task to stop; called from another thread while ``poll`` may be blocked.

        Also called after a :meth:`start` that raised, on a half-started task: use only what
        ``start`` is sure to have set (e.g. ``getattr(self, "conn", None)``). If ``stop`` raises
        then, that error is logged at INFO as secondary; the task's status keeps the ``start``
        error. A ``stop`` still running after ``task.shutdown.graceful.timeout.ms`` is abandoned.
        """


class SinkConnector(Connector):
    """A connector that copies data from Kafka topics into an external system.

    Its config names the topics with ``topics`` (a comma-separated list) or ``topics.regex``.
    """

    _ferroconnect_kind: ClassVar[str] = "sink"

    def alter_offsets(self, config: dict[str, str], offsets: list[tuple[dict[str, Any], Any]]) -> bool:
        """Called before the consumer group's offsets are altered or reset over REST (the connector
        is STOPPED).

        Args:
            config: The connector's config.
            offsets: ``({"kafka_topic": t, "kafka_partition": p}, {"kafka_offset": o})`` pairs; an
                offset of None resets its partition.

        Returns:
            True if the connector also changed offsets it keeps in its own system; False by default.

        Raises:
            Exception: Refuses the change; the REST request fails with the message.
        """
        return False


class TopicPartition(NamedTuple):
    """A topic and one of its partitions (Kafka's ``TopicPartition``); hashable, usable as a key."""

    topic: str
    partition: int


class SinkTask:
    """A sink task: the runtime hands it batches of :class:`SinkRecord` through :meth:`put`.

    Every method is called from the task's own thread. Consumer offsets are committed only for
    what :meth:`pre_commit` returns (by default: :meth:`flush`, then every offset :meth:`put`
    received), every ``offset.flush.interval.ms``, before partitions are taken away and on a
    graceful stop. ``put`` and ``flush`` (and the others) may be ``async def``.

    Raise :class:`~ferroconnect.RetriableError` from ``put`` to have the same batch handed again
    after ``context.timeout(ms)``; any other exception fails the task with its traceback.

    Attributes:
        context: Assignment, pause/resume, rewinds, commit requests and the errant record reporter.
    """

    context: SinkTaskContext

    def version(self) -> str:
        """The task's version."""
        return "unknown"

    def start(self, config: dict[str, str]) -> None:
        """Starts the task with one of the configs its connector's ``task_configs`` returned.

        If it raises, the task is FAILED with that exception's traceback and :meth:`stop` is
        called right away, as in Kafka Connect, so that it can release whatever ``start``
        acquired before failing.
        """

    def open(self, partitions: list[TopicPartition]) -> None:
        """Partitions newly assigned to this task; records of them follow."""

    def put(self, records: list[SinkRecord]) -> None:
        """Writes a batch (possibly empty) to the external system, or buffers it until :meth:`flush`."""
        raise NotImplementedError("sink tasks must implement put(records)")

    def flush(self, current_offsets: dict[TopicPartition, int]) -> None:
        """Makes everything :meth:`put` received durable (``current_offsets``: next offset per partition)."""

    def pre_commit(self, current_offsets: dict[TopicPartition, int]) -> dict[TopicPartition, int] | None:
        """The offsets that may be committed: by default, :meth:`flush` then ``current_offsets``.

        Return fewer (or smaller) offsets to commit only what is durable; None or ``{}`` skips
        this commit. Offsets beyond what :meth:`put` received are ignored.
        """
        result: Any = self.flush(current_offsets)  # type: ignore[func-returns-value]
        if is_awaitable(result):
            # An ``async def flush`` with the default pre_commit: awaited on the task's loop.
            awaiting: Any = _AwaitThen(result, current_offsets)
            return awaiting  # type: ignore[no-any-return]
        return current_offsets

    def close(self, partitions: list[TopicPartition]) -> None:
        """Partitions taken from this task (their offsets were committed first); release their resources."""

    def stop(self) -> None:
        """Called last, after the partitions were closed, on the task's own thread.

        Also called after a :meth:`start` that raised, on a half-started task: use only what
        ``start`` is sure to have set. If ``stop`` raises then, that error is logged at INFO as
        secondary; the task's status keeps the ``start`` error.
        """


class _AwaitThen:
    """Awaits a coroutine, then gives a value (an ``async def flush`` under the default pre_commit)."""

    def __init__(self, awaitable: Any, value: Any) -> None:
        self._awaitable = awaitable
        self._value = value

    def __await__(self) -> Any:
        yield from self._awaitable.__await__()
        return self._value


__all__ = [
    "Connector",
    "SinkConnector",
    "SinkRecord",
    "SinkTask",
    "SourceBatch",
    "SourceConnector",
    "SourceRecord",
    "SourceTask",
    "TopicPartition",
]
