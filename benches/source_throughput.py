"""Source throughput, side by side in one run on one broker (the embedded mock cluster).

Variants, each in its own child process so CPU seconds and peak RSS are its own:
  a  a Python ``SourceTask`` returning batches of 1000 prebuilt 100-byte records, through the Worker
  c  the ceiling: ferroconnect's Rust producer (librdkafka) sending the same bytes, no connector
  d  what a Python user would write instead: a confluent-kafka ``produce`` loop
All use Kafka Connect's producer defaults (acks=all, max.in.flight=1, no idempotence).
Not yet measured: b, a native Rust source through the same runtime (no native connector exists yet).

Usage: ``python benches/source_throughput.py [--records N]`` (CI smoke-runs it with a small N).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from typing import Any

RECORD = b"x" * 100
BATCH = 1000
CONNECT_PRODUCER = {
    "acks": "all",
    "enable.idempotence": "false",
    "max.in.flight.requests.per.connection": "1",
}


def run_a(bootstrap: str, n: int) -> float:
    import ferroconnect as fc

    done = threading.Event()

    class BenchTask(fc.SourceTask):
        def start(self, config: dict[str, str]) -> None:
            self.sent = 0
            partition = {"p": 0}  # one object per source partition, as in examples/file_stream.py
            self.batch = [fc.SourceRecord(partition, {"o": i}, "bench-a", value=RECORD) for i in range(BATCH)]

        def poll(self) -> list[fc.SourceRecord] | None:
            if self.sent >= n:
                done.wait(0.01)
                return None
            self.sent += BATCH
            return self.batch

        def commit(self) -> None:
            if self.sent >= n:
                done.set()

    class BenchSource(fc.SourceConnector):
        def task_class(self) -> type[fc.SourceTask]:
            return BenchTask

        def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
            return [{}]

    converter = "org.apache.kafka.connect.converters.ByteArrayConverter"
    with fc.Worker(
        bootstrap, offset_flush_interval_ms=50, key_converter=converter, value_converter=converter
    ) as worker:
        started = time.perf_counter()
        worker.create_connector("bench", {"connector.class": BenchSource})
        # Done when the offsets of the last batch were committed: every record was acknowledged.
        while not done.wait(0.01):
            pass
        return time.perf_counter() - started


def run_c(bootstrap: str, n: int) -> float:
    from ferroconnect import _core

    records = [(None, RECORD)] * n
    started = time.perf_counter()
    _core.produce(bootstrap, "bench-c", records, dict(CONNECT_PRODUCER), None, 600.0)
    return time.perf_counter() - started


def run_d(bootstrap: str, n: int) -> float:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, **CONNECT_PRODUCER})
    started = time.perf_counter()
    for _ in range(n):
        while True:
            try:
                producer.produce("bench-d", RECORD)
                break
            except BufferError:
                producer.poll(0.001)
        producer.poll(0)
    producer.flush()
    return time.perf_counter() - started


def child(variant: str, bootstrap: str, n: int) -> None:
    seconds = {"a": run_a, "c": run_c, "d": run_d}[variant](bootstrap, n)
    print(json.dumps({"seconds": seconds}))


def measure(variant: str, bootstrap: str, n: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", variant, "--bootstrap", bootstrap, "--records", str(n)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    # wait4 gives this child's own CPU time and peak RSS.
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"variant {variant} failed with exit code {proc.returncode}")
    seconds = json.loads(out.strip().splitlines()[-1])["seconds"]
    return {
        "records_per_s": n / seconds,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--child")
    parser.add_argument("--bootstrap")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.bootstrap, args.records)
        return
    import ferroconnect as fc

    n = max(BATCH, args.records // BATCH * BATCH)
    print(f"# source throughput: {n} records of {len(RECORD)} B, embedded mock cluster")
    machine = f"{platform.machine()}, {platform.processor() or '?'}"
    print(f"# machine: {machine}, python {platform.python_version()}")
    with fc.EmbeddedKafka() as kafka:
        results = {v: measure(v, kafka.bootstrap_servers, n) for v in ("a", "c", "d")}
    print(f"{'variant':<34}{'records/s':>12}{'CPU s':>8}{'peak RSS MiB':>14}")
    names = {
        "a": "a Python SourceTask (Worker)",
        "c": "c Rust producer (ceiling)",
        "d": "d confluent-kafka loop",
    }
    for v, r in results.items():
        print(f"{names[v]:<34}{r['records_per_s']:>12,.0f}{r['cpu_s']:>8.2f}{r['peak_rss_mib']:>14.1f}")
    a, c, d = (results[v]["records_per_s"] for v in "acd")
    print(f"a/c = {a / c:.2f} (target >= 0.5)   a/d = {a / d:.2f} (target >= 2)   b: not measured yet")


if __name__ == "__main__":
    main()
