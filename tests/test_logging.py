"""The runtime's log events reach Python's logging when ferroconnect runs in process."""

from __future__ import annotations

import logging
import time

import ferroconnect as fc
import pytest
from source_helpers import CountingSource


def test_runtime_events_reach_python_logging(
    embedded_kafka: fc.EmbeddedKafka, topic_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ferroconnect")
    with fc.Worker(embedded_kafka.bootstrap_servers) as worker:
        worker.create_connector("logged", {"connector.class": CountingSource, "topic": topic_name})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
            "source task started" in r.message for r in caplog.records
        ):
            time.sleep(0.05)
    started = [r for r in caplog.records if "source task started" in r.message]
    assert started, [r.message for r in caplog.records]
    assert started[0].name == "ferroconnect.runtime.source_task"
    assert started[0].levelno == logging.INFO
    assert "task=logged-0" in started[0].message
