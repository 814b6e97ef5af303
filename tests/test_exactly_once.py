"""Exactly-once source tasks (KIP-618) on Apache Kafka: distributed workers with
``exactly.once.source.support=enabled``, Python counting sources (``tests/eos_plugins``), and
``read_committed`` / ``read_uncommitted`` readers of what they wrote."""

from __future__ import annotations

import itertools
import json
import random
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ferroconnect as fc
import pytest
from cluster_helpers import GENERATOR, ClusterWorker, cluster_props, generator, statuses, wait_for
from ferroconnect import NotFoundError, _core

PLUGINS = Path(__file__).resolve().parent / "eos_plugins"
COUNTER = "eos_counter.CounterSource"


class EosCluster:
    """Workers of one new cluster with exactly-once source support enabled."""

    def __init__(self, folder: Path, bootstrap: str) -> None:
        self.folder = folder
        self.bootstrap = bootstrap
        self.props = {
            **cluster_props(bootstrap, 0),
            "exactly.once.source.support": "enabled",
            "plugin.path": str(PLUGINS),
        }
        self.workers: list[ClusterWorker] = []
        self.count = 0

    def start(self) -> ClusterWorker:
        worker = ClusterWorker(self.folder, f"worker-{self.count}", self.props)
        self.count += 1
        self.workers.append(worker)
        wait_for(f"{worker.name} serves REST", worker.ready, 90, [worker])
        return worker

    def alive(self) -> list[ClusterWorker]:
        return [w for w in self.workers if w.process.poll() is None]


@pytest.fixture
def eos_cluster(tmp_path: Path, bootstrap_servers: str) -> Iterator[EosCluster]:
    made = EosCluster(tmp_path, bootstrap_servers)
    yield made
    for worker in made.workers:
        worker.stop()


def committed(bootstrap: str, topic: str) -> list[int]:
    """The values a ``read_committed`` consumer reads (librdkafka's default isolation)."""
    return [int(r[4]) for r in _core.read_topic(bootstrap, topic, 10_000_000, idle=2.0, timeout=120)]


def visible(bootstrap: str, topic: str, limit: int = 10_000_000, idle: float = 0.3) -> int:
    """How many records a ``read_committed`` consumer reads now (0 before the topic exists)."""
    try:
        return len(_core.read_topic(bootstrap, topic, limit, idle=idle, timeout=30))
    except NotFoundError:
        return 0


def uncommitted_count(bootstrap: str, topic: str) -> int:
    config = {"isolation.level": "read_uncommitted"}
    return len(_core.read_topic(bootstrap, topic, 10_000_000, idle=2.0, timeout=120, config=config))


def counter_config(topic: str, **extra: str) -> dict[str, str]:
    return {
        "connector.class": COUNTER,
        "tasks.max": "1",
        "topic": topic,
        "exactly.once.support": "required",
        **extra,
    }


def committed_position(worker: ClusterWorker, name: str) -> int:
    """The counter's committed source offset (``{"n": n}``, KIP-875's GET offsets), -1 before one."""
    offsets = worker.client.get(f"/connectors/{name}/offsets").json().get("offsets", [])
    return max((int(o["offset"]["n"]) for o in offsets), default=-1)


def task_state(worker: ClusterWorker, name: str) -> str | None:
    tasks = statuses(worker).get(name, {}).get("tasks", [])
    return tasks[0]["state"] if tasks else None


def test_validation_asks_the_connector_and_the_worker_in_kafkas_words(eos_cluster: EosCluster) -> None:
    worker = eos_cluster.start()

    def errors(config: dict[str, str]) -> dict[str, list[str]]:
        answer = worker.client.put(
            f"/connector-plugins/{config['connector.class']}/config/validate", json=config
        )
        answer.raise_for_status()
        return {
            c["value"]["name"]: c["value"]["errors"] for c in answer.json()["configs"] if c["value"]["errors"]
        }

    base = {"name": "v", "topic": "t"}
    assert errors({**base, **counter_config("t")}) == {}
    unsupported = errors({**base, **counter_config("t", **{"test.exactly.once": "unsupported"})})
    assert unsupported == {
        "exactly.once.support": [
            "The connector does not support exactly-once semantics with the provided configuration."
        ]
    }
    silent = errors({**base, **counter_config("t", **{"test.exactly.once": "none"})})
    assert silent["exactly.once.support"][0].startswith(
        "The connector does not implement the API required for preflight validation of exactly-once "
        "source support."
    )
    assert (
        errors(
            {
                **base,
                **counter_config("t", **{"test.exactly.once": "none", "exactly.once.support": "requested"}),
            }
        )
        == {}
    )
    # The Rust generator says nothing about exactly once and cannot define transaction boundaries.
    generator = {"connector.class": GENERATOR, "name": "g", "topic": "t", "transaction.boundary": "connector"}
    assert errors(generator) == {
        "transaction.boundary": [
            "The connector does not support connector-defined transaction boundaries with the given "
            "configuration. Please reconfigure it to use a different transaction boundary definition."
        ]
    }
    assert errors({**generator, "transaction.boundary": "sometimes"})["transaction.boundary"] == [
        "Invalid value sometimes for configuration transaction.boundary: "
        "String must be one of: poll, interval, connector"
    ]
    # Creating a connector runs the same checks.
    refused = worker.client.put(
        "/connectors/bad/config", json=counter_config("t", **{"test.exactly.once": "unsupported"})
    )
    assert refused.status_code == 400, refused.text
    assert "does not support exactly-once semantics" in refused.text


def test_a_worker_without_exactly_once_refuses_required(tmp_path: Path, bootstrap_servers: str) -> None:
    props = {**cluster_props(bootstrap_servers, 0), "plugin.path": str(PLUGINS)}
    worker = ClusterWorker(tmp_path, "plain", props)
    try:
        wait_for("the worker serves REST", worker.ready, 90, [worker])
        config = {"name": "v", **counter_config("t")}
        answer = worker.client.put(f"/connector-plugins/{COUNTER}/config/validate", json=config)
        support = next(
            c for c in answer.json()["configs"] if c["definition"]["name"] == "exactly.once.support"
        )
        assert support["value"]["errors"] == [
            "This worker does not have exactly-once source support enabled."
        ]
    finally:
        worker.stop()


def commit_counts(log: Path) -> list[tuple[float, int]]:
    lines = log.read_text().split()
    return [(float(t), int(n)) for t, n in zip(lines[::2], lines[1::2], strict=True)]


@pytest.mark.parametrize("boundary", ["poll", "interval"])
def test_poll_and_interval_boundaries_commit_whole_batches(eos_cluster: EosCluster, boundary: str) -> None:
    worker = eos_cluster.start()
    topic = f"eos-{boundary}-{uuid.uuid4().hex[:6]}"
    log = eos_cluster.folder / "commits.log"
    limit = 700
    extra = {"poll.pause.s": "0.01", "commit.log": str(log), "transaction.boundary": boundary}
    if boundary == "interval":
        extra.update({"transaction.boundary.interval.ms": "1000", "poll.pause.s": "0.02"})
    config = counter_config(topic, limit=str(limit), batch="7", **extra)
    answer = worker.client.put(f"/connectors/{boundary}/config", json=config)
    assert answer.status_code in (200, 201), answer.text
    wait_for(
        f"{limit} committed records",
        lambda: (
            visible(eos_cluster.bootstrap, topic, limit) >= limit or task_state(worker, boundary) == "FAILED"
        ),
        120,
        eos_cluster.workers,
    )
    assert task_state(worker, boundary) == "RUNNING", statuses(worker)[boundary]
    values = committed(eos_cluster.bootstrap, topic)
    assert values == list(range(limit)), "every record once, in order"
    counts = commit_counts(log)
    if boundary == "poll":
        assert [n for _, n in counts] == list(range(7, limit + 1, 7)), "one transaction per polled batch"
    else:
        # 100 batches at >= 20 ms each take >= 2 s: a handful of transactions, at least a second apart.
        gaps = [b[0] - a[0] for a, b in itertools.pairwise(counts)]
        assert 2 <= len(counts) <= 8, counts
        assert all(gap >= 0.95 for gap in gaps), gaps
        assert all(n % 7 == 0 for _, n in counts), "transactions end at batch ends"
    print(
        f"\n{boundary} boundary: {len(counts)} transactions for {limit} records, "
        f"committed at {[n for _, n in counts]}"
    )


def test_connector_defined_boundaries_commit_and_abort_where_the_task_says(eos_cluster: EosCluster) -> None:
    worker = eos_cluster.start()
    topic = f"eos-connector-{uuid.uuid4().hex[:6]}"
    limit, every = 600, 50
    config = counter_config(
        topic,
        limit=str(limit),
        batch="7",
        **{"transaction.boundary": "connector", "commit.every": str(every)},
    )
    run_with_task_boundaries(eos_cluster, worker, "bounded", config, limit, every)


def run_with_task_boundaries(
    cluster: EosCluster, worker: ClusterWorker, name: str, config: dict[str, str], limit: int, every: int
) -> None:
    answer = worker.client.put(f"/connectors/{name}/config", json=config)
    assert answer.status_code in (200, 201), answer.text
    # In odd blocks the task aborts right after record every/2 - 1: the first half of the block is
    # discarded; each block ends with a commit right after its last record.
    expected = [n for n in range(limit) if not ((n // every) % 2 == 1 and n % every < every // 2)]
    topic = config["topic"]
    wait_for(
        "the last block committed",
        lambda: (
            len(_core.read_topic(cluster.bootstrap, topic, len(expected), idle=0.5, timeout=30))
            >= len(expected)
        ),
        120,
        cluster.workers,
    )
    assert committed(cluster.bootstrap, topic) == expected
    aborted = uncommitted_count(cluster.bootstrap, topic) - len(expected)
    assert aborted == (limit // every // 2) * (every // 2), "the aborted halves reached Kafka, uncommitted"
    # The aborted records' offsets were committed: a restarted task resumes after the last record.
    assert worker.client.post(f"/connectors/{name}/tasks/0/restart").status_code in (200, 202, 204)
    time.sleep(3)
    assert committed(cluster.bootstrap, topic) == expected, "nothing polled again after a restart"
    print(f"\nconnector boundary: {len(expected)} committed, {aborted} aborted by the task, none repeated")


def test_kill_9_at_random_moments_loses_and_repeats_nothing(eos_cluster: EosCluster) -> None:
    first, _second = eos_cluster.start(), eos_cluster.start()
    topic = f"eos-kill-{uuid.uuid4().hex[:6]}"
    config = counter_config(topic, limit="1000000000", batch="20", **{"poll.pause.s": "0.01"})
    answer = first.client.put("/connectors/counter/config", json=config)
    assert answer.status_code in (200, 201), answer.text
    wait_for("the task runs", lambda: task_state(first, "counter") == "RUNNING", 60, eos_cluster.workers)
    rng = random.Random(618)
    kills: list[str] = []
    for _ in range(10):
        time.sleep(rng.uniform(0.5, 3.0))
        victim = rng.choice(eos_cluster.alive())
        owner = statuses(victim).get("counter", {}).get("tasks", [{}])[0].get("worker_id", "?")
        kills.append(f"{victim.name}{' (task owner)' if owner.endswith(str(victim.port)) else ''}")
        victim.stop(signal.SIGKILL)
        eos_cluster.workers.remove(victim)
        eos_cluster.start()
    survivor = eos_cluster.alive()[0]

    def progressing() -> bool:
        before = visible(eos_cluster.bootstrap, topic)
        time.sleep(1)
        after = visible(eos_cluster.bootstrap, topic)
        return task_state(survivor, "counter") == "RUNNING" and after > before

    wait_for("the task runs again after the last kill", progressing, 120, eos_cluster.workers)
    assert survivor.client.delete("/connectors/counter").status_code in (200, 204)
    time.sleep(2)
    values = committed(eos_cluster.bootstrap, topic)
    duplicates = len(values) - len(set(values))
    gaps = sorted(set(range(max(values) + 1)) - set(values))
    aborted = uncommitted_count(eos_cluster.bootstrap, topic) - len(values)
    print(
        f"\nkill -9 x10 ({', '.join(kills)}): read_committed saw {len(values)} records 0..{max(values)}, "
        f"{duplicates} duplicates, {len(gaps)} gaps; "
        f"read_uncommitted saw {aborted} more (aborted transactions)"
    )
    assert duplicates == 0 and not gaps
    assert values == sorted(values), "one partition, one task: in order"


def test_a_zombie_worker_is_fenced_and_writes_nothing_visible(eos_cluster: EosCluster) -> None:
    workers = [eos_cluster.start(), eos_cluster.start()]
    topic = f"eos-zombie-{uuid.uuid4().hex[:6]}"
    config = counter_config(topic, limit="1000000000", batch="20", **{"poll.pause.s": "0.01"})
    assert workers[0].client.put("/connectors/counter/config", json=config).status_code in (200, 201)
    wait_for("the task runs", lambda: task_state(workers[0], "counter") == "RUNNING", 60, workers)
    wait_for("records flow", lambda: visible(eos_cluster.bootstrap, topic) > 100, 60, workers)
    owner_id = statuses(workers[0])["counter"]["tasks"][0]["worker_id"]
    zombie = next(w for w in workers if owner_id.endswith(f":{w.port}"))
    survivor = next(w for w in workers if w is not zombie)
    zombie.process.send_signal(signal.SIGSTOP)
    stopped_at = time.monotonic()
    try:
        # After session.timeout.ms (6 s) the group drops the stopped worker and its task moves.
        wait_for(
            "the task moves to the other worker",
            lambda: (
                statuses(survivor)["counter"]["tasks"][0]["worker_id"].endswith(f":{survivor.port}")
                and task_state(survivor, "counter") == "RUNNING"
            ),
            90,
            [survivor],
        )
        # Its transactions commit: the committed source offset moves on. (This test once re-read
        # the topic here, twice; a reader stops only after 0.3 s without a record, which never
        # comes while the task writes, so each read ran to its 30 s timeout, and the zombie stayed
        # stopped 66 s, past transaction.timeout.ms: the check, not the move, took the time.
        # Measured: the task moves about 6 s after the SIGSTOP, and the topic's last stable
        # offset keeps up with its end from then on.)
        before = committed_position(survivor, "counter")
        wait_for(
            "the moved task commits",
            lambda: committed_position(survivor, "counter") > before + 100,
            60,
            [survivor],
        )
    finally:
        zombie.process.send_signal(signal.SIGCONT)
    moved_after = time.monotonic() - stopped_at

    # The zombie wakes with its task mid-transaction, and its transaction cannot commit: its
    # producer was fenced by the new owner's, or, had it stayed stopped past transaction.timeout.ms
    # (60 s), the coordinator would have aborted the transaction and bumped the epoch, and the
    # zombie's records would time out ("requires epoch bump"). Either way its task fails, and the
    # counts below show that nothing of it is visible.
    def zombie_failed() -> bool:
        log = zombie.log_path.read_text().lower()
        return "fenced" in log or ("task failed" in log and "requires epoch bump" in log)

    wait_for("the zombie's task fails, fenced or timed out", zombie_failed, 60, [zombie])
    time.sleep(3)
    assert survivor.client.delete("/connectors/counter").status_code in (200, 204)
    time.sleep(2)
    values = committed(eos_cluster.bootstrap, topic)
    duplicates = len(values) - len(set(values))
    gaps = sorted(set(range(max(values) + 1)) - set(values))
    fenced_lines = [
        line
        for line in zombie.log_path.read_text().splitlines()
        if "fenced" in line.lower() or "epoch bump" in line.lower()
    ]
    print(
        f"\nSIGSTOP for {moved_after:.1f} s: read_committed saw {len(values)} records, "
        f"{duplicates} duplicates, "
        f"{len(gaps)} gaps; the zombie logged: {fenced_lines[0][:200] if fenced_lines else None}"
    )
    assert duplicates == 0 and not gaps


def fencing_records(bootstrap: str, config_topic: str, name: str) -> list[int]:
    """The task counts of the connector's ``tasks-fencing-`` records, in the config topic's order."""
    records = _core.read_topic(bootstrap, config_topic, 100_000, idle=1.0, timeout=30)
    key = f"tasks-fencing-{name}".encode()
    return [json.loads(r[4])["task-count"] for r in records if r[3] == key and r[4] is not None]


def test_a_new_task_generation_fences_out_the_previous_one_through_the_leader(
    eos_cluster: EosCluster,
) -> None:
    workers = [eos_cluster.start(), eos_cluster.start()]
    topic = f"eos-gen-{uuid.uuid4().hex[:6]}"
    config = counter_config(
        topic, limit="1000000000", batch="5", **{"poll.pause.s": "0.05", "tasks.max": "2"}
    )
    assert workers[0].client.put("/connectors/gen/config", json=config).status_code in (200, 201)
    config_topic = eos_cluster.props["config.storage.topic"]
    wait_for(
        "both tasks run",
        lambda: [t["state"] for t in statuses(workers[0])["gen"]["tasks"]] == ["RUNNING", "RUNNING"],
        90,
        workers,
    )
    # First generation: nothing to fence, a task count record is written before the tasks start.
    assert fencing_records(eos_cluster.bootstrap, config_topic, "gen") == [2]
    # Down to one task: the leader fences out both transactional ids of the 2-task generation.
    config["tasks.max"] = "1"
    assert workers[1].client.put("/connectors/gen/config", json=config).status_code == 200
    wait_for(
        "the one-task generation runs",
        lambda: [t["state"] for t in statuses(workers[0])["gen"]["tasks"]] == ["RUNNING"],
        90,
        workers,
    )
    wait_for(
        "a task count record for it",
        lambda: fencing_records(eos_cluster.bootstrap, config_topic, "gen") == [2, 1],
        30,
        workers,
    )
    logs = "".join(w.log_path.read_text() for w in workers)
    assert "Fencing out the producers of the previous task generation" in logs
    # The leader writes the config topic in transactions of its own transactional id: each write
    # ends with a commit marker, which takes an offset of the topic.
    assert "Claimed write privileges on the config topic" in logs
    records = _core.read_topic(eos_cluster.bootstrap, config_topic, 100_000, idle=1.0, timeout=30)
    offsets = [r[1] for r in records]
    gaps = sum(1 for a, b in itertools.pairwise(offsets) if b - a >= 2)
    assert gaps >= 3, f"no transaction markers between the config records: {offsets}"
    # The internal endpoint: signed under `sessioned`, so an unsigned call is refused.
    unsigned = workers[0].client.put("/connectors/gen/fence")
    assert unsigned.status_code == 400, unsigned.text
    assert "Internal request missing required signature" in unsigned.text
    values = committed(eos_cluster.bootstrap, topic)
    assert values, "both generations wrote"


def last_values(bootstrap: str, topic: str, key: bytes, config: dict[str, str] | None = None) -> list[Any]:
    """The values written under ``key`` to an offsets topic, in order (``None`` for a tombstone)."""
    records = _core.read_topic(bootstrap, topic, 1_000_000, idle=1.0, timeout=60, config=config)
    return [None if r[4] is None else json.loads(r[4]) for r in records if r[3] == key]


def test_a_connectors_own_offsets_topic_takes_its_offsets_in_its_transactions(
    eos_cluster: EosCluster,
) -> None:
    worker = eos_cluster.start()
    bootstrap = eos_cluster.bootstrap
    topic = f"eos-own-{uuid.uuid4().hex[:6]}"
    own_topic = f"{topic}-offsets"
    worker_topic = eos_cluster.props["offset.storage.topic"]
    key = b'["own",{"counter":"0"}]'

    def run_until(limit: int, **extra: str) -> None:
        config = counter_config(topic, limit=str(limit), batch="10", **extra)
        answer = worker.client.put("/connectors/own/config", json=config)
        assert answer.status_code in (200, 201), answer.text
        wait_for(f"{limit} records", lambda: visible(bootstrap, topic, limit) >= limit, 120, [worker])
        time.sleep(1)

    # Offsets committed in the worker's topic before the connector had a topic of its own ...
    run_until(100)
    assert last_values(bootstrap, worker_topic, key)[-1] == {"n": 99}
    # ... are its fallback once it has one: the task resumes after them.
    run_until(300, **{"offsets.storage.topic": own_topic})
    assert committed(bootstrap, topic) == list(range(300)), "resumed from the worker topic's offset"
    own = last_values(bootstrap, own_topic, key)
    assert own[-1] == {"n": 299} and {"n": 99} not in own, own
    # Offsets records written in transactions: each commit marker takes an offset of the topic.
    records = _core.read_topic(bootstrap, own_topic, 100_000, idle=1.0, timeout=30)
    assert sum(1 for a, b in itertools.pairwise(sorted(r[1] for r in records)) if b - a >= 2) >= 3
    # The worker's topic gets a copy after each commit (Kafka's secondary write).
    wait_for(
        "the copy in the worker's topic", lambda: last_values(bootstrap, worker_topic, key)[-1] == {"n": 299}
    )
    # The connector's topic comes first: a stale offset in the worker's topic changes nothing.
    _core.produce(bootstrap, worker_topic, [(key, b'{"n":49}')], config={"partitioner": "murmur2_random"})
    offsets = worker.client.get("/connectors/own/offsets").json()
    assert offsets == {"offsets": [{"partition": {"counter": "0"}, "offset": {"n": 299}}]}
    run_until(400, **{"offsets.storage.topic": own_topic})
    assert committed(bootstrap, topic) == list(range(400)), "resumed from the connector topic's offset"
    # Resetting the offsets removes them from both topics.
    assert worker.client.put("/connectors/own/stop").status_code == 204
    wait_for("stopped", lambda: statuses(worker)["own"]["tasks"] == [], 60, [worker])
    reset = worker.client.delete("/connectors/own/offsets")
    assert reset.status_code == 200, reset.text
    assert worker.client.get("/connectors/own/offsets").json() == {"offsets": []}
    assert last_values(bootstrap, own_topic, key)[-1] is None
    assert last_values(bootstrap, worker_topic, key)[-1] is None


def test_an_at_least_once_task_of_a_cluster_uses_its_connectors_own_offsets_topic(
    tmp_path: Path, bootstrap_servers: str
) -> None:
    props = {**cluster_props(bootstrap_servers, 0), "plugin.path": str(PLUGINS)}
    worker = ClusterWorker(tmp_path, "plain", props)
    try:
        wait_for("the worker serves REST", worker.ready, 90, [worker])
        topic = f"alo-own-{uuid.uuid4().hex[:6]}"
        config = {
            **counter_config(topic, limit="50", batch="10"),
            "exactly.once.support": "requested",
            "offsets.storage.topic": f"{topic}-offsets",
        }
        assert worker.client.put("/connectors/alo/config", json=config).status_code == 201
        key = b'["alo",{"counter":"0"}]'
        wait_for(
            "the offsets in the connector's topic",
            lambda: last_values(bootstrap_servers, f"{topic}-offsets", key)[-1:] == [{"n": 49}],
            60,
            [worker],
        )
        wait_for(
            "the copy in the worker's topic",
            lambda: last_values(bootstrap_servers, props["offset.storage.topic"], key)[-1:] == [{"n": 49}],
            60,
            [worker],
        )
        offsets = worker.client.get("/connectors/alo/offsets").json()
        assert offsets == {"offsets": [{"partition": {"counter": "0"}, "offset": {"n": 49}}]}
    finally:
        worker.stop()


def test_a_standalone_worker_ignores_offsets_storage_topic(bootstrap_servers: str) -> None:
    # Kafka's doc of the key: "in standalone mode, setting this property will have no effect".
    topic = f"sa-own-{uuid.uuid4().hex[:6]}"
    config = {**generator(topic, 1), "offsets.storage.topic": f"{topic}-offsets"}
    with fc.Worker(bootstrap_servers, offset_flush_interval_ms=100) as worker:
        worker.create_connector("standalone", config)
        offsets = wait_for("offsets in the worker's store", lambda: worker.offsets("standalone"), 60)
        assert offsets[0]["partition"] == {"task": 0}, offsets
        assert worker.status("standalone").task_states == ["RUNNING"]
    from confluent_kafka.admin import AdminClient

    topics = AdminClient({"bootstrap.servers": bootstrap_servers}).list_topics(timeout=10).topics
    assert topic in topics and f"{topic}-offsets" not in topics, "the connector's topic was not made"
