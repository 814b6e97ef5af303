"""FileStream jobs side by side: Java Kafka Connect 4.4 and ferroconnect, on one broker, in one run.

Two jobs, each run by three workers, one after the other, each worker its own process:
  source  a file of N lines of 100 bytes -> a topic (``FileStreamSource``)
  sink    a topic of N such records -> a file (``FileStreamSink``)
  java    Java Kafka Connect 4.4.0 standalone with Kafka's FileStream connectors
          (``scripts/java_connect.py``; connect-file 4.3.1, see there)
  native  ``ferroconnect standalone`` with the built-in Rust FileStream connectors
  python  ``ferroconnect standalone`` with the Python FileStream example (``examples/file_stream.py``)

Every worker runs Kafka's quickstart settings (``config/connect-standalone.properties``:
JsonConverter with schemas; offsets flushed every second rather than 10 s, see ``QUICKSTART``)
and the same connector configs (``batch.size`` 2000, Kafka's default). Printed per worker:
records/s from the worker's start to the last record (in the topic for the source, in the file
for the sink) and, as ``copying``, from the first record seen to the last (without the start-up
and, for sinks, the broker's first group rebalance, 3 s by default), CPU seconds of the worker
process (all its threads, /proc), its peak RSS (VmHWM), and the start-up time to the task
RUNNING (``GET /connectors/{name}/status``); then the ratios ours/Java.

Java's FileStreamSource leaves the lines still in its buffer unread at the end of a file until the
file grows (``tests/test_file_stream.py``), so the source job counts as done at N - batch.size
records in the topic, for every worker alike.

Usage: ``python benches/file_stream.py [--records N] [--jobs source,sink] [--workers java,native,python]
[--bootstrap HOST:PORT | --embedded]`` (CI smoke-runs it with a small N on the test session's broker).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bench_broker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import java_connect  # noqa: E402

LINE_BYTES = 100
BATCH_SIZE = 2000
# Kafka's config/connect-standalone.properties as 4.4 ships it (the broker and files aside).
QUICKSTART = {
    "key.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "key.converter.schemas.enable": "true",
    "value.converter.schemas.enable": "true",
    # Shipped as 10000: lowered so that a sink that writes its file at each flush (ours does, as
    # Kafka's FileStreamSink should but does not: it writes unbuffered) is timed within a second.
    "offset.flush.interval.ms": "1000",
}
CLASSES = {
    "java": ("FileStreamSource", "FileStreamSink"),
    "native": ("FileStreamSource", "FileStreamSink"),
    "python": ("file_stream.FileStreamSource", "file_stream.FileStreamSink"),
}
LABELS = {
    "java": "Java Kafka Connect 4.4.0 (FileStream connectors)",
    "native": "ferroconnect, built-in Rust FileStream",
    "python": "ferroconnect, Python FileStream example",
}


def line(i: int) -> str:
    """Line ``i``: 99 characters and its newline."""
    return f"{i:09d} ".ljust(LINE_BYTES - 1, "x") + "\n"


@dataclass
class Measure:
    seconds: float
    # From the first record seen (in the topic, in the file) to the last: the copy alone, without
    # the start-up and, for sinks, the broker's first group rebalance (3 s by default).
    moving_s: float
    cpu_s: float
    peak_rss_mib: float
    startup_s: float


def cpu_seconds(pid: int) -> float:
    """User + system CPU of every thread of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmHWM:"):
            return int(row.split()[1]) / 1024
    return 0.0


class Worker:
    """One standalone worker of either runtime, with its process id and REST URL."""

    def __init__(self, kind: str, folder: Path, bootstrap: str, connector: dict[str, str]) -> None:
        self.kind = kind
        self.started = time.monotonic()
        if kind == "java":
            self.java = java_connect.start(folder / "java", bootstrap, "standalone", QUICKSTART, [connector])
            self.pid, self.url = self.java.pid, self.java.url
            return
        props = {
            "bootstrap.servers": bootstrap,
            **QUICKSTART,
            "offset.storage.file.filename": str(folder / "connect.offsets"),
            "listeners": "http://127.0.0.1:0",
        }
        (folder / "worker.properties").write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        (folder / "connector.properties").write_text("".join(f"{k}={v}\n" for k, v in connector.items()))
        # Examples (the Python FileStream) and benches (transform_chain.py's Python transforms).
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "examples"), str(ROOT / "benches")])}
        self.log = folder / "worker.log"
        command = [sys.executable, "-m", "ferroconnect.cli", "standalone", "worker.properties"]
        self.process = subprocess.Popen(
            [*command, "connector.properties"],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("wb"),
        )
        self.pid = self.process.pid
        self.url = self._printed_url()

    def _printed_url(self) -> str:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = re.search(r"REST API on (http://\S+)", self.log.read_text())
            if found:
                return found.group(1).rstrip("/")
            if self.process.poll() is not None:
                raise RuntimeError(f"ferroconnect exited: {self.log.read_text()[-2000:]}")
            time.sleep(0.02)
        raise RuntimeError("ferroconnect printed no REST URL in 60 s")

    def wait_running(self, name: str) -> float:
        """Seconds from the worker's start until its task is RUNNING."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = _get(f"{self.url}/connectors/{name}/status")
            tasks = status.get("tasks", []) if isinstance(status, dict) else []
            if tasks and all(t["state"] == "RUNNING" for t in tasks):
                return time.monotonic() - self.started
            time.sleep(0.02)
        raise RuntimeError(f"{self.kind}: {name} not RUNNING in 120 s: {status}")

    def stop(self) -> None:
        if self.kind == "java":
            self.java.stop()
        else:
            self.process.terminate()
            self.process.wait(60)


def _get(url: str) -> object:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, ConnectionError, json.JSONDecodeError):
        return None


def measure(worker: Worker, name: str, progress: Callable[[], int], target: int) -> Measure:
    """Times the worker until ``progress()`` (records copied) reaches ``target``."""
    startup = worker.wait_running(name)
    first = None
    while (seen := progress()) < target:
        if first is None and seen > 0:
            first = time.monotonic()
        time.sleep(0.01)
    end = time.monotonic()
    seconds, moving = end - worker.started, end - (first or end)
    return Measure(seconds, moving, cpu_seconds(worker.pid), peak_rss_mib(worker.pid), startup)


def end_offset(bootstrap: str, topic: str) -> Callable[[], int]:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-{uuid.uuid4().hex}"})

    def offset() -> int:
        try:
            return consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=5, cached=False)[1]
        except Exception:  # the topic may not exist yet
            return 0

    return offset


def create_topic(bootstrap: str, topic: str) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the answer came
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)


def fill_topic(bootstrap: str, topic: str, records: int) -> None:
    """``records`` values as JsonConverter with schemas writes the lines of the source job."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "enable.idempotence": True})
    for i in range(records):
        payload = {"schema": {"type": "string", "optional": False}, "payload": line(i)[:-1]}
        while True:
            try:
                producer.produce(topic, json.dumps(payload, separators=(",", ":")).encode())
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(60)


def run_source(kind: str, bootstrap: str, folder: Path, records: int) -> Measure:
    topic = f"bench-fs-source-{kind}-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic)
    source = folder / "in.txt"
    source.write_text("".join(line(i) for i in range(records)))
    name = f"local-file-source-{uuid.uuid4().hex[:8]}"
    config = {
        "name": name,
        "connector.class": CLASSES[kind][0],
        "tasks.max": "1",
        "file": str(source),
        "topic": topic,
    }
    offset = end_offset(bootstrap, topic)
    target = max(records - BATCH_SIZE, 1)
    worker = Worker(kind, folder, bootstrap, config)
    try:
        return measure(worker, name, offset, target)
    finally:
        worker.stop()


def run_sink(kind: str, bootstrap: str, folder: Path, records: int, topic: str) -> Measure:
    out = folder / "out.txt"
    # A name of its own: the sink's consumer group (connect-<name>) must start from the beginning.
    name = f"local-file-sink-{uuid.uuid4().hex[:8]}"
    config = {
        "name": name,
        "connector.class": CLASSES[kind][1],
        "tasks.max": "1",
        "file": str(out),
        "topics": topic,
    }
    worker = Worker(kind, folder, bootstrap, config)
    try:
        return measure(worker, name, lambda: out.stat().st_size // LINE_BYTES if out.exists() else 0, records)
    finally:
        worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--jobs", default="source,sink")
    parser.add_argument("--workers", default="java,native,python")
    bench_broker.add_arguments(parser)
    args = parser.parse_args()
    jobs, kinds = args.jobs.split(","), args.workers.split(",")
    with bench_broker.broker(args) as broker, tempfile.TemporaryDirectory() as tmp:
        load = os.getloadavg()[0]
        print(f"{args.records} lines of {LINE_BYTES} B on {broker.label}")
        machine = f"{platform.machine()}, {os.cpu_count()} cores"
        print(f"machine: {machine}, load {load:.1f}; Python {platform.python_version()}")
        sink_topic = ""
        if "sink" in jobs:
            sink_topic = f"bench-fs-sink-{uuid.uuid4().hex[:8]}"
            create_topic(broker.bootstrap_servers, sink_topic)
            fill_topic(broker.bootstrap_servers, sink_topic, args.records)
        for job in jobs:
            results: dict[str, Measure] = {}
            print(f"\n{job}: {'file -> topic' if job == 'source' else 'topic -> file'}")
            header = f"{'records/s':>10} {'copying':>9} {'CPU s':>7} {'µs CPU/rec':>10} "
            header += f"{'peak RSS':>9} {'start':>6}"
            print(f"  {'worker':<48} {header}")
            for kind in kinds:
                folder = Path(tmp) / f"{job}-{kind}"
                folder.mkdir()
                if job == "source":
                    m = run_source(kind, broker.bootstrap_servers, folder, args.records)
                else:
                    m = run_sink(kind, broker.bootstrap_servers, folder, args.records, sink_topic)
                results[kind] = m
                rate = args.records / m.seconds
                copying = args.records / m.moving_s if m.moving_s > 0 else float("inf")
                per_record = m.cpu_s / args.records * 1e6
                print(
                    f"  {LABELS[kind]:<48} {rate:>10,.0f} {copying:>9,.0f} {m.cpu_s:>7.2f} "
                    f"{per_record:>10.2f} "
                    f"{m.peak_rss_mib:>6.0f} MiB {m.startup_s:>5.1f}s",
                    flush=True,
                )
            java = results.get("java")
            for kind in (k for k in kinds if k != "java" and java is not None):
                ours = results[kind]
                assert java is not None
                print(
                    f"  {kind}/java: throughput {java.seconds / ours.seconds:.2f}x "
                    f"(copying {java.moving_s / max(ours.moving_s, 1e-3):.2f}x), "
                    f"CPU {ours.cpu_s / java.cpu_s:.2f}x, "
                    f"peak RSS {ours.peak_rss_mib / java.peak_rss_mib:.2f}x, "
                    f"start-up {ours.startup_s / java.startup_s:.2f}x"
                )


if __name__ == "__main__":
    main()
