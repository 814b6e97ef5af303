"""Distributed mode on Apache Kafka: ``ferroconnect distributed`` worker processes that share a
``group.id`` form one cluster, keep configs, statuses and offsets in the three internal topics,
split connectors and tasks evenly, forward writes to the leader, move a dead worker's work after
``scheduled.rebalance.max.delay.ms`` (and a departing worker's at once), and restart only the tasks
that move.

Connectors: the built-in native generator (``GeneratorSourceConnector``) where only the cluster is
under test; a Python counter source (``counter_source.py``, written beside the workers) where
records, offsets and ``start()`` calls are counted.
"""

from __future__ import annotations

import collections
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cluster_helpers import ClusterWorker, all_running, cluster_props, generator, statuses, wait_for
from source_helpers import read_values

DELAY_MS = 4000
"""``scheduled.rebalance.max.delay.ms`` of the test clusters: how long a departed worker's work waits."""

COUNTER_SOURCE = '''
import os
import time

import ferroconnect as fc


class CounterTask(fc.SourceTask):
    """Counts up from its committed offset: records "<task>:<n>", offset {"n": n}; notes each start."""

    def start(self, config):
        self.task = config["task"]
        self.topic = config["topic"]
        with open(os.path.join(config["starts.dir"], f"starts-{self.task}"), "a") as out:
            out.write("start\\n")
        saved = self.context.offset_storage_reader.offset({"task": self.task})
        self.next = saved["n"] + 1 if saved else 0

    def poll(self):
        time.sleep(0.05)
        records = []
        for _ in range(20):
            value = f"{self.task}:{self.next}"
            records.append(fc.SourceRecord({"task": self.task}, {"n": self.next}, self.topic, value=value))
            self.next += 1
        return records

    def stop(self):
        pass


class CounterSource(fc.SourceConnector):
    def start(self, config):
        self.config = dict(config)

    def task_class(self):
        return CounterTask

    def task_configs(self, max_tasks):
        return [{**self.config, "task": str(i)} for i in range(max_tasks)]

    def stop(self):
        pass
'''


class Cluster:
    """Workers of one new cluster (own group and internal topics) on the test broker; ``props``
    may be changed before the first :meth:`start`."""

    def __init__(self, folder: Path, bootstrap: str) -> None:
        self.folder = folder
        self.props = cluster_props(bootstrap, DELAY_MS)
        self.started: list[ClusterWorker] = []
        (folder / "counter_source.py").write_text(COUNTER_SOURCE)
        self.starts_dir = folder / "starts"
        self.starts_dir.mkdir()

    def start(self, count: int) -> list[ClusterWorker]:
        new = [
            ClusterWorker(self.folder, f"worker-{len(self.started) + i}", self.props) for i in range(count)
        ]
        self.started.extend(new)
        for worker in new:
            wait_for(f"{worker.name} serves REST", worker.ready, 90, new)
        return new

    def counter(self, topic: str, tasks: int) -> dict[str, str]:
        """A counter source's config."""
        return {
            "connector.class": "counter_source.CounterSource",
            "tasks.max": str(tasks),
            "topic": topic,
            "starts.dir": str(self.starts_dir),
        }

    def starts(self) -> dict[str, int]:
        """``start()`` calls so far, by task number."""
        return {p.name.split("-", 1)[1]: len(p.read_text().splitlines()) for p in self.starts_dir.iterdir()}


@pytest.fixture
def cluster(tmp_path: Path, bootstrap_servers: str) -> Iterator[Cluster]:
    made = Cluster(tmp_path, bootstrap_servers)
    yield made
    for worker in made.started:
        worker.stop()


def worker_id(worker: ClusterWorker) -> str:
    return f"127.0.0.1:{worker.port}"


def task_owners(worker: ClusterWorker, name: str) -> dict[int, str]:
    return {t["id"]: t["worker_id"] for t in statuses(worker)[name]["tasks"]}


@pytest.mark.parametrize("protocol", ["sessioned", "compatible", "eager"])
def test_three_workers_share_connectors_and_agree_on_status(cluster: Cluster, protocol: str) -> None:
    cluster.props["connect.protocol"] = protocol
    workers = cluster.start(3)
    topic = f"fc-dist-{uuid.uuid4().hex[:8]}"
    # One connector created on each worker: at least two of them are not the leader and forward.
    for i, worker in enumerate(workers):
        answer = worker.client.post("/connectors", json={"name": f"gen-{i}", "config": generator(topic, 3)})
        assert answer.status_code == 201, (worker.name, answer.text, worker.log_tail())
        assert answer.json()["name"] == f"gen-{i}"
    duplicate = workers[2].client.post("/connectors", json={"name": "gen-0", "config": generator(topic, 3)})
    assert duplicate.status_code == 409, duplicate.text

    def settled() -> dict[str, Any] | None:
        views = [statuses(w) for w in workers]
        if any(len(v) != 3 or not all(all_running(s, 3) for s in v.values()) for v in views):
            return None
        return views[0] if all(v == views[0] for v in views) else None

    view = wait_for("every worker sees 3 connectors x 3 tasks RUNNING, the same", settled, 90, workers)
    # Evenly spread: 12 instances (3 connectors, 9 tasks) over 3 workers, counts differ by at most 1.
    tasks_per_worker = collections.Counter(t["worker_id"] for s in view.values() for t in s["tasks"])
    connectors_per_worker = collections.Counter(s["connector"]["worker_id"] for s in view.values())
    ids = {f"127.0.0.1:{w.port}" for w in workers}
    assert set(tasks_per_worker) == ids, tasks_per_worker
    assert max(tasks_per_worker.values()) - min(tasks_per_worker.values()) <= 1, tasks_per_worker
    assert max(connectors_per_worker.values()) <= 1 + min(connectors_per_worker.get(i, 0) for i in ids)

    # Reads agree everywhere: list, config, task configs, the topics used (KIP-558, from the status
    # topic: whichever worker ran the tasks).
    for worker in workers:

        def listed(w: ClusterWorker = worker) -> Any:
            answer = w.client.get("/connectors/gen-1/topics").json()
            return answer if answer["gen-1"]["topics"] else None

        topics = wait_for("gen-1's topic listed", listed, 30, workers)
        assert topics == {"gen-1": {"topics": [topic]}}, topics
        assert sorted(worker.client.get("/connectors").json()) == ["gen-0", "gen-1", "gen-2"]
        assert worker.client.get("/connectors/gen-1/config").json()["topic"] == topic
        assert len(worker.client.get("/connectors/gen-1/tasks").json()) == 3

    # Pause from one worker, seen from all; resume; delete from another.
    assert workers[1].client.put("/connectors/gen-0/pause").status_code == 202
    wait_for(
        "gen-0 PAUSED everywhere",
        lambda: (
            all(statuses(w)["gen-0"]["connector"]["state"] == "PAUSED" for w in workers)
            and all({t["state"] for t in statuses(w)["gen-0"]["tasks"]} == {"PAUSED"} for w in workers)
        ),
        60,
        workers,
    )
    assert workers[2].client.put("/connectors/gen-0/resume").status_code == 202
    wait_for("gen-0 RUNNING again", lambda: all_running(statuses(workers[0])["gen-0"], 3), 60, workers)
    assert workers[0].client.delete("/connectors/gen-2").status_code == 204
    wait_for(
        "gen-2 gone everywhere",
        lambda: all(sorted(w.client.get("/connectors").json()) == ["gen-0", "gen-1"] for w in workers),
        60,
        workers,
    )
    missing = workers[1].client.get("/connectors/gen-2/status")
    assert missing.status_code == 404, missing.text


def test_a_killed_workers_tasks_read_unassigned_then_resume_from_the_offsets_topic(
    cluster: Cluster, report: Callable[[str], None]
) -> None:
    workers = cluster.start(3)
    topic = f"fc-counter-{uuid.uuid4().hex[:8]}"
    answer = workers[0].client.post(
        "/connectors", json={"name": "counter", "config": cluster.counter(topic, 6)}
    )
    assert answer.status_code == 201, answer.text
    wait_for(
        "counter RUNNING with 6 tasks", lambda: all_running(statuses(workers[0])["counter"], 6), 90, workers
    )
    time.sleep(3)  # records flow; offsets are committed every second

    victim, survivors = workers[2], workers[:2]
    victim_tasks = {
        t for t, owner in task_owners(survivors[0], "counter").items() if owner == worker_id(victim)
    }
    assert victim_tasks, "six tasks over three workers: the victim runs some"
    victim.stop(signal.SIGKILL)
    killed_at = time.monotonic()

    # The group notices after session.timeout.ms (6 s); until scheduled.rebalance.max.delay.ms
    # ends, the dead worker's tasks read UNASSIGNED; then they run on the survivors.
    def unassigned() -> bool:
        tasks = statuses(survivors[0])["counter"]["tasks"]
        return {t["state"] for t in tasks if t["id"] in victim_tasks} == {"UNASSIGNED"}

    wait_for("the dead worker's tasks read UNASSIGNED", unassigned, 30, survivors)

    def moved() -> bool:
        owners = set(task_owners(survivors[0], "counter").values())
        return all_running(statuses(survivors[0])["counter"], 6) and worker_id(victim) not in owners

    wait_for("the dead worker's tasks run on the survivors", moved, 90, survivors)
    assert time.monotonic() - killed_at >= DELAY_MS / 1000, "moved before scheduled.rebalance.max.delay.ms"
    assert sorted(collections.Counter(task_owners(survivors[1], "counter").values()).values()) == [3, 3]
    time.sleep(3)
    assert survivors[1].client.put("/connectors/counter/stop").status_code == 204
    wait_for(
        "counter STOPPED", lambda: statuses(survivors[0])["counter"]["connector"]["state"] == "STOPPED", 60
    )

    # Every task's numbers, 0 up to its last, all present; repeats only in the moved tasks, and
    # only one run of them each (from their last committed offset up to where the victim died).
    values = read_values(cluster.props["bootstrap.servers"], topic, 10**6, idle=3.0)
    by_task: dict[int, list[int]] = collections.defaultdict(list)
    for value in values:
        task, n = value.split(":")
        by_task[int(task)].append(int(n))
    duplicates = {}
    for task, numbers in sorted(by_task.items()):
        assert set(numbers) == set(range(max(numbers) + 1)), f"task {task}: a gap"
        repeated = sorted(n for n, count in collections.Counter(numbers).items() if count > 1)
        if repeated:
            assert task in victim_tasks, f"task {task} did not move, yet repeats {repeated[:5]}..."
            assert repeated == list(range(repeated[0], repeated[-1] + 1)), f"task {task}: one run of repeats"
            duplicates[task] = len(repeated)
    report(
        f"kill -9 of 1 of 3 workers: tasks {sorted(victim_tasks)} moved; {len(values)} records, every number "
        f"present; repeated (produced after the last offset commit): {duplicates or 'none'}"
    )


def test_a_joining_worker_restarts_only_the_tasks_that_move_and_a_leaver_is_not_waited_for(
    cluster: Cluster,
) -> None:
    # A long session: a worker that left without a word would be noticed only after 20 s.
    cluster.props["session.timeout.ms"] = "20000"
    cluster.props["heartbeat.interval.ms"] = "1000"
    cluster.props["scheduled.rebalance.max.delay.ms"] = "3000"
    first = cluster.start(2)
    topic = f"fc-counter-{uuid.uuid4().hex[:8]}"
    answer = first[0].client.post(
        "/connectors", json={"name": "counter", "config": cluster.counter(topic, 6)}
    )
    assert answer.status_code == 201, answer.text
    wait_for("counter RUNNING with 6 tasks", lambda: all_running(statuses(first[0])["counter"], 6), 90, first)
    assert cluster.starts() == {str(t): 1 for t in range(6)}
    before = task_owners(first[0], "counter")

    (joiner,) = cluster.start(1)

    def balanced() -> dict[int, str] | None:
        owners = task_owners(first[0], "counter")
        counts = collections.Counter(owners.values())
        ok = all_running(statuses(first[0])["counter"], 6) and sorted(counts.values()) == [2, 2, 2]
        return owners if ok else None

    after = wait_for("two tasks each on three workers", balanced, 90, cluster.started)
    moved = {t for t in after if after[t] != before[t]}
    assert {after[t] for t in moved} == {worker_id(joiner)} and len(moved) == 2, (before, after)
    # Only the moved tasks were stopped and started again.
    assert cluster.starts() == {str(t): 2 if t in moved else 1 for t in range(6)}, (moved, cluster.starts())

    # A graceful stop leaves the group (LeaveGroup): the others rebalance at once instead of after
    # the 20 s session; as in Kafka Connect, the leaver's tasks then wait out the 3 s delay (the
    # worker may be back, as in a rolling restart) before they move.
    joiner.stop()
    left_at = time.monotonic()

    def rebalanced() -> bool:
        owners = task_owners(first[0], "counter")
        return all_running(statuses(first[0])["counter"], 6) and worker_id(joiner) not in owners.values()

    wait_for("the leaver's tasks run on the others", rebalanced, 30, first)
    assert time.monotonic() - left_at < 15, "moved after the delay, long before the session timeout"


def test_a_stopped_cluster_comes_back_from_the_config_topic(
    cluster: Cluster,
) -> None:
    first = cluster.start(2)
    topic = f"fc-dist-{uuid.uuid4().hex[:8]}"
    for name, tasks in (("kept", 2), ("paused", 1)):
        answer = first[0].client.post("/connectors", json={"name": name, "config": generator(topic, tasks)})
        assert answer.status_code == 201, answer.text
    wait_for("both running", lambda: all_running(statuses(first[0])["kept"], 2), 90, first)
    assert first[1].client.put("/connectors/paused/pause").status_code == 202
    wait_for("paused", lambda: statuses(first[0])["paused"]["connector"]["state"] == "PAUSED", 60, first)
    answer = first[0].client.post("/connectors", json={"name": "stopped", "config": generator(topic, 2)})
    assert answer.status_code == 201, answer.text
    assert first[1].client.put("/connectors/stopped/stop").status_code == 204
    wait_for("stopped", lambda: statuses(first[0])["stopped"]["connector"]["state"] == "STOPPED", 60, first)
    for worker in first:
        worker.stop()

    second = cluster.start(2)
    wait_for("kept RUNNING again", lambda: all_running(statuses(second[0])["kept"], 2), 90, second)
    wait_for(
        "paused still PAUSED",
        lambda: statuses(second[1])["paused"]["connector"]["state"] == "PAUSED",
        60,
        second,
    )
    wait_for(
        "stopped still STOPPED, with no tasks",
        lambda: (
            statuses(second[0])["stopped"]["connector"]["state"] == "STOPPED"
            and second[0].client.get("/connectors/stopped/tasks").json() == []
        ),
        60,
        second,
    )
    info = second[1].client.get("/connectors/kept").json()
    assert info["config"]["topic"] == topic and len(info["tasks"]) == 2


def test_rest_changes_work_from_any_worker(cluster: Cluster) -> None:
    workers = cluster.start(2)
    topic = f"fc-counter-{uuid.uuid4().hex[:8]}"
    config = cluster.counter(topic, 2)
    assert (
        workers[1].client.post("/connectors", json={"name": "counter", "config": config}).status_code == 201
    )
    wait_for("2 tasks RUNNING", lambda: all_running(statuses(workers[0])["counter"], 2), 90, workers)

    # A config change from either worker: the connector restarts with it and makes 4 tasks.
    answer = workers[0].client.put("/connectors/counter/config", json={**config, "tasks.max": "4"})
    assert answer.status_code == 200, answer.text
    wait_for("4 tasks RUNNING", lambda: all_running(statuses(workers[1])["counter"], 4), 90, workers)

    # A task restart sent to the worker that does not run it reaches the one that does.
    owner = task_owners(workers[0], "counter")[0]
    other = next(w for w in workers if worker_id(w) != owner)
    starts = cluster.starts()["0"]
    assert other.client.post("/connectors/counter/tasks/0/restart").status_code == 204
    wait_for("task 0 started again", lambda: cluster.starts()["0"] == starts + 1, 60, workers)

    # A restart plan (KIP-745) from either worker: every task restarts, wherever it runs.
    before = cluster.starts()
    answer = workers[1].client.post("/connectors/counter/restart", params={"includeTasks": "true"})
    assert answer.status_code == 202, answer.text
    assert {t["state"] for t in answer.json()["tasks"]} == {"RESTARTING"}
    wait_for(
        "all 4 tasks started again",
        lambda: all(cluster.starts()[str(t)] > before[str(t)] for t in range(4)),
        60,
        workers,
    )

    # Offsets (KIP-875): stop, then change them from either worker; every worker reads the same.
    assert workers[0].client.put("/connectors/counter/stop").status_code == 204
    wait_for(
        "counter STOPPED with no tasks",
        lambda: (
            statuses(workers[1])["counter"]["connector"]["state"] == "STOPPED"
            and workers[1].client.get("/connectors/counter/tasks").json() == []
        ),
        60,
        workers,
    )
    offsets = [w.client.get("/connectors/counter/offsets").json() for w in workers]
    assert offsets[0] == offsets[1] and len(offsets[0]["offsets"]) == 4, offsets
    patch = {"offsets": [{"partition": {"task": "0"}, "offset": {"n": 5}}]}
    answer = workers[1].client.patch("/connectors/counter/offsets", json=patch)
    assert answer.status_code == 200, answer.text
    for worker in workers:
        shown = worker.client.get("/connectors/counter/offsets").json()["offsets"]
        assert {"partition": {"task": "0"}, "offset": {"n": 5}} in shown, shown
    # Resumed, task 0 counts on from the altered offset: 6 comes again.
    assert workers[0].client.put("/connectors/counter/resume").status_code == 202
    wait_for("4 tasks RUNNING again", lambda: all_running(statuses(workers[0])["counter"], 4), 90, workers)
    time.sleep(1)
    assert workers[0].client.put("/connectors/counter/stop").status_code == 204
    values = read_values(cluster.props["bootstrap.servers"], topic, 10**6, idle=2.0)
    assert values.count("0:6") == 2 and values.count("0:5") == 1, "task 0 resumed at 6"
