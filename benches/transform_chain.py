"""What a transform chain costs per record, in a sink worker, Java Kafka Connect 4.4 beside ours.

Each variant is a standalone worker (its own process) running a FileStream sink into /dev/null
over the same pre-filled topic of N JSON records (``{"id": .., "name": .., "secret": ..}``,
JsonConverter without schemas), once without transforms and once per chain:
  builtin  InsertField$Value (a static field), MaskField$Value (``secret``), RegexRouter
  python   InsertField$Value, MaskField$Value and a Python transform renaming the topic
           (``RenameTopic.apply``, one call per record)        ferroconnect only
  batch    the same with ``RenameTopicBatch.apply_batch`` (one call per batch)   ferroconnect only
The chain's cost per record is the worker's CPU seconds with the chain minus without it, over N
(start-up and the sink's own work cancel out; for Java so does most of the JVM's warm-up). A run
ends when the sink's committed offset reaches N (offsets are flushed every second).

Usage: ``python benches/transform_chain.py [--records N] [--workers java,native]
[--bootstrap HOST:PORT | --embedded]`` (CI smoke-runs it with a small N).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import bench_broker
import ferroconnect as fc
import file_stream

T = "org.apache.kafka.connect.transforms."
BUILTIN = {
    "transforms.origin.type": f"{T}InsertField$Value",
    "transforms.origin.static.field": "origin",
    "transforms.origin.static.value": "bench",
    "transforms.mask.type": f"{T}MaskField$Value",
    "transforms.mask.fields": "secret",
}
CHAINS: dict[str, dict[str, str]] = {
    "none": {},
    "builtin": {
        "transforms": "origin,mask,route",
        **BUILTIN,
        "transforms.route.type": f"{T}RegexRouter",
        "transforms.route.regex": "(.*)",
        "transforms.route.replacement": "$1-routed",
    },
    "python": {
        "transforms": "origin,mask,route",
        **BUILTIN,
        "transforms.route.type": "transform_chain.RenameTopic",
    },
    "batch": {
        "transforms": "origin,mask,route",
        **BUILTIN,
        "transforms.route.type": "transform_chain.RenameTopicBatch",
    },
}
JSON_VALUES = {
    "value.converter": "org.apache.kafka.connect.json.JsonConverter",
    "value.converter.schemas.enable": "false",
}


class RenameTopic(fc.Transformation[fc.ConnectRecord]):
    """RegexRouter's job in Python: ``<topic>-routed``."""

    def apply(self, record: fc.ConnectRecord) -> fc.ConnectRecord | None:
        return record.new_record(topic=f"{record.topic}-routed")


class RenameTopicBatch(RenameTopic):
    """The same, one call per batch."""

    def apply_batch(self, records: list[fc.ConnectRecord]) -> list[fc.ConnectRecord | BaseException | None]:
        return [r.new_record(topic=f"{r.topic}-routed") for r in records]


def fill(bootstrap: str, topic: str, records: int) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "enable.idempotence": True})
    for i in range(records):
        value = json.dumps({"id": i, "name": f"name-{i}", "secret": "s3cr3t"}).encode()
        while True:
            try:
                producer.produce(topic, value)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(60)


def committed(bootstrap: str, group: str, topic: str) -> int:
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        result = admin.list_consumer_group_offsets(
            [ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0)])]
        )
        return max(result[group].result(30).topic_partitions[0].offset, 0)
    except Exception:  # the group may not exist yet
        return 0


def run(kind: str, chain: str, bootstrap: str, folder: Path, topic: str, records: int) -> float:
    """The worker's CPU seconds to copy the topic into /dev/null through ``chain``."""
    name = f"chain-{kind}-{chain}-{uuid.uuid4().hex[:6]}"
    config: dict[str, Any] = {
        "name": name,
        "connector.class": "FileStreamSink",
        "tasks.max": "1",
        "file": "/dev/null",
        "topics": topic,
        **JSON_VALUES,
        **CHAINS[chain],
    }
    worker = file_stream.Worker(kind, folder, bootstrap, config)
    try:
        worker.wait_running(name)
        deadline = time.monotonic() + 600
        while committed(bootstrap, f"connect-{name}", topic) < records:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{kind} {chain}: not done in 600 s")
            time.sleep(0.2)
        return file_stream.cpu_seconds(worker.pid)
    finally:
        worker.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--workers", default="java,native")
    bench_broker.add_arguments(parser)
    args = parser.parse_args()
    with bench_broker.broker(args) as broker, tempfile.TemporaryDirectory() as tmp:
        print(f"{args.records} JSON records on {broker.label}")
        machine = f"{platform.machine()}, {os.cpu_count()} cores"
        print(f"machine: {machine}, load {os.getloadavg()[0]:.1f}; Python {platform.python_version()}")
        topic = f"bench-chain-{uuid.uuid4().hex[:8]}"
        file_stream.create_topic(broker.bootstrap_servers, topic)
        fill(broker.bootstrap_servers, topic, args.records)
        cost: dict[tuple[str, str], float] = {}
        for kind in args.workers.split(","):
            chains = ["none", "builtin"] if kind == "java" else list(CHAINS)
            cpu = {}
            for chain in chains:
                folder = Path(tmp) / f"{kind}-{chain}"
                folder.mkdir()
                cpu[chain] = run(kind, chain, broker.bootstrap_servers, folder, topic, args.records)
            print(f"\n{file_stream.LABELS[kind]}: CPU s without a chain {cpu['none']:.2f}")
            for chain in chains[1:]:
                cost[(kind, chain)] = (cpu[chain] - cpu["none"]) / args.records * 1e6
                print(
                    f"  {chain:<8} CPU s {cpu[chain]:6.2f}  chain: {cost[(kind, chain)]:6.2f} µs per record"
                )
        if ("java", "builtin") in cost:
            java = cost[("java", "builtin")]
            print()
            for chain in ("builtin", "python", "batch"):
                if ("native", chain) not in cost:
                    continue
                # A small run's CPU difference can be within the 10 ms clock tick, even negative.
                ratio = (
                    f"{cost[('native', chain)] / java:.2f}x"
                    if java > 0
                    else "n/a (Java's cost below resolution)"
                )
                print(f"native {chain}/java builtin: chain cost per record {ratio}")


if __name__ == "__main__":
    main()
