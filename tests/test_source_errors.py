"""A source record its converter refuses (here a Python ``set`` given without a schema, which no
converter can write) goes by ``errors.tolerance`` as in Kafka Connect's ``WorkerSourceTask``: with
``all`` it is skipped, logged per ``errors.log.*``, and its offset is not tracked, so it is committed
only by a later record of its source partition; with ``none`` the task fails."""

from __future__ import annotations

import logging

import ferroconnect as fc
import pytest
from source_helpers import ScriptedSource, read_values, wait_until

STRING_CONVERTER = "org.apache.kafka.connect.storage.StringConverter"


def test_tolerance_all_skips_a_record_the_converter_refuses(
    bootstrap_servers: str, topic_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ferroconnect")
    ScriptedSource.batches[topic_name] = [["ok1", {1, 2}, "ok3"], ["ok4", {5}]]
    config = {
        "connector.class": ScriptedSource,
        "topic": topic_name,
        "script": topic_name,
        "errors.tolerance": "all",
        "errors.log.enable": "true",
        "errors.log.include.messages": "true",
    }
    with fc.Worker(bootstrap_servers, offset_flush_interval_ms=100) as worker:
        worker.create_connector("skips", config)
        assert read_values(bootstrap_servers, topic_name, 4, idle=2) == ["ok1", "ok3", "ok4"]
        # Offsets 1 and 4 were the refused records: 4 is never committed on its own (Kafka
        # Connect does not track a record dropped by a tolerated converter error).
        wanted = [{"partition": {"p": 0}, "offset": {"n": 3}}]
        wait_until(lambda: worker.offsets("skips") == wanted, what=f"offsets {wanted}")
        assert worker.status("skips").task_states == ["RUNNING"]
    logged = [r.getMessage() for r in caplog.records if "Error encountered in task skips-0" in r.getMessage()]
    assert len(logged) == 2, logged
    assert f"Executing stage 'VALUE_CONVERTER' with class '{STRING_CONVERTER}'" in logged[0]
    assert "where source record is" in logged[0] and "{1, 2}" in logged[0]


def test_tolerance_none_fails_the_task_on_a_record_the_converter_refuses(
    embedded_kafka: fc.EmbeddedKafka, topic_name: str
) -> None:
    ScriptedSource.batches[topic_name] = [["ok1", {1, 2}, "ok3"]]
    config = {"connector.class": ScriptedSource, "topic": topic_name, "script": topic_name}
    with fc.Worker(embedded_kafka.bootstrap_servers) as worker:
        worker.create_connector("fails", config)
        wait_until(lambda: worker.status("fails").task_states == ["FAILED"], what="task FAILED")
        status = worker.status("fails")
        trace = status["tasks"][0]["trace"]
        assert "Tolerance exceeded in error handler" in trace, trace
        assert "cannot convert a value of type set without a schema" in trace, trace
