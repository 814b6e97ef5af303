"""``SourceBatch``: a task's records given column by column. The same records as a list of
``SourceRecord``s: each keeps its own offset, committed only once Kafka acknowledged it (and every
record before it), ``commit_record`` gets a ``SourceRecord`` per record, and a record a converter
refuses is named by its place in the batch. End to end on Apache Kafka."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, ClassVar

import ferroconnect as fc
import pytest
from ferroconnect import _core
from source_helpers import create_topic, wait_until

STRING_CONVERTER = "org.apache.kafka.connect.storage.StringConverter"


def test_a_batch_is_the_records_it_stands_for() -> None:
    batch = fc.SourceBatch(
        {"file": "a.txt"},
        "lines",
        ["x", "y"],
        [7, 8],
        offset_key="position",
        keys=["k1", None],
        partition=2,
        timestamps=[1000, None],
        headers=[[("h", "v")], None],
    )
    assert len(batch) == 2
    assert batch.offset_key == "position" and batch.kafka_partition == 2
    first, second = batch.records()
    assert (first.source_partition, first.source_offset) == ({"file": "a.txt"}, {"position": 7})
    assert (first.topic, first.kafka_partition, first.key, first.value) == ("lines", 2, "k1", "x")
    assert (first.timestamp, first.headers) == (1000, [("h", "v")])
    assert (second.source_offset, second.key, second.timestamp, second.headers) == (
        {"position": 8},
        None,
        None,
        None,
    )
    assert "records=2" in repr(batch)


def test_offsets_may_be_dicts_and_columns_must_match_the_values() -> None:
    batch = fc.SourceBatch({"p": 0}, "t", (b"a", b"b"), ({"n": 1, "f": "x"}, {"n": 2, "f": "x"}))
    assert [r.source_offset for r in batch.records()] == [{"n": 1, "f": "x"}, {"n": 2, "f": "x"}]
    with pytest.raises(fc.DataError, match="2 values but 1 offsets"):
        fc.SourceBatch({"p": 0}, "t", ["a", "b"], [1], offset_key="n")
    with pytest.raises(fc.DataError, match="2 values but 3 keys"):
        fc.SourceBatch({"p": 0}, "t", ["a", "b"], [1, 2], offset_key="n", keys=[1, 2, 3])
    with pytest.raises(fc.DataError, match="values must be a sequence"):
        fc.SourceBatch({"p": 0}, "t", iter(["a"]), [1], offset_key="n")
    # One offset dict for the whole batch, or one bytes value, is not a column.
    with pytest.raises(fc.DataError, match="offsets must be a sequence with one item per record"):
        fc.SourceBatch({"p": 0}, "t", ["a"], {"n": 1})
    with pytest.raises(fc.DataError, match="values must be a sequence"):
        fc.SourceBatch({"p": 0}, "t", b"abc", [1, 2, 3], offset_key="n")


class BatchSource(fc.SourceConnector):
    """One task numbering lines ``line-0``, ``line-1``, ... from the committed position on, in
    SourceBatches of ``batch`` records up to ``total``; each record's offset is
    ``{"position": next line}``. ``commit_record`` calls are recorded when ``record.commits`` is set."""

    commits: ClassVar[list[tuple[Any, Any, Any]]] = []

    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[fc.SourceTask]:
        return CommittingBatchTask if self.settings.get("record.commits") else BatchTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class BatchTask(fc.SourceTask):
    def start(self, config: dict[str, str]) -> None:
        self.topic, self.file = config["topic"], config["file"]
        self.size, self.total = int(config["batch"]), int(config["total"])
        saved = self.context.offset_storage_reader.offset({"file": self.file})
        self.position = saved["position"] if saved else 0
        self.stopped = threading.Event()

    def poll(self) -> fc.SourceBatch | None:
        if self.position >= self.total:
            self.stopped.wait(0.05)
            return None
        first = self.position
        self.position = min(first + self.size, self.total)
        lines = range(first, self.position)
        return fc.SourceBatch(
            {"file": self.file},
            self.topic,
            [f"line-{n}" for n in lines],
            [n + 1 for n in lines],
            offset_key="position",
            keys=[str(n) for n in lines],
            timestamps=[1_700_000_000_000 + n for n in lines],
            headers=[[("n", str(n))] for n in lines],
        )

    def stop(self) -> None:
        self.stopped.set()


class CommittingBatchTask(BatchTask):
    def commit_record(self, record: fc.SourceRecord, metadata: fc.RecordMetadata | None) -> None:
        BatchSource.commits.append((record.value, record.source_offset, metadata))


def _config(topic: str, total: int, **extra: str) -> dict[str, Any]:
    return {
        "connector.class": BatchSource,
        "topic": topic,
        "file": topic,
        "batch": "40",
        "total": str(total),
        "key.converter": STRING_CONVERTER,
        "value.converter": STRING_CONVERTER,
        **extra,
    }


def _worker(bootstrap: str, offsets: Path) -> fc.Worker:
    return fc.Worker(bootstrap, offset_flush_interval_ms=100, offset_storage_file_filename=str(offsets))


def test_batch_records_and_offsets_survive_a_restart(
    bootstrap_servers: str, topic_name: str, tmp_path: Path
) -> None:
    create_topic(bootstrap_servers, topic_name)
    offsets = tmp_path / "offsets.json"
    with _worker(bootstrap_servers, offsets) as worker:
        worker.create_connector("batches", _config(topic_name, 100))
        wanted = [{"partition": {"file": topic_name}, "offset": {"position": 100}}]
        wait_until(lambda: worker.offsets("batches") == wanted, what=f"offsets {wanted}")
    # A new worker on the same files restores the connector, whose task resumes after line 99;
    # given a higher total it goes on from there.
    with _worker(bootstrap_servers, offsets) as worker:
        worker.put_connector_config("batches", _config(topic_name, 250))
        wanted = [{"partition": {"file": topic_name}, "offset": {"position": 250}}]
        wait_until(lambda: worker.offsets("batches") == wanted, what=f"offsets {wanted}")
    stored = _core.read_topic(bootstrap_servers, topic_name, 260, 2.0, 60.0, {})
    assert [value for _, _, _, _, value, _ in stored] == [f"line-{n}".encode() for n in range(250)]
    assert [key for _, _, _, key, _, _ in stored] == [str(n).encode() for n in range(250)]
    assert [ts for _, _, ts, _, _, _ in stored] == [1_700_000_000_000 + n for n in range(250)]
    assert [headers for *_, headers in stored][:2] == [[("n", b"0")], [("n", b"1")]]


def test_commit_record_gets_a_source_record_per_batch_record(bootstrap_servers: str, topic_name: str) -> None:
    BatchSource.commits.clear()
    with fc.Worker(bootstrap_servers, offset_flush_interval_ms=100) as worker:
        worker.create_connector("commits", _config(topic_name, 50, **{"record.commits": "true"}))
        wait_until(lambda: len(BatchSource.commits) == 50, what="50 commit_record calls")
    assert [(value, offset) for value, offset, _ in BatchSource.commits] == [
        (f"line-{n}", {"position": n + 1}) for n in range(50)
    ]
    assert [metadata.offset for _, _, metadata in BatchSource.commits] == list(range(50))
    assert {metadata.topic for _, _, metadata in BatchSource.commits} == {topic_name}


class RefusedSource(fc.SourceConnector):
    """One SourceBatch of three values, the second of which no converter can write (a ``set``)."""

    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[fc.SourceTask]:
        return RefusedTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class RefusedTask(fc.SourceTask):
    def start(self, config: dict[str, str]) -> None:
        self.topic = config["topic"]
        self.sent = False

    def poll(self) -> fc.SourceBatch | None:
        if self.sent:
            time.sleep(0.05)
            return None
        self.sent = True
        return fc.SourceBatch({"p": 0}, self.topic, ["ok0", {1, 2}, "ok2"], [0, 1, 2], offset_key="n")


def test_a_refused_batch_record_is_named_by_its_place_in_the_batch(
    bootstrap_servers: str, topic_name: str
) -> None:
    config = {"connector.class": RefusedSource, "topic": topic_name, "value.converter": STRING_CONVERTER}
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector("refused", config)
        wait_until(lambda: worker.status("refused").task_states == ["FAILED"], what="task FAILED")
        trace = str(worker.status("refused")["tasks"][0]["trace"])
    assert "Tolerance exceeded in error handler" in trace, trace
    assert "record 1 of the batch polled by task refused-0" in trace, trace
    assert 'source partition {"p":0}, source offset {"n":1}' in trace, trace
    assert "cannot convert a value of type set without a schema" in trace, trace


def test_tolerated_refusals_skip_the_record_and_commit_the_rest(
    bootstrap_servers: str, topic_name: str
) -> None:
    create_topic(bootstrap_servers, topic_name)
    config = {
        "connector.class": RefusedSource,
        "topic": topic_name,
        "value.converter": STRING_CONVERTER,
        "errors.tolerance": "all",
    }
    with fc.Worker(bootstrap_servers, offset_flush_interval_ms=100) as worker:
        worker.create_connector("skips", config)
        wanted = [{"partition": {"p": 0}, "offset": {"n": 2}}]
        wait_until(lambda: worker.offsets("skips") == wanted, what=f"offsets {wanted}")
    stored = _core.read_topic(bootstrap_servers, topic_name, 3, 2.0, 30.0, {})
    assert [value for _, _, _, _, value, _ in stored] == [b"ok0", b"ok2"]


def test_the_source_task_harness_takes_a_batch_as_its_records() -> None:
    from ferroconnect.testing import SourceTaskHarness

    config = {"topic": "lines", "file": "f", "batch": "3", "total": "5"}

    with SourceTaskHarness(BatchTask, config) as harness:
        records = harness.poll_until(5)
        assert [r.value for r in records] == [f"line-{n}" for n in range(5)]
        harness.ack()
        assert harness.commit() == [({"file": "f"}, {"position": 5})]
