"""Broker conformance: which Kafka features the broker under test really has.

Each test probes one feature that later work relies on, with ``confluent-kafka`` as an unrelated
client. What works is asserted; what a broker is known to lack is listed in
``fixtures_broker.KNOWN_GAPS`` with the measured reason and runs as a strict xfail, so a broker
that changes either way turns the run red. The table of outcomes is printed at the end of the run
(``broker conformance`` section). ``docs/brokers.md`` keeps the measured table.

The ``broker`` fixture is parametrized over ``fixtures_broker.BROKERS_UNDER_TEST``: Apache Kafka
4.4.0 (the reference: every row must pass) and the embedded mock cluster (its gaps named).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import pytest
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AdminClient,
    ConfigResource,
    NewTopic,
    OffsetSpec,
)
from fixtures_broker import BrokerUnderTest
from kafka_settings import ADMIN_TEST_SETTINGS, consumer_settings, producer_settings

pytestmark = [pytest.mark.broker, pytest.mark.timeout(60)]

OP_TIMEOUT_S = 15.0


# --- helpers ---------------------------------------------------------------------------------------


def _admin(broker: BrokerUnderTest) -> AdminClient:
    """Return a new AdminClient; keep a reference until its futures resolve (GC destroys the handle)."""
    return AdminClient({**ADMIN_TEST_SETTINGS, "bootstrap.servers": broker.bootstrap_servers})


def _consumer_settings(broker: BrokerUnderTest, group: str, **overrides: Any) -> dict[str, object]:
    """Consumer settings for ``broker``: the tests' settings, the broker's own, then ``overrides``."""
    return consumer_settings(broker.bootstrap_servers, group, **broker.client_settings, **overrides)


def _create_topic(
    broker: BrokerUnderTest,
    topic: str,
    partitions: int = 1,
    config: dict[str, str] | None = None,
    via_admin: bool = False,
) -> None:
    """Create ``topic`` and wait until the metadata shows all its partitions.

    Uses CreateTopics through the AdminClient, except on a broker whose handle has its own
    ``create_topic`` (the embedded mock cluster) when neither ``config`` nor ``via_admin`` is given.
    """
    admin = _admin(broker)
    native = getattr(broker.handle, "create_topic", None)
    if native is not None and not config and not via_admin:
        native(topic, partitions)
    else:
        futures = admin.create_topics(
            [NewTopic(topic, num_partitions=partitions, replication_factor=1, config=config or {})],
            operation_timeout=broker.admin_timeout_s,
            request_timeout=broker.admin_timeout_s,
        )
        futures[topic].result(timeout=broker.admin_timeout_s)
    deadline = time.monotonic() + broker.admin_timeout_s
    while True:
        meta = admin.list_topics(topic, timeout=broker.admin_timeout_s).topics.get(topic)
        if meta is not None and meta.error is None and len(meta.partitions) == partitions:
            return
        assert time.monotonic() < deadline, f"topic {topic} not in metadata: {meta}"
        time.sleep(0.1)


def _produce(
    broker: BrokerUnderTest, topic: str, records: Iterable[dict[str, Any]], **config: Any
) -> list[Message]:
    """Produce ``records`` (kwargs of ``Producer.produce``), wait for every ack, return the acks."""
    producer = Producer(producer_settings(broker.bootstrap_servers, **config))
    acked: list[Message] = []
    errors: list[KafkaError] = []

    def on_delivery(err: KafkaError | None, msg: Message) -> None:
        if err is not None:
            errors.append(err)
        else:
            acked.append(msg)

    for record in records:
        while True:
            try:
                producer.produce(topic, on_delivery=on_delivery, **record)
                break
            except BufferError:
                producer.poll(0.1)
    try:
        assert producer.flush(OP_TIMEOUT_S) == 0, "records still in flight after flush"
    finally:
        _close(producer)
    assert not errors, f"delivery failed: {errors[:3]}"
    return acked


def _close(producer: Producer) -> None:
    """Close ``producer`` now (confluent-kafka >= 2.13 has ``close``; older ones close on GC)."""
    producer.purge()
    close = getattr(producer, "close", None)
    if close is not None:
        close()


def _read(
    broker: BrokerUnderTest,
    topic: str,
    expected: int,
    partitions: int = 1,
    timeout_s: float = 20.0,
    **config: Any,
) -> list[Message]:
    """Read ``expected`` records from the start of ``topic`` with an assigned (group-less) consumer."""
    consumer = Consumer(_consumer_settings(broker, f"reader-{uuid.uuid4().hex[:8]}", **config))
    try:
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        return _drain(consumer, expected, timeout_s)
    finally:
        consumer.close()


def _drain(consumer: Consumer, expected: int, timeout_s: float = 20.0) -> list[Message]:
    """Consume until ``expected`` records arrived; fail on a consumer error or at the deadline."""
    out: list[Message] = []
    deadline = time.monotonic() + timeout_s
    while len(out) < expected and time.monotonic() < deadline:
        for msg in consumer.consume(num_messages=min(expected - len(out), 10000), timeout=0.5):
            error = msg.error()
            if error is not None and error.code() != KafkaError._PARTITION_EOF:
                raise KafkaException(error)
            if error is None:
                out.append(msg)
    assert len(out) == expected, f"read {len(out)} of {expected} records within {timeout_s} s"
    return out


def _values(messages: Sequence[Message]) -> list[bytes | None]:
    return [m.value() for m in messages]


def _numbered(count: int, prefix: str = "v", **extra: Any) -> list[dict[str, Any]]:
    return [{"key": f"k{i}".encode(), "value": f"{prefix}{i}".encode(), **extra} for i in range(count)]


# --- produce / fetch --------------------------------------------------------------------------------


@pytest.mark.conformance("produce_fetch.headers")
def test_headers_round_trip(broker: BrokerUnderTest, unique_topic: str) -> None:
    """Headers keep their order, duplicates and null values."""
    _create_topic(broker, unique_topic)
    headers = [("h1", b"one"), ("empty", b""), ("null", None), ("h1", b"again")]
    _produce(broker, unique_topic, [{"key": b"k", "value": b"v", "headers": headers}])
    (msg,) = _read(broker, unique_topic, 1)
    assert (msg.key(), msg.value()) == (b"k", b"v")
    assert msg.headers() == headers


@pytest.mark.conformance("produce_fetch.timestamps")
def test_create_time_round_trip(broker: BrokerUnderTest, unique_topic: str) -> None:
    """A producer's CreateTime timestamp comes back unchanged, with its type."""
    from confluent_kafka import TIMESTAMP_CREATE_TIME

    _create_topic(broker, unique_topic)
    now = int(time.time() * 1000)
    stamps = [now - 86_400_000, now - 1_234, now]  # recent, so a real broker's retention keeps them
    _produce(broker, unique_topic, [{"value": b"x", "timestamp": ts} for ts in stamps])
    messages = _read(broker, unique_topic, len(stamps))
    assert [m.timestamp() for m in messages] == [(TIMESTAMP_CREATE_TIME, ts) for ts in stamps]


@pytest.mark.conformance("produce_fetch.null_key_and_tombstone")
def test_null_key_and_tombstone(broker: BrokerUnderTest, unique_topic: str) -> None:
    """A null key and a null value (tombstone) stay null, distinct from empty bytes."""
    _create_topic(broker, unique_topic)
    records: list[dict[str, Any]] = [
        {"key": None, "value": b"v"},
        {"key": b"k", "value": None},
        {"key": b"", "value": b""},
    ]
    _produce(broker, unique_topic, records)
    messages = _read(broker, unique_topic, 3)
    assert [(m.key(), m.value()) for m in messages] == [(None, b"v"), (b"k", None), (b"", b"")]


@pytest.mark.conformance("produce_fetch.many_records")
def test_many_records_stream(broker: BrokerUnderTest, unique_topic: str) -> None:
    """30 000 records over 3 partitions come back complete and in order per partition."""
    _create_topic(broker, unique_topic, partitions=3)
    count = 30_000
    records = ({"value": f"{i}".encode(), "partition": i % 3} for i in range(count))
    # Order per partition is the producer's promise only with idempotence: without it librdkafka
    # keeps many requests in flight, and a retried one lands after later ones (seen once in CI on
    # a loaded machine: 767 records of one partition moved ahead of 3,161 sent before them).
    _produce(broker, unique_topic, records, enable_idempotence=True)
    messages = _read(broker, unique_topic, count, partitions=3)
    for partition in range(3):
        got = [int(m.value() or b"-1") for m in messages if m.partition() == partition]
        assert got == list(range(partition, count, 3))


@pytest.mark.conformance("compression.{codec}")
@pytest.mark.parametrize("codec", ["gzip", "lz4", "zstd", "snappy"])
def test_compression_round_trip(broker: BrokerUnderTest, unique_topic: str, codec: str) -> None:
    """Batches compressed with ``codec`` are stored and fetched back intact."""
    _create_topic(broker, unique_topic)
    records = [
        {"value": (f"{i:05d}-" + "compressible " * 20).encode(), "headers": [("i", str(i))]}
        for i in range(500)
    ]
    _produce(broker, unique_topic, records, compression_type=codec, linger_ms=50)
    messages = _read(broker, unique_topic, len(records))
    assert _values(messages) == [r["value"] for r in records]
    assert [m.headers() for m in messages][-1] == [("i", b"499")]


@pytest.mark.conformance("producer.idempotent")
def test_idempotent_producer(broker: BrokerUnderTest, unique_topic: str) -> None:
    """``enable.idempotence=true`` (InitProducerId, sequence numbers) delivers once, in order."""
    _create_topic(broker, unique_topic, partitions=2)
    count = 2000
    records = [{"value": str(i).encode(), "partition": i % 2} for i in range(count)]
    acked = _produce(broker, unique_topic, records, enable_idempotence=True, max_in_flight=5)
    assert len(acked) == count
    messages = _read(broker, unique_topic, count, partitions=2)
    for partition in range(2):
        got = [int(m.value() or b"-1") for m in messages if m.partition() == partition]
        assert got == list(range(partition, count, 2))
        offsets = [m.offset() for m in messages if m.partition() == partition]
        assert offsets == list(range(len(offsets)))


# --- topics and configs ----------------------------------------------------------------------------


@pytest.mark.conformance("admin.create_topic")
def test_create_topic_with_partitions(broker: BrokerUnderTest, unique_topic: str) -> None:
    """CreateTopics with 4 partitions shows 4 partitions with a leader in the metadata."""
    _create_topic(broker, unique_topic, partitions=4, via_admin=True)
    meta = _admin(broker).list_topics(unique_topic, timeout=OP_TIMEOUT_S).topics[unique_topic]
    assert sorted(meta.partitions) == [0, 1, 2, 3]
    assert all(p.leader >= 0 for p in meta.partitions.values())


@pytest.mark.conformance("metadata.auto_create_one_partition")
def test_auto_created_topic_has_one_partition(broker: BrokerUnderTest, unique_topic: str) -> None:
    """A topic created by a producer's first record has ``num.partitions`` (1) partitions, so a
    keyless stream keeps its order (Kafka's file quickstart relies on it)."""
    _produce(broker, unique_topic, [{"value": f"{i}".encode()} for i in range(100)])
    meta = _admin(broker).list_topics(unique_topic, timeout=OP_TIMEOUT_S).topics[unique_topic]
    assert sorted(meta.partitions) == [0]
    assert _values(_read(broker, unique_topic, 100)) == [f"{i}".encode() for i in range(100)]


@pytest.mark.conformance("admin.create_topic.exists_error")
def test_create_existing_topic_fails(broker: BrokerUnderTest, unique_topic: str) -> None:
    """Creating a topic twice fails with TOPIC_ALREADY_EXISTS (Connect relies on it at start-up)."""
    _create_topic(broker, unique_topic, via_admin=True)
    admin = _admin(broker)  # keep the client alive until its futures resolve
    future = admin.create_topics([NewTopic(unique_topic, 1, 1)], request_timeout=broker.admin_timeout_s)
    with pytest.raises(KafkaException) as raised:
        future[unique_topic].result(timeout=broker.admin_timeout_s)
    assert raised.value.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS


@pytest.mark.conformance("admin.create_topic.compact")
def test_create_compacted_topic(broker: BrokerUnderTest, unique_topic: str) -> None:
    """A topic created with ``cleanup.policy=compact`` (Connect's internal topics) accepts records."""
    _create_topic(broker, unique_topic, config={"cleanup.policy": "compact"})
    _produce(broker, unique_topic, [{"key": b"k", "value": b"1"}, {"key": b"k", "value": b"2"}])
    assert _values(_read(broker, unique_topic, 2)) == [b"1", b"2"]


@pytest.mark.conformance("admin.describe_configs.cleanup_policy")
def test_describe_configs_reports_compaction(broker: BrokerUnderTest, unique_topic: str) -> None:
    """DescribeConfigs reports the ``cleanup.policy=compact`` a topic was created with."""
    _create_topic(broker, unique_topic, config={"cleanup.policy": "compact"})
    resource = ConfigResource(ConfigResource.Type.TOPIC, unique_topic)
    admin = _admin(broker)  # keep the client alive until its futures resolve
    futures = admin.describe_configs([resource], request_timeout=broker.admin_timeout_s)
    entries = futures[resource].result(timeout=broker.admin_timeout_s)
    assert "cleanup.policy" in entries, f"cleanup.policy not described; got {sorted(entries)}"
    assert entries["cleanup.policy"].value == "compact"


@pytest.mark.conformance("admin.delete_topic")
def test_delete_topic(broker: BrokerUnderTest, unique_topic: str) -> None:
    """DeleteTopics removes the topic from the metadata."""
    _create_topic(broker, unique_topic, via_admin=True)
    admin = _admin(broker)
    admin.delete_topics([unique_topic], request_timeout=broker.admin_timeout_s)[unique_topic].result(
        timeout=broker.admin_timeout_s
    )
    deadline = time.monotonic() + broker.admin_timeout_s
    while unique_topic in admin.list_topics(timeout=broker.admin_timeout_s).topics:
        assert time.monotonic() < deadline, "deleted topic still listed"
        time.sleep(0.2)


# --- offsets: ListOffsets, watermarks, commits ----------------------------------------------------


def _list_offsets(broker: BrokerUnderTest, topic: str, spec: OffsetSpec) -> int:
    tp = TopicPartition(topic, 0)
    admin = _admin(broker)  # keep the client alive until its futures resolve
    futures = admin.list_offsets({tp: spec}, request_timeout=OP_TIMEOUT_S)
    return int(futures[tp].result(timeout=OP_TIMEOUT_S).offset)


def _earliest() -> OffsetSpec:
    spec: OffsetSpec = OffsetSpec.earliest()  # type: ignore[no-untyped-call]
    return spec


def _latest() -> OffsetSpec:
    spec: OffsetSpec = OffsetSpec.latest()  # type: ignore[no-untyped-call]
    return spec


@pytest.mark.conformance("list_offsets.earliest")
def test_list_offsets_earliest(broker: BrokerUnderTest, unique_topic: str) -> None:
    """ListOffsets 'earliest' is 0 on a fresh topic with records."""
    _create_topic(broker, unique_topic)
    _produce(broker, unique_topic, _numbered(10))
    assert _list_offsets(broker, unique_topic, _earliest()) == 0


@pytest.mark.conformance("list_offsets.latest")
def test_list_offsets_latest(broker: BrokerUnderTest, unique_topic: str) -> None:
    """ListOffsets 'latest' is the offset after the last record."""
    _create_topic(broker, unique_topic)
    _produce(broker, unique_topic, _numbered(10))
    assert _list_offsets(broker, unique_topic, _latest()) == 10


@pytest.mark.conformance("list_offsets.timestamp")
def test_offsets_for_times(broker: BrokerUnderTest, unique_topic: str) -> None:
    """ListOffsets by timestamp finds the first record at or after it."""
    _create_topic(broker, unique_topic)
    base = int(time.time() * 1000) - 60_000
    _produce(broker, unique_topic, [{"value": b"x", "timestamp": base + 1000 * i} for i in range(10)])
    assert _list_offsets(broker, unique_topic, OffsetSpec.for_timestamp(base + 4500)) == 5


@pytest.mark.conformance("watermarks.query")
def test_query_watermarks(broker: BrokerUnderTest, unique_topic: str) -> None:
    """``get_watermark_offsets(cached=False)`` (ListOffsets earliest + latest) gives (0, end)."""
    _create_topic(broker, unique_topic)
    _produce(broker, unique_topic, _numbered(10))
    consumer = Consumer(_consumer_settings(broker, f"wm-{uuid.uuid4().hex[:8]}"))
    try:
        watermarks = consumer.get_watermark_offsets(TopicPartition(unique_topic, 0), timeout=OP_TIMEOUT_S)
    finally:
        consumer.close()
    assert watermarks == (0, 10)


@pytest.mark.conformance("watermarks.fetch")
def test_fetch_watermarks(broker: BrokerUnderTest, unique_topic: str) -> None:
    """After a fetch, ``get_watermark_offsets(cached=True)`` (the fetch's high watermark) is the end."""
    _create_topic(broker, unique_topic)
    _produce(broker, unique_topic, _numbered(10))
    consumer = Consumer(_consumer_settings(broker, f"wm-{uuid.uuid4().hex[:8]}"))
    try:
        consumer.assign([TopicPartition(unique_topic, 0, OFFSET_BEGINNING)])
        _drain(consumer, 10)
        high = consumer.get_watermark_offsets(TopicPartition(unique_topic, 0), cached=True)[1]
    finally:
        consumer.close()
    assert high == 10


@pytest.mark.conformance("offsets.commit_fetch")
def test_committed_offsets_survive_the_consumer(broker: BrokerUnderTest, unique_topic: str) -> None:
    """OffsetCommit then OffsetFetch: a group member's commit is read back by its next member."""
    _create_topic(broker, unique_topic)
    _produce(broker, unique_topic, _numbered(10))
    group = f"g-{uuid.uuid4().hex[:8]}"
    first = Consumer(_consumer_settings(broker, group))
    first.subscribe([unique_topic])
    try:
        messages = _drain(first, 4)
        assert [m.offset() for m in messages] == [0, 1, 2, 3]
        first.commit(message=messages[-1], asynchronous=False)
        (committed,) = first.committed([TopicPartition(unique_topic, 0)], timeout=OP_TIMEOUT_S)
        assert committed.offset == 4
    finally:
        first.close()
    second = Consumer(_consumer_settings(broker, group))
    try:
        (committed,) = second.committed([TopicPartition(unique_topic, 0)], timeout=OP_TIMEOUT_S)
        assert committed.offset == 4
        second.subscribe([unique_topic])
        rest = _drain(second, 6)
        assert [m.offset() for m in rest] == [4, 5, 6, 7, 8, 9]
    finally:
        second.close()


@pytest.mark.conformance("admin.consumer_group_offsets")
def test_admin_group_offsets(broker: BrokerUnderTest, unique_topic: str) -> None:
    """AdminClient lists and alters a group's committed offsets (Connect's sink offsets API)."""
    from confluent_kafka import ConsumerGroupTopicPartitions

    _create_topic(broker, unique_topic)
    _produce(broker, unique_topic, _numbered(10))
    group = f"g-{uuid.uuid4().hex[:8]}"
    consumer = Consumer(_consumer_settings(broker, group))
    try:
        consumer.commit(offsets=[TopicPartition(unique_topic, 0, 7)], asynchronous=False)
    finally:
        consumer.close()
    admin = _admin(broker)
    tp = TopicPartition(unique_topic, 0)
    listed = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [tp])])
    assert [p.offset for p in listed[group].result(timeout=OP_TIMEOUT_S).topic_partitions] == [7]
    altered = admin.alter_consumer_group_offsets(
        [ConsumerGroupTopicPartitions(group, [TopicPartition(unique_topic, 0, 3)])]
    )
    altered[group].result(timeout=OP_TIMEOUT_S)
    listed = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [tp])])
    assert [p.offset for p in listed[group].result(timeout=OP_TIMEOUT_S).topic_partitions] == [3]


# --- consumer groups --------------------------------------------------------------------------------


def _settle(consumers: Sequence[Consumer], partitions: int, timeout_s: float = 40.0) -> list[set[int]]:
    """Poll every member until each owns ``partitions / len(consumers)`` distinct partitions.

    Asserts at every observation that no partition is owned by two members.
    """
    want = partitions // len(consumers)
    deadline = time.monotonic() + timeout_s
    owned: list[set[int]] = []
    while time.monotonic() < deadline:
        for consumer in consumers:
            msg = consumer.poll(0.05)
            if msg is not None and msg.error() is not None:
                raise KafkaException(msg.error())
        owned = [{tp.partition for tp in c.assignment()} for c in consumers]
        union = set().union(*owned)
        assert sum(len(o) for o in owned) == len(union), f"a partition has two owners: {owned}"
        if len(union) == partitions and all(len(o) == want for o in owned):
            return owned
    raise AssertionError(
        f"group did not settle to {want} partitions per member within {timeout_s} s: {owned}"
    )


@pytest.mark.conformance("group.{strategy}")
@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_group_rebalances(broker: BrokerUnderTest, unique_topic: str, strategy: str) -> None:
    """2 members, a 3rd joins, one leaves: every partition has exactly one owner at each step."""
    partitions = 6
    _create_topic(broker, unique_topic, partitions=partitions)
    group = f"g-{uuid.uuid4().hex[:8]}"
    members: list[Consumer] = []
    try:
        for _ in range(2):
            member = Consumer(_consumer_settings(broker, group, partition_assignment_strategy=strategy))
            member.subscribe([unique_topic])
            members.append(member)
        _settle(members, partitions)
        third = Consumer(_consumer_settings(broker, group, partition_assignment_strategy=strategy))
        third.subscribe([unique_topic])
        members.append(third)
        _settle(members, partitions)
        members.pop(0).close()  # LeaveGroup
        _settle(members, partitions)
    finally:
        for member in members:
            member.close()


# --- transactions ---------------------------------------------------------------------------------


_OPEN_PRODUCERS: list[Producer] = []


@pytest.fixture(autouse=True)
def _close_transactional_producers() -> Iterator[None]:
    """Close the test's transactional producers, so none outlives the broker (a failed test's
    traceback would keep them alive, reconnecting, until the end of the session)."""
    yield
    while _OPEN_PRODUCERS:
        _close(_OPEN_PRODUCERS.pop())


def _transactional_producer(broker: BrokerUnderTest) -> Producer:
    producer = Producer(
        producer_settings(broker.bootstrap_servers, transactional_id=f"tx-{uuid.uuid4().hex[:8]}")
    )
    _OPEN_PRODUCERS.append(producer)
    producer.init_transactions(OP_TIMEOUT_S)
    return producer


def _produce_in_transaction(producer: Producer, topic: str, values: Sequence[bytes], commit: bool) -> None:
    producer.begin_transaction()
    for value in values:
        producer.produce(topic, value=value)
    if commit:
        producer.commit_transaction(OP_TIMEOUT_S)
    else:
        producer.flush(OP_TIMEOUT_S)
        producer.abort_transaction(OP_TIMEOUT_S)


@pytest.mark.conformance("transactions.commit")
def test_transaction_commit(broker: BrokerUnderTest, unique_topic: str) -> None:
    """A committed transaction's records reach a read_committed consumer."""
    _create_topic(broker, unique_topic)
    producer = _transactional_producer(broker)
    _produce_in_transaction(producer, unique_topic, [b"a", b"b", b"c"], commit=True)
    messages = _read(broker, unique_topic, 3, isolation_level="read_committed")
    assert _values(messages) == [b"a", b"b", b"c"]


@pytest.mark.conformance("transactions.abort")
def test_transaction_abort(broker: BrokerUnderTest, unique_topic: str) -> None:
    """A transaction can be aborted and the producer goes on with the next one."""
    _create_topic(broker, unique_topic)
    producer = _transactional_producer(broker)
    _produce_in_transaction(producer, unique_topic, [b"aborted"], commit=False)
    _produce_in_transaction(producer, unique_topic, [b"kept"], commit=True)
    # read_uncommitted sees both; control records (the commit/abort markers) are never delivered.
    values = _values(_read(broker, unique_topic, 2, isolation_level="read_uncommitted"))
    assert values == [b"aborted", b"kept"]


@pytest.mark.conformance("transactions.read_committed")
def test_read_committed_hides_aborted(broker: BrokerUnderTest, unique_topic: str) -> None:
    """read_committed consumers skip an aborted transaction's records and see the committed ones."""
    _create_topic(broker, unique_topic)
    producer = _transactional_producer(broker)
    _produce_in_transaction(producer, unique_topic, [b"x1", b"x2"], commit=False)
    _produce_in_transaction(producer, unique_topic, [b"c1", b"c2"], commit=True)
    assert _values(_read(broker, unique_topic, 2, isolation_level="read_committed")) == [b"c1", b"c2"]


@pytest.mark.conformance("transactions.send_offsets")
def test_send_offsets_to_transaction(broker: BrokerUnderTest, unique_topic: str) -> None:
    """TxnOffsetCommit: offsets sent within a committed transaction become the group's commit."""
    _create_topic(broker, unique_topic)
    group = f"g-{uuid.uuid4().hex[:8]}"
    consumer = Consumer(_consumer_settings(broker, group))
    try:
        producer = _transactional_producer(broker)
        producer.begin_transaction()
        producer.produce(unique_topic, value=b"out")
        producer.send_offsets_to_transaction(
            [TopicPartition(unique_topic, 0, 1)], consumer.consumer_group_metadata(), OP_TIMEOUT_S
        )
        producer.commit_transaction(OP_TIMEOUT_S)
        (committed,) = consumer.committed([TopicPartition(unique_topic, 0)], timeout=OP_TIMEOUT_S)
    finally:
        consumer.close()
    assert committed.offset == 1


@pytest.mark.conformance("transactions.fenced_producer")
def test_fenced_producer_cannot_commit(broker: BrokerUnderTest, unique_topic: str) -> None:
    """A second producer with the same ``transactional.id`` fences the first: its commit fails
    fatally and its records stay invisible to read_committed (Connect's zombie fencing)."""
    _create_topic(broker, unique_topic)
    transactional_id = f"tx-{uuid.uuid4().hex[:8]}"
    zombie = Producer(producer_settings(broker.bootstrap_servers, transactional_id=transactional_id))
    _OPEN_PRODUCERS.append(zombie)
    zombie.init_transactions(OP_TIMEOUT_S)
    zombie.begin_transaction()
    zombie.produce(unique_topic, value=b"zombie")
    zombie.flush(OP_TIMEOUT_S)
    successor = Producer(producer_settings(broker.bootstrap_servers, transactional_id=transactional_id))
    _OPEN_PRODUCERS.append(successor)
    successor.init_transactions(OP_TIMEOUT_S)  # bumps the epoch, aborts the zombie's transaction
    with pytest.raises(KafkaException) as raised:
        zombie.commit_transaction(OP_TIMEOUT_S)
    error: KafkaError = raised.value.args[0]
    assert error.fatal() or error.code() in (KafkaError._FENCED, KafkaError.PRODUCER_FENCED), error
    _OPEN_PRODUCERS.remove(zombie)
    with contextlib.suppress(KafkaException):  # a fenced producer's close reports its fatal error again
        _close(zombie)
    _produce_in_transaction(successor, unique_topic, [b"successor"], commit=True)
    assert _values(_read(broker, unique_topic, 1, isolation_level="read_committed")) == [b"successor"]


# --- compaction -----------------------------------------------------------------------------------


@pytest.mark.conformance("compaction.removes_superseded")
def test_compaction_removes_superseded_values(broker: BrokerUnderTest, unique_topic: str) -> None:
    """The log cleaner drops values superseded by a later record with the same key (Connect's
    config, offset and status topics rely on it)."""
    # Small segments and a tiny dirty ratio so that the cleaner runs within seconds; the broker's
    # log.cleaner.backoff.ms is 500 (scripts/kafka_broker.py).
    config = {"cleanup.policy": "compact", "segment.ms": "200", "min.cleanable.dirty.ratio": "0.001"}
    _create_topic(broker, unique_topic, config=config)
    keys = [f"k{i}".encode() for i in range(10)]
    for generation in ("old", "new", "roll"):  # each write rolls the previous segment (segment.ms)
        _produce(broker, unique_topic, [{"key": key, "value": generation.encode()} for key in keys])
        time.sleep(0.3)
    _produce(broker, unique_topic, [{"key": b"last", "value": b"last"}])  # rolls the "roll" segment
    end = _list_offsets(broker, unique_topic, _latest())  # offsets stay; compaction leaves gaps
    deadline = time.monotonic() + 45
    while True:
        messages = _read_all(broker, unique_topic, end)
        if len(messages) == len(keys) + 1:
            break
        assert time.monotonic() < deadline, f"not compacted after 45 s: {len(messages)} records kept"
        time.sleep(1)
    values = {m.key(): m.value() for m in messages}
    assert values == {**dict.fromkeys(keys, b"roll"), b"last": b"last"}
    assert all(m.offset() >= 20 for m in messages), "a superseded value survived compaction"


def _read_all(broker: BrokerUnderTest, topic: str, end: int) -> list[Message]:
    """Read partition 0 of ``topic`` from its start up to offset ``end`` (exclusive)."""
    consumer = Consumer(_consumer_settings(broker, f"reader-{uuid.uuid4().hex[:8]}"))
    out: list[Message] = []
    try:
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        deadline = time.monotonic() + OP_TIMEOUT_S
        while (not out or out[-1].offset() < end - 1) and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=1000, timeout=0.5):
                if msg.error() is None:
                    out.append(msg)
    finally:
        consumer.close()
    assert out and out[-1].offset() == end - 1, f"could not read {topic} up to offset {end}"
    return out


# --- DeleteRecords ----------------------------------------------------------------------------------


@pytest.mark.conformance("delete_records")
def test_delete_records(broker: BrokerUnderTest, unique_topic: str) -> None:
    """DeleteRecords moves the log start offset; reads then start there."""
    _create_topic(broker, unique_topic)
    _produce(broker, unique_topic, _numbered(10))
    tp = TopicPartition(unique_topic, 0, 4)
    admin = _admin(broker)  # keep the client alive until its futures resolve
    futures = admin.delete_records([tp], request_timeout=10, operation_timeout=10)
    assert futures[tp].result(timeout=12).low_watermark == 4
    assert _list_offsets(broker, unique_topic, _earliest()) == 4
    assert [m.offset() for m in _read(broker, unique_topic, 6)] == [4, 5, 6, 7, 8, 9]
