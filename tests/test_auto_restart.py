"""Automatic restarts of FAILED tasks (``ferroconnect.restart.*``, docs/restarts.md), on the real
broker: a task that fails twice then recovers is restarted and reaches RUNNING, its attempts shown in
its status meanwhile; one that keeps failing is given up at the cap; a config error is not retried;
the count resets after the healthy period; the keys validate in a group of their own."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, ClassVar

import ferroconnect as fc
import pytest
from cluster_helpers import ClusterWorker, cluster_props, statuses, wait_for
from source_helpers import read_values, wait_until

# Short delays so that the tests take seconds; no jitter, so that the schedule is known.
FAST = {
    "ferroconnect.restart.enabled": "true",
    "ferroconnect.restart.backoff.initial.ms": "300",
    "ferroconnect.restart.backoff.max.ms": "2000",
    "ferroconnect.restart.backoff.jitter": "0",
}


class FlakyTask(fc.SourceTask):
    """Fails in its first ``poll`` while the class's ``failures_left`` is above zero, then (or once
    ``fail_again`` is set, once more) keeps producing."""

    starts: ClassVar[int] = 0
    failures_left: ClassVar[int] = 0
    fail_again: ClassVar[threading.Event] = threading.Event()
    config_error: ClassVar[bool] = False

    def start(self, config: dict[str, str]) -> None:
        type(self).starts += 1
        if type(self).config_error:
            raise fc.ConfigError("Invalid value -1 for configuration batch.size: must be positive")
        self.topic = config["topic"]
        self.n = 0

    def poll(self) -> list[fc.SourceRecord] | None:
        cls = type(self)
        if cls.failures_left > 0:
            cls.failures_left -= 1
            raise RuntimeError(f"source system unreachable ({cls.failures_left} failures left)")
        if cls.fail_again.is_set():
            cls.fail_again.clear()
            raise RuntimeError("source system unreachable again")
        time.sleep(0.05)
        self.n += 1
        return [fc.SourceRecord({"p": 0}, {"n": self.n}, self.topic, value=f"v{self.n}")]


class FlakySource(fc.SourceConnector):
    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[fc.SourceTask]:
        return FlakyTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [{"topic": self.settings["topic"]}]


@pytest.fixture(autouse=True)
def _fresh_task_class() -> None:
    FlakyTask.starts = 0
    FlakyTask.failures_left = 0
    FlakyTask.config_error = False
    FlakyTask.fail_again.clear()


def _rest_status(worker: fc.Worker, name: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{worker.rest_url}/connectors/{name}/status", timeout=10) as answer:
        result: dict[str, Any] = json.load(answer)
        return result


def _task(worker: fc.Worker, name: str) -> dict[str, Any]:
    task: dict[str, Any] = worker.status(name)["tasks"][0]
    return task


def test_a_task_that_fails_twice_is_restarted_and_recovers_with_its_attempts_in_status(
    bootstrap_servers: str, unique_topic: str
) -> None:
    FlakyTask.failures_left = 2
    seen: list[dict[str, Any]] = []
    with fc.Worker(bootstrap_servers, rest_port=0) as worker:
        before = time.time() * 1000
        worker.create_connector("flaky", {"connector.class": FlakySource, "topic": unique_topic, **FAST})

        def recovered() -> bool:
            task = _task(worker, "flaky")
            seen.append(task)
            return task["state"] == "RUNNING" and FlakyTask.starts == 3

        wait_until(recovered, timeout=30, what="the task RUNNING after two automatic restarts")
        # The restarts meanwhile: FAILED with the next attempt planned, first after 300 ms, then 600.
        waiting = [t for t in seen if t["state"] == "FAILED"]
        assert waiting, seen
        # (The supervisor plans the next attempt within 100 ms of the failure.)
        planned = [t for t in waiting if "next_attempt_ms" in t["restarts"]]
        assert planned, waiting
        assert {t["restarts"]["attempts"] for t in waiting} <= {0, 1}, waiting
        first = next(t for t in planned if t["restarts"]["attempts"] == 0)
        assert before + 300 <= first["restarts"]["next_attempt_ms"] <= time.time() * 1000, first
        assert "source system unreachable" in first["trace"]
        # Recovered: RUNNING, two attempts counted, none planned; the REST API shows the same.
        assert _task(worker, "flaky")["restarts"] == {"attempts": 2}
        rest_task = _rest_status(worker, "flaky")["tasks"][0]
        assert rest_task["state"] == "RUNNING" and rest_task["restarts"] == {"attempts": 2}, rest_task
        assert set(rest_task) == {"id", "state", "worker_id", "restarts"} | ({"version"} & set(rest_task))
        assert len(read_values(bootstrap_servers, unique_topic, 3, idle=10)) == 3


class FlakySinkTask(fc.SinkTask):
    """Fails in ``start`` twice (an ordinary failure, not a config error), then takes records."""

    starts: ClassVar[int] = 0
    taken: ClassVar[list[str]] = []

    def start(self, config: dict[str, str]) -> None:
        type(self).starts += 1
        if type(self).starts <= 2:
            raise RuntimeError("database unreachable")

    def put(self, records: list[fc.SinkRecord]) -> None:
        type(self).taken.extend(str(r.value) for r in records)


class FlakySink(fc.SinkConnector):
    def start(self, config: dict[str, str]) -> None:
        self.settings = dict(config)

    def task_class(self) -> type[fc.SinkTask]:
        return FlakySinkTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [self.settings]


def test_a_sink_task_failing_in_start_is_restarted_and_consumes(
    bootstrap_servers: str, unique_topic: str
) -> None:
    FlakySinkTask.starts = 0
    FlakySinkTask.taken = []
    FlakyTask.failures_left = 0
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector("feed", {"connector.class": FlakySource, "topic": unique_topic})
        worker.create_connector("flaky-sink", {"connector.class": FlakySink, "topics": unique_topic, **FAST})
        wait_until(
            lambda: len(FlakySinkTask.taken) >= 3, timeout=30, what="records consumed after two restarts"
        )
        assert FlakySinkTask.starts == 3
        task = _task(worker, "flaky-sink")
        assert task["state"] == "RUNNING" and task["restarts"] == {"attempts": 2}, task
        assert FlakySinkTask.taken[:3] == ["v1", "v2", "v3"]


def test_a_task_that_keeps_failing_is_given_up_at_the_cap(bootstrap_servers: str, unique_topic: str) -> None:
    FlakyTask.failures_left = 1_000
    config = {
        "connector.class": FlakySource,
        "topic": unique_topic,
        **FAST,
        "ferroconnect.restart.backoff.initial.ms": "100",
        "ferroconnect.restart.max.attempts": "2",
    }
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector("doomed", config)
        wait_until(
            lambda: "gave up" in _task(worker, "doomed").get("trace", ""),
            timeout=30,
            what="automatic restarts giving up",
        )
        task = _task(worker, "doomed")
        assert task["state"] == "FAILED"
        assert task["restarts"] == {"attempts": 2}, task
        assert "source system unreachable" in task["trace"], task["trace"]
        last_line = task["trace"].splitlines()[-1]
        assert "gave up after 2 attempts (ferroconnect.restart.max.attempts=2)" in last_line, last_line
        # No further attempt: one start, two restarts.
        time.sleep(1.5)
        assert FlakyTask.starts == 3
        assert _task(worker, "doomed")["state"] == "FAILED"
        # A restart by hand begins a new series.
        worker.restart("doomed", include_tasks=True, only_failed=True)
        wait_until(lambda: FlakyTask.starts >= 4, what="the restart by hand")
        assert _task(worker, "doomed")["restarts"]["attempts"] == 0


def test_a_task_failing_on_its_config_is_not_restarted(bootstrap_servers: str, unique_topic: str) -> None:
    FlakyTask.config_error = True
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector(
            "misconfigured", {"connector.class": FlakySource, "topic": unique_topic, **FAST}
        )
        wait_until(
            lambda: "not restarted" in _task(worker, "misconfigured").get("trace", ""),
            what="the config error noted in the trace",
        )
        time.sleep(1.5)
        task = _task(worker, "misconfigured")
        assert FlakyTask.starts == 1, "a config error was retried"
        assert task["state"] == "FAILED" and task["restarts"] == {"attempts": 0}, task
        assert "ConfigError: Invalid value -1 for configuration batch.size" in task["trace"]
        assert "failed on its configuration" in task["trace"].splitlines()[-1]


def test_the_attempt_count_resets_after_the_healthy_period(bootstrap_servers: str, unique_topic: str) -> None:
    FlakyTask.failures_left = 1
    # One attempt allowed: without the reset, a second failure would be given up.
    config = {
        "connector.class": FlakySource,
        "topic": unique_topic,
        **FAST,
        "ferroconnect.restart.max.attempts": "1",
        "ferroconnect.restart.healthy.period.ms": "1000",
    }
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector("healing", config)
        wait_until(
            lambda: (
                _task(worker, "healing")
                == {**_task(worker, "healing"), "state": "RUNNING", "restarts": {"attempts": 1}}
            ),
            what="one automatic restart",
        )
        wait_until(lambda: _task(worker, "healing")["restarts"] == {"attempts": 0}, what="the count reset")
        assert _task(worker, "healing")["state"] == "RUNNING"
        FlakyTask.fail_again.set()
        wait_until(lambda: FlakyTask.starts == 3, what="a restart after the second failure")
        wait_until(lambda: _task(worker, "healing")["state"] == "RUNNING", what="RUNNING again")
        assert _task(worker, "healing")["restarts"]["attempts"] == 1


def test_off_by_default_the_worker_setting_applies_and_a_connector_overrides_it(
    bootstrap_servers: str, unique_topic: str
) -> None:
    FlakyTask.failures_left = 1
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector("plain", {"connector.class": FlakySource, "topic": unique_topic})
        wait_until(lambda: _task(worker, "plain")["state"] == "FAILED", what="FAILED")
        time.sleep(1)
        # Kafka's shape and behaviour: no restarts field, no restart.
        assert set(_task(worker, "plain")) <= {"id", "state", "worker_id", "trace", "version"}
        assert FlakyTask.starts == 1
    FlakyTask.failures_left = 1
    FlakyTask.starts = 0
    settings = {k.replace(".", "_"): v for k, v in FAST.items()}
    with fc.Worker(bootstrap_servers, **settings) as worker:
        worker.create_connector("by-worker", {"connector.class": FlakySource, "topic": unique_topic})
        wait_until(
            lambda: FlakyTask.starts == 2 and _task(worker, "by-worker")["state"] == "RUNNING", what="restart"
        )
        assert _task(worker, "by-worker")["restarts"] == {"attempts": 1}
        worker.delete_connector("by-worker")  # so that its task cannot take the next failure
        FlakyTask.failures_left = 1
        FlakyTask.starts = 0
        config = {
            "connector.class": FlakySource,
            "topic": unique_topic,
            "ferroconnect.restart.enabled": "false",
        }
        worker.create_connector("opted-out", config)
        wait_until(lambda: _task(worker, "opted-out")["state"] == "FAILED", what="FAILED")
        time.sleep(1)
        assert FlakyTask.starts == 1 and "restarts" not in _task(worker, "opted-out")


def test_the_keys_validate_in_a_group_of_their_own(bootstrap_servers: str) -> None:
    with fc.Worker(bootstrap_servers) as worker:
        plain = worker.validate({"connector.class": FlakySource, "topic": "t"})
        assert "Automatic Restarts" not in plain["groups"]
        result = worker.validate(
            {
                "name": "v",
                "connector.class": FlakySource,
                "topic": "t",
                "ferroconnect.restart.enabled": "true",
                "ferroconnect.restart.backoff.jitter": "1.5",
            }
        )
        assert "Automatic Restarts" in result["groups"]
        by_name = {c["definition"]["name"]: c for c in result["configs"] if c["definition"]}
        assert by_name["ferroconnect.restart.max.attempts"]["definition"]["group"] == "Automatic Restarts"
        assert by_name["ferroconnect.restart.max.attempts"]["value"]["value"] == "10"
        assert by_name["ferroconnect.restart.enabled"]["value"]["errors"] == []
        (error,) = by_name["ferroconnect.restart.backoff.jitter"]["value"]["errors"]
        assert "ferroconnect.restart.backoff.jitter" in error and "no more than 1" in error
        assert result["error_count"] == 1
        with pytest.raises(fc.ConfigError, match=r"ferroconnect\.restart\.backoff\.jitter"):
            worker.create_connector(
                "bad",
                {"connector.class": FlakySource, "topic": "t", "ferroconnect.restart.backoff.jitter": "1.5"},
            )
    with pytest.raises(fc.ConfigError, match=r"ferroconnect\.restart\.max\.attempts"):
        fc.Worker(bootstrap_servers, **{"ferroconnect.restart.max.attempts": "-1"})


FLAKY_MODULE = '''
import os
import time

import ferroconnect as fc


class FlakyTask(fc.SourceTask):
    """Fails in poll after its first two starts (counted in a file beside the workers)."""

    def start(self, config):
        self.topic = config["topic"]
        self.starts = os.path.join(config["state.dir"], "starts")
        with open(self.starts, "a") as out:
            out.write("start\\n")
        self.n = 0

    def poll(self):
        with open(self.starts) as done:
            if len(done.read().splitlines()) <= 2:
                raise RuntimeError("source system unreachable")
        time.sleep(0.05)
        self.n += 1
        return [fc.SourceRecord({"p": 0}, {"n": self.n}, self.topic, value=str(self.n))]


class FlakySource(fc.SourceConnector):
    def start(self, config):
        self.config = dict(config)

    def task_class(self):
        return FlakyTask

    def task_configs(self, max_tasks):
        return [dict(self.config)]
'''


def test_distributed_the_worker_running_the_task_restarts_it_and_the_status_topic_follows(
    tmp_path: Path, bootstrap_servers: str, unique_topic: str
) -> None:
    (tmp_path / "flaky_module.py").write_text(FLAKY_MODULE)
    props = cluster_props(bootstrap_servers, 4000)
    workers = [ClusterWorker(tmp_path, f"worker-{i}", props) for i in range(2)]
    try:
        for worker in workers:
            wait_for(f"{worker.name} serves REST", worker.ready, 90, workers)
        config = {
            "connector.class": "flaky_module.FlakySource",
            "topic": unique_topic,
            "state.dir": str(tmp_path),
            **FAST,
        }
        answer = workers[0].client.post("/connectors", json={"name": "flaky", "config": config})
        assert answer.status_code == 201, answer.text

        def restarted_and_running() -> bool:
            # Each failing start is RUNNING for a moment (start() returned, poll() not yet failed):
            # only the third start's RUNNING is the one after the restarts.
            starts = tmp_path / "starts"
            if not starts.exists() or len(starts.read_text().splitlines()) < 3:
                return False
            views = [statuses(w).get("flaky", {}).get("tasks", []) for w in workers]
            return all(len(tasks) == 1 and tasks[0]["state"] == "RUNNING" for tasks in views)

        wait_for("the task RUNNING after its automatic restarts", restarted_and_running, 60, workers)
        assert (tmp_path / "starts").read_text().splitlines() == ["start"] * 3
        owner_id = statuses(workers[0])["flaky"]["tasks"][0]["worker_id"]
        (owner,) = [w for w in workers if owner_id == f"127.0.0.1:{w.port}"]
        (other,) = [w for w in workers if w is not owner]
        # The worker running the task knows its attempts; the other reads the status topic only.
        mine = owner.client.get("/connectors/flaky/status").json()["tasks"][0]
        assert mine["restarts"] == {"attempts": 2}, mine
        theirs = other.client.get("/connectors/flaky/status", params={"forward": "false"}).json()
        assert theirs["tasks"][0]["state"] == "RUNNING" and "restarts" not in theirs["tasks"][0], theirs
        assert len(read_values(bootstrap_servers, unique_topic, 3, idle=10)) == 3
    finally:
        for worker in workers:
            worker.stop()
