"""The classes connector authors subclass: Kafka Connect's ``Connector``, ``SourceConnector``,
``SourceTask`` (and, with the sink runtime, ``SinkConnector``/``SinkTask``), in Python style.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ferroconnect._core import SourceRecord
from ferroconnect.config import ConfigDef

if TYPE_CHECKING:
    from ferroconnect._core import ConnectorContext, SourceTaskContext
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


class SourceConnector(Connector):
    """A connector that copies data from an external system into Kafka."""

    _ferroconnect_kind: ClassVar[str] = "source"


class SourceTask:
    """A source task: :meth:`poll` returns batches of :class:`SourceRecord`.

    The runtime runs each task on its own thread and calls :meth:`poll` in a loop. :meth:`stop` is
    called from another thread and must make a blocked :meth:`poll` return. ``poll``, ``start``,
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
        """Starts the task with one of the configs its connector's ``task_configs`` returned."""

    def poll(self) -> list[SourceRecord] | None:
        """The next records, or None when there are none yet. May block briefly."""
        raise NotImplementedError("source tasks must implement poll()")

    def commit(self) -> None:
        """Called after the offsets of acknowledged records were committed."""

    def commit_record(self, record: SourceRecord, metadata: RecordMetadata) -> None:
        """Called for each record Kafka acknowledged, with where it was stored.

        Records are kept for this call only when a task overrides it.
        """

    def stop(self) -> None:
        """Signals the task to stop; called from another thread while ``poll`` may be blocked."""


__all__ = ["Connector", "SourceConnector", "SourceRecord", "SourceTask"]
