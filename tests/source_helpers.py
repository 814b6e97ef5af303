"""Connectors used by the source-runtime tests, and helpers to read topics."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, ClassVar

import ferroconnect as fc
from ferroconnect import _core


def read_values(
    bootstrap: str, topic: str, count: int, timeout: float = 60.0, idle: float = 3.0
) -> list[str]:
    """Values of up to ``count`` records of ``topic`` (all partitions), as text."""
    records = _core.read_topic(bootstrap, topic, count, idle, timeout, {})
    return [r[4].decode() if r[4] is not None else "" for r in records]


def end_offset(bootstrap: str, topic: str) -> int:
    """The sum of ``topic``'s end offsets over its partitions (ListOffsets latest)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "end-offsets"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return sum(
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions
        )
    finally:
        consumer.close()


def create_topic(bootstrap: str, topic: str, partitions: int = 1) -> None:
    """Creates a topic with confluent-kafka's admin client (an unrelated client)."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(30)


def wait_until(predicate: Any, timeout: float = 30.0, what: str = "condition") -> None:
    """Polls ``predicate`` until true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


class CountingSource(fc.SourceConnector):
    """``tasks`` tasks (config key ``tasks``, changeable at run time), each counting up on its topic."""

    instances: ClassVar[list[CountingSource]] = []

    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)
        self.tasks = int(config.get("tasks", "1"))
        CountingSource.instances.append(self)

    def task_class(self) -> type[fc.SourceTask]:
        return CountingTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{**self.settings, "task.index": str(i)} for i in range(min(self.tasks, max_tasks))]

    def change_tasks_from_own_thread(self, tasks: int) -> None:
        """Like a connector watching its source: another thread of its own asks for a reconfiguration."""

        def change() -> None:
            self.tasks = tasks
            self.context.request_task_reconfiguration()

        threading.Thread(target=change).start()


class CountingTask(fc.SourceTask):
    """Emits ``n`` records per poll; raises in poll when ``fail.task`` equals its index and the
    class-level switch is on."""

    fail_switch = threading.Event()

    def start(self, config: dict[str, str]) -> None:
        self.index = int(config["task.index"])
        self.topic = config["topic"]
        self.fail_index = int(config.get("fail.task", "-1"))
        saved = self.context.offset_storage_reader.offset({"task": self.index})
        self.next = saved["n"] + 1 if saved else 0
        self.stopping = threading.Event()

    def poll(self) -> list[fc.SourceRecord] | None:
        if self.index == self.fail_index and CountingTask.fail_switch.is_set():
            raise ValueError(f"task {self.index} was told to fail")
        self.stopping.wait(0.01)
        batch = [
            fc.SourceRecord({"task": self.index}, {"n": n}, self.topic, value=f"{self.index}:{n}")
            for n in range(self.next, self.next + 10)
        ]
        self.next += 10
        return batch

    def stop(self) -> None:
        self.stopping.set()


class BlockingSource(fc.SourceConnector):
    """One task whose poll blocks until stop() is called."""

    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[fc.SourceTask]:
        return BlockingTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class BlockingTask(fc.SourceTask):
    """poll() waits up to a minute for stop()."""

    def start(self, config: dict[str, str]) -> None:
        self.stopped = threading.Event()

    def poll(self) -> list[fc.SourceRecord] | None:
        self.stopped.wait(60)
        return None

    def stop(self) -> None:
        self.stopped.set()


class AsyncSource(fc.SourceConnector):
    """One task with ``async def poll``."""

    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[fc.SourceTask]:
        return AsyncTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class AsyncTask(fc.SourceTask):
    """Sleeps with asyncio between batches."""

    async def start(self, config: dict[str, str]) -> None:  # type: ignore[override]
        self.topic = config["topic"]
        self.n = 0

    async def poll(self) -> list[fc.SourceRecord] | None:  # type: ignore[override]
        await asyncio.sleep(0.01)
        if self.n >= 100:
            await asyncio.sleep(1)
            return None
        batch = [
            fc.SourceRecord({"p": 0}, {"n": self.n + i}, self.topic, value=f"a{self.n + i}")
            for i in range(10)
        ]
        self.n += 10
        return batch


class HangingStopSource(fc.SourceConnector):
    """One task whose stop() hangs (up to ``stop.seconds``, 60 by default, or until
    ``HangingStopTask.release`` is set): a task Kafka Connect would abandon."""

    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[fc.SourceTask]:
        return HangingStopTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class HangingStopTask(fc.SourceTask):
    """poll() returns nothing every 50 ms; stop() blocks."""

    release = threading.Event()
    stop_calls = 0

    def start(self, config: dict[str, str]) -> None:
        self.seconds = float(config.get("stop.seconds", "60"))

    def poll(self) -> list[fc.SourceRecord] | None:
        time.sleep(0.05)
        return None

    def stop(self) -> None:
        HangingStopTask.stop_calls += 1
        HangingStopTask.release.wait(self.seconds)


class ScriptedSource(fc.SourceConnector):
    """One task that returns the batches of values in ``ScriptedSource.batches[config["script"]]``
    in turn (source partition ``{"p": 0}``, offsets ``{"n": 0}``, ``{"n": 1}``, ... across batches),
    then nothing. A ``(schema, value)`` pair is a value with its schema."""

    batches: ClassVar[dict[str, list[list[Any]]]] = {}

    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[fc.SourceTask]:
        return ScriptedTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class ScriptedTask(fc.SourceTask):
    def start(self, config: dict[str, str]) -> None:
        self.topic = config["topic"]
        self.left = list(ScriptedSource.batches[config["script"]])
        self.n = 0

    def poll(self) -> list[fc.SourceRecord] | None:
        if not self.left:
            time.sleep(0.05)
            return None
        batch = []
        for item in self.left.pop(0):
            schema, value = item if isinstance(item, tuple) else (None, item)
            record = fc.SourceRecord({"p": 0}, {"n": self.n}, self.topic, value_schema=schema, value=value)
            batch.append(record)
            self.n += 1
        return batch


class CommitRecordingSource(ScriptedSource):
    """ScriptedSource whose task records every ``commit_record`` call as ``(value, metadata)``."""

    calls: ClassVar[list[tuple[Any, Any]]] = []

    def task_class(self) -> type[fc.SourceTask]:
        return CommitRecordingTask


class CommitRecordingTask(ScriptedTask):
    def commit_record(self, record: fc.SourceRecord, metadata: Any) -> None:
        CommitRecordingSource.calls.append((record.value, metadata))
