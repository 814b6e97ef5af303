"""Exactly-once against at-least-once sources, side by side with Java Kafka Connect, in one run.

One job: a file of N lines of 100 bytes -> a topic, with a FileStream source, on a distributed
worker (exactly-once sources are a distributed-mode feature, KIP-618) of each runtime, with
``exactly.once.source.support`` disabled and then enabled (``transaction.boundary=poll``, Kafka's
default: one transaction per polled batch of ``batch.size`` = 2000 lines):
  native  ferroconnect's built-in Rust FileStreamSource
  python  ferroconnect with the Python FileStream example (``examples/file_stream.py``)
  java    Java Kafka Connect 4.4.0 with Kafka's FileStreamSource (``scripts/java_connect.py``)

Each variant is a fresh worker process with its own group and internal topics; it is timed from
its start until a ``read_committed`` consumer has read N - 2000 records (Java's FileStreamSource
keeps the last lines of a file that does not grow; every variant stops at the same count). Printed
per variant: records/s, CPU seconds of the worker process, its peak RSS; then the ratios
exactly-once / at-least-once for each runtime, and ours / Java for each mode.

Usage: ``python benches/exactly_once.py [--records N] [--workers native,python,java]
[--bootstrap HOST:PORT]`` (CI smoke-runs it with a small N on the test session's broker).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import bench_broker
from ferroconnect import _core
from file_stream import BATCH_SIZE, cpu_seconds, create_topic, line, peak_rss_mib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import java_connect  # noqa: E402
import kafka_broker  # noqa: E402

CLASSES = {"native": "FileStreamSource", "python": "file_stream.FileStreamSource", "java": "FileStreamSource"}
LABELS = {
    "native": "ferroconnect, built-in Rust FileStreamSource",
    "python": "ferroconnect, Python FileStream example",
    "java": "Java Kafka Connect 4.4.0, FileStreamSource",
}
CONVERTERS = {
    "key.converter": "org.apache.kafka.connect.storage.StringConverter",
    "value.converter": "org.apache.kafka.connect.storage.StringConverter",
    "offset.flush.interval.ms": "1000",
}


@dataclass
class Result:
    seconds: float
    cpu_s: float
    peak_rss_mib: float


def worker_props(bootstrap: str, exactly_once: bool) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    return {
        "bootstrap.servers": bootstrap,
        "group.id": f"bench-eos-{suffix}",
        "config.storage.topic": f"bench-eos-configs-{suffix}",
        "offset.storage.topic": f"bench-eos-offsets-{suffix}",
        "status.storage.topic": f"bench-eos-status-{suffix}",
        "config.storage.replication.factor": "1",
        "offset.storage.replication.factor": "1",
        "status.storage.replication.factor": "1",
        "exactly.once.source.support": "enabled" if exactly_once else "disabled",
        **CONVERTERS,
    }


def put_connector(url: str, name: str, config: dict[str, str]) -> None:
    deadline = time.monotonic() + 120
    while True:
        request = urllib.request.Request(
            f"{url}/connectors/{name}/config",
            data=json.dumps(config).encode(),
            headers={"Content-Type": "application/json"},
            method="PUT",
        )
        try:
            with urllib.request.urlopen(request, timeout=30):
                return
        except OSError as exc:  # not serving yet, or 409 while the first rebalance runs
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not create {name} at {url}: {exc}") from exc
            time.sleep(0.2)


def run(kind: str, exactly_once: bool, bootstrap: str, folder: Path, source: Path, records: int) -> Result:
    topic = f"bench-eos-{kind}-{'eos' if exactly_once else 'alos'}-{uuid.uuid4().hex[:6]}"
    create_topic(bootstrap, topic)
    target = max(records - BATCH_SIZE, 1)
    done = threading.Event()
    # A read_committed reader (librdkafka's default isolation): what an exactly-once consumer sees.
    group = {"group.id": f"bench-eos-reader-{uuid.uuid4().hex[:6]}"}
    reader = threading.Thread(
        target=lambda: (_core.consume_count(bootstrap, topic, target, 600.0, group), done.set()), daemon=True
    )
    reader.start()
    props = worker_props(bootstrap, exactly_once)
    config = {"connector.class": CLASSES[kind], "tasks.max": "1", "file": str(source), "topic": topic}
    started = time.monotonic()
    if kind == "java":
        java = java_connect.start(folder / f"java-{exactly_once}", bootstrap, "distributed", props)
        pid, url, stop = java.pid, java.url, java.stop
    else:
        port = kafka_broker.free_port()
        url = f"http://127.0.0.1:{port}"
        properties = folder / f"{kind}-{exactly_once}.properties"
        properties.write_text("".join(f"{k}={v}\n" for k, v in {**props, "listeners": url}.items()))
        env = {**os.environ, "PYTHONPATH": str(ROOT / "examples")}
        log = (folder / f"{kind}-{exactly_once}.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "ferroconnect.cli", "distributed", str(properties)],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=log,
        )
        pid = process.pid

        def stop() -> None:
            process.terminate()
            process.wait(60)

    try:
        try:
            put_connector(url, f"source-{uuid.uuid4().hex[:6]}", config)
        except RuntimeError as exc:
            logs = sorted(folder.glob(f"{kind}-{exactly_once}*.log")) + sorted(
                folder.glob(f"java-{exactly_once}/*.log")
            )
            tail = "".join(p.read_text(errors="replace")[-3000:] for p in logs)
            raise RuntimeError(f"{exc}\n{tail}") from exc
        if not done.wait(600):
            raise RuntimeError(f"{kind}: {target} records not read in 600 s")
        seconds = time.monotonic() - started
        return Result(seconds, cpu_seconds(pid), peak_rss_mib(pid))
    finally:
        stop()
        reader.join(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--workers", default="native,python,java")
    bench_broker.add_arguments(parser)
    args = parser.parse_args()
    kinds = [k for k in args.workers.split(",") if k]
    load = os.getloadavg()[0]
    with bench_broker.broker(args) as broker, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = folder / "in.txt"
        source.write_text("".join(line(i) for i in range(args.records)))
        print(f"# exactly-once vs at-least-once source, {args.records:,} lines of 100 B; {broker.label}")
        print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load {load:.1f}")
        results: dict[tuple[str, bool], Result] = {}
        for kind in kinds:
            for exactly_once in (False, True):
                result = run(kind, exactly_once, broker.bootstrap_servers, folder, source, args.records)
                results[(kind, exactly_once)] = result
                target = max(args.records - BATCH_SIZE, 1)
                print(
                    f"{kind:7s} {'exactly-once ' if exactly_once else 'at-least-once'} "
                    f"{target / result.seconds:12,.0f} records/s  {result.cpu_s:7.2f} CPU s  "
                    f"{result.peak_rss_mib:7.0f} MiB peak RSS  ({LABELS[kind]})"
                )
        print("# ratios (throughput)")
        for kind in kinds:
            alos, eos = results[(kind, False)], results[(kind, True)]
            print(f"{kind} exactly-once / at-least-once: {alos.seconds / eos.seconds:.2f}")
        if "java" in kinds:
            for kind in (k for k in kinds if k != "java"):
                for exactly_once in (False, True):
                    ours, java = results[(kind, exactly_once)], results[("java", exactly_once)]
                    mode = "exactly-once" if exactly_once else "at-least-once"
                    print(
                        f"{kind} / java, {mode}: throughput {java.seconds / ours.seconds:.2f}, "
                        f"CPU {ours.cpu_s / max(java.cpu_s, 0.01):.2f}"
                    )


if __name__ == "__main__":
    main()
