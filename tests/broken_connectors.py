"""Connectors that break the contract rules of ``ferroconnect.testing.check_connector`` on purpose,
each rule in a way connector authors do (tests/test_testing_kit.py asserts every message).
"""

from __future__ import annotations

import time
from typing import Any

import ferroconnect as fc


class BrokenSource(fc.SourceConnector):
    """Breaks: version, required-keys, task-configs (count and value types)."""

    config_def = fc.ConfigDef().define("topic", fc.Type.STRING, importance=fc.Importance.HIGH, doc="Topic.")

    def version(self) -> Any:
        return 1  # not a str

    def start(self, config: dict[str, str]) -> None:
        self.topic = config["topic"]
        self.path = config["path"]  # used, but not defined in config_def: validation never names it

    def task_class(self) -> type[fc.SourceTask]:
        return BrokenSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        # One task too many, and a value that is not a string.
        configs: list[Any] = [{"topic": self.topic, "batch.size": 5} for _ in range(max_tasks + 1)]
        return configs


class BrokenSourceTask(fc.SourceTask):
    """Breaks: offset-format (a list in the offset), resume (ignores committed offsets),
    stop-unblocks-poll (sleeps through stop())."""

    def start(self, config: dict[str, str]) -> None:
        self.topic = config["topic"]
        self.polled = 0

    def poll(self) -> list[fc.SourceRecord] | None:
        self.polled += 1
        if self.polled == 1:
            return [
                fc.SourceRecord({"file": "in"}, {"lines": [i, i + 1]}, self.topic, value=i) for i in range(3)
            ]
        time.sleep(3)  # stop() cannot cut this short
        return None


class BrokenSink(fc.SinkConnector):
    """Breaks: task-class (its task is a source task)."""

    def start(self, config: dict[str, str]) -> None:
        self.settings = config

    def task_class(self) -> Any:
        return BrokenSourceTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class EmptyBatchSink(fc.SinkConnector):
    """Breaks: sink-lifecycle (put fails on an empty batch), stop (task stop raises)."""

    def start(self, config: dict[str, str]) -> None:
        self.settings = config

    def task_class(self) -> type[fc.SinkTask]:
        return EmptyBatchSinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class EmptyBatchSinkTask(fc.SinkTask):
    def put(self, records: list[fc.SinkRecord]) -> None:
        self.last = records[-1]  # IndexError on the empty batches the runtime hands

    def stop(self) -> None:
        raise RuntimeError("connection already closed")


class BadBatchSource(fc.SourceConnector):
    """Breaks: config-def (config() is not a ConfigDef), poll-batch (poll returns one record, not a list)."""

    def config(self) -> Any:
        return {"topic": "the topic"}

    def start(self, config: dict[str, str]) -> None:
        self.settings = config

    def task_class(self) -> type[fc.SourceTask]:
        return BadBatchTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class BadBatchTask(fc.SourceTask):
    def poll(self) -> Any:
        return fc.SourceRecord({"p": 0}, {"o": 0}, "t", value="v")


class UnstartableSource(BadBatchSource):
    """Breaks: task-start (the task cannot connect)."""

    config_def = fc.ConfigDef()

    def config(self) -> fc.ConfigDef:
        return self.config_def

    def task_class(self) -> type[fc.SourceTask]:
        return UnstartableTask


class UnstartableTask(fc.SourceTask):
    def start(self, config: dict[str, str]) -> None:
        raise ConnectionError("database at db:5432 refused the connection")

    def poll(self) -> list[fc.SourceRecord] | None:
        return None
