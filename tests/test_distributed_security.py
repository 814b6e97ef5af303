"""Distributed mode on a SASL listener of Apache Kafka: two ``ferroconnect distributed`` workers
with ``security.protocol=SASL_PLAINTEXT`` join one cluster (the group client authenticates with
SaslHandshake and SaslAuthenticate, PLAIN or SCRAM-SHA-256) and run a connector's tasks between
them, while the internal-topic and task clients (librdkafka) use the same keys. SCRAM is also
given Java's way, in ``sasl.jaas.config``, which the group client reads and the librdkafka clients
get as ``sasl.username``/``sasl.password``.

The broker is a second one, started by ``kafka_broker.start(..., sasl=True)`` for this module: the
session's broker has no SASL listener.
"""

from __future__ import annotations

import collections
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fixtures_broker
import kafka_broker
import pytest
from cluster_helpers import ClusterWorker, all_running, cluster_props, generator, statuses, wait_for


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[kafka_broker.Broker]:
    root = fixtures_broker._kafka_root()
    kafka_broker.reap_stale_tree(root)
    try:
        broker = kafka_broker.start(root / f"{os.getpid()}-sasl", sasl=True)
    except kafka_broker.BrokerStartError as exc:
        message = f"the SASL test broker did not start: {exc}"
        if fixtures_broker._in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        yield broker
    finally:
        broker.stop()


USER, PASSWORD = kafka_broker.SASL_USER, kafka_broker.SASL_PASSWORD
SECURITY: dict[str, dict[str, str]] = {
    "plain": {"sasl.mechanism": "PLAIN", "sasl.username": USER, "sasl.password": PASSWORD},
    "scram-sha-256": {"sasl.mechanism": "SCRAM-SHA-256", "sasl.username": USER, "sasl.password": PASSWORD},
    "scram-sha-256-jaas": {
        "sasl.mechanism": "SCRAM-SHA-256",
        "sasl.jaas.config": (
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{USER}" password="{PASSWORD}";'
        ),
    },
}


@pytest.mark.parametrize("security", list(SECURITY))
def test_two_workers_form_one_cluster_over_sasl(
    tmp_path: Path, sasl_broker: kafka_broker.Broker, security: str
) -> None:
    assert sasl_broker.sasl_bootstrap_servers is not None
    worker_keys = {"security.protocol": "SASL_PLAINTEXT", **SECURITY[security]}
    # The worker's admin client (cluster id) and the tasks' clients take prefixed keys, as in
    # standalone mode; librdkafka's names there (it has no sasl.jaas.config).
    client_keys = {"security.protocol": "SASL_PLAINTEXT", **SECURITY["plain"]}
    props = {
        **cluster_props(sasl_broker.sasl_bootstrap_servers, 0),
        **worker_keys,
        **{f"{role}.{k}": v for role in ("admin", "producer", "consumer") for k, v in client_keys.items()},
    }
    workers = [ClusterWorker(tmp_path, f"worker-{i}", props) for i in range(2)]
    try:
        for worker in workers:
            wait_for(f"{worker.name} serves REST", worker.ready, 90, workers)
        topic = f"fc-sasl-{uuid.uuid4().hex[:8]}"
        answer = workers[1].client.post("/connectors", json={"name": "gen", "config": generator(topic, 4)})
        assert answer.status_code == 201, (answer.text, workers[1].log_tail())

        def settled() -> dict[str, Any] | None:
            views = [statuses(w).get("gen") for w in workers]
            if not all(v and all_running(v, 4) for v in views):
                return None
            return views[0] if views[0] == views[1] else None

        view = wait_for("both workers see gen's 4 tasks RUNNING, the same", settled, 90, workers)
        # One cluster: the tasks are split between the two workers.
        owners = collections.Counter(t["worker_id"] for t in view["tasks"])
        assert owners == {f"127.0.0.1:{w.port}": 2 for w in workers}, owners
        for worker in workers:
            assert "authentication failed" not in worker.log_tail(100_000), worker.log_tail()
    finally:
        for worker in workers:
            worker.stop()
