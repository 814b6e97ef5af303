"""Distributed mode on Apache Kafka: ``ferroconnect distributed`` worker processes that share a
``group.id`` form one cluster, keep configs, statuses and offsets in the three internal topics,
split connectors and tasks evenly, forward writes to the leader, and move a dead worker's work
after ``scheduled.rebalance.max.delay.ms``.

Connectors are the built-in native generator (``GeneratorSourceConnector``), so what is tested is
the cluster, not Python connectors.
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

DELAY_MS = 4000
"""``scheduled.rebalance.max.delay.ms`` of the test clusters: how long a departed worker's work waits."""


@pytest.fixture
def cluster(tmp_path: Path, bootstrap_servers: str) -> Iterator[Callable[[int], list[ClusterWorker]]]:
    """Starts workers of one new cluster (own group and internal topics) on the test broker."""
    props = cluster_props(bootstrap_servers, DELAY_MS)
    started: list[ClusterWorker] = []

    def start(count: int) -> list[ClusterWorker]:
        new = [ClusterWorker(tmp_path, f"worker-{len(started) + i}", props) for i in range(count)]
        started.extend(new)
        for worker in new:
            wait_for(f"{worker.name} serves REST", worker.ready, 90, new)
        return new

    yield start
    for worker in started:
        worker.stop()


def test_three_workers_share_connectors_and_agree_on_status(
    cluster: Callable[[int], list[ClusterWorker]],
) -> None:
    workers = cluster(3)
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

    # Reads agree everywhere: list, config, task configs.
    for worker in workers:
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


def test_a_killed_workers_tasks_move_after_the_delay(cluster: Callable[[int], list[ClusterWorker]]) -> None:
    workers = cluster(3)
    topic = f"fc-dist-{uuid.uuid4().hex[:8]}"
    answer = workers[0].client.post("/connectors", json={"name": "gen", "config": generator(topic, 6)})
    assert answer.status_code == 201, answer.text
    wait_for("gen RUNNING with 6 tasks", lambda: all_running(statuses(workers[0])["gen"], 6), 90, workers)

    victim, survivors = workers[2], workers[:2]
    victim_id = f"127.0.0.1:{victim.port}"
    victim.process.send_signal(signal.SIGKILL)
    victim.process.wait(10)
    killed_at = time.monotonic()

    # After the session timeout the group rebalances without it; its work reads UNASSIGNED
    # (its worker is gone) until the delay ends, then runs on the survivors.
    def moved() -> bool:
        status = statuses(survivors[0])["gen"]
        owners = {status["connector"]["worker_id"]} | {t["worker_id"] for t in status["tasks"]}
        return all_running(status, 6) and victim_id not in owners

    wait_for("the killed worker's tasks run on the survivors", moved, 90, survivors)
    assert time.monotonic() - killed_at >= DELAY_MS / 1000, "moved before scheduled.rebalance.max.delay.ms"
    owners = collections.Counter(t["worker_id"] for t in statuses(survivors[1])["gen"]["tasks"])
    assert sorted(owners.values()) == [3, 3], owners


def test_a_stopped_cluster_comes_back_from_the_config_topic(
    cluster: Callable[[int], list[ClusterWorker]],
) -> None:
    first = cluster(2)
    topic = f"fc-dist-{uuid.uuid4().hex[:8]}"
    for name, tasks in (("kept", 2), ("paused", 1)):
        answer = first[0].client.post("/connectors", json={"name": name, "config": generator(topic, tasks)})
        assert answer.status_code == 201, answer.text
    wait_for("both running", lambda: all_running(statuses(first[0])["kept"], 2), 90, first)
    assert first[1].client.put("/connectors/paused/pause").status_code == 202
    wait_for("paused", lambda: statuses(first[0])["paused"]["connector"]["state"] == "PAUSED", 60, first)
    for worker in first:
        worker.stop()

    second = cluster(2)
    wait_for("kept RUNNING again", lambda: all_running(statuses(second[0])["kept"], 2), 90, second)
    wait_for(
        "paused still PAUSED",
        lambda: statuses(second[1])["paused"]["connector"]["state"] == "PAUSED",
        60,
        second,
    )
    info = second[1].client.get("/connectors/kept").json()
    assert info["config"]["topic"] == topic and len(info["tasks"]) == 2
