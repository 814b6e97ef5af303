"""The connector test kit (``ferroconnect.testing``): the harnesses on the project's example
connectors, the contract check on them and on deliberately broken connectors (every broken rule
caught, with its message), ``ConnectorUtils.group_partitions`` on cases worked out by hand from
Kafka's algorithm, and the pytest plugin's fixture in a project of its own.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import ferroconnect as fc
import pytest
from ferroconnect.testing import (
    RULES,
    SinkTaskHarness,
    SourceTaskHarness,
    Violation,
    check_connector,
    sink_record,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(Path(__file__).parent))
import broken_connectors  # noqa: E402
import file_stream  # noqa: E402
import transforms as transforms_example  # noqa: E402

TP0 = fc.TopicPartition("t", 0)


# --- the source task harness ------------------------------------------------------------------


def test_file_source_resumes_after_a_restart_from_the_committed_position(tmp_path: Path) -> None:
    data = tmp_path / "in.txt"
    data.write_text("one\ntwo\nthree\n")
    config = {"file": str(data), "topic": "lines"}
    with SourceTaskHarness(file_stream.FileStreamSourceTask, config) as harness:
        records = harness.poll_until(3)
        assert [r.value for r in records] == ["one", "two", "three"]
        harness.ack()
        assert harness.commit() == [({"filename": str(data)}, {"position": 14})]
        with data.open("a") as out:
            out.write("four\n")
        resumed = harness.restart()
    try:
        assert resumed.task is not harness.task
        assert [r.value for r in resumed.poll_until(1)] == ["four"]
        assert resumed.committed_offsets == [({"filename": str(data)}, {"position": 14})]
    finally:
        resumed.stop()


def test_only_the_acknowledged_prefix_of_a_partition_is_committed() -> None:
    class Counting(fc.SourceTask):
        def start(self, config: dict[str, str]) -> None:
            saved = self.context.offset_storage_reader.offset({"p": 0})
            self.next = saved["n"] + 1 if saved else 0

        def poll(self) -> list[fc.SourceRecord] | None:
            batch = [
                fc.SourceRecord({"p": 0}, {"n": n}, "t", value=n) for n in range(self.next, self.next + 3)
            ]
            self.next += 3
            return batch

    with SourceTaskHarness(Counting, {}) as harness:
        first, second, third = harness.poll()
        harness.ack([first, third])  # the second is still in flight
        assert harness.commit() == [({"p": 0}, {"n": 0})]
        harness.ack([second])
        assert harness.commit() == [({"p": 0}, {"n": 2})]
        resumed = harness.restart()
    assert [r.value for r in resumed.poll()] == [3, 4, 5]
    resumed.stop()


def test_commit_record_gets_kafka_metadata_and_commit_follows_the_flush() -> None:
    calls: list[Any] = []

    class Tracking(fc.SourceTask):
        def poll(self) -> list[fc.SourceRecord] | None:
            return [
                fc.SourceRecord({"p": 0}, {"n": n}, "t", partition=2, value=n, timestamp=7) for n in range(2)
            ]

        def commit_record(self, record: fc.SourceRecord, metadata: fc.RecordMetadata | None) -> None:
            calls.append((record.value, metadata))

        def commit(self) -> None:
            calls.append("commit")

    with SourceTaskHarness(Tracking, {}) as harness:
        harness.poll()
        harness.poll()
        assert [m.offset for m in harness.ack()] == [0, 1, 2, 3]
        harness.commit()
    assert calls[:2] == [(0, fc.RecordMetadata("t", 2, 0, 7)), (1, fc.RecordMetadata("t", 2, 1, 7))]
    assert calls[-1] == "commit"


def test_async_tasks_run_on_their_own_loop() -> None:
    class Async(fc.SourceTask):
        async def start(self, config: dict[str, str]) -> None:
            await asyncio.sleep(0)
            self.topic = config["topic"]

        async def poll(self) -> list[fc.SourceRecord] | None:
            await asyncio.sleep(0)
            return [fc.SourceRecord({}, {}, self.topic, value="v")]

    with SourceTaskHarness(Async, {"topic": "a"}) as harness:
        assert [(r.topic, r.value) for r in harness.poll()] == [("a", "v")]


def test_a_batch_the_runtime_would_refuse_fails_poll() -> None:
    class NotAList(fc.SourceTask):
        def poll(self) -> Any:
            return fc.SourceRecord({}, {}, "t")

    with SourceTaskHarness(NotAList, {}) as harness, pytest.raises(fc.DataError, match="must return a list"):
        harness.poll()

    class Unconvertible(fc.SourceTask):
        def poll(self) -> list[fc.SourceRecord] | None:
            return [fc.SourceRecord({}, {}, "t", value=object())]

    with (
        SourceTaskHarness(Unconvertible, {}) as harness,
        pytest.raises(fc.DataError, match="VALUE_CONVERTER"),
    ):
        harness.poll()


# --- the sink task harness --------------------------------------------------------------------


def test_file_sink_writes_flushes_and_commits_what_put_received(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    with SinkTaskHarness(file_stream.FileStreamSinkTask, {"file": str(out), "topics": "t"}) as harness:
        harness.open([("t", 0), ("t", 1)])
        harness.put([sink_record("t", 0, 5, "a"), sink_record("t", 1, 0, "b"), sink_record("t", 0, 6, "c")])
        assert harness.current_offsets == {TP0: 7, fc.TopicPartition("t", 1): 1}
        assert harness.commit() == {TP0: 7, fc.TopicPartition("t", 1): 1}
        assert out.read_text() == "a\nb\nc\n"
        assert harness.close([("t", 1)]) == {fc.TopicPartition("t", 1): 1}
        assert harness.assignment == [TP0]
        with pytest.raises(ValueError, match="not assigned: open"):
            harness.put([sink_record("t", 1, 1, "late")])


def test_commit_keeps_what_pre_commit_returns_and_never_more_than_put_received() -> None:
    class Careful(fc.SinkTask):
        def put(self, records: list[fc.SinkRecord]) -> None:
            self.context.pause(("t", 0))
            self.context.offset(("t", 0), 3)
            self.context.request_commit()
            self.context.timeout(250)

        def pre_commit(self, current_offsets: dict[fc.TopicPartition, int]) -> dict[fc.TopicPartition, int]:
            # One durable record fewer than put() received, and a partition far beyond.
            return {**{tp: o - 1 for tp, o in current_offsets.items()}, fc.TopicPartition("t", 9): 99}

    with SinkTaskHarness(Careful, {}) as harness:
        harness.open([TP0])
        harness.put([sink_record("t", 0, 0, 1), sink_record("t", 0, 1, 2)])
        assert harness.pre_commit() == {TP0: 1, fc.TopicPartition("t", 9): 99}
        assert harness.commit() == {TP0: 1}
        assert harness.task.context.assignment() == [TP0]
        log = harness.context_log
        assert (log.paused, log.rewinds, log.commit_requests, log.timeouts_ms) == (
            {TP0},
            [{TP0: 3}],
            1,
            [250],
        )
    assert harness.committed == {TP0: 1}


def test_errant_record_reports_are_captured() -> None:
    class Reporting(fc.SinkTask):
        def put(self, records: list[fc.SinkRecord]) -> None:
            reporter = self.context.errant_record_reporter()
            assert reporter is not None
            for record in records:
                if record.value == "bad":
                    reporter.report(record, ValueError(f"cannot store {record.value!r}")).result(timeout=5)

    with SinkTaskHarness(Reporting, {"errors.log.enable": "true", "errors.tolerance": "all"}) as harness:
        harness.open([TP0])
        bad = sink_record("t", 0, 1, "bad")
        harness.put([sink_record("t", 0, 0, "good"), bad])
    [report] = harness.reports
    assert (report.topic, report.partition, report.offset) == ("t", 0, 1)
    assert report.record is bad
    assert report.error_class == "builtins.ValueError"
    assert report.message == "cannot store 'bad'"

    # Without errors.tolerance=all a report fails the task once put() returns, as in the runtime.
    with SinkTaskHarness(Reporting, {"errors.log.enable": "true"}) as harness:
        harness.open([TP0])
        with pytest.raises(
            fc.ConnectError, match=r"Tolerance exceeded in error handler: put\(\) reported t-0@3"
        ):
            harness.put([sink_record("t", 0, 3, "bad")])
        assert harness.current_offsets == {}

    class Asking(fc.SinkTask):
        def put(self, records: list[fc.SinkRecord]) -> None:
            self.reporter = self.context.errant_record_reporter()

    with SinkTaskHarness(Asking, {}) as harness:
        harness.put([])
        assert harness.task.reporter is None  # type: ignore[attr-defined]


# --- the contract check -----------------------------------------------------------------------


def test_example_connectors_follow_every_rule(tmp_path: Path) -> None:
    data = tmp_path / "in.txt"
    data.write_text("one\ntwo\n")
    assert check_connector(file_stream.FileStreamSource, {"file": str(data), "topic": "lines"}) == []
    assert check_connector(file_stream.FileStreamSink, {"file": str(tmp_path / "out"), "topics": "t"}) == []
    assert check_connector(transforms_example.OrdersSource, {"topic": "orders"}) == []
    assert check_connector(transforms_example.KeepingSink, {"topics": "orders"}) == []


def _messages(violations: list[Violation]) -> dict[str, list[str]]:
    by_rule: dict[str, list[str]] = {}
    for violation in violations:
        assert violation.rule in RULES
        by_rule.setdefault(violation.rule, []).append(violation.message)
    return by_rule


def test_a_broken_source_is_caught_rule_by_rule() -> None:
    found = check_connector(
        broken_connectors.BrokenSource, {"topic": "t", "path": "/data"}, max_tasks=(2,), stop_timeout=1.0
    )
    by_rule = _messages(found)
    assert set(by_rule) == {
        "version",
        "required-keys",
        "task-configs",
        "offset-format",
        "resume",
        "stop-unblocks-poll",
    }
    assert by_rule["version"] == [
        "BrokenSource.version() returned 1: return a non-empty str, e.g. the package's __version__"
    ]
    [required] = by_rule["required-keys"]
    assert required.startswith("without 'path', validate() reports no error but the connector's start() ")
    assert "KeyError: 'path'" in required and "define 'path' in config_def without a default" in required
    assert by_rule["task-configs"][0].startswith(
        "task_configs(2) returned 3 configs: return at most max_tasks"
    )
    assert "fc.ConnectorUtils.group_partitions(items, max_tasks)" in by_rule["task-configs"][0]
    assert by_rule["task-configs"][1].startswith(
        "task_configs(2)[0]['batch.size'] is int 5: task configs are maps"
    )
    assert by_rule["offset-format"][0].startswith(
        "record 0's source offset holds a list under 'lines' ([0, 1]): "
        "values must be str, int, float, bool or None"
    )
    assert by_rule["resume"] == [
        "after a restart the task polled again a record whose offset was committed "
        "(partition {'file': 'in'}, offset {'lines': [0, 1]}): in start(), read "
        "self.context.offset_storage_reader.offset(partition) and continue after it"
    ]
    assert by_rule["stop-unblocks-poll"][0].startswith(
        "poll() was still running 1.0 s after stop() was called from another thread"
    )
    assert "threading.Event" in by_rule["stop-unblocks-poll"][0]
    assert str(found[0]).startswith("[version] ")


def test_broken_sinks_and_configs_are_caught() -> None:
    assert _messages(check_connector(broken_connectors.BrokenSink, {"topics": "t"})) == {
        "task-class": [
            "task_class() returned <class 'broken_connectors.BrokenSourceTask'>: "
            "return a subclass of fc.SinkTask"
        ]
    }
    assert _messages(check_connector(broken_connectors.EmptyBatchSink, {"topics": "t"})) == {
        "sink-lifecycle": [
            "put([]) (the runtime calls put with empty batches) raised IndexError: list index out of range"
        ],
        "stop": ["EmptyBatchSinkTask.stop() raised RuntimeError: connection already closed"],
    }
    by_rule = _messages(check_connector(file_stream.FileStreamSource, {"topic": "a,b"}))
    assert by_rule == {"connector-start": [by_rule["connector-start"][0]]}
    assert "'topic' in FileStreamSource must be a single topic" in by_rule["connector-start"][0]
    missing = _messages(check_connector(broken_connectors.BrokenSource, {"path": "/data"}))["valid-config"]
    assert missing[0].startswith("validate(config) reports 'topic': Missing required configuration")
    assert _messages(check_connector(dict, {})) == {  # type: ignore[arg-type]
        "connector-class": ["<class 'dict'> is not a subclass of fc.SourceConnector or fc.SinkConnector"]
    }


def test_batches_config_defs_and_task_starts_are_checked() -> None:
    assert _messages(check_connector(broken_connectors.BadBatchSource, {})) == {
        "config-def": ["config() returned dict, not a ferroconnect.ConfigDef"],
        "poll-batch": [
            "poll() failed: DataError: poll() must return a list of SourceRecord, a SourceBatch "
            "or None, not <class 'ferroconnect._core.SourceRecord'>"
        ],
    }
    assert _messages(check_connector(broken_connectors.UnstartableSource, {})) == {
        "task-start": [
            "UnstartableTask.start(task_configs(1)[0]) raised ConnectionError: "
            "database at db:5432 refused the connection"
        ]
    }


def test_every_rule_is_broken_by_one_of_the_broken_connectors() -> None:
    """The broken connectors of the tests above, together, break every rule of RULES."""
    broken = [
        (broken_connectors.BrokenSource, {"topic": "t", "path": "/data"}),
        (broken_connectors.BrokenSource, {"path": "/data"}),
        (broken_connectors.BrokenSink, {"topics": "t"}),
        (broken_connectors.EmptyBatchSink, {"topics": "t"}),
        (broken_connectors.BadBatchSource, {}),
        (broken_connectors.UnstartableSource, {}),
        (file_stream.FileStreamSource, {"topic": "a,b"}),
        (dict, {}),
    ]
    caught = {v.rule for cls, config in broken for v in check_connector(cls, config, stop_timeout=1.0)}  # type: ignore[arg-type]
    assert caught == set(RULES)


class UntrackedSource(fc.SourceConnector):
    """Emits the same records after every start, without offsets: nothing to resume from."""

    def start(self, config: dict[str, str]) -> None:
        self.settings = config

    def task_class(self) -> type[fc.SourceTask]:
        return UntrackedTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


class UntrackedTask(fc.SourceTask):
    def start(self, config: dict[str, str]) -> None:
        self.stopping = threading.Event()

    def poll(self) -> list[fc.SourceRecord] | None:
        self.stopping.wait(0.01)
        return [fc.SourceRecord(None, None, "t", value="tick")]  # type: ignore[arg-type]

    def stop(self) -> None:
        self.stopping.set()


def test_records_without_offsets_are_not_expected_to_resume() -> None:
    assert check_connector(UntrackedSource, {}) == []


def test_stop_during_poll_sees_a_poll_that_waits_on_an_event() -> None:
    class Waiting(fc.SourceTask):
        def start(self, config: dict[str, str]) -> None:
            self.stopping = threading.Event()

        def poll(self) -> list[fc.SourceRecord] | None:
            self.stopping.wait(30)
            return None

        def stop(self) -> None:
            self.stopping.set()

    with SourceTaskHarness(Waiting, {}) as harness:
        assert harness.stop_during_poll(timeout=2.0)


# --- ConnectorUtils.group_partitions (tests/test_connector_utils_java.py checks it against Java) ----


@pytest.mark.parametrize(
    ("count", "groups", "expected"),
    [
        # 5 elements in 2 groups: 5 // 2 = 2 each, the first 5 % 2 = 1 group gets one more.
        (5, 2, [[0, 1, 2], [3, 4]]),
        (6, 3, [[0, 1], [2, 3], [4, 5]]),
        (7, 3, [[0, 1, 2], [3, 4], [5, 6]]),
        # More groups than elements: one each, then empty groups (Kafka returns them too).
        (2, 4, [[0], [1], [], []]),
        (0, 2, [[], []]),
        (3, 1, [[0, 1, 2]]),
    ],
)
def test_group_partitions_splits_as_kafka(count: int, groups: int, expected: list[list[int]]) -> None:
    assert fc.ConnectorUtils.group_partitions(list(range(count)), groups) == expected


# --- the pytest plugin ------------------------------------------------------------------------


def test_the_pytest_plugin_gives_an_embedded_kafka_fixture(tmp_path: Path) -> None:
    """In a project of its own (no conftest), installing ferroconnect is enough for the fixture."""
    (tmp_path / "test_uses_fixture.py").write_text(
        textwrap.dedent(
            """
            import ferroconnect as fc

            def test_broker(embedded_kafka):
                assert isinstance(embedded_kafka, fc.EmbeddedKafka)
                embedded_kafka.create_topic("plugin-topic", 2)
                assert embedded_kafka.bootstrap_servers
            """
        )
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
