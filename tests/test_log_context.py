"""Kafka Connect's connector context on log lines (KIP-449): a task's lines, the runtime's and those
its Python code logs, carry ``[name|task-0]`` on the CLI's stderr; connector-level work of the
worker carries ``[name|worker]``; in-process, Python log records carry ``connector`` and ``task``."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import ferroconnect as fc
import pytest
from source_helpers import wait_until

CONNECTOR_MODULE = """
import logging

import ferroconnect as fc

log = logging.getLogger("chatty")


class ChattyTask(fc.SourceTask):
    def start(self, config):
        self.topic = config["topic"]
        self.n = 0

    def poll(self):
        self.n += 1
        if self.n == 1:
            log.warning("first poll from Python")
        if self.n >= 5:
            return None
        return [fc.SourceRecord({"p": 0}, {"n": self.n}, self.topic, value=str(self.n))]


class ChattySource(fc.SourceConnector):
    def start(self, config):
        log.warning("connector starting from Python")
        self.topic = config["topic"]

    def task_class(self):
        return ChattyTask

    def task_configs(self, max_tasks):
        return [{"topic": self.topic}]
"""


def _wait_for(path: Path, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while text not in (content := path.read_text(errors="replace")):
        assert time.monotonic() < deadline, f"{text!r} not in {content[-3000:]}"
        time.sleep(0.05)
    return content


def _line(content: str, text: str) -> str:
    lines = [line for line in content.splitlines() if text in line]
    assert lines, f"no line with {text!r} in {content[-3000:]}"
    return lines[0]


def test_cli_lines_of_a_task_and_its_python_code_carry_the_connector_context(
    tmp_path: Path, bootstrap_servers: str, unique_topic: str
) -> None:
    (tmp_path / "chatty.py").write_text(CONNECTOR_MODULE)
    worker_file = tmp_path / "worker.properties"
    worker_file.write_text(
        f"bootstrap.servers={bootstrap_servers}\nlisteners=http://127.0.0.1:0\n"
        f"offset.storage.file.filename={tmp_path / 'offsets.json'}\n"
    )
    connector_file = tmp_path / "chatty.properties"
    connector_file.write_text(f"name=chatty\nconnector.class=chatty.ChattySource\ntopic={unique_topic}\n")
    log = tmp_path / "worker.log"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "ferroconnect.cli", "standalone", str(worker_file), str(connector_file)],
            stdout=out,
            stderr=out,
            env=env,
        )
        try:
            content = _wait_for(log, "first poll from Python")
            content = _wait_for(log, "source task started")
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(60) == 0
    # The runtime's line, from the task thread, and the line the task's Python code logged.
    assert " INFO [chatty|task-0] source task started" in _line(content, "source task started"), content
    assert "WARNING [chatty|task-0] first poll from Python (chatty)" in _line(
        content, "first poll from Python"
    )
    # Connector-level work of the worker: the connector's own start and its Python code.
    assert "[chatty|worker] connector started" in _line(content, "connector started")
    assert "[chatty|worker] connector starting from Python" in _line(
        content, "connector starting from Python"
    )
    # The task's Kafka clients: librdkafka's lines, if any were logged, carry it too.
    for line in content.splitlines():
        if "librdkafka:" in line and "connector-producer-chatty-0" in line:
            assert "[chatty|task-0]" in line, line
    # The worker's own lines, outside any connector, carry none.
    assert "[" not in _line(content, "REST server listening").split(" INFO ")[1].split("http")[0]


def test_python_records_carry_the_context_as_attributes(
    bootstrap_servers: str, unique_topic: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    sys.path.insert(0, str(tmp_path))
    (tmp_path / "chatty_inproc.py").write_text(CONNECTOR_MODULE)
    import chatty_inproc  # type: ignore[import-not-found]

    caplog.set_level(logging.INFO)
    with fc.Worker(bootstrap_servers) as worker:
        worker.create_connector(
            "inproc", {"connector.class": chatty_inproc.ChattySource, "topic": unique_topic}
        )

        def logged(text: str) -> list[logging.LogRecord]:
            return [r for r in caplog.records if text in r.getMessage()]

        wait_until(
            lambda: logged("first poll from Python") and logged("source task started"), what="the log lines"
        )
    (python,) = logged("first poll from Python")
    assert (python.name, python.connector, python.task) == ("chatty", "inproc", 0)  # type: ignore[attr-defined]
    (runtime,) = logged("source task started")
    assert runtime.getMessage().startswith("[inproc|task-0] source task started"), runtime.getMessage()
    assert (runtime.connector, runtime.task) == ("inproc", 0)  # type: ignore[attr-defined]
    (connector,) = logged("connector starting from Python")
    assert (connector.connector, connector.task) == ("inproc", None)  # type: ignore[attr-defined]
    # A record made outside any connector's work has the attributes, empty.
    outside = logging.getLogger("elsewhere").makeRecord("elsewhere", logging.INFO, "f", 1, "m", (), None)
    assert (outside.connector, outside.task) == (None, None)  # type: ignore[attr-defined]
    # The formatter the CLI uses shows Kafka's prefix on a connector's record, once.
    formatter = fc._logging.ContextFormatter("%(message)s")
    assert formatter.format(python) == "[inproc|task-0] first poll from Python"
    assert formatter.format(runtime).count("[inproc|task-0]") == 1
