"""``ferroconnect standalone`` with its REST API in a child process: connector configs and target
states survive a restart, log levels change at run time, and secrets stay out of the log."""

from __future__ import annotations

import json
import time
from pathlib import Path

import ferroconnect as fc
import pytest
from rest_helpers import Standalone, error, wait_state

COUNTING = "source_helpers.CountingSource"


def _props(tmp_path: Path, bootstrap: str, **extra: str) -> dict[str, str]:
    return {
        "bootstrap.servers": bootstrap,
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "offset.storage.file.filename": str(tmp_path / "offsets.json"),
        "offset.flush.interval.ms": "200",
        "listeners": "http://127.0.0.1:0",
        **extra,
    }


def test_configs_and_target_states_survive_a_restart(
    embedded_kafka: fc.EmbeddedKafka, tmp_path: Path, topic_name: str
) -> None:
    embedded_kafka.create_topic(topic_name, 1)
    props = _props(tmp_path, embedded_kafka.bootstrap_servers)
    config = {"connector.class": COUNTING, "topic": topic_name, "tasks": "1"}
    worker = Standalone(tmp_path, props)
    try:
        with worker.client() as http:
            for name in ["running", "paused", "stopped"]:
                assert http.post("/connectors", json={"name": name, "config": config}).status_code == 201
                wait_state(http, name, "RUNNING", tasks=1)
            assert http.put("/connectors/paused/pause").status_code == 202
            assert http.put("/connectors/stopped/stop").status_code == 204
            wait_state(http, "paused", "PAUSED", tasks=1)
            assert (
                http.put("/connectors/running/config", json={**config, "tasks.max": "3"}).status_code == 200
            )
            created = http.post("/connectors", json={"name": "gone", "config": config})
            assert created.status_code == 201
            assert http.delete("/connectors/gone").status_code == 204
    finally:
        worker.stop()
    assert worker.process.returncode == 0, worker.text()[-3000:]
    stored = json.loads((tmp_path / "offsets.json.connectors.json").read_text())
    assert set(stored["connectors"]) == {"running", "paused", "stopped"}
    assert stored["connectors"]["paused"]["target_state"] == "PAUSED"

    again = Standalone(tmp_path, props)
    try:
        with again.client() as http:
            assert http.get("/connectors").json() == ["paused", "running", "stopped"]
            wait_state(http, "running", "RUNNING", tasks=1)
            wait_state(http, "paused", "PAUSED", tasks=1)
            assert http.get("/connectors/stopped/status").json()["connector"]["state"] == "STOPPED"
            assert http.get("/connectors/running/config").json() == {
                **config,
                "tasks.max": "3",
                "name": "running",
            }
            # The paused connector resumes where it left off: its offsets were kept too.
            offsets = http.get("/connectors/paused/offsets").json()["offsets"]
            assert offsets and offsets[0]["partition"] == {"task": 0}
            assert http.put("/connectors/paused/resume").status_code == 202
            wait_state(http, "paused", "RUNNING", tasks=1)
    finally:
        again.stop()


def test_log_levels_change_at_run_time_and_passwords_never_reach_the_log(
    embedded_kafka: fc.EmbeddedKafka, tmp_path: Path
) -> None:
    secret = "hunter2-do-not-log"
    props = _props(tmp_path, embedded_kafka.bootstrap_servers)
    worker = Standalone(tmp_path, props, log_level="info")
    try:
        with worker.client() as http:
            assert http.get("/admin/loggers").json() == {"root": {"level": "INFO", "last_modified": None}}
            assert http.get("/admin/loggers/root").json() == {"level": "INFO", "last_modified": None}
            error(http.get("/admin/loggers/no.such.logger"), 404, "Logger no.such.logger not found.")
            error(
                http.put("/admin/loggers/root", json={}),
                400,
                "Desired 'level' parameter was not specified in request.",
            )
            error(http.put("/admin/loggers/root", json={"level": "loud"}), 404, "invalid log level 'loud'.")
            before = int(time.time() * 1000) - 1
            affected = http.put("/admin/loggers/ferroconnect_core::rest", json={"level": "debug"})
            assert affected.status_code == 200
            assert "ferroconnect_core::rest" in affected.json()
            level = http.get("/admin/loggers/ferroconnect_core::rest").json()
            assert level["level"] == "DEBUG" and level["last_modified"] >= before
            assert "ferroconnect_core::rest" in http.get("/admin/loggers").json()
            # The new level applies at once: the REST layer's debug lines appear.
            http.get("/connectors")
            time.sleep(0.2)
            assert "GET /connectors 200" in worker.text()
            assert http.put("/admin/loggers/root?scope=cluster", json={"level": "DEBUG"}).status_code == 204

            # A PASSWORD-typed value, given in clear and through everything that logs at DEBUG.
            config = {"connector.class": "rest_helpers.SecretSource", "password": secret, "topic": "t"}
            assert http.post("/connectors", json={"name": "s", "config": config}).status_code == 201
            wait_state(http, "s", "RUNNING", tasks=1)
            invalid = http.put("/connectors/s/config", json={**config, "topic": None})
            assert invalid.status_code == 400
            assert http.put("/connectors/s/stop").status_code == 204
            assert http.delete("/connectors/s").status_code == 204
    finally:
        worker.stop()
    log = worker.text()
    assert "DEBUG" in log
    assert secret not in log


@pytest.mark.parametrize("listener", ["https://127.0.0.1:0", "http://127.0.0.1"])
def test_bad_listeners_are_refused_naming_the_key(embedded_kafka: fc.EmbeddedKafka, listener: str) -> None:
    with pytest.raises(fc.ConfigError, match="listeners"):
        fc.Worker(embedded_kafka.bootstrap_servers, listeners=listener)
