"""Kafka client settings for tests: Kafka's defaults except where a test's speed needs otherwise.

Import from tests as ``from kafka_settings import CONSUMER_TEST_SETTINGS`` (``tests/`` is on
``sys.path`` through ``tests/conftest.py``). The settings are valid for any Kafka broker, so the
same tests run against Apache Kafka, the embedded mock cluster or a user's cluster
(``FERROCONNECT_BOOTSTRAP``). Session timeouts stay at Kafka's default (45 s): a test that needs a fast
failover (a member killed with kill -9) sets a shorter one itself and says so.
"""

from __future__ import annotations

from typing import Final

CONSUMER_TEST_SETTINGS: Final[dict[str, str | int | bool]] = {
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    # A topic created during the test is seen within 1 s instead of librdkafka's 5 min refresh.
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
