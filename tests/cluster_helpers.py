"""Helpers for distributed-mode tests: ``ferroconnect distributed`` worker processes, the worker
properties of a fresh cluster, polling, and reading statuses over REST."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import kafka_broker

GENERATOR = "ferroconnect.connectors.GeneratorSourceConnector"


def cluster_props(bootstrap: str, delay_ms: int) -> dict[str, str]:
    """Worker keys of a new cluster (own group and internal topics) that Java Connect reads too."""
    suffix = uuid.uuid4().hex[:8]
    return {
        "bootstrap.servers": bootstrap,
        "group.id": f"fc-cluster-{suffix}",
        "config.storage.topic": f"fc-configs-{suffix}",
        "offset.storage.topic": f"fc-offsets-{suffix}",
        "status.storage.topic": f"fc-status-{suffix}",
        "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        "offset.storage.partitions": "5",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "scheduled.rebalance.max.delay.ms": str(delay_ms),
        "session.timeout.ms": "6000",
        "heartbeat.interval.ms": "1000",
        "offset.flush.interval.ms": "1000",
    }


class ClusterWorker:
    """One ``ferroconnect distributed`` process and a REST client for it."""

    def __init__(self, folder: Path, name: str, props: dict[str, str]) -> None:
        self.name = name
        self.port = kafka_broker.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"{name}.log"
        properties = folder / f"{name}.properties"
        lines = {**props, "listeners": self.url}
        properties.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
        command = [sys.executable, "-m", "ferroconnect.cli", "distributed", str(properties)]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, cwd=folder, stdout=log, stderr=log)
        self.client = httpx.Client(base_url=self.url, timeout=60)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def ready(self) -> bool:
        try:
            return self.client.get("/connectors").status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.client.close()


def wait_for(what: str, check: Callable[[], Any], timeout: float = 60, workers: Sequence[Any] = ()) -> Any:
    """Polls ``check`` until it returns something true; fails with ``what`` and the workers' logs."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (httpx.HTTPError, KeyError, AssertionError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.2)
    logs = "\n".join(f"--- {getattr(w, 'name', w)}\n{w.log_tail()}" for w in workers)
    pytest.fail(f"{what}: timed out after {timeout} s (last: {last!r})\n{logs}")


def generator(topic: str, tasks: int) -> dict[str, str]:
    return {"connector.class": GENERATOR, "topic": topic, "tasks.max": str(tasks), "message.size": "20"}


def statuses(worker: ClusterWorker) -> dict[str, Any]:
    answer = worker.client.get("/connectors", params={"expand": "status"})
    answer.raise_for_status()
    return {name: entry["status"] for name, entry in answer.json().items()}


def all_running(status: dict[str, Any], tasks: int) -> bool:
    states = [status["connector"]["state"]] + [t["state"] for t in status["tasks"]]
    return len(status["tasks"]) == tasks and set(states) == {"RUNNING"}
