"""How fast a cluster puts its tasks back to work: ferroconnect's distributed mode against Java Kafka
Connect 4.4.0 on the same broker (issue 13).

Each runtime gets a cluster of its own (own ``group.id`` and internal topics, the same worker keys:
StringConverter, replication factors of 1, ``scheduled.rebalance.max.delay.ms=0``, the given
``session.timeout.ms`` and ``heartbeat.interval.ms``) and runs, one runtime after the other:
  cold start  2 workers; N connectors x T tasks created over REST, timed from the first POST until
              every connector and task is RUNNING
  join        a 3rd worker process starts; timed from its start until every task is RUNNING again
              and the 3 workers' task counts differ by at most 1 (the new one owns its share)
  kill -9     the 3rd worker gets SIGKILL; timed until every connector and task is RUNNING on the
              2 survivors (with no delay this is bounded by ``session.timeout.ms``, printed)
Connectors do nothing: each task's ``poll`` sleeps 100 ms and returns null (``idle_connector.py``,
``jvm/IdleSourceConnector.java``, compiled by ``jvm_connectors.py``). Progress is
read as a client would, ``GET /connectors?expand=status`` on worker 0 (it survives) every 50 ms. The
peak RSS (``VmHWM``) of worker 0 of each runtime is printed after the three scenarios.

Usage: ``python benches/rebalance.py [--connectors 20] [--tasks 4] [--session-timeout-ms 10000]
[--heartbeat-interval-ms 3000] [--state-dir DIR] [--bootstrap HOST:PORT]``; ``--smoke`` is 2
connectors x 2 tasks, a 6 s session and a 1 s heartbeat (CI's run). The workers' configs and logs
stay in ``--state-dir`` when given (else a temp folder).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bench_broker
import jvm_connectors

BENCHES = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHES.parent / "scripts"))
import java_connect  # noqa: E402
import kafka_broker  # noqa: E402

OUR_CONNECTOR = "idle_connector.IdleSourceConnector"
JAVA_CONNECTOR = "ferroconnect.bench.IdleSourceConnector"
POLL_S = 0.05
WAIT_S = 240.0
"""Longest any scenario may take before the run fails with the workers' logs."""


def worker_settings(bootstrap: str, suffix: str, session_ms: int, heartbeat_ms: int) -> dict[str, str]:
    """The worker keys both runtimes get: a cluster of their own, no delay before moving work."""
    return {
        "bootstrap.servers": bootstrap,
        "group.id": f"bench-rebalance-{suffix}",
        "config.storage.topic": f"bench-configs-{suffix}",
        "offset.storage.topic": f"bench-offsets-{suffix}",
        "status.storage.topic": f"bench-status-{suffix}",
        "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        "offset.storage.partitions": "5",
        "status.storage.partitions": "5",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.storage.StringConverter",
        "scheduled.rebalance.max.delay.ms": "0",
        "session.timeout.ms": str(session_ms),
        "heartbeat.interval.ms": str(heartbeat_ms),
        "offset.flush.interval.ms": "10000",
    }


# --- workers -------------------------------------------------------------------------------------


@dataclass
class Worker:
    """One worker process of either runtime: its REST URL, pid, log and how to stop it."""

    url: str
    pid: int
    log: Path
    stop: Callable[[], None]

    @property
    def worker_id(self) -> str:
        """The id the REST API shows as ``worker_id``: ``host:port``."""
        return self.url.removeprefix("http://")

    def kill9(self) -> None:
        os.kill(self.pid, signal.SIGKILL)


def get_json(url: str, timeout: float = 5.0) -> Any:
    with urllib.request.urlopen(urllib.request.Request(url), timeout=timeout) as response:
        return json.loads(response.read().decode())


def post_json(url: str, body: Any) -> tuple[int, str]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=90) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def start_ours(folder: Path, index: int, settings: dict[str, str]) -> Worker:
    """Start ``ferroconnect distributed`` with the bench folder on its PYTHONPATH; do not wait."""
    port = kafka_broker.free_port()
    url = f"http://127.0.0.1:{port}"
    properties = folder / f"worker-{index}.properties"
    properties.write_text("".join(f"{k}={v}\n" for k, v in {**settings, "listeners": url}.items()))
    log = folder / f"worker-{index}.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCHES), os.environ.get("PYTHONPATH")])),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ferroconnect.cli", "distributed", str(properties)],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=kafka_broker.die_with_parent(os.getpid()),
        )

    def stop() -> None:
        kafka_broker.kill(process.pid, 30.0, process.poll)

    return Worker(url, process.pid, log, stop)


def start_java(folder: Path, index: int, settings: dict[str, str], classes: Path) -> Worker:
    """Start Java Connect distributed with the compiled connector; returns once ``GET /`` answers."""
    connect = java_connect.start(
        folder / f"worker-{index}",
        settings["bootstrap.servers"],
        "distributed",
        settings,
        extra_classpath=[classes],
    )

    def stop() -> None:
        connect.stop(grace_s=30.0)

    return Worker(connect.url, connect.pid, connect.state_dir / java_connect.LOG_FILE, stop)


# --- scenarios -----------------------------------------------------------------------------------


def statuses(worker: Worker) -> dict[str, Any]:
    answer: dict[str, Any] = get_json(f"{worker.url}/connectors?expand=status")
    return {name: entry["status"] for name, entry in answer.items()}


def owners(view: dict[str, Any], connectors: int, tasks: int) -> collections.Counter[str] | None:
    """Task counts per worker if every connector and task is RUNNING, else None."""
    if len(view) != connectors:
        return None
    counts: collections.Counter[str] = collections.Counter()
    for status in view.values():
        if status["connector"]["state"] != "RUNNING" or len(status["tasks"]) != tasks:
            return None
        for task in status["tasks"]:
            if task["state"] != "RUNNING":
                return None
            counts[task["worker_id"]] += 1
    return counts


def wait_until(
    what: str, check: Callable[[dict[str, Any]], bool], observer: Worker, workers: list[Worker]
) -> float:
    """Poll ``observer``'s statuses every 50 ms until ``check`` holds; return when (monotonic)."""
    deadline = time.monotonic() + WAIT_S
    last: Any = None
    while time.monotonic() < deadline:
        try:
            view = statuses(observer)
        except (OSError, ValueError, KeyError) as exc:  # a worker busy rebalancing, or not up yet
            last = exc
        else:
            if check(view):
                return time.monotonic()
            last = {name: s["connector"]["state"] for name, s in list(view.items())[:3]}
        time.sleep(POLL_S)
    tails = "\n".join(
        f"--- {w.log}\n{kafka_broker.log_tail(w.log.parent, 30, (w.log.name,))}" for w in workers
    )
    raise RuntimeError(f"{what}: not within {WAIT_S:.0f} s (last: {last!r})\n{tails}")


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident set (``VmHWM``), MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(fields["VmHWM"].split()[0]) / 1024


@dataclass
class Result:
    seconds: dict[str, float] = field(default_factory=dict)
    rss_mib: float = 0.0
    joiner_rest_s: float = 0.0
    logs: Path | None = None


def run_side(
    runtime: str,
    bootstrap: str,
    folder: Path,
    connectors: int,
    tasks: int,
    session_ms: int,
    heartbeat_ms: int,
) -> Result:
    """The three scenarios on one runtime's cluster."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = worker_settings(bootstrap, f"{runtime}-{uuid.uuid4().hex[:8]}", session_ms, heartbeat_ms)
    if runtime == "java":
        classes = jvm_connectors.compile_connectors()
        connector_class = JAVA_CONNECTOR

        def start(index: int) -> Worker:
            return start_java(folder, index, settings, classes)
    else:
        connector_class = OUR_CONNECTOR

        def start(index: int) -> Worker:
            return start_ours(folder, index, settings)

    result = Result(logs=folder)
    workers: list[Worker] = []
    # A worker dies with the thread that started it (PR_SET_PDEATHSIG): the pool lives until the end.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        try:
            workers.extend(pool.map(start, range(2)))  # in parallel: a JVM takes seconds to answer
            first = workers[0]
            for worker in workers:
                wait_until(f"{worker.url} answers", lambda _view: True, worker, workers)

            # Cold start: every connector created on worker 0 (non-leaders forward to the leader).
            started = time.monotonic()
            for i in range(connectors):
                config = {"connector.class": connector_class, "tasks.max": str(tasks)}
                status, text = post_json(f"{first.url}/connectors", {"name": f"idle-{i}", "config": config})
                if status != 201:
                    raise RuntimeError(f"creating idle-{i} on {runtime}: {status} {text}")
            done = wait_until(
                "all RUNNING", lambda v: owners(v, connectors, tasks) is not None, first, workers
            )
            result.seconds["cold"] = done - started

            # Join: a third worker; done when everything runs and the three share the tasks evenly.
            def shared(view: dict[str, Any]) -> bool:
                counts = owners(view, connectors, tasks)
                return (
                    counts is not None
                    and len(counts) == 3
                    and max(counts.values()) - min(counts.values()) <= 1
                )

            started = time.monotonic()
            workers.append(start(2))
            wait_until("the joiner answers", lambda _view: True, workers[2], workers)
            result.joiner_rest_s = time.monotonic() - started
            result.seconds["join"] = wait_until("the joiner owns its share", shared, first, workers) - started

            # Kill -9 of the joiner (never the leader); done when all runs on the two survivors.
            victim = workers[2]

            def moved(view: dict[str, Any]) -> bool:
                counts = owners(view, connectors, tasks)
                return (
                    counts is not None
                    and victim.worker_id not in counts
                    and all(s["connector"]["worker_id"] != victim.worker_id for s in view.values())
                )

            started = time.monotonic()
            victim.kill9()
            result.seconds["kill"] = wait_until("the victim's work moved", moved, first, workers) - started
            result.rss_mib = peak_rss_mib(first.pid)
        finally:
            for worker in workers:
                try:
                    os.kill(worker.pid, signal.SIGKILL)  # measured: a graceful stop would only cost time
                except ProcessLookupError:
                    pass
            for worker in workers:
                worker.stop()
    return result


# --- report --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connectors", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=4, help="tasks.max of each connector")
    parser.add_argument("--session-timeout-ms", type=int, default=10000)
    parser.add_argument("--heartbeat-interval-ms", type=int, default=3000)
    parser.add_argument(
        "--smoke", action="store_true", help="2 connectors x 2 tasks, 6 s session, 1 s heartbeat"
    )
    parser.add_argument("--state-dir", type=Path, help="keep the workers' configs and logs here")
    bench_broker.add_arguments(parser)
    args = parser.parse_args()
    if args.smoke:
        args.connectors, args.tasks, args.session_timeout_ms, args.heartbeat_interval_ms = 2, 2, 6000, 1000
    if args.embedded:
        parser.error("distributed mode needs a real broker's group coordinator: not --embedded")
    with tempfile.TemporaryDirectory() as temp, bench_broker.broker(args) as broker:
        root = (args.state_dir or Path(temp)).resolve()
        size = f"{args.connectors} connectors x {args.tasks} tasks"
        group = f"session.timeout.ms={args.session_timeout_ms}"
        group += f", heartbeat.interval.ms={args.heartbeat_interval_ms}"
        print(f"# rebalance: {size}, {group}, {broker.label}")
        machine = f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}"
        print(f"# machine: {machine}, python {platform.python_version()}", flush=True)
        results = {}
        for runtime in ("ferroconnect", "java"):
            results[runtime] = run_side(
                runtime,
                broker.bootstrap_servers,
                root / runtime,
                args.connectors,
                args.tasks,
                args.session_timeout_ms,
                args.heartbeat_interval_ms,
            )
            print(f"# {runtime}: {results[runtime].seconds}, logs in {root / runtime}", flush=True)
        ours, java = results["ferroconnect"], results["java"]
        rows = [
            ("cold start (2 workers)", "cold"),
            ("join (3rd worker)", "join"),
            (f"kill -9 (1 of 3, session {args.session_timeout_ms / 1000:g} s)", "kill"),
        ]
        print(f"{'scenario':<34}{'ferroconnect s':>15}{'Java s':>9}{'Java/ours':>11}")
        for label, key in rows:
            a, b = ours.seconds[key], java.seconds[key]
            print(f"{label:<34}{a:>15.2f}{b:>9.2f}{b / a:>11.2f}")
        a, b = ours.rss_mib, java.rss_mib
        print(f"{'peak RSS of worker 0, MiB':<34}{a:>15.0f}{b:>9.0f}{b / a:>11.2f}")
        rest = f"ferroconnect {ours.joiner_rest_s:.2f} s, Java {java.joiner_rest_s:.2f} s"
        print(f"# the joiner first answered GET /connectors?expand=status after: {rest}")


if __name__ == "__main__":
    main()
