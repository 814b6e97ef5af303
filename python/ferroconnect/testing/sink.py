"""A sink task run as the runtime runs it, without a worker or a broker.

The harness gives the task the runtime's own ``SinkTaskContext``; what the task asks through it
(pause, resume, rewinds, timeouts, commit requests, errant-record reports) is recorded on the
harness. It plays the consumer's part: partitions are assigned (``open``) and revoked (commit,
then ``close``), ``put`` advances the current offsets, and a commit keeps what ``pre_commit``
returns, never beyond what ``put`` received, as the runtime does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from ferroconnect import _core
from ferroconnect._core import SinkRecord
from ferroconnect._plugins import AsyncRunner
from ferroconnect.connector import SinkTask, TopicPartition
from ferroconnect.errors import ConnectError, DataError

PartitionLike = TopicPartition | tuple[str, int]


@dataclass(frozen=True)
class ErrantReport:
    """One record the task reported through ``context.errant_record_reporter()``."""

    record: SinkRecord | None
    """The record reported (None if it was not one the harness fed)."""
    topic: str
    partition: int
    offset: int
    error_class: str
    """The exception's ``module.QualifiedName``."""
    message: str
    trace: str


@dataclass
class SinkContextLog:
    """What the task asked of its context, in the order it asked."""

    paused: set[TopicPartition] = field(default_factory=set)
    """Partitions paused now."""
    rewinds: list[dict[TopicPartition, int]] = field(default_factory=list)
    """Each ``context.offset(...)`` call."""
    timeouts_ms: list[int] = field(default_factory=list)
    """Each ``context.timeout(ms)`` call."""
    commit_requests: int = 0
    """How many times ``context.request_commit()`` was called."""


def sink_record(
    topic: str,
    partition: int,
    offset: int,
    value: Any,
    key: Any = None,
    *,
    value_schema: Any = None,
    key_schema: Any = None,
    timestamp: int | None = None,
    headers: Any = None,
) -> SinkRecord:
    """A record as a converter would hand it to a task (values already Connect data)."""
    timestamp_type = "NoTimestampType" if timestamp is None else "CreateTime"
    return SinkRecord(
        topic, partition, key_schema, key, value_schema, value, offset, timestamp, timestamp_type, headers
    )


class SinkTaskHarness:
    """Runs one sink task: start, assign, put, flush, commit, revoke, stop.

    Example:
        >>> with SinkTaskHarness(MyTask, {"topics": "t"}) as harness:   # doctest: +SKIP
        ...     harness.open([("t", 0)])
        ...     harness.put([sink_record("t", 0, 0, "hello")])
        ...     assert harness.commit() == {TopicPartition("t", 0): 1}

    Attributes:
        task: The task instance.
        config: The task's config, as ``start`` receives it.
        assignment: The partitions assigned now.
        current_offsets: Next offset per partition, after what ``put`` received.
        committed: The offsets committed so far (what the consumer group would hold).
        reports: Errant-record reports, in order.
        context_log: Pauses, rewinds, timeouts and commit requests the task made.
    """

    def __init__(
        self,
        task: type[SinkTask] | SinkTask,
        config: Mapping[str, str],
        *,
        errant_record_reporter: bool | None = None,
    ) -> None:
        """Prepares a task; :meth:`start` (or ``with``) starts it.

        Args:
            task: The task class (a new instance is made) or an instance not yet started.
            config: The task's config (string values).
            errant_record_reporter: Whether ``context.errant_record_reporter()`` gives a reporter;
                by default as the runtime decides, when ``errors.deadletterqueue.topic.name`` is
                set or ``errors.log.enable`` is true.
        """
        self.task: SinkTask = task() if isinstance(task, type) else task
        self.config = {str(k): str(v) for k, v in config.items()}
        if errant_record_reporter is None:
            errant_record_reporter = bool(
                self.config.get("errors.deadletterqueue.topic.name", "").strip()
            ) or (self.config.get("errors.log.enable", "false").strip().lower() == "true")
        self._reporter = errant_record_reporter
        self.assignment: list[TopicPartition] = []
        self.current_offsets: dict[TopicPartition, int] = {}
        self.committed: dict[TopicPartition, int] = {}
        self.reports: list[ErrantReport] = []
        self.context_log = SinkContextLog()
        self._fed: dict[tuple[str, int, int], SinkRecord] = {}
        self._runner = AsyncRunner(self.task)
        self._started = self._stopped = False

    def start(self) -> SinkTaskHarness:
        """Sets the task's context and calls ``start(config)``; returns self."""
        self.task.context = _core.sink_task_context(self.config, _Control(self))
        self._started = True
        self._call(self.task.start, dict(self.config))
        return self

    def open(self, partitions: Iterable[PartitionLike]) -> None:
        """Assigns partitions (those not yet assigned) and calls ``open`` with them."""
        added = [tp for tp in map(_partition, partitions) if tp not in self.assignment]
        self.assignment.extend(added)
        self._call(self.task.open, added)

    def close(self, partitions: Iterable[PartitionLike]) -> dict[TopicPartition, int]:
        """Revokes partitions as a rebalance does: commits them (``pre_commit``), then ``close``.

        Returns:
            The offsets committed for them.
        """
        revoked = [tp for tp in map(_partition, partitions) if tp in self.assignment]
        committed = self.commit(revoked)
        self._call(self.task.close, revoked)
        self.assignment = [tp for tp in self.assignment if tp not in revoked]
        for tp in revoked:
            self.current_offsets.pop(tp, None)
            self.context_log.paused.discard(tp)
        return committed

    def put(self, records: Iterable[SinkRecord]) -> None:
        """Hands a batch to ``put`` (an empty one too, as the runtime does) and advances the
        current offsets.

        Raises:
            ValueError: A record of a partition not assigned (the runtime never hands one).
            ConnectError: ``put`` reported an errant record and ``errors.tolerance`` is not ``all``
                (the runtime then fails the task).
        """
        batch = list(records)
        for record in batch:
            tp = TopicPartition(record.topic, record.kafka_partition)
            if tp not in self.assignment:
                raise ValueError(
                    f"record of {tp} given to put(), but that partition is not assigned: open() it"
                )
        for record in batch:
            # Known before put(), which may report them.
            self._fed[(record.topic, record.kafka_partition, record.kafka_offset)] = record
        reported = len(self.reports)
        self._call(self.task.put, batch)
        if (
            len(self.reports) > reported
            and self.config.get("errors.tolerance", "none").strip().lower() != "all"
        ):
            # As the runtime: a report beyond errors.tolerance fails the task once put() returns.
            first = self.reports[reported]
            raise ConnectError(
                "Tolerance exceeded in error handler: put() reported "
                f"{first.topic}-{first.partition}@{first.offset} ({first.error_class}: {first.message}) "
                "under errors.tolerance=none; the runtime fails the task"
            )
        for record in batch:
            self.current_offsets[TopicPartition(record.topic, record.kafka_partition)] = (
                record.kafka_offset + 1
            )

    def flush(self) -> None:
        """Calls ``flush(current_offsets)``."""
        self._call(self.task.flush, dict(self.current_offsets))

    def pre_commit(self) -> dict[TopicPartition, int] | None:
        """Calls ``pre_commit(current_offsets)`` and returns what it gave, unchanged."""
        result: dict[TopicPartition, int] | None = self._call(
            self.task.pre_commit, dict(self.current_offsets)
        )
        return result

    def commit(self, partitions: Iterable[PartitionLike] | None = None) -> dict[TopicPartition, int]:
        """An offset commit as the runtime makes it: ``pre_commit`` with the current offsets, and
        of its answer, what the consumer would commit: offsets of assigned partitions (of
        ``partitions`` if given), at most the current offset.

        Returns:
            The offsets committed now (also merged into :attr:`committed`).

        Raises:
            DataError: ``pre_commit`` returned something other than a dict of partition to offset or None.
        """
        wanted = None if partitions is None else {_partition(p) for p in partitions}
        current = {tp: o for tp, o in self.current_offsets.items() if wanted is None or tp in wanted}
        answer = self._call(self.task.pre_commit, current)
        if answer is None:
            return {}
        if not isinstance(answer, dict):
            raise DataError("pre_commit() must return a dict of TopicPartition to offset, or None")
        accepted: dict[TopicPartition, int] = {}
        for tp_like, offset in answer.items():
            tp = _partition(tp_like)
            if tp in current and isinstance(offset, int) and 0 <= offset <= current[tp]:
                accepted[tp] = offset
        self.committed.update(accepted)
        return accepted

    def stop(self) -> None:
        """A graceful stop, as the runtime's: every assigned partition is committed and closed,
        then ``stop()`` is called."""
        if self._started and not self._stopped:
            try:
                self.close(list(self.assignment))
                self._call(self.task.stop)
            finally:
                self._stopped = True

    def _call(self, method: Any, *args: Any) -> Any:
        if not self._started or self._stopped:
            raise RuntimeError(
                "the sink task is not running: call start() or use the harness in a with block"
            )
        result = method(*args)
        return None if result is None else self._runner.resolve(result)

    def __enter__(self) -> SinkTaskHarness:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _Control:
    """The harness side of the runtime's ``SinkTaskContext`` (called from the compiled context)."""

    def __init__(self, harness: SinkTaskHarness) -> None:
        self._harness = harness

    def assignment(self) -> list[TopicPartition]:
        return list(self._harness.assignment)

    def pause(self, partitions: list[TopicPartition]) -> None:
        self._harness.context_log.paused.update(map(_partition, partitions))

    def resume(self, partitions: list[TopicPartition]) -> None:
        self._harness.context_log.paused.difference_update(map(_partition, partitions))

    def offset(self, offsets: dict[TopicPartition, int]) -> None:
        self._harness.context_log.rewinds.append({_partition(tp): o for tp, o in offsets.items()})

    def timeout(self, timeout_ms: int) -> None:
        self._harness.context_log.timeouts_ms.append(timeout_ms)

    def request_commit(self) -> None:
        self._harness.context_log.commit_requests += 1

    def reports_errors(self) -> bool:
        return self._harness._reporter

    def report(self, place: tuple[str, int, int], error_class: str, message: str, trace: str) -> None:
        record = self._harness._fed.get(place)
        self._harness.reports.append(ErrantReport(record, *place, error_class, message, trace))


def _partition(value: PartitionLike) -> TopicPartition:
    topic, partition = value
    return TopicPartition(topic, partition)
