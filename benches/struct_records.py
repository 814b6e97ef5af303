"""Structs through the Python API, both ways, on Apache Kafka 4.4.0 (the embedded mock cluster
keeps only ~5 MiB per partition): a ``SourceTask`` returning
batches of 1000 ``SourceRecord`` with 10-field Structs (JsonConverter, schemas enabled) and a
``SinkTask`` receiving them as ``SinkRecord``. The Rust-only cost of the same conversion is in the
criterion benchmark (``cargo bench -p ferroconnect-core --bench convert``).

Usage: ``python benches/struct_records.py [--records N] [--bootstrap HOST:PORT | --embedded]`` (CI
smoke-runs it with a small N on the test session's broker; see bench_broker.py).
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import os
import platform
import threading
import time
import uuid

import bench_broker
import ferroconnect as fc

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


def row(i: int) -> fc.Struct:
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
        .put("amount", decimal.Decimal("12.34"))
        .put("born", datetime.date(2000, 1, 1))
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=200_000)
    bench_broker.add_arguments(parser)
    args = parser.parse_args()
    n = max(BATCH, args.records // BATCH * BATCH)
    topic = f"rows-{uuid.uuid4().hex[:8]}"
    built = time.perf_counter()
    rows = [row(i) for i in range(BATCH)]
    build_s = time.perf_counter() - built
    source_done, sink_done = threading.Event(), threading.Event()
    times: dict[str, float] = {}

    class RowTask(fc.SourceTask):
        def start(self, config: dict[str, str]) -> None:
            self.sent = 0
            self.batch = [
                fc.SourceRecord({"t": topic}, {"i": i}, topic, value_schema=SCHEMA, value=r)
                for i, r in enumerate(rows)
            ]

        def poll(self) -> list[fc.SourceRecord] | None:
            if self.sent >= n:
                source_done.wait(0.01)
                return None
            if not self.sent:
                times["source_start"] = time.perf_counter()
            self.sent += BATCH
            return self.batch

        def commit(self) -> None:
            if self.sent >= n and not source_done.is_set():
                times["source_end"] = time.perf_counter()
                source_done.set()

    class RowSinkTask(fc.SinkTask):
        def start(self, config: dict[str, str]) -> None:
            self.seen = 0

        def put(self, records: list[fc.SinkRecord]) -> None:
            if records and not self.seen:
                times["sink_start"] = time.perf_counter()
            for record in records:  # touch each value, as a sink would
                record.value.get("id")
            self.seen += len(records)
            if self.seen >= n and not sink_done.is_set():
                times["sink_end"] = time.perf_counter()
                sink_done.set()

    class RowSource(fc.SourceConnector):
        def task_class(self) -> type[fc.SourceTask]:
            return RowTask

        def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
            return [{}]

    class RowSink(fc.SinkConnector):
        def task_class(self) -> type[fc.SinkTask]:
            return RowSinkTask

        def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
            return [{}]

    json = "org.apache.kafka.connect.json.JsonConverter"
    with bench_broker.broker(args) as broker:
        settings = {"key.converter": json, "value.converter": json, "offset.flush.interval.ms": "50"}
        with fc.Worker(broker.bootstrap_servers, **settings) as worker:
            worker.create_connector(f"{topic}-in", {"connector.class": RowSource})
            worker.create_connector(f"{topic}-out", {"connector.class": RowSink, "topics": topic})
            if not (source_done.wait(600) and sink_done.wait(600)):
                raise TimeoutError("the pipeline did not finish")
    source_rate = n / (times["source_end"] - times["source_start"])
    sink_rate = n / (times["sink_end"] - times["sink_start"])
    print(f"# {n} records, 10-field Structs, JsonConverter with schemas, {broker.label}")
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"building {BATCH} Structs in Python: {build_s * 1e6 / BATCH:.1f} µs each")
    print(f"source: SourceRecord(Struct) → JSON → Kafka: {source_rate:,.0f} records/s")
    print(f"sink:   Kafka → JSON → SinkRecord(Struct):   {sink_rate:,.0f} records/s")


if __name__ == "__main__":
    main()
