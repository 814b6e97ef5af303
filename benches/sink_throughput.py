"""Sink throughput, side by side in one run on one broker (Apache Kafka 4.4.0 by default: the embedded
mock cluster keeps only ~5 MiB per partition, too little for 1M records).

The topic is pre-filled with N records of 100 B (one partition). Variants, each in its own child
process so CPU seconds and peak RSS are its own; each consumes in a consumer group of its own and
is timed from its first record to its last (group joins are not counted):
  a  a Python ``SinkTask`` with a no-op ``put``, through the Worker (ByteArrayConverter)
  b  the built-in native Rust sink (``CountingSinkConnector``) through the same Worker and runtime
  c  the ceiling: a raw librdkafka consumer (Rust) that touches every record's bytes, one ``poll``
     per record (rust-rdkafka's API)
  c2 the same ceiling taking 500 records per librdkafka call from a fetch-only queue, as the sink
     fetcher reads since the batch consume (``rust/librdkafka-ext``)
  d  what a Python user would write instead: a confluent-kafka ``consume(num_messages=500)`` loop
  a0, b0  a and b with metrics off (``ferroconnect.metrics.enabled=false``): ``a/a0`` and ``b/b0``
     are what metrics cost (target >= 0.97); ``--metrics on`` leaves these rows out
  j  the anchor: Java Kafka Connect 4.4 standalone (``scripts/java_connect.py``) with a's task in
     Java (``jvm/NoopSinkConnector.java``: ``put`` counts the records; ByteArrayConverter)
``1/a - 1/b`` is what the Python side costs per record (the batch of ``SinkRecord`` objects and
the ``put`` call); ``1/b - 1/c`` what the runtime adds to librdkafka (fetcher thread, conversion,
offsets).

j gets a's worker keys (ByteArrayConverter, Kafka's default ``offset.flush.interval.ms`` of 60 s,
which a and b run with) over Kafka's shipped standalone properties, and the Java consumer's defaults
as Connect gives them (``max.poll.records`` 500, ``fetch.max.bytes`` 50 MiB), where a and b run with
the Worker's librdkafka consumer defaults (see ``CONSUMER``); plugins are found by
``plugin.discovery=service_load`` (start-up only). Its task times itself from its first record to
its last (``jvm_connectors.py``, ``jvm/Marks.java``), as a's does, and also prints its second half
alone (the JIT's work is mostly in the first); its CPU s is the JVM's process
CPU time over that window only (every JVM thread, JIT and GC included, start-up excluded, where a-d
count their whole process, interpreter start included) and its peak RSS the JVM's ``VmHWM``,
start-up included, with the heap ``java_connect.py`` gives it (``-Xms256m -Xmx1g``).

Usage: ``python benches/sink_throughput.py [--records N] [--repeat R] [--metrics both|on]
[--bootstrap HOST:PORT]``
(CI smoke-runs it, j included, with a small N on the test session's broker; without --bootstrap it
starts Apache Kafka with scripts/kafka_broker.py, see bench_broker.py). With ``--repeat R`` the variants run R
times, interleaved, and the medians are printed.
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
import uuid
from typing import Any

import bench_broker
from interleaved import median, spread

# `jvm_connectors` is imported where the Java rows run, not here: its imports (urllib, http.client,
# email) are 9 MiB of RSS that every child process, whose peak RSS is a result, would count.

RECORD = b"x" * 100
# The runtime's own consumer defaults (kafka/consumer.rs: librdkafka's prefetch queue bounded, a
# 10 ms fetch.queue.backoff.ms instead of librdkafka's 1 s, which idles a consumer that empties its
# queue quickly) are given to the consumers of c and d too, so every variant fetches alike; a and b
# run with the Worker's defaults, as a user gets them.
CONSUMER = {
    "fetch.queue.backoff.ms": "10",
    "queued.max.messages.kbytes": "8192",
    "queued.min.messages": "40000",
}
BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"
#: The worker key that turns metrics off, for a0 and b0.
METRICS_OFF = {"ferroconnect.metrics.enabled": "false"}
#: j's worker keys over Kafka's standalone properties: a's and b's, see the docstring.
JAVA_WORKER = {"key.converter": BYTES, "value.converter": BYTES, "offset.flush.interval.ms": "60000"}


def run_a(bootstrap: str, topic: str, n: int, metrics: bool = True) -> float:
    import ferroconnect as fc

    done = threading.Event()
    times: list[float] = []

    class BenchTask(fc.SinkTask):
        def start(self, config: dict[str, str]) -> None:
            self.seen = 0

        def put(self, records: list[fc.SinkRecord]) -> None:
            if records and not times:
                times.append(time.perf_counter())
            self.seen += len(records)
            if self.seen >= n and not done.is_set():
                times.append(time.perf_counter())
                done.set()

    class BenchSink(fc.SinkConnector):
        def task_class(self) -> type[fc.SinkTask]:
            return BenchTask

        def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
            return [{}]

    settings = {} if metrics else METRICS_OFF
    with fc.Worker(bootstrap, key_converter=BYTES, value_converter=BYTES, **settings) as worker:
        name = f"bench-a-{uuid.uuid4().hex[:8]}"
        worker.create_connector(name, {"connector.class": BenchSink, "topics": topic})
        if not done.wait(600):
            raise TimeoutError("variant a did not see every record")
    return times[1] - times[0]


def run_b(bootstrap: str, topic: str, n: int, metrics: bool = True) -> float:
    import ferroconnect as fc
    from ferroconnect import _core

    settings = {} if metrics else METRICS_OFF
    with fc.Worker(bootstrap, key_converter=BYTES, value_converter=BYTES, **settings) as worker:
        name = f"bench-b-{uuid.uuid4().hex[:8]}"
        worker.create_connector(name, {"connector.class": "CountingSinkConnector", "topics": topic})
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            counted = _core.counting_sink_stats(name)
            if counted is not None and counted[0] >= n:
                return counted[2]
            time.sleep(0.05)
    raise TimeoutError("variant b did not see every record")


def run_c(bootstrap: str, topic: str, n: int) -> float:
    from ferroconnect import _core

    group = f"bench-c-{uuid.uuid4().hex[:8]}"
    return _core.consume_count(bootstrap, topic, n, 600.0, {"group.id": group, **CONSUMER})


def run_c2(bootstrap: str, topic: str, n: int) -> float:
    from ferroconnect import _core

    group = f"bench-c2-{uuid.uuid4().hex[:8]}"
    return _core.consume_count(bootstrap, topic, n, 600.0, {"group.id": group, **CONSUMER}, batched=True)


def run_d(bootstrap: str, topic: str, n: int) -> float:
    from confluent_kafka import Consumer

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-d-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            **CONSUMER,
        }
    )
    consumer.subscribe([topic])
    seen, first = 0, 0.0
    deadline = time.monotonic() + 600
    while seen < n and time.monotonic() < deadline:
        batch = consumer.consume(num_messages=500, timeout=1.0)
        if batch and not first:
            first = time.perf_counter()
        seen += sum(1 for m in batch if m.error() is None and m.value() is not None)
    consumer.close()
    if seen < n:
        raise TimeoutError("variant d did not see every record")
    return time.perf_counter() - first


def child(variant: str, bootstrap: str, topic: str, n: int) -> None:
    if variant == "prefill":
        prefill(bootstrap, topic, n)
        print(json.dumps({"seconds": 1.0}))
        return
    if variant in ("a0", "b0"):
        seconds = (run_a if variant == "a0" else run_b)(bootstrap, topic, n, False)
    else:
        seconds = {"a": run_a, "b": run_b, "c": run_c, "c2": run_c2, "d": run_d}[variant](bootstrap, topic, n)
    print(json.dumps({"seconds": seconds}))


def measure_java(bootstrap: str, topic: str, n: int) -> dict[str, Any]:
    """j: Java Connect runs in a process of its own, its task times itself (see the docstring)."""
    import jvm_connectors

    connector = {"connector.class": "NoopSinkConnector", "topics": topic}
    marks = jvm_connectors.run_standalone(bootstrap, JAVA_WORKER, connector, n)
    return {
        "records_per_s": n / marks["seconds"],
        "cpu_s": marks["cpu_s"],
        "peak_rss_mib": marks["peak_rss_mib"],
        "second_half_records": marks["second_half_records"],
        "second_half_seconds": marks["second_half_seconds"],
        "second_half_cpu_s": marks["second_half_cpu_s"],
    }


def measure(variant: str, bootstrap: str, topic: str, n: int) -> dict[str, Any]:
    if variant == "j":
        return measure_java(bootstrap, topic, n)
    command = [
        sys.executable,
        __file__,
        "--child",
        variant,
        "--bootstrap",
        bootstrap,
        "--topic",
        topic,
        "--records",
        str(n),
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    # wait4 gives this child's own CPU time and peak RSS.
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"variant {variant} failed")
    seconds = json.loads(out.strip().splitlines()[-1])["seconds"]
    return {
        "records_per_s": n / seconds,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mib": usage.ru_maxrss / 1024,
    }


def prefill(bootstrap: str, topic: str, n: int) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic
    from ferroconnect import _core

    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the result arrives
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    chunk = 100_000
    for start in range(0, n, chunk):
        records = [(None, RECORD)] * min(chunk, n - start)
        _core.produce(bootstrap, topic, records, {"linger.ms": "20", "batch.size": "1000000"}, None, 600.0)


VARIANTS = {
    "a": "a Python SinkTask (Worker)",
    "b": "b native Rust sink (Worker)",
    "c": "c raw librdkafka consumer",
    "c2": "c2 = c, 500 per librdkafka call",
    "d": "d confluent-kafka loop",
    "a0": "a0 = a, metrics off",
    "b0": "b0 = b, metrics off",
    "j": "j Java Kafka Connect 4.4 (a's job)",
}


def run(bootstrap: str, n: int, broker: str, repeat: int, metrics: str, only: list[str] | None) -> None:
    import jvm_connectors

    topic = f"bench-sink-{uuid.uuid4().hex[:8]}"
    probe = bench_broker.speed_probe()
    started = time.monotonic()
    # In a child too: Linux keeps a parent's peak RSS in its children's ru_maxrss across exec.
    measure("prefill", bootstrap, topic, n)
    print(f"# sink throughput: {n} records of {len(RECORD)} B, one partition, {broker}")
    print(
        f"# machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}; "
        f"pre-filled in {time.monotonic() - started:.1f}s; "
        f"{'median of ' + str(repeat) + ' interleaved runs' if repeat > 1 else 'one run'} per variant"
    )
    variants = [v for v in VARIANTS if metrics == "both" or v not in ("a0", "b0")]
    if only:
        variants = [v for v in variants if v in only]
    # Untimed: the first variants measured on a fresh broker paid its warm-up (the JVM compiling
    # the fetch path).
    warmed = bench_broker.warm_up(lambda: measure("c", bootstrap, topic, n)["records_per_s"])
    print(f"# {bench_broker.describe_warm_up(warmed)} of c")
    runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    for _ in range(repeat):
        for v in variants:
            runs[v].append(measure(v, bootstrap, topic, n))
    results = {v: median(rs) for v, rs in runs.items()}
    print(f"# {bench_broker.describe_speed(probe, bench_broker.speed_probe())}")
    print(f"{'variant':<34}{'records/s':>12}{'CPU s':>8}{'peak RSS MiB':>14}")
    for v, r in results.items():
        print(
            f"{VARIANTS[v]:<34}{r['records_per_s']:>12,.0f}{r['cpu_s']:>8.2f}{r['peak_rss_mib']:>14.1f}"
            f"{spread(runs[v])}"
        )
    if "j" in results:
        print("# j: CPU over the timed window only (JVM start-up excluded); peak RSS with start-up")
        java = results["j"]
        print(f"# j second half of the records alone (JIT-compiled): {jvm_connectors.second_half(java)}")
        for v in (v for v in ("a", "b") if v in results):
            print(
                f"{v}/j = {results[v]['records_per_s'] / java['records_per_s']:.2f} (against Java Connect; "
                f"CPU per record {results[v]['cpu_s'] / java['cpu_s']:.2f}x Java's)"
            )
    if not all(v in results for v in "abcd"):
        return
    a, b, c, d = (results[v]["records_per_s"] for v in "abcd")
    # CPU per record of a variant over d's (all consume the same n records).
    cpu = {v: results[v]["cpu_s"] / results["d"]["cpu_s"] for v in "ab"}
    print(
        f"a/c = {a / c:.2f} (target >= 0.5)   b/c = {b / c:.2f} (target >= 0.9)   "
        f"b/d = {b / d:.2f} (target >= 1.2) at {cpu['b']:.2f}x d's CPU (target <= 0.8)   "
        f"a/d = {a / d:.2f} (target >= 1.0) at {cpu['a']:.2f}x d's CPU (target <= 1.1)"
    )
    if "c2" in results:
        print(f"b/c2 = {b / results['c2']['records_per_s']:.2f}")
    print(
        f"per record: Python side (1/a - 1/b) {1e9 * (1 / a - 1 / b):.0f} ns, "
        f"runtime over librdkafka (1/b - 1/c) {1e9 * (1 / b - 1 / c):.0f} ns"
    )
    if "a0" in results:
        a0, b0 = results["a0"]["records_per_s"], results["b0"]["records_per_s"]
        print(f"metrics on/off: a/a0 = {a / a0:.3f}   b/b0 = {b / b0:.3f} (target >= 0.97)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    bench_broker.add_arguments(parser)
    parser.add_argument("--child")
    parser.add_argument("--topic")
    parser.add_argument("--metrics", choices=["both", "on"], default="both")
    parser.add_argument("--variants", help="a comma-separated subset of the variants, e.g. a,b,c,d")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.bootstrap, args.topic, args.records)
        return
    with bench_broker.broker(args) as broker:
        only = args.variants.split(",") if args.variants else None
        run(broker.bootstrap_servers, args.records, broker.label, args.repeat, args.metrics, only)


if __name__ == "__main__":
    main()
