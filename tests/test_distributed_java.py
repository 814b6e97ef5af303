"""Distributed mode next to Java Kafka Connect 4.4.0, on Apache Kafka: one group with a Java worker
and ferroconnect workers is one cluster (one leader, on whichever side); Kafka's FileStream
connectors run on either kind of worker; a killed Java worker's tasks move to ours and resume from
the offsets Java committed; a Python connector placed on the Java worker fails there with a clear
trace; and each runtime runs the connectors the other wrote into the internal topics.

Java Connect runs Kafka's connect-file 4.3.1 (4.4.0 is not on Maven Central) with a small shim
(``tests/jvm/connect/shim``); ferroconnect runs its built-in FileStream connectors, under the same
class names and offset format.
"""

from __future__ import annotations

import collections
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cluster_helpers import ClusterWorker, cluster_props, statuses, wait_for
from source_helpers import read_values

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import java_connect

FILE_SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"
DELAY_MS = 3000

PYTHON_CONNECTOR = """
import ferroconnect as fc


class QuietTask(fc.SourceTask):
    def start(self, config):
        pass

    def poll(self):
        import time

        time.sleep(0.1)
        return None

    def stop(self):
        pass


class QuietSource(fc.SourceConnector):
    def start(self, config):
        self.config = dict(config)

    def task_class(self):
        return QuietTask

    def task_configs(self, max_tasks):
        return [dict(self.config) for _ in range(max_tasks)]

    def stop(self):
        pass
"""


class JavaWorker:
    """Java Connect in distributed mode, with the interface of :class:`ClusterWorker` the tests use."""

    def __init__(self, folder: Path, props: dict[str, str]) -> None:
        self.name = "java"
        worker = {k: v for k, v in props.items() if k != "bootstrap.servers"}
        self.connect = java_connect.start(folder, props["bootstrap.servers"], "distributed", worker=worker)
        self.url = self.connect.url
        self.port = int(self.url.rsplit(":", 1)[1])
        self.client = httpx.Client(base_url=self.url, timeout=60)

    def log_tail(self, chars: int = 4000) -> str:
        return self.connect.log_tail()[-chars:]

    def stop(self) -> None:
        self.connect.stop()
        self.client.close()


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "quiet_source.py").write_text(PYTHON_CONNECTOR)
    yield tmp_path


def file_source(path: Path, topic: str) -> dict[str, str]:
    return {"connector.class": FILE_SOURCE, "file": str(path), "topic": topic}


def owners(status: dict[str, Any]) -> set[str]:
    return {status["connector"]["worker_id"]} | {t["worker_id"] for t in status["tasks"]}


def running(status: dict[str, Any]) -> bool:
    return bool(status["tasks"]) and {status["connector"]["state"]} | {
        t["state"] for t in status["tasks"]
    } == {"RUNNING"}


def write_lines(path: Path, prefix: str, start: int, count: int) -> list[str]:
    lines = [f"{prefix}-{n}" for n in range(start, start + count)]
    with path.open("a") as out:
        out.writelines(f"{line}\n" for line in lines)
    return lines


def test_one_cluster_of_java_and_ferroconnect_workers(folder: Path, bootstrap_servers: str) -> None:
    props = cluster_props(bootstrap_servers, DELAY_MS)
    java = JavaWorker(folder / "java", props)
    ours = [ClusterWorker(folder, f"worker-{i}", props) for i in range(2)]
    workers: list[Any] = [java, *ours]
    try:
        for worker in ours:
            wait_for(f"{worker.name} serves REST", worker.ready, 90, workers)
        topic = f"fc-mixed-{uuid.uuid4().hex[:8]}"
        files = {f"file-{i}": folder / f"in-{i}.txt" for i in range(6)}
        expected: list[str] = []
        for i, (name, path) in enumerate(files.items()):
            expected += write_lines(path, name, 0, 50)
            # Created through either kind of worker: followers of both kinds forward to the leader.
            creator = workers[i % 3]
            answer = creator.client.post(
                "/connectors", json={"name": name, "config": file_source(path, topic)}
            )
            assert answer.status_code == 201, (creator.name, answer.text)

        def all_running_everywhere() -> dict[str, Any] | None:
            views = [statuses(w) for w in workers]
            names = [sorted(v) for v in views]
            ok = all(n == sorted(files) for n in names) and all(running(s) for s in views[0].values())
            return views[0] if ok else None

        view = wait_for(
            "6 FileStream connectors RUNNING, listed alike by every worker",
            all_running_everywhere,
            120,
            workers,
        )
        java_id = f"127.0.0.1:{java.port}"
        placed = collections.Counter(t["worker_id"] for s in view.values() for t in s["tasks"])
        assert java_id in placed and len(placed) == 3, f"tasks on every worker, Java's too: {placed}"
        assert sorted(read_values(bootstrap_servers, topic, len(expected))) == sorted(expected)

        # Offsets committed by Java's tasks (offset.flush.interval.ms=1000), then Java dies.
        java_files = [name for name, s in view.items() if s["tasks"][0]["worker_id"] == java_id]
        time.sleep(3)
        java.connect.kill()

        def moved() -> bool:
            view = statuses(ours[0])
            return all(running(s) and java_id not in owners(s) for s in view.values())

        wait_for("the Java worker's connectors and tasks run on ferroconnect workers", moved, 90, ours)
        # New lines in every file: the moved tasks resume at Java's committed position, so each
        # line is in the topic once.
        for name, path in files.items():
            expected += write_lines(path, name, 50, 20)
        got = read_values(bootstrap_servers, topic, len(expected) + 50, idle=5.0)
        duplicates = {line: n for line, n in collections.Counter(got).items() if n > 1}
        assert sorted(set(got)) == sorted(expected), "every line of every file"
        assert not duplicates, f"moved from Java ({java_files}) without re-reading: {duplicates}"
    finally:
        for worker in workers:
            worker.stop()


def test_a_python_connector_fails_clearly_on_a_java_worker(folder: Path, bootstrap_servers: str) -> None:
    props = cluster_props(bootstrap_servers, DELAY_MS)
    # Ours first, so the leader is one of ours (a group keeps its leader while it stays): a Java
    # leader validates every new config itself and refuses a Python class it cannot load (400).
    ours = [ClusterWorker(folder, f"worker-{i}", props) for i in range(2)]
    for worker in ours:
        wait_for(f"{worker.name} serves REST", worker.ready, 90, ours)
    java = JavaWorker(folder / "java", props)
    workers: list[Any] = [java, *ours]
    try:
        wait_for("Java joined", lambda: java.client.get("/connectors").status_code == 200, 60, workers)
        config = {"connector.class": "quiet_source.QuietSource", "tasks.max": "6"}
        answer = ours[0].client.post("/connectors", json={"name": "quiet", "config": config})
        assert answer.status_code == 201, answer.text
        java_id = f"127.0.0.1:{java.port}"

        def settled() -> dict[str, Any] | None:
            status = statuses(ours[1]).get("quiet")
            if not status:
                return None
            # The instance on Java fails, and then there are no task configs; on ours it makes 6.
            on_java = status["connector"]["worker_id"] == java_id
            if not on_java and len(status["tasks"]) != 6:
                return None
            states = [status["connector"], *status["tasks"]]
            done = all(s["state"] == ("FAILED" if s["worker_id"] == java_id else "RUNNING") for s in states)
            return status if done else None

        status = wait_for("quiet RUNNING on ferroconnect, FAILED on Java", settled, 120, workers)
        on_java = [s for s in [status["connector"], *status["tasks"]] if s["worker_id"] == java_id]
        assert on_java, f"six tasks and the instance over three workers: Java gets some: {status}"
        # Java's own words: the connector's class "quiet_source.QuietSource" cannot be found, or
        # task "quiet-<n>" is "not a recognizable type (source or sink)".
        for failed in on_java:
            assert (
                "quiet_source.QuietSource" in failed["trace"]
                or "Failed to start task quiet-" in failed["trace"]
            )
    finally:
        for worker in workers:
            worker.stop()


@pytest.mark.parametrize("first", ["java", "ferroconnect"])
def test_each_runtime_runs_what_the_other_wrote(folder: Path, bootstrap_servers: str, first: str) -> None:
    props = cluster_props(bootstrap_servers, DELAY_MS)
    topic = f"fc-handover-{uuid.uuid4().hex[:8]}"
    path = folder / "in.txt"
    expected = write_lines(path, "line", 0, 100)

    def start(kind: str, name: str) -> Any:
        if kind == "java":
            return JavaWorker(folder / name, props)
        worker = ClusterWorker(folder, name, props)
        wait_for(f"{name} serves REST", worker.ready, 90, [worker])
        return worker

    before = start(first, "before")
    try:
        answer = before.client.post("/connectors", json={"name": "file", "config": file_source(path, topic)})
        assert answer.status_code == 201, answer.text
        wait_for("file RUNNING", lambda: running(statuses(before)["file"]), 90, [before])
        assert sorted(read_values(bootstrap_servers, topic, 100)) == sorted(expected)
        before.client.put("/connectors/file/pause")
        wait_for(
            "file PAUSED", lambda: statuses(before)["file"]["connector"]["state"] == "PAUSED", 60, [before]
        )
        before.client.put("/connectors/file/resume")
        wait_for("file RUNNING again", lambda: running(statuses(before)["file"]), 60, [before])
        time.sleep(3)  # offsets committed
    finally:
        before.stop()

    after = start("ferroconnect" if first == "java" else "java", "after")
    try:
        wait_for("file RUNNING on the other runtime", lambda: running(statuses(after)["file"]), 90, [after])
        info = after.client.get("/connectors/file").json()
        assert info["config"]["file"] == str(path) and len(info["tasks"]) == 1
        expected += write_lines(path, "line", 100, 20)
        got = read_values(bootstrap_servers, topic, 200, idle=5.0)
        assert sorted(got) == sorted(expected), "resumed at the committed position: nothing lost or repeated"
    finally:
        after.stop()
