"""A source task run as the runtime runs it, without a worker or a broker.

The harness gives the task the runtime's own ``SourceTaskContext`` over offsets kept in memory,
converts each polled batch as the runtime does (what the runtime would fail the task for fails
here), plays Kafka's part by acknowledging records (``commit_record`` with where each landed),
commits offsets as the offset flush does (the newest offset of each source partition's acknowledged
prefix, then ``commit()``), and restarts a fresh task on what was committed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from ferroconnect import _core
from ferroconnect._core import SourceBatch, SourceRecord
from ferroconnect._plugins import AsyncRunner, RecordMetadata, overrides_commit_record
from ferroconnect.connector import SourceTask
from ferroconnect.errors import DataError


class SourceTaskHarness:
    """Runs one source task: start, poll, acknowledge, commit, stop, restart.

    Example:
        >>> with SourceTaskHarness(MyTask, {"topic": "t"}) as harness:   # doctest: +SKIP
        ...     records = harness.poll_until(10)
        ...     harness.ack()
        ...     harness.commit()
        ...     resumed = harness.restart()

    Attributes:
        task: The running task instance.
        config: The task's config, as ``start`` receives it.
        connector: The connector name offsets are stored under.
        offsets: Committed offsets (shared with the harnesses :meth:`restart` returns).
    """

    def __init__(
        self,
        task: type[SourceTask] | SourceTask,
        config: Mapping[str, str],
        *,
        connector: str = "test-connector",
        offsets: _core.MemoryOffsets | None = None,
    ) -> None:
        """Prepares a task; :meth:`start` (or ``with``) starts it.

        Args:
            task: The task class (a new instance is made) or an instance not yet started.
            config: The task's config (string values, as ``task_configs`` returns them).
            connector: The connector name offsets are kept under.
            offsets: Committed offsets to start from (another harness's :attr:`offsets`).
        """
        self.task: SourceTask = task() if isinstance(task, type) else task
        self.config = {str(k): str(v) for k, v in config.items()}
        self.connector = connector
        self.offsets = offsets if offsets is not None else _core.MemoryOffsets()
        self._runner = AsyncRunner(self.task)
        self._pending: list[_Submitted] = []
        self._kafka_offsets: dict[tuple[str, int], int] = {}
        self._started = self._stopped = False

    def start(self) -> SourceTaskHarness:
        """Sets the task's context and calls ``start(config)``, as the runtime does; returns self."""
        self.task.context = self.offsets.source_task_context(self.connector, self.config)
        self._started = True
        self._runner.call(self.task.start, (dict(self.config),))
        return self

    def poll(self) -> list[SourceRecord]:
        """One ``poll()``; its records (none for None; a ``SourceBatch`` as its ``records()``), kept
        for :meth:`ack`.

        Raises:
            DataError: The batch is one the runtime would fail the task for (not a list of
                ``SourceRecord`` or a ``SourceBatch``, a bad schema, an offset that is not JSON),
                or a record that a converter would refuse under ``errors.tolerance=none``.
        """
        self._require_running("poll")
        batch = self._runner.call(self.task.poll, ())
        if batch is None:
            return []
        refused = _core.convert_source_batch(batch)
        for index, problem in enumerate(refused):
            if problem is not None:
                stage, message = problem
                raise DataError(
                    f"record {index} of the batch returned by poll(): {stage} refused it: {message}"
                )
        # A SourceBatch stands for its records; the runtime too hands those to commit_record.
        records = batch.records() if isinstance(batch, SourceBatch) else list(batch)
        self._pending.extend(_Submitted(record) for record in records)
        return records

    def poll_until(self, count: int, timeout: float = 10.0) -> list[SourceRecord]:
        """Polls until at least ``count`` records came (all of them are returned).

        Raises:
            TimeoutError: Fewer records came within ``timeout`` seconds (the message says how many).
        """
        records: list[SourceRecord] = []
        deadline = time.monotonic() + timeout
        while len(records) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"poll() gave {len(records)} records in {timeout} s, {count} were expected"
                )
            records.extend(self.poll())
        return records

    def ack(self, records: Iterable[SourceRecord] | None = None) -> list[RecordMetadata]:
        """Acknowledges polled records as Kafka would (all not yet acknowledged by default).

        Each gets the next offset of its topic partition (partition 0 unless the record names
        one); the task's ``commit_record(record, metadata)`` is called for each, when the task
        overrides it, as the runtime does.

        Returns:
            Where each acknowledged record was "stored", in order.
        """
        wanted = None if records is None else {id(r) for r in records}
        acked: list[RecordMetadata] = []
        for submitted in self._pending:
            if submitted.acked or (wanted is not None and id(submitted.record) not in wanted):
                continue
            record = submitted.record
            place = (record.topic, record.kafka_partition or 0)
            offset = self._kafka_offsets.get(place, 0)
            self._kafka_offsets[place] = offset + 1
            timestamp = record.timestamp if record.timestamp is not None else int(time.time() * 1000)
            metadata = RecordMetadata(place[0], place[1], offset, timestamp)
            submitted.acked = True
            acked.append(metadata)
            if overrides_commit_record(self.task):
                self._runner.call(self.task.commit_record, (record, metadata))
        return acked

    def commit(self) -> list[tuple[Any, Any]]:
        """Commits offsets as the runtime's offset flush does, then calls the task's ``commit()``.

        For each source partition, the offset of the last record of its acknowledged prefix
        (records after one not yet acknowledged wait, as in Kafka Connect) is stored.

        Returns:
            The ``(source partition, source offset)`` pairs committed now.

        Raises:
            DataError: A partition or offset Kafka Connect's offset store cannot hold.
        """
        committed: dict[str, tuple[Any, Any]] = {}
        blocked: set[str] = set()
        kept: list[_Submitted] = []
        for submitted in self._pending:
            record = submitted.record
            key = _partition_key(record.source_partition)
            if key in blocked or not submitted.acked:
                blocked.add(key)
                kept.append(submitted)
            elif record.source_partition is not None and record.source_offset is not None:
                committed[key] = (record.source_partition, record.source_offset)
        self._pending = kept
        pairs = list(committed.values())
        if pairs:
            self.offsets.put(self.connector, pairs)
        self._runner.call(self.task.commit, ())
        return pairs

    @property
    def committed_offsets(self) -> list[tuple[Any, Any]]:
        """Every committed ``(source partition, source offset)``, as a task would read them back."""
        return self.offsets.all(self.connector)

    def stop(self) -> None:
        """Calls ``stop()`` as the runtime does (once; records not acknowledged are dropped)."""
        if self._started and not self._stopped:
            self._stopped = True
            self._runner.stop(self.task)

    def stop_during_poll(self, timeout: float = 5.0, settle: float = 0.2) -> bool:
        """Whether ``stop()``, called from another thread while ``poll()`` runs, makes it return in time.

        Polls in a loop on a thread of its own (as the runtime's task thread does); after
        ``settle`` seconds calls :meth:`stop` from this thread and waits ``timeout`` seconds
        (Kafka's ``task.shutdown.graceful.timeout.ms`` is 5 s) for the poll in progress to return.
        A poll still blocked is left running on its daemon thread.
        """
        self._require_running("stop_during_poll")
        stopping = threading.Event()

        def loop() -> None:
            while not stopping.is_set():
                try:
                    self._runner.call(self.task.poll, ())
                except Exception:
                    return  # a poll that fails after stop() is not this check's business

        thread = threading.Thread(target=loop, name="source-task-poll", daemon=True)
        thread.start()
        thread.join(settle)
        stopping.set()
        self.stop()
        thread.join(timeout)
        return not thread.is_alive()

    def restart(self, task: type[SourceTask] | SourceTask | None = None) -> SourceTaskHarness:
        """Stops this task and starts a fresh one (same class by default) on the committed offsets.

        Returns:
            The started harness of the new task (sharing :attr:`offsets`).
        """
        self.stop()
        fresh = task if task is not None else type(self.task)
        return SourceTaskHarness(fresh, self.config, connector=self.connector, offsets=self.offsets).start()

    def _require_running(self, what: str) -> None:
        if not self._started:
            raise RuntimeError(f"{what}() before start(): call start() or use the harness in a with block")
        if self._stopped:
            raise RuntimeError(f"{what}() after stop(): use restart() for a fresh task")

    def __enter__(self) -> SourceTaskHarness:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _Submitted:
    """A polled record and whether Kafka "acknowledged" it."""

    __slots__ = ("acked", "record")

    def __init__(self, record: SourceRecord) -> None:
        self.record = record
        self.acked = False


def _partition_key(partition: Any) -> str:
    """A source partition's identity: its JSON text (so ``{"p": 1}`` and ``{"p": 1.0}`` differ, as
    they do in Kafka's offset store)."""
    return json.dumps(partition, sort_keys=True, default=repr)
