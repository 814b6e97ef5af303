"""What idle tasks cost: CPU per second, threads and RSS of a worker whose tasks have nothing to do.

Two cases, each in its own child process so that CPU seconds, threads and RSS are its own:
  sources  one connector with N Python source tasks whose ``poll`` sleeps 1 s and returns None
           (a connector polling an empty upstream system)
  sinks    one connector with N Python sink tasks subscribed to an empty topic of N partitions
After the tasks run and the group settled (a warm-up), the child measures its CPU seconds
(``getrusage``) over a window and prints them as a share of one core, with its thread count and RSS.
The connector's own calls (N ``poll`` or ``put`` calls a second or so) are part of the figure, as they
are in Kafka Connect; a runtime thread that spins shows up as a share that grows with N.

Usage: ``python benches/idle_cost.py [--tasks N] [--window S] [--bootstrap HOST:PORT | --embedded]``
(CI smoke-runs it with a small N on the test session's broker).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import bench_broker


def _threads_and_rss() -> tuple[int, float]:
    status = Path("/proc/self/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return int(fields["Threads"]), int(fields["VmRSS"].split()[0]) / 1024


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child(case: str, bootstrap: str, tasks: int, window: float, warmup: float) -> dict[str, Any]:
    import ferroconnect as fc

    class IdleSourceTask(fc.SourceTask):
        def poll(self) -> list[fc.SourceRecord] | None:
            time.sleep(1.0)  # short enough for a stop to wait it out
            return None

    class IdleSource(fc.SourceConnector):
        def task_class(self) -> type[fc.SourceTask]:
            return IdleSourceTask

        def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
            return [{} for _ in range(max_tasks)]

    class IdleSinkTask(fc.SinkTask):
        def put(self, records: list[fc.SinkRecord]) -> None:
            pass

    class IdleSink(fc.SinkConnector):
        def task_class(self) -> type[fc.SinkTask]:
            return IdleSinkTask

        def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
            return [{} for _ in range(max_tasks)]

    name = f"idle-{case}-{uuid.uuid4().hex[:8]}"
    with fc.Worker(bootstrap) as worker:
        if case == "sources":
            config: dict[str, Any] = {"connector.class": IdleSource, "tasks.max": tasks, "topic": name}
        else:
            from confluent_kafka.admin import AdminClient, NewTopic

            admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the result arrives
            admin.create_topics([NewTopic(name, tasks, 1)])[name].result(30)
            config = {"connector.class": IdleSink, "tasks.max": tasks, "topics": name}
        worker.create_connector(name, config)
        worker.wait_for_state(name, tasks=tasks, timeout=120)
        time.sleep(warmup)
        threads, rss = _threads_and_rss()
        before, started = _cpu_s(), time.monotonic()
        time.sleep(window)
        cpu, elapsed = _cpu_s() - before, time.monotonic() - started
        states = worker.status(name).task_states
    assert states == ["RUNNING"] * tasks, states
    return {"core_share": cpu / elapsed, "threads": threads, "rss_mib": rss}


def measure(case: str, bootstrap: str, tasks: int, window: float, warmup: float) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        case,
        "--bootstrap",
        bootstrap,
        "--tasks",
        str(tasks),
        "--window",
        str(window),
        "--warmup",
        str(warmup),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=64)
    parser.add_argument("--window", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds after all tasks run")
    parser.add_argument("--child")
    bench_broker.add_arguments(parser)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.bootstrap, args.tasks, args.window, args.warmup)))
        return
    with bench_broker.broker(args) as broker:
        print(f"# idle cost: {args.tasks} idle tasks per case, {args.window:.0f} s window, {broker.label}")
        machine = f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}"
        print(f"# machine: {machine}, python {platform.python_version()}")
        print(f"{'case':<10}{'% of a core':>14}{'per task':>12}{'threads':>10}{'RSS MiB':>10}")
        for case in ("sources", "sinks"):
            r = measure(case, broker.bootstrap_servers, args.tasks, args.window, args.warmup)
            share, threads, rss = 100 * r["core_share"], r["threads"], r["rss_mib"]
            print(f"{case:<10}{share:>13.2f}%{share / args.tasks:>11.3f}%{threads:>10}{rss:>10.0f}")


if __name__ == "__main__":
    main()
