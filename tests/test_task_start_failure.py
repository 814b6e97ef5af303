"""``start()`` raising: the task is FAILED with that error, and ``stop()`` is still called (Kafka
Connect's contract: it may clean up what a half-done ``start`` acquired). A ``stop()`` that then
fails too, typically on an attribute ``start`` never set, is secondary: an INFO line naming it so,
never a WARNING, and never in place of the start() error."""

from __future__ import annotations

import logging
import threading
from typing import Any, ClassVar

import ferroconnect as fc
import pytest
from source_helpers import wait_until


class _HalfStarted:
    """start() fails before setting ``self.resource``, which stop() uses."""

    stopped: ClassVar[threading.Event]

    def start(self, config: dict[str, str]) -> None:
        raise ValueError("cannot reach the source system")

    def stop(self) -> None:
        type(self).stopped.set()
        self.resource.close()  # type: ignore[attr-defined]


class HalfStartedSourceTask(_HalfStarted, fc.SourceTask):
    stopped = threading.Event()

    def poll(self) -> list[fc.SourceRecord] | None:
        return None


class HalfStartedSinkTask(_HalfStarted, fc.SinkTask):
    stopped = threading.Event()

    def put(self, records: list[fc.SinkRecord]) -> None:
        pass


class _OneTask:
    task: ClassVar[type[Any]]

    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[Any]:
        return self.task

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class HalfStartedSource(_OneTask, fc.SourceConnector):
    task = HalfStartedSourceTask


class HalfStartedSink(_OneTask, fc.SinkConnector):
    task = HalfStartedSinkTask


@pytest.mark.parametrize("kind", ["source", "sink"])
def test_a_failed_start_stays_in_front_of_the_stop_it_leads_to(
    kind: str, embedded_kafka: fc.EmbeddedKafka, topic_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ferroconnect")
    connector = HalfStartedSource if kind == "source" else HalfStartedSink
    connector.task.stopped.clear()
    embedded_kafka.create_topic(topic_name, 1)
    config = {"connector.class": connector, "topic": topic_name, "topics": topic_name}
    with fc.Worker(embedded_kafka.bootstrap_servers) as worker:
        worker.create_connector("half", config)
        wait_until(lambda: worker.status("half").task_states == ["FAILED"], what="task FAILED")
        trace = worker.status("half")["tasks"][0]["trace"]
        worker.delete_connector("half")
        assert connector.task.stopped.wait(30), "stop() was not called after the failed start()"
        # The stop() failure is logged by the thread that ran it; wait for that line.
        wait_until(lambda: _about_stop(caplog), what="stop()'s failure logged")
    assert "ValueError: cannot reach the source system" in trace, trace
    assert "AttributeError" not in trace, trace
    about_stop = [(r.levelno, r.getMessage()) for r in _about_stop(caplog)]
    assert all(level <= logging.INFO and "secondary" in text for level, text in about_stop), about_stop


def _about_stop(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if "AttributeError" in r.getMessage()]
