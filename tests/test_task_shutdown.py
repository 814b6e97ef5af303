"""A task whose ``stop()`` hangs is abandoned after ``task.shutdown.graceful.timeout.ms``, as Kafka
Connect abandons it: the worker, its REST API and ``ferroconnect standalone`` keep answering."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import ferroconnect as fc
import httpx
import pytest
from rest_helpers import Standalone, rest_worker, wait_state
from source_helpers import HangingStopSource, HangingStopTask, wait_until

#: Well under the 60 s a hanging stop() takes, well over 5 s on a loaded two-core machine.
MARGIN = 20.0


@pytest.fixture
def hanging_stop() -> Iterator[None]:
    HangingStopTask.release.clear()
    HangingStopTask.stop_calls = 0
    yield
    HangingStopTask.release.set()  # lets the abandoned stop() return


def test_delete_abandons_a_task_whose_stop_hangs(
    embedded_kafka: fc.EmbeddedKafka, topic_name: str, hanging_stop: None
) -> None:
    with rest_worker(embedded_kafka.bootstrap_servers, task_shutdown_graceful_timeout_ms=5000) as (
        worker,
        http,
    ):
        worker.create_connector("hangs", {"connector.class": HangingStopSource, "topic": topic_name})
        wait_state(http, "hangs", "RUNNING", tasks=1)
        took: list[float] = []

        def delete() -> None:
            began = time.monotonic()
            worker.delete_connector("hangs")
            took.append(time.monotonic() - began)

        deleting = threading.Thread(target=delete)
        deleting.start()
        wait_until(lambda: HangingStopTask.stop_calls == 1, what="stop() called")
        # While stop() hangs, the REST API answers (short client timeout: no waiting on the worker).
        answers = 0
        while deleting.is_alive() and answers < 50:
            assert httpx.get(f"{worker.rest_url}/connectors", timeout=MARGIN).status_code == 200
            answers += 1
            time.sleep(0.1)
        deleting.join(MARGIN + 5)
        assert not deleting.is_alive(), "delete_connector blocked on the hanging stop()"
        assert took[0] < MARGIN, took
        assert not HangingStopTask.release.is_set()  # stop() is still hanging: the task was abandoned
        assert http.get("/connectors").json() == []


@pytest.fixture
def standalone_props(tmp_path: Path, embedded_kafka: fc.EmbeddedKafka) -> dict[str, str]:
    return {
        "bootstrap.servers": embedded_kafka.bootstrap_servers,
        "offset.storage.file.filename": str(tmp_path / "offsets.json"),
        "listeners": "http://127.0.0.1:0",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    }


def _start_hanging(worker: Standalone, topic: str) -> None:
    config = {"connector.class": "source_helpers.HangingStopSource", "topic": topic}
    with worker.client() as http:
        assert http.post("/connectors", json={"name": "hangs", "config": config}).status_code == 201
        wait_state(http, "hangs", "RUNNING", tasks=1)


def test_standalone_stops_past_a_hanging_task_stop(
    tmp_path: Path, standalone_props: dict[str, str], topic_name: str
) -> None:
    worker = Standalone(tmp_path, {**standalone_props, "task.shutdown.graceful.timeout.ms": "2000"})
    try:
        _start_hanging(worker, topic_name)
        began = time.monotonic()
        worker.process.send_signal(signal.SIGTERM)
        assert worker.process.wait(MARGIN) == 0, worker.text()[-3000:]
        assert time.monotonic() - began < MARGIN
        assert "Graceful stop of task hangs-0 failed." in worker.text()
    finally:
        worker.process.kill()
        worker.process.wait(10)


def test_standalone_exits_on_a_second_signal(
    tmp_path: Path, standalone_props: dict[str, str], topic_name: str
) -> None:
    # A graceful timeout longer than the test: only the second signal can end the wait.
    worker = Standalone(tmp_path, {**standalone_props, "task.shutdown.graceful.timeout.ms": "600000"})
    try:
        _start_hanging(worker, topic_name)
        worker.process.send_signal(signal.SIGINT)
        wait_until(lambda: "Stopping ferroconnect standalone" in worker.text(), what="shutdown began")
        began = time.monotonic()
        worker.process.send_signal(signal.SIGINT)
        code = worker.process.wait(MARGIN)
        assert time.monotonic() - began < MARGIN
        assert code != 0
        assert "second signal" in worker.text()
    finally:
        worker.process.kill()
        worker.process.wait(10)
