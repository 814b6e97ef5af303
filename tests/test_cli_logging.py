"""The command line's rough edges (issue 12, item 13): log levels checked, no colour codes in a
redirected log, the task context on the line it belongs to, the address really bound, and a stop
signal during start-up handled as a graceful stop."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import ferroconnect as fc
import pytest

CLI = [sys.executable, "-m", "ferroconnect.cli"]


def _worker_file(tmp: Path, bootstrap: str, listeners: str = "http://127.0.0.1:0") -> Path:
    path = tmp / "worker.properties"
    path.write_text(
        f"bootstrap.servers={bootstrap}\nlisteners={listeners}\n"
        f"offset.storage.file.filename={tmp / 'offsets.json'}\n"
    )
    return path


def _wait_for(path: Path, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while text not in (content := path.read_text(errors="replace")):
        assert time.monotonic() < deadline, f"{text!r} not in {content[-2000:]}"
        time.sleep(0.05)
    return content


def test_an_unknown_log_level_is_refused_naming_the_option(tmp_path: Path) -> None:
    done = subprocess.run(
        [*CLI, "--log-level", "bogus", "standalone", str(_worker_file(tmp_path, "127.0.0.1:1"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert "--log-level" in done.stderr and "'bogus' is not a level" in done.stderr


def test_a_redirected_log_has_no_colour_codes_and_names_the_address_bound(
    tmp_path: Path, bootstrap_servers: str
) -> None:
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [*CLI, "standalone", str(_worker_file(tmp_path, bootstrap_servers, "HTTP://:0"))],
            stdout=out,
            stderr=out,
        )
        try:
            content = _wait_for(log, "REST API on")
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(60) == 0
    assert "\x1b[" not in content, "ANSI escape codes in a redirected log"
    assert "REST server listening on http://0.0.0.0:" in content, content


def test_a_failed_task_keeps_its_context_on_the_line_of_the_error(
    embedded_kafka: fc.EmbeddedKafka, caplog: pytest.LogCaptureFixture
) -> None:
    class Failing(fc.SourceTask):
        def poll(self) -> list[fc.SourceRecord] | None:
            raise ValueError("boom")

    class Source(fc.SourceConnector):
        def task_class(self) -> type[fc.SourceTask]:
            return Failing

        def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
            return [{}]

    with (
        caplog.at_level(logging.ERROR, logger="ferroconnect"),
        fc.Worker(embedded_kafka.bootstrap_servers) as w,
    ):
        w.create_connector("ctx", {"connector.class": Source, "topic": "ctx"})
        deadline = time.monotonic() + 30
        while not any("task failed" in r.getMessage() for r in caplog.records):
            assert time.monotonic() < deadline, "no 'task failed' record"
            time.sleep(0.05)
    (message,) = [r.getMessage() for r in caplog.records if "task failed" in r.getMessage()]
    last = message.splitlines()[-1]
    assert "ValueError: boom" in last and last.endswith("[task=ctx-0]"), message


def test_a_stop_signal_during_start_up_is_a_graceful_stop(tmp_path: Path, bootstrap_servers: str) -> None:
    """The worker file is a FIFO, so the CLI blocks reading it, well after it started: a SIGTERM
    then used to kill it (the handlers came later); now it is a graceful stop."""
    fifo = tmp_path / "worker.properties"
    os.mkfifo(fifo)
    worker = subprocess.Popen([*CLI, "standalone", str(fifo)], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not _catches_sigterm(worker.pid):
            assert time.monotonic() < deadline and worker.poll() is None, "no SIGTERM handler"
            time.sleep(0.02)
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        writer = threading.Thread(
            target=lambda: fifo.write_text(
                f"bootstrap.servers={bootstrap_servers}\nlisteners=http://127.0.0.1:0\n"
                f"offset.storage.file.filename={tmp_path / 'offsets.json'}\n"
            ),
            daemon=True,
        )
        writer.start()
        code = worker.wait(60)
        writer.join(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert code == 0, worker.stderr.read() if worker.stderr else code


def _catches_sigterm(pid: int) -> bool:
    """Whether ``pid`` has a handler for SIGTERM (``SigCgt`` in ``/proc/PID/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False
