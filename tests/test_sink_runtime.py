"""The sink runtime on Apache Kafka: exactly-once copies across graceful restarts,
no loss across kill -9, partition ownership and rebalances, pause/resume and rewinds, retries,
failures, the dead letter queue, and regex subscriptions."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import ferroconnect as fc
import pytest
from ferroconnect.testing import produce
from process_helpers import stop_gracefully
from sink_helpers import (
    SINK_WORKER_SETTINGS,
    AsyncRecordingSink,
    KeepingSink,
    RecordingSink,
    probe,
    wait_for,
)
from source_helpers import create_topic

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LINES = 100_000


def _committed(bootstrap: str, group: str, topic: str, partitions: int = 1) -> dict[int, int]:
    """The group's committed offsets, read with confluent-kafka's admin client (an unrelated client)."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, p) for p in range(partitions)])
    result = admin.list_consumer_group_offsets([request])[group].result(30)
    return {tp.partition: tp.offset for tp in result.topic_partitions if tp.offset >= 0}


def _standalone(
    tmp: Path, bootstrap: str, topic: str, source: Path | None, sink: Path, **settings: str
) -> subprocess.Popen[bytes]:
    """``ferroconnect standalone`` with the FileStream sink, and the FileStream source unless None;
    ``settings`` are further worker settings."""
    worker = tmp / "worker.properties"
    worker.write_text(
        f"bootstrap.servers={bootstrap}\n"
        "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
        "value.converter=org.apache.kafka.connect.storage.StringConverter\n"
        f"offset.storage.file.filename={tmp / 'offsets.json'}\n"
        # The REST API on a free port: tests may run next to another worker.
        "listeners=http://127.0.0.1:0\n"
        + "".join(f"{k}={v}\n" for k, v in {**SINK_WORKER_SETTINGS, **settings}.items())
    )
    if source is not None:
        (tmp / "source.properties").write_text(
            f"name=file-source\nconnector.class=file_stream.FileStreamSource\nfile={source}\ntopic={topic}\n"
        )
    (tmp / "sink.properties").write_text(
        f"name=file-sink\nconnector.class=file_stream.FileStreamSink\nfile={sink}\ntopics={topic}\n"
    )
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES)}
    log = (tmp / "worker.log").open("ab")
    files = [str(worker), *([str(tmp / "source.properties")] if source else []), str(tmp / "sink.properties")]
    return subprocess.Popen(
        [sys.executable, "-m", "ferroconnect.cli", "standalone", *files], env=env, stdout=log, stderr=log
    )


def _write_lines(path: Path, start: int, stop: int) -> None:
    with path.open("a") as f:
        f.writelines(f"line {i}\n" for i in range(start, stop))


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _stop(worker: subprocess.Popen[bytes], tmp: Path) -> None:
    stop_gracefully(worker, tmp / "worker.log", timeout=60)


def test_source_to_sink_copies_exactly_and_resumes_after_graceful_stop(
    tmp_path: Path, bootstrap_servers: str, topic_name: str
) -> None:
    create_topic(bootstrap_servers, topic_name)
    source, sink = tmp_path / "in.txt", tmp_path / "out.txt"
    _write_lines(source, 0, LINES)
    started = time.monotonic()
    worker = _standalone(tmp_path, bootstrap_servers, topic_name, source, sink)
    try:
        wait_for(lambda: len(_lines(sink)) >= LINES, timeout=180, what="the sink file to fill")
        print(f"{LINES} lines file → Kafka → file in {time.monotonic() - started:.1f}s (standalone)")
        wait_for(
            lambda: _committed(bootstrap_servers, "connect-file-sink", topic_name).get(0) == LINES,
            what="the sink's offsets committed",
        )
    finally:
        _stop(worker, tmp_path)
    assert _lines(sink) == [f"line {i}" for i in range(LINES)]
    _write_lines(source, LINES, LINES + 1000)
    worker = _standalone(tmp_path, bootstrap_servers, topic_name, source, sink)
    try:
        wait_for(lambda: len(_lines(sink)) >= LINES + 1000, timeout=60, what="the new lines")
        time.sleep(2)  # anything re-delivered would show up by now
    finally:
        _stop(worker, tmp_path)
    assert _lines(sink) == [f"line {i}" for i in range(LINES + 1000)], (
        "re-delivered or skipped after a restart"
    )


def test_kill_9_of_the_sink_loses_nothing(
    tmp_path: Path, bootstrap_servers: str, topic_name: str, report: Callable[[str], None]
) -> None:
    # Only the sink runs (a source would re-produce lines after its own crash): line i is at offset i.
    # Fast failover: the killed worker's member leaves the group after 10 s instead of Kafka's 45 s,
    # so the restarted worker's join completes sooner (the test holds at Kafka's default too, slower).
    failover = {"consumer.session.timeout.ms": "10000"}
    create_topic(bootstrap_servers, topic_name)
    sink = tmp_path / "out.txt"

    produce(bootstrap_servers, topic_name, [(None, f"line {i}".encode()) for i in range(500)])

    def grow_topic() -> None:
        """The topic grows (about 10,000 records/s) while the sink runs, so that the kill lands
        mid-stream; one producer for all of it (a producer per chunk is slower than the sink)."""
        from confluent_kafka import Producer

        producer = Producer({"bootstrap.servers": bootstrap_servers, "enable.idempotence": True})
        for start in range(500, LINES, 500):
            for i in range(start, start + 500):
                producer.produce(topic_name, f"line {i}".encode())
            assert producer.flush(30) == 0
            time.sleep(0.05)

    writer = threading.Thread(target=grow_topic)
    worker = _standalone(tmp_path, bootstrap_servers, topic_name, None, sink, **failover)
    wait_for(lambda: _lines(sink), timeout=60, what="the sink's first line")
    writer.start()
    wait_for(
        lambda: _committed(bootstrap_servers, "connect-file-sink", topic_name).get(0, 0) >= 20_000,
        timeout=120,
        what="20,000 lines committed by the sink",
    )
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    committed = _committed(bootstrap_servers, "connect-file-sink", topic_name).get(0, 0)
    before = len(_lines(sink))
    worker = _standalone(tmp_path, bootstrap_servers, topic_name, None, sink, **failover)
    try:
        writer.join()
        wait_for(
            lambda: set(_lines(sink)) >= {f"line {i}" for i in range(LINES)}, timeout=180, what="every line"
        )
        time.sleep(2)
    finally:
        _stop(worker, tmp_path)
    lines = _lines(sink)
    counts = Counter(lines)
    duplicated = sorted(int(line.split()[1]) for line, n in counts.items() if n > 1)
    assert committed < LINES, "the kill did not land mid-stream"
    assert set(lines) == {f"line {i}" for i in range(LINES)}, "lines were lost"
    assert all(i >= committed for i in duplicated), "a line before the committed offset was re-delivered"
    report(
        f"sink kill -9 with {committed} of {LINES} offsets committed and {before} lines in the file: "
        f"all {LINES} lines in the file, {len(lines) - LINES} re-deliveries "
        f"(lines {duplicated[:1]}..{duplicated[-1:]}), none before the committed offset"
    )


def test_two_tasks_own_disjoint_partitions_and_rebalance_cooperatively(
    bootstrap_servers: str, topic_name: str
) -> None:
    create_topic(bootstrap_servers, topic_name, 4)
    produce(bootstrap_servers, topic_name, [(None, f"{p}-{i}".encode()) for p in range(4) for i in range(10)])
    seen = probe(topic_name)
    config = {"connector.class": RecordingSink, "topics": topic_name, "probe": topic_name}
    # Two workers in one group, as two processes would be: the second joins while the first runs.
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as first:
        first.create_connector("pair", config)
        wait_for(
            lambda: sum(len(p) for p in seen.owned().values()) == 4, what="the first task to own 4 partitions"
        )
        assert [len(p) for p in seen.owned().values()] == [4]
        with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as second:
            seen_before = len(seen.events)
            second.create_connector("pair", config)
            wait_for(
                lambda: any(k == "close" for k, _, _ in seen.events[seen_before:]),
                what="a partition revoked from the first task",
            )
            wait_for(
                lambda: (
                    sum(1 for k, _, _ in seen.events[seen_before:] if k == "open") >= 1
                    and sum(len(p) for p in seen.owned().values()) == 4
                ),
                what="the revoked partitions opened again",
            )
            wait_for(lambda: len(seen.records) >= 40, what="all records")
            owned = [p for p in seen.owned().values() if p]
            assert len(owned) == 2, owned
            assert not owned[0] & owned[1], "a partition owned by both tasks"
            assert len(owned[0] | owned[1]) == 4
            assert sorted(seen.values()) == sorted(f"{p}-{i}" for p in range(4) for i in range(10))
    close_events = [e for e in seen.events if e[0] == "close"]
    assert close_events, "close() was never called"
    # Before the revocation, every partition had one owner; flushes preceded each close.
    kinds = [k for k, _, _ in seen.events]
    assert kinds.index("flush") < kinds.index("close")


def test_pause_resume_and_rewind_from_the_task(bootstrap_servers: str, topic_name: str) -> None:
    create_topic(bootstrap_servers, topic_name, 2)
    for partition in (0, 1):
        produce(
            bootstrap_servers,
            topic_name,
            [(None, f"{partition}-{i}".encode()) for i in range(20)],
            partition=partition,
        )
    seen = probe(topic_name)
    seen.commands.update(pause_on_open=True, rewind_at=9)
    config = {"connector.class": RecordingSink, "topics": topic_name, "probe": topic_name}
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("pauser", config)
        # Partition 1 is rewound once at offset 9: 10 records, then all 20 again.
        wait_for(lambda: sum(1 for r in seen.records if r[2] == 1) >= 30, what="partition 1 and its rewind")
        time.sleep(1.5)
        assert not [r for r in seen.records if r[2] == 0], "a paused partition delivered records"
        seen.commands["resume"] = True
        wait_for(lambda: sum(1 for r in seen.records if r[2] == 0) >= 20, what="partition 0 after resume")
    p1 = [r[3] for r in seen.records if r[2] == 1]
    assert p1 == list(range(10)) + list(range(20)), p1


def test_retriable_put_redelivers_and_a_raising_put_fails_the_task(
    bootstrap_servers: str, topic_name: str
) -> None:
    create_topic(bootstrap_servers, topic_name)
    produce(bootstrap_servers, topic_name, [(None, f"v{i}".encode()) for i in range(10)])
    seen = probe(topic_name)
    seen.commands.update(retry_once=True)
    config = {"connector.class": RecordingSink, "topics": topic_name, "probe": topic_name}
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("retrier", config)
        wait_for(lambda: len(seen.records) >= 10, what="the batch after a retry")
        assert seen.values() == [f"v{i}" for i in range(10)]
        assert [e for e in seen.events if e[0] == "retriable"]
        seen.commands.update(fail_on="v12")
        produce(bootstrap_servers, topic_name, [(None, f"v{i}".encode()) for i in range(10, 15)])
        wait_for(lambda: worker.status("retrier")["tasks"][0]["state"] == "FAILED", what="the task to fail")
        trace = worker.status("retrier")["tasks"][0]["trace"]
        assert "ValueError: cannot write 'v12'" in trace and "Traceback" in trace
        assert worker.status("retrier")["connector"]["state"] == "RUNNING"


def test_a_put_slower_than_max_poll_interval_keeps_the_group(bootstrap_servers: str, topic_name: str) -> None:
    create_topic(bootstrap_servers, topic_name)
    produce(bootstrap_servers, topic_name, [(None, f"v{i}".encode()) for i in range(10)])
    seen = probe(topic_name)
    seen.commands.update(slow_put_s=9.0)
    config = {
        "connector.class": RecordingSink,
        "topics": topic_name,
        "probe": topic_name,
        # A put longer than max.poll.interval.ms, kept short for the test; librdkafka wants
        # max.poll.interval.ms >= session.timeout.ms, so the session (Kafka's default 45 s) shrinks too.
        "consumer.override.max.poll.interval.ms": "6000",
        "consumer.override.session.timeout.ms": "6000",
    }
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("slow", config)
        wait_for(lambda: len(seen.records) >= 10, timeout=60, what="the slow batch")
        produce(bootstrap_servers, topic_name, [(None, f"v{i}".encode()) for i in range(10, 20)])
        wait_for(lambda: len(seen.records) >= 20, timeout=30, what="the next records")
        time.sleep(1)
        assert worker.status("slow")["tasks"][0]["state"] == "RUNNING"
    assert [e for e in seen.events if e[0] == "slow_put"]
    assert [k for k, _, _ in seen.events if k in ("open", "close")] == ["open", "close"], (
        "the consumer lost its partitions during the slow put"
    )
    assert seen.values() == [f"v{i}" for i in range(20)], "re-delivered or lost records"


def test_pausing_the_connector_stops_delivery_until_resume(bootstrap_servers: str, topic_name: str) -> None:
    create_topic(bootstrap_servers, topic_name)
    seen = probe(topic_name)
    config = {"connector.class": RecordingSink, "topics": topic_name, "probe": topic_name}
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("paused", config)
        produce(bootstrap_servers, topic_name, [(None, b"before")])
        wait_for(lambda: seen.values() == ["before"], what="the first record")
        worker.pause("paused")
        assert worker.status("paused")["tasks"][0]["state"] == "PAUSED"
        produce(bootstrap_servers, topic_name, [(None, b"while paused")])
        time.sleep(2)
        assert seen.values() == ["before"], "a paused connector delivered records"
        worker.resume("paused")
        wait_for(lambda: len(seen.records) >= 2, what="delivery after resume")
    assert seen.values() == ["before", "while paused"]


def _dlq_records(bootstrap: str, topic: str, count: int) -> list[tuple[bytes | None, dict[str, bytes]]]:
    from ferroconnect import _core

    records = _core.read_topic(bootstrap, topic, count, 3.0, 60.0, {})
    return [(r[4], {k: v for k, v in r[5] if v is not None}) for r in records]


def test_dead_letter_queue_gets_bad_bytes_and_reported_records_with_context_headers(
    bootstrap_servers: str, topic_name: str
) -> None:
    create_topic(bootstrap_servers, topic_name)
    values = [b'{"n": 0}', b"{not json", b'{"n": 2, "reject": true}', b'{"n": 3}']
    produce(bootstrap_servers, topic_name, [(None, v, [("origin", b"test")]) for v in values])
    seen = probe(topic_name)
    dlq = f"{topic_name}-dlq"
    config = {
        "connector.class": RecordingSink,
        "topics": topic_name,
        "probe": topic_name,
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "errors.tolerance": "all",
        "errors.log.enable": "true",
        "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    }
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("dlq-sink", config)
        wait_for(lambda: len(seen.records) >= 2, what="the good records")
        wait_for(
            lambda: _committed(bootstrap_servers, "connect-dlq-sink", topic_name).get(0) == 4,
            what="offsets committed past the reported records",
        )
        assert worker.status("dlq-sink")["tasks"][0]["state"] == "RUNNING"
    assert seen.values() == [{"n": 0}, {"n": 3}]
    dead = _dlq_records(bootstrap_servers, dlq, 2)
    assert [value for value, _ in dead] == [b"{not json", b'{"n": 2, "reject": true}']
    converter_failure, reported = (headers for _, headers in dead)
    assert converter_failure["origin"] == b"test", "the original headers are kept"
    assert converter_failure["__connect.errors.topic"] == topic_name.encode()
    assert converter_failure["__connect.errors.partition"] == b"0"
    assert converter_failure["__connect.errors.offset"] == b"1"
    assert converter_failure["__connect.errors.connector.name"] == b"dlq-sink"
    assert converter_failure["__connect.errors.task.id"] == b"0"
    assert converter_failure["__connect.errors.stage"] == b"VALUE_CONVERTER"
    assert converter_failure["__connect.errors.class.name"] == b"org.apache.kafka.connect.json.JsonConverter"
    assert (
        converter_failure["__connect.errors.exception.class.name"]
        == b"org.apache.kafka.connect.errors.DataException"
    )
    assert (
        f"topic {topic_name}, partition 0, offset 1".encode()
        in converter_failure["__connect.errors.exception.message"]
    )
    assert reported["__connect.errors.stage"] == b"TASK_PUT"
    assert reported["__connect.errors.offset"] == b"2"
    assert reported["__connect.errors.class.name"] == b"org.apache.kafka.connect.sink.SinkTask"
    assert reported["__connect.errors.exception.class.name"] == b"builtins.ValueError"
    assert reported["__connect.errors.exception.message"] == b"rejected by the sink"


def test_dead_letter_queue_on_the_embedded_broker_uses_a_topic_created_beforehand(
    embedded_kafka: fc.EmbeddedKafka, topic_name: str
) -> None:
    """The mock cluster does not answer CreateTopics: the dead letter queue finds its topic in the
    metadata and never asks (every task used to fail with OperationTimedOut, issue 12 item 6)."""
    bootstrap = embedded_kafka.bootstrap_servers
    dlq = f"{topic_name}-dlq"
    embedded_kafka.create_topic(topic_name, 1)
    embedded_kafka.create_topic(dlq, 1)
    produce(bootstrap, topic_name, [(None, b'{"n": 0}'), (None, b"{not json"), (None, b'{"n": 2}')])
    seen = probe(topic_name)
    config = {
        "connector.class": RecordingSink,
        "topics": topic_name,
        "probe": topic_name,
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",
    }
    with fc.Worker(bootstrap, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("embedded-dlq", config)
        wait_for(lambda: len(seen.records) >= 2, timeout=30, what="the good records")
        assert worker.status("embedded-dlq").task_states == ["RUNNING"]
    assert [value for value, _ in _dlq_records(bootstrap, dlq, 1)] == [b"{not json"]


def test_tolerance_none_fails_the_task_and_commits_nothing_past_the_bad_record(
    bootstrap_servers: str, topic_name: str
) -> None:
    create_topic(bootstrap_servers, topic_name)
    seen = probe(topic_name)
    config = {
        "connector.class": RecordingSink,
        "topics": topic_name,
        "probe": topic_name,
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    }
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("strict", config)
        produce(bootstrap_servers, topic_name, [(None, b'{"n": 0}'), (None, b'{"n": 1}')])
        wait_for(
            lambda: _committed(bootstrap_servers, "connect-strict", topic_name).get(0) == 2,
            what="a first commit",
        )
        produce(bootstrap_servers, topic_name, [(None, b"{broken"), (None, b'{"n": 3}')])
        wait_for(lambda: worker.status("strict")["tasks"][0]["state"] == "FAILED", what="the task to fail")
        trace = worker.status("strict")["tasks"][0]["trace"]
        assert "Tolerance exceeded" in trace and f"topic {topic_name}, partition 0, offset 2" in trace
        time.sleep(1.5)  # a commit would have happened by now
        assert _committed(bootstrap_servers, "connect-strict", topic_name).get(0) == 2
    assert seen.values() == [{"n": 0}, {"n": 1}]


def test_topics_regex_picks_up_a_topic_created_later(bootstrap_servers: str, topic_name: str) -> None:
    create_topic(bootstrap_servers, f"{topic_name}-a")
    produce(bootstrap_servers, f"{topic_name}-a", [(None, b"from a")])
    seen = probe(topic_name)
    config = {"connector.class": RecordingSink, "topics.regex": f"{topic_name}-.*", "probe": topic_name}
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("regex", config)
        wait_for(lambda: seen.values() == ["from a"], what="the first topic")
        create_topic(bootstrap_servers, f"{topic_name}-b")
        produce(bootstrap_servers, f"{topic_name}-b", [(None, b"from b")])
        wait_for(lambda: len(seen.records) >= 2, timeout=60, what="the topic created later")
    assert sorted(seen.values()) == ["from a", "from b"]


@pytest.mark.parametrize(
    ("subscription", "message"),
    [
        (
            {"topics": "a", "topics.regex": "b.*"},
            "topics and topics.regex are mutually exclusive options, but both are set.",
        ),
        ({}, "Must configure one of topics or topics.regex"),
        (
            {"topics": "a,dlq", "errors.deadletterqueue.topic.name": "dlq"},
            "may not be included in the list of topics",
        ),
    ],
)
def test_sink_subscription_errors_name_the_key(
    embedded_kafka: fc.EmbeddedKafka, subscription: dict[str, str], message: str
) -> None:
    with fc.Worker(embedded_kafka.bootstrap_servers) as worker:
        with pytest.raises(fc.ConfigError, match="configuration") as raised:
            worker.create_connector("bad", {"connector.class": RecordingSink, **subscription})
        assert message in str(raised.value)
        assert worker.connectors() == []


def test_sink_record_is_built_by_hand_too() -> None:
    record = fc.SinkRecord("t", 3, None, b"k", fc.Schema.STRING, "v", 42, 1000, "CreateTime", [("h", "x")])
    assert (record.topic, record.kafka_partition, record.kafka_offset) == ("t", 3, 42)
    assert (record.key, record.value, record.timestamp, record.timestamp_type) == (
        b"k",
        "v",
        1000,
        "CreateTime",
    )
    assert record.topic_partition == fc.TopicPartition("t", 3)
    assert json.dumps(record.headers) == '[["h", "x"]]'


def test_async_put_and_flush_run_while_the_caller_runs_an_event_loop(
    bootstrap_servers: str, topic_name: str
) -> None:
    create_topic(bootstrap_servers, topic_name)
    produce(bootstrap_servers, topic_name, [(None, f"a{i}".encode()) for i in range(100)])
    seen = probe(topic_name)
    config = {"connector.class": AsyncRecordingSink, "topics": topic_name, "probe": topic_name}

    async def main() -> None:
        with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
            worker.create_connector("async-sink", config)
            await asyncio.sleep(0.1)
            await asyncio.to_thread(wait_for, lambda: len(seen.records) >= 100, 60.0, "all records")
            await asyncio.to_thread(
                wait_for,
                lambda: _committed(bootstrap_servers, "connect-async-sink", topic_name).get(0) == 100,
                60.0,
                "a commit after the async flush",
            )
            assert worker.status("async-sink")["tasks"][0]["state"] == "RUNNING"

    asyncio.run(main())
    assert seen.values() == [f"a{i}" for i in range(100)]
    assert any(kind == "flush" and detail for kind, _, detail in seen.events), "flush was never awaited"


def test_records_from_kafka_convert_on_first_access_and_outlive_put(
    bootstrap_servers: str, topic_name: str
) -> None:
    create_topic(bootstrap_servers, topic_name)
    produce(
        bootstrap_servers,
        topic_name,
        [(f"k{i}".encode(), f'{{"n": {i}}}'.encode(), [("h", b"x"), ("n", None)]) for i in range(3)],
    )
    seen = probe(topic_name)
    config = {
        "connector.class": KeepingSink,
        "topics": topic_name,
        "probe": topic_name,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": "false",
    }
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("keeper", config)
        wait_for(lambda: len(seen.commands.get("kept", [])) >= 3, what="three records")
    # Read after put returned and after the worker stopped: the records keep their data.
    records = seen.commands["kept"]
    assert [(r.topic, r.kafka_partition, r.kafka_offset) for r in records] == [
        (topic_name, 0, i) for i in range(3)
    ]
    first = records[0]
    assert (first.key, first.value) == ("k0", {"n": 0})
    assert first.key_schema == fc.Schema.OPTIONAL_STRING and first.value_schema is None
    assert first.headers == [("h", "x"), ("n", None)]
    assert isinstance(first.timestamp, int) and first.timestamp_type == "CreateTime"
    assert first.topic_partition == fc.TopicPartition(topic_name, 0)
    # Converted once: the same object on every access, so changes to it stay.
    assert first.value is first.value and first.headers is first.headers
    first.value["seen"] = True
    assert first.value == {"n": 0, "seen": True}
    assert [r.value for r in records[1:]] == [{"n": 1}, {"n": 2}]
    assert "offset=0" in repr(first) and "'k0'" in repr(first)


def test_the_native_counting_sink_runs_through_the_worker(bootstrap_servers: str, topic_name: str) -> None:
    from ferroconnect import _core

    create_topic(bootstrap_servers, topic_name, 2)
    for partition in (0, 1):
        produce(bootstrap_servers, topic_name, [(b"k", b"v" * 10)] * 500, partition=partition)
    config = {"connector.class": "CountingSinkConnector", "topics": topic_name}
    with fc.Worker(bootstrap_servers, **SINK_WORKER_SETTINGS) as worker:
        worker.create_connector("counter", config)
        wait_for(
            lambda: (_core.counting_sink_stats("counter") or (0,))[0] >= 1000, what="1000 records counted"
        )
        status = worker.status("counter")
        assert status["connector"]["state"] == "RUNNING" and status["tasks"][0]["state"] == "RUNNING"
    counted = _core.counting_sink_stats("counter")
    assert counted is not None and counted[:2] == (1000, 11 * 1000)
    assert _committed(bootstrap_servers, "connect-counter", topic_name, 2) == {0: 500, 1: 500}
    assert _core.counting_sink_stats("never-started") is None
