"""Structs through the Python API, both ways, on Apache Kafka 4.4.0 (the embedded mock cluster
keeps only ~5 MiB per partition): a ``SourceTask`` returning batches of 1000 ``SourceRecord`` with
10-field Structs (JsonConverter, schemas enabled), and a ``SinkTask`` receiving them as
``SinkRecord``. The Rust-only cost of the same conversion is in the criterion benchmark
(``cargo bench -p ferroconnect-core --bench convert``); instruction counts per record, which a
loaded machine does not change, are in ``struct_instructions.py``.

Each variant runs alone in a child process of its own (so its CPU seconds and peak RSS are its
own; the broker's are not counted), one after the other, so the source and the sink never
compete for the CPU. Source variants:

- ``put``: each Struct built in ``poll`` with ten chained ``put`` calls (what a connector writes);
- ``values``: each Struct built in ``poll`` in one call, ``Struct(schema, {...})``;
- ``tuple``: the same from a tuple of the values in field order, ``Struct(schema, (...))``;
- ``batch``: Structs built as by ``tuple``, returned column-wise in a ``SourceBatch`` (int offsets);
- ``rows``: the same ``SourceBatch`` with each value a plain tuple of the field values, no
  ``Struct`` (the value schema says how to convert it);
- ``dict_rows``: a ``SourceRecord`` per row whose value is a plain dict of field names to values;
- ``prebuilt``: the same 1000 records returned by every ``poll`` (the conversion alone);
- ``rows_lz4``: ``rows`` with ``producer.compression.type=lz4`` (Kafka Connect's default is none);
- ``ceiling``: what bounds them all on this broker: one row's JSON (924 bytes, of which the schema
  envelope is ~700) sent ``N`` times by ferroconnect's producer with the worker's producer settings
  and nothing else per record (``source_throughput.py``'s c with these bytes). With one partition
  and one request in flight, a request of ~1 MB per round trip, the broker's byte rate sets it;
  each variant's ratio to it is printed (``rows/ceiling``).

Sink variants read what ``prebuilt`` wrote: ``get`` reads one field of each value
(``record.value.get("id")``), ``to_dict`` reads all ten (``record.value.to_dict()``).

The anchor, Java Kafka Connect 4.4 standalone (``scripts/java_connect.py``) doing the same in Java
(``jvm/StructSourceConnector.java``, ``jvm/StructSinkConnector.java``, run by
``jvm_connectors.py``), each in a JVM of its own after ours: ``j_put`` builds each Struct with ten
``put`` calls in ``poll`` (the counterpart of ``put`` and ``values``), ``j_prebuilt`` returns the
same 1000 records every ``poll``, ``j_get`` reads ``value.get("id")`` of what ``prebuilt`` wrote.
Same schema, values, partition and offset maps, JsonConverter with schemas for keys and values,
``offset.flush.interval.ms`` 50 (over Kafka's shipped standalone properties). What differs: the
Java producer gets ``producer.batch.size=1000000``, librdkafka's default that ours runs with
(with Java's 16 KiB, 17 of these records per request and one request in flight, the round trips
would set the rate, not the Struct work; ``source_throughput.py``'s j and jb show the default's
cost); Connect's producer runs without idempotence (ours with, see producer.rs); plugins are found
by ``plugin.discovery=service_load`` (start-up only). The Java task times itself
(``jvm/Marks.java``) from its first ``poll`` to ``commitRecord`` of its last record (the producer's
acknowledgement; ours stop at the first ``commit`` after the last ``poll``, up to 50 ms later),
and from its first record to its last for the sink, as ours; its CPU is the JVM's process CPU time
over the same window (``getProcessCpuTime``, every thread: JIT and GC included), as ours is the
Python process's; peak RSS is the JVM's ``VmHWM`` (start-up included, heap ``-Xms256m -Xmx1g``).
The Java task's second half alone is printed too: the JIT's work is mostly in the first.

Usage: ``python benches/struct_records.py [--records N] [--java on|off] [--variants V,...]
[--bootstrap HOST:PORT | --embedded]``; ``--variants`` runs only the source variants named, in
that order (e.g. ``batch,rows``), and no sink or Java row. CI smoke-runs it, Java included, with a
small N on the test session's broker (see bench_broker.py).
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable

import bench_broker
import ferroconnect as fc

# `jvm_connectors` is imported where the Java rows run, not here: its imports (urllib, http.client,
# email) are 9 MiB of RSS that every child process, whose peak RSS is a result, would count.

BATCH = 1000
SCHEMA = (
    fc.SchemaBuilder.struct()
    .name("bench.Row")
    .field("id", fc.Schema.INT64)
    .field("name", fc.Schema.STRING)
    .field("age", fc.Schema.INT32)
    .field("score", fc.Schema.FLOAT64)
    .field("active", fc.Schema.BOOLEAN)
    .field("small", fc.Schema.INT16)
    .field("blob", fc.Schema.BYTES)
    .field("tags", fc.SchemaBuilder.array(fc.Schema.STRING).build())
    .field("amount", fc.Decimal.schema(2))
    .field("born", fc.Date.SCHEMA)
    .build()
)
AMOUNT = decimal.Decimal("12.34")
BORN = datetime.date(2000, 1, 1)

SOURCES = {
    "put": "source: Struct.put x10 → JSON → Kafka",
    "values": "source: Struct(schema, dict) → JSON → Kafka",
    "tuple": "source: Struct(schema, tuple) → JSON → Kafka",
    "batch": "source: tuple Structs in a SourceBatch → Kafka",
    "rows": "source: tuples in a SourceBatch → Kafka",
    "dict_rows": "source: dict values, SourceRecords → Kafka",
    "prebuilt": "source: prebuilt Structs → JSON → Kafka",
    "rows_lz4": "source: rows, producer compression lz4",
    "ceiling": "ceiling: the rows' JSON bytes, producer alone",
}
#: The variants `ceiling` bounds: the same bytes through the same producer, with more work.
BOUNDED = ("put", "values", "tuple", "batch", "rows", "dict_rows", "prebuilt")
SINKS = {
    "get": 'sink:   Kafka → JSON → value.get("id")',
    "to_dict": "sink:   Kafka → JSON → value.to_dict()",
}
#: The Java anchor's runs: label, connector, its config, and the Python variants it is compared with.
JAVA = {
    "source/j_put": ("source: Java Connect, Struct.put x10", "StructSourceConnector", {}, ("put", "values")),
    "source/j_prebuilt": (
        "source: Java Connect, prebuilt Structs",
        "StructSourceConnector",
        {"prebuilt": "true"},
        ("prebuilt",),
    ),
    "sink/j_get": ('sink:   Java Connect, value.get("id")', "StructSinkConnector", {}, ("get",)),
}


def row_put(i: int) -> fc.Struct:
    """One row, built field by field."""
    return (
        fc.Struct(SCHEMA)
        .put("id", i)
        .put("name", f"name {i}")
        .put("age", i % 100)
        .put("score", i / 3)
        .put("active", i % 2 == 0)
        .put("small", i % 1000)
        .put("blob", b"0123456789")
        .put("tags", ["a", "b"])
        .put("amount", AMOUNT)
        .put("born", BORN)
    )


def row_values(i: int) -> fc.Struct:
    """The same row, built in one call from its values by field name."""
    return fc.Struct(SCHEMA, values_dict(i))


def row_tuple(i: int) -> fc.Struct:
    """The same row, built in one call from its values in field order."""
    return fc.Struct(SCHEMA, values_tuple(i))


def values_tuple(i: int) -> tuple[object, ...]:
    """The row's values in field order: a record's value as it is (no ``Struct``) for ``rows``."""
    return (i, f"name {i}", i % 100, i / 3, i % 2 == 0, i % 1000, b"0123456789", ["a", "b"], AMOUNT, BORN)


def values_dict(i: int) -> dict[str, object]:
    """The row's values by field name: a record's value as it is (no ``Struct``) for ``dict_rows``."""
    return {
        "id": i,
        "name": f"name {i}",
        "age": i % 100,
        "score": i / 3,
        "active": i % 2 == 0,
        "small": i % 1000,
        "blob": b"0123456789",
        "tags": ["a", "b"],
        "amount": AMOUNT,
        "born": BORN,
    }


def build_cost_us(build: Callable[[int], fc.Struct]) -> float:
    """Microseconds to build one row (best of 5 rounds of 1000)."""
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for i in range(BATCH):
            build(i)
        best = min(best, time.perf_counter() - started)
    return best * 1e6 / BATCH


def run_source(variant: str, bootstrap: str, topic: str, n: int) -> dict[str, float]:
    """Runs one source variant until Kafka has acknowledged and committed all ``n`` records."""
    done = threading.Event()
    marks: dict[str, float] = {}
    builders: dict[str, Callable[[int], object]] = {
        "put": row_put,
        "values": row_values,
        "tuple": row_tuple,
        "batch": row_tuple,
        "rows": values_tuple,
        "rows_lz4": values_tuple,
        "dict_rows": values_dict,
    }
    build = builders.get(variant)

    def record(i: int, value: object) -> fc.SourceRecord:
        return fc.SourceRecord({"t": topic}, {"i": i}, topic, value_schema=SCHEMA, value=value)

    class RowTask(fc.SourceTask):
        def start(self, config: dict[str, str]) -> None:
            self.sent = 0
            self.prebuilt = [record(i, row_put(i)) for i in range(BATCH)]
            # The same Structs, with the offsets of the last batch (which commit() looks for).
            self.last = [record(n - BATCH + r.source_offset["i"], r.value) for r in self.prebuilt]

        def poll(self) -> list[fc.SourceRecord] | fc.SourceBatch | None:
            if self.sent >= n:
                time.sleep(0.01)  # an idle task waits (returning at once would spin)
                return None
            if not self.sent:
                marks["start"], marks["cpu_start"] = time.perf_counter(), time.process_time()
            first = self.sent
            self.sent += BATCH
            if build is None:
                return self.last if self.sent >= n else self.prebuilt
            if variant in ("batch", "rows", "rows_lz4"):
                rows = range(first, first + BATCH)
                values = [build(i) for i in rows]
                return fc.SourceBatch(
                    {"t": topic}, topic, values, list(rows), offset_key="i", value_schema=SCHEMA
                )
            return [record(i, build(i)) for i in range(first, first + BATCH)]

        def commit(self) -> None:
            # commit() follows each offset flush, which holds only what Kafka acknowledged: the
            # run ends when the committed offset is the last record's (all polled is not enough).
            if self.sent < n or done.is_set():
                return
            committed = self.context.offset_storage_reader.offset({"t": topic})
            if committed is not None and committed["i"] >= n - 1:
                marks["end"], marks["cpu_end"] = time.perf_counter(), time.process_time()
                done.set()

    class RowSource(fc.SourceConnector):
        def task_class(self) -> type[fc.SourceTask]:
            return RowTask

        def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
            return [{}]

    compression = {"producer.compression.type": "lz4"} if variant == "rows_lz4" else {}
    with fc.Worker(bootstrap, **settings(), **compression) as worker:
        worker.create_connector(f"{topic}-{variant}", {"connector.class": RowSource})
        if not done.wait(600):
            raise TimeoutError("the source did not finish")
    return marks


def run_ceiling(bootstrap: str, topic: str, n: int) -> dict[str, float]:
    """The rows' bound on this broker: ``n`` copies of one row's JSON (924 bytes, the schema
    envelope included) sent by ferroconnect's producer and nothing else per record
    (``source_throughput.py``'s c with these bytes). No settings given: the producer lays them
    over the framework defaults a worker's producer gets (``CONNECT_PRODUCER_DEFAULTS``)."""
    from ferroconnect import _core

    value = fc.JsonConverter().from_connect_data(topic, SCHEMA, values_tuple(0))
    cpu_start = time.process_time()
    seconds = _core.produce_copies(bootstrap, topic, value, n)
    return {"start": 0.0, "end": seconds, "cpu_start": cpu_start, "cpu_end": time.process_time()}


def run_sink(variant: str, bootstrap: str, topic: str, n: int) -> dict[str, float]:
    """Runs one sink variant until its task has been handed all ``n`` records of ``topic``."""
    done = threading.Event()
    marks: dict[str, float] = {}

    class RowSinkTask(fc.SinkTask):
        def start(self, config: dict[str, str]) -> None:
            self.seen = 0

        def put(self, records: list[fc.SinkRecord]) -> None:
            if records and not self.seen:
                marks["start"], marks["cpu_start"] = time.perf_counter(), time.process_time()
            if variant == "get":
                for r in records:
                    r.value.get("id")
            else:
                for r in records:
                    r.value.to_dict()
            self.seen += len(records)
            if self.seen >= n and not done.is_set():
                marks["end"], marks["cpu_end"] = time.perf_counter(), time.process_time()
                done.set()

    class RowSink(fc.SinkConnector):
        def task_class(self) -> type[fc.SinkTask]:
            return RowSinkTask

        def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
            return [{}]

    with fc.Worker(bootstrap, **settings()) as worker:
        config = {"connector.class": RowSink, "topics": topic}
        worker.create_connector(f"{topic}-{variant}", config)
        if not done.wait(600):
            raise TimeoutError("the sink did not finish")
    return marks


def settings() -> dict[str, str]:
    json_converter = "org.apache.kafka.connect.json.JsonConverter"
    return {
        "key.converter": json_converter,
        "value.converter": json_converter,
        "offset.flush.interval.ms": "50",
    }


def run_java(run: str, bootstrap: str, topic: str, n: int) -> dict[str, float]:
    """One Java anchor run (see the docstring) in a JVM of its own; its figures as a child's."""
    import jvm_connectors

    _, connector_class, extra, _ = JAVA[run]
    side = run.split("/")[0]
    worker = settings()  # schemas.enable is true in Kafka's standalone properties
    if side == "source":
        worker["producer.batch.size"] = "1000000"
    connector = {"connector.class": connector_class, ("topic" if side == "source" else "topics"): topic}
    marks = jvm_connectors.run_standalone(bootstrap, worker, {**connector, **extra}, n)
    return {
        "records_per_s": n / marks["seconds"],
        "cpu_us_per_record": marks["cpu_s"] * 1e6 / n,
        "peak_rss_mib": marks["peak_rss_mib"],
        **{k: v for k, v in marks.items() if k.startswith("second_half")},
    }


def child(args: argparse.Namespace) -> None:
    """One variant in this process: prints its figures as one JSON line."""
    side, variant = args.child.split("/")
    if variant == "ceiling":
        marks = run_ceiling(args.bootstrap, args.topic, args.records)
    else:
        run = run_source if side == "source" else run_sink
        marks = run(variant, args.bootstrap, args.topic, args.records)
    seconds = marks["end"] - marks["start"]
    print(
        json.dumps(
            {
                "records_per_s": args.records / seconds,
                "cpu_us_per_record": (marks["cpu_end"] - marks["cpu_start"]) * 1e6 / args.records,
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--topic", help=argparse.SUPPRESS)
    parser.add_argument("--java", choices=["on", "off"], default="on", help="the Java Connect rows")
    parser.add_argument(
        "--variants", help="only these source variants, comma-separated, in this order (no sinks)"
    )
    bench_broker.add_arguments(parser)
    args = parser.parse_args()
    n = max(BATCH, args.records // BATCH * BATCH)
    unknown = set((args.variants or "").split(",")) - set(SOURCES) - {""}
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}: choose from {', '.join(SOURCES)}")
    if args.child:
        args.records = n
        child(args)
        return
    # Not before the children's return: its imports would be 9 MiB of each child's peak RSS.
    import jvm_connectors

    topic = f"rows-{uuid.uuid4().hex[:8]}"
    results: dict[str, dict[str, float]] = {}
    probe = bench_broker.speed_probe()
    with bench_broker.broker(args) as broker:
        if args.variants:
            runs = [(f"source/{v}", f"{topic}-{v}") for v in args.variants.split(",")]
        else:
            # The sinks read what prebuilt wrote.
            runs = [(f"source/{v}", f"{topic}-{v}") for v in SOURCES if v != "prebuilt"]
            runs += [("source/prebuilt", topic)] + [(f"sink/{v}", topic) for v in SINKS]

        def run_child(run: str, variant_topic: str) -> dict[str, float]:
            out = subprocess.run(
                [
                    *(sys.executable, __file__, "--child", run, "--records", str(n)),
                    *("--topic", variant_topic, "--bootstrap", broker.bootstrap_servers),
                ],
                capture_output=True,
                text=True,
                timeout=900,
                check=True,
            ).stdout
            return dict(json.loads(out.strip().splitlines()[-1]))

        # Rounds of all the records: rounds of a quarter stopped rising at half the rate (their
        # fixed costs weigh four times as much), and the variants measured after them ran slow.
        warmed = bench_broker.warm_up(lambda: run_child("source/ceiling", f"{topic}-warmup")["records_per_s"])
        for run, variant_topic in runs:
            results[run] = run_child(run, variant_topic)
        # The broker's speed can change within a run (docs/benchmarks.md, "What moves the figures
        # on this machine"): the ceiling once more, untimed, says whether it did.
        after = run_child("source/ceiling", f"{topic}-after")["records_per_s"]
        if args.java == "on" and not args.variants:
            java_topics = {"source/j_put": f"{topic}-jput", "source/j_prebuilt": f"{topic}-jprebuilt"}
            for run in JAVA:
                results[run] = run_java(run, broker.bootstrap_servers, java_topics.get(run, topic), n)
    print(f"# {n} records, 10-field Structs, JsonConverter with schemas, {broker.label}")
    print(
        f"# machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.2f}; {bench_broker.describe_warm_up(warmed)} of the ceiling"
    )
    print(f"# {bench_broker.describe_drift(warmed[-1], after)}")
    print(f"# {bench_broker.describe_speed(probe, bench_broker.speed_probe())}")
    print(f"building one Struct in Python: put x10 {build_cost_us(row_put):.1f} µs, ", end="")
    print(f"Struct(schema, dict) {build_cost_us(row_values):.1f} µs, ", end="")
    print(f"Struct(schema, tuple) {build_cost_us(row_tuple):.1f} µs")
    print(f"{'variant':<44}{'records/s':>12}{'CPU µs/record':>15}{'peak RSS MiB':>14}")
    labels = {f"source/{k}": v for k, v in SOURCES.items()} | {f"sink/{k}": v for k, v in SINKS.items()}
    labels |= {run: label for run, (label, *_) in JAVA.items()}
    for run, r in results.items():
        print(
            f"{labels[run]:<44}{r['records_per_s']:>12,.0f}"
            f"{r['cpu_us_per_record']:>15.2f}{r['peak_rss_mib']:>14.0f}"
        )
    ceiling = results.get("source/ceiling")
    if ceiling is not None:
        for variant in (v for v in BOUNDED if f"source/{v}" in results):
            r = results[f"source/{variant}"]
            print(
                f"source {variant}/ceiling = {r['records_per_s'] / ceiling['records_per_s']:.2f} "
                "(against the producer alone sending the same bytes)"
            )
    for run, (*_, ours) in JAVA.items():
        (side, name), java = run.split("/"), results.get(run)
        if java is not None:
            print(f"{side} {name}: second half alone (JIT-compiled) {jvm_connectors.second_half(java)}")
        for variant in (v for v in ours if java is not None and f"{side}/{v}" in results):
            assert java is not None
            r = results[f"{side}/{variant}"]
            print(
                f"{side} {variant}/{name} = {r['records_per_s'] / java['records_per_s']:.2f} "
                f"(against Java Connect; CPU per record "
                f"{r['cpu_us_per_record'] / java['cpu_us_per_record']:.2f}x Java's)"
            )


if __name__ == "__main__":
    main()
