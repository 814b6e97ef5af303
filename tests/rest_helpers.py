"""Helpers of the REST API tests: an in-process worker with its REST API, a standalone worker in a
child process, waiting for states, and connectors that show what they were given."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import ferroconnect as fc
import httpx

TESTS = Path(__file__).resolve().parent
EXAMPLES = TESTS.parent / "examples"
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))


@contextmanager
def rest_worker(bootstrap: str, **settings: Any) -> Iterator[tuple[fc.Worker, httpx.Client]]:
    """An in-process worker serving its REST API on a free loopback port, and a client of it."""
    with fc.Worker(bootstrap, rest_port=0, **settings) as worker:
        assert worker.rest_url is not None
        with httpx.Client(base_url=worker.rest_url, timeout=60) as client:
            yield worker, client


def wait_state(
    client: httpx.Client, name: str, state: str, tasks: int | None = None, timeout: float = 30
) -> dict[str, Any]:
    """Polls ``GET /connectors/{name}/status`` until the connector and its tasks are in ``state``."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/connectors/{name}/status")
        status: dict[str, Any] = response.json()
        if response.status_code == 200:
            states = [t["state"] for t in status["tasks"]]
            ok = status["connector"]["state"] == state and all(s == state for s in states)
            if ok and (tasks is None or len(states) == tasks):
                return status
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} did not reach {state}: {status}")
        time.sleep(0.05)


def error(response: httpx.Response, status: int, message: str) -> None:
    """Asserts Kafka Connect's error answer: the status, and ``{"error_code", "message"}``."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"error_code": status, "message": message}


class SecretSource(fc.SourceConnector):
    """A source with a PASSWORD-typed key that remembers the configs it and its task were given."""

    config_def = (
        fc.ConfigDef()
        .define("password", fc.Type.PASSWORD, importance=fc.Importance.HIGH, doc="A secret.")
        .define("topic", fc.Type.STRING, importance=fc.Importance.HIGH, doc="Where nothing goes.")
    )
    started_with: ClassVar[list[dict[str, str]]] = []
    tasks_started_with: ClassVar[list[dict[str, str]]] = []

    def start(self, config: dict[str, str]) -> None:
        SecretSource.started_with.append(dict(config))
        self.settings = dict(config)

    def task_class(self) -> type[fc.SourceTask]:
        return SecretTask

    def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
        return [dict(self.settings)]


class SecretTask(fc.SourceTask):
    """Records its config; produces nothing."""

    def start(self, config: dict[str, str]) -> None:
        SecretSource.tasks_started_with.append(dict(config))
        self.stopping = threading.Event()

    def poll(self) -> list[fc.SourceRecord] | None:
        self.stopping.wait(0.05)
        return None

    def stop(self) -> None:
        self.stopping.set()


class Standalone:
    """``ferroconnect standalone`` in a child process, its REST URL read from its log."""

    def __init__(self, workdir: Path, props: dict[str, str], log_level: str = "info") -> None:
        self.workdir = workdir
        self.log = workdir / "worker.log"
        worker = workdir / "worker.properties"
        worker.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLES), str(TESTS)])}
        env.pop("FERROCONNECT_LOG", None)
        # A restart appends to the same log: only what this process wrote counts.
        self.start = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ferroconnect.cli",
                    "--log-level",
                    log_level,
                    "standalone",
                    str(worker),
                ],
                env=env,
                stdout=log,
                stderr=log,
                cwd=workdir,
            )
        self.url = self._wait_for_url()

    def _wait_for_url(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.findall(r"REST API on (http://\S+)", self.text())
            if found:
                return found[-1]
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited: {self.text()[-3000:]}")
            time.sleep(0.05)
        raise TimeoutError(f"no REST URL in the log: {self.text()[-3000:]}")

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    def stop(self) -> None:
        """Stops the worker gracefully (SIGTERM)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(60)

    def text(self) -> str:
        """What this process logged."""
        with self.log.open("rb") as log:
            log.seek(self.start)
            return log.read().decode(errors="replace")
