"""The source runtime on Apache Kafka: delivery, offsets across restarts and crashes,
reconfiguration, failures, stop semantics and async tasks. Fault injection uses the embedded broker."""

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
from typing import Any, ClassVar

import ferroconnect as fc
import pytest
from process_helpers import stop_gracefully
from source_helpers import (
    AsyncSource,
    BlockingSource,
    CountingSource,
    CountingTask,
    create_topic,
    end_offset,
    read_values,
    wait_until,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
LINES = 100_000


def _write_lines(path: Path, start: int, stop: int) -> None:
    with path.open("a") as f:
        f.writelines(f"line {i}\n" for i in range(start, stop))


def _standalone(tmp: Path, bootstrap: str, topic: str, source: Path) -> subprocess.Popen[bytes]:
    worker = tmp / "worker.properties"
    worker.write_text(
        f"bootstrap.servers={bootstrap}\n"
        "key.converter=org.apache.kafka.connect.storage.StringConverter\n"
        "value.converter=org.apache.kafka.connect.storage.StringConverter\n"
        f"offset.storage.file.filename={tmp / 'offsets.json'}\n"
        "offset.flush.interval.ms=500\n"
        # The REST API on a free port: tests may run next to another worker.
        "listeners=http://127.0.0.1:0\n"
    )
    connector = tmp / "source.properties"
    connector.write_text(
        f"name=file-source\nconnector.class=file_stream.FileStreamSource\ntasks.max=1\nfile={source}\ntopic={topic}\n"
    )
    env = {**os.environ, "PYTHONPATH": str(EXAMPLES)}
    log = (tmp / "worker.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "ferroconnect.cli", "standalone", str(worker), str(connector)],
        env=env,
        stdout=log,
        stderr=log,
    )


def _committed_position(tmp: Path) -> int:
    path = tmp / "offsets.json"
    if not path.exists():
        return 0
    entries = json.loads(path.read_text())
    return max((v["position"] for v in entries.values()), default=0)


def test_file_source_standalone_exactly_once_then_resumes_after_graceful_stop(
    tmp_path: Path, bootstrap_servers: str, topic_name: str
) -> None:
    create_topic(bootstrap_servers, topic_name)
    source = tmp_path / "in.txt"
    _write_lines(source, 0, LINES)
    started = time.monotonic()
    worker = _standalone(tmp_path, bootstrap_servers, topic_name, source)
    try:
        values = read_values(bootstrap_servers, topic_name, LINES, timeout=120)
        elapsed = time.monotonic() - started
        print(f"{len(values)} lines in {elapsed:.1f}s through ferroconnect standalone")
        assert values == [f"line {i}" for i in range(LINES)]
        wait_until(lambda: _committed_position(tmp_path) == source.stat().st_size, what="offsets committed")
    finally:
        stop_gracefully(worker, tmp_path / "worker.log")
    _write_lines(source, LINES, LINES + 1000)
    worker = _standalone(tmp_path, bootstrap_servers, topic_name, source)
    try:
        values = read_values(bootstrap_servers, topic_name, LINES + 2000, timeout=60, idle=4)
        assert values == [f"line {i}" for i in range(LINES + 1000)], (
            "duplicates or gaps after a graceful restart"
        )
    finally:
        stop_gracefully(worker, tmp_path / "worker.log")


def test_kill_9_mid_stream_loses_nothing(
    tmp_path: Path, bootstrap_servers: str, topic_name: str, report: Callable[[str], None]
) -> None:
    create_topic(bootstrap_servers, topic_name)
    source = tmp_path / "in.txt"
    _write_lines(source, 0, 1000)
    # The file grows (about 20,000 lines/s) while the source runs, so that the kill lands mid-stream.
    writer = threading.Thread(
        target=lambda: [
            (_write_lines(source, i, i + 1000), time.sleep(0.05)) for i in range(1000, LINES, 1000)
        ]
    )
    worker = _standalone(tmp_path, bootstrap_servers, topic_name, source)
    writer.start()
    wait_until(lambda: _committed_position(tmp_path) > 0, timeout=60, what="a first offset commit")
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    writer.join()
    committed = _committed_position(tmp_path)
    committed_lines = source.read_bytes()[:committed].count(b"\n")
    worker = _standalone(tmp_path, bootstrap_servers, topic_name, source)
    try:
        values = read_values(bootstrap_servers, topic_name, 2 * LINES, timeout=120, idle=4)
    finally:
        stop_gracefully(worker, tmp_path / "worker.log")
    expected = [f"line {i}" for i in range(LINES)]
    assert committed_lines < LINES, "the kill did not land mid-stream"
    assert set(values) == set(expected), "lines were lost"
    duplicates = len(values) - LINES
    duplicated = {v for v, n in Counter(values).items() if n > 1}
    assert all(int(v.split()[1]) >= committed_lines for v in duplicated), "a committed line was re-delivered"
    report(
        f"source kill -9 after {committed_lines} of {LINES} lines committed: all {LINES} lines in the "
        f"topic, {duplicates} duplicates, all at or after the committed line"
    )
    # Order is kept within each run: the second run restarts exactly at the committed line.
    first_dup = (
        values.index(f"line {committed_lines}", values.index(f"line {committed_lines}") + 1)
        if duplicates
        else None
    )
    if first_dup is not None:
        assert values[first_dup:] == expected[committed_lines:]


def test_request_task_reconfiguration_changes_the_number_of_tasks(
    bootstrap_servers: str, topic_name: str
) -> None:
    CountingSource.instances.clear()
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector(
            "counting", {"connector.class": CountingSource, "tasks.max": 4, "tasks": 1, "topic": topic_name}
        )
        worker.wait_for_state("counting", tasks=1)
        CountingSource.instances[-1].change_tasks_from_own_thread(3)
        worker.wait_for_state("counting", tasks=3)
        assert [c["task.index"] for c in worker.task_configs("counting")] == ["0", "1", "2"]
        values = read_values(bootstrap_servers, topic_name, 300, idle=2)
        assert {v.split(":")[0] for v in values} >= {"0"}


def test_failing_poll_fails_only_that_task_with_its_traceback(
    bootstrap_servers: str, topic_name: str
) -> None:
    CountingTask.fail_switch.clear()
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector(
            "failing",
            {
                "connector.class": CountingSource,
                "tasks.max": 2,
                "tasks": 2,
                "topic": topic_name,
                "fail.task": 1,
            },
        )
        worker.wait_for_state("failing", tasks=2)
        CountingTask.fail_switch.set()
        wait_until(
            lambda: worker.status("failing").task_states == ["RUNNING", "FAILED"], what="task 1 FAILED"
        )
        status = worker.status("failing")
        trace = status["tasks"][1]["trace"]
        assert "Traceback" in trace and "ValueError: task 1 was told to fail" in trace
        assert status.state == "RUNNING"
        # The sibling keeps producing.
        before = end_offset(bootstrap_servers, topic_name)
        wait_until(lambda: end_offset(bootstrap_servers, topic_name) > before, what="the sibling's records")
        CountingTask.fail_switch.clear()
        worker.restart("failing", include_tasks=True, only_failed=True)
        worker.wait_for_state("failing", tasks=2)


def test_stop_during_a_blocking_poll_returns_within_the_shutdown_timeout(bootstrap_servers: str) -> None:
    with fc.Worker(bootstrap_servers, task_shutdown_graceful_timeout_ms=5000) as worker:
        worker.create_connector("blocking", {"connector.class": BlockingSource, "topic": "unused"})
        worker.wait_for_state("blocking", tasks=1)
        time.sleep(0.2)
        started = time.monotonic()
        worker.delete_connector("blocking")
        assert time.monotonic() - started < 5
        assert worker.connectors() == []


def test_async_poll_runs_while_the_caller_runs_an_event_loop(bootstrap_servers: str, topic_name: str) -> None:
    create_topic(bootstrap_servers, topic_name)

    async def main() -> list[str]:
        with fc.Worker(bootstrap_servers) as worker:
            worker.create_connector("async", {"connector.class": AsyncSource, "topic": topic_name})
            await asyncio.sleep(0.1)
            return await asyncio.to_thread(read_values, bootstrap_servers, topic_name, 100, 30.0, 2.0)

    values = asyncio.run(main())
    assert values == [f"a{i}" for i in range(100)]


def test_missing_connector_class_names_what_was_looked_up(bootstrap_servers: str) -> None:
    with fc.Worker(bootstrap_servers) as worker:
        with pytest.raises(fc.ConfigError, match=r"nowhere\.Missing.*looked in"):
            worker.create_connector("bad", {"connector.class": "nowhere.Missing"})
        with pytest.raises(fc.ConfigError, match=r"tasks\.max"):
            worker.create_connector("bad", {"connector.class": CountingSource, "tasks.max": "0"})


def test_broker_faults_are_retried_and_offsets_never_pass_unacknowledged_records(
    tmp_path: Path, topic_name: str
) -> None:
    with fc.EmbeddedKafka() as kafka:
        kafka.create_topic(topic_name, 1)
        source = tmp_path / "in.txt"
        _write_lines(source, 0, 20_000)
        offsets = tmp_path / "offsets.json"
        sys.path.insert(0, str(EXAMPLES))
        from file_stream import FileStreamSource

        with fc.Worker(
            kafka.bootstrap_servers, offset_flush_interval_ms=100, offset_storage_file_filename=str(offsets)
        ) as w:
            kafka.request_errors("Produce", [6, 7, 6, 7, 6])
            w.create_connector(
                "faulty",
                {
                    "connector.class": FileStreamSource,
                    "file": str(source),
                    "topic": topic_name,
                    "batch.size": 500,
                },
            )
            time.sleep(0.3)
            kafka.broker_down(1)
            time.sleep(2)
            # While the broker is down nothing is acknowledged, so nothing past it is committed.
            down_position = _committed_position(tmp_path)
            time.sleep(1)
            assert _committed_position(tmp_path) == down_position
            kafka.broker_up(1)
            values = read_values(kafka.bootstrap_servers, topic_name, 20_000, timeout=60)
            wait_until(
                lambda: _committed_position(tmp_path) == source.stat().st_size, what="all offsets committed"
            )
        assert values == [f"line {i}" for i in range(20_000)]
        assert w is not None


class _ThreadLocalTask(fc.SourceTask):
    """Keeps a value in a ``threading.local`` at start and reports in poll whether it is still there."""

    seen: ClassVar[list[tuple[object, bool]]] = []

    def start(self, config: dict[str, str]) -> None:
        self.local = threading.local()
        self.local.value = "set in start"
        self.thread = threading.get_ident()

    def poll(self) -> list[fc.SourceRecord] | None:
        _ThreadLocalTask.seen.append(
            (getattr(self.local, "value", None), threading.get_ident() == self.thread)
        )
        time.sleep(0.01)
        return None


class _ThreadLocalSource(fc.SourceConnector):
    def task_class(self) -> type[fc.SourceTask]:
        return _ThreadLocalTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{}]


def test_a_task_thread_keeps_its_python_thread_state_across_calls(bootstrap_servers: str) -> None:
    # One Python thread state for the task thread's life: what start() put in a threading.local
    # is still there in poll() (a thread state made per call would have started empty each time).
    _ThreadLocalTask.seen.clear()
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector("locals", {"connector.class": _ThreadLocalSource})
        wait_until(lambda: len(_ThreadLocalTask.seen) >= 3, what="three polls")
    assert set(_ThreadLocalTask.seen[:3]) == {("set in start", True)}


class _OneTaskSource(fc.SourceConnector):
    """One task of the class a subclass names (``task``), given the connector's config."""

    task: ClassVar[type[fc.SourceTask]]

    def start(self, config: dict[str, str]) -> None:
        self.settings = config

    def task_class(self) -> type[fc.SourceTask]:
        return self.task

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.settings)]


class _ThreadBoundTask(fc.SourceTask):
    """Sends 5 batches of 100 records and notes the thread of every call into it: `poll` runs one
    batch ahead of the sending (on another thread), yet `commit` and `commit_record` must come on
    the task's own thread, where `start` ran, as before (thread-bound state such as an sqlite
    connection made in `start` keeps working in all of them)."""

    calls: ClassVar[list[tuple[str, bool]]] = []

    def start(self, config: dict[str, str]) -> None:
        self.thread = threading.get_ident()
        self.topic = config["topic"]
        self.sent = 0

    def _note(self, call: str) -> None:
        _ThreadBoundTask.calls.append((call, threading.get_ident() == self.thread))

    def poll(self) -> list[fc.SourceRecord] | None:
        self._note("poll")
        if self.sent >= 5:
            time.sleep(0.01)
            return None
        first, self.sent = self.sent * 100, self.sent + 1
        offsets = range(first, first + 100)
        return [fc.SourceRecord({"p": 0}, {"o": o}, self.topic, value=str(o)) for o in offsets]

    def commit(self) -> None:
        self._note("commit")

    def commit_record(self, record: fc.SourceRecord, metadata: Any) -> None:
        self._note("commit_record")


class _ThreadBoundSource(_OneTaskSource):
    task = _ThreadBoundTask


def test_commit_and_commit_record_run_on_the_task_thread_while_poll_runs_ahead(
    bootstrap_servers: str, topic_name: str
) -> None:
    _ThreadBoundTask.calls.clear()
    calls = _ThreadBoundTask.calls
    with fc.Worker(bootstrap_servers, offset_flush_interval_ms=100) as worker:
        worker.create_connector("thread-bound", {"connector.class": _ThreadBoundSource, "topic": topic_name})
        wait_until(
            lambda: sum(c == "commit_record" for c, _ in calls) == 500 and ("commit", True) in calls,
            what="500 commit_record calls and a commit",
        )
        assert worker.status("thread-bound")["tasks"][0]["state"] == "RUNNING"
    assert read_values(bootstrap_servers, topic_name, 500) == [str(o) for o in range(500)]
    assert {call for call, _ in calls} == {"poll", "commit", "commit_record"}
    assert all(same for _, same in calls), [call for call, same in calls if not same][:5]


class _LastBatchTask(fc.SourceTask):
    """`poll` blocks until `stop`, then returns one batch: the batch a poll returns after the stop
    request is still sent (as in Kafka Connect, whose loop sends what its last poll returned)."""

    def start(self, config: dict[str, str]) -> None:
        self.topic = config["topic"]
        self.stopped = threading.Event()
        self.returned = False

    def poll(self) -> list[fc.SourceRecord] | None:
        self.stopped.wait(20)
        if self.returned:
            return None
        self.returned = True
        return [fc.SourceRecord({"p": 0}, {"o": o}, self.topic, value=f"last {o}") for o in range(3)]

    def stop(self) -> None:
        self.stopped.set()


class _LastBatchSource(_OneTaskSource):
    task = _LastBatchTask


def test_the_batch_a_poll_returns_after_stop_is_still_sent(bootstrap_servers: str, topic_name: str) -> None:
    with fc.Worker(bootstrap_servers, task_shutdown_graceful_timeout_ms=10_000) as worker:
        worker.create_connector("last-batch", {"connector.class": _LastBatchSource, "topic": topic_name})
        wait_until(
            lambda: [t["state"] for t in worker.status("last-batch")["tasks"]] == ["RUNNING"],
            what="the task running",
        )
    assert read_values(bootstrap_servers, topic_name, 3) == ["last 0", "last 1", "last 2"]


class EqualPartitionsTask(fc.SourceTask):
    """Fresh partition dicts for every record: equal ones share a stored offset, while `1`, `1.0`
    and `True` (equal to Python) stay apart, as their JSON does."""

    def start(self, config: dict[str, str]) -> None:
        self.topic = config["topic"]
        self.sent = False

    def poll(self) -> list[fc.SourceRecord] | None:
        if self.sent:
            time.sleep(0.05)
            return None
        self.sent = True
        partitions = [1, 1, 1.0, True, 1, [1, "a"], (1, "a")]
        return [
            fc.SourceRecord({"p": p, "t": "x"}, {"o": i}, self.topic, value=b"v")
            for i, p in enumerate(partitions)
        ]


class EqualPartitionsSource(_OneTaskSource):
    task = EqualPartitionsTask


def test_equal_fresh_partitions_share_an_offset_and_json_types_stay_apart(
    bootstrap_servers: str, topic_name: str
) -> None:
    create_topic(bootstrap_servers, topic_name)
    with fc.Worker(bootstrap_servers, **{"offset.flush.interval.ms": "100"}) as worker:
        worker.create_connector("parts", {"connector.class": EqualPartitionsSource, "topic": topic_name})

        def stored() -> dict[str, Any]:
            return {json.dumps(o["partition"]): o["offset"] for o in worker.offsets("parts")}

        expected = {
            '{"p": 1, "t": "x"}': {"o": 4},
            '{"p": 1.0, "t": "x"}': {"o": 2},
            '{"p": true, "t": "x"}': {"o": 3},
            '{"p": [1, "a"], "t": "x"}': {"o": 6},
        }
        try:
            wait_until(lambda: stored() == expected, timeout=30, what="the offsets of 4 partitions")
        except TimeoutError:
            assert stored() == expected
            raise


class OffsetShapesTask(EqualPartitionsTask):
    """Offsets of every shape, each partition's last one different in shape or key from the one
    before it: one-key dicts (kept without a map of their own by the runtime) must be stored
    exactly as a dict of several keys or a nested one is."""

    def poll(self) -> list[fc.SourceRecord] | None:
        if self.sent:
            time.sleep(0.05)
            return None
        self.sent = True
        offsets = [
            ("a", {"o": 1}),
            ("a", {"o": 2}),
            ("b", {"o": 1}),
            ("b", {"x": "2"}),
            ("c", {"o": 1}),
            ("c", {"o": 2, "p": 3}),
            ("d", {"o": 1, "p": 2}),
            ("d", {"o": {"n": [1, 2.5, None, True]}}),
            ("f", {"o": -0.0}),
        ]
        return [fc.SourceRecord({"p": p}, o, self.topic, value=b"v") for p, o in offsets]


class OffsetShapesSource(EqualPartitionsSource):
    def task_class(self) -> type[fc.SourceTask]:
        return OffsetShapesTask


def test_offsets_of_every_shape_are_stored_as_given(bootstrap_servers: str, topic_name: str) -> None:
    create_topic(bootstrap_servers, topic_name)
    with fc.Worker(bootstrap_servers, **{"offset.flush.interval.ms": "100"}) as worker:
        worker.create_connector("shapes", {"connector.class": OffsetShapesSource, "topic": topic_name})

        def stored() -> dict[str, Any]:
            return {o["partition"]["p"]: o["offset"] for o in worker.offsets("shapes")}

        expected = {
            "a": {"o": 2},
            "b": {"x": "2"},
            "c": {"o": 2, "p": 3},
            "d": {"o": {"n": [1, 2.5, None, True]}},
            "f": {"o": -0.0},
        }
        wait_until(lambda: stored().keys() == expected.keys(), timeout=30, what="the offsets of 5 partitions")
        assert stored() == expected
        assert json.dumps(stored()["f"]) == '{"o": -0.0}'
