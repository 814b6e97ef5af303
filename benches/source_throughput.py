"""Source throughput, side by side in one run on one broker (Apache Kafka 4.4.0 by default, see
bench_broker.py for ``--embedded`` and ``--bootstrap``).

Variants, each in its own child process so that CPU seconds and peak RSS are its own:
  a  a Python ``SourceTask`` returning batches of 1000 prebuilt 100-byte records, through the Worker
  af a Python ``SourceTask`` that builds 1000 fresh ``SourceRecord`` objects, each with a fresh
     offset dict, in every ``poll`` (what a real task does), through the Worker
  ab a Python ``SourceTask`` that builds a fresh ``SourceBatch`` in every ``poll``: a fresh list of
     1000 values and a fresh list of 1000 int offsets (stored as ``{"o": offset}``), through the
     Worker: af's records without a Python object per record
  b  the native Rust ``GeneratorSource`` (batches of 1000, 100-byte values) through the same Worker
  c  the ceiling: ferroconnect's producer sending the same bytes, nothing else per record
  d  a hand-written confluent-kafka ``produce`` loop with the same producer settings as a, b, c
  d0 the same loop with confluent-kafka's defaults, as a Python user would write it
  d1 the d loop with a delivery callback per record, the least a loop needs to know which
     records Kafka acknowledged (what a, b and c track to commit source offsets)
  a0, b0  a and b with metrics off (``ferroconnect.metrics.enabled=false``): ``a/a0`` and ``b/b0``
     are what metrics cost (target >= 0.97); ``--metrics on`` leaves these rows out
  j  the anchor: Java Kafka Connect 4.4 standalone (``scripts/java_connect.py``) running af's job in
     Java (``jvm/ByteSourceConnector.java``: 1000 fresh ``SourceRecord``s per ``poll``, each with a
     fresh offset map, one shared partition map, the same 100-byte value, ByteArrayConverter), with
     Java Connect's producer as a user gets it
  jb j with ``producer.batch.size=1000000``: the Java producer batching as librdkafka does for a-c
     (its ``batch.size`` default); Java's own 16 KiB batches, one request in flight, are what set j

a, b and c use ferroconnect's framework producer settings (Kafka Connect's acks=all,
max.in.flight.requests.per.connection=1, delivery.timeout.ms=MAX, plus enable.idempotence=true,
which librdkafka needs to keep order across retries) and librdkafka's batching
defaults (Kafka Connect sets none; see ``CONNECT_PRODUCER_DEFAULTS`` in producer.rs). Each timer
runs from creating the client (worker connector, producer) to the point where every record is
known to be acknowledged: for a and b, when the committed source offset of the last record shows
in the offsets file (flushed every 20 ms, so up to 20 ms late); for c and d, the producer's flush.
The Python task shares one partition dict for its records, as ``examples/file_stream.py`` does.

j and jb get the worker keys a and b get (ByteArrayConverter, ``offset.flush.interval.ms`` 20) over
Kafka's shipped standalone properties, and Kafka Connect's framework producer settings (acks=all,
max.in.flight.requests.per.connection=1, delivery.timeout.ms=MAX), which a-c mirror. What differs:
Connect's producer runs without idempotence (ours needs it to keep order across retries, see
producer.rs); the Java client batches by its own defaults (``batch.size`` 16 KiB, ``linger.ms`` 5,
``buffer.memory`` 32 MiB) where librdkafka's are 1 MB / 10,000 records (jb evens the batch size
out); plugins are found by ``plugin.discovery=service_load`` (start-up only, not timed). Their
timer, CPU and memory are read differently (``jvm_connectors.py``, ``jvm/Marks.java``): the task
times itself from its first ``poll`` to ``commitRecord`` of its last record (which Connect calls
from the producer's acknowledgement callback), so the worker's and the connector's start are not
in it (they are in a's and b's), and also prints its second half alone (the JIT's work is mostly
in the first); CPU s is the JVM's process CPU time over that same window (read by
the task with ``getProcessCpuTime``: every JVM thread, JIT and GC included, start-up excluded,
where a-d count their whole process); peak RSS is the JVM's ``VmHWM``, start-up included, with the
heap ``java_connect.py`` gives it (``-Xms256m -Xmx1g``). Compare the CPU per record where the
machine is loaded: it is the figure load moves least.

Usage: ``python benches/source_throughput.py [--records N] [--repeat N] [--metrics both|on]
[--variants a,ab,...] [--bootstrap HOST:PORT | --embedded]``
(CI smoke-runs it with a small N on the test session's broker, j and jb included).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_broker
from interleaved import median, spread

# `jvm_connectors` is imported where the Java rows run, not here: its imports (urllib, http.client,
# email) are 9 MiB of RSS that every child process, whose peak RSS is a result, would count.

RECORD = b"x" * 100
BATCH = 1000
FLUSH_MS = 20
CONNECT_PRODUCER = {
    "acks": "all",
    "enable.idempotence": "true",
    "max.in.flight.requests.per.connection": "1",
    "delivery.timeout.ms": "2147483647",
}
BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"
VARIANTS = {
    "a": "a Python SourceTask (Worker)",
    "af": "af Python task, fresh records",
    "ab": "ab Python task, fresh SourceBatch",
    "b": "b Rust GeneratorSource (Worker)",
    "c": "c Rust producer (ceiling)",
    "d": "d confluent-kafka loop, a-c settings",
    "d0": "d0 confluent-kafka loop, defaults",
    "d1": "d1 confluent-kafka loop + on_delivery",
    "a0": "a0 = a, metrics off",
    "b0": "b0 = b, metrics off",
    "j": "j Java Kafka Connect 4.4 (af's job)",
    "jb": "jb = j, producer batch.size 1 MB",
}
#: The worker key that turns metrics off, for a0 and b0.
METRICS_OFF = {"ferroconnect.metrics.enabled": "false"}
SETTINGS = {
    "a": "Kafka Connect producer defaults (as c)",
    "af": "as a",
    "ab": "as a",
    "b": "Kafka Connect producer defaults (as c)",
    "c": ", ".join(f"{k}={v}" for k, v in CONNECT_PRODUCER.items()) + "; librdkafka batching defaults",
    "d": "same keys as c, set on confluent-kafka",
    "d0": "confluent-kafka/librdkafka defaults (in-flight 1000000, linger.ms 5)",
    "d1": "as d",
    "a0": "as a",
    "b0": "as b",
    "j": "Java Connect's (acks=all, max.in.flight 1, delivery.timeout.ms MAX), Java client batching",
    "jb": "as j, batch.size=1000000",
}
#: Worker keys of j and jb over Kafka's standalone properties: a's and b's, see the docstring.
JAVA_WORKER = {
    "key.converter": BYTES,
    "value.converter": BYTES,
    "offset.flush.interval.ms": str(FLUSH_MS),
}
JAVA_PRODUCER = {"j": {}, "jb": {"producer.batch.size": "1000000"}}


def wait_for_offset(path: Path, field: str, last: int) -> None:
    """Waits until some partition's offset in the worker's offsets file has ``field == last``.

    The file is read only when it changed (it is replaced on each flush), to keep this process's
    share of the two cores small."""
    seen = None
    while True:
        try:
            changed = path.stat().st_mtime_ns
        except FileNotFoundError:
            changed = None
        if changed is not None and changed != seen:
            seen = changed
            try:
                entries = json.loads(path.read_text())
            except (FileNotFoundError, json.JSONDecodeError):
                entries = {}
                seen = None
            if any(isinstance(v, dict) and v.get(field) == last for v in entries.values()):
                return
        time.sleep(0.005)


def run_worker(bootstrap: str, config: dict[str, Any], field: str, last: int, metrics: bool) -> float:
    import ferroconnect as fc

    with tempfile.TemporaryDirectory() as tmp:
        offsets = Path(tmp) / "offsets.json"
        with fc.Worker(
            bootstrap,
            offset_flush_interval_ms=FLUSH_MS,
            offset_storage_file_filename=str(offsets),
            key_converter=BYTES,
            value_converter=BYTES,
            **({} if metrics else METRICS_OFF),
        ) as worker:
            started = time.perf_counter()
            worker.create_connector("bench", config)
            wait_for_offset(offsets, field, last)
            return time.perf_counter() - started


def run_a(bootstrap: str, n: int, metrics: bool = True) -> float:
    import ferroconnect as fc

    class BenchTask(fc.SourceTask):
        def start(self, config: dict[str, str]) -> None:
            self.sent = 0
            partition = {"p": 0}
            self.batch = self.records(partition, 0)
            # The last batch ends with offset n - 1, which the timer waits for.
            self.last = self.records(partition, n - BATCH)

        def records(self, partition: dict[str, int], first: int) -> list[fc.SourceRecord]:
            offsets = range(first, first + BATCH)
            return [fc.SourceRecord(partition, {"o": o}, "bench-a", value=RECORD) for o in offsets]

        def poll(self) -> list[fc.SourceRecord] | None:
            if self.sent >= n:
                time.sleep(0.01)
                return None
            self.sent += BATCH
            return self.last if self.sent >= n else self.batch

    class BenchSource(fc.SourceConnector):
        def task_class(self) -> type[fc.SourceTask]:
            return BenchTask

        def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
            return [{}]

    return run_worker(bootstrap, {"connector.class": BenchSource}, "o", n - 1, metrics)


def run_af(bootstrap: str, n: int) -> float:
    import ferroconnect as fc

    class FreshTask(fc.SourceTask):
        def start(self, config: dict[str, str]) -> None:
            self.sent = 0
            self.partition = {"p": 0}

        def poll(self) -> list[fc.SourceRecord] | None:
            if self.sent >= n:
                time.sleep(0.01)
                return None
            first, self.sent = self.sent, self.sent + BATCH
            partition, offsets = self.partition, range(first, self.sent)
            return [fc.SourceRecord(partition, {"o": o}, "bench-af", value=RECORD) for o in offsets]

    class FreshSource(fc.SourceConnector):
        def task_class(self) -> type[fc.SourceTask]:
            return FreshTask

        def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
            return [{}]

    return run_worker(bootstrap, {"connector.class": FreshSource}, "o", n - 1, True)


def run_ab(bootstrap: str, n: int) -> float:
    import ferroconnect as fc

    class BatchTask(fc.SourceTask):
        def start(self, config: dict[str, str]) -> None:
            self.sent = 0
            self.partition = {"p": 0}

        def poll(self) -> fc.SourceBatch | None:
            if self.sent >= n:
                time.sleep(0.01)
                return None
            first, self.sent = self.sent, self.sent + BATCH
            values = [RECORD for _ in range(BATCH)]
            offsets = list(range(first, self.sent))
            return fc.SourceBatch(self.partition, "bench-ab", values, offsets, offset_key="o")

    class BatchSource(fc.SourceConnector):
        def task_class(self) -> type[fc.SourceTask]:
            return BatchTask

        def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
            return [{}]

    return run_worker(bootstrap, {"connector.class": BatchSource}, "o", n - 1, True)


def run_b(bootstrap: str, n: int, metrics: bool = True) -> float:
    config = {
        "connector.class": "GeneratorSource",
        "topic": "bench-b",
        "message.size": len(RECORD),
        "max.messages": n,
        "batch.size": BATCH,
    }
    return run_worker(bootstrap, config, "seqno", n - 1, metrics)


def run_c(bootstrap: str, n: int) -> float:
    from ferroconnect import _core

    return _core.produce_copies(bootstrap, "bench-c", RECORD, n, dict(CONNECT_PRODUCER))


def confluent_loop(
    bootstrap: str, n: int, topic: str, settings: dict[str, str], track: bool = False
) -> float:
    from confluent_kafka import KafkaError, Message, Producer

    acked = 0

    def on_delivery(error: KafkaError | None, message: Message) -> None:
        nonlocal acked
        if error is None:
            acked += 1

    started = time.perf_counter()
    producer = Producer({"bootstrap.servers": bootstrap, **settings})
    for _ in range(n):
        while True:
            try:
                if track:
                    producer.produce(topic, RECORD, on_delivery=on_delivery)
                else:
                    producer.produce(topic, RECORD)
                break
            except BufferError:
                producer.poll(0.001)
        producer.poll(0)
    if producer.flush(600) != 0 or (track and acked != n):
        raise RuntimeError("records left unacknowledged")
    return time.perf_counter() - started


def run_d(bootstrap: str, n: int) -> float:
    return confluent_loop(bootstrap, n, "bench-d", dict(CONNECT_PRODUCER))


def run_d0(bootstrap: str, n: int) -> float:
    return confluent_loop(bootstrap, n, "bench-d0", {})


def run_d1(bootstrap: str, n: int) -> float:
    return confluent_loop(bootstrap, n, "bench-d1", dict(CONNECT_PRODUCER), track=True)


def child(variant: str, bootstrap: str, n: int) -> None:
    if variant in ("a0", "b0"):
        run = run_a if variant == "a0" else run_b
        print(json.dumps({"seconds": run(bootstrap, n, False)}))
        return
    runs = {
        "a": run_a,
        "af": run_af,
        "ab": run_ab,
        "b": run_b,
        "c": run_c,
        "d": run_d,
        "d0": run_d0,
        "d1": run_d1,
    }
    print(json.dumps({"seconds": runs[variant](bootstrap, n)}))


def cpu_seconds(pid: int | None) -> float:
    """utime + stime of a process (the broker's), from /proc; 0 where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def measure_java(variant: str, bootstrap: str, n: int, broker_pid: int | None) -> dict[str, Any]:
    """j or jb: Java Connect runs in a process of its own, its task times itself (see the docstring)."""
    import jvm_connectors

    broker_before = cpu_seconds(broker_pid)
    connector = {"connector.class": "ByteSourceConnector", "topic": f"bench-{variant}"}
    worker = {**JAVA_WORKER, **JAVA_PRODUCER[variant]}
    marks = jvm_connectors.run_standalone(bootstrap, worker, connector, n)
    if marks["records"] != n:
        raise RuntimeError(f"variant {variant} acknowledged {marks['records']} records, not {n}")
    return {
        "records_per_s": n / marks["seconds"],
        "cpu_s": marks["cpu_s"],
        "peak_rss_mib": marks["peak_rss_mib"],
        "broker_cpu_s": cpu_seconds(broker_pid) - broker_before,
        "second_half": jvm_connectors.second_half(marks),
    }


def measure(variant: str, bootstrap: str, n: int, broker_pid: int | None) -> dict[str, Any]:
    if variant in JAVA_PRODUCER:
        return measure_java(variant, bootstrap, n, broker_pid)
    command = [sys.executable, __file__, "--child", variant, "--bootstrap", bootstrap, "--records", str(n)]
    broker_before = cpu_seconds(broker_pid)
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
        "broker_cpu_s": cpu_seconds(broker_pid) - broker_before,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument(
        "--repeat", type=int, default=1, help="median of this many interleaved runs per variant"
    )
    parser.add_argument("--child")
    parser.add_argument("--metrics", choices=["both", "on"], default="both")
    parser.add_argument(
        "--variants",
        help="comma-separated variants to run (default: all); ratios are printed for those run",
    )
    bench_broker.add_arguments(parser)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.bootstrap, args.records)
        return
    n = max(BATCH, args.records // BATCH * BATCH)
    probe = bench_broker.speed_probe()
    with bench_broker.broker(args) as broker:
        print(f"# source throughput: {n} records of {len(RECORD)} B, {broker.label}")
        machine = f"{platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}"
        print(f"# machine: {machine}, python {platform.python_version()}")
        for v, settings in SETTINGS.items():
            print(f"# {v:<2} producer: {settings}")
        variants = [v for v in VARIANTS if args.metrics == "both" or v not in ("a0", "b0")]
        if args.variants:
            chosen = args.variants.split(",")
            unknown = set(chosen) - set(VARIANTS)
            if unknown:
                parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
            variants = [v for v in variants if v in chosen]
        # Untimed: the first variants measured on a fresh broker paid its warm-up (the JVM compiling
        # the produce path): af measured first took 1.6-2.2 broker CPU seconds, 0.7-1.2 after c.
        warmed = bench_broker.warm_up(
            lambda: measure("c", broker.bootstrap_servers, n, broker.pid)["records_per_s"]
        )
        print(f"# {bench_broker.describe_warm_up(warmed)} of c")
        # Interleaved, so that a variant is not always the one measured first after the warm-up.
        runs: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
        for _ in range(max(1, args.repeat)):
            for v in variants:
                runs[v].append(measure(v, broker.bootstrap_servers, n, broker.pid))
    results = {v: median(rs) for v, rs in runs.items()}
    print(f"# {bench_broker.describe_speed(probe, bench_broker.speed_probe())}")
    if args.repeat > 1:
        print(f"# median of {args.repeat} interleaved runs per variant")
    header = f"{'variant':<38}{'records/s':>12}{'CPU s':>8}{'CPU µs/rec':>11}{'peak RSS MiB':>14}"
    print(f"{header}{'broker CPU s':>14}")
    for v, r in results.items():
        print(
            f"{VARIANTS[v]:<38}{r['records_per_s']:>12,.0f}{r['cpu_s']:>8.2f}{r['cpu_s'] / n * 1e6:>11.2f}"
            f"{r['peak_rss_mib']:>14.1f}{r['broker_cpu_s']:>14.2f}{spread(runs[v])}"
        )
    if any(v in JAVA_PRODUCER for v in results):
        print("# j, jb: CPU over the timed window only (JVM start-up excluded); peak RSS with start-up")
        for v in (v for v in JAVA_PRODUCER if v in results):
            print(f"# {v} second half of the records alone (JIT-compiled): {results[v]['second_half']}")
    for line in ratios(results):
        print(line)


#: The ratios printed, each with its target: (numerator, denominator, note).
RATIOS = [
    ("a", "c", "(target >= 0.5)"),
    ("b", "c", "(target >= 0.9)"),
    ("a", "d", "(target >= 2)"),
    ("a", "d0", ""),
    ("a", "d1", ""),
    ("af", "d0", "(issue 18 target >= 0.85)"),
    ("af", "a", "(building records' share)"),
    ("ab", "d0", "(issue 18 target >= 0.85)"),
    ("ab", "af", "(SourceBatch against SourceRecords)"),
    ("a", "a0", "(metrics on/off, target >= 0.97)"),
    ("b", "b0", "(metrics on/off, target >= 0.97)"),
    *((ours, java, "") for java in JAVA_PRODUCER for ours in ("a", "af", "ab", "b")),
]


def ratios(results: dict[str, dict[str, Any]]) -> list[str]:
    """The ratios of RATIOS whose two variants ran; against Java, the CPU per record's too."""
    lines = []
    for top, bottom, note in RATIOS:
        if top in results and bottom in results:
            rate = results[top]["records_per_s"] / results[bottom]["records_per_s"]
            if bottom in JAVA_PRODUCER:
                cpu = results[top]["cpu_s"] / results[bottom]["cpu_s"]
                note = f"(against Java Connect; CPU per record {cpu:.2f}x Java's)"
            lines.append(f"{top}/{bottom} = {rate:.2f} {note}".rstrip())
    return lines


if __name__ == "__main__":
    main()
