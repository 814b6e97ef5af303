"""The package itself: import, version, static linking, and records round-tripping through our
producer to both test brokers, read back by an unrelated client (confluent-kafka)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import ferroconnect as fc
import ferroconnect._core as core
import pytest
from confluent_kafka import Consumer, TopicPartition
from ferroconnect.testing import produce
from kafka_settings import CONSUMER_TEST_SETTINGS


def test_version_comes_from_the_crate() -> None:
    assert fc.__version__ == core.__version__
    assert fc.__version__.count(".") == 2


def test_extension_links_no_kafka_ssl_or_compression_library() -> None:
    out = subprocess.run(["ldd", core.__file__], capture_output=True, text=True, check=True).stdout
    print(out)
    for lib in ("librdkafka", "libssl", "libcrypto", "libzstd", "liblz4", "libz.so", "libsasl"):
        assert lib not in out, f"{lib} is linked dynamically:\n{out}"


def _read_with_confluent(bootstrap: str, topic: str, count: int, partitions: int) -> list[tuple]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"check-{topic}",
            "enable.auto.commit": False,
            **CONSUMER_TEST_SETTINGS,
        }
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    got: list[tuple] = []
    deadline = time.monotonic() + 30
    while len(got) < count and time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is None or msg.error():
            continue
        got.append((msg.key(), msg.value(), msg.headers()))
    consumer.close()
    return got


@pytest.mark.parametrize("compression", ["none", "gzip", "lz4", "zstd"])
@pytest.mark.parametrize("where", ["embedded", "kafka"])
def test_our_producer_round_trips_through_both_brokers(
    where: str, compression: str, request: pytest.FixtureRequest, topic_name: str
) -> None:
    if where == "embedded":
        kafka: fc.EmbeddedKafka = request.getfixturevalue("embedded_kafka")
        bootstrap = kafka.bootstrap_servers
        kafka.create_topic(topic_name, 1)
    else:
        bootstrap = request.getfixturevalue("bootstrap_servers")
    records = [(f"k{i}".encode(), f"value {i}".encode() * 5, [("h", f"{i}".encode())]) for i in range(500)]
    placed = produce(bootstrap, topic_name, records, {"compression.type": compression}, partition=0)
    assert [offset for _, offset in placed] == list(range(500))
    got = _read_with_confluent(bootstrap, topic_name, 500, 1)
    assert [(k, v) for k, v, _ in got] == [(k, v) for k, v, _ in records]
    assert [h for _, _, h in got] == [[("h", f"{i}".encode())] for i in range(500)]


def test_embedded_kafka_child_dies_with_its_parent(tmp_path) -> None:
    script = (
        "import os, sys, ferroconnect as fc\n"
        "k = fc.EmbeddedKafka()\n"
        "print(k._child.pid, flush=True)\n"
        "sys.stdin.read()\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            return
        # Reap it if it is ours (it is not: it was the killed parent's); just wait.
        time.sleep(0.05)
    pytest.fail(f"embedded broker process {child_pid} outlived its parent")


def test_embedded_kafka_in_process_and_fault_injection(topic_name: str) -> None:
    with fc.EmbeddedKafka(in_process=True) as kafka:
        kafka.create_topic(topic_name, 2)
        kafka.request_errors("Produce", [6, 6])
        placed = produce(kafka.bootstrap_servers, topic_name, [(None, b"x")] * 10, partition=1)
        assert [o for _, o in placed] == list(range(10))
        kafka.broker_down(1)
        kafka.broker_up(1)
    with pytest.raises(fc.ConnectError):
        kafka.create_topic("closed", 1)


def test_a_restarted_sink_task_rejoins_quickly_on_the_embedded_broker() -> None:
    """The mock cluster holds a group's next rebalance for session.timeout.ms - 1 s after a member
    leaves: at Kafka's 45 s default a restarted sink task stalled 44 s (issue 12, item 7). A Worker
    pointed at an EmbeddedKafka of its process uses short consumer sessions."""
    seen: list[bytes] = []

    class Task(fc.SinkTask):
        def put(self, records: list[fc.SinkRecord]) -> None:
            seen.extend(r.value for r in records)

    class Sink(fc.SinkConnector):
        def task_class(self) -> type[fc.SinkTask]:
            return Task

        def task_configs(self, max_tasks: int) -> list[dict[str, str]]:
            return [{}]

    bytes_converter = "org.apache.kafka.connect.converters.ByteArrayConverter"
    with (
        fc.EmbeddedKafka() as kafka,
        fc.Worker(kafka.bootstrap_servers, value_converter=bytes_converter) as w,
    ):
        kafka.create_topic("restarted", 1)
        produce(kafka.bootstrap_servers, "restarted", [(None, b"first")])
        w.create_connector("restarted", {"connector.class": Sink, "topics": "restarted"})
        deadline = time.monotonic() + 30
        while not seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen == [b"first"]
        restarted = time.monotonic()
        w.restart("restarted", include_tasks=True)
        produce(kafka.bootstrap_servers, "restarted", [(None, b"second")])
        while len(seen) < 2 and time.monotonic() < restarted + 30:
            time.sleep(0.05)
        took = time.monotonic() - restarted
    assert seen == [b"first", b"second"]
    assert took < 15, f"the restarted task took {took:.1f} s to get the next record"


def test_embedded_kafka_auto_creates_topics_with_its_partition_count(topic_name: str) -> None:
    # librdkafka's mock alone auto-creates 4 partitions; EmbeddedKafka's front makes it num_partitions.
    from confluent_kafka.admin import AdminClient

    for num_partitions, in_process in ((1, False), (3, True)):
        with fc.EmbeddedKafka(num_partitions=num_partitions, in_process=in_process) as kafka:
            produce(kafka.bootstrap_servers, topic_name, [(None, b"x")])
            admin = AdminClient({"bootstrap.servers": kafka.bootstrap_servers})
            meta = admin.list_topics(topic_name, timeout=10).topics[topic_name]
            assert len(meta.partitions) == num_partitions
            brokers = {f"{b.host}:{b.port}" for b in admin.list_topics(timeout=10).brokers.values()}
            assert brokers == set(kafka.bootstrap_servers.split(","))
    with pytest.raises(fc.ConfigError, match="num_partitions"):
        fc.EmbeddedKafka(num_partitions=0)
