"""A worker and its Kafka cluster: no start without one (Kafka Connect looks up the cluster id
first), and ``/health`` says when the cluster stops answering (issue 12, item 2)."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
import time
from pathlib import Path

import ferroconnect as fc
import pytest
from rest_helpers import rest_worker


def _unused_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_worker_without_a_reachable_cluster_fails_to_start_naming_it() -> None:
    address = f"127.0.0.1:{_unused_port()}"
    started = time.monotonic()
    with pytest.raises(fc.ConnectError) as raised:
        fc.Worker(address, default_api_timeout_ms=2000)
    took = time.monotonic() - started
    assert f"Failed to connect to and describe Kafka cluster at bootstrap.servers={address}" in str(
        raised.value
    )
    assert "default.api.timeout.ms" in str(raised.value)
    assert 1.5 < took < 20, f"gave up after {took:.1f} s"


def test_standalone_exits_with_one_clear_line_when_the_cluster_is_unreachable(tmp_path: Path) -> None:
    address = f"127.0.0.1:{_unused_port()}"
    worker = tmp_path / "worker.properties"
    worker.write_text(
        f"bootstrap.servers={address}\ndefault.api.timeout.ms=2000\nlisteners=http://127.0.0.1:0\n"
        f"offset.storage.file.filename={tmp_path / 'offsets.json'}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "ferroconnect.cli", "standalone", str(worker)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr  # no flood of librdkafka connection errors
    assert f"bootstrap.servers={address}" in lines[0]


def test_health_is_unhealthy_while_the_cluster_does_not_answer() -> None:
    with fc.EmbeddedKafka() as kafka, rest_worker(kafka.bootstrap_servers) as (_, http):
        assert http.get("/health").json()["status"] == "healthy"
        assert http.get("/").json()["kafka_cluster_id"]
        kafka.broker_down(1)
        try:
            response = http.get("/health")
            assert response.status_code == 500, response.text
            assert response.json()["status"] == "unhealthy"
            assert f"bootstrap.servers={kafka.bootstrap_servers}" in response.json()["message"]
        finally:
            kafka.broker_up(1)
        deadline = time.monotonic() + 30
        while (response := http.get("/health")).status_code != 200:
            assert time.monotonic() < deadline, response.text
            time.sleep(0.2)
        assert response.json()["status"] == "healthy"


def test_a_broker_outage_logs_each_kind_of_client_error_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every client reports every reconnection attempt; a repeat that differs only in its numbers
    (ports, milliseconds) within a minute is folded into a count (issue 12, item 2)."""
    import re

    class Sink(fc.SinkConnector):
        def task_class(self) -> type[fc.SinkTask]:
            return Task

        def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
            return [{} for _ in range(max_tasks)]

    class Task(fc.SinkTask):
        def put(self, records: list[fc.SinkRecord]) -> None:
            pass

    with fc.EmbeddedKafka() as kafka, fc.Worker(kafka.bootstrap_servers) as worker:
        kafka.create_topic("outage", 4)
        worker.create_connector("outage", {"connector.class": Sink, "topics": "outage", "tasks.max": 4})
        worker.wait_for_state("outage", tasks=4)
        time.sleep(2)
        with caplog.at_level(logging.WARNING, logger="ferroconnect"):
            kafka.broker_down(1)
            time.sleep(8)
            kafka.broker_up(1)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("ferroconnect.librdkafka")]
    # No `assert lines`: the folding is process-wide, so an earlier test's outage may have logged
    # these shapes less than a minute ago.
    shapes = [re.sub(r"\d", "", line) for line in lines]
    assert len(shapes) == len(set(shapes)), "\n".join(lines)
    assert not [r for r in caplog.records if r.name.startswith("ferroconnect.rdkafka")], (
        "unfolded client errors"
    )
