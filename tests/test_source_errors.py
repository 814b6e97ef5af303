"""A source record its converter refuses (here a Python ``set`` given without a schema, which no
converter can write) goes by ``errors.tolerance`` as in Kafka Connect's ``WorkerSourceTask``: with
``all`` it is skipped, logged per ``errors.log.*``, and its offset is not tracked, so it is committed
only by a later record of its source partition; with ``none`` the task fails."""

from __future__ import annotations

import datetime
import logging

import ferroconnect as fc
import pytest
from source_helpers import CommitRecordingSource, ScriptedSource, read_values, wait_until

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


def _failed_trace(worker: fc.Worker, name: str) -> str:
    wait_until(lambda: worker.status(name).task_states == ["FAILED"], what="task FAILED")
    return str(worker.status(name)["tasks"][0]["trace"])


def test_a_conversion_failure_names_the_stage_converter_and_record(
    embedded_kafka: fc.EmbeddedKafka, topic_name: str
) -> None:
    ScriptedSource.batches[topic_name] = [["ok1", {1, 2}, "ok3"]]
    config = {"connector.class": ScriptedSource, "topic": topic_name, "script": topic_name}
    with fc.Worker(embedded_kafka.bootstrap_servers) as worker:
        worker.create_connector("names", config)
        trace = _failed_trace(worker, "names")
    assert f"stage VALUE_CONVERTER with class '{STRING_CONVERTER}'" in trace, trace
    assert "record 1 of the batch polled by task names-0" in trace, trace
    assert f'topic \'{topic_name}\', source partition {{"p":0}}, source offset {{"n":1}}' in trace, trace
    assert "Caused by: ferroconnect.DataError: cannot convert a value of type set" in trace, trace


class _BrokenZone(datetime.tzinfo):
    """A time zone whose lookup fails in Python code: the failure's traceback must survive."""

    def utcoffset(self, dt: datetime.datetime | None) -> datetime.timedelta:
        raise LookupError("zone database unavailable")

    def dst(self, dt: datetime.datetime | None) -> datetime.timedelta:
        return datetime.timedelta(0)


def test_a_conversion_failure_keeps_the_python_exception_as_its_cause(
    embedded_kafka: fc.EmbeddedKafka, topic_name: str
) -> None:
    when = datetime.datetime(2024, 1, 1, tzinfo=_BrokenZone())
    ScriptedSource.batches[topic_name] = [["ok1", (fc.Timestamp.SCHEMA, when)]]
    config = {"connector.class": ScriptedSource, "topic": topic_name, "script": topic_name}
    with fc.Worker(embedded_kafka.bootstrap_servers) as worker:
        worker.create_connector("cause", config)
        trace = _failed_trace(worker, "cause")
    assert "record 1 of the batch" in trace and 'source offset {"n":1}' in trace, trace
    cause = trace[trace.index("Caused by:") :]
    assert "Traceback (most recent call last)" in cause, trace
    assert "in utcoffset" in cause, trace
    assert "LookupError: zone database unavailable" in cause, trace


def test_commit_record_gets_none_for_a_skipped_record(
    embedded_kafka: fc.EmbeddedKafka, topic_name: str
) -> None:
    # Kafka's WorkerSourceTask.recordDropped: commitRecord(record, null) for a record skipped by a
    # tolerated error, so a task tracking its own acknowledgements hears of every record.
    CommitRecordingSource.calls.clear()
    ScriptedSource.batches[topic_name] = [["ok1", {1, 2}, "ok3"]]
    config = {
        "connector.class": CommitRecordingSource,
        "topic": topic_name,
        "script": topic_name,
        "errors.tolerance": "all",
    }
    with fc.Worker(embedded_kafka.bootstrap_servers) as worker:
        worker.create_connector("commits", config)
        wait_until(lambda: len(CommitRecordingSource.calls) == 3, what="three commit_record calls")
    calls = sorted(CommitRecordingSource.calls, key=lambda call: str(call[0]))
    assert [value for value, _ in calls] == ["ok1", "ok3", {1, 2}]
    assert [metadata is None for _, metadata in calls] == [False, False, True]
    assert calls[0][1].topic == topic_name
