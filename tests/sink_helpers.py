"""Sink connectors used by the sink-runtime tests: they record what the runtime does to them."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict
from typing import Any

import ferroconnect as fc
from kafka_settings import CONSUMER_TEST_SETTINGS

#: Worker settings for sink tests: commits every 500 ms, and a topic created during a test (for
#: ``topics.regex``) is seen within 1 s. Everything else is Kafka Connect's default.
SINK_WORKER_SETTINGS: dict[str, str] = {
    "offset.flush.interval.ms": "500",
    "consumer.topic.metadata.refresh.interval.ms": str(
        CONSUMER_TEST_SETTINGS["topic.metadata.refresh.interval.ms"]
    ),
}


class Probe:
    """What the tasks of one test saw, by task: events in order and the records they were given."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[str, str, Any]] = []
        self.records: list[tuple[str, str, int, int, Any]] = []
        self.commands: dict[str, Any] = {}

    def event(self, kind: str, task: str, detail: Any) -> None:
        with self.lock:
            self.events.append((kind, task, detail))

    def owned(self) -> dict[str, set[fc.TopicPartition]]:
        """Partitions each task owns now, replaying its open/close events."""
        owned: dict[str, set[fc.TopicPartition]] = defaultdict(set)
        with self.lock:
            for kind, task, detail in self.events:
                if kind == "open":
                    owned[task] |= set(detail)
                elif kind == "close":
                    owned[task] -= set(detail)
        return dict(owned)

    def values(self) -> list[Any]:
        with self.lock:
            return [r[4] for r in self.records]


PROBES: dict[str, Probe] = {}


def probe(name: str) -> Probe:
    """The probe a test's connector config names with ``probe=<name>``."""
    return PROBES.setdefault(name, Probe())


class RecordingSink(fc.SinkConnector):
    """Each task records open/close/put/flush into the probe named by ``probe``."""

    def start(self, config: dict[str, str]) -> None:
        self.settings = config

    def task_class(self) -> type[fc.SinkTask]:
        return RecordingTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{**self.settings, "task.index": str(i)} for i in range(max_tasks)]


class RecordingTask(fc.SinkTask):
    """Records what it is given. Commands (set in the probe) make it pause, rewind, report or fail."""

    def start(self, config: dict[str, str]) -> None:
        self.probe = probe(config["probe"])
        # Unique across workers: two workers may each run task 0 of the same connector.
        self.index = f"{config.get('task.index', '0')}@{id(self):x}"
        self.reporter = self.context.errant_record_reporter()
        self.rewound = False
        self.failed_once = False

    def open(self, partitions: list[fc.TopicPartition]) -> None:
        self.probe.event("open", self.index, list(partitions))
        if self.probe.commands.get("pause_on_open"):
            self.context.pause(*[tp for tp in partitions if tp.partition == 0])

    def put(self, records: list[fc.SinkRecord]) -> None:
        commands = self.probe.commands
        if commands.get("resume"):
            self.context.resume(*self.context.assignment())
        if commands.get("retry_once") and records and not self.failed_once:
            self.failed_once = True
            self.probe.event("retriable", self.index, records[0].kafka_offset)
            self.context.timeout(200)
            raise fc.RetriableError("the external system is busy")
        slow = commands.get("slow_put_s")
        if slow and records and not getattr(self, "slept", False):
            self.slept = True
            self.probe.event("slow_put", self.index, slow)
            time.sleep(slow)
        if commands.get("fail_on") is not None:
            for record in records:
                if record.value == commands["fail_on"]:
                    raise ValueError(f"cannot write {record.value!r}")
        kept = []
        rewind_at = commands.get("rewind_at")
        for record in records:
            if self.reporter is not None and isinstance(record.value, dict) and record.value.get("reject"):
                self.reporter.report(record, ValueError("rejected by the sink")).result(30)
                continue
            kept.append(record)
            if record.kafka_offset == rewind_at and not self.rewound:
                # Rewind to the partition's start; the rest of this batch is not wanted.
                self.rewound = True
                self.probe.event("rewind", self.index, record.kafka_offset)
                self.context.offset(record.topic_partition, 0)
                break
        with self.probe.lock:
            self.probe.records.extend(
                (self.index, r.topic, r.kafka_partition, r.kafka_offset, r.value) for r in kept
            )

    def flush(self, current_offsets: dict[fc.TopicPartition, int]) -> None:
        self.probe.event("flush", self.index, dict(current_offsets))

    def close(self, partitions: list[fc.TopicPartition]) -> None:
        self.probe.event("close", self.index, list(partitions))

    def stop(self) -> None:
        self.probe.event("stop", self.index, None)


class AsyncRecordingSink(fc.SinkConnector):
    """One task whose ``put`` and ``flush`` are ``async def``; records values and flushes in the probe."""

    def start(self, config: dict[str, str]) -> None:
        self.settings = config

    def task_class(self) -> type[fc.SinkTask]:
        return AsyncRecordingTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.settings)]


class AsyncRecordingTask(fc.SinkTask):
    def start(self, config: dict[str, str]) -> None:
        self.probe = probe(config["probe"])

    async def put(self, records: list[fc.SinkRecord]) -> None:  # type: ignore[override]
        await asyncio.sleep(0)
        with self.probe.lock:
            self.probe.records.extend(
                (0, r.topic, r.kafka_partition, r.kafka_offset, r.value) for r in records
            )

    async def flush(self, current_offsets: dict[fc.TopicPartition, int]) -> None:  # type: ignore[override]
        await asyncio.sleep(0)
        self.probe.event("flush", 0, dict(current_offsets))


class KeepingSink(fc.SinkConnector):
    """One task that keeps every record object it is given (in the probe's ``commands["kept"]``)."""

    def start(self, config: dict[str, str]) -> None:
        self.settings = config

    def task_class(self) -> type[fc.SinkTask]:
        return KeepingTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.settings)]


class KeepingTask(fc.SinkTask):
    def start(self, config: dict[str, str]) -> None:
        self.kept: list[fc.SinkRecord] = probe(config["probe"]).commands.setdefault("kept", [])

    def put(self, records: list[fc.SinkRecord]) -> None:
        self.kept.extend(records)


def wait_for(predicate: Any, timeout: float = 60.0, what: str = "condition") -> None:
    """Polls ``predicate`` until true."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)
